/**
 * Reads a parquet footer, building only the column chunks a read asks for.
 *
 * Why: the footer describes every column chunk of every row group, with its statistics. A live file has 2,756 columns;
 * seven row groups of them are a 2 MB footer, which hyparquet's parquetMetadata turns into some 20,000 chunk objects:
 * 150–300 ms on one thread before the first value is decoded, for a read that may want 780 of the columns. Here
 * hyparquet still reads the rest of the footer (the schema, key/value metadata…: the footer, its row-group list
 * emptied, goes through parquetMetadata); of the row groups, the wanted chunks are built with the fields a read uses
 * (statistics are left out: the reader does not use them) and the others are stepped over without allocating.
 *
 * The thrift compact protocol is the one in Apache Thrift's spec (doc/specs/thrift-compact-protocol.md); the field
 * numbers are parquet.thrift's.
 */
import { parquetMetadata } from 'hyparquet';
import type { ColumnChunk, ColumnMetaData, FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { CompressionCodecs, Encodings, ParquetTypes } from 'hyparquet/src/constants.js';
import { readVarInt, readZigZag, readZigZagBigInt } from 'hyparquet/src/thrift.js';
import type { DataReader } from 'hyparquet';

// Compact protocol element types.
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I16 = 4;
const I32 = 5;
const I64 = 6;
const DOUBLE = 7;
const BINARY = 8;
const LIST = 9;
const SET = 10;
const MAP = 11;
const STRUCT = 12;

/** FileMetaData.row_groups and RowGroup.columns, RowGroup.num_rows… (parquet.thrift). */
const FILE_ROW_GROUPS = 4;
const GROUP_COLUMNS = 1;
const GROUP_FIELDS: Record<number, keyof RowGroup> = { 2: 'total_byte_size', 3: 'num_rows', 5: 'file_offset', 6: 'total_compressed_size', 7: 'ordinal' };

/** Calls `visit` with the id and type of each field of the struct at the reader, up to its STOP; `visit` reads the value. */
function readStruct(reader: DataReader, visit: (id: number, type: number) => void): void {
  for (let id = 0; ; ) {
    const byte = reader.view.getUint8(reader.offset++);
    const type = byte & 0x0f;
    if (type === 0) return;
    const delta = byte >> 4;
    id = delta ? id + delta : readZigZag(reader);
    visit(id, type);
  }
}

function listHeader(reader: DataReader): { size: number; type: number } {
  const byte = reader.view.getUint8(reader.offset++);
  return { size: listSize(reader, byte), type: byte & 0x0f };
}

/** A list's size, from its header byte: in the byte's high nibble, or (15 there) in the varint after it. */
function listSize(reader: DataReader, header: number): number {
  const short = header >> 4;
  return short === 15 ? readVarInt(reader) : short;
}

/**
 * Steps over the fields of a struct, up to its STOP. Like skip, it allocates nothing: it runs for every field of
 * every chunk a read does not want (some 100,000 on a live file), and a closure or header object per struct was
 * 8 MB of garbage per read.
 */
function skipStruct(reader: DataReader): void {
  for (;;) {
    const byte = reader.view.getUint8(reader.offset++);
    const type = byte & 0x0f;
    if (type === 0) return;
    if (byte >> 4 === 0) readZigZag(reader); // a field id in long form
    skip(reader, type);
  }
}

/** Steps over one value of `type`, building nothing. Reading past the footer's end throws (DataView bounds). */
function skip(reader: DataReader, type: number): void {
  switch (type) {
    case TRUE:
    case FALSE:
      return;
    case BYTE:
      reader.offset++;
      return;
    case I16:
    case I32:
    case I64:
      while (reader.view.getUint8(reader.offset++) & 0x80);
      return;
    case DOUBLE:
      reader.offset += 8;
      return;
    case BINARY: {
      const length = readVarInt(reader); // before the +=, which would read the offset first
      reader.offset += length;
      return;
    }
    case LIST:
    case SET: {
      // listHeader's fields without its object: this runs for every list of every chunk stepped over.
      const header = reader.view.getUint8(reader.offset++);
      const size = listSize(reader, header);
      const element = header & 0x0f;
      if (element === TRUE || element === FALSE) reader.offset += size; // booleans in a list take a byte each
      else for (let i = 0; i < size; i++) skip(reader, element);
      return;
    }
    case MAP: {
      const size = readVarInt(reader);
      if (size === 0) return;
      const types = reader.view.getUint8(reader.offset++);
      for (let i = 0; i < size; i++) {
        skip(reader, types >> 4);
        skip(reader, types & 0x0f);
      }
      return;
    }
    case STRUCT:
      skipStruct(reader);
      return;
    default:
      throw new Error(`unknown thrift type ${type} at byte ${reader.offset}`);
  }
}

const utf8 = new TextDecoder();

function readString(reader: DataReader): string {
  const length = readVarInt(reader);
  if (reader.offset + length > reader.view.byteLength) throw new Error(`a string at byte ${reader.offset} runs past the end of the footer`);
  const text = utf8.decode(new Uint8Array(reader.view.buffer, reader.view.byteOffset + reader.offset, length));
  reader.offset += length;
  return text;
}

/** A list of `element`-typed values, each read by `read`; a list of another element type is stepped over. */
function readList<T>(reader: DataReader, element: number, read: () => T): T[] | undefined {
  const { size, type } = listHeader(reader);
  if (type !== element) {
    for (let i = 0; i < size; i++) skip(reader, type);
    return undefined;
  }
  const values = new Array<T>(size);
  for (let i = 0; i < size; i++) values[i] = read();
  return values;
}

/** ColumnMetaData's fields (parquet.thrift) that a read uses, by field id. */
const META_TYPE = 1;
const META_ENCODINGS = 2;
const META_PATH = 3;
const META_CODEC = 4;
const META_SIZES: Record<number, keyof ColumnMetaData> = {
  5: 'num_values',
  6: 'total_uncompressed_size',
  7: 'total_compressed_size',
  9: 'data_page_offset',
  10: 'index_page_offset',
  11: 'dictionary_page_offset',
};

/** hyparquet's ColumnMetaData with the fields a read uses (statistics, encoding stats… are stepped over). */
function readColumnMetaData(reader: DataReader): ColumnMetaData {
  const meta: Record<string, unknown> = {
    type: undefined,
    encodings: undefined,
    path_in_schema: [],
    codec: undefined,
    num_values: undefined,
    total_uncompressed_size: undefined,
    total_compressed_size: undefined,
    data_page_offset: undefined,
    index_page_offset: undefined,
    dictionary_page_offset: undefined,
  };
  readStruct(reader, (id, type) => {
    if (id === META_TYPE && type === I32) meta.type = ParquetTypes[readZigZag(reader)];
    else if (id === META_ENCODINGS && type === LIST) meta.encodings = readList(reader, I32, () => Encodings[readZigZag(reader)]);
    else if (id === META_PATH && type === LIST) meta.path_in_schema = readList(reader, BINARY, () => readString(reader)) ?? [];
    else if (id === META_CODEC && type === I32) meta.codec = CompressionCodecs[readZigZag(reader)];
    else if (META_SIZES[id] && type === I64) meta[META_SIZES[id]] = readZigZagBigInt(reader);
    else skip(reader, type);
  });
  return meta as unknown as ColumnMetaData;
}

/** hyparquet's ColumnChunk: file_path, file_offset and meta_data (the other fields are page indexes and encryption). */
function readColumnChunk(reader: DataReader): ColumnChunk {
  const chunk: Record<string, unknown> = { file_path: undefined, file_offset: undefined, meta_data: undefined };
  readStruct(reader, (id, type) => {
    if (id === 1 && type === BINARY) chunk.file_path = readString(reader);
    else if (id === 2 && type === I64) chunk.file_offset = readZigZagBigInt(reader);
    else if (id === 3 && type === STRUCT) chunk.meta_data = readColumnMetaData(reader);
    else skip(reader, type);
  });
  return chunk as unknown as ColumnChunk;
}

/**
 * For each leaf column of the flat schema list, in schema order (the order of every row group's column chunks):
 * whether it is a top-level column that `wanted` names. A leaf is an element without children.
 */
function wantedLeaves(schema: readonly SchemaElement[], wanted: ReadonlySet<string>): boolean[] {
  const leaves: boolean[] = [];
  let next = 1;
  const visit = (depth: number): void => {
    const element = schema[next++];
    if (!element) throw new Error(`the schema declares more columns than its ${schema.length} elements`);
    if (element.num_children) for (let c = 0; c < element.num_children; c++) visit(depth + 1);
    else leaves.push(depth === 0 && wanted.has(element.name));
  };
  for (let c = 0; c < (schema[0]?.num_children ?? 0); c++) visit(0);
  return leaves;
}

function readRowGroup(reader: DataReader, index: number, wanted: readonly boolean[]): RowGroup {
  const group: Record<string, unknown> = { columns: [] };
  readStruct(reader, (id, type) => {
    if (id === GROUP_COLUMNS && type === LIST) {
      const list = listHeader(reader);
      if (list.type !== STRUCT || list.size !== wanted.length) {
        throw new Error(`row group ${index} lists ${list.size} column chunks for the schema's ${wanted.length} columns`);
      }
      const columns: ColumnChunk[] = [];
      for (let i = 0; i < list.size; i++) {
        if (wanted[i]) columns.push(readColumnChunk(reader));
        else skipStruct(reader);
      }
      group.columns = columns;
    } else if (GROUP_FIELDS[id] && type === I64) {
      group[GROUP_FIELDS[id]] = readZigZagBigInt(reader);
    } else if (GROUP_FIELDS[id] && (type === I16 || type === I32)) {
      group[GROUP_FIELDS[id]] = readZigZag(reader);
    } else {
      skip(reader, type); // sorting columns, and fields newer than this reader
    }
  });
  return group as unknown as RowGroup;
}

/**
 * Parses `footer` (the FileMetaData bytes: what precedes a parquet file's last 8 bytes) into hyparquet's FileMetaData,
 * whose row groups hold only the chunks of the top-level columns `wanted` names. Throws on a footer that does not
 * parse.
 */
export function parquetFooter(footer: Uint8Array, wanted: ReadonlySet<string>): FileMetaData {
  const reader: DataReader = { view: new DataView(footer.buffer, footer.byteOffset, footer.byteLength), offset: 0 };
  // Find the row-group list: everything else is read by hyparquet from a copy of the footer without it.
  let groups: { start: number; end: number } | undefined;
  try {
    readStruct(reader, (id, type) => {
      const start = reader.offset;
      skip(reader, type);
      if (id === FILE_ROW_GROUPS && type === LIST) groups = { start, end: reader.offset };
    });
  } catch (error) {
    // The DataView ends where the footer does: a read past it is a footer cut short, or a length in it that is wrong.
    // This walk steps over every field, so the reads below never go past the end once it is through.
    if (error instanceof RangeError) throw new Error(`the footer ends in the middle of a field (${footer.byteLength} bytes)`, { cause: error });
    throw error;
  }
  if (!groups) throw new Error('the footer has no row groups');

  const rest = new Uint8Array(footer.byteLength - (groups.end - groups.start) + 1 + 8);
  rest.set(footer.subarray(0, groups.start));
  rest[groups.start] = STRUCT; // a list of no structs: size 0 in the high nibble
  rest.set(footer.subarray(groups.end), groups.start + 1);
  const restLength = rest.byteLength - 8;
  new DataView(rest.buffer).setUint32(restLength, restLength, true);
  rest.set([0x50, 0x41, 0x52, 0x31], restLength + 4); // "PAR1"
  const metadata = parquetMetadata(rest);

  const isWanted = wantedLeaves(metadata.schema, wanted);
  reader.offset = groups.start;
  const { size, type } = listHeader(reader);
  if (size > 0 && type !== STRUCT) throw new Error(`the row-group list holds thrift type ${type}, not structs`);
  const row_groups: RowGroup[] = [];
  for (let g = 0; g < size; g++) row_groups.push(readRowGroup(reader, g, isWanted));
  return { ...metadata, row_groups, metadata_length: footer.byteLength };
}
