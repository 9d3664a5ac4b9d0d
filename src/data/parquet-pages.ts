/**
 * Decodes one flat column chunk, page by page: numeric columns straight into a Float32Array (nulls as NaN), the
 * id column into strings.
 *
 * Why not parquetRead: for a nullable (OPTIONAL) column, parquetRead turns each page into a JS array with `null`s
 * (assembleLists) and keeps every chunk alive until the whole call ends. On a 2,748-column live file that was half
 * the read time (assembly + garbage collection) and 8 bytes of JS array per 4-byte float. Here hyparquet's own
 * page-level functions (page headers, decompression, plain values, and its general page reader for the less
 * common encodings) still do the parquet work; definition levels and dictionary indexes of the common pages are
 * decoded into reused Int32Arrays (rle.ts), and values are placed directly into the caller's arrays. These
 * modules are public subpath exports of hyparquet (`hyparquet/src/*.js`).
 */
import type { ColumnMetaData, CompressionCodec, Compressors, DataReader, DecodedArray, SchemaElement, SchemaTree } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { MAX_HYBRID_BIT_WIDTH, readHybrid } from './rle.js';

/** hyparquet's ColumnDecoder (declared in its internal types, so taken from the function that uses it). */
type ColumnDecoder = Parameters<typeof readDataPage>[2];

/** A top-level column as hyparquet's page functions need it. */
export interface ChunkColumn {
  name: string;
  element: SchemaElement;
  /** Root → leaf schema path (length 2 for a top-level column). */
  schemaPath: SchemaTree[];
}

export type NumericColumn = ChunkColumn;

/** Values as plain numbers: INT64 pages and dictionaries arrive as BigInt64Array. */
function asNumbers(values: DecodedArray): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Float64Array.from(values, Number);
  return values as ArrayLike<number>;
}

/**
 * Places one page's values into `out` from `offset`: a definition level below `maxDefinition` is a null (NaN);
 * dictionary-encoded pages hold indexes into `dictionary`. This runs once per value of the table, so each case has
 * its own loop, in its own function (each is compiled for its case alone, and none is thrown back to the
 * interpreter when a file's first pages had no nulls and a later one has): the one general loop, testing for nulls
 * and for the dictionary's end at every value, took 2.5 times as long.
 */
function placePage(
  out: Float32Array,
  offset: number,
  rowCount: number,
  definitionLevels: ArrayLike<number> | undefined,
  maxDefinition: number,
  values: ArrayLike<number>,
  valueCount: number,
  dictionary: ArrayLike<number> | undefined,
): void {
  const withNulls = definitionLevels !== undefined && definitionLevels.length > 0;
  if (dictionary) {
    const taken = withNulls
      ? placeDictionaryWithNulls(out, offset, rowCount, definitionLevels, maxDefinition, values, dictionary)
      : placeDictionary(out, offset, rowCount, values, dictionary);
    if (taken < 0) throw new Error(`a value refers to entry ${firstOutside(values, valueCount, dictionary.length)} of a ${dictionary.length}-entry dictionary`);
    if (taken > valueCount) throw new Error(`a page declares ${taken} values but holds ${valueCount}`);
  } else {
    const taken = withNulls ? placeWithNulls(out, offset, rowCount, definitionLevels, maxDefinition, values) : placeAll(out, offset, rowCount, values);
    if (taken > valueCount) throw new Error(`a page declares ${taken} values but holds ${valueCount}`);
  }
}

/*
 * The four loops. Each returns how many of `values` it took (one per row, or one per non-null row); the dictionary
 * ones return -1 when an index lies past the dictionary's end, found by one OR per value (`last - index` is then
 * negative) rather than a branch; the NaN written for it goes nowhere, since the page is refused.
 */

function placeDictionary(out: Float32Array, offset: number, rowCount: number, indexes: ArrayLike<number>, dictionary: ArrayLike<number>): number {
  const last = dictionary.length - 1;
  let outside = 0;
  for (let i = 0; i < rowCount; i++) {
    const index = indexes[i];
    outside |= last - index;
    out[offset + i] = dictionary[index];
  }
  return outside < 0 ? -1 : rowCount;
}

