/**
 * Reads the live parquet file into a FeatureTable: only the requested columns (plus the id), straight into one
 * row-major Float32Array, with hyparquet doing the parquet decoding.
 *
 * The footer is checked first (missing columns all named, non-numeric ones refused) so a bad request costs no
 * data read. Feature columns are then decoded page by page (parquet-pages.ts) a block of consecutive output columns
 * at a time: each block is decoded column-major into a small scratch buffer and transposed into the output, so
 * writes stay cache-friendly and peak memory is the output matrix plus one block per thread, whatever the file's
 * width or length. A large table is decoded on every core (parquet-parallel.ts),
 * to the same bits and with the same errors as on one.
 */
import { closeSync, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parquetSchema } from 'hyparquet';
import type { ColumnMetaData, FileMetaData, SchemaElement, SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetFooter } from './parquet-footer.js';
import { decodeStringChunk, type ChunkColumn } from './parquet-pages.js';
import { BLOCK_COLUMNS, chunkRange, readRanges, type BlockColumn, type BlockTask, type DecodeFailure } from './parquet-blocks.js';
import { DecodeWorkerError, decodeBlocks, decodeThreadCount } from './parquet-parallel.js';
import { DataError, fileAccessError, listNames, messageOf } from './errors.js';
import type { FeatureTable } from './table.js';

export interface ReadTableOptions {
  /** The row-id column. Default "id". */
  idColumn?: string;
  /**
   * Threads decoding the feature columns: a positive number uses that many (1: this thread only); absent or 0, every
   * core when the table is large enough to gain from it (see parquet-parallel.ts).
   */
  threads?: number;
}

const MAGIC = 'PAR1';
/** Header magic + footer length + footer magic: nothing shorter can be parquet. */
const MIN_PARQUET_BYTES = 12;

const NUMERIC_PHYSICAL = new Set(['INT32', 'INT64', 'FLOAT', 'DOUBLE']);
/** Converted types that are plain numbers (DATE, TIME, DECIMAL… would be numbers with another meaning). */
const NUMERIC_CONVERTED = new Set(['INT_8', 'INT_16', 'INT_32', 'INT_64', 'UINT_8', 'UINT_16', 'UINT_32', 'UINT_64']);

function describeType(element: SchemaElement): string {
  if (element.num_children) return 'a nested group';
  const annotation = element.logical_type?.type ?? element.converted_type;
  return annotation ? `${element.type}/${annotation}` : String(element.type);
}

function isNumeric(element: SchemaElement): boolean {
  if (element.num_children || element.repetition_type === 'REPEATED') return false;
  if (!element.type || !NUMERIC_PHYSICAL.has(element.type)) return false;
  if (element.logical_type) return element.logical_type.type === 'INTEGER';
  return element.converted_type === undefined || NUMERIC_CONVERTED.has(element.converted_type);
}

function isString(element: SchemaElement): boolean {
  return !element.num_children && element.repetition_type !== 'REPEATED' && element.type === 'BYTE_ARRAY';
}

/**
 * Reads the file's size and footer, with the column chunks of `wanted` only (see parquet-footer.ts). Plain positioned
 * reads: hyparquet's asyncBufferFromFile opens a read stream per slice, 5–7 ms for the three a footer takes.
 */
async function openParquet(path: string, wanted: ReadonlySet<string>): Promise<{ fileSize: number; metadata: FileMetaData }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileAccessError(path, error, 'open');
  }
  try {
    return await readFooter(path, handle, wanted);
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw fileAccessError(path, error, 'read');
  } finally {
    await handle.close();
  }
}

