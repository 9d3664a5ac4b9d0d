/**
 * Models shaped like participants' models, trained by XGBoost itself (Debian's python3-xgboost) on synthetic
 * Numerai-shaped data and exported to ONNX the way onnxmltools does (bench/lib/participant_models.py, reusing the
 * fixtures' exporter). They are generated once into the bench cache, never into the repository:
 *
 * - `example_shape`: Numerai's example model — 2,000 trees, depth 5 (≤ 32 leaves), 10% of the 2,748 features per tree;
 * - `large`: deep trees (depth 12) until the ONNX file is near 100 MB, the largest a repository holds without LFS;
 * - `leaf_wise`: 2,000 trees grown leaf by leaf to 31 leaves with no depth limit, LightGBM's default shape (LightGBM
 *   itself is not packaged for Debian; XGBoost's lossguide policy grows trees the same way).
 *
 * For each, in fresh child processes on the default live file (6,720 rows × 2,748 features):
 * - the time to open the model, predict time (the engine's predict path: the tree kernel for a tree ensemble it
 *   takes, src/models/tree-ensemble.ts, else onnxruntime's batches, run and output column), peak RSS, and bytes per
 *   tree node (the RSS opening the model adds, divided by the model's nodes); the figures name the engine;
 * - XGBoost's own predict on the same model and the same rows (`Booster.inplace_predict`, what
 *   XGBRegressor.predict uses, in a Python child with as many threads as ours): target ours ≤ 1.3× its time, and the
 *   largest difference between the two predictions is reported;
 * - (example shape) a run of 10 such models through the default engine's predict, as the pipeline does one model
 *   after the other: peak RSS ≤ the memory of one open model + the dense matrix + 200 MB.
 * - what each onnxruntime option gives (every option on the example shape, those that change how trees are walked on
 *   the large one, see optionVariants): intra-op threads, graph optimization level, execution mode, rows per run, the
 *   same trees as ai.onnx.ml 5's TreeEnsemble operator, and the rows split over worker threads with a one-thread
 *   session each; and the engine itself (its tree kernel); each variant's predictions are compared with the
 *   default's bit for bit.
 *
 * Without /usr/bin/python3 and its xgboost module, the cases are skipped with a note. Training takes minutes on an idle
 * 2-core machine (the example shape: ~3,000 s of wall time on a heavily shared one); BENCH_MODELS=example_shape limits
 * the run to the named models.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InferenceSession } from 'onnxruntime-node';
import type * as LiveFile from '../src/data/live-file.js';
import type * as Inference from '../src/models/inference.js';
import type * as Models from '../src/models/index.js';
import type { LoadedModel } from '../src/models/index.js';
import type * as OnnxSession from '../src/models/onnx-session.js';
import { importBuilt } from './lib/built.js';
import { caseNode } from './lib/case-node.js';
import { peakRssBytes } from './lib/peak-rss.js';
import { median } from './lib/median.js';
import { openRowWorkers } from './lib/row-workers.mjs';
import type { Benchmark, Figure } from './run.js';

// Our code as a runner runs it (see lib/built.ts).
const { readLiveTable } = await importBuilt<typeof LiveFile>('data/live-file.js');
const { runMember } = await importBuilt<typeof Inference>('models/inference.js');
const { loadModels, openModel, resolveFeatures } = await importBuilt<typeof Models>('models/index.js');
const { openSession } = await importBuilt<typeof OnnxSession>('models/onnx-session.js');

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
/** A 42-feature ridge model from the test fixtures: a session that costs next to nothing but onnxruntime's start-up. */
const TINY_MODEL = path.join(here, '..', 'test', 'fixtures', 'models', 'ridge.onnx');
const thisModule = fileURLToPath(import.meta.url);
const generator = path.join(here, 'lib', 'participant_models.py');
const PYTHON = '/usr/bin/python3';

