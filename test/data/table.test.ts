import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnIndexes, copyRows, isIdentity, modelBatches, type FeatureTable } from '../../src/data/table.js';
import { DataError } from '../../src/data/errors.js';

/** 5 rows × 3 columns; cell (r, j) = 10·r + j. */
const table: FeatureTable = {
  ids: ['n0', 'n1', 'n2', 'n3', 'n4'],
  columns: ['a', 'b', 'c'],
  rows: 5,
  values: Float32Array.from({ length: 15 }, (_, k) => 10 * Math.floor(k / 3) + (k % 3)),
  source: '/data/live.parquet',
};

test('columnIndexes maps names to positions in the requested order and names every missing one', () => {
  assert.deepEqual([...columnIndexes(table, ['c', 'a'])], [2, 0]);
  assert.throws(
    () => columnIndexes(table, ['a', 'x', 'y']),
    (error: unknown) =>
      error instanceof DataError &&
      error.file === '/data/live.parquet' &&
      /2 column\(s\) not in the table: x, y/.test(error.message) &&
      error.columns.join() === 'x,y',
  );
  assert.ok(isIdentity(columnIndexes(table, ['a', 'b', 'c']), 3));
  assert.ok(!isIdentity(columnIndexes(table, ['a', 'c', 'b']), 3));
  assert.ok(!isIdentity(columnIndexes(table, ['a', 'b']), 3));
});

test('copyRows copies a row range in the model order, reusing the caller buffer', () => {
  const indexes = columnIndexes(table, ['c', 'a']);
  assert.deepEqual([...copyRows(table, indexes, 1, 3)], [12, 10, 22, 20]);
  const buffer = new Float32Array(10).fill(-1);
  const out = copyRows(table, indexes, 4, 5, buffer);
  assert.equal(out.buffer, buffer.buffer);
  assert.deepEqual([...out], [42, 40]);
  assert.throws(() => copyRows(table, indexes, 3, 6), /row range \[3, 6\) is outside the table's 5 rows/);
  assert.throws(() => copyRows(table, indexes, 0, 5, new Float32Array(3)), /output buffer holds 3 values; 10 are needed/);
});

test('modelBatches yields every row once in bounded batches; views when the order is the table order', () => {
  const buffers = new Set<ArrayBufferLike>();
  // Each batch is consumed before the next is asked for: the buffer is reused.
  const reordered = Array.from(modelBatches(table, ['b', 'c'], 2), (b) => {
    buffers.add(b.values.buffer);
    return { ...b, values: [...b.values] };
  });
  assert.equal(buffers.size, 1);
  assert.deepEqual(reordered, [
    { rowStart: 0, rowEnd: 2, values: [1, 2, 11, 12] },
    { rowStart: 2, rowEnd: 4, values: [21, 22, 31, 32] },
    { rowStart: 4, rowEnd: 5, values: [41, 42] },
  ]);
  const same = [...modelBatches(table, ['a', 'b', 'c'], 3)];
  assert.equal(same.length, 2);
  assert.equal(same[0].values.buffer, table.values.buffer, 'no copy when the model takes the table as it is');
  assert.deepEqual([...same[1].values], [30, 31, 32, 40, 41, 42]);
  assert.throws(() => [...modelBatches(table, ['a'], 0)], /batchRows must be a positive integer/);
});
