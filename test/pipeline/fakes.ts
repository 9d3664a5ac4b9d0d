/**
 * Small in-memory fakes of the pipeline's own ports and engine, for testing the orchestration alone. The end-to-end
 * tests (sandbox.test.ts) use the real client, sandbox and models instead.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineModel, LiveTable, ModelLoadResult, PredictionEngine } from '../../src/pipeline/engine.js';
import type { AccountModel, Clock, Level, NumeraiPort, Reporter, Round } from '../../src/pipeline/ports.js';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../../src/pipeline/settings.js';

export class FakeNumeraiError extends Error {
  override name = 'NumeraiError';
  constructor(
    readonly kind: string,
    readonly operation: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeDataError extends Error {
  override name = 'DataError';
}

export interface FakeCall {
  operation: string;
  args: unknown[];
}

/** A Numerai account with models, submissions per round, and dataset files to download. */
export class FakeNumerai implements NumeraiPort {
  round: Round | null;
  models: AccountModel[];
  /** modelId → round → submission ids, oldest first. */
  submissions = new Map<string, Map<number, string[]>>();
  /** "<version>/<file>" → content served by download. */
  files = new Map<string, string>();
  calls: FakeCall[] = [];
  /** Called before each operation; throw from it to inject a failure. */
  before: (operation: string, args: unknown[]) => void = () => undefined;
  /** Called after create_submission was applied; throw from it to lose the response. */
  afterApplied: (modelId: string) => void = () => undefined;
  private nextId = 1;

  constructor(options: { round?: number | null; models?: string[] } = {}) {
    const number = options.round === undefined ? 500 : options.round;
    this.round =
      number === null
        ? null
        : { number, openTime: new Date('2026-11-28T12:00:00Z'), closeStakingTime: new Date('2026-11-29T14:00:00Z'), closeTime: new Date('2026-11-30T14:00:00Z') };
    this.models = (options.models ?? []).map((name, i) => ({ id: `id-${name}-${i}`, name, tournament: 8 }));
  }

  private call(operation: string, args: unknown[]): void {
    this.calls.push({ operation, args });
    this.before(operation, args);
  }

  count(operation: string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  idOf(name: string): string {
    return this.models.find((model) => model.name === name)!.id;
  }

  submissionsOf(name: string, round = this.round!.number): string[] {
    return this.submissions.get(this.idOf(name))?.get(round) ?? [];
  }

  record(modelId: string, round: number): string {
    const id = `sub-${this.nextId++}`;
    const byRound = this.submissions.get(modelId) ?? new Map<number, string[]>();
    byRound.set(round, [...(byRound.get(round) ?? []), id]);
    this.submissions.set(modelId, byRound);
    return id;
  }

  async currentRound(tournament: number): Promise<Round | null> {
    this.call('rounds', [tournament]);
    return this.round;
  }

  async accountModels(tournament: number): Promise<AccountModel[]> {
    this.call('account', [tournament]);
    return this.models;
  }

  async submissionForRound(modelId: string, round: number, tournament: number): Promise<string | null> {
    this.call('submissions', [modelId, round, tournament]);
    return this.submissions.get(modelId)?.get(round)?.at(-1) ?? null;
  }

  async datasetUrl(filename: string, round: number | undefined, tournament: number): Promise<string> {
    this.call('dataset', [filename, round, tournament]);
    if (!this.files.has(filename)) throw new FakeNumeraiError('not-found', 'dataset', `no such dataset file ${filename}`);
    return `fake://${filename}`;
  }

  async download(url: string, destination: string, onProgress?: (received: number, total: number | null) => void): Promise<void> {
    this.call('download', [url, destination]);
    const content = this.files.get(url.slice('fake://'.length))!;
    await writeFile(destination, content);
    onProgress?.(content.length, content.length);
  }

  async uploadPredictions(input: { modelId: string; tournament: number; filename: string; csv: Uint8Array }): Promise<string> {
    this.call('upload', [input.modelId, input.filename, new TextDecoder().decode(input.csv)]);
    const id = this.record(input.modelId, this.round!.number);
    this.afterApplied(input.modelId);
    return id;
  }
}

export interface FakeModelSpec {
  name: string;
  dataset?: string;
  features?: string[];
  /** A manifest problem: loadModels reports the model as failed with these errors. */
  errors?: string[];
  /** predictions = f(row index, row values). */
  predict?: (row: number, values: Float32Array) => number;
  /** Throws from predict. */
  predictError?: Error;
  /** enabled: false in model.yml. */
  enabled?: boolean;
}

/** An engine over JSON "datasets": features.json is {feature_sets: {...}}, live.parquet is {ids, columns, values}. */
export class FakeEngine implements PredictionEngine {
  liveReads: { path: string; columns: string[] }[] = [];

  constructor(private readonly specs: FakeModelSpec[]) {}