function placeDictionaryWithNulls(
  out: Float32Array,
  offset: number,
  rowCount: number,
  definitionLevels: ArrayLike<number>,
  maxDefinition: number,
  indexes: ArrayLike<number>,
  dictionary: ArrayLike<number>,
): number {
  const last = dictionary.length - 1;
  let outside = 0;
  let k = 0;
  for (let i = 0; i < rowCount; i++) {
    if (definitionLevels[i] === maxDefinition) {
      const index = indexes[k++];
      outside |= last - index;
      out[offset + i] = dictionary[index];
    } else {
      out[offset + i] = NaN;
    }
  }
  return outside < 0 ? -1 : k;
}

function placeAll(out: Float32Array, offset: number, rowCount: number, values: ArrayLike<number>): number {
  for (let i = 0; i < rowCount; i++) out[offset + i] = values[i];
  return rowCount;
}

function placeWithNulls(out: Float32Array, offset: number, rowCount: number, definitionLevels: ArrayLike<number>, maxDefinition: number, values: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < rowCount; i++) out[offset + i] = definitionLevels[i] === maxDefinition ? values[k++] : NaN;
  return k;
}

/** The first of `count` dictionary indexes that is not below `size`, for the error message. */
function firstOutside(indexes: ArrayLike<number>, count: number, size: number): number {
  for (let i = 0; i < count; i++) if (!(indexes[i] < size)) return indexes[i];
  return size;
}

/** Scratch for definition levels and dictionary indexes, reused page after page (decoding is synchronous). */
let levelScratch = new Int32Array(0);
let indexScratch = new Int32Array(0);

function levelsFor(count: number): Int32Array {
  if (levelScratch.length < count) levelScratch = new Int32Array(count);
  return levelScratch;
}

function indexesFor(count: number): Int32Array {
  if (indexScratch.length < count) indexScratch = new Int32Array(count);
  return indexScratch;
}

interface DecodedPage {
  rows: number;
  definitionLevels: ArrayLike<number> | undefined;
  /** Dictionary indexes (Int32Array) or the values themselves, as hyparquet's readPlain returns them. */
  values: DecodedArray;
  valueCount: number;
  dictionaryEncoded: boolean;
}

type PageHeader = ReturnType<typeof parquetHeader>;

/**
 * The common case, decoded without per-page JS arrays: a flat column whose page is dictionary-encoded or PLAIN
 * (what pyarrow, DuckDB and hyparquet-writer write for numeric columns). Returns undefined for anything else,
 * which hyparquet's general page reader then handles.
 */
