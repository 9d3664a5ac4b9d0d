import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRanges, type ReadBuffer } from '../../src/data/parquet-blocks.js';

describe('readRanges', () => {
  let dir: string;
  let fd: number;
  const content = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'read-ranges-'));
    const file = path.join(dir, 'bytes.bin');
    await writeFile(file, content);
    fd = openSync(file, 'r');
  });

  after(async () => {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  // Out of order, neighbours (merged into one read), far apart (read separately), overlapping, empty.
  const ranges = [
    { start: 200_000, end: 200_100 },
    { start: 10, end: 2_000 },
    { start: 2_500, end: 4_000 },
    { start: 3_000, end: 3_500 },
    { start: 120_000, end: 120_000 },
    { start: 299_000, end: 300_000 },
  ];

  test('returns each range’s bytes in input order, with or without reused memory', () => {
    const reuse: ReadBuffer = { bytes: new Uint8Array(0) };
    for (const got of [readRanges(fd, content.length, ranges), readRanges(fd, content.length, ranges, reuse)]) {
      assert.equal(got.length, ranges.length);
      got.forEach((bytes, i) => assert.deepEqual(bytes, content.subarray(ranges[i].start, ranges[i].end), `range ${i}`));
    }
  });

  test('reuses its memory while it is large enough, and grows it when a read needs more', () => {
    const reuse: ReadBuffer = { bytes: new Uint8Array(0) };
    const first = readRanges(fd, content.length, ranges, reuse)[1];
    const memory = reuse.bytes;
    assert.equal(first.buffer, memory.buffer);
    const smaller = readRanges(fd, content.length, [{ start: 5, end: 50 }], reuse)[0];
    assert.equal(reuse.bytes, memory, 'a smaller read reuses the memory');
    assert.equal(smaller.buffer, memory.buffer);
    assert.deepEqual(smaller, content.subarray(5, 50));
    readRanges(fd, content.length, [{ start: 0, end: content.length }], reuse);
    assert.ok(reuse.bytes.length >= content.length && reuse.bytes !== memory, 'a larger read grows it');
  });

  test('a file shorter than the size it was given (cut since) is a read error naming the offset', () => {
    assert.throws(() => readRanges(fd, content.length + 100, [{ start: content.length - 10, end: content.length + 50 }]), /read 10 of 60 bytes at offset 299990/);
  });

  test('a range outside the file is refused before anything is read', () => {
    assert.throws(() => readRanges(fd, content.length, [{ start: 10, end: 20 }, { start: 299_990, end: 300_010 }]), /bytes 299990–300010\) lies outside the 300000-byte file/);
  });
});
