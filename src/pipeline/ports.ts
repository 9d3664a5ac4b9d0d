import type { ErrorClass } from './report.js';

/**
 * The ports the pipeline depends on. The pipeline never imports GitHub, the terminal or a concrete HTTP
 * client: the action (src/github) and the CLI (src/cli) plug adapters into these interfaces.
 */

/** Tournament ids as the Numerai API numbers them. */
export const TOURNAMENTS = { classic: 8, signals: 11, crypto: 12 } as const;
export type TournamentName = keyof typeof TOURNAMENTS;

export interface Round {
  number: number;
  openTime: Date;
  closeStakingTime: Date | null;
  closeTime: Date | null;
}

/** One submission of a model as Numerai records it: which round it answered and when it arrived. */
export interface SubmissionRecord {
  round: number;
  tournament: number;
  insertedAt: Date | null;
}

export interface AccountModel {
  id: string;
  name: string;
  tournament: number;
  /** Numerai Model Uploads runs this model's uploaded pickle every round, and refuses API submissions for it. */
  managedByModelUploads?: boolean;
}

/** What the pipeline needs from the Numerai API (implemented by src/numerai). */
export interface NumeraiPort {
  /** The open round of a tournament, or null when no round is open for submissions. */
  currentRound(tournament: number): Promise<Round | null>;
  /**
   * Optional: the next round of a tournament that has not opened yet, when the API lists one with its openTime
   * (numerapi `list_rounds(status="upcoming")`). Lets a wait sleep until the round is due instead of polling.
   */
  upcomingRound?(tournament: number): Promise<Round | null>;
  /** Optional: the tournament's most recent rounds (at most `limit`, any order), for the look-back at missed rounds. */
  recentRounds?(tournament: number, limit: number): Promise<Round[]>;
  /** Optional: every submission of a model (any round, any order), for the look-back at missed rounds. */
  submissionHistory?(modelId: string): Promise<SubmissionRecord[]>;
  /** The account's models in one tournament. */
  accountModels(tournament: number): Promise<AccountModel[]>;
  /** The id of the model's submission for that round, or null when it has none (the server is the truth). */
  submissionForRound(modelId: string, round: number, tournament: number): Promise<string | null>;
  /**
   * Optional: the round's dataset files as "<version>/<file>" paths, to name the versions Numerai serves when a
   * model asks for one it does not.
   */
  listDatasets?(tournament: number, round?: number): Promise<string[]>;
  /** A URL from which the dataset file of this round can be downloaded, e.g. "v5.2/live.parquet". */
  datasetUrl(filename: string, round: number | undefined, tournament: number): Promise<string>;
  /** Download a URL to `destination` (atomic, resumable, size-checked). */
  download(url: string, destination: string, onProgress?: (received: number, total: number | null) => void): Promise<void>;
  /** Upload auth → PUT → create_submission (with the webhook's trigger id, when the run has one). Returns the submission id. */
  uploadPredictions(input: { modelId: string; tournament: number; filename: string; csv: Uint8Array; triggerId?: string }): Promise<string>;
  /**
   * Optional: how this adapter's own failures map to the report's error classes ('InternalError' for errors it does
   * not know). Without it the pipeline reads the errors' shape (a NumeraiError's `kind` and `operation`).
   */
  errorClassOf?(error: unknown): ErrorClass;
}

/** The key that identifies one dataset file of one round. */
export interface DatasetKey {
  tournament: number;
  /** Dataset version, e.g. "v5.2". */
  version: string;
  round: number;
  /** File name inside the version, e.g. "live.parquet" or "features.json". */
  file: string;
}

/** A store that could not be read (its service failed, or was not asked after failing): not the same as a miss. */
export interface StoreFailure {
  failure: string;
}

/**
 * Where dataset files live between runs: a local folder for the CLI, the Actions cache for the action.
 * `restore` puts the file at `path` and returns true on a hit, false on a miss, and a StoreFailure when the store
 * itself failed; `save` stores the file that is at `path`. Adapters turn their own service failures into a
 * StoreFailure or a warning, never into a failed run.
 */
export interface DatasetStore {
  /** The local path at which the file of this key is read and written. */
  pathFor(key: DatasetKey): string;
  restore(key: DatasetKey): Promise<boolean | StoreFailure>;
  save(key: DatasetKey): Promise<void>;
  /** Forget a stored copy that turned out to be corrupt, so it is downloaded again. */
  discard(key: DatasetKey): Promise<void>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type Level = 'debug' | 'info' | 'notice' | 'warning' | 'error';

/** Progress and results: a terminal printer for the CLI, @actions/core for the action. */
export interface Reporter {
  log(level: Level, message: string, context?: { model?: string }): void;
  downloadProgress?(file: string, received: number, total: number | null): void;
}

/**
 * One score of one metric of a model in one round, as Numerai's `submissionScores` answers it (the latest day of the
 * round, when the caller asks for one score per round). A round that has not resolved yet has `resolved: false` and
 * a provisional value that changes day by day until it resolves.
 */
export interface SubmissionScore {
  roundNumber: number;
  /** The metric, e.g. "v2_corr20", "mmc", "corr60", "mmc60" (Numerai's names; never interpreted here). */
  displayName: string;
  /** The metric's version as Numerai names it, when it gives one. */
  version: string | null;
  value: number | null;
  percentile: number | null;
  /** Scoring day of this value within the round (1, 2, …). */
  day: number | null;
  /** ISO-8601 date of this value. */
  date: string | null;
  resolved: boolean;
  /** When the round resolves (or resolved), ISO-8601. */
  roundResolveTime: string | null;
}

/** One metric a round's score configuration names (`roundScoreConfigs`), with what it counts for. */
export interface RoundScoreConfig {
  /** Numerai's identity of the score: name and version, e.g. "correlation" version "3". */
  name: string;
  version: string | null;
  /** The metric's display name, which is how submissionScores names the same metric. */
  displayName: string;
  /** Whether this metric counts for payout in this round. */
  isPayout: boolean;
  /** The multipliers the round allows; the payout-weighted score uses the default one. */
  defaultMultiplier: number | null;
  minMultiplier: number | null;
  maxMultiplier: number | null;
  /** Days of scoring until this metric resolves. */
  totalScoreDays: number | null;
}

/** A round and the score configuration it was paid on (empty when the API lists none for it). */
export interface RoundScoring {
  number: number;
  resolveTime: string | null;
  resolved: boolean;
  configs: RoundScoreConfig[];
}

/** What reading scores needs from the Numerai API (implemented by src/numerai). Public data: no keys needed. */
export interface ScoresPort {
  /** One score per metric per round (the latest day), for the model's last `lastNRounds` scored rounds. */
  submissionScores(modelId: string, tournament: number, options: { lastNRounds: number; resolved?: boolean }): Promise<SubmissionScore[]>;
  /** These rounds with their score configurations (a round the API does not know is left out). */
  roundScoring(tournament: number, rounds: readonly number[]): Promise<RoundScoring[]>;
}
