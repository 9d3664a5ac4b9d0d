/**
 * The run report: one JSON document per run, written by the pipeline and read by the shells (job summary,
 * failure issues, CLI table). Its schema is documented in docs/report.md; bump
 * REPORT_SCHEMA_VERSION on any incompatible change (adding an optional field is compatible).
 */

import type { TriggerReport } from './trigger-timing.js';

export const REPORT_SCHEMA_VERSION = 2;

export type ModelStatus = 'submitted' | 'skipped' | 'failed' | 'dry-run';

export const MODEL_STATUSES: readonly ModelStatus[] = ['submitted', 'skipped', 'failed', 'dry-run'];

/** The stage at which a model stopped (for failures) or the last stage it reached. */
export type Stage = 'config' | 'plan' | 'data' | 'predict' | 'validate' | 'upload';

/** Where a run as a whole stopped, when it could not get as far as the models. */
export type RunErrorStage = 'round' | 'config' | 'plan';

/** A stable class for each failure, so issues and tests can tell failures apart. */
export type ErrorClass =
  | 'ConfigError' // models folder or manifest invalid
  | 'AccountError' // model not in the account, wrong keys, missing scope
  | 'DataError' // dataset missing, corrupt or unreadable
  | 'ModelError' // ONNX file unreadable or incompatible
  | 'PredictionError' // predictions break Numerai's rules (NaN, constant, out of range, ids)
  | 'SubmissionRejected' // Numerai refused the upload
  | 'NetworkError' // transient failures that outlived the retry budget
  | 'InternalError';

export const ERROR_CLASSES: readonly ErrorClass[] = [
  'ConfigError',
  'AccountError',
  'DataError',
  'ModelError',
  'PredictionError',
  'SubmissionRejected',
  'NetworkError',
  'InternalError',
];

export interface PredictionStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** How many predictions were NaN or infinite (the other figures are computed over the finite ones). */
  nonFinite?: number;
}

export interface ModelReport {
  model: string;
  modelId: string | null;
  status: ModelStatus;
  stage: Stage;
  round: number;
  /** The dataset version the model reads, e.g. "v5.2" (absent when its manifest could not be read). */
  dataset?: string;
  /** Why a model was skipped, e.g. "already submitted for round 1234". */
  reason?: string;
  errorClass?: ErrorClass;
  message?: string;
  rows?: number;
  stats?: PredictionStats;
  /** Where the submission CSV was written, when one was. */
  csvPath?: string;
  /** The new submission (submitted), or the one already there (skipped). */
  submissionId?: string;
  /** Upload attempts made (more than 1 after an ambiguous or transient upload failure). */
  uploadAttempts?: number;
  /** Milliseconds spent per stage. */
  durations: Partial<Record<Stage, number>>;
}

export interface DatasetUse {
  /** "<version>/<file>", e.g. "v5.2/live.parquet". */
  file: string;
  source: 'store' | 'download';
  bytes: number;
  /**
   * Set when the store (the Actions cache in the action) could not be read for this file, so it was downloaded:
   * what failed. Absent on a hit and on a plain miss.
   */
  storeFailure?: string;
}

/** What one model did in the expected rounds looked back at (see RecentRoundsReport). */
export interface ModelRoundsReport {
  model: string;
  /** Expected rounds that closed for on-time submissions with no submission of this model. */
  missed: number[];
  /** Expected rounds this model answered only after closeStakingTime. */
  late: number[];
  /** Each expected round since the model's first submission, oldest first, with what it did. */
  rounds: { number: number; outcome: 'on-time' | 'late' | 'missed' }[];
  /** The open round, when there is one: whether the model had an on-time submission for it when the run ended. */
  current?: { number: number; outcome: 'on-time' | 'late' | 'none' };
}

