import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FEATURES_FILE, LIVE_FILE, obtainDataset, unionColumns } from './data.js';
import type { EngineModel, LiveTable, PredictionEngine } from './engine.js';
import { PipelineError, classifyError, errorMessage, makeRedactor } from './errors.js';
import { describeHolder, fileLocks, lockFolder, lockName, type HeldLock, type Locks } from './locks.js';
import { planRound, type PlannedModel, type RoundPlan } from './plan.js';
import type { Clock, DatasetStore, NumeraiPort, Reporter } from './ports.js';
import { REPORT_SCHEMA_VERSION, countByStatus, type DatasetUse, type ErrorClass, type ModelReport, type RunReport, type Stage } from './report.js';
import type { PipelineSettings } from './settings.js';
import { predictionStats } from './stats.js';
import { uploadOnce } from './upload.js';

export { planRound } from './plan.js';
export type { PlannedModel, RoundPlan } from './plan.js';

export interface PipelinePorts {
  numerai: NumeraiPort;
  store: DatasetStore;
  clock: Clock;
  reporter: Reporter;
  /**
   * Locks shared by the runs using one data folder (per model and round, per dataset file). Absent: lock files in
   * <dataDir>/locks, which is what both the action and the CLI use.
   */
  locks?: Locks;
}

export const REPORT_FILE = 'report.json';

/** Where runPipeline writes the JSON report. */
export function reportPath(settings: Pick<PipelineSettings, 'outputDir'>): string {
  return join(settings.outputDir, REPORT_FILE);
}

/** Where the submission CSV of a model for a round is written. */
export function csvPath(settings: Pick<PipelineSettings, 'outputDir'>, round: number, model: string): string {
  return join(settings.outputDir, `round-${round}`, `${model}.csv`);
}

/** The class a failure gets when the module that threw did not classify it. */
const STAGE_FALLBACK: Record<Stage, ErrorClass> = {
  config: 'ConfigError',
  plan: 'AccountError',
  data: 'DataError',
  predict: 'ModelError',
  validate: 'PredictionError',
  upload: 'NetworkError',
};

/** The prediction engine made of the real modules, loaded on first use. */
export async function defaultEngine(): Promise<PredictionEngine> {
  const { createDefaultEngine } = await import('./default-engine.js');
  return createDefaultEngine();
}

/**
 * Plans the round, planRound's way, in the same folders and with the same redaction as a run. The engine defaults to
 * the real models modules.
 */
export async function planCurrentRound(
  settings: PipelineSettings,
  ports: Pick<PipelinePorts, 'numerai' | 'clock' | 'reporter'>,
  engine?: PredictionEngine,
): Promise<RoundPlan> {
  const redact = makeRedactor([settings.secretKey]);
  const reporter = redactingReporter(ports.reporter, redact);
  const activeEngine = engine ?? (await defaultEngine());
  try {
    const plan = await planRound(settings, { ...ports, reporter }, activeEngine);
    for (const entry of plan.models) if (entry.message) entry.message = redact(entry.message);
    if (plan.error) plan.error.message = redact(plan.error.message);
    return plan;
  } finally {
    if (!engine) await activeEngine.dispose?.();
  }
}

/**
 * One whole round: round → plan → data → predict → validate → upload → report. Each model is isolated: whatever
 * fails for one is recorded in its report entry and the others go on. Never throws for a failure of the run; the
 * report says what happened (see exitCodeFor), and is also written to <outputDir>/report.json.
 */
export async function runPipeline(settings: PipelineSettings, ports: PipelinePorts, engine?: PredictionEngine): Promise<RunReport> {
  const redact = makeRedactor([settings.secretKey]);
  const reporter = redactingReporter(ports.reporter, redact);
  const activePorts: PipelinePorts = { ...ports, reporter, locks: ports.locks ?? fileLocks(lockFolder(settings.dataDir)) };
  const startedAt = ports.clock.now();
  const datasets: DatasetUse[] = [];
  let plan: RoundPlan = { tournament: 0, round: null, late: false, models: [] };
  const reports = new Map<string, ModelReport>();
  let activeEngine: PredictionEngine | undefined = engine;
  let runError: RunReport['error'];

  try {
    activeEngine ??= await defaultEngine();
    plan = await planRound(settings, activePorts, activeEngine);
    runError = plan.error;
    if (plan.round && !runError) {
      for (const entry of plan.models) reports.set(entry.name, initialReport(entry, plan.round.number));
      await predictAndUpload(settings, activePorts, activeEngine, plan, reports, datasets);
    }
  } catch (error) {
    // A bug, not a model's failure: keep what is known and say so.
    runError = { errorClass: 'InternalError', stage: 'plan', message: errorMessage(error) };
  } finally {
    if (!engine) await activeEngine?.dispose?.().catch(() => undefined);
  }

  const models = [...reports.values()].map((model) => redactReport(model, redact));
  const report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tournament: plan.tournament,
    round: plan.round?.number ?? null,
    ...(plan.round
      ? {
          window: {
            openTime: plan.round.openTime.toISOString(),
            closeStakingTime: plan.round.closeStakingTime?.toISOString() ?? null,
            closeTime: plan.round.closeTime?.toISOString() ?? null,
          },
        }
      : {}),
    late: plan.late,
    dryRun: settings.dryRun,
    startedAt: startedAt.toISOString(),
    finishedAt: ports.clock.now().toISOString(),
    models,
    datasets,
    totals: countByStatus(models),
  };
  if (runError) {
    report.error = { ...runError, message: redact(runError.message) };
    reporter.log('error', report.error.message);
  }
  await writeReport(report, reportPath(settings), reporter);
  return report;
}

