import { messageOf } from '../data/errors.js';
import { modelFolderNames } from '../models/folders.js';
import type { EngineModel, PredictionEngine } from './engine.js';
import { PipelineError, classifyError, numeraiErrorKind } from './errors.js';
import type { Clock, NumeraiPort, Reporter, Round } from './ports.js';
import { TOURNAMENTS, type TournamentName } from './ports.js';
import type { ErrorClass, RunReport, Stage } from './report.js';
import { formatDuration } from './duration.js';
import { awaitOpenRound } from './round-wait.js';
import type { PipelineSettings } from './settings.js';

/** One model's fate as far as the plan can tell, before any data is downloaded. */
export interface PlannedModel {
  name: string;
  /**
   * pending: will be predicted (and uploaded unless dry-run); skipped/failed: decided by the plan; not-planned: the
   * plan stopped before it could decide (see the plan's error), so nothing would run for it.
   */
  status: 'pending' | 'skipped' | 'failed' | 'not-planned';
  stage: Stage;
  modelId: string | null;
  dataset?: string;
  /** The model's submission already on Numerai for this round, if any (kept to recognise a new one under `force`). */
  existingSubmissionId: string | null;
  reason?: string;
  errorClass?: ErrorClass;
  message?: string;
  /** The loaded model (pending models only); internal to the run. */
  model?: EngineModel;
  durations: Partial<Record<Stage, number>>;
}

export interface RoundPlan {
  tournament: number;
  /** null when no round is open (nothing to do). */
  round: Round | null;
  late: boolean;
  /** How long the run waited for the round to open (wait-for-round), milliseconds. */
  waitedMs?: number;
  models: PlannedModel[];
  /** Set when the run cannot go on at all. */
  error?: RunReport['error'];
}

export interface PlanPorts {
  numerai: NumeraiPort;
  clock: Clock;
  reporter: Reporter;
}

/** The part of the run context (context.ts) that planning uses. */
export interface PlanContext {
  readonly settings: PipelineSettings;
  readonly ports: PlanPorts;
  readonly engine: PredictionEngine;
}

const TOURNAMENT: TournamentName = 'classic';

/** A step of planning: reads and fills the plan; 'stop' ends planning there (the plan says why). */
type PlanStep = (run: PlanContext, plan: RoundPlan) => Promise<'next' | 'stop'>;

/** The steps of planning, in order: the round, the models folder, then the account and its submissions. */
const PLAN_STEPS: readonly PlanStep[] = [readRound, readModelsFolder, checkAccount];

/**
 * Round → models folder → account → per-model submission check. Asks the server, never local state, whether a model
 * already has a submission for the round. Downloads nothing.
 */
export async function planRound(run: PlanContext): Promise<RoundPlan> {
  const plan: RoundPlan = { tournament: TOURNAMENTS[TOURNAMENT], round: null, late: false, models: [] };
  for (const step of PLAN_STEPS) if ((await step(run, plan)) === 'stop') break;
  return plan;
}

/** The open round, and whether submitting now is late. */
async function readRound(run: PlanContext, plan: RoundPlan): Promise<'next' | 'stop'> {
  const { numerai, clock, reporter } = run.ports;
  try {
    const found = await awaitOpenRound(run.ports, { tournament: plan.tournament, waitMs: run.settings.waitForRoundMs });
    plan.round = found.round;
    plan.waitedMs = found.waitedMs;
  } catch (error) {
    if (numeraiErrorKind(error) !== 'not-open') {
      plan.error = { errorClass: classifyError(error, 'NetworkError', numerai), stage: 'round', message: `could not read the current round: ${messageOf(error)}` };
      return 'stop';
    }
    plan.round = null;
  }
  if (!plan.round) {
    const waited = run.settings.waitForRoundMs > 0 ? ` after waiting ${formatDuration(plan.waitedMs ?? 0)}` : '';
    reporter.log('notice', `No ${TOURNAMENT} round is open for submissions${waited}: nothing to do.`);
    return 'stop';
  }
  const round = plan.round;
  const closes = round.closeStakingTime;
  if (submissionsAreLate(round, clock.now())) {
    plan.late = true;
    reporter.log(
      'warning',
      `Round ${round.number} closed for on-time submissions at ${closes?.toISOString()}: submissions now are late ` +
        '(scored without stake; Numerai queues them for the next round). Going on.',
    );
  } else {
    reporter.log('info', `Round ${round.number} is open: ${roundTimes(round)}.`);
  }
  return 'next';
}

