import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { balancedBatchRows, defaultBatchRows } from '../../src/models/inference.js';
import { CLIP_EPSILON, clipPredictions, postprocess, rankAverage, rankUniform } from '../../src/models/index.js';
import { naiveRank } from './helpers.js';

describe('rankUniform', () => {
  test('(r − 0.5) / n, strictly inside (0, 1)', () => {
    assert.deepEqual(Array.from(rankUniform([30, 10, 20, 40])), [0.625, 0.125, 0.375, 0.875]);
    assert.deepEqual(Array.from(rankUniform([5])), [0.5]);
    assert.equal(rankUniform([]).length, 0);
  });

  test('ties share their average rank', () => {
    assert.deepEqual(Array.from(rankUniform([1, 2, 2, 3])), [0.125, 0.5, 0.5, 0.875]);
    assert.deepEqual(Array.from(rankUniform([7, 7, 7])), [0.5, 0.5, 0.5]);
  });

  test('agrees with an independent O(n²) ranking on many ties and negative values', () => {
    let state = 12345;
    const values = Array.from({ length: 500 }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state % 37) - 18;
    });
    const ranks = rankUniform(values);
    assert.deepEqual(Array.from(ranks), naiveRank(values));
    assert.ok(ranks.every((r) => r > 0 && r < 1));
  });
});

describe('clip and none', () => {
  test('clip bounds to [1e-6, 1 − 1e-6] and keeps values inside', () => {
    assert.deepEqual(Array.from(clipPredictions([-1, 0, 0.3, 1, 2])), [CLIP_EPSILON, CLIP_EPSILON, 0.3, 1 - CLIP_EPSILON, 1 - CLIP_EPSILON]);
  });

  test('postprocess dispatches; none returns the values unchanged', () => {
    const values = Float64Array.from([0.2, 0.1]);
    assert.equal(postprocess(values, 'none'), values);
    assert.deepEqual(Array.from(postprocess(values, 'rank')), [0.75, 0.25]);
    assert.deepEqual(Array.from(postprocess(Float64Array.from([1.5]), 'clip')), [1 - CLIP_EPSILON]);
  });
});

describe('rankAverage', () => {
  test('members contribute by rank, not by scale, with normalised weights', () => {
    const a = { values: [1, 2, 3, 4], weight: 3 };
    const b = { values: [4000, 3000, 2000, 1000], weight: 1 };
    const expected = naiveRank(a.values).map((r, i) => 0.75 * r + 0.25 * naiveRank(b.values)[i]);
    assert.deepEqual(Array.from(rankAverage([a, b])), expected);
  });

  test('refuses weights that do not sum to a positive number and members of different lengths', () => {
    assert.throws(() => rankAverage([{ values: [1], weight: 1 }, { values: [2], weight: -1 }]), /sum to a positive number/);
    assert.throws(() => rankAverage([{ values: [1, 2], weight: 1 }, { values: [2], weight: 1 }]), /predicted 1 and 2 rows/);
  });
});

describe('balancedBatchRows', () => {
  test('spreads rows evenly over the fewest batches of at most batchRows', () => {
    assert.equal(balancedBatchRows(1025, 1024), 513);
    assert.equal(balancedBatchRows(6720, 1024), 960);
    assert.equal(balancedBatchRows(100, 1024), 100);
    assert.equal(balancedBatchRows(0, 1024), 1);
    assert.throws(() => balancedBatchRows(10, 0), /positive integer/);
  });

  test('default batch: 16 MiB of float32 rows, at least 1,024 rows', () => {
    assert.equal(defaultBatchRows(2748), 1526);
    assert.equal(defaultBatchRows(42), 99_864);
    assert.equal(defaultBatchRows(100_000), 1024);
  });
});
