/**
 * Inference: our predict path against a bare `session.run` on a pre-built tensor, and the memory of a whole
 * predict stage.
 *
 * - Overhead (target ≤ 1.10×): the same open session, the same rows. Ours = `OpenModel.predict`: batches, run, read
 *   the output column, rank. Bare = one `session.run` on a Float32Array that already holds exactly the model's
 *   columns, output left as it comes. The target applies with a table of the model's own columns (the engine's
 *   overhead); the same run on a table of all 2,748 columns (what the pipeline holds) adds the column gather and is
 *   reported beside it. Measured for the tree fixture (XGBoost, 600 trees, 42 features) and example_gbt (500
 *   trees, 780 features): the fastest of interleaved repeats in one process after a warm-up (medians in the note).
 * - Peak RSS (target ≤ 2 × dense matrix + 150 MB): a fresh process reads the live file's 2,748 columns into the
 *   dense matrix and predicts the three example models, as the pipeline's predict stage does.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from 'onnxruntime-node';
import type * as LiveFile from '../src/data/live-file.js';
import type * as Table from '../src/data/table.js';
import type * as Models from '../src/models/index.js';
import type { LoadedModel } from '../src/models/index.js';
import type * as OnnxSession from '../src/models/onnx-session.js';
import { importBuilt } from './lib/built.js';
import { peakRssBytes } from './lib/peak-rss.js';
import { median } from './lib/median.js';
import type { Benchmark, Figure } from './run.js';

// Our code as a runner runs it (see lib/built.ts).
const { readLiveTable } = await importBuilt<typeof LiveFile>('data/live-file.js');
const { columnIndexes, copyRows } = await importBuilt<typeof Table>('data/table.js');
const { loadModels, openModel, predict, resolveFeatures } = await importBuilt<typeof Models>('models/index.js');
const { openSession } = await importBuilt<typeof OnnxSession>('models/onnx-session.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const thisModule = fileURLToPath(import.meta.url);

interface OverheadArgs {
  livePath: string;
  featuresJson: { feature_sets: Record<string, string[]> };
  /** A models folder and the model in it. */
  modelsDir: string;
  model: string;
  repeats: number;
  /** Which columns the table holds: the model's own (in its order) or the whole file (as the pipeline reads it). */
  tableColumns: 'model' | 'all';
}

export interface OverheadResult {
  /** Fastest of the interleaved runs: load from other processes only ever adds time, so the minimum is the
   * steadiest estimate of each path's own cost on a shared machine. */
  oursMs: number;
  bareMs: number;
  oursMedianMs: number;
  bareMedianMs: number;
  rows: number;
  features: number;
}

async function loadOne(modelsDir: string, name: string): Promise<LoadedModel> {
  const [result] = await loadModels(modelsDir, { only: [name] });
  if (!result.ok) throw new Error(`${name} did not load: ${JSON.stringify(result.errors)}`);
  return result.model;
}

/** Child case: ours vs bare, interleaved, in one process. */
export async function measureOverhead(args: OverheadArgs): Promise<OverheadResult> {
  const model = await loadOne(args.modelsDir, args.model);
  const resolved = resolveFeatures(model, args.featuresJson);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const features = resolved.features;
  const table = await readLiveTable(args.livePath, args.tableColumns === 'model' ? features : args.featuresJson.feature_sets.all);

  const open = await openModel(model);
  const member = model.members[0];
  const { readFile } = await import('node:fs/promises');
  const bare = await openSession(await readFile(member.path));
  const prebuilt = new Tensor('float32', copyRows(table, columnIndexes(table, features), 0, table.rows), [table.rows, features.length]);
  const runBare = () => bare.run({ [member.plan.inputName]: prebuilt }, [member.plan.output.name]);

  // Warm-up: first runs allocate onnxruntime's arenas.
  await runBare();
  await open.predict(table, features);

  const ours: number[] = [];
  const bareTimes: number[] = [];
  for (let i = 0; i < args.repeats; i++) {
    let start = performance.now();
    await runBare();
    bareTimes.push(performance.now() - start);
    start = performance.now();
    await open.predict(table, features);
    ours.push(performance.now() - start);
  }
  await open.release();
  await bare.release();
  return {
    oursMs: Math.min(...ours),
    bareMs: Math.min(...bareTimes),
    oursMedianMs: median(ours),
    bareMedianMs: median(bareTimes),
    rows: table.rows,
    features: features.length,
  };
}

interface StageArgs {
  livePath: string;
  featuresJson: { feature_sets: Record<string, string[]> };
  modelsDir: string;
}

export interface StageResult {
  /** Peak RSS of this process in MB (see lib/peak-rss.ts). */
  peakRssMB: number;
  rows: number;
  columns: number;
  readMs: number;
  predictMs: number;
  models: string[];
}

