import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { messageOf } from '../data/errors.js';
import { FEATURES_FILE, LIVE_FILE, obtainDataset, unionColumns } from './data.js';
import type { EngineModel, LiveTable, PredictionEngine } from './engine.js';
import { PipelineError, classifyError, makeRedactor } from './errors.js';
import type { ModelRun, RunContext, StageOutcome } from './context.js';
import { describeHolder, fileLocks, lockFolder, lockName, type Locks } from './locks.js';
import { planRound, type PlannedModel, type RoundPlan } from './plan.js';
import { lookBack } from './lookback.js';
import type { Clock, DatasetStore, NumeraiPort, Reporter, Round, ScoresPort } from './ports.js';
import { REPORT_SCHEMA_VERSION, countByStatus, type ErrorClass, type ModelReport, type RunReport, type Stage } from './report.js';
import { readScores } from './scores.js';
import type { PipelineSettings } from './settings.js';
import { predictionStats } from './stats.js';
import { triggerReport } from './trigger-timing.js';
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
  /** Where the models' scores are read from when settings.showScores is on (the Numerai client). */
  scores?: ScoresPort;
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

/** The prediction engine made of the real modules, loaded on first use, using `threads` CPU threads (0: every core). */
export async function defaultEngine(threads = 0): Promise<PredictionEngine> {
  const { createDefaultEngine } = await import('./default-engine.js');
  return createDefaultEngine({ threads });
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
  const activeEngine = engine ?? (await defaultEngine(settings.threads));
  try {
    const plan = await planRound({ settings, ports: { ...ports, reporter }, engine: activeEngine });
    for (const entry of plan.models) if (entry.message) entry.message = redact(entry.message);
    if (plan.error) plan.error.message = redact(plan.error.message);
    return plan;
  } finally {
    if (!engine) await activeEngine.dispose?.();
  }
}

/** A stage of the run: a function over the run's context (see context.ts). */
type RunStage = (run: RunContext) => Promise<StageOutcome>;

/**
 * The stages of a run, in order. Each reads what the earlier ones left in the context and leaves its own results
 * there; a stage that returns 'stop' ends the run (the report is written either way). A new stage of the run
 * (waiting for the round to open, missed rounds, scores) is one more function in this list.
 */
const RUN_STAGES: readonly RunStage[] = [planStage, modelsStage];

/**
 * One whole round: round → plan → data → predict → validate → upload → report. Each model is isolated: whatever
 * fails for one is recorded in its report entry and the others go on. Never throws for a failure of the run; the
 * report says what happened (see exitCodeFor), and is also written to <outputDir>/report.json.
 */
export async function runPipeline(settings: PipelineSettings, ports: PipelinePorts, engine?: PredictionEngine): Promise<RunReport> {
  const redact = makeRedactor([settings.secretKey]);
  const reporter = redactingReporter(ports.reporter, redact);
  // Everything but the engine, which is loaded under the try below: a run whose engine fails to load still reports.
  const context: Omit<RunContext, 'engine'> = {
    settings,
    ports: { ...ports, reporter, locks: ports.locks ?? fileLocks(lockFolder(settings.dataDir)) },
    redact,
    startedAt: ports.clock.now(),
    plan: { tournament: 0, round: null, late: false, models: [] },
    reports: new Map(),
    datasets: [],
  };
  let activeEngine: PredictionEngine | undefined = engine;
  let run: RunContext | undefined;
  try {
    activeEngine ??= await defaultEngine(settings.threads);
    run = { ...context, engine: activeEngine };
    for (const stage of RUN_STAGES) if ((await stage(run)) === 'stop') break;
  } catch (error) {
    // A bug, not a model's failure: keep what is known and say so.
    (run ?? context).error = { errorClass: 'InternalError', stage: 'plan', message: messageOf(error) };
  } finally {
    if (!engine) await activeEngine?.dispose?.().catch(() => undefined);
  }
  const ran = run ?? context;
  // Every run, including one that found nothing to do, looks back at the earlier rounds (not one that failed).
  const recentRounds = ran.error ? undefined : await lookBack(settings, ran.ports, ran.plan);
  const report = runReport(ran);
  report.trigger = triggerReport(settings.triggerEvent, ran.startedAt, ran.plan.round, ran.plan.waitedMs);
  if (settings.triggerId) report.trigger.id = settings.triggerId;
  if (recentRounds) report.recentRounds = recentRounds;
  if (report.error) reporter.log('error', report.error.message);
  const scored = report.models.filter((m) => m.modelId !== null).map((m) => ({ name: m.model, id: m.modelId! }));
  if (settings.showScores && ports.scores && scored.length > 0) {
    report.scores = await readScores(ports.scores, { tournament: report.tournament, models: scored, rounds: settings.scoreRounds }, reporter);
    if (report.scores.warning) report.scores.warning = redact(report.scores.warning);
  }
  await writeReport(report, reportPath(settings), reporter);
  return report;
}