/** One plan entry per model folder: pending, skipped (disabled) or failed (its model.yml or ONNX files). */
async function readModelsFolder(run: PlanContext, plan: RoundPlan): Promise<'next' | 'stop'> {
  const { settings, engine } = run;
  const { numerai, clock, reporter } = run.ports;
  const configStarted = clock.now().getTime();
  let loaded;
  try {
    loaded = await loadSelectedModels(settings, engine);
  } catch (error) {
    plan.error = { errorClass: classifyError(error, 'ConfigError', numerai), stage: 'config', message: messageOf(error) };
    return 'stop';
  }
  const configMs = clock.now().getTime() - configStarted;
  const named = new Set(settings.models);
  for (const result of loaded) {
    const entry: PlannedModel = {
      name: result.name,
      status: 'pending',
      stage: 'config',
      modelId: null,
      existingSubmissionId: null,
      durations: { config: configMs },
    };
    if (result.enabled === false && !named.has(result.name)) {
      // A disabled model runs only when asked for by name; its manifest problems are not the run's failure.
      Object.assign(entry, { status: 'skipped', reason: 'disabled in model.yml (enabled: false)' });
      if (result.ok) entry.dataset = result.model.dataset;
      reporter.log('info', `${result.name}: skipped, disabled in model.yml.`, { model: result.name });
    } else if (result.ok) {
      entry.model = result.model;
      entry.dataset = result.model.dataset;
    } else {
      Object.assign(entry, { status: 'failed', errorClass: 'ConfigError', message: result.errors.join('; ') });
      reporter.log('error', `${result.name}: ${entry.message}`, { model: result.name });
    }
    plan.models.push(entry);
  }
  return pendingOf(plan).length === 0 ? 'stop' : 'next';
}

/** Model names → ids, then the server's answer to "already submitted?" for each pending model. */
async function checkAccount(run: PlanContext, plan: RoundPlan): Promise<'next' | 'stop'> {
  const { settings } = run;
  const { numerai, clock, reporter } = run.ports;
  const { tournament } = plan;
  const round = plan.round!;
  if (!settings.publicId || !settings.secretKey) {
    if (!settings.dryRun) {
      return stopPlan(plan, {
        errorClass: 'AccountError',
        stage: 'plan',
        message: 'NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY are required to submit (a dry run can go without them)',
      });
    }
    reporter.log('notice', 'No API keys: predicting without checking the account or earlier submissions.');
    for (const entry of pendingOf(plan)) entry.stage = 'plan';
    return 'stop';
  }
  let accountModels;
  try {
    accountModels = (await numerai.accountModels(tournament)).filter((model) => model.tournament === tournament);
  } catch (error) {
    return stopPlan(plan, {
      errorClass: classifyError(error, 'AccountError', numerai),
      stage: 'plan',
      message: `could not list the account's models: ${messageOf(error)}`,
    });
  }
  const idsByName = new Map(accountModels.map((model) => [model.name, model.id]));
  const managed = new Set(accountModels.filter((model) => model.managedByModelUploads).map((model) => model.name));
  const accountNames = accountModels.map((model) => model.name).sort();

  for (const entry of pendingOf(plan)) {
    const started = clock.now().getTime();
    entry.stage = 'plan';
    const modelId = idsByName.get(entry.name);
    if (!modelId) {
      fail(entry, 'AccountError', `model ${entry.name} is not among this account's ${TOURNAMENT} models: ${accountNames.join(', ') || '(none)'}`);
    } else if (managed.has(entry.name)) {
      entry.modelId = modelId;
      fail(
        entry,
        'AccountError',
        `model ${entry.name} is managed by Numerai Model Uploads: Numerai runs the model uploaded for it every round and ` +
          'refuses API submissions for it. Turn Model Uploads off for it on numer.ai, or remove its folder (or set enabled: false)',
      );
    } else {
      entry.modelId = modelId;
      try {
        const existing = await numerai.submissionForRound(modelId, round.number, tournament);
        entry.existingSubmissionId = existing;
        if (existing && !settings.force) {
          entry.status = 'skipped';
          entry.reason = `already submitted for round ${round.number}`;
        }
      } catch (error) {
        fail(entry, classifyError(error, 'NetworkError', numerai), `could not check earlier submissions: ${messageOf(error)}`);
      }
    }
    entry.durations.plan = clock.now().getTime() - started;
    if (entry.status === 'failed') reporter.log('error', `${entry.name}: ${entry.message}`, { model: entry.name });
    else if (entry.status === 'skipped') reporter.log('info', `${entry.name}: skipped, ${entry.reason}.`, { model: entry.name });
  }
  return 'next';
}

