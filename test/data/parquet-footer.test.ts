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
    assert.throws(() => parquetFooter(footer.subarray(0, footer.length - 40), wanted));
    assert.throws(() => parquetFooter(footer.subarray(0, Math.floor(footer.length / 2)), wanted));
    assert.throws(() => parquetFooter(new Uint8Array(footer.length).fill(0xff), wanted));
    assert.throws(() => parquetFooter(new Uint8Array(0), wanted));
  });
});
