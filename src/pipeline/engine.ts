/**
 * What the pipeline needs from the models folder, the dataset readers and Numerai's submission rules. The default
 * engine (default-engine.ts) wires the real modules (src/models, src/data, src/submission); tests of the orchestration
 * may pass a small engine of their own.
 */

/** A loaded model, as far as the pipeline needs to know it; the engine keeps the rest. */
export interface EngineModel {
  readonly name: string;
  /** Dataset version the model reads, e.g. "v5.2". */
  readonly dataset: string;
  /** How raw outputs become predictions (model.yml `postprocess`), when the engine knows it. */
  readonly postprocess?: string;
}

export type ModelLoadResult =
  | { name: string; ok: true; model: EngineModel; enabled?: boolean }
  | { name: string; ok: false; errors: string[]; enabled?: boolean };

/** The live file's rows for a set of columns: one dense row-major float32 matrix. */
export interface LiveTable {
  ids: string[];
  columns: string[];
  rows: number;
  values: Float32Array;
  /** How many threads decoded it, when the reader says. */
  decodeThreads?: number;
}

export interface SubmissionCheck {
  ok: boolean;
  problems: string[];
}

export interface PredictionEngine {
  /**
   * One result per model folder (only the named ones when `only` is not empty). A bad manifest is a failed result for
   * that model, never a throw; throws only when the folder itself cannot be read.
   */
  loadModels(modelsDir: string, only: readonly string[]): Promise<ModelLoadResult[]>;
  /** Reads a dataset version's features.json; throws a DataError when the file is truncated or not features.json. */
  readFeaturesJson(path: string): Promise<unknown>;
  /** The model's ordered input features; throws (ConfigError) when they are not in the dataset. */
  resolveFeatures(model: EngineModel, featuresJson: unknown): string[];
  /** Reads these columns of the live file once; throws a DataError when the file is truncated or corrupt. */
  readLiveTable(path: string, columns: readonly string[]): Promise<LiveTable>;
  /** Post-processed predictions, one per row of the table. */
  predict(model: EngineModel, table: LiveTable, features: readonly string[]): Promise<Float64Array>;
  /** Numerai's submission rules. */
  checkSubmission(ids: readonly string[], predictions: ArrayLike<number>, liveIds: readonly string[]): SubmissionCheck;
  /** The CSV Numerai accepts (header id,prediction). */
  submissionCsv(ids: readonly string[], predictions: ArrayLike<number>): string;
  /** Releases what the engine holds for the run (ONNX sessions). */
  dispose?(): Promise<void>;
}