interface ModelSpec {
  name: string;
  label: string;
  trees: number;
  depth: number;
  /** Training rows: the node count follows depth and trees; fewer rows train faster on a small machine. */
  rows: number;
  seed: number;
  minChildWeight: number;
  /** Grown leaf by leaf to this many leaves (XGBoost's lossguide, as LightGBM grows trees); depth 0 = no limit. */
  leafWise?: number;
}

/** Bump when the generator or a spec changes, so cached models are retrained. */
const MODELS_STAMP = 'participant-models-v1';

const SPECS: ModelSpec[] = [
  { name: 'example_shape', label: "Numerai's example shape (2,000 trees, depth 5, colsample 0.1 of 2,748 features)", trees: 2000, depth: 5, rows: 3000, seed: 1, minChildWeight: 1 },
  // Depth-12 trees fit the synthetic training rows within about 2,000 rounds, and then stop growing: on 6,000 rows,
  // 2,250 and 4,000 trees both made 1.75 M nodes (a 61 MB file, 35 bytes a node). The node count follows the rows,
  // so 10,000 rows make the ~100 MB file.
  { name: 'large', label: 'large (depth-12 trees, ~100 MB ONNX)', trees: 3000, depth: 12, rows: 10000, seed: 2, minChildWeight: 0 },
  { name: 'leaf_wise', label: "leaf-wise (LightGBM's default shape: 2,000 trees of 31 leaves, no depth limit, colsample 0.1)", trees: 2000, depth: 0, rows: 3000, seed: 3, minChildWeight: 1, leafWise: 31 },
];

interface Facts {
  trees: number;
  nodes: number;
  leaves: number;
  onnxBytes: number;
  fitSeconds: number;
  xgboost: string;
}

interface PreparedModel {
  spec: ModelSpec;
  folder: string;
  facts: Facts;
}

async function pythonHasXgboost(): Promise<string | null> {
  try {
    await access(PYTHON);
    await run(PYTHON, ['-c', 'import xgboost, onnx'], { timeout: 60_000 });
    return null;
  } catch (error) {
    return `${PYTHON} with xgboost and onnx is needed (apt-get install python3-xgboost python3-onnx): ${(error as Error).message.split('\n')[0]}`;
  }
}

async function prepareModel(cacheDir: string, spec: ModelSpec, featuresJsonPath: string, log: (m: string) => void): Promise<PreparedModel> {
  const root = path.join(cacheDir, MODELS_STAMP);
  const folder = path.join(root, spec.name);
  const stamp = JSON.stringify(spec);
  const existing = await readFile(path.join(folder, 'stamp.json'), 'utf8').catch(() => null);
  if (existing !== stamp) {
    log(`  training ${spec.name} (${spec.trees} trees, ${spec.leafWise ? `${spec.leafWise} leaves` : `depth ${spec.depth}`}) into ${folder}; this takes minutes …`);
    const temporary = path.join(root, `.tmp-${spec.name}-${process.pid}`);
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary, { recursive: true });
    const args = ['train', '--out', temporary, '--features-json', featuresJsonPath, '--name', spec.name, '--trees', String(spec.trees)];
    args.push('--depth', String(spec.depth), '--rows', String(spec.rows), '--seed', String(spec.seed), '--min-child-weight', String(spec.minChildWeight));
    if (spec.leafWise) args.push('--leaf-wise', String(spec.leafWise));
    await run(PYTHON, [generator, ...args], { maxBuffer: 1 << 24 });
    const built = path.join(temporary, spec.name);
    await run(PYTHON, [generator, 'opset5', '--input', path.join(built, 'model.onnx'), '--output', path.join(built, 'model.opset5.onnx')], { maxBuffer: 1 << 24 });
    await writeFile(path.join(built, 'stamp.json'), stamp);
    await rm(folder, { recursive: true, force: true });
    await rename(built, folder);
    await rm(temporary, { recursive: true, force: true });
  }
  return { spec, folder, facts: JSON.parse(await readFile(path.join(folder, 'facts.json'), 'utf8')) as Facts };
}


