import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteFile } from 'hyparquet-writer';
import { stringify } from 'csv-stringify/sync';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeSyntheticDataset, type WrittenSyntheticDataset } from '../../src/sandbox/synthetic/generate.js';
import { readParquetTable } from '../../src/data/parquet.js';
import { readCsvTable } from '../../src/data/csv.js';
import { readLiveTable } from '../../src/data/live-file.js';
import { DataError } from '../../src/data/errors.js';
import type { FeatureTable } from '../../src/data/table.js';
import { PANDAS_NA_VALUES } from '../../src/submission/rules.js';

let dir: string;
let dataset: WrittenSyntheticDataset;
/** The file read back as row objects by hyparquet's own reader: the reference for every comparison. */
let records: Record<string, unknown>[];

async function expectDataError(promise: Promise<unknown>, pattern: RegExp, file: string): Promise<DataError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

/** Every cell of the table equals the reference records (null → NaN), in the table's column order. */
function assertMatchesRecords(table: FeatureTable, expected: Record<string, unknown>[]): void {
  assert.equal(table.rows, expected.length);
  assert.equal(table.values.length, table.rows * table.columns.length);
  assert.deepEqual(table.ids, expected.map((r) => r.id));
  const width = table.columns.length;
  for (let r = 0; r < table.rows; r++) {
    for (let j = 0; j < width; j++) {
      const want = expected[r][table.columns[j]];
      const got = table.values[r * width + j];
      if (want === null) assert.ok(Number.isNaN(got), `row ${r} ${table.columns[j]}: expected NaN, got ${got}`);
      else assert.equal(got, Math.fround(want as number), `row ${r} ${table.columns[j]}`);
    }
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'readers-'));
  // 300 features: more columns than one decode batch; 45 rows in row groups of 16: several row groups.
  dataset = await writeSyntheticDataset(path.join(dir, 'snappy'), { seed: 42, rows: 45, features: 300, nullRate: 0.03, rowGroupSize: 16 });
  records = await parquetReadObjects({ file: await asyncBufferFromFile(dataset.livePath), compressors });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readParquetTable', () => {
  test('reads the requested columns in the requested order, with ids, nulls as NaN', async () => {
    const medium = dataset.featuresJson.feature_sets.medium;
    assert.notDeepEqual(medium, dataset.featureNames.filter((name) => medium.includes(name)), 'the set order must differ from file order');
    const table = await readParquetTable(dataset.livePath, medium);
    assert.deepEqual(table.columns, medium);
    assert.deepEqual(table.ids, dataset.ids);
    assertMatchesRecords(table, records);
    assert.ok(table.values.some(Number.isNaN), 'the fixture has nulls');
  });

  test('reads every feature across several row groups and decode batches', async () => {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(dataset.livePath));
    assert.ok(metadata.row_groups.length > 1);
    const reversed = [...dataset.featureNames].reverse();
    const table = await readParquetTable(dataset.livePath, reversed);
    assert.deepEqual(table.columns, reversed);
    assertMatchesRecords(table, records);
  });

  test('drops duplicate requests and reads no feature when none is asked for', async () => {
    const [a, b] = dataset.featureNames;
    const table = await readParquetTable(dataset.livePath, [b, a, b]);
    assert.deepEqual(table.columns, [b, a]);
    assertMatchesRecords(table, records);
    const idsOnly = await readParquetTable(dataset.livePath, []);
    assert.deepEqual(idsOnly.ids, dataset.ids);
    assert.equal(idsOnly.values.length, 0);
  });

  test('reads a ZSTD file to the same table as the SNAPPY file', async () => {
    const zstd = await writeSyntheticDataset(path.join(dir, 'zstd'), {
      seed: 42, rows: 45, features: 300, nullRate: 0.03, rowGroupSize: 16, compression: 'ZSTD',
    });
    const columns = dataset.featuresJson.feature_sets.small;
    assert.deepEqual(await readParquetTable(zstd.livePath, columns), await readParquetTable(dataset.livePath, columns).then((t) => ({ ...t, source: zstd.livePath })));
  });

  test('reads a file written by another writer (DuckDB, ZSTD, its own row groups and encodings)', async () => {
    const duckFile = path.join(dir, 'duckdb.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`COPY (SELECT * FROM read_parquet('${dataset.livePath}')) TO '${duckFile}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 20)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const table = await readParquetTable(duckFile, dataset.featuresJson.feature_sets.medium);
    assertMatchesRecords(table, records);
  });

  test('reads DOUBLE, FLOAT and INT64 feature columns, and REQUIRED ones', async () => {
    const file = path.join(dir, 'types.parquet');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'feature_double', data: [0.25, null, 1], type: 'DOUBLE' },
        { name: 'feature_float', data: new Float32Array([0.5, 0.75, 0]), type: 'FLOAT', nullable: false },
        { name: 'feature_int64', data: [3n, null, -2n], type: 'INT64' },
        { name: 'feature_int32', data: new Int32Array([4, 0, 2]), type: 'INT32', nullable: false },
        { name: 'id', data: ['a', 'b', 'c'], type: 'STRING' },
      ],
    });
    const table = await readParquetTable(file, ['feature_int64', 'feature_double', 'feature_float', 'feature_int32']);
    assert.deepEqual(table.ids, ['a', 'b', 'c']);
    assert.deepEqual([...table.values], [3, 0.25, 0.5, 4, NaN, NaN, 0.75, 0, -2, 1, 0, 2]);
  });

  test('reads multi-page chunks in every numeric encoding (PLAIN, DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT, dictionary)', async () => {
    const file = path.join(dir, 'encodings.parquet');
    const n = 700;
    const nullable = <T>(make: (i: number) => T) => Array.from({ length: n }, (_, i) => (i % 37 === 5 ? null : make(i)));
    parquetWriteFile({
      filename: file,
      pageSize: 512, // several pages per column chunk
      rowGroupSize: 300,
      columnData: [
        { name: 'feature_plain', data: nullable((i) => i / 7), type: 'DOUBLE', encoding: 'PLAIN' },
        { name: 'feature_delta', data: nullable((i) => (i * 7919) % 1000), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
        { name: 'feature_split', data: nullable((i) => Math.fround(i / 3)), type: 'FLOAT', encoding: 'BYTE_STREAM_SPLIT' },
        { name: 'feature_dictionary', data: nullable((i) => i % 5), type: 'INT32' },
        { name: 'id', data: Array.from({ length: n }, (_, i) => `n${i.toString(16).padStart(15, '0')}`), type: 'STRING' },
      ],
    });
    const expected = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    const encodings = new Set(metadata.row_groups.flatMap((g) => g.columns.flatMap((c) => c.meta_data?.encodings ?? [])));
    for (const encoding of ['PLAIN', 'DELTA_BINARY_PACKED', 'BYTE_STREAM_SPLIT', 'RLE_DICTIONARY'] as const) assert.ok(encodings.has(encoding), encoding);
    const table = await readParquetTable(file, ['feature_split', 'feature_dictionary', 'feature_plain', 'feature_delta']);
    assertMatchesRecords(table, expected);
  });

  test('a row without an id is a DataError naming the row', async () => {
    const file = path.join(dir, 'null-id.parquet');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'feature_a', data: [1, 2, 3], type: 'INT32' },
        { name: 'id', data: ['n1', null, 'n3'], type: 'STRING' },
      ],
    });
    await expectDataError(readParquetTable(file, ['feature_a']), /id column "id" could not be decoded \(row group 0\): row 1 has no value/, file);
  });

  test('names every missing column, and the id column when it is missing', async () => {
    const error = await expectDataError(
      readParquetTable(dataset.livePath, [dataset.featureNames[0], 'feature_nope_one', 'feature_nope_two']),
      /2 requested column\(s\) are not in the file: feature_nope_one, feature_nope_two/,
      dataset.livePath,
    );
    assert.deepEqual(error.columns, ['feature_nope_one', 'feature_nope_two']);
    await expectDataError(readParquetTable(dataset.livePath, [], { idColumn: 'ticker' }), /not in the file: ticker/, dataset.livePath);
  });

  test('refuses non-numeric feature columns and a non-string id, naming them and their types', async () => {
    const error = await expectDataError(
      readParquetTable(dataset.livePath, ['era', dataset.featureNames[0], 'data_type']),
      /2 feature column\(s\) are not numeric: era \(BYTE_ARRAY\/UTF8\), data_type \(BYTE_ARRAY\/UTF8\); expected INT32/,
      dataset.livePath,
    );
    assert.deepEqual(error.columns, ['era', 'data_type']);
    await expectDataError(
      readParquetTable(dataset.livePath, [], { idColumn: dataset.featureNames[0] }),
      /id column "feature_\w+" holds INT32\/INT_8; expected strings/,
      dataset.livePath,
    );
  });

  describe('damaged files are a DataError naming the file, never a crash or a partial table', () => {
    let bytes: Buffer;
    before(async () => {
      bytes = await readFile(dataset.livePath);
    });

    async function damaged(name: string, content: Uint8Array): Promise<string> {
      const file = path.join(dir, name);
      await writeFile(file, content);
      return file;
    }

    test('missing file', async () => {
      const file = path.join(dir, 'nowhere.parquet');
      await expectDataError(readParquetTable(file, []), /file not found/, file);
    });

    test('a folder where the file should be', async () => {
      const folder = path.join(dir, 'folder.parquet');
      await mkdir(folder, { recursive: true });
      await expectDataError(readParquetTable(folder, []), /cannot read the file: EISDIR/, folder);
    });

    test('empty file', async () => {
      const file = await damaged('empty.parquet', new Uint8Array(0));
      await expectDataError(readParquetTable(file, []), /the file is empty/, file);
    });

    test('too short to be parquet', async () => {
      const file = await damaged('short.parquet', bytes.subarray(0, 9));
      await expectDataError(readParquetTable(file, []), /9 bytes long, too short/, file);
    });

    test('not parquet at all (bad magic)', async () => {
      const file = await damaged('text.parquet', new TextEncoder().encode('id,feature_a\nn1,2\nn2,3\n'));
      await expectDataError(readParquetTable(file, []), /not a parquet file/, file);
    });

    test('truncated download', async () => {
      const file = await damaged('truncated.parquet', bytes.subarray(0, Math.floor(bytes.length * 0.7)));
      await expectDataError(readParquetTable(file, dataset.featureNames), /truncated or corrupt/, file);
    });

    test('footer length out of range', async () => {
      const copy = Uint8Array.from(bytes);
      new DataView(copy.buffer).setUint32(copy.length - 8, copy.length * 2, true);
      const file = await damaged('footer-length.parquet', copy);
      await expectDataError(readParquetTable(file, []), /parquet footer is corrupt/, file);
    });

    test('garbage in the footer', async () => {
      const copy = Uint8Array.from(bytes);
      const footerLength = new DataView(copy.buffer).getUint32(copy.length - 8, true);
      copy.fill(0xff, copy.length - 8 - footerLength, copy.length - 8 - footerLength + 64);
      const file = await damaged('footer-garbage.parquet', copy);
      await expectDataError(readParquetTable(file, []), /parquet footer is corrupt/, file);
    });

    test('a page header without a size names the problem, not "a page of undefined bytes"', async () => {
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(dataset.livePath));
      const chunk = metadata.row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === dataset.featureNames[2])!.meta_data!;
      const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
      const copy = Uint8Array.from(bytes);
      copy.fill(0, start, start + 16); // a thrift struct that stops at once: a page header with no fields
      const file = await damaged('sizeless-page.parquet', copy);
      const error = await expectDataError(readParquetTable(file, dataset.featureNames), /page header at byte 0 of the column chunk has no valid page size \(undefined\)/, file);
      assert.doesNotMatch(error.message, /undefined bytes/);
    });

    test('corrupt column data', async () => {
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(dataset.livePath));
      const chunk = metadata.row_groups[1].columns.find((c) => c.meta_data?.path_in_schema[0] === dataset.featureNames[5])!.meta_data!;
      const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
      const copy = Uint8Array.from(bytes);
      copy.fill(0xee, start, start + Number(chunk.total_compressed_size));
      const file = await damaged('corrupt-page.parquet', copy);
      await expectDataError(readParquetTable(file, dataset.featureNames), /parquet data is corrupt/, file);
      // The damaged column is not needed: the rest of the file still reads.
      const others = dataset.featureNames.filter((_, j) => j !== 5);
      assertMatchesRecords(await readParquetTable(file, others), records);
    });
  });
});

