/** The public types of the sandbox (see server.ts for `startSandbox`). */
import type { RoundOpened } from './rounds/clock.js';
import type { SandboxHistory } from './rounds/history.js';
import type { WebhookCall } from './webhooks/deliver.js';

export type { RoundOpened } from './rounds/clock.js';
export type { SandboxHistory } from './rounds/history.js';
export type { WebhookCall } from './webhooks/deliver.js';

import type { SandboxScoreOptions } from './scores/history.js';
export type { SandboxScoreOptions } from './scores/history.js';

export type RoundState = 'open' | 'closed' | 'late';

/**
 * How `rounds(number: 0)` answers while no round is open: the two shapes the real API has shown.
 * `null`: `{"data":{"rounds":[null]}}`; `error`: the error "Current round not open for submissions".
 */
export type ClosedShape = 'null' | 'error';

export type Scope = 'upload_submission' | 'stake' | 'read_submission_info' | 'read_user_info';
export const ALL_SCOPES: readonly Scope[] = ['upload_submission', 'stake', 'read_submission_info', 'read_user_info'];

export interface SandboxKey {
  publicId: string;
  secretKey: string;
  scopes: Scope[];
  name?: string;
}

export interface SandboxModelSpec {
  name: string;
  /** 8 classic, 11 signals, 12 crypto. */
  tournament: number;
  /** A UUID; derived from the seed and the name when absent. */
  id?: string;
  /** Managed by Numerai Model Uploads: submissions through the API are refused. */
  managedByModelUploads?: boolean;
  /** How many rounds ago the model took part for the first time (default: long ago); decides which rounds have scores. */
  joinedRoundsAgo?: number;
}

export interface SandboxAccountSpec {
  username: string;
  /** Keys of this account; when absent one key with every scope (derived from the seed and the username). */
  keys?: SandboxKey[];
  models: SandboxModelSpec[];
}

/**
 * Dataset files, as `listDatasets` names them (`v5.2/live.parquet`, `signals/v2.1/live.parquet`,
 * `crypto/v2.0/live_universe.parquet`): classic files have no prefix. The tournaments a value gives files for
 * replace the default files of those tournaments; the others keep their defaults.
 */
export interface SandboxDatasetFiles {
  files: Record<string, Uint8Array | string>;
  /**
   * Live ids used by create_submission. When absent: the `id` column of `<version>/live.parquet` (classic), the
   * `numerai_ticker` column of the signals live file, the `symbol` column of the crypto live universe.
   */
  liveIds?: { classic?: string[]; signals?: string[]; crypto?: string[] };
}

/** Static files for every round, or the files of one round (called once per round, cached). */
export type SandboxDatasets = SandboxDatasetFiles | ((round: number) => SandboxDatasetFiles | Promise<SandboxDatasetFiles>);

export interface SandboxOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  /** Default: open, round 1180. */
  round?: { number: number; state: RoundState; closedShape?: ClosedShape };
  datasets?: SandboxDatasets;
  /** Accounts; the first is the default account whose first key is `credentials`. Default: see accounts.ts. */
  accounts?: SandboxAccountSpec[];
  /** Seed of keys, model ids and synthetic data (default 42). */
  seed?: number;
  /** Rows and features of the synthetic classic live file (default 6720 × 2748, the real file's size). */
  rows?: number;
  features?: number;
  /** Classic dataset versions served (default v5.2 and v5.3, the same synthetic data under both). */
  versions?: string[];
  /** Lifetime of the signed dataset and upload URLs, seconds (default 3600). */
  urlTtlSeconds?: number;
  /** The clock (default Date.now): round times and URL expiry use it. */
  now?: () => number;
  /**
   * Wait at start for the current round's data to be generated (default: when `datasets` is given or rows × features
   * is at most 2,000,000; larger synthetic data is generated in the background after start, and on first use).
   */
  eagerData?: boolean;
  /**
   * Earlier rounds' submissions. true (default): every non-managed model on time in the two rounds before the current
   * one; false: none; or per model name a pattern of `o` (on time), `l` (late), `-` (missed), oldest round first and
   * ending with the round before the current one, e.g. `{ model_a: 'ooo-l' }` (models not named get the default).
   */
  history?: boolean | SandboxHistory;
  /** Open the next round at this time (ms since the epoch, on the `now` clock); until then it is listed as UPCOMING. */
  openAt?: number;
  /** Where the payout formula changes, which rounds list no score configuration, how far back scores go (scores/history.ts). */
  scores?: SandboxScoreOptions;
  /** Validation messages of create_submission: numerai-tools' (default) or the older sentences of 2021–2022. */
  messageStyle?: 'tools' | 'legacy';
  /** How long a call to a model's webhook waits for its answer, ms (default 10,000). */
  webhookTimeoutMs?: number;
}