function decodePageFast(header: PageHeader, compressed: Uint8Array, decoder: ColumnDecoder, maxDefinition: number): DecodedPage | undefined {
  const { codec, compressors, type } = decoder;
  let rows: number;
  let encoding: string;
  let levels: Uint8Array;
  let levelsStart = 0;
  let levelsEnd = 0;
  let values: Uint8Array;
  let valuesStart = 0;
  if (header.type === 'DATA_PAGE' && header.data_page_header) {
    const daph = header.data_page_header;
    if (maxDefinition > 0 && daph.definition_level_encoding !== 'RLE') return undefined;
    rows = daph.num_values;
    encoding = daph.encoding;
    values = levels = decompressPage(compressed, header.uncompressed_page_size, codec, compressors);
    if (maxDefinition > 0) {
      if (levels.length < 4) throw new Error('a data page is too short for its definition levels');
      levelsStart = 4;
      levelsEnd = 4 + new DataView(levels.buffer, levels.byteOffset, levels.byteLength).getUint32(0, true);
      valuesStart = levelsEnd;
    }
  } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
    const d2 = header.data_page_header_v2;
    if (d2.repetition_levels_byte_length) return undefined;
    rows = d2.num_rows;
    encoding = d2.encoding;
    levels = compressed;
    levelsEnd = d2.definition_levels_byte_length;
    const section = compressed.subarray(levelsEnd);
    const size = header.uncompressed_page_size - levelsEnd;
    values = d2.is_compressed !== false && size > 0 ? decompressPage(section, size, codec, compressors) : section;
  } else {
    return undefined;
  }
  const dictionaryEncoded = encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY';
  if (!dictionaryEncoded && encoding !== 'PLAIN') return undefined;
  if (levelsEnd > levels.length || valuesStart > values.length) throw new Error('a page is shorter than its headers say');

  let definitionLevels: Int32Array | undefined;
  let valueCount = rows;
  if (maxDefinition > 0) {
    definitionLevels = levelsFor(rows);
    readHybrid(levels, levelsStart, levelsEnd, 1, rows, definitionLevels);
    valueCount = 0;
    for (let i = 0; i < rows; i++) if (definitionLevels[i] === maxDefinition) valueCount++;
    if (valueCount === rows) definitionLevels = undefined; // no nulls: placement needs no level checks
  }
  if (dictionaryEncoded) {
    const bitWidth = values[valuesStart];
    if (valueCount > 0 && (bitWidth === undefined || bitWidth > MAX_HYBRID_BIT_WIDTH)) return undefined;
    const indexes = indexesFor(valueCount);
    if (valueCount > 0) readHybrid(values, valuesStart + 1, values.length, bitWidth, valueCount, indexes);
    return { rows, definitionLevels, values: indexes, valueCount, dictionaryEncoded };
  }
  const reader: DataReader = { view: new DataView(values.buffer, values.byteOffset, values.byteLength), offset: valuesStart };
  const plain = readPlain(reader, type, valueCount, decoder.element.type_length);
  return { rows, definitionLevels, values: plain, valueCount: plain.length, dictionaryEncoded };
}

/** Any other page, through hyparquet's general reader (other encodings, other level encodings). */
function decodePageGeneral(header: PageHeader, compressed: Uint8Array, decoder: ColumnDecoder): DecodedPage {
  let rows: number;
  let encoding: string;
  let decoded: { definitionLevels: ArrayLike<number> | undefined; dataPage: DecodedArray };
  if (header.type === 'DATA_PAGE' && header.data_page_header) {
    const daph = header.data_page_header;
    rows = daph.num_values;
    encoding = daph.encoding;
    decoded = readDataPage(decompressPage(compressed, header.uncompressed_page_size, decoder.codec, decoder.compressors), daph, decoder);
  } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
    rows = header.data_page_header_v2.num_rows;
    encoding = header.data_page_header_v2.encoding;
    decoded = readDataPageV2(compressed, header, decoder);
  } else {
    throw new Error(`unexpected page type ${header.type}`);
  }
  const values = decoded.dataPage;
  return { rows, definitionLevels: decoded.definitionLevels, values, valueCount: values.length, dictionaryEncoded: encoding.endsWith('_DICTIONARY') };
}

/**
 * Walks the pages of the column chunk in `bytes` until `rows` rows are seen: the dictionary page goes to
 * `onDictionary` (raw, as readPlain returns it), each data page to `onPage` with the row it starts at. Throws on
 * anything that does not add up — an unknown page type, a chunk that ends early, more values than rows — so a
 * damaged file can never become a silently partial table.
 */
