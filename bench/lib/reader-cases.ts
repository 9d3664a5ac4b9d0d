/**
 * The two ways of reading the same columns of the same live file into one row-major Float32Array + ids, run by
 * bench/readers.bench.ts in fresh child processes. Both return the time of the read itself (setup and module
 * import excluded) and a checksum, so the benchmark can check that both read the same numbers.
 */
import { DuckDBInstance, type DuckDBVector } from '@duckdb/node-api';
import type * as Parquet from '../../src/data/parquet.js';
import { importBuilt } from './built.js';

// Our reader as a runner runs it (see built.ts).
const { readParquetTable } = await importBuilt<typeof Parquet>('data/parquet.js');

export interface ReadCaseArgs {
  file: string;
  columns: string[];
}

export interface ReadCaseResult {
  ms: number;
  rows: number;
  /** Threads the reader decoded with. */
  threads: number;
  checksum: Checksum;
}

export interface Checksum {
  sum: number;
  nans: number;
  firstId: string;
  lastId: string;
}

function checksum(values: Float32Array, ids: string[]): Checksum {
  let sum = 0;
  let nans = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) nans++;
    else sum += v;
  }
  return { sum, nans, firstId: ids[0], lastId: ids[ids.length - 1] };
}

export async function readWithOurReader({ file, columns }: ReadCaseArgs): Promise<ReadCaseResult> {
  const start = performance.now();
  const table = await readParquetTable(file, columns);
  const ms = performance.now() - start;
  return { ms, rows: table.rows, threads: table.decodeThreads ?? 1, checksum: checksum(table.values, table.ids) };
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * DuckDB at its fastest from JS: streamed 2,048-row chunks, typed `items` arrays and the validity bitmap read
 * as 32-bit words, filled into the same row-major Float32Array.
 */
export async function readWithDuckDB({ file, columns }: ReadCaseArgs): Promise<ReadCaseResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const source = `read_parquet('${file.replaceAll("'", "''")}')`;
  // DuckDB's own default: one thread per core.
  const threads = Number((await connection.runAndReadAll("SELECT current_setting('threads')")).getRows()[0][0]);

  const start = performance.now();
  const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${source}`);
  const rows = Number(counted.getRows()[0][0]);
  const width = columns.length;
  const values = new Float32Array(rows * width);
  const ids = new Array<string>(rows);
  const result = await connection.stream(`SELECT id, ${columns.map(quote).join(', ')} FROM ${source}`);
  let rowBase = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    const idVector = chunk.getColumnVector(0);
    for (let i = 0; i < n; i++) ids[rowBase + i] = idVector.getItem(i) as string;
    for (let j = 0; j < width; j++) {
      const vector = chunk.getColumnVector(j + 1) as DuckDBVector & {
        items?: ArrayLike<number>;
        validity?: { data: BigUint64Array | null };
      };
      let o = rowBase * width + j;
      const items = vector.items;
      const validityWords = vector.validity?.data;
      if (items && !(items instanceof BigInt64Array)) {
        const bits = validityWords ? new Uint32Array(validityWords.buffer, validityWords.byteOffset, validityWords.length * 2) : null;
        for (let i = 0; i < n; i++, o += width) values[o] = bits && ((bits[i >>> 5] >>> (i & 31)) & 1) === 0 ? NaN : items[i];
      } else {
        for (let i = 0; i < n; i++, o += width) {
          const v = vector.getItem(i);
          values[o] = v == null ? NaN : Number(v);
        }
      }
    }
    rowBase += n;
  }
  const ms = performance.now() - start;
  connection.closeSync();
  instance.closeSync();
  if (rowBase !== rows) throw new Error(`DuckDB streamed ${rowBase} rows of ${rows}`);
  return { ms, rows, threads, checksum: checksum(values, ids) };
}
