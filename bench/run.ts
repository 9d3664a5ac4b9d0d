/**
 * The benchmark harness: `npm run bench` (add `-- --json` for one JSON object, `-- --repeats 5`, `-- --only readers`).
 *
 * It prepares the synthetic live files once (cached outside the repo), discovers every `bench/*.bench.ts`, runs
 * each, and prints every figure with its ratio against a reference measured in the same run, and the target.
 *
 * ## Contract for a benchmark module (`bench/<name>.bench.ts`)
 *
 * ```ts
 * import type { Benchmark } from './run.js';
 * const benchmark: Benchmark = {
 *   name: 'inference',
 *   async run(ctx) {
 *     // ctx.datasets.live / ctx.datasets.large: prepared files (livePath, featuresJsonPath, featuresJson, rows, features)
 *     // ctx.measureInChild(modulePath, exportName, args, repeats?): runs `export async function exportName(args)` of
 *     //   modulePath in fresh child processes (tsx loaded, under the Node of lib/case-node.ts), and returns per-run
 *     //   and median wall time, peak RSS and the function's JSON-serialisable result (e.g. a time it measured itself
 *     //   around just the work).
 *     return [figure, …];
 *   },
 * };
 * export default benchmark;
 * ```
 *
 * A Figure is one number (a time or a memory peak) with, when it has one, the reference it is compared with
 * (measured in the same run, on the same machine) and the target ratio `value / reference ≤ maxRatio`, or an
 * absolute target `value ≤ max`. Ratios, not absolute numbers, are what carry across machines.
 */
import { execFileSync, fork } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir, prepareDataset, type PreparedDataset } from './lib/datasets.js';
import { caseNode } from './lib/case-node.js';
import { median } from './lib/median.js';

export interface Figure {
  /** Which benchmark produced it (filled in by the harness). */
  benchmark?: string;
  /** What was measured, e.g. "read 2748 features of live (6720 rows)". */
  case: string;
  metric: 'time' | 'peak RSS' | string;
  value: number;
  unit: 'ms' | 'MB' | string;
  /** The comparison measured in the same run. */
  reference?: { name: string; value: number };
  /** Target: value / reference.value ≤ maxRatio, and/or value ≤ max. */
  target?: { maxRatio?: number; max?: number };
  /** Threads each side used, when the case is about parallel work. */
  threads?: { value: number; reference?: number };
  /** Free-form notes, e.g. repeats. */
  note?: string;
  /** Why the figure could not be measured in this run (value is then NaN). */
  skipped?: string;
}

export interface ChildRun<R> {
  wallMs: number;
  maxRssMB: number;
  result: R;
}

export interface ChildMeasurement<R> {
  runs: ChildRun<R>[];
  /** Medians over runs. */
  wallMs: number;
  maxRssMB: number;
}

