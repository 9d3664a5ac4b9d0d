/**
 * decodeNumericChunk on column chunks written byte by byte (thrift compact page headers, PLAIN dictionaries,
 * RLE / bit-packed indexes and definition levels, parquet-format's Encodings.md), for the cases a writer never
 * produces: dictionary indexes past the dictionary's end, pages that end before their rows do.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnMetaData, SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { decodeNumericChunk } from '../../src/data/parquet-pages.js';

const I32 = 5;
const STRUCT = 12;

function varint(value: number): number[] {
  const bytes: number[] = [];
  for (let v = value >>> 0; ; v >>>= 7) {
    if (v < 0x80) return [...bytes, v];
    bytes.push((v & 0x7f) | 0x80);
  }
}

/** A thrift compact struct of i32 fields and nested structs, by field id (ascending). */
type Fields = [id: number, value: number | Fields][];
function struct(fields: Fields): number[] {
  const bytes: number[] = [];
  let previous = 0;
  for (const [id, value] of fields) {
    const type = typeof value === 'number' ? I32 : STRUCT;
    bytes.push(((id - previous) << 4) | type);
    bytes.push(...(typeof value === 'number' ? varint((value << 1) ^ (value >> 31)) : struct(value)));
    previous = id;
  }
  return [...bytes, 0];
}

const PLAIN = 0;
const RLE = 3;
const RLE_DICTIONARY = 8;

function dictionaryPage(values: number[]): number[] {
  const body = new Uint8Array(new Int32Array(values).buffer);
  return [...struct([[1, 2], [2, body.length], [3, body.length], [7, [[1, values.length], [2, PLAIN]]]]), ...body];
}

/** A v1 data page: [definition levels,] dictionary indexes as one bit-packed run of `bitWidth`. */
function dataPage(rows: number, indexes: number[], bitWidth: number, levels?: number[]): number[] {
  const body: number[] = [];
  if (levels) {
    const packed = bitPacked(levels, 1);
    body.push(...new Uint8Array(new Uint32Array([packed.length]).buffer), ...packed);
  }
  body.push(bitWidth, ...bitPacked(indexes, bitWidth));
  const header = struct([[1, 0], [2, body.length], [3, body.length], [5, [[1, rows], [2, RLE_DICTIONARY], [3, RLE], [4, RLE]]]]);
  return [...header, ...body];
}

/** One bit-packed run of the hybrid encoding: a header, then groups of 8 values, least significant bits first. */
function bitPacked(values: number[], bitWidth: number): number[] {
  const groups = Math.ceil(values.length / 8);
  const bytes = new Array<number>(groups * bitWidth).fill(0);
  values.forEach((value, i) => {
    for (let b = 0; b < bitWidth; b++) if ((value >> b) & 1) bytes[(i * bitWidth + b) >> 3] |= 1 << ((i * bitWidth + b) & 7);
  });
  return [...varint((groups << 1) | 1), ...bytes];
}

function decode(pages: number[][], rows: number, optional: boolean): Float32Array {
  const bytes = Uint8Array.from(pages.flat());
  const element: SchemaElement = { name: 'feature_a', type: 'INT32', repetition_type: optional ? 'OPTIONAL' : 'REQUIRED' };
  const meta = { type: 'INT32', codec: 'UNCOMPRESSED', path_in_schema: ['feature_a'], encodings: ['PLAIN', 'RLE_DICTIONARY'] } as unknown as ColumnMetaData;
  const schemaPath = [
    { element: { name: 'schema', num_children: 1 }, children: [], count: 1, path: [] },
    { element, children: [], count: 1, path: ['feature_a'] },
  ];
  const out = new Float32Array(rows + 2).fill(-1);
  decodeNumericChunk(bytes, { name: 'feature_a', element, schemaPath }, meta, compressors, rows, out, 1);
  return out;
}

describe('decodeNumericChunk on dictionary pages', () => {
  test('places each index’s dictionary value, and NaN for a null, from the given offset', () => {
    assert.deepEqual([...decode([dictionaryPage([10, 20, 30]), dataPage(8, [0, 1, 2, 2, 1, 0, 0, 1], 2)], 8, false)], [-1, 10, 20, 30, 30, 20, 10, 10, 20, -1]);
    const levels = [1, 0, 1, 1, 0, 1, 1, 1];
    assert.deepEqual([...decode([dictionaryPage([10, 20, 30]), dataPage(8, [2, 1, 0, 1, 2, 0], 2, levels)], 8, true)], [-1, 30, NaN, 20, 10, NaN, 20, 30, 10, -1]);
  });

  test('an index past the end of the dictionary is refused, naming the index and the dictionary size', () => {
    assert.throws(() => decode([dictionaryPage([10, 20]), dataPage(8, [0, 1, 1, 0, 3, 0, 1, 0], 2)], 8, false), /a value refers to entry 3 of a 2-entry dictionary/);
    const levels = [1, 1, 0, 1, 1, 1, 1, 1];
    assert.throws(() => decode([dictionaryPage([10, 20, 30]), dataPage(8, [0, 1, 2, 3, 0, 1, 2], 2, levels)], 8, true), /entry 3 of a 3-entry dictionary/);
  });

  test('a page that ends before an index for each of its rows is refused', () => {
    // Nine rows declared, one bit-packed group of eight indexes written.
    assert.throws(() => decode([dictionaryPage([10, 20]), dataPage(9, [0, 1, 1, 0, 1, 0, 1, 0], 1)], 9, false), /run-length data ends after 8 of 9 values/);
  });
});
