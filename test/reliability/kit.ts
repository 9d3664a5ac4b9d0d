/**
 * What the reliability suites share: a sandbox account whose secret key is a canary, a models folder of small real
 * ONNX models (so hundreds of runs stay fast), one in-process run of the real pipeline with the real Numerai client
 * (short timeouts, tiny backoff, every requested wait recorded), and the checks every scenario makes afterwards:
 * no secret anywhere, no duplicate submission, no partial file in the data folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDatasetStore } from '../../src/store/local.js';
import { TerminalReporter } from '../../src/cli/terminal-reporter.js';
import { createNumeraiClient, describeRetry, errorClassOf } from '../../src/numerai/index.js';
import type { Clock, DatasetStore, NumeraiPort, Reporter } from '../../src/pipeline/ports.js';
import type { RunReport } from '../../src/pipeline/report.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../../src/pipeline/settings.js';
import { ALL_SCOPES, startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';
import { linearOnnx } from '../pipeline/onnx-builder.js';

/** The repository's root folder. */
export const ROOT_DIR = resolve(fileURLToPath(import.meta.url), '../../..');

/** The secret key of the reliability account: no line, file, output or error may ever carry it. */
export const CANARY_SECRET = `RELIABILITYCANARYSECRET${'K'.repeat(41)}`;
export const CANARY_PUBLIC_ID = 'RELIABILITYPUBLICID0000000000000';
export const ROUND = 1190;
/** Features of the synthetic live file (`all` = these 16): small enough that a whole run takes a fraction of a second. */
export const FEATURES = 16;
export const ROWS = 60;
/** The models of the account, in the order the pipeline processes them. */
export const MODELS = ['rel_alpha', 'rel_beta', 'rel_gamma'];
export const MANAGED_MODEL = 'rel_managed';
/** What one run waits for at most per request, and how often it retries (kept small: faults cost time). */
export const TIMEOUT_MS = 750;
export const RETRIES = 2;

export function reliabilitySandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({
    rows: ROWS,
    features: FEATURES,
    seed: 7,
    round: { number: ROUND, state: 'open' },
    history: false,
    accounts: [
      {
        username: 'reliability_user',
        keys: [{ publicId: CANARY_PUBLIC_ID, secretKey: CANARY_SECRET, scopes: [...ALL_SCOPES] }],
        models: [...MODELS.map((name) => ({ name, tournament: 8 })), { name: MANAGED_MODEL, tournament: 8, managedByModelUploads: true }],
      },
      { username: 'someone_else', models: [{ name: 'someone_elses_model', tournament: 8 }] },
    ],
    ...options,
  });
}

/** Weights of a model: distinct per model so their predictions differ. */
export function weightsFor(index: number, width = FEATURES): number[] {
  return Array.from({ length: width }, (_, i) => Math.sin(1 + i * (index + 1.3)) + 0.05 * index);
}

/** Writes one model folder: model.yml (the given text, or a linear model on every feature) and model.onnx. */
export function writeModel(modelsDir: string, name: string, options: { manifest?: string; onnx?: Uint8Array; index?: number } = {}): string {
  const dir = join(modelsDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), options.onnx ?? linearOnnx(weightsFor(options.index ?? 0)));
  writeFileSync(join(dir, 'model.yml'), options.manifest ?? 'dataset: v5.2\nfeatures: all\nonnx: model.onnx\nfill_missing: 2\n');
  return dir;
}

export interface Workspace {
  root: string;
  modelsDir: string;
  dataDir: string;
  outputDir: string;
}

/** A fresh folder with a models folder holding MODELS (or the names given). */
export function workspace(names: readonly string[] = MODELS): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'autopilot-reliability-'));
  const ws = { root, modelsDir: join(root, 'models'), dataDir: join(root, 'data'), outputDir: join(root, 'out') };
  mkdirSync(ws.modelsDir);
  names.forEach((name, index) => writeModel(ws.modelsDir, name, { index }));
  return ws;
}

export function removeWorkspace(ws: Workspace): void {
  rmSync(ws.root, { recursive: true, force: true });
}

