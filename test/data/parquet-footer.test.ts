import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, type ColumnChunk, type FileMetaData } from 'hyparquet';
import { writeSyntheticDataset } from '../../src/sandbox/synthetic/generate.js';
import { parquetFooter } from '../../src/data/parquet-footer.js';
import { readParquetTable } from '../../src/data/parquet.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'parquet-footer-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The FileMetaData bytes of a parquet file: what precedes its last 8 bytes. */
async function footerOf(file: string): Promise<{ bytes: Uint8Array; footer: Uint8Array }> {
  const bytes = new Uint8Array(await readFile(file));
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  return { bytes, footer: bytes.subarray(bytes.length - 8 - length, bytes.length - 8) };
}

/** What the reader uses of a chunk, as hyparquet reads it. */
function used(chunk: ColumnChunk): unknown {
  const meta = chunk.meta_data!;
  return {
    file_path: chunk.file_path,
    file_offset: chunk.file_offset,
    type: meta.type,
    encodings: meta.encodings,
    path_in_schema: meta.path_in_schema,
    codec: meta.codec,
    num_values: meta.num_values,
    total_uncompressed_size: meta.total_uncompressed_size,
    total_compressed_size: meta.total_compressed_size,
    data_page_offset: meta.data_page_offset,
    index_page_offset: meta.index_page_offset,
    dictionary_page_offset: meta.dictionary_page_offset,
  };
}

/** The footer as hyparquet reads it, cut down to the wanted columns' chunks, against parquetFooter's. */
function assertSameAsHyparquet(ours: FileMetaData, full: FileMetaData, wanted: ReadonlySet<string>): void {
  assert.deepEqual(ours.schema, full.schema);
  assert.equal(ours.num_rows, full.num_rows);
  assert.equal(ours.version, full.version);
  assert.equal(ours.created_by, full.created_by);
  assert.deepEqual(ours.key_value_metadata, full.key_value_metadata);
  assert.equal(ours.row_groups.length, full.row_groups.length);
  for (const [g, group] of full.row_groups.entries()) {
    const mine = ours.row_groups[g];
    assert.equal(mine.num_rows, group.num_rows);
    assert.equal(mine.total_byte_size, group.total_byte_size);
    const expected = group.columns.filter((c) => c.meta_data!.path_in_schema.length === 1 && wanted.has(c.meta_data!.path_in_schema[0]));
    assert.deepEqual(mine.columns.map(used), expected.map(used), `row group ${g}`);
  }
}