function initialReport(entry: PlannedModel, round: number): ModelReport {
  const report: ModelReport = {
    model: entry.name,
    modelId: entry.modelId,
    status: entry.status === 'pending' ? 'failed' : entry.status,
    stage: entry.stage,
    round,
    durations: { ...entry.durations },
  };
  if (entry.dataset) report.dataset = entry.dataset;
  if (entry.status === 'skipped') {
    report.reason = entry.reason;
    if (entry.existingSubmissionId) report.submissionId = entry.existingSubmissionId;
  }
  if (entry.status === 'failed') {
    report.errorClass = entry.errorClass;
    report.message = entry.message;
  }
  if (entry.status === 'pending') {
    // Until it gets further, a pending model counts as failed at the plan stage: a crash of the run leaves it so.
    report.errorClass = 'InternalError';
    report.message = 'not processed';
  }
  return report;
}

async function predictAndUpload(
  settings: PipelineSettings,
  ports: PipelinePorts,
  engine: PredictionEngine,
  plan: RoundPlan,
  reports: Map<string, ModelReport>,
  datasets: DatasetUse[],
): Promise<void> {
  const round = plan.round!.number;
  const pending = plan.models.filter((entry) => entry.status === 'pending' && entry.model);
  const versions = [...new Set(pending.map((entry) => entry.model!.dataset))].sort();
  for (const version of versions) {
    const group = pending.filter((entry) => entry.model!.dataset === version);
    const dataStarted = ports.clock.now().getTime();
    const prepared = await prepareVersion(version, group, settings, ports, engine, plan, reports, datasets);
    const dataMs = ports.clock.now().getTime() - dataStarted;
    for (const entry of group) reports.get(entry.name)!.durations.data = dataMs;
    if (!prepared) continue;
    for (const { entry, features } of prepared.models) {
      await processModel(entry, features, prepared.table, settings, ports, engine, plan, round, reports.get(entry.name)!);
    }
  }
}

/** features.json, each model's features, then the live file read once for the union of their columns. */
async function prepareVersion(
  version: string,
  group: PlannedModel[],
  settings: PipelineSettings,
  ports: PipelinePorts,
  engine: PredictionEngine,
  plan: RoundPlan,
  reports: Map<string, ModelReport>,
  datasets: DatasetUse[],
): Promise<{ table: LiveTable; models: { entry: PlannedModel; features: string[] }[] } | undefined> {
  const round = plan.round!.number;
  const key = (file: string) => ({ tournament: plan.tournament, version, round, file });
  const failGroup = (entries: PlannedModel[], error: unknown, what: string) => {
    for (const entry of entries) {
      markFailed(reports.get(entry.name)!, 'data', classifyError(error, 'DataError', ports.numerai), `${what}: ${errorMessage(error)}`, ports.reporter);
    }
  };

  let featuresJson: unknown;
  try {
    featuresJson = await obtainDataset(key(FEATURES_FILE), (path) => engine.readFeaturesJson(path), ports, datasets);
  } catch (error) {
    failGroup(group, error, `${version}/${FEATURES_FILE}`);
    return undefined;
  }

  const models: { entry: PlannedModel; features: string[] }[] = [];
  for (const entry of group) {
    try {
      models.push({ entry, features: engine.resolveFeatures(entry.model as EngineModel, featuresJson) });
    } catch (error) {
      markFailed(reports.get(entry.name)!, 'data', classifyError(error, 'ConfigError', ports.numerai), errorMessage(error), ports.reporter);
    }
  }
  if (models.length === 0) return undefined;

  try {
    const columns = unionColumns(models.map((model) => model.features));
    const table = await obtainDataset(key(LIVE_FILE), (path) => engine.readLiveTable(path, columns), ports, datasets);
    ports.reporter.log('info', `Read ${version}/${LIVE_FILE}: ${table.rows} rows × ${columns.length} features.`);
    return { table, models };
  } catch (error) {
    failGroup(
      models.map((model) => model.entry),
      error,
      `${version}/${LIVE_FILE}`,
    );
    return undefined;
  }
}