function rssMB(): number {
  return process.memoryUsage.rss() / 1e6;
}

async function loadOne(modelsDir: string, name: string): Promise<LoadedModel> {
  const [result] = await loadModels(modelsDir, { only: [name] });
  if (!result.ok) throw new Error(`${name} did not load: ${JSON.stringify(result.errors)}`);
  return result.model;
}

interface ModelCaseArgs {
  livePath: string;
  featuresJson: { feature_sets: Record<string, string[]> };
  modelsDir: string;
  model: string;
  repeats: number;
  /** XGBoost's predictions on those rows, when measured already: the largest difference is returned. */
  referencePath?: string;
}

export interface ModelCaseResult {
  createMs: number;
  predictMs: number;
  predictMedianMs: number;
  sessionMB: number;
  /** Which engine ran the model: 'trees' (the tree kernel) or 'onnxruntime'. */
  engine: string;
  peakRssMB: number;
  denseMB: number;
  maxAbsDiff?: number;
  rows: number;
}

/** Child case: writes the model's columns of the live file as row-major float32, for XGBoost's predict. */
export async function writeRows(args: { livePath: string; featuresJson: ModelCaseArgs['featuresJson']; modelsDir: string; model: string; rowsPath: string }): Promise<number> {
  const model = await loadOne(args.modelsDir, args.model);
  const resolved = resolveFeatures(model, args.featuresJson);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const table = await readLiveTable(args.livePath, resolved.features);
  await writeFile(`${args.rowsPath}.tmp`, new Uint8Array(table.values.buffer, table.values.byteOffset, table.values.byteLength));
  await rename(`${args.rowsPath}.tmp`, args.rowsPath);
  return table.rows;
}

/** Child case: one model's session creation, predict time and memory. */
export async function measureModel(args: ModelCaseArgs): Promise<ModelCaseResult> {
  const model = await loadOne(args.modelsDir, args.model);
  const resolved = resolveFeatures(model, args.featuresJson);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const features = resolved.features;
  const table = await readLiveTable(args.livePath, features);
  // onnxruntime's own start-up (its library, thread pools, allocators: ~40 MB) comes with a process's first session:
  // paid here on a tiny model, so that what is measured next is this model's session alone.
  await (await openSession(await readFile(TINY_MODEL))).release();
  global.gc?.();
  const before = rssMB();
  let start = performance.now();
  const open = await openModel(model);
  const createMs = performance.now() - start;
  const engine = open.engines[0];
  const sessionMB = rssMB() - before;
  let raw = (await open.predictMembers(table, features))[0]; // warm-up
  const times: number[] = [];
  for (let i = 0; i < args.repeats; i++) {
    start = performance.now();
    raw = (await open.predictMembers(table, features))[0];
    times.push(performance.now() - start);
  }
  await open.release();
  let maxAbsDiff: number | undefined;
  if (args.referencePath) {
    const bytes = await readFile(args.referencePath);
    const reference = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    maxAbsDiff = 0;
    for (let i = 0; i < raw.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(raw[i] - reference[i]));
  }
  return {
    createMs,
    predictMs: Math.min(...times),
    predictMedianMs: median(times),
    sessionMB,
    engine,
    peakRssMB: peakRssBytes() / 1e6,
    denseMB: table.values.byteLength / 1e6,
    maxAbsDiff,
    rows: table.rows,
  };
}

/** The ten-model case (lib/ten-models.mjs): run by plain Node, as a runner runs the pipeline. */
const tenModelsScript = path.join(here, 'lib', 'ten-models.mjs');

interface TenArgs {
  livePath: string;
  featuresJsonPath: string;
  modelFolder: string;
  copies: number;
}

export interface TenResult {
  peakRssMB: number;
  rssAfterEachMB: number[];
  denseMB: number;
  totalMs: number;
}