function walkChunk(
  bytes: Uint8Array,
  column: ChunkColumn,
  meta: ColumnMetaData,
  compressors: Compressors,
  rows: number,
  onDictionary: (values: DecodedArray) => void,
  onPage: (page: DecodedPage, rowStart: number, maxDefinition: number) => void,
): void {
  const { element, schemaPath } = column;
  const codec: CompressionCodec = meta.codec;
  const decoder: ColumnDecoder = {
    pathInSchema: meta.path_in_schema,
    type: meta.type,
    element,
    schemaPath,
    codec,
    parsers: DEFAULT_PARSERS,
    compressors,
  };
  const maxDefinition = element.repetition_type === 'REQUIRED' ? 0 : 1;
  const reader: DataReader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let hasDictionary = false;
  let placed = 0;

  while (placed < rows) {
    if (reader.offset >= bytes.byteLength) throw new Error(`the column chunk ends after ${placed} of ${rows} rows`);
    const headerAt = reader.offset;
    const header = parquetHeader(reader);
    const size = header.compressed_page_size;
    if (!Number.isInteger(size) || size < 0) {
      throw new Error(`the page header at byte ${headerAt} of the column chunk has no valid page size (${String(size)}): the chunk is corrupt`);
    }
    if (reader.offset + size > bytes.byteLength) {
      throw new Error(`a page of ${size} bytes at byte ${reader.offset} runs past the end of its column chunk (${bytes.byteLength} bytes)`);
    }
    const compressed = bytes.subarray(reader.offset, reader.offset + size);
    reader.offset += size;

    if (header.type === 'DICTIONARY_PAGE') {
      const count = header.dictionary_page_header?.num_values ?? 0;
      const page = decompressPage(compressed, header.uncompressed_page_size, codec, compressors);
      onDictionary(readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, meta.type, count, element.type_length));
      hasDictionary = true;
      continue;
    }
    if (header.type === 'INDEX_PAGE') continue;
    const page = decodePageFast(header, compressed, decoder, maxDefinition) ?? decodePageGeneral(header, compressed, decoder);
    if (placed + page.rows > rows) throw new Error(`the pages hold more than the row group's ${rows} rows`);
    if (page.dictionaryEncoded && !hasDictionary) throw new Error('a dictionary-encoded page comes without a dictionary page');
    onPage(page, placed, maxDefinition);
    placed += page.rows;
  }
}

/** Decodes a numeric column chunk into out[offset … offset + rows); nulls become NaN. */
export function decodeNumericChunk(
  bytes: Uint8Array,
  column: NumericColumn,
  meta: ColumnMetaData,
  compressors: Compressors,
  rows: number,
  out: Float32Array,
  offset: number,
): void {
  let dictionary: ArrayLike<number> | undefined;
  walkChunk(
    bytes,
    column,
    meta,
    compressors,
    rows,
    (values) => {
      dictionary = asNumbers(values);
    },
    (page, rowStart, maxDefinition) => {
      const values = page.dictionaryEncoded ? (page.values as ArrayLike<number>) : asNumbers(page.values);
      placePage(out, offset + rowStart, page.rows, page.definitionLevels, maxDefinition, values, page.valueCount, page.dictionaryEncoded ? dictionary : undefined);
    },
  );
}

const utf8 = new TextDecoder();

function asString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return utf8.decode(value);
  throw new Error(`expected a string value, got ${typeof value}`);
}

/**
 * Decodes a string (BYTE_ARRAY) column chunk — the row ids — into out[offset … offset + rows). A null is refused:
 * every live row needs its id.
 */
export function decodeStringChunk(
  bytes: Uint8Array,
  column: ChunkColumn,
  meta: ColumnMetaData,
  compressors: Compressors,
  rows: number,
  out: string[],
  offset: number,
): void {
  let dictionary: string[] = [];
  walkChunk(
    bytes,
    column,
    meta,
    compressors,
    rows,
    (values) => {
      dictionary = Array.from(values as ArrayLike<unknown>, asString);
    },
    (page, rowStart, maxDefinition) => {
      if (page.valueCount !== page.rows) {
        const levels = page.definitionLevels ?? [];
        let i = 0;
        while (i < page.rows && levels[i] === maxDefinition) i++;
        throw new Error(`row ${offset + rowStart + i} has no value`);
      }
      const values = page.values as ArrayLike<unknown>;
      for (let i = 0; i < page.rows; i++) {
        if (page.dictionaryEncoded) {
          const index = values[i] as number;
          if (!(index < dictionary.length)) throw new Error(`a value refers to entry ${index} of a ${dictionary.length}-entry dictionary`);
          out[offset + rowStart + i] = dictionary[index];
        } else {
          out[offset + rowStart + i] = asString(values[i]);
        }
      }
    },
  );
}