async function processModel(
  entry: PlannedModel,
  features: string[],
  table: LiveTable,
  settings: PipelineSettings,
  ports: PipelinePorts,
  engine: PredictionEngine,
  plan: RoundPlan,
  round: number,
  report: ModelReport,
): Promise<void> {
  const { clock, reporter } = ports;
  let stage: Stage = 'predict';
  let started = clock.now().getTime();
  const finishStage = () => {
    const now = clock.now().getTime();
    report.durations[stage] = now - started;
    started = now;
  };
  try {
    report.stage = stage;
    const predictions = await engine.predict(entry.model as EngineModel, table, features);
    report.rows = predictions.length;
    report.stats = predictionStats(predictions);
    finishStage();

    stage = 'validate';
    report.stage = stage;
    const check = engine.checkSubmission(table.ids, predictions, table.ids);
    if (!check.ok) {
      finishStage();
      markFailed(report, stage, 'PredictionError', `predictions break Numerai's rules: ${check.problems.join('; ')}`, reporter);
      return;
    }
    const csv = engine.submissionCsv(table.ids, predictions);
    const path = csvPath(settings, round, entry.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, csv);
    report.csvPath = path;
    finishStage();

    if (settings.dryRun) {
      succeed(report, 'dry-run', reporter, `predicted ${report.rows} rows (dry run: not uploaded), ${path}`);
      return;
    }
    if (!report.modelId) throw new Error('model has no Numerai id');

    stage = 'upload';
    report.stage = stage;
    const modelId = report.modelId;
    const lock = await takeModelLock(ports.locks, plan.tournament, round, entry.name);
    if (lock.acquired && lock.lock?.tookOver) {
      reporter.log('warning', `${entry.name}: took over the lock left by a run that is gone (${describeHolder(lock.lock.tookOver)}).`, { model: entry.name });
    }
    if (!lock.acquired) {
      finishStage();
      skip(report, `another run on this machine (${describeHolder(lock.holder)}) is submitting ${entry.name} for round ${round}`, reporter);
      return;
    }
    try {
      // Planning saw no submission (or, under force, the one in existingSubmissionId), but another run may have
      // submitted since: the server is asked again, under the lock, right before uploading.
      const current = await ports.numerai.submissionForRound(modelId, round, plan.tournament);
      if (current && current !== entry.existingSubmissionId) {
        finishStage();
        report.submissionId = current;
        skip(report, `submitted by another run during this run (submission ${current})`, reporter);
        return;
      }
      const outcome = await uploadOnce(
        {
          model: entry.name,
          modelId,
          round,
          tournament: plan.tournament,
          filename: `${entry.name}_round${round}.csv`,
          csv: new TextEncoder().encode(csv),
          existingSubmissionId: entry.existingSubmissionId,
        },
        ports,
        settings.retries,
      );
      finishStage();
      report.submissionId = outcome.submissionId;
      report.uploadAttempts = outcome.attempts;
      succeed(report, 'submitted', reporter, `submitted ${report.rows} rows, submission ${outcome.submissionId}`);
    } finally {
      await lock.lock?.release();
    }
  } catch (error) {
    finishStage();
    markFailed(report, stage, classifyError(error, STAGE_FALLBACK[stage], ports.numerai), errorMessage(error), reporter);
  }
}

type ModelLock = { acquired: true; lock?: HeldLock } | { acquired: false; holder: Parameters<typeof describeHolder>[0] };

/** The per-round, per-model lock that keeps two runs sharing the data folder from both submitting the model. */
async function takeModelLock(locks: Locks | undefined, tournament: number, round: number, model: string): Promise<ModelLock> {
  if (!locks) return { acquired: true };
  try {
    const attempt = await locks.tryAcquire(lockName(tournament, round, model));
    return attempt.acquired ? { acquired: true, lock: attempt.lock } : attempt;
  } catch (error) {
    throw new PipelineError('InternalError', `could not take the lock for ${model} in the data folder: ${errorMessage(error)}`);
  }
}

function skip(report: ModelReport, reason: string, reporter: Reporter): void {
  report.status = 'skipped';
  report.reason = reason;
  delete report.errorClass;
  delete report.message;
  reporter.log('info', `${report.model}: skipped, ${reason}.`, { model: report.model });
}

function succeed(report: ModelReport, status: 'submitted' | 'dry-run', reporter: Reporter, message: string): void {
  report.status = status;
  delete report.errorClass;
  delete report.message;
  reporter.log('info', `${report.model}: ${message}.`, { model: report.model });
}

function markFailed(report: ModelReport, stage: Stage, errorClass: ErrorClass, message: string, reporter: Reporter): void {
  report.status = 'failed';
  report.stage = stage;
  report.errorClass = errorClass;
  report.message = message;
  reporter.log('error', `${report.model}: ${errorClass} at ${stage}: ${message}`, { model: report.model });
}

function redactReport(report: ModelReport, redact: (text: string) => string): ModelReport {
  const copy = { ...report };
  if (copy.message) copy.message = redact(copy.message);
  if (copy.reason) copy.reason = redact(copy.reason);
  return copy;
}

function redactingReporter(reporter: Reporter, redact: (text: string) => string): Reporter {
  const wrapped: Reporter = { log: (level, message, context) => reporter.log(level, redact(message), context) };
  if (reporter.downloadProgress) wrapped.downloadProgress = reporter.downloadProgress.bind(reporter);
  return wrapped;
}

async function writeReport(report: RunReport, path: string, reporter: Reporter): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    reporter.log('warning', `could not write the report to ${path}: ${errorMessage(error)}`);
  }
}