async function tenModels(args: TenArgs): Promise<TenResult> {
  const { stdout } = await run(caseNode, [tenModelsScript, JSON.stringify(args)], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as TenResult;
}

interface Variant {
  name: string;
  file?: 'model.opset5.onnx';
  session?: Partial<InferenceSession.SessionOptions>;
  batchRows?: number;
  /** Rows split over this many worker threads, one session of one intra-op thread each (bench/lib/row-workers.mjs). */
  rowWorkers?: number;
  /** The engine's own choice (openModel): the tree kernel for a tree ensemble it takes. */
  engine?: true;
}

interface ExploreArgs {
  livePath: string;
  featuresJson: { feature_sets: Record<string, string[]> };
  modelsDir: string;
  model: string;
  repeats: number;
  variants: Variant[];
}

export interface ExploreResult {
  variants: { name: string; ms: number; medianMs: number; createMs: number; addedMB: number; identical: boolean; maxAbsDiff: number }[];
}

/** Child case: the same model and rows under each onnxruntime option, interleaved; outputs compared bit for bit. */
export async function exploreOptions(args: ExploreArgs): Promise<ExploreResult> {
  const model = await loadOne(args.modelsDir, args.model);
  const resolved = resolveFeatures(model, args.featuresJson);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors));
  const features = resolved.features;
  const table = await readLiveTable(args.livePath, features);
  const member = model.members[0];
  const folder = path.dirname(member.path);
  const cores = availableParallelism();
  const context = { model: model.name, file: member.file };
  const entries = [];
  for (const variant of args.variants) {
    const file = path.join(folder, variant.file ?? path.basename(member.path));
    const rssBefore = rssMB();
    const start = performance.now();
    let predict: () => Promise<Float64Array>;
    let release: () => Promise<void>;
    if (variant.engine) {
      const open = await openModel(model);
      predict = async () => (await open.predictMembers(table, features))[0];
      release = () => open.release();
    } else if (variant.rowWorkers) {
      const workers = await openRowWorkers(file, member.plan, variant.rowWorkers);
      predict = () => workers.predict(table, features);
      release = () => workers.release();
    } else {
      const bytes = await readFile(file);
      const session = variant.session
        ? await InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: cores, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3, ...variant.session })
        : await openSession(bytes);
      predict = () => runMember(session, member.plan, table, features, context, { batchRows: variant.batchRows });
      release = () => session.release();
    }
    const createMs = performance.now() - start;
    entries.push({ variant, predict, release, createMs, addedMB: rssMB() - rssBefore, times: [] as number[], output: new Float64Array(0) as Float64Array<ArrayBufferLike> });
  }
  for (const entry of entries) entry.output = await entry.predict();
  for (let i = 0; i < args.repeats; i++) {
    for (const entry of entries) {
      const start = performance.now();
      entry.output = await entry.predict();
      entry.times.push(performance.now() - start);
    }
  }
  const baseline = entries[0].output;
  const variants = entries.map((entry) => {
    let maxAbsDiff = 0;
    let identical = true;
    for (let r = 0; r < baseline.length; r++) {
      if (!Object.is(entry.output[r], baseline[r])) identical = false;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(entry.output[r] - baseline[r]));
    }
    return { name: entry.variant.name, ms: Math.min(...entry.times), medianMs: median(entry.times), createMs: entry.createMs, addedMB: entry.addedMB, identical, maxAbsDiff };
  });
  for (const entry of entries) await entry.release();
  return { variants };
}

