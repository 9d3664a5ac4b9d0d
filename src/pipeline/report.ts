/**
 * The run report: one JSON document per run, written by the pipeline and read by the shells (job summary,
 * failure issues, CLI table). Its schema is documented in README.md ("The run report"); bump
 * REPORT_SCHEMA_VERSION on any incompatible change.
 */

export const REPORT_SCHEMA_VERSION = 1;

export type ModelStatus = 'submitted' | 'skipped' | 'failed' | 'dry-run';

/** The stage at which a model stopped (for failures) or the last stage it reached. */
export type Stage = 'config' | 'plan' | 'data' | 'predict' | 'validate' | 'upload';

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

export interface PredictionStats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface ModelReport {
  model: string;
  modelId: string | null;
  status: ModelStatus;
  stage: Stage;
  round: number;
  /** Why a model was skipped, e.g. "already submitted for round 1234". */
  reason?: string;
  errorClass?: ErrorClass;
  message?: string;
  rows?: number;
  stats?: PredictionStats;
  /** Where the submission CSV was written, when one was. */
  csvPath?: string;
  submissionId?: string;
  durations: Partial<Record<Stage, number>>;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tournament: number;
  /** null when no round was open. */
  round: number | null;
  late: boolean;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  models: ModelReport[];
  /** Dataset files used, and whether each came from the store or a download. */
  datasets: { file: string; source: 'store' | 'download'; bytes: number }[];
  totals: Record<ModelStatus, number>;
}