describe('readParquetTable on several threads', () => {
  /** The read's outcome in a comparable form: the table's exact bytes, or the error's class, message and columns. */
  async function outcome(file: string, columns: readonly string[], threads: number): Promise<unknown> {
    try {
      const table = await readParquetTable(file, columns, { threads });
      return { ids: table.ids, columns: table.columns, rows: table.rows, bytes: Buffer.from(table.values.buffer, table.values.byteOffset, table.values.byteLength).toString('base64'), threads: table.decodeThreads };
    } catch (error) {
      assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
      return { error: error.name, message: error.message, columns: error.columns, file: error.file };
    }
  }

  /** Single-threaded and parallel reads (two workers beside this thread) agree to the bit, or fail with the same error. */
  async function assertSameOnEveryThreadCount(file: string, columns: readonly string[]): Promise<unknown> {
    const single = (await outcome(file, columns, 1)) as Record<string, unknown>;
    for (const threads of [3]) {
      const parallel = (await outcome(file, columns, threads)) as Record<string, unknown>;
      if ('error' in single) assert.deepEqual(parallel, single, `${threads} threads`);
      else {
        assert.equal(single.threads, 1);
        assert.equal(parallel.threads, threads, 'the read used the threads it was given');
        assert.deepEqual({ ...parallel, threads: 1 }, single, `${threads} threads`);
      }
    }
    return single;
  }

  let bytes: Buffer;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  before(async () => {
    bytes = await readFile(dataset.livePath);
    metadata = await parquetMetadataAsync(await asyncBufferFromFile(dataset.livePath));
  });

  function chunkOf(group: number, column: string) {
    const chunk = metadata.row_groups[group].columns.find((c) => c.meta_data?.path_in_schema[0] === column)!.meta_data!;
    const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
    return { start, end: start + Number(chunk.total_compressed_size) };
  }

  async function damaged(name: string, damage: (copy: Uint8Array) => void): Promise<string> {
    const copy = Uint8Array.from(bytes);
    damage(copy);
    const file = path.join(dir, name);
    await writeFile(file, copy);
    return file;
  }

  test('gives the same bits as one thread: every feature, a set in its own order, several row groups', async () => {
    assert.ok(metadata.row_groups.length > 1);
    for (const columns of [dataset.featureNames, dataset.featuresJson.feature_sets.medium, [...dataset.featureNames].reverse()]) {
      const single = (await assertSameOnEveryThreadCount(dataset.livePath, columns)) as { rows: number };
      assert.equal(single.rows, dataset.ids.length);
    }
  });

  test('gives the same bits as one thread on files of other writers and codecs (ZSTD, DuckDB)', async () => {
    const zstd = await writeSyntheticDataset(path.join(dir, 'parallel-zstd'), {
      seed: 7, rows: 50, features: 200, nullRate: 0.05, rowGroupSize: 20, compression: 'ZSTD',
    });
    await assertSameOnEveryThreadCount(zstd.livePath, zstd.featureNames);
    const duckFile = path.join(dir, 'parallel-duckdb.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`COPY (SELECT * FROM read_parquet('${dataset.livePath}')) TO '${duckFile}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 20)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    await assertSameOnEveryThreadCount(duckFile, dataset.featureNames);
  });

  test('fails with the error one thread gives: the first damaged block in read order, whichever thread meets it', async () => {
    // Damage in row group 2 (late in the order) and row group 0 (early): the row group 0 column is the one named.
    const late = dataset.featureNames[250];
    const early = dataset.featureNames[140];
    const file = await damaged('parallel-two-damages.parquet', (copy) => {
      for (const { start, end } of [chunkOf(2, late), chunkOf(0, early)]) copy.fill(0xee, start, end);
    });
    const failure = (await assertSameOnEveryThreadCount(file, dataset.featureNames)) as { message: string; columns: string[] };
    assert.deepEqual(failure.columns, [early]);
    assert.match(failure.message, new RegExp(`column ${early}, row group 0`));
  });

  test('fails with the error one thread gives on a truncated file and a damaged id column', async () => {
    const truncated = path.join(dir, 'parallel-truncated.parquet');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    await assertSameOnEveryThreadCount(truncated, dataset.featureNames);
    const badIds = await damaged('parallel-bad-ids.parquet', (copy) => {
      const { start, end } = chunkOf(1, 'id');
      copy.fill(0xee, start, end);
    });
    const failure = (await assertSameOnEveryThreadCount(badIds, dataset.featureNames)) as { message: string };
    assert.match(failure.message, /the id column "id" could not be decoded \(row group 1\)/);
  });

  test('an automatic thread count keeps a small table on one thread', async () => {
    const table = await readParquetTable(dataset.livePath, dataset.featureNames);
    assert.equal(table.decodeThreads, 1);
    assert.ok(!(table.values.buffer instanceof SharedArrayBuffer));
  });
});

