/**
 * The median of the measurements of one figure. Its own module: the case modules that run in fresh child processes
 * import it, and importing the harness (run.ts) instead would load its dataset generator into every child and into
 * the peak RSS that child measures.
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