/** Child case: the predict stage of a run — one dense table, three example models. */
export async function predictStage(args: StageArgs): Promise<StageResult> {
  const results = await loadModels(args.modelsDir);
  const loaded = results.map((result) => {
    if (!result.ok) throw new Error(`${result.name}: ${JSON.stringify(result.errors)}`);
    const resolved = resolveFeatures(result.model, args.featuresJson);
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
    return { model: result.model, features: resolved.features };
  });
  let start = performance.now();
  const table = await readLiveTable(args.livePath, [...new Set(loaded.flatMap((l) => l.features))]);
  const readMs = performance.now() - start;
  start = performance.now();
  for (const { model, features } of loaded) {
    const predictions = await predict(model, table, features);
    if (predictions.length !== table.rows) throw new Error(`${model.name}: ${predictions.length} predictions for ${table.rows} rows`);
  }
  const predictMs = performance.now() - start;
  return { peakRssMB: peakRssBytes() / 1e6, rows: table.rows, columns: table.columns.length, readMs, predictMs, models: loaded.map((l) => l.model.name) };
}

const benchmark: Benchmark = {
  name: 'inference',
  async run(ctx) {
    const live = ctx.datasets.live;
    const figures: Figure[] = [];
    const { mkdir, mkdtemp, copyFile, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    // The tree fixture as a model folder (its features are the synthetic `small` set).
    const fixtureModels = await mkdtemp(path.join(tmpdir(), 'inference-bench-'));
    await mkdir(path.join(fixtureModels, 'tree_fixture'), { recursive: true });
    await copyFile(path.join(root, 'test/fixtures/models/xgb_regressor.onnx'), path.join(fixtureModels, 'tree_fixture', 'model.onnx'));
    await writeFile(path.join(fixtureModels, 'tree_fixture', 'model.yml'), 'dataset: v5.2\nfeatures: small\nonnx: model.onnx\n');
    try {
      const cases = [
        { label: 'tree fixture (XGBoost 600 trees × 42 features)', modelsDir: fixtureModels, model: 'tree_fixture' },
        { label: 'example_gbt (XGBoost 500 trees × 780 features)', modelsDir: path.join(root, 'models'), model: 'example_gbt' },
      ];
      for (const c of cases) {
        for (const tableColumns of ['model', 'all'] as const) {
          const columns = tableColumns === 'model' ? "a table of the model's columns" : 'a table of all 2,748 columns';
          ctx.log(`  overhead: ${c.label}, ${columns} …`);
          const repeats = Math.max(15, ctx.repeats * 5);
          const measured = await ctx.measureInChild<OverheadResult>(
            thisModule,
            'measureOverhead',
            { livePath: live.livePath, featuresJson: live.featuresJson, modelsDir: c.modelsDir, model: c.model, repeats, tableColumns },
            1,
          );
          const result = measured.runs[0].result;
          figures.push({
            case: `predict ${c.label} on ${live.name} (${result.rows} rows), ${columns}`,
            metric: 'time',
            unit: 'ms',
            value: result.oursMs,
            reference: { name: 'bare session.run', value: result.bareMs },
            // The engine's own overhead has the target; gathering 42 or 780 columns out of 2,748-wide rows is work
            // the bare run skipped by starting from a ready tensor, so that figure is reported, not targeted.
            target: tableColumns === 'model' ? { maxRatio: 1.1 } : undefined,
            note: `fastest of ${repeats} interleaved runs after a warm-up (medians: ours ${result.oursMedianMs.toFixed(0)} ms, bare ${result.bareMedianMs.toFixed(0)} ms)`,
          });
        }
      }
    } finally {
      await rm(fixtureModels, { recursive: true, force: true });
    }

    ctx.log('  predict stage: 3 example models …');
    const stage = await ctx.measureInChild<StageResult>(
      thisModule,
      'predictStage',
      { livePath: live.livePath, featuresJson: live.featuresJson, modelsDir: path.join(root, 'models') },
      ctx.repeats,
    );
    const first = stage.runs[0].result;
    const denseMB = (first.rows * first.columns * 4) / 1e6;
    figures.push({
      case: `read + predict ${first.models.length} example models on ${live.name} (${first.rows} × ${first.columns}, dense ${denseMB.toFixed(1)} MB)`,
      metric: 'peak RSS',
      unit: 'MB',
      value: median(stage.runs.map((r) => r.result.peakRssMB)),
      target: { max: 2 * denseMB + 150 },
      note: `VmHWM, median of ${ctx.repeats} fresh processes; target 2 × dense matrix + 150 MB`,
    });
    figures.push({
      case: `predict ${first.models.length} example models on ${live.name} (table already read)`,
      metric: 'time',
      unit: 'ms',
      value: median(stage.runs.map((r) => r.result.predictMs)),
      note: `includes opening the sessions; read took ${median(stage.runs.map((r) => r.result.readMs)).toFixed(0)} ms`,
    });
    return figures;
  },
};

export default benchmark;