export interface BenchContext {
  datasets: { live: PreparedDataset; large: PreparedDataset };
  /** How many fresh children a case should be measured in (median reported). */
  repeats: number;
  measureInChild<R>(modulePath: string, exportName: string, args: unknown, repeats?: number): Promise<ChildMeasurement<R>>;
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const childPath = path.join(benchDir, 'lib', 'child.ts');

function runChildOnce<R>(modulePath: string, exportName: string, args: unknown): Promise<ChildRun<R>> {
  return new Promise((resolve, reject) => {
    const child = fork(childPath, [], {
      execPath: caseNode,
      execArgv: ['--import', import.meta.resolve('tsx'), '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    let settled = false;
    child.on('message', (message: { ok: boolean; error?: string; result?: R; wallMs?: number; maxRssBytes?: number }) => {
      settled = true;
      if (message.ok) resolve({ wallMs: message.wallMs!, maxRssMB: message.maxRssBytes! / 1e6, result: message.result! });
      else reject(new Error(`${path.basename(modulePath)}#${exportName} failed in the child:\n${message.error}`));
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`${path.basename(modulePath)}#${exportName}: child exited (${signal ?? code}) without a result`));
    });
    child.send({ modulePath, exportName, args });
  });
}

export async function measureInChild<R>(modulePath: string, exportName: string, args: unknown, repeats = 1): Promise<ChildMeasurement<R>> {
  const runs: ChildRun<R>[] = [];
  for (let i = 0; i < repeats; i++) runs.push(await runChildOnce<R>(modulePath, exportName, args));
  return { runs, wallMs: median(runs.map((r) => r.wallMs)), maxRssMB: median(runs.map((r) => r.maxRssMB)) };
}

function parseArgs(argv: string[]): { json: boolean; repeats: number; only: string | undefined; cacheDir: string } {
  const options = { json: false, repeats: 3, only: undefined as string | undefined, cacheDir: defaultCacheDir() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--repeats') options.repeats = Number(argv[++i]);
    else if (arg === '--only') options.only = argv[++i];
    else if (arg === '--cache-dir') options.cacheDir = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${arg}; expected --json, --repeats N, --only NAME, --cache-dir DIR`);
  }
  if (!Number.isInteger(options.repeats) || options.repeats < 1) throw new Error('--repeats must be a positive integer');
  return options;
}

function ratioOf(figure: Figure): number | undefined {
  return figure.reference && figure.reference.value > 0 ? figure.value / figure.reference.value : undefined;
}

/** "pass", "MISS" or "" (no target) for one figure. */
export function verdict(figure: Figure): 'pass' | 'MISS' | '' {
  const ratio = ratioOf(figure);
  if (figure.skipped) return '';
  const { maxRatio, max } = figure.target ?? {};
  if (maxRatio === undefined && max === undefined) return '';
  const ratioOk = maxRatio === undefined || (ratio !== undefined && ratio <= maxRatio);
  const maxOk = max === undefined || figure.value <= max;
  return ratioOk && maxOk ? 'pass' : 'MISS';
}

function format(value: number, unit: string): string {
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
}

function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => {
    const ratio = ratioOf(f);
    const target = [f.target?.maxRatio !== undefined ? `≤ ${f.target.maxRatio.toFixed(2)}×` : '', f.target?.max !== undefined ? `≤ ${format(f.target.max, f.unit)}` : '']
      .filter(Boolean)
      .join(', ');
    return [
      `${f.benchmark}: ${f.case}`,
      f.metric,
      f.skipped ? `skipped: ${f.skipped}` : f.threads ? `${f.threads.value}${f.threads.reference === undefined ? '' : ` / ${f.threads.reference}`}` : '',
      format(f.value, f.unit),
      f.reference ? `${f.reference.name} ${format(f.reference.value, f.unit)}` : '',
      ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
      target,
      verdict(f),
    ];
  });
  const header = ['case', 'metric', 'threads', 'value', 'reference', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (message: string) => (options.json ? process.stderr : process.stdout).write(`${message}\n`);

  const live = await prepareDataset(options.cacheDir, 'live', { seed: 1, rows: 6720, features: 2748 }, log);
  const large = await prepareDataset(options.cacheDir, 'live×10', { seed: 1, rows: 67_200, features: 2748 }, log);
  const ctx: BenchContext = { datasets: { live, large }, repeats: options.repeats, measureInChild, log };

  const files = (await readdir(benchDir)).filter((f) => f.endsWith('.bench.ts')).sort();
  const figures: Figure[] = [];
  for (const file of files) {
    const module = (await import(path.join(benchDir, file))) as { default?: Benchmark };
    const benchmark = module.default;
    if (!benchmark || typeof benchmark.run !== 'function') throw new Error(`bench/${file} must export default { name, run(ctx) }`);
    if (options.only && benchmark.name !== options.only) continue;
    log(`running ${benchmark.name} …`);
    for (const figure of await benchmark.run(ctx)) figures.push({ benchmark: benchmark.name, ...figure });
  }

  if (options.json) {
    // The processor, since a ratio against another program's code can move with it (docs/benchmarks.md).
    const cpu = `${cpus()[0]?.model.trim() ?? 'unknown'}, ${availableParallelism()} cores`;
    const machine = { node: execFileSync(caseNode, ['--version'], { encoding: 'utf8' }).trim(), platform: `${process.platform}/${process.arch}`, cpu, repeats: options.repeats };
    const out = figures.map((f) => ({ ...f, ratio: ratioOf(f), verdict: verdict(f) || undefined }));
    console.log(JSON.stringify({ machine, figures: out }, null, 2));
  } else {
    printTable(figures);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
