/**
 * Decodes one flat numeric column chunk straight into a Float32Array, page by page.
 *
 * Why not parquetRead for the features: for a nullable (OPTIONAL) column, parquetRead turns each page into a JS
 * array with `null`s (assembleLists) and keeps every chunk alive until the whole call ends. On a 2,748-column live
 * file that was half the read time (assembly + garbage collection) and 8 bytes of JS array per 4-byte float. Here
 * hyparquet's own page-level functions (page header, decompression, definition levels, dictionary indices, plain
 * values) still do the parquet work; only the last step — placing values and NaNs — writes into our typed array.
 * These modules are public subpath exports of hyparquet (`hyparquet/src/*.js`).
 */
import type { ColumnMetaData, CompressionCodec, Compressors, DataReader, DecodedArray, SchemaElement, SchemaTree } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';

/** hyparquet's ColumnDecoder (declared in its internal types, so taken from the function that uses it). */
type ColumnDecoder = Parameters<typeof readDataPage>[2];

export interface NumericColumn {
  name: string;
  element: SchemaElement;
  /** Root → leaf schema path (length 2 for a top-level column). */
  schemaPath: SchemaTree[];
}

/** Values as plain numbers: INT64 pages and dictionaries arrive as BigInt64Array. */
function asNumbers(values: DecodedArray): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Float64Array.from(values, Number);
  return values as ArrayLike<number>;
}

/**
 * Places one page's values into `out` from `offset`: a definition level below `maxDefinition` is a null (NaN);
 * dictionary-encoded pages hold indexes into `dictionary`. Returns the number of rows placed.
 */
function placePage(
  out: Float32Array,
  offset: number,
  rowCount: number,
  definitionLevels: ArrayLike<number>,
  maxDefinition: number,
  values: ArrayLike<number>,
  dictionary: ArrayLike<number> | undefined,
): void {
  const withNulls = definitionLevels.length > 0;
  let k = 0;
  if (dictionary) {
    for (let i = 0; i < rowCount; i++) {
      out[offset + i] = withNulls && definitionLevels[i] !== maxDefinition ? NaN : dictionary[values[k++]];
    }
  } else {
    for (let i = 0; i < rowCount; i++) {
      out[offset + i] = withNulls && definitionLevels[i] !== maxDefinition ? NaN : values[k++];
    }
  }
  if (k > values.length) throw new Error(`a page declares ${k} values but holds ${values.length}`);
}

/**
 * Decodes the column chunk in `bytes` (all its pages) into out[offset … offset + rows). Throws on anything that
 * does not add up — an unknown page type, a chunk that ends early, more values than rows — so a damaged file can
 * never become a silently partial table.
 */
export function decodeNumericChunk(
  bytes: Uint8Array,
  column: NumericColumn,
  meta: ColumnMetaData,
  compressors: Compressors,
  rows: number,
  out: Float32Array,
  offset: number,
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
  let dictionary: ArrayLike<number> | undefined;
  let placed = 0;

  while (placed < rows) {
    if (reader.offset >= bytes.byteLength) throw new Error(`the column chunk ends after ${placed} of ${rows} rows`);
    const header = parquetHeader(reader);
    const size = header.compressed_page_size;
    if (!(size >= 0) || reader.offset + size > bytes.byteLength) throw new Error(`a page of ${size} bytes runs past the end of its column chunk`);
    const compressed = bytes.subarray(reader.offset, reader.offset + size);
    reader.offset += size;

    if (header.type === 'DICTIONARY_PAGE') {
      const count = header.dictionary_page_header?.num_values ?? 0;
      const page = decompressPage(compressed, header.uncompressed_page_size, codec, compressors);
      dictionary = asNumbers(readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, meta.type, count, element.type_length));
      continue;
    }
    let pageRows: number;
    let encoding: string;
    let decoded: { definitionLevels: ArrayLike<number> | undefined; dataPage: DecodedArray };
    if (header.type === 'DATA_PAGE' && header.data_page_header) {
      const daph = header.data_page_header;
      pageRows = daph.num_values;
      encoding = daph.encoding;
      decoded = readDataPage(decompressPage(compressed, header.uncompressed_page_size, codec, compressors), daph, decoder);
    } else if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
      pageRows = header.data_page_header_v2.num_rows;
      encoding = header.data_page_header_v2.encoding;
      decoded = readDataPageV2(compressed, header, decoder);
    } else if (header.type === 'INDEX_PAGE') {
      continue;
    } else {
      throw new Error(`unexpected page type ${header.type}`);
    }
    if (placed + pageRows > rows) throw new Error(`the pages hold more than the row group's ${rows} rows`);
    const usesDictionary = encoding.endsWith('_DICTIONARY');
    if (usesDictionary && !dictionary) throw new Error('a dictionary-encoded page comes without a dictionary page');
    placePage(out, offset + placed, pageRows, decoded.definitionLevels ?? [], maxDefinition, asNumbers(decoded.dataPage), usesDictionary ? dictionary : undefined);
    placed += pageRows;
  }
}
