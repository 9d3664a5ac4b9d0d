/**
 * Reads the live parquet file into a FeatureTable with hyparquet: only the requested columns (plus the id), column
 * chunk by column chunk (`onChunk`, never row objects), straight into one row-major Float32Array.
 *
 * Memory: hyparquet keeps every decoded chunk of one parquetRead call alive until the call ends, as JS arrays
 * (8 bytes a value, more than the 4-byte float it becomes). Reading one row group and COLUMN_BATCH columns per call
 * bounds that overhead to a slice of the file, so peak memory is the output matrix plus a small constant, whatever
 * the file's width or length.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData, SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataError, listNames, messageOf } from './errors.js';
import type { FeatureTable } from './table.js';

export interface ReadTableOptions {
  /** The row-id column. Default "id". */
  idColumn?: string;
}

/** Columns decoded per parquetRead call (see the module comment). */
const COLUMN_BATCH = 128;

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

async function openParquet(path: string): Promise<{ file: AsyncBuffer; metadata: FileMetaData }> {
  let file: AsyncBuffer;
  try {
    file = await asyncBufferFromFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(path, code === 'ENOENT' ? 'file not found' : `cannot open the file: ${messageOf(error)}`, { cause: error });
  }
  if (file.byteLength === 0) throw new DataError(path, 'the file is empty (0 bytes); expected a parquet file');
  if (file.byteLength < MIN_PARQUET_BYTES) {
    throw new DataError(path, `the file is ${file.byteLength} bytes long, too short to be parquet (truncated download?)`);
  }
  const [head, tail] = await Promise.all([file.slice(0, 4), file.slice(file.byteLength - 4)]);
  const decoder = new TextDecoder('latin1');
  if (decoder.decode(head) !== MAGIC) throw new DataError(path, 'not a parquet file (it does not start with "PAR1")');
  if (decoder.decode(tail) !== MAGIC) {
    throw new DataError(path, 'the parquet file is truncated or corrupt (it does not end with "PAR1")');
  }
  try {
    return { file, metadata: await parquetMetadataAsync(file) };
  } catch (error) {
    throw new DataError(path, `the parquet footer is corrupt: ${messageOf(error)}`, { cause: error });
  }
}

/** Checks, from the footer alone, that every requested column exists and is numeric, and that the id is text. */
function checkSchema(path: string, metadata: FileMetaData, columns: readonly string[], idColumn: string): void {
  const elements = new Map<string, SchemaElement>();
  for (const child of parquetSchema(metadata).children) elements.set(child.element.name, child.element);

  const missing = [idColumn, ...columns].filter((name) => !elements.has(name));
  if (missing.length > 0) {
    throw new DataError(path, `${missing.length} requested column(s) are not in the file: ${listNames(missing)}`, { columns: missing });
  }
  const id = elements.get(idColumn)!;
  if (!isString(id)) {
    throw new DataError(path, `the id column "${idColumn}" holds ${describeType(id)}; expected strings (BYTE_ARRAY)`, {
      columns: [idColumn],
    });
  }
  const wrong = columns.filter((name) => !isNumeric(elements.get(name)!));
  if (wrong.length > 0) {
    const described = wrong.map((name) => `${name} (${describeType(elements.get(name)!)})`);
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

/** Writes one decoded chunk into column `j` of the row-major matrix; nulls become NaN. */
function fillColumn(values: Float32Array, width: number, j: number, rowStart: number, data: ArrayLike<unknown>): void {
  let o = rowStart * width + j;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++, o += width) values[o] = Number(data[i]);
  } else if (ArrayBuffer.isView(data)) {
    const typed = data as unknown as ArrayLike<number>;
    for (let i = 0; i < typed.length; i++, o += width) values[o] = typed[i];
  } else {
    const array = data as ArrayLike<number | bigint | null | undefined>;
    for (let i = 0; i < array.length; i++, o += width) {
      const v = array[i];
      values[o] = v == null ? NaN : Number(v);
    }
  }
}

/**
 * Reads `columns` (and the id column) of a parquet file into a FeatureTable, columns in the requested order
 * (duplicates dropped). Throws DataError for a missing, empty, truncated or corrupt file, for missing columns (all
 * named at once), for non-numeric feature columns, and for data that fails to decode — never a partial table.
 */
export async function readParquetTable(path: string, columns: readonly string[], options: ReadTableOptions = {}): Promise<FeatureTable> {
  const idColumn = options.idColumn ?? 'id';
  const names = unique(columns);
  const { file, metadata } = await openParquet(path);
  checkSchema(path, metadata, names, idColumn);

  const rows = Number(metadata.num_rows);
  const width = names.length;
  const values = new Float32Array(rows * width);
  const ids = new Array<string>(rows);
  const position = new Map(names.map((name, j) => [name, j]));
  // Rows delivered per column (index `width` is the id): checked at the end so a short read can't pass silently.
  const delivered = new Float64Array(width + 1);

  const onChunk = ({ columnName, columnData, rowStart }: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number }) => {
    if (columnName === idColumn) {
      for (let i = 0; i < columnData.length; i++) {
        const id = columnData[i];
        if (typeof id !== 'string' || id === '') throw new DataError(path, `row ${rowStart + i} has no id in column "${idColumn}"`);
        ids[rowStart + i] = id;
      }
      delivered[width] += columnData.length;
      return;
    }
    const j = position.get(columnName);
    if (j === undefined) return;
    fillColumn(values, width, j, rowStart, columnData);
    delivered[j] += columnData.length;
  };

  let groupStart = 0;
  try {
    for (const group of metadata.row_groups) {
      const groupEnd = groupStart + Number(group.num_rows);
      for (let b = 0; b < Math.max(1, names.length); b += COLUMN_BATCH) {
        const batch = names.slice(b, b + COLUMN_BATCH);
        await parquetRead({
          file,
          metadata,
          compressors,
          columns: b === 0 ? [idColumn, ...batch] : batch,
          rowStart: groupStart,
          rowEnd: groupEnd,
          onChunk,
        });
      }
      groupStart = groupEnd;
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(path, `the parquet data is corrupt and could not be decoded: ${messageOf(error)}`, { cause: error });
  }

  const short = [...names, idColumn].filter((_, j) => delivered[j] !== rows);
  if (short.length > 0) {
    throw new DataError(path, `the file declares ${rows} rows but column(s) ${listNames(short)} decoded to a different count`, {
      columns: short,
    });
  }
  return { ids, columns: names, rows, values, source: path };
}