describe('readCsvTable', () => {
  let csvFile: string;
  before(async () => {
    // What pandas' to_csv writes: the id first, empty cells for missing values.
    const header = ['id', 'era', 'data_type', ...dataset.featureNames];
    const rows = records.map((r) => header.map((name) => (r[name] === null ? '' : String(r[name]))));
    csvFile = path.join(dir, 'live.csv');
    await writeFile(csvFile, stringify([header, ...rows]));
  });

  test('gives the same table as the parquet reader', async () => {
    const medium = dataset.featuresJson.feature_sets.medium;
    const fromCsv = await readCsvTable(csvFile, medium);
    const fromParquet = await readParquetTable(dataset.livePath, medium);
    assert.deepEqual({ ...fromCsv, source: '' }, { ...fromParquet, source: '' });
  });

  test('names missing columns, bad cells and malformed rows', async () => {
    await expectDataError(readCsvTable(csvFile, ['feature_nope']), /1 requested column\(s\) are not in the header: feature_nope/, csvFile);
    const bad = path.join(dir, 'bad-cell.csv');
    await writeFile(bad, 'id,feature_a,feature_b\nn1,1,2\nn2,3,abc\n');
    await expectDataError(readCsvTable(bad, ['feature_b']), /line 3, column "feature_b": "abc" is not a number/, bad);
    const ragged = path.join(dir, 'ragged.csv');
    await writeFile(ragged, 'id,feature_a\nn1,1\nn2,3,4\n');
    await expectDataError(readCsvTable(ragged, ['feature_a']), /the CSV is malformed/, ragged);
    const empty = path.join(dir, 'empty.csv');
    await writeFile(empty, '');
    await expectDataError(readCsvTable(empty, []), /the file is empty/, empty);
    const duplicated = path.join(dir, 'duplicated.csv');
    await writeFile(duplicated, 'id,feature_a,feature_a\nn1,1,2\n');
    await expectDataError(readCsvTable(duplicated, ['feature_a']), /more than once: feature_a/, duplicated);
  });

  test('accepts pandas spellings of missing values', async () => {
    const file = path.join(dir, 'nan.csv');
    await writeFile(file, 'id,feature_a,feature_b\nn1,nan,2\nn2,,NaN\nn3,4,0.5\n');
    const table = await readCsvTable(file, ['feature_b', 'feature_a']);
    assert.deepEqual(table.ids, ['n1', 'n2', 'n3']);
    assert.deepEqual([...table.values], [2, NaN, NaN, NaN, 0.5, 4]);
  });

  test('reads every spelling the submission rules call missing (PANDAS_NA_VALUES), and NAN, as NaN', async () => {
    const spellings = [...PANDAS_NA_VALUES, 'NAN'].filter((s) => s !== '');
    const file = path.join(dir, 'na-spellings.csv');
    await writeFile(file, `id,feature_a\n${spellings.map((s, i) => `n${i},"${s}"`).join('\n')}\nlast,1\n`);
    const table = await readCsvTable(file, ['feature_a']);
    assert.deepEqual([...table.values], [...spellings.map(() => NaN), 1]);
  });
});

describe('readLiveTable', () => {
  test('dispatches on the extension', async () => {
    const small = dataset.featuresJson.feature_sets.small;
    assertMatchesRecords(await readLiveTable(dataset.livePath, small), records);
    const file = path.join(dir, 'live.feather');
    await expectDataError(readLiveTable(file, small), /unsupported live file format "\.feather"; expected one of \.parquet, \.csv/, file);
  });
});
