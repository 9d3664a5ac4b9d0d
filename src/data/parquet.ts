/**
 * Reads the live parquet file into a FeatureTable: only the requested columns (plus the id), straight into one
 * row-major Float32Array, with hyparquet doing the parquet decoding.
 *
 * The footer is checked first (missing columns all named, non-numeric ones refused) so a bad request costs no
 * data read. Feature columns are then decoded page by page (parquet-pages.ts) a block of columns at a time, in
 * file order (one contiguous read per block): each block is decoded column-major into a small scratch buffer and
 * transposed into the output, so writes stay cache-friendly and peak memory is the output matrix plus one block,
 * whatever the file's width or length.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, ColumnMetaData, FileMetaData, SchemaElement, SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { decodeNumericChunk, decodeStringChunk, type ChunkColumn, type NumericColumn } from './parquet-pages.js';
import { DataError, fileAccessError, listNames, messageOf } from './errors.js';
import type { FeatureTable } from './table.js';

export interface ReadTableOptions {
  /** The row-id column. Default "id". */
  idColumn?: string;
}

/** Columns decoded per block (see the module comment): 64 floats of a row are one 256-byte write. */
const BLOCK_COLUMNS = 64;
/** Column chunks closer than this in the file are fetched in one read. */
const READ_GAP_BYTES = 64 * 1024;
/** Upper bound of one read, so a huge row group never needs one huge buffer. */
const MAX_READ_BYTES = 16 * 1024 * 1024;

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
    throw fileAccessError(path, error, 'open');
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

interface ByteRange {
  start: number;
  end: number;
}

function chunkRange(meta: ColumnMetaData): ByteRange {
  const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
  return { start, end: start + Number(meta.total_compressed_size) };
}

/** Reads the byte ranges (merging neighbours into one read) and returns each range's bytes, in input order. */
async function readRanges(handle: FileHandle, fileSize: number, ranges: readonly ByteRange[]): Promise<Uint8Array[]> {
  for (const { start, end } of ranges) {
    if (!(start >= 0 && end >= start && end <= fileSize)) throw new Error(`a column chunk (bytes ${start}–${end}) lies outside the ${fileSize}-byte file`);
  }
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].start - ranges[b].start);
  const result = new Array<Uint8Array>(ranges.length);
  let i = 0;
  while (i < order.length) {
    const span = { start: ranges[order[i]].start, end: ranges[order[i]].end };
    let j = i + 1;
    while (j < order.length) {
      const next = ranges[order[j]];
      if (next.start - span.end > READ_GAP_BYTES || Math.max(span.end, next.end) - span.start > MAX_READ_BYTES) break;
      span.end = Math.max(span.end, next.end);
      j++;
    }
    const buffer = new Uint8Array(span.end - span.start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, span.start);
    if (bytesRead !== buffer.length) throw new Error(`read ${bytesRead} of ${buffer.length} bytes at offset ${span.start}`);
    for (let k = i; k < j; k++) {
      const range = ranges[order[k]];
      result[order[k]] = buffer.subarray(range.start - span.start, range.end - span.start);
    }
    i = j;
  }
  return result;
}

/** Rows per transpose tile: a tile of one block (64 rows × 64 columns) stays in the CPU cache. */
const TILE_ROWS = 64;

/**
 * Copies a column-major block (block.length columns × rows) into the row-major output: block column c goes to
 * output column targets[c], rows from rowStart. Tile by tile, so reads and strided writes stay within cache.
 */
function transposeInto(values: Float32Array, width: number, rowStart: number, targets: Int32Array, block: Float32Array, rows: number): void {
  for (let r0 = 0; r0 < rows; r0 += TILE_ROWS) {
    const r1 = Math.min(rows, r0 + TILE_ROWS);
    for (let c = 0; c < targets.length; c++) {
      const source = c * rows;
      let o = (rowStart + r0) * width + targets[c];
      for (let r = r0; r < r1; r++, o += width) values[o] = block[source + r];
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
  // Built once: hyparquet's getSchemaPath rebuilds the whole tree per call, quadratic on 2,748 columns.
  const tree = parquetSchema(metadata);
  const children = new Map(tree.children.map((child) => [child.element.name, child]));
  checkSchema(path, metadata, children, names, idColumn);

  const rows = Number(metadata.num_rows);
  const width = names.length;
  const values = new Float32Array(rows * width);
  const numericColumns: NumericColumn[] = names.map((name) => {
    const leaf = children.get(name)!;
    return { name, element: leaf.element, schemaPath: [tree, leaf] };
  });

  const idLeaf = children.get(idColumn)!;
  const idSchema: ChunkColumn = { name: idColumn, element: idLeaf.element, schemaPath: [tree, idLeaf] };
  const ids = new Array<string>(rows);
  const handle = await open(path, 'r');
  try {
    let scratch = new Float32Array(0);
    let groupStart = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const groupRows = Number(group.num_rows);
      const chunks = new Map<string, ColumnMetaData>();
      for (const chunk of group.columns) {
        if (chunk.meta_data && !chunk.file_path) chunks.set(chunk.meta_data.path_in_schema[0], chunk.meta_data);
      }
      const idMeta = chunks.get(idColumn);
      if (!idMeta) throw new DataError(path, `row group ${g} has no data for the id column "${idColumn}"`, { columns: [idColumn] });
      const [idBytes] = await readRanges(handle, file.byteLength, [chunkRange(idMeta)]);
      try {
        decodeStringChunk(idBytes, idSchema, idMeta, compressors, groupRows, ids, groupStart);
      } catch (error) {
        throw new DataError(path, `the id column "${idColumn}" could not be decoded (row group ${g}): ${messageOf(error)}`, {
          cause: error,
          columns: [idColumn],
        });
      }
      const metas = numericColumns.map((column) => {
        const meta = chunks.get(column.name);
        if (!meta) throw new DataError(path, `row group ${g} has no data for column ${column.name}`, { columns: [column.name] });
        return meta;
      });
      // Blocks follow the file's order, not the requested one, so each block is one contiguous read even when a
      // feature set lists its columns in another order; transposeInto puts each column at its requested place.
      const fileOrder = Int32Array.from(numericColumns.keys()).sort((a, b) => chunkRange(metas[a]).start - chunkRange(metas[b]).start);
      for (let blockStart = 0; blockStart < width; blockStart += BLOCK_COLUMNS) {
        const targets = fileOrder.subarray(blockStart, blockStart + BLOCK_COLUMNS);
        const bytes = await readRanges(handle, file.byteLength, Array.from(targets, (j) => chunkRange(metas[j])));
        if (scratch.length < targets.length * groupRows) scratch = new Float32Array(targets.length * groupRows);
        targets.forEach((j, c) => {
          const column = numericColumns[j];
          try {
            decodeNumericChunk(bytes[c], column, metas[j], compressors, groupRows, scratch, c * groupRows);
          } catch (error) {
            throw new DataError(path, `the parquet data is corrupt and could not be decoded (column ${column.name}, row group ${g}): ${messageOf(error)}`, {
              cause: error,
              columns: [column.name],
            });
          }
        });
        transposeInto(values, width, groupStart, targets, scratch, groupRows);
      }
      groupStart += groupRows;
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(path, `the parquet data is corrupt and could not be decoded: ${messageOf(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
  return { ids, columns: names, rows, values, source: path };
}
