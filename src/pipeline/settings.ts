import { DEFAULT_EXPECT_ROUNDS, DEFAULT_LOOKBACK_ROUNDS, type ExpectRounds } from './missed-rounds.js';

/**
 * Everything a run needs to know, read once by a shell (action inputs, or CLI flags and environment) and then
 * passed down. Nothing below the shells reads the environment.
 */
export interface PipelineSettings {
  /** Numerai API endpoint; the real one by default, the sandbox in tests and the demo. */
  apiUrl: string;
  publicId: string;
  secretKey: string;
  /** Folder holding one sub-folder per model (model.yml + ONNX files). */
  modelsDir: string;
  /** Only these model names, when given (sharding, reruns). Empty: every enabled model. */
  models: string[];
  /** Submit even when the model already has a submission for this round. */
  force: boolean;
  /** Everything except the upload; CSVs are still written. */
  dryRun: boolean;
  /** Where dataset files are kept (the local store's folder; the cache restores into it). */
  dataDir: string;
  /** Where submission CSVs and the JSON report are written. */
  outputDir: string;
  /** Timeout of one HTTP request, milliseconds. */
  requestTimeoutMs: number;
  /** How many times a transient failure is retried. */
  retries: number;
  /**
   * CPU threads for decoding the live file and for the work within a model (onnxruntime's or the tree kernel's); 0 = every core (the live
   * file's decode then goes parallel only when the table is large enough to gain from it).
   */
  threads: number;
  /** How long to wait for a round to open when none is open at the start, milliseconds (0: look once). */
  waitForRoundMs: number;
  /** Which earlier rounds each model is expected to have answered (for missed and late rounds). */
  expectRounds: ExpectRounds;
  /** How many of the latest expected rounds are looked back at. */
  lookbackRounds: number;
  /**
   * The trigger id of Numerai's round-open webhook call that started this run (through the relay), passed back as
   * create_submission's triggerId; null when the run was not started by the webhook.
   */
  triggerId: string | null;
  /** What started the run (schedule, workflow_dispatch, repository_dispatch, cli), for the report; null when unknown. */
  triggerEvent: string | null;
  /** Read the models' recent round scores into the report (and the job summary). */
  showScores: boolean;
  /** How many recent scored rounds per model. */
  scoreRounds: number;
}

/** Most recent scored rounds read per model (Numerai has about 5 rounds a week: 200 is most of a year). */
export const MAX_SCORE_ROUNDS = 200;

export const NUMERAI_API_URL = 'https://api-tournament.numer.ai';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether an API URL may carry the keys: https anywhere, plain http only to this machine (a sandbox), since the
 * secret key travels in a header. Both shells refuse anything else.
 */
export function isSafeApiUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

export const DEFAULT_SETTINGS: Omit<PipelineSettings, 'publicId' | 'secretKey'> = {
  apiUrl: NUMERAI_API_URL,
  modelsDir: 'models',
  models: [],
  force: false,
  dryRun: false,
  dataDir: '.numerai-data',
  outputDir: 'numerai-output',
  requestTimeoutMs: 60_000,
  retries: 4,
  threads: 0,
  waitForRoundMs: 0,
  expectRounds: DEFAULT_EXPECT_ROUNDS,
  lookbackRounds: DEFAULT_LOOKBACK_ROUNDS,
  triggerId: null,
  triggerEvent: null,
  showScores: true,
  scoreRounds: 20,
};

/** Most threads a setting may ask for: far beyond any runner, low enough to catch a typo. */
export const MAX_THREADS = 256;

/**
 * A thread count as a user writes it: "auto", "0" or empty for every core, else a whole number 1–MAX_THREADS.
 * Undefined when the text is none of these (each shell words its own error).
 */
export function parseThreads(text: string): number | undefined {
  const value = text.trim();
  if (value === '' || value === 'auto') return 0;
  if (!/^\d+$/.test(value)) return undefined;
  const count = Number(value);
  return count <= MAX_THREADS ? count : undefined;
}
