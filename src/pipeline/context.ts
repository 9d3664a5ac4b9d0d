/**
 * The run context: one object that every stage of a run works over, in the manner of actions/cache's restore, which
 * takes one `StateProvider` instead of a list of values. The shell's settings and ports, the engine, the redaction,
 * and what the stages have found so far (the plan, the models' report entries, the dataset files used) live here.
 *
 * A stage is a small function over the context (`(run: RunContext) => Promise<...>`); the helpers of data.ts,
 * upload.ts and plan.ts take the narrower views they declare (DataContext, UploadContext, PlanContext), which the
 * run context satisfies. A new stage reads what earlier stages left here and leaves its result here: something new
 * that a later stage needs becomes a field of this object, never one more parameter down the chain.
 */
import type { LiveTable, PredictionEngine } from './engine.js';
import type { HeldLock, Locks } from './locks.js';
import type { PlannedModel, RoundPlan } from './plan.js';
import type { Clock, DatasetStore, NumeraiPort, Reporter } from './ports.js';
import type { DatasetUse, ModelReport, RunReport } from './report.js';
import type { PipelineSettings } from './settings.js';

/** The ports of a run as its stages use them: the reporter redacts, and the locks are chosen. */
export interface RunPorts {
  numerai: NumeraiPort;
  store: DatasetStore;
  clock: Clock;
  reporter: Reporter;
  locks: Locks;
}

export interface RunContext {
  readonly settings: PipelineSettings;
  readonly ports: RunPorts;
  readonly engine: PredictionEngine;
  /** Removes the secret key from any text that leaves the run (logs, report, messages). */
  readonly redact: (text: string) => string;
  readonly startedAt: Date;
  /** The round and the models' fates as the plan stage decided them (empty until it has run). */
  plan: RoundPlan;
  /** The report entry of each model of the plan, by name; stages update the entries in place. */
  readonly reports: Map<string, ModelReport>;
  /** Every dataset file obtained (from the store or by download), for the report. */
  readonly datasets: DatasetUse[];
  /** Set when the run as a whole cannot go on (no model's fault). */
  error?: RunReport['error'];
}

/** What a stage of the run returns: go on with the next stage, or stop the run here (the report says why). */
export type StageOutcome = 'next' | 'stop';

/** One model's way through predict → validate → upload, as the model steps see it. */
export interface ModelRun {
  readonly entry: PlannedModel;
  readonly report: ModelReport;
  /** The model's feature columns, resolved against the version's features.json. */
  readonly features: string[];
  /** The version's live table, read once for the models sharing it. */
  readonly table: LiveTable;
  predictions?: Float64Array;
  /** The submission CSV, once written. */
  csv?: string;
  /** The per-model, per-round lock, held from the upload's first step until the model is done. */
  lock?: HeldLock;
}