export type RecordedSubmissionKind = 'classic' | 'signals' | 'crypto';

export interface RecordedSubmission {
  id: string;
  modelId: string;
  modelName: string;
  tournament: number;
  round: number;
  filename: string;
  /** ISO-8601 UTC, no fractional seconds ("2026-03-28T13:04:05Z"). */
  insertedAt: string;
  triggerId: string | null;
  selected: boolean;
  source: string | null;
  dataDatestamp: number | null;
  /** Uploaded after closeStakingTime. */
  late: boolean;
  rows: number;
  /** The uploaded file. */
  bytes: Uint8Array;
}

export type SandboxOperation = string;

export type Fault =
  | { kind: 'http'; status: number; times?: number }
  | { kind: 'rate-limit'; retryAfterSeconds: number; times?: number }
  | { kind: 'slow'; delayMs: number; times?: number }
  | { kind: 'hang'; times?: number }
  | { kind: 'reset'; times?: number }
  | { kind: 'non-json'; times?: number; status?: number }
  | { kind: 'graphql-400'; message: string; times?: number }
  | { kind: 'applied-response-lost'; times?: number };

export interface ServedRequest {
  /** Canonical GraphQL root field (numerapi's spelling), 'download', 'upload', 'graphql' (no root field), 'control'. */
  operation: string;
  /** HTTP status sent; 0 when the connection was destroyed or left hanging before a status line. */
  status: number;
  /** The fault applied to this request, if any. */
  fault?: Fault['kind'];
  method: string;
  path: string;
  /** Every root field of the GraphQL operation, canonical spellings. */
  fields?: string[];
}

export interface Sandbox {
  /** The GraphQL endpoint (POST /), e.g. http://127.0.0.1:41234/ */
  url: string;
  /** The default account's working keys. */
  credentials: { publicId: string; secretKey: string };
  /** Keys of the default account lacking one scope ("Insufficient permission for <scope>"). */
  keyWithout(scope: Scope): { publicId: string; secretKey: string };
  setRound(state: RoundState, number?: number, options?: { closedShape?: ClosedShape }): void;
  /**
   * Open the next round (current number + 1) at a time, e.g. `sandbox.openRoundAt(Date.now() + 30_000)`. Until then
   * `rounds(status: UPCOMING)` lists it with that openTime and `rounds(number: 0)` answers as before.
   */
  openRoundAt(time: Date | number): { number: number; openTime: string };
  /** Told each time a round opens (open-at, or setRound('open') to a new number or after closed). Returns an unsubscribe. */
  onRoundOpen(listener: (round: RoundOpened) => void): () => void;
  /** Replace one model's submissions to earlier rounds with a history pattern (see SandboxOptions.history). */
  setHistory(modelName: string, pattern: string): void;
  round(): { number: number; state: RoundState; closedShape: ClosedShape; openTime: string; closeStakingTime: string; closeTime: string };
  inject(operation: SandboxOperation, fault: Fault): void;
  clearFaults(): void;
  modelId(name: string): string;
  submissions(modelName?: string): RecordedSubmission[];
  removeSubmission(modelName: string, round?: number): void;
  /** Calls made to the models' webhooks (when a round opened, or by triggerModelWebhook), oldest first. */
  webhookCalls(modelName?: string): WebhookCall[];
  /** Resolves when every webhook call under way has its answer. */
  webhooksSettled(): Promise<void>;
  requests: ServedRequest[];
  /** Live ids of the current round (classic; a version picks that version's live file). Needs `ready()`. */
  liveIds(version?: string): string[];
  /** Resolves once the current round's data is generated. */
  ready(): Promise<void>;
  close(): Promise<void>;
}
