/**
 * Turning raw model outputs into Numerai predictions: ranks into (0, 1), clipping, and the rank-average that
 * combines ensemble members (members on different scales, e.g. a regressor and a classifier's probabilities,
 * contribute by order, not by magnitude).
 */
import type { PostprocessMethod } from './manifest-schema.js';

/** Numerai rejects predictions of exactly 0 or 1; clip keeps this far from both. */
export const CLIP_EPSILON = 1e-6;

/**
 * (r − 0.5) / n for the 1-based rank r of each value, ties given their average rank: strictly inside (0, 1),
 * symmetric around 0.5, and equal values stay equal. NaN is not rankable and must be handled before.
 */
export function rankUniform(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const result = new Float64Array(n);
  if (n === 0) return result;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b]);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    // Positions start..end-1 hold equal values: ranks start+1..end, whose average is (start + 1 + end) / 2.
    const uniform = ((start + 1 + end) / 2 - 0.5) / n;
    for (let k = start; k < end; k++) result[order[k]] = uniform;
    start = end;
  }
  return result;
}

export function clipPredictions(values: ArrayLike<number>): Float64Array {
  const result = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) result[i] = Math.min(1 - CLIP_EPSILON, Math.max(CLIP_EPSILON, values[i]));
  return result;
}

export function postprocess(values: Float64Array, method: PostprocessMethod): Float64Array {
  switch (method) {
    case 'rank':
      return rankUniform(values);
    case 'clip':
      return clipPredictions(values);
    case 'none':
      return values;
  }
}

/** Σ wᵢ · rank(membersᵢ) / Σ wᵢ. */
export function rankAverage(members: readonly { values: ArrayLike<number>; weight: number }[]): Float64Array {
  if (members.length === 0) throw new RangeError('an ensemble needs at least one member');
  const n = members[0].values.length;
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  if (!(total > 0)) throw new RangeError(`ensemble weights must sum to a positive number, got ${total}`);
  const result = new Float64Array(n);
  for (const member of members) {
    if (member.values.length !== n) throw new RangeError(`ensemble members predicted ${member.values.length} and ${n} rows`);
    const ranks = rankUniform(member.values);
    const weight = member.weight / total;
    for (let i = 0; i < n; i++) result[i] += weight * ranks[i];
  }
  return result;
}
