/**
 * Reads a parquet footer, building only the column chunks a read asks for.
 *
 * Why: the footer describes every column chunk of every row group, with its statistics. A live file has 2,756 columns;
 * seven row groups of them are a 2 MB footer, which hyparquet's parquetMetadata turns into some 20,000 chunk objects:
 * 150–300 ms on one thread before the first value is decoded, for a read that may want 780 of the columns. Here
 * hyparquet still reads the rest of the footer (the schema, key/value metadata…: the footer, its row-group list
 * emptied, goes through parquetMetadata) and each wanted chunk (its thrift reader); the other chunks are stepped over
 * without building anything, which costs a few milliseconds. Statistics are left out: the reader does not use them.
 *
 * The thrift compact protocol is the one in Apache Thrift's spec (doc/specs/thrift-compact-protocol.md); the field
 * numbers are parquet.thrift's.
 */
import { parquetMetadata, parquetSchema } from 'hyparquet';
import type { ColumnChunk, ColumnMetaData, FileMetaData, RowGroup, SchemaTree } from 'hyparquet';
import { CompressionCodecs, Encodings, ParquetTypes } from 'hyparquet/src/constants.js';
import { deserializeTCompactProtocol, readVarInt, readZigZag, readZigZagBigInt } from 'hyparquet/src/thrift.js';
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
  const short = byte >> 4;
  return { size: short === 15 ? readVarInt(reader) : short, type: byte & 0x0f };
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
      const { size, type: element } = listHeader(reader);
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
      readStruct(reader, (_, field) => skip(reader, field));
      return;
    default:
      throw new Error(`unknown thrift type ${type} at byte ${reader.offset}`);
  }
}

const utf8 = new TextDecoder();

/** hyparquet's ColumnChunk, from the thrift fields of one chunk, without statistics. */
function columnChunk(fields: ReturnType<typeof deserializeTCompactProtocol>): ColumnChunk {
  const meta = fields.field_3;
  const meta_data: ColumnMetaData | undefined = meta && {
    type: ParquetTypes[meta.field_1],
    encodings: meta.field_2?.map((e: number) => Encodings[e]),
    path_in_schema: meta.field_3.map((name: Uint8Array) => utf8.decode(name)),
    codec: CompressionCodecs[meta.field_4],
    num_values: meta.field_5,
    total_uncompressed_size: meta.field_6,
    total_compressed_size: meta.field_7,
    data_page_offset: meta.field_9,
    index_page_offset: meta.field_10,
    dictionary_page_offset: meta.field_11,
  };
  return { file_path: fields.field_1 && utf8.decode(fields.field_1), file_offset: fields.field_2, meta_data };
}

/** The leaf columns' paths in schema order: the order of every row group's column chunks. */
function leafPaths(tree: SchemaTree): string[][] {
  const leaves: string[][] = [];
  const visit = (node: SchemaTree, path: string[]): void => {
    if (node.children.length === 0) leaves.push(path);
    else for (const child of node.children) visit(child, [...path, child.element.name]);
  };
  for (const child of tree.children) visit(child, [child.element.name]);
  return leaves;
}

function readRowGroup(reader: DataReader, index: number, leaves: readonly string[][], wanted: readonly boolean[]): RowGroup {
  const group: Record<string, unknown> = { columns: [] };
  readStruct(reader, (id, type) => {
    if (id === GROUP_COLUMNS && type === LIST) {
      const list = listHeader(reader);
      if (list.type !== STRUCT || list.size !== leaves.length) {
        throw new Error(`row group ${index} lists ${list.size} column chunks for the schema's ${leaves.length} columns`);
      }
      const columns: ColumnChunk[] = [];
      for (let i = 0; i < list.size; i++) {
        if (wanted[i]) columns.push(columnChunk(deserializeTCompactProtocol(reader)));
        else skip(reader, STRUCT);
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
  readStruct(reader, (id, type) => {
    const start = reader.offset;
    skip(reader, type);
    if (id === FILE_ROW_GROUPS && type === LIST) groups = { start, end: reader.offset };
  });
  if (reader.offset > footer.byteLength) throw new Error('the footer ends in the middle of a field');
  if (!groups) throw new Error('the footer has no row groups');

  const rest = new Uint8Array(footer.byteLength - (groups.end - groups.start) + 1 + 8);
  rest.set(footer.subarray(0, groups.start));
  rest[groups.start] = STRUCT; // a list of no structs: size 0 in the high nibble
  rest.set(footer.subarray(groups.end), groups.start + 1);
  const restLength = rest.byteLength - 8;
  new DataView(rest.buffer).setUint32(restLength, restLength, true);
  rest.set([0x50, 0x41, 0x52, 0x31], restLength + 4); // "PAR1"
  const metadata = parquetMetadata(rest);

  const leaves = leafPaths(parquetSchema(metadata));
  const isWanted = leaves.map((path) => path.length === 1 && wanted.has(path[0]));
  reader.offset = groups.start;
  const { size, type } = listHeader(reader);
  if (size > 0 && type !== STRUCT) throw new Error(`the row-group list holds thrift type ${type}, not structs`);
  const row_groups: RowGroup[] = [];
  for (let g = 0; g < size; g++) row_groups.push(readRowGroup(reader, g, leaves, isWanted));
  return { ...metadata, row_groups, metadata_length: footer.byteLength };
}
