import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { readHybrid } from '../../src/data/rle.js';
import { Prng } from '../../src/sandbox/synthetic/prng.js';

function encode(values: number[], bitWidth: number): Uint8Array {
  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, values, bitWidth);
  return writer.getBytes();
}

test('decodes what a parquet writer encodes, for every bit width and mix of runs', () => {
  const prng = new Prng(99);
  for (let bitWidth = 1; bitWidth <= 24; bitWidth++) {
    const values: number[] = [];
    while (values.length < 1000) {
      const value = prng.below(2 ** bitWidth);
      // Long repeats become RLE runs, short ones bit-packed groups.
      const repeat = prng.below(4) === 0 ? 8 + prng.below(30) : 1;
      for (let i = 0; i < repeat; i++) values.push(value);
    }
    const bytes = encode(values, bitWidth);
    const out = new Int32Array(values.length);
    const end = readHybrid(bytes, 0, bytes.length, bitWidth, values.length, out);
    assert.deepEqual([...out], values, `bit width ${bitWidth}`);
    assert.equal(end, bytes.length);
  }
});

test('hand-made runs: an RLE run, a bit-packed run only partly needed, and width 0', () => {
  // RLE run of 5 × value 3 (header 5 << 1), then a bit-packed group (header 1 << 1 | 1) of 8 values at width 2.
  const bytes = Uint8Array.of(0x0a, 0x03, 0x03, 0b11100100, 0b00011011);
  const out = new Int32Array(10);
  const end = readHybrid(bytes, 0, bytes.length, 2, 10, out);
  assert.deepEqual([...out], [3, 3, 3, 3, 3, 0, 1, 2, 3, 3]);
  assert.equal(end, bytes.length, 'a run is consumed whole even when only part of it is needed');
  assert.equal(readHybrid(bytes, 0, 0, 0, 4, out), 0);
  assert.deepEqual([...out.subarray(0, 4)], [0, 0, 0, 0]);
});

test('data that ends too early throws instead of leaving values undefined', () => {
  const bytes = encode([1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0], 3);
  assert.throws(() => readHybrid(bytes, 0, bytes.length - 1, 3, 16, new Int32Array(16)), /goes past the end/);
  assert.throws(() => readHybrid(bytes, 0, bytes.length, 3, 40, new Int32Array(40)), /ends after 16 of 40 values/);
  assert.throws(() => readHybrid(bytes, 0, bytes.length, 25, 1, new Int32Array(1)), /unsupported bit width 25/);
});
