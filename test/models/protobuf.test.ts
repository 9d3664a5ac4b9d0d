/**
 * The protobuf reader's numbers at the edges of its two varint paths (four bytes or fewer in int arithmetic, longer
 * ones in float arithmetic), against an encoder written from the wire format's definition.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pushVarints, readFields } from '../../src/models/protobuf.js';

/** Base-128, least significant group first, the high bit set on every byte but the last. */
function encodeVarint(value: bigint): number[] {
  const out: number[] = [];
  do {
    const group = Number(value & 0x7fn);
    value >>= 7n;
    out.push(value > 0n ? group | 0x80 : group);
  } while (value > 0n);
  return out;
}

const EDGES = [0n, 1n, 127n, 128n, 16_383n, 16_384n, 2n ** 21n - 1n, 2n ** 21n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n];

test('varints decode exactly on both sides of each byte length, packed and as fields', () => {
  const packed: number[] = [];
  pushVarints(Uint8Array.from(EDGES.flatMap(encodeVarint)), packed);
  assert.deepEqual(packed, EDGES.map(Number));

  // Field 8 (ONNX's AttributeProto.ints), wire type 0, once per value: its key is one byte, 8 << 3.
  const fields = Uint8Array.from(EDGES.flatMap((value) => [8 << 3, ...encodeVarint(value)]));
  const seen: number[] = [];
  readFields(fields, (field, value, end) => {
    assert.equal(field, 8);
    assert.equal(end, -1);
    seen.push(value);
  });
  assert.deepEqual(seen, EDGES.map(Number));
});

test('a negative int64 (ten bytes on the wire) comes back as its unsigned value, and a cut one says where it stops', () => {
  const minusOne = encodeVarint(2n ** 64n - 1n);
  assert.equal(minusOne.length, 10);
  const out: number[] = [];
  pushVarints(Uint8Array.from(minusOne), out);
  assert.deepEqual(out, [2 ** 64]);
  assert.throws(() => pushVarints(Uint8Array.from(minusOne.slice(0, 6)), []), /a number runs past the end of its message \(byte 6\)/);
  assert.throws(() => pushVarints(Uint8Array.from([0x80, 0x80]), []), /a number runs past the end of its message \(byte 2\)/);
  assert.throws(() => pushVarints(Uint8Array.from(new Array(11).fill(0x80).concat([1])), []), /a number longer than 10 bytes/);
});