async function readFooter(path: string, handle: FileHandle, wanted: ReadonlySet<string>): Promise<{ fileSize: number; metadata: FileMetaData }> {
  const fileSize = (await handle.stat()).size;
  if (fileSize === 0) throw new DataError(path, 'the file is empty (0 bytes); expected a parquet file');
  if (fileSize < MIN_PARQUET_BYTES) {
    throw new DataError(path, `the file is ${fileSize} bytes long, too short to be parquet (truncated download?)`);
  }
  const [head, tail] = await Promise.all([readAt(handle, 0, 4), readAt(handle, fileSize - 8, 8)]);
  const decoder = new TextDecoder('latin1');
  if (decoder.decode(head) !== MAGIC) throw new DataError(path, 'not a parquet file (it does not start with "PAR1")');
  if (decoder.decode(tail.subarray(4)) !== MAGIC) {
    throw new DataError(path, 'the parquet file is truncated or corrupt (it does not end with "PAR1")');
  }
  const footerLength = new DataView(tail.buffer, tail.byteOffset).getUint32(0, true);
  if (footerLength > fileSize - MIN_PARQUET_BYTES) {
    throw new DataError(path, `the parquet footer is corrupt: it declares ${footerLength} bytes, but the file holds ${fileSize} in all`);
  }
  const footer = await readAt(handle, fileSize - 8 - footerLength, footerLength);
  try {
    return { fileSize, metadata: parquetFooter(footer, wanted) };
  } catch (error) {
    throw new DataError(path, `the parquet footer is corrupt: ${messageOf(error)}`, { cause: error });
  }
}

/** `length` bytes of the file from `start`; a file shorter than its own stat said (still being written) throws. */
async function readAt(handle: FileHandle, start: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  for (let filled = 0; filled < length; ) {
    const { bytesRead } = await handle.read(bytes, filled, length - filled, start + filled);
    if (bytesRead === 0) throw new Error(`the file ends at byte ${start + filled}, before the ${length} bytes at ${start} were read`);
    filled += bytesRead;
  }
  return bytes;
}

/**
 * Checks, from the footer alone, that every requested column exists and is numeric, and that the id is text.
 * `children` are the schema's top-level columns by name.
 */
