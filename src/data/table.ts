/**
 * The in-memory live table: one dense row-major Float32Array for the union of the columns that the pending
 * models need, read once per run. Each model then takes its own columns, in its own order, batch by batch
 * (`modelBatches`), so the engine never holds a second full-size copy of the data.
 */
import { DataError, listNames } from './errors.js';

export interface FeatureTable {
  /** Row ids ("n0005e01cd27dd7b"), in file order. */
  ids: string[];
  /** Column names, in the order of `values`' columns. */
  columns: string[];
  rows: number;
  /** rows × columns.length, row-major; missing values are NaN. */
  values: Float32Array;
  /** Where the table was read from, for error messages. */
  source?: string;
  /** How many threads decoded it. */
  decodeThreads?: number;
}

/**
 * The positions in `table.columns` of `names`, in the order of `names`. Every missing name is reported at once.
 */
export function columnIndexes(table: FeatureTable, names: readonly string[]): Int32Array {
  const position = new Map<string, number>();
  table.columns.forEach((name, j) => position.set(name, j));
  const indexes = new Int32Array(names.length);
  const missing: string[] = [];
  names.forEach((name, k) => {
    const j = position.get(name);
    if (j === undefined) missing.push(name);
    else indexes[k] = j;
  });
  if (missing.length > 0) {
    throw new DataError(table.source ?? 'feature table', `${missing.length} column(s) not in the table: ${listNames(missing)}`, {
      columns: missing,
    });
  }
  return indexes;
}

/** True when `indexes` select every table column in table order, so rows can be used as they are. */
export function isIdentity(indexes: Int32Array, columnCount: number): boolean {
  if (indexes.length !== columnCount) return false;
  for (let k = 0; k < indexes.length; k++) if (indexes[k] !== k) return false;
  return true;
}

/**
 * Copies rows [rowStart, rowEnd) of the columns at `indexes` into `out` (row-major, indexes.length wide) and
 * returns the filled part of `out`. `out` is allocated when omitted; pass one back to reuse it across batches.
 */
export function copyRows(table: FeatureTable, indexes: Int32Array, rowStart: number, rowEnd: number, out?: Float32Array): Float32Array {
  if (!(Number.isInteger(rowStart) && Number.isInteger(rowEnd) && 0 <= rowStart && rowStart <= rowEnd && rowEnd <= table.rows)) {
    throw new RangeError(`row range [${rowStart}, ${rowEnd}) is outside the table's ${table.rows} rows`);
  }
  const width = indexes.length;
  const tableWidth = table.columns.length;
  const size = (rowEnd - rowStart) * width;
  const target = out ?? new Float32Array(size);
  if (target.length < size) throw new RangeError(`output buffer holds ${target.length} values; ${size} are needed`);
  const values = table.values;
  let o = 0;
  for (let r = rowStart; r < rowEnd; r++) {
    const base = r * tableWidth;
    for (let k = 0; k < width; k++) target[o++] = values[base + indexes[k]];
  }
  return target.subarray(0, size);
}

export interface RowBatch {
  rowStart: number;
  rowEnd: number;
  /** (rowEnd − rowStart) × features, row-major, in the requested feature order. Valid until the next batch. */
  values: Float32Array;
}

/** Default batch: ~1,000 rows is where onnxruntime's per-call overhead stops mattering. */
export const DEFAULT_BATCH_ROWS = 1024;

/**
 * A model's rows, in its feature order, `batchRows` at a time. When the model wants exactly the table's columns
 * in the table's order, batches are views into the table (no copy); otherwise one batch-sized buffer is reused,
 * so each batch must be consumed before asking for the next.
 */
export function* modelBatches(table: FeatureTable, features: readonly string[], batchRows = DEFAULT_BATCH_ROWS): Generator<RowBatch> {
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
  const indexes = columnIndexes(table, features);
  const width = indexes.length;
  if (isIdentity(indexes, table.columns.length)) {
    for (let rowStart = 0; rowStart < table.rows; rowStart += batchRows) {
      const rowEnd = Math.min(table.rows, rowStart + batchRows);
      yield { rowStart, rowEnd, values: table.values.subarray(rowStart * width, rowEnd * width) };
    }
    return;
  }
  const buffer = new Float32Array(Math.min(batchRows, table.rows) * width);
  for (let rowStart = 0; rowStart < table.rows; rowStart += batchRows) {
    const rowEnd = Math.min(table.rows, rowStart + batchRows);
    yield { rowStart, rowEnd, values: copyRows(table, indexes, rowStart, rowEnd, buffer) };
  }
}
