import type { PredictionStats } from './report.js';

/**
 * Mean, population standard deviation, min and max of the finite predictions, in one pass (Welford), plus how many
 * were not finite. With no finite value at all the figures are NaN (null in the JSON report).
 */
export function predictionStats(values: ArrayLike<number>): PredictionStats {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) {
      nonFinite++;
      continue;
    }
    count++;
    const delta = value - mean;
    mean += delta / count;
    m2 += delta * (value - mean);
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (count === 0) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, nonFinite };
  const stats: PredictionStats = { mean, std: Math.sqrt(m2 / count), min, max };
  if (nonFinite > 0) stats.nonFinite = nonFinite;
  return stats;
}