function checkSchema(path: string, metadata: FileMetaData, children: ReadonlyMap<string, SchemaTree>, columns: readonly string[], idColumn: string): void {
  const missing = [idColumn, ...columns].filter((name) => !children.has(name));
  if (missing.length > 0) {
    throw new DataError(path, `${missing.length} requested column(s) are not in the file: ${listNames(missing)}`, { columns: missing });
  }
  const element = (name: string): SchemaElement => children.get(name)!.element;
  const id = element(idColumn);
  if (!isString(id)) {
    throw new DataError(path, `the id column "${idColumn}" holds ${describeType(id)}; expected strings (BYTE_ARRAY)`, {
      columns: [idColumn],
    });
  }
  const wrong = columns.filter((name) => !isNumeric(element(name)));
  if (wrong.length > 0) {
    const described = wrong.map((name) => `${name} (${describeType(element(name))})`);
    throw new DataError(
      path,
      `${wrong.length} feature column(s) are not numeric: ${listNames(described)}; expected INT32/INT64 (optionally INT_8…) or FLOAT/DOUBLE`,
      { columns: wrong },
    );
  }
  const groupRows = metadata.row_groups.reduce((sum, group) => sum + group.num_rows, 0n);
  if (groupRows !== metadata.num_rows) {
    throw new DataError(path, `the footer is inconsistent: row groups hold ${groupRows} rows but the file declares ${metadata.num_rows}`);
  }
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/**
 * Reads `columns` (and the id column) of a parquet file into a FeatureTable, columns in the requested order
 * (duplicates dropped). Throws DataError for a missing, empty, truncated or corrupt file, for missing columns (all
 * named at once), for non-numeric feature columns, and for data that fails to decode — never a partial table.
 */
export async function readParquetTable(path: string, columns: readonly string[], options: ReadTableOptions = {}): Promise<FeatureTable> {
  const idColumn = options.idColumn ?? 'id';
  const names = unique(columns);
  const { fileSize, metadata } = await openParquet(path, new Set([idColumn, ...names]));
  // Built once: hyparquet's getSchemaPath rebuilds the whole tree per call, quadratic on 2,748 columns.
  const tree = parquetSchema(metadata);
  const children = new Map(tree.children.map((child) => [child.element.name, child]));
  checkSchema(path, metadata, children, names, idColumn);

  const rows = Number(metadata.num_rows);
  const width = names.length;
  const plan = planRead(metadata, tree, children, names, idColumn);
  const ids = new Array<string>(rows);
  const idLeaf = children.get(idColumn)!;
  const idSchema: ChunkColumn = { name: idColumn, element: idLeaf.element, schemaPath: [tree, idLeaf] };

  let decoded;
  try {
    const threads = decodeThreadCount(options.threads, rows * width, plan.blocks.length);
    decoded = await decodeBlocks({ path, fileSize }, plan.blocks, { rows, width }, threads, () => {
      if (plan.failure) return plan.failure;
      return decodeIds(path, fileSize, plan.idTasks, idSchema, ids);
    });
  } catch (error) {
    if (error instanceof DecodeWorkerError) throw error;
    throw new DataError(path, `the parquet data is corrupt and could not be decoded: ${messageOf(error)}`, { cause: error });
  }
  const { failure } = decoded;
  if (failure) throw new DataError(path, failure.problem, { cause: failure.error ?? new Error(failure.cause), columns: failure.columns });
  return { ids, columns: names, rows, values: decoded.values, source: path, decodeThreads: decoded.threads };
}

/** The id column chunk of one row group, numbered in the single-threaded order like the blocks. */
interface IdTask {
  order: number;
  group: number;
  rowStart: number;
  rows: number;
  meta: ColumnMetaData;
}

interface ReadPlan {
  idTasks: IdTask[];
  blocks: BlockTask[];
  /** A footer problem found while planning (a row group without a column's data), at its place in the order. */
  failure?: DecodeFailure;
}

/**
 * The read as numbered tasks, in the order a single thread does them: per row group, the id column, then the feature
 * blocks. A block is up to BLOCK_COLUMNS consecutive columns of the output (the requested order), so the transpose
 * writes each row's part of a block as one run. Blocks in the file's order instead made every read of a block one
 * contiguous range, but a feature list in another order than the file's (the synthetic data's `medium` set, a
 * participant's own list) then scattered each row's writes across the row: 780 of 2,748 columns took 62–73 ms to
 * transpose against 39–47 ms, while reading the scattered chunks costs a few milliseconds more (readRanges still
 * merges neighbours).
 */
function planRead(
  metadata: FileMetaData,
  tree: SchemaTree,
  children: ReadonlyMap<string, SchemaTree>,
  names: readonly string[],
  idColumn: string,
): ReadPlan {
  const plan: ReadPlan = { idTasks: [], blocks: [] };
  let order = 0;
  let rowStart = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const rows = Number(group.num_rows);
    const chunks = new Map<string, ColumnMetaData>();
    for (const chunk of group.columns) {
      if (chunk.meta_data && !chunk.file_path) chunks.set(chunk.meta_data.path_in_schema[0], chunk.meta_data);
    }
    const idMeta = chunks.get(idColumn);
    if (!idMeta) {
      plan.failure = { order, problem: `row group ${g} has no data for the id column "${idColumn}"`, columns: [idColumn], cause: 'missing column chunk' };
      return plan;
    }
    plan.idTasks.push({ order: order++, group: g, rowStart, rows, meta: idMeta });
    const missing = names.find((name) => !chunks.has(name));
    if (missing !== undefined) {
      plan.failure = { order, problem: `row group ${g} has no data for column ${missing}`, columns: [missing], cause: 'missing column chunk' };
      return plan;
    }
    for (let start = 0; start < names.length; start += BLOCK_COLUMNS) {
      const columns: BlockColumn[] = names.slice(start, start + BLOCK_COLUMNS).map((name, c) => ({
        name,
        root: tree.element,
        element: children.get(name)!.element,
        meta: chunks.get(name)!,
        target: start + c,
      }));
      plan.blocks.push({ order: order++, group: g, rowStart, rows, columns });
    }
    rowStart += rows;
  }
  return plan;
}

/** Decodes the id column of every row group into `ids`; returns the first failure instead of throwing. */
function decodeIds(path: string, fileSize: number, tasks: readonly IdTask[], column: ChunkColumn, ids: string[]): DecodeFailure | undefined {
  const fd = openSync(path, 'r');
  try {
    for (const task of tasks) {
      try {
        const [bytes] = readRanges(fd, fileSize, [chunkRange(task.meta)]);
        decodeStringChunk(bytes, column, task.meta, compressors, task.rows, ids, task.rowStart);
      } catch (error) {
        return {
          order: task.order,
          problem: `the id column "${column.name}" could not be decoded (row group ${task.group}): ${messageOf(error)}`,
          columns: [column.name],
          cause: messageOf(error),
          error,
        };
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
