/**
 * Live-file reading: our parquet reader (hyparquet) against DuckDB reading the same columns of the same file into
 * the same row-major Float32Array, on the default synthetic live file (6,720 × 2,748) and one ten times longer,
 * for all features and for the medium (780) set. Each run is a fresh child process, so peak RSS is the case's own
 * (both include the same Node + tsx baseline). Both sides use every core by default (ours: parquet-parallel.ts;
 * DuckDB: its `threads` setting); the threads each used are reported beside the figure. Targets: ours ≤ 0.7×
 * DuckDB's time and ≤ 1.0× its peak memory.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/median.js';
import type { Benchmark, Figure } from './run.js';
import type { ReadCaseResult } from './lib/reader-cases.js';

const cases = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'reader-cases.ts');

const benchmark: Benchmark = {
  name: 'readers',
  async run(ctx) {
    const figures: Figure[] = [];
    for (const dataset of [ctx.datasets.live, ctx.datasets.large]) {
      for (const setName of ['all', 'medium']) {
        const columns = dataset.featuresJson.feature_sets[setName];
        const args = { file: dataset.livePath, columns };
        const label = `${columns.length} features (${setName}) of ${dataset.name} (${dataset.rows} rows)`;
        ctx.log(`  ${label}: hyparquet …`);
        const ours = await ctx.measureInChild<ReadCaseResult>(cases, 'readWithOurReader', args, ctx.repeats);
        ctx.log(`  ${label}: DuckDB …`);
        const duck = await ctx.measureInChild<ReadCaseResult>(cases, 'readWithDuckDB', args, ctx.repeats);
        // Both must have read the same numbers, or the comparison means nothing.
        const a = ours.runs[0].result.checksum;
        const b = duck.runs[0].result.checksum;
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          throw new Error(`readers disagree on ${label}: ours ${JSON.stringify(a)}, DuckDB ${JSON.stringify(b)}`);
        }
        const note = `median of ${ctx.repeats} fresh processes`;
        const threads = { value: ours.runs[0].result.threads, reference: duck.runs[0].result.threads };
        figures.push({
          case: `decode ${label}`,
          metric: 'time',
          unit: 'ms',
          value: median(ours.runs.map((r) => r.result.ms)),
          reference: { name: 'DuckDB', value: median(duck.runs.map((r) => r.result.ms)) },
          target: { maxRatio: 0.7 },
          threads,
          note,
        });
        figures.push({
          case: `decode ${label}`,
          metric: 'peak RSS',
          unit: 'MB',
          value: ours.maxRssMB,
          reference: { name: 'DuckDB', value: duck.maxRssMB },
          target: { maxRatio: 1 },
          threads,
          note,
        });
      }
    }
    return figures;
  },
};

export default benchmark;