function pendingOf(plan: RoundPlan): PlannedModel[] {
  return plan.models.filter((entry) => entry.status === 'pending');
}

/** "on time until … (closeStakingTime), open until … (closeTime)": the round's two deadlines, as far as they are known. */
function roundTimes(round: Round): string {
  const onTime = round.closeStakingTime ? `submissions are on time until ${round.closeStakingTime.toISOString()}` : 'no on-time deadline given';
  return `${onTime}, and the round closes at ${round.closeTime ? round.closeTime.toISOString() : 'a time the API does not give'}`;
}

/** The plan cannot go on: every model still pending is reported as not planned, never as if it would run. */
function stopPlan(plan: RoundPlan, error: NonNullable<RoundPlan['error']>): 'stop' {
  plan.error = error;
  for (const entry of plan.models) {
    if (entry.status !== 'pending') continue;
    entry.status = 'not-planned';
    entry.stage = 'plan';
    entry.reason = `not planned: ${error.message}`;
    delete entry.model;
  }
  return 'stop';
}

/** Whether a submission made now is late for the round: its on-time deadline (closeStakingTime) has passed. */
export function submissionsAreLate(round: Round, now: Date): boolean {
  return round.closeStakingTime !== null && now.getTime() > round.closeStakingTime.getTime();
}

function fail(entry: PlannedModel, errorClass: ErrorClass, message: string): void {
  entry.status = 'failed';
  entry.errorClass = errorClass;
  entry.message = message;
}

/** The model folders, checked against the `models` subset before anything is loaded. */
async function loadSelectedModels(settings: PipelineSettings, engine: PredictionEngine) {
  let folders: string[];
  try {
    folders = await modelFolderNames(settings.modelsDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PipelineError(
      'ConfigError',
      code === 'ENOENT'
        ? `models folder ${settings.modelsDir} does not exist: create it with one sub-folder per model (model.yml + ONNX files)`
        : `cannot read models folder ${settings.modelsDir}: ${messageOf(error)}`,
    );
  }
  const wanted = [...new Set(settings.models)];
  const unknown = wanted.filter((name) => !folders.includes(name));
  if (unknown.length > 0) {
    throw new PipelineError(
      'ConfigError',
      `${unknown.length === 1 ? 'model' : 'models'} ${unknown.join(', ')} ${unknown.length === 1 ? 'has' : 'have'} no folder in ` +
        `${settings.modelsDir} (folders: ${folders.join(', ') || 'none'})`,
    );
  }
  const results = await engine.loadModels(settings.modelsDir, wanted);
  if (results.length === 0) {
    throw new PipelineError(
      'ConfigError',
      `no models in ${settings.modelsDir}: add one folder per model, named after the Numerai model, with a model.yml`,
    );
  }
  return results.sort((a, b) => a.name.localeCompare(b.name));
}