export interface Run {
  report: RunReport;
  /** Every log line of the run (what a terminal or a runner log shows). */
  log: string;
  /** The waits the client asked for, per operation (the waits are not slept: runs stay fast). */
  waits: { operation: string; ms: number }[];
  ms: number;
}

export const instantClock: Clock = { now: () => new Date(), sleep: async () => undefined };

export interface RunOptions {
  secretKey?: string;
  publicId?: string;
  models?: string[];
  force?: boolean;
  dryRun?: boolean;
  store?: DatasetStore;
  reporter?: Reporter;
  retries?: number;
  timeoutMs?: number;
}

export function settingsFor(sandbox: Sandbox, ws: Workspace, options: RunOptions = {}): PipelineSettings {
  return {
    ...DEFAULT_SETTINGS,
    apiUrl: sandbox.url,
    publicId: options.publicId ?? CANARY_PUBLIC_ID,
    secretKey: options.secretKey ?? CANARY_SECRET,
    modelsDir: ws.modelsDir,
    models: options.models ?? [],
    force: options.force ?? false,
    dryRun: options.dryRun ?? false,
    dataDir: ws.dataDir,
    outputDir: ws.outputDir,
    requestTimeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    retries: options.retries ?? RETRIES,
  };
}

/** The real Numerai client for a run: short timeouts, millisecond backoff, Retry-After recorded instead of slept. */
export function clientFor(settings: PipelineSettings, waits: Run['waits'], onRetry: (line: string) => void): NumeraiPort {
  const client = createNumeraiClient(settings, {
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    maxRetryAfterMs: 120_000,
    sleep: async () => undefined,
    onRetry: (event) => {
      waits.push({ operation: event.operation, ms: event.delayMs });
      onRetry(describeRetry(event));
    },
  });
  return Object.assign(client, { errorClassOf });
}

/** One whole run of the real pipeline (the CLI's wiring: local dataset store, terminal log lines). */
export async function runRound(sandbox: Sandbox, ws: Workspace, options: RunOptions = {}): Promise<Run> {
  const settings = settingsFor(sandbox, ws, options);
  let log = '';
  const terminal = new TerminalReporter({ write: (text: string) => (log += text) });
  const reporter: Reporter = options.reporter
    ? { log: (level, message, context) => (terminal.log(level, message, context), options.reporter!.log(level, message, context)) }
    : terminal;
  const waits: Run['waits'] = [];
  const numerai = clientFor(settings, waits, (line) => reporter.log('warning', line));
  const started = performance.now();
  const report = await runPipeline(settings, { numerai, store: options.store ?? new LocalDatasetStore(ws.dataDir), clock: instantClock, reporter });
  return { report, log, waits, ms: performance.now() - started };
}

/** model name → status, e.g. { rel_alpha: 'failed', rel_beta: 'submitted' }. */
export function statuses(report: RunReport): Record<string, string> {
  return Object.fromEntries(report.models.map((model) => [model.model, model.status]));
}

export function modelReport(report: RunReport, name: string) {
  const found = report.models.find((model) => model.model === name);
  assert.ok(found, `the report has no entry for ${name}: ${JSON.stringify(report.models.map((m) => m.model))}`);
  return found;
}

/** Every file below a folder (relative paths); empty when the folder does not exist. */
export function filesUnder(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).filter((entry) => statSync(join(dir, entry)).isFile()).sort();
  } catch {
    return [];
  }
}

/** Every file below a folder, concatenated as text (for the canary check). */
export function textUnder(dir: string): string {
  return filesUnder(dir)
    .map((file) => readFileSync(join(dir, file), 'latin1'))
    .join('\n');
}

/** Nothing the run left behind carries the secret key, or any 12-character piece of it. */
export function assertNoCanary(what: string, ...texts: string[]): void {
  for (const text of texts) {
    assert.ok(!text.includes(CANARY_SECRET), `the secret key leaked into ${what}`);
    assert.ok(!text.includes(CANARY_SECRET.slice(0, 12)), `a piece of the secret key leaked into ${what}`);
  }
}