/** Missed and late rounds of each model, read from Numerai's records of rounds and submissions on every run. */
export interface RecentRoundsReport {
  /** Which rounds a model is expected to answer: `weekend` (rounds opening on Saturday, UTC) or `all` (Tuesday–Saturday). */
  expect: 'weekend' | 'all';
  /** How many of the latest expected rounds are looked at. */
  lookback: number;
  /** The expected rounds looked at (closed for on-time submissions), oldest first. */
  rounds: number[];
  models: ModelRoundsReport[];
  /** Why the records could not be read; the run's result does not depend on it. */
  error?: string;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tournament: number;
  /** null when no round was open. */
  round: number | null;
  /** The round's window, as the API gave it (ISO-8601); absent when no round was open. */
  window?: { openTime: string; closeStakingTime: string | null; closeTime: string | null };
  late: boolean;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  models: ModelReport[];
  /** Dataset files used, and whether each came from the store or a download. */
  datasets: DatasetUse[];
  totals: Record<ModelStatus, number>;
  /** When the run started relative to the round, and what started it. */
  trigger?: TriggerReport;
  /** Missed and late rounds per model (absent without API keys). */
  recentRounds?: RecentRoundsReport;
  /**
   * Set when the run could not get as far as the models (round lookup failed, no models folder, wrong keys, an
   * unknown name in the `models` subset). The run then failed as a whole.
   */
  error?: { errorClass: ErrorClass; stage: RunErrorStage; message: string };
  /** The models' recent round scores, as Numerai reported them (schema 2; absent when show-scores is off). */
  scores?: ScoresReport;
}

/** What the run read of its models' scores (see scores.ts). Reading scores never fails a run or a model. */
export interface ScoresReport {
  /** How many recent scored rounds were asked for per model (score-rounds). */
  rounds: number;
  models: ModelScores[];
  /** The one warning logged when some scores or round configurations could not be read. */
  warning?: string;
}

export interface ModelScores {
  model: string;
  modelId: string;
  /** The scored rounds, newest first (at most `rounds`; empty when the model has no scores yet). */
  rounds: RoundScores[];
  /** The newest resolved round, also when it is older than the rounds above. */
  latestResolved: RoundScores | null;
  /** The newest round whose scores are still provisional. */
  latestUnresolved: RoundScores | null;
  /** Mean and trend of the payout score over the rounds paid on the newest round's formula. */
  summary: ScoreSummary | null;
  /** Why this model's scores could not be read (then `rounds` is empty). */
  error?: string;
}

export interface RoundScores {
  round: number;
  /** Every payout metric of the round is resolved (its value is final); false: provisional values. */
  resolved: boolean;
  /**
   * Where the payout metrics come from: 'listed' from the round's roundScoreConfigs; 'none' when the API lists no
   * configuration for the round; 'unread' when the configurations could not be read. Without one, `payout` is empty
   * and `metrics` holds the raw values.
   */
  config: 'listed' | 'none' | 'unread';
  /** The metrics that count for payout in this round, with the config's default multiplier. */
  payout: PayoutMetric[];
  /** The payout formula as text, e.g. "3×corr60 + 15×mmc60"; null without a config. */
  formula: string | null;
  /** Σ multiplier × value over the payout metrics; null when a multiplier or a value is missing. */
  payoutScore: number | null;
  /** Every metric Numerai reported for the round (its latest day), by display name. */
  metrics: Record<string, MetricScore>;
}

export interface PayoutMetric {
  metric: string;
  multiplier: number | null;
  value: number | null;
  percentile: number | null;
  resolved: boolean;
}

export interface MetricScore {
  value: number | null;
  percentile: number | null;
  resolved: boolean;
  /** The scoring day of the value. */
  day: number | null;
}

export interface ScoreSummary {
  /** The formula the rounds below were paid on. */
  formula: string;
  /** How many rounds (with a payout score) were paid on it. */
  rounds: number;
  mean: number | null;
  /** Least-squares slope of the payout score per round; null with fewer than 3 rounds. */
  trendPerRound: number | null;
}

export function countByStatus(models: readonly ModelReport[]): Record<ModelStatus, number> {
  const totals: Record<ModelStatus, number> = { submitted: 0, skipped: 0, failed: 0, 'dry-run': 0 };
  for (const model of models) totals[model.status] += 1;
  return totals;
}

/** 0 when nothing failed, 1 when a model or the run as a whole failed. */
export function exitCodeFor(report: RunReport): 0 | 1 {
  return report.error || report.totals.failed > 0 ? 1 : 0;
}

/** The names of the models with one status (for action outputs and summaries). */
export function modelsWithStatus(report: RunReport, status: ModelStatus): string[] {
  return report.models.filter((model) => model.status === status).map((model) => model.model);
}