  async loadModels(_modelsDir: string, only: readonly string[]): Promise<ModelLoadResult[]> {
    return this.specs
      .filter((spec) => only.length === 0 || only.includes(spec.name))
      .map((spec) =>
        spec.errors
          ? { name: spec.name, ok: false, errors: spec.errors, enabled: spec.enabled ?? true }
          : { name: spec.name, ok: true, model: { name: spec.name, dataset: spec.dataset ?? 'v5.2' }, enabled: spec.enabled ?? true },
      );
  }

  async readFeaturesJson(path: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new FakeDataError(`${path}: not features.json (${(error as Error).message})`);
    }
  }

  resolveFeatures(model: EngineModel, featuresJson: unknown): string[] {
    const spec = this.specs.find((candidate) => candidate.name === model.name)!;
    const known = (featuresJson as { feature_sets: { all: string[] } }).feature_sets.all;
    const wanted = spec.features ?? known;
    const missing = wanted.filter((name) => !known.includes(name));
    if (missing.length > 0) throw Object.assign(new Error(`features not in the dataset: ${missing.join(', ')}`), { name: 'ConfigError' });
    return wanted;
  }

  async readLiveTable(path: string, columns: readonly string[]): Promise<LiveTable> {
    this.liveReads.push({ path, columns: [...columns] });
    let parsed: { ids: string[]; columns: string[]; values: number[][] };
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new FakeDataError(`${path}: truncated (${(error as Error).message})`);
    }
    const positions = columns.map((column) => parsed.columns.indexOf(column));
    const values = new Float32Array(parsed.ids.length * columns.length);
    parsed.values.forEach((row, r) => positions.forEach((p, c) => (values[r * columns.length + c] = row[p])));
    return { ids: parsed.ids, columns: [...columns], rows: parsed.ids.length, values };
  }

  async predict(model: EngineModel, table: LiveTable, features: readonly string[]): Promise<Float64Array> {
    const spec = this.specs.find((candidate) => candidate.name === model.name)!;
    if (spec.predictError) throw spec.predictError;
    const width = table.columns.length;
    const out = new Float64Array(table.rows);
    for (let r = 0; r < table.rows; r++) {
      const row = new Float32Array(features.length);
      features.forEach((feature, k) => (row[k] = table.values[r * width + table.columns.indexOf(feature)]));
      out[r] = spec.predict ? spec.predict(r, row) : (r + 1) / (table.rows + 1);
    }
    return out;
  }

  checkSubmission(ids: readonly string[], predictions: ArrayLike<number>, liveIds: readonly string[]) {
    const problems: string[] = [];
    const values = Array.from(predictions);
    if (ids.length !== liveIds.length) problems.push('ids differ');
    if (values.some((value) => Number.isNaN(value))) problems.push('submission must not contain NaNs');
    else if (values.every((value) => value === values[0])) problems.push('submission must have non-zero standard deviation');
    return { ok: problems.length === 0, problems };
  }

  submissionCsv(ids: readonly string[], predictions: ArrayLike<number>): string {
    return `id,prediction\n${ids.map((id, i) => `${id},${predictions[i]}`).join('\n')}\n`;
  }
}

export class RecordingReporter implements Reporter {
  lines: { level: Level; message: string; model?: string }[] = [];
  log(level: Level, message: string, context?: { model?: string }): void {
    this.lines.push({ level, message, model: context?.model });
  }
  at(level: Level): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

export class FakeClock implements Clock {
  sleeps: number[] = [];
  constructor(public current = new Date('2026-11-28T13:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** A temp folder with a models/ folder holding one sub-folder per name. */
export async function workspace(modelNames: string[]): Promise<{ root: string; modelsDir: string; dataDir: string; outputDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'pipeline-test-'));
  const modelsDir = join(root, 'models');
  await mkdir(modelsDir);
  for (const name of modelNames) await mkdir(join(modelsDir, name), { recursive: true });
  return { root, modelsDir, dataDir: join(root, 'data'), outputDir: join(root, 'out') };
}

export function settingsFor(dirs: { modelsDir: string; dataDir: string; outputDir: string }, overrides: Partial<PipelineSettings> = {}): PipelineSettings {
  return { ...DEFAULT_SETTINGS, apiUrl: 'http://127.0.0.1:9', publicId: 'PUBLICID', secretKey: 'SECRET-CANARY-KEY', ...dirs, ...overrides };
}

export const FEATURES = ['feature_a', 'feature_b', 'feature_c'];

/** features.json and live "parquet" for v5.2, as the fake engine reads them. */
export function datasetFiles(rows = 5, version = 'v5.2'): Map<string, string> {
  const ids = Array.from({ length: rows }, (_, i) => `n${String(i).padStart(15, '0')}`);
  const values = ids.map((_, r) => FEATURES.map((_, c) => (r * 7 + c * 3) % 5));
  return new Map([
    [`${version}/features.json`, JSON.stringify({ feature_sets: { all: FEATURES, small: ['feature_a'] } })],
    [`${version}/live.parquet`, JSON.stringify({ ids, columns: FEATURES, values })],
  ]);
}