/** Everything a run exposes: log, report (as written), CSVs, and the data folder. */
export function assertRunHasNoCanary(run: Run, ws: Workspace): void {
  assertNoCanary('the run log', run.log);
  assertNoCanary('the report', JSON.stringify(run.report));
  assertNoCanary('the output folder', textUnder(ws.outputDir));
  assertNoCanary('the data folder', textUnder(ws.dataDir));
}

/**
 * Each model has at most one submission for the round on the server, and a model the report calls submitted has
 * exactly one: the one the report names.
 */
export function assertNoDuplicates(sandbox: Sandbox, report: RunReport, models: readonly string[] = MODELS): void {
  for (const name of models) {
    const recorded = sandbox.submissions(name).filter((submission) => submission.round === ROUND);
    assert.ok(recorded.length <= 1, `${name} has ${recorded.length} submissions for round ${ROUND}`);
    const entry = report.models.find((model) => model.model === name);
    if (entry?.status === 'submitted') {
      assert.equal(recorded.length, 1, `${name} is reported submitted but the server has ${recorded.length} submissions`);
      assert.equal(entry.submissionId, recorded[0].id, `${name}: the report names another submission than the server's`);
    }
  }
}

/**
 * The data folder holds no partial file: every dataset file is byte-identical to the server's (or absent), and no
 * temporary file is left, except — after a download that finally failed — the resumable `<file>.part` the next run
 * continues from (allowPart).
 */
export function assertDataFolderClean(ws: Workspace, reference: Map<string, Buffer>, options: { allowPart?: boolean } = {}): string[] {
  const files = filesUnder(ws.dataDir);
  const parts: string[] = [];
  for (const file of files) {
    const base = file.split('/').pop()!;
    if (base.endsWith('.part')) {
      parts.push(file);
      assert.ok(options.allowPart, `a partial download was left in the data folder: ${file}`);
      continue;
    }
    const expected = reference.get(base);
    assert.ok(expected, `an unexpected file was left in the data folder: ${file}`);
    assert.ok(readFileSync(join(ws.dataDir, file)).equals(expected), `${file} in the data folder is not the server's file (partial or corrupt)`);
  }
  return parts;
}

/** The dataset files of the round as the server serves them, by file name, read from a clean run's data folder. */
export function referenceFiles(ws: Workspace): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (const file of filesUnder(ws.dataDir)) map.set(file.split('/').pop()!, readFileSync(join(ws.dataDir, file)));
  return map;
}

/**
 * The suite's sandbox, ready, and the dataset files a clean run stores: every later run's data folder is compared
 * against them. The clean run must submit every model, or the premise of the whole suite is wrong.
 */
export async function sandboxWithReferenceData(): Promise<{ sandbox: Sandbox; reference: Map<string, Buffer> }> {
  const sandbox = await reliabilitySandbox();
  await sandbox.ready();
  const ws = workspace();
  const clean = await runRound(sandbox, ws);
  assert.deepEqual(clean.report.totals, { submitted: MODELS.length, skipped: 0, failed: 0, 'dry-run': 0 }, clean.log);
  const reference = referenceFiles(ws);
  assert.deepEqual([...reference.keys()].sort(), ['features.json', 'live.parquet']);
  removeWorkspace(ws);
  return { sandbox, reference };
}

export function relativeTo(root: string, path: string): string {
  return relative(root, path);
}

/** Puts the round back as every scenario expects it: open, no faults, no submission this round. */
export function resetSandbox(sandbox: Sandbox, models: readonly string[] = MODELS): void {
  sandbox.clearFaults();
  sandbox.setRound('open', ROUND);
  for (const name of models) sandbox.removeSubmission(name, ROUND);
}

/** "rel_alpha failed (NetworkError at upload); rel_beta submitted; …" */
export function describeOutcome(report: RunReport): string {
  if (report.error) return `run stopped: ${report.error.errorClass} at ${report.error.stage}`;
  return report.models
    .map((model) => `${model.model} ${model.status}${model.status === 'failed' ? ` (${model.errorClass} at ${model.stage})` : ''}`)
    .join('; ');
}