describe('parquetFooter', () => {
  test('builds the wanted columns of every row group exactly as hyparquet reads them, and no other', async () => {
    const dataset = await writeSyntheticDataset(path.join(dir, 'synthetic'), { seed: 3, rows: 40, features: 120, nullRate: 0.05, rowGroupSize: 16 });
    const { footer } = await footerOf(dataset.livePath);
    const full = parquetMetadata(footer.buffer.slice(footer.byteOffset, footer.byteOffset + footer.byteLength + 8) as ArrayBuffer);
    const names = dataset.featuresJson.feature_sets.all;
    for (const wanted of [new Set(['id', names[7], names[100], names[3]]), new Set(['id', ...names]), new Set<string>()]) {
      const ours = parquetFooter(footer, wanted);
      assert.equal(ours.row_groups.length, 3);
      assertSameAsHyparquet(ours, full, wanted);
      assert.equal(ours.row_groups[0].columns.length, wanted.size);
    }
  });

  test('finds top-level columns behind nested ones (lists and structs have several leaves or deeper paths)', async () => {
    const file = path.join(dir, 'nested.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT 'n' || i::VARCHAR AS id, [i, i + 1] AS tags, {'x': i, 'y': i * 2} AS point, (i % 5)::INTEGER AS feature_a,
              CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 3)::INTEGER END AS feature_b
         FROM range(50) t(i)) TO '${file}' (FORMAT PARQUET, ROW_GROUP_SIZE 20)`,
    );
    connection.closeSync();
    instance.closeSync();
    const { bytes, footer } = await footerOf(file);
    const full = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const wanted = new Set(['id', 'feature_a', 'feature_b', 'point']);
    const ours = parquetFooter(footer, wanted);
    assertSameAsHyparquet(ours, full, wanted);
    // 'point' is a group: its leaves' paths are two long, so it is never taken for a top-level column.
    assert.deepEqual(ours.row_groups[0].columns.map((c) => c.meta_data!.path_in_schema.join('.')), ['id', 'feature_a', 'feature_b']);

    const table = await readParquetTable(file, ['feature_b', 'feature_a']);
    assert.equal(table.rows, 50);
    assert.deepEqual(table.ids.slice(0, 2), ['n0', 'n1']);
    assert.deepEqual([...table.values.subarray(0, 4)], [Number.NaN, 0, 1, 1]);
    assert.deepEqual([...table.values.subarray(98, 100)], [Number.NaN, 4]);
  });

  test('a footer that does not parse throws, whatever part of it is damaged', async () => {
    const dataset = await writeSyntheticDataset(path.join(dir, 'damaged'), { seed: 4, rows: 20, features: 30, rowGroupSize: 8 });
    const { footer } = await footerOf(dataset.livePath);
    const wanted = new Set(['id', ...dataset.featuresJson.feature_sets.all]);
    assert.throws(() => parquetFooter(footer.subarray(0, footer.length - 40), wanted), /the footer ends in the middle of a field/);
    assert.throws(() => parquetFooter(footer.subarray(0, Math.floor(footer.length / 2)), wanted), /the footer ends in the middle of a field/);
    assert.throws(() => parquetFooter(new Uint8Array(footer.length).fill(0xff), wanted));
    assert.throws(() => parquetFooter(new Uint8Array(0), wanted), /the footer ends in the middle of a field/);
  });

  describe('footers written field by field', () => {
    // Thrift compact protocol (i32/i64 as zigzag varints, binary, lists, structs): enough for a FileMetaData.
    type Value = { i32: number } | { i64: number } | { bin: string } | { list: [number, Value[]] } | { struct: Fields };
    type Fields = [number, Value][];
    const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(Math.floor(n / 128))]);
    const zigzag = (n: number): number[] => varint(n >= 0 ? 2 * n : -2 * n - 1);
    const typeOf = (v: Value): number => ('i32' in v ? 5 : 'i64' in v ? 6 : 'bin' in v ? 8 : 'list' in v ? 9 : 12);
    const value = (v: Value): number[] => {
      if ('i32' in v) return zigzag(v.i32);
      if ('i64' in v) return zigzag(v.i64);
      if ('bin' in v) return [...varint(Buffer.byteLength(v.bin)), ...Buffer.from(v.bin)];
      if ('list' in v) return [(Math.min(v.list[1].length, 15) << 4) | v.list[0], ...(v.list[1].length >= 15 ? varint(v.list[1].length) : []), ...v.list[1].flatMap(value)];
      return struct(v.struct);
    };
    const struct = (fields: Fields): number[] => {
      let previous = 0;
      const bytes = fields.flatMap(([id, v]) => {
        const header = [((id - previous) << 4) | typeOf(v)];
        previous = id;
        return [...header, ...value(v)];
      });
      return [...bytes, 0];
    };
    const element = (name: string, extra: Fields = []): Value => ({ struct: [[4, { bin: name }], ...extra] });
    const chunk = (name: string, offset: number): Value => ({
      struct: [
        [2, { i64: offset }],
        [3, { struct: [[1, { i32: 1 }], [2, { list: [5, [{ i32: 0 }]] }], [3, { list: [8, [{ bin: name }]] }], [4, { i32: 0 }], [5, { i64: 4 }], [6, { i64: 20 }], [7, { i64: 20 }], [9, { i64: offset }]] }],
      ],
    });
    /** A FileMetaData of `schema` (after the root) and one row group of `chunks`. */
    const footer = (rootChildren: number, schema: Value[], chunks: Value[]): Uint8Array =>
      Uint8Array.from(
        struct([
          [1, { i32: 2 }],
          [2, { list: [12, [element('schema', [[5, { i32: rootChildren }]]), ...schema]] }],
          [3, { i64: 4 }],
          [4, { list: [12, [{ struct: [[1, { list: [12, chunks] }], [2, { i64: 40 }], [3, { i64: 4 }]] }]] }],
        ]),
      );
    const columns = [element('id', [[1, { i32: 6 }]]), element('feature_a', [[1, { i32: 1 }]])];

    test('a well-formed one reads as hyparquet reads it', () => {
      const bytes = footer(2, columns, [chunk('id', 4), chunk('feature_a', 24)]);
      const withTail = new Uint8Array([...bytes, ...new Uint8Array(new Uint32Array([bytes.length]).buffer), 0x50, 0x41, 0x52, 0x31]);
      assertSameAsHyparquet(parquetFooter(bytes, new Set(['feature_a'])), parquetMetadata(withTail.buffer), new Set(['feature_a']));
    });

    test('a row group that lists another number of chunks than the schema has columns', () => {
      assert.throws(() => parquetFooter(footer(2, columns, [chunk('id', 4)]), new Set(['id'])), /row group 0 lists 1 column chunks for the schema's 2 columns/);
    });

    test('a schema whose root declares more columns than it lists', () => {
      assert.throws(() => parquetFooter(footer(3, columns, [chunk('id', 4), chunk('feature_a', 24)]), new Set(['id'])), /the schema declares more columns than its 3 elements/);
    });

    test('a footer without row groups', () => {
      const bytes = Uint8Array.from(struct([[1, { i32: 2 }], [2, { list: [12, [element('schema', [[5, { i32: 0 }]])]] }], [3, { i64: 0 }]]));
      assert.throws(() => parquetFooter(bytes, new Set()), /the footer has no row groups/);
    });
  });
});