async function xgboostPredict(folder: string, rowsPath: string, width: number, threads: number, repeats: number): Promise<{ ms: number; medianMs: number; predictionsPath: string }> {
  const predictionsPath = path.join(folder, 'xgboost-predictions.f32');
  const { stdout } = await run(
    PYTHON,
    [generator, 'predict', '--model', path.join(folder, 'model.ubj'), '--rows', rowsPath, '--width', String(width), '--repeats', String(repeats), '--threads', String(threads), '--out', predictionsPath],
    { maxBuffer: 1 << 24 },
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { ms: number[] };
  return { ms: Math.min(...result.ms), medianMs: median(result.ms), predictionsPath };
}

/**
 * The onnxruntime options tried on a model, the default session first. Every option on the example shape; on the
 * large model (each session holds hundreds of MB, and they are all open at once) the ones that change how trees are
 * walked: threads, rows per run and the opset-5 operator (not the row workers: a 1 GB session per core).
 */
function optionVariants(spec: ModelSpec, threads: number): Variant[] {
  const all: Variant[] = [
    { name: 'default (openSession)' },
    { name: 'intra-op threads 1', session: { intraOpNumThreads: 1 } },
    { name: `intra-op threads ${threads * 2}`, session: { intraOpNumThreads: threads * 2 } },
    { name: 'intra-op threads 0 (onnxruntime default)', session: { intraOpNumThreads: 0 } },
    { name: 'graph optimization disabled', session: { graphOptimizationLevel: 'disabled' } },
    { name: 'graph optimization basic', session: { graphOptimizationLevel: 'basic' } },
    { name: 'execution mode parallel', session: { executionMode: 'parallel', interOpNumThreads: threads } },
    { name: 'batch 512 rows', batchRows: 512 },
    { name: 'batch 3,360 rows', batchRows: 3360 },
    { name: 'batch 6,720 rows (one run)', batchRows: 6720 },
    { name: 'opset 5 TreeEnsemble', file: 'model.opset5.onnx' },
    { name: `rows split over ${threads} worker threads, 1 intra-op thread each`, rowWorkers: threads },
    { name: "the engine's predict (openModel: the tree kernel where it takes the model)", engine: true },
  ];
  if (spec.name === 'example_shape') return all;
  const kept = new Set(['default (openSession)', 'intra-op threads 1', 'batch 512 rows', 'batch 6,720 rows (one run)', 'opset 5 TreeEnsemble']);
  return all.filter((variant) => kept.has(variant.name) || variant.engine);
}

const benchmark: Benchmark = {
  name: 'models',
  async run(ctx) {
    const live = ctx.datasets.live;
    const missing = await pythonHasXgboost();
    if (missing) {
      ctx.log(`  skipped: ${missing}`);
      return SPECS.map((spec) => ({ case: `${spec.label}: every figure`, metric: 'time', unit: 'ms', value: Number.NaN, skipped: missing }));
    }
    const cacheDir = path.dirname(path.dirname(live.livePath));
    const figures: Figure[] = [];
    const threads = availableParallelism();
    const repeats = Math.max(5, ctx.repeats * 2);
    const only = process.env.BENCH_MODELS?.split(',').map((name) => name.trim());
    for (const spec of SPECS.filter((s) => !only || only.includes(s.name))) {
      const prepared = await prepareModel(cacheDir, spec, live.featuresJsonPath, ctx.log);
      const { facts, folder } = prepared;
      const modelsDir = path.dirname(folder);
      const rowsPath = path.join(path.dirname(live.livePath), 'rows-all.f32');
      const label = `${spec.label}: ${facts.trees} trees, ${facts.nodes.toLocaleString('en')} nodes, ${(facts.onnxBytes / 1e6).toFixed(1)} MB ONNX`;
      ctx.log(`  ${spec.name}: opening and predict …`);
      const caseArgs: ModelCaseArgs = { livePath: live.livePath, featuresJson: live.featuresJson, modelsDir, model: spec.name, repeats };
      if (!(await access(rowsPath).then(() => true, () => false))) {
        await ctx.measureInChild<number>(thisModule, 'writeRows', { livePath: live.livePath, featuresJson: live.featuresJson, modelsDir, model: spec.name, rowsPath }, 1);
      }
      ctx.log(`  ${spec.name}: XGBoost's own predict …`);
      const xgb = await xgboostPredict(folder, rowsPath, live.features, threads, repeats);
      const measured = await ctx.measureInChild<ModelCaseResult>(thisModule, 'measureModel', { ...caseArgs, referencePath: xgb.predictionsPath }, ctx.repeats);
      const results = measured.runs.map((r) => r.result);
      const first = results[0];
      const engine = first.engine === 'trees' ? 'tree kernel' : 'onnxruntime';
      const note = `median of ${ctx.repeats} fresh processes; engine: ${engine}`;
      const opened = first.engine === 'trees' ? 'compiled trees' : 'session';
      figures.push({ case: `${label} — opening the model (${opened})`, metric: 'time', unit: 'ms', value: median(results.map((r) => r.createMs)), note });
      figures.push({
        case: `${label} — predict ${first.rows} rows (fastest of ${repeats})`,
        metric: 'time',
        unit: 'ms',
        value: median(results.map((r) => r.predictMs)),
        reference: { name: `XGBoost ${facts.xgboost} inplace_predict`, value: xgb.ms },
        target: { maxRatio: 1.3 },
        threads: { value: threads, reference: threads },
        note: `${note}; medians of the runs: ours ${median(results.map((r) => r.predictMedianMs)).toFixed(0)} ms, XGBoost ${xgb.medianMs.toFixed(0)} ms; largest difference ${first.maxAbsDiff?.toExponential(2)}`,
      });
      figures.push({ case: `${label} — peak RSS (dense matrix ${first.denseMB.toFixed(0)} MB)`, metric: 'peak RSS', unit: 'MB', value: median(results.map((r) => r.peakRssMB)), note });
      const sessionMB = median(results.map((r) => r.sessionMB));
      figures.push({ case: `${label} — memory of the open model (${opened})`, metric: 'memory', unit: 'MB', value: sessionMB, note: `RSS added by opening the model; ${note}` });
      figures.push({ case: `${label} — bytes per tree node`, metric: 'memory', unit: 'B', value: (sessionMB * 1e6) / facts.nodes, note: `memory of the open model ÷ ${facts.nodes} nodes` });

      if (spec.name === 'example_shape') {
        ctx.log('  example_shape: 10 models one after the other …');
        const tenResult = await tenModels({ livePath: live.livePath, featuresJsonPath: live.featuresJsonPath, modelFolder: folder, copies: 10 });
        figures.push({
          case: `10 models of the example shape predicted by the engine, one after the other (dense ${tenResult.denseMB.toFixed(0)} MB)`,
          metric: 'peak RSS',
          unit: 'MB',
          value: tenResult.peakRssMB,
          target: { max: sessionMB + tenResult.denseMB + 200 },
          note: `target: one open model (${sessionMB.toFixed(0)} MB, ${engine}) + dense matrix + 200 MB; RSS after each model: ${tenResult.rssAfterEachMB.map((v) => v.toFixed(0)).join(', ')} MB; ${(tenResult.totalMs / 1000).toFixed(1)} s in all`,
        });
      }

      ctx.log(`  ${spec.name}: onnxruntime options …`);
      const variants = optionVariants(spec, threads);
      const explored = await ctx.measureInChild<ExploreResult>(thisModule, 'exploreOptions', { livePath: live.livePath, featuresJson: live.featuresJson, modelsDir, model: spec.name, repeats, variants }, 1);
      const base = explored.runs[0].result.variants[0];
      for (const variant of explored.runs[0].result.variants.slice(1)) {
        figures.push({
          case: `${spec.name}, ${variant.name}`,
          metric: 'time',
          unit: 'ms',
          value: variant.ms,
          reference: { name: 'default', value: base.ms },
          note: `fastest of ${repeats} interleaved runs (medians ${variant.medianMs.toFixed(0)} vs ${base.medianMs.toFixed(0)} ms); outputs ${variant.identical ? 'identical to the bit' : `differ by up to ${variant.maxAbsDiff.toExponential(2)}`}; session ${variant.createMs.toFixed(0)} ms${variant.addedMB >= 1 ? `, adding ${variant.addedMB.toFixed(0)} MB of RSS` : ''}`,
        });
      }
    }
    return figures;
  },
};

export default benchmark;