/** The report of the run, from what its stages left in the context. */
function runReport(run: Omit<RunContext, 'engine'>): RunReport {
  const { plan, settings, redact } = run;
  const models = [...run.reports.values()].map((model) => redactReport(model, redact));
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
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.ports.clock.now().toISOString(),
    models,
    datasets: run.datasets,
    totals: countByStatus(models),
  };
  if (run.error) report.error = { ...run.error, message: redact(run.error.message) };
  return report;
}

/** Round → models folder → account → per-model submission check (plan.ts); every model of the plan gets its entry. */
async function planStage(run: RunContext): Promise<StageOutcome> {
  run.plan = await planRound(run);
  run.error = run.plan.error;
  if (!run.plan.round || run.error) return 'stop';
  for (const entry of run.plan.models) run.reports.set(entry.name, initialReport(entry, run.plan.round.number));
  return 'next';
}

function initialReport(entry: PlannedModel, round: number): ModelReport {
  const report: ModelReport = {
    model: entry.name,
    modelId: entry.modelId,
    // (A plan with an error never reaches here, so no model arrives not-planned; typed for completeness.)
    status: entry.status === 'pending' || entry.status === 'not-planned' ? 'failed' : entry.status,
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

/** Per dataset version: the data once for the models using it, then each model's steps (MODEL_STEPS). */
async function modelsStage(run: RunContext): Promise<StageOutcome> {
  const pending = run.plan.models.filter((entry) => entry.status === 'pending' && entry.model);
  const versions = [...new Set(pending.map((entry) => entry.model!.dataset))].sort();
  for (const version of versions) {
    const group = pending.filter((entry) => entry.model!.dataset === version);
    const dataStarted = run.ports.clock.now().getTime();
    const prepared = await prepareVersion(run, version, group);
    const dataMs = run.ports.clock.now().getTime() - dataStarted;
    for (const entry of group) run.reports.get(entry.name)!.durations.data = dataMs;
    if (!prepared) continue;
    for (const { entry, features } of prepared.models) {
      await runModel(run, { entry, features, table: prepared.table, report: run.reports.get(entry.name)! });
    }
  }
  return 'next';
}

/** features.json, each model's features, then the live file read once for the union of their columns. */
async function prepareVersion(
  run: RunContext,
  version: string,
  group: PlannedModel[],
): Promise<{ table: LiveTable; models: { entry: PlannedModel; features: string[] }[] } | undefined> {
  const { plan, engine, ports } = run;
  const round = plan.round!.number;
  const key = (file: string) => ({ tournament: plan.tournament, version, round, file });
  const failGroup = (entries: PlannedModel[], error: unknown, what: string) => {
    for (const entry of entries) {
      markFailed(run.reports.get(entry.name)!, 'data', { errorClass: classifyError(error, 'DataError', ports.numerai), message: `${what}: ${messageOf(error)}` }, ports.reporter);
    }
  };

  let featuresJson: unknown;
  try {
    featuresJson = await obtainDataset(run, key(FEATURES_FILE), (path) => engine.readFeaturesJson(path));
  } catch (error) {
    failGroup(group, error, `${version}/${FEATURES_FILE}`);
    return undefined;
  }

  const models: { entry: PlannedModel; features: string[] }[] = [];
  for (const entry of group) {
    try {
      models.push({ entry, features: engine.resolveFeatures(entry.model as EngineModel, featuresJson) });
    } catch (error) {
      markFailed(run.reports.get(entry.name)!, 'data', { errorClass: classifyError(error, 'ConfigError', ports.numerai), message: messageOf(error) }, ports.reporter);
    }
  }
  if (models.length === 0) return undefined;

  try {
    const columns = unionColumns(models.map((model) => model.features));
    const table = await obtainDataset(run, key(LIVE_FILE), (path) => engine.readLiveTable(path, columns));
    const threads = table.decodeThreads === undefined ? '' : ` (decoded on ${table.decodeThreads} thread${table.decodeThreads === 1 ? '' : 's'})`;
    ports.reporter.log('info', `Read ${version}/${LIVE_FILE}: ${table.rows} rows × ${columns.length} features${threads}.`);
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

/**
 * A step of one model: a function over the run and the model's own state (context.ts). 'next' goes on with the
 * next step; 'done' means the step has settled the model (skipped, succeeded, or failed with its own message).
 * Whatever a step throws fails the model at the step's stage.
 */
interface ModelStep {
  /** The report's stage while the step runs; its time is added to that stage's duration. */
  stage: Stage;
  run(run: RunContext, model: ModelRun): Promise<'next' | 'done'>;
}

/**
 * The steps of each model, in order. A new check before the upload (the round still open, say) is one more step
 * with stage 'upload' before `upload`; it runs under the model's lock.
 */
const MODEL_STEPS: readonly ModelStep[] = [
  { stage: 'predict', run: predict },
  { stage: 'validate', run: validateAndWrite },
  { stage: 'upload', run: lockModel },
  { stage: 'upload', run: checkRoundUnchanged },
  { stage: 'upload', run: checkNotSubmittedMeanwhile },
  { stage: 'upload', run: upload },
];

async function runModel(run: RunContext, model: ModelRun): Promise<void> {
  const { clock, reporter, numerai } = run.ports;
  const { report } = model;
  try {
    for (const step of MODEL_STEPS) {
      report.stage = step.stage;
      const started = clock.now().getTime();
      let outcome: 'next' | 'done';
      try {
        outcome = await step.run(run, model);
      } finally {
        report.durations[step.stage] = (report.durations[step.stage] ?? 0) + (clock.now().getTime() - started);
      }
      if (outcome === 'done') return;
    }
  } catch (error) {
    const { stage } = report;
    markFailed(report, stage, { errorClass: classifyError(error, STAGE_FALLBACK[stage], numerai), message: messageOf(error) }, reporter);
  } finally {
    await model.lock?.release();
  }
}

async function predict(run: RunContext, model: ModelRun): Promise<'next'> {
  const predictions = await run.engine.predict(model.entry.model as EngineModel, model.table, model.features);
  model.predictions = predictions;
  model.report.rows = predictions.length;
  model.report.stats = predictionStats(predictions);
  return 'next';
}

/** With `postprocess: none`, predictions outside (0, 1) are the model's raw outputs: say which setting fixes them. */
function rawOutputHint(model: EngineModel, stats: ModelReport['stats']): string {
  if (model.postprocess !== 'none' || !stats || (stats.min > 0 && stats.max < 1)) return '';
  return (
    `. model.yml has postprocess: none and the predictions run from ${stats.min} to ${stats.max}: set postprocess: rank ` +
    '(the default: ranks them into (0, 1)) or clip (keeps the values, clipped into (0, 1))'
  );
}

/** Numerai's rules, then the CSV on disk; a dry run ends here. */
async function validateAndWrite(run: RunContext, model: ModelRun): Promise<'next' | 'done'> {
  const { engine, settings, plan, ports } = run;
  const { report, table } = model;
  const predictions = model.predictions!;
  const check = engine.checkSubmission(table.ids, predictions, table.ids);
  if (!check.ok) {
    const message = `predictions break Numerai's rules: ${check.problems.join('; ')}${rawOutputHint(model.entry.model as EngineModel, report.stats)}`;
    markFailed(report, 'validate', { errorClass: 'PredictionError', message }, ports.reporter);
    return 'done';
  }
  model.csv = engine.submissionCsv(table.ids, predictions);
  const path = csvPath(settings, plan.round!.number, model.entry.name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, model.csv);
  report.csvPath = path;
  if (settings.dryRun) {
    succeed(report, 'dry-run', ports.reporter, `predicted ${report.rows} rows (dry run: not uploaded), ${path}`);
    return 'done';
  }
  if (!report.modelId) throw new Error('model has no Numerai id');
  return 'next';
}

/** The per-round, per-model lock that keeps two runs sharing the data folder from both submitting the model. */
async function lockModel(run: RunContext, model: ModelRun): Promise<'next' | 'done'> {
  const { plan, ports } = run;
  const { entry, report } = model;
  const round = plan.round!.number;
  let attempt;
  try {
    attempt = await ports.locks.tryAcquire(lockName(plan.tournament, round, entry.name));
  } catch (error) {
    throw new PipelineError('InternalError', `could not take the lock for ${entry.name} in the data folder: ${messageOf(error)}`);
  }
  if (!attempt.acquired) {
    skip(report, `another run on this machine (${describeHolder(attempt.holder)}) is submitting ${entry.name} for round ${round}`, ports.reporter);
    return 'done';
  }
  model.lock = attempt.lock;
  if (attempt.lock.tookOver) {
    ports.reporter.log('warning', `${entry.name}: took over the lock left by a run that is gone (${describeHolder(attempt.lock.tookOver)}).`, { model: entry.name });
  }
  return 'next';
}

/** Predictions made from one round's live file are never uploaded into another round: the round is asked again. */
async function checkRoundUnchanged(run: RunContext, model: ModelRun): Promise<'next' | 'done'> {
  const { plan, ports } = run;
  const changed = roundChange(plan.round!.number, await ports.numerai.currentRound(plan.tournament));
  if (!changed) return 'next';
  markFailed(model.report, 'upload', { errorClass: 'DataError', message: changed }, ports.reporter);
  return 'done';
}

/** Why predictions for round `planned` must not be uploaded now, or null when that round is still the open one. */
export function roundChange(planned: number, now: Round | null): string | null {
  if (now?.number === planned) return null;
  if (!now) return `round ${planned} closed during this run and no round is open now: the predictions made from its live data were not uploaded`;
  return (
    `round ${now.number} opened during this run: these predictions were made from round ${planned}'s live data, so they were not ` +
    `uploaded into round ${now.number}. Run the workflow again to predict from round ${now.number}'s live data`
  );
}

/**
 * Planning saw no submission (or, under force, the one in existingSubmissionId), but another run may have submitted
 * since: the server is asked again, under the lock, right before uploading.
 */
async function checkNotSubmittedMeanwhile(run: RunContext, model: ModelRun): Promise<'next' | 'done'> {
  const { plan, ports } = run;
  const { report, entry } = model;
  const current = await ports.numerai.submissionForRound(report.modelId!, plan.round!.number, plan.tournament);
  if (current && current !== entry.existingSubmissionId) {
    report.submissionId = current;
    skip(report, `submitted by another run during this run (submission ${current})`, ports.reporter);
    return 'done';
  }
  return 'next';
}

async function upload(run: RunContext, model: ModelRun): Promise<'done'> {
  const { plan, ports } = run;
  const { entry, report } = model;
  const round = plan.round!.number;
  const outcome = await uploadOnce(run, {
    model: entry.name,
    modelId: report.modelId!,
    round,
    tournament: plan.tournament,
    filename: `${entry.name}_round${round}.csv`,
    csv: new TextEncoder().encode(model.csv!),
    existingSubmissionId: entry.existingSubmissionId,
    triggerId: run.settings.triggerId,
  });
  report.submissionId = outcome.submissionId;
  report.uploadAttempts = outcome.attempts;
  succeed(report, 'submitted', ports.reporter, `submitted ${report.rows} rows, submission ${outcome.submissionId}`);
  return 'done';
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

function markFailed(report: ModelReport, stage: Stage, failure: { errorClass: ErrorClass; message: string }, reporter: Reporter): void {
  const { errorClass, message } = failure;
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
    reporter.log('warning', `could not write the report to ${path}: ${messageOf(error)}`);
  }
}
