/**
 * Reads every action input once into typed settings (like actions/checkout's input-helper.ts). Nothing else in
 * the action reads inputs or runner variables. Secrets are masked the moment they are read, before any code that
 * could log them runs, including the code that reports a bad input.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@actions/core';
import { parseDuration } from '../pipeline/duration.js';
import { EXPECT_ROUNDS, type ExpectRounds } from '../pipeline/missed-rounds.js';
import { DEFAULT_SETTINGS, MAX_SCORE_ROUNDS, MAX_THREADS, isSafeApiUrl, parseThreads, type PipelineSettings } from '../pipeline/settings.js';
import { createSanitizer } from './sanitize.js';
import { DEFAULT_OUTPUT_SUBDIR, InputDefaults, Inputs, RunnerEnv, type InputName } from './constants.js';

/** Settings only the action has; the pipeline never sees them. */
export interface ActionSettings {
  pipeline: PipelineSettings;
  /** Keep dataset files in the Actions cache (false: a local folder for this job only). */
  cache: boolean;
  openIssues: boolean;
  /** Token for the GitHub REST API (issues); masked. Empty when none was given. */
  githubToken: string;
  uploadArtifacts: boolean;
  failOnError: boolean;
  /** Re-enable this run's workflow on every run, so GitHub does not switch its schedule off (needs actions: write). */
  keepScheduleAlive: boolean;
  runner: RunnerContext;
}

/** What the action needs to know about the run it is part of. */
export interface RunnerContext {
  workspace: string;
  temp: string;
  /** owner/name of the repository the workflow runs in; null outside a runner. */
  repository: { owner: string; repo: string } | null;
  runId: string;
  runAttempt: number;
  serverUrl: string;
  apiUrl: string;
  workflow: string;
  /** GITHUB_WORKFLOW_REF, e.g. "o/r/.github/workflows/submit.yml@refs/heads/main"; '' outside a runner. */
  workflowRef: string;
  /** GITHUB_EVENT_PATH: the file holding the event payload; '' outside a runner. */
  eventPath: string;
  /** Link to this run (and attempt), for issues and summaries; '' when the run is not known. */
  runUrl: string;
  /** GITHUB_EVENT_NAME: schedule, workflow_dispatch, repository_dispatch, …; '' outside a runner. */
  eventName: string;
  /** GITHUB_ACTION_REPOSITORY: owner/name of this action when used from another repository; '' otherwise. */
  actionRepository: string;
}

/** An input has a value the action cannot use. The message names the input and what would be valid. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly input: InputName,
    readonly detail: string,
  ) {
    super(`Input "${input}": ${detail}`);
  }
}

export interface InputSource {
  /** The raw value of an input ('' when not given), as core.getInput returns it. */
  get(name: InputName): string;
  /** Mark a value as secret so the runner masks it in every later log line. */
  mask(value: string): void;
  env: NodeJS.ProcessEnv;
}

/** The inputs and environment of a real runner step. */
export const runnerInputs: InputSource = {
  get: (name) => core.getInput(name),
  mask: (value) => core.setSecret(value),
  env: process.env,
};

const TRUE_VALUES = new Set(['true', 'True', 'TRUE']);
const FALSE_VALUES = new Set(['false', 'False', 'FALSE']);

export function readActionSettings(source: InputSource = runnerInputs): ActionSettings {
  const read = (name: InputName): string => source.get(name).trim();

  // Mask first: everything below may throw, and an error message must never carry a secret.
  const secretKey = read(Inputs.SecretKey);
  const publicId = read(Inputs.PublicId);
  const githubToken = read(Inputs.GithubToken);
  for (const secret of [secretKey, publicId, githubToken]) if (secret) source.mask(secret);
  try {
    return readRemainingInputs(source, { publicId, secretKey, githubToken });
  } catch (error) {
    // An error quotes the value it refuses, and a secret pasted into the wrong input must not reach the log.
    if (!(error instanceof InputError)) throw error;
    throw new InputError(error.input, createSanitizer([secretKey, publicId, githubToken])(error.detail));
  }
}

function readRemainingInputs(source: InputSource, secrets: { publicId: string; secretKey: string; githubToken: string }): ActionSettings {
  const read = (name: InputName): string => source.get(name).trim();
  const { publicId, secretKey, githubToken } = secrets;
  if (!publicId) throw new InputError(Inputs.PublicId, 'required but empty. Pass it from a secret: public-id: ${{ secrets.NUMERAI_PUBLIC_ID }}');
  if (!secretKey) throw new InputError(Inputs.SecretKey, 'required but empty. Pass it from a secret: secret-key: ${{ secrets.NUMERAI_SECRET_KEY }}');

  const runner = readRunnerContext(source.env);
  const valueOr = (name: keyof typeof InputDefaults): string => read(name) || InputDefaults[name];
  const bool = (name: keyof typeof InputDefaults): boolean => parseBoolean(name, read(name), InputDefaults[name] === 'true');
  const outputDir = read(Inputs.OutputDir);

  const pipeline: PipelineSettings = {
    ...DEFAULT_SETTINGS,
    apiUrl: parseApiUrl(valueOr(Inputs.ApiUrl)),
    publicId,
    secretKey,
    modelsDir: path.resolve(runner.workspace, valueOr(Inputs.ModelsDir)),
    models: parseModelList(read(Inputs.Models)),
    force: bool(Inputs.Force),
    dryRun: bool(Inputs.DryRun),
    triggerId: parseTriggerId(read(Inputs.TriggerId)),
    dataDir: path.resolve(runner.workspace, valueOr(Inputs.DataDir)),
    outputDir: outputDir ? path.resolve(runner.workspace, outputDir) : path.join(runner.temp, DEFAULT_OUTPUT_SUBDIR),
    threads: threadsInput(valueOr(Inputs.Threads)),
    waitForRoundMs: parseWaitForRound(valueOr(Inputs.WaitForRound)),
    expectRounds: parseExpectRounds(valueOr(Inputs.ExpectRounds)),
    triggerEvent: runner.eventName || null,
    showScores: bool(Inputs.ShowScores),
    scoreRounds: parseScoreRounds(valueOr(Inputs.ScoreRounds)),
  };

  return {
    pipeline,
    cache: bool(Inputs.Cache),
    openIssues: bool(Inputs.OpenIssues),
    githubToken,
    uploadArtifacts: bool(Inputs.UploadArtifacts),
    failOnError: bool(Inputs.FailOnError),
    keepScheduleAlive: bool(Inputs.KeepScheduleAlive),
    runner,
  };
}

/**
 * The `trigger-id` input: the id Numerai sent with its round-open webhook call, forwarded by the relay as a dispatch
 * input. Empty (a scheduled or hand-started run) means none. It goes into a GraphQL variable, never into a shell, but
 * only the characters of an id are taken, so that a mistyped value is reported rather than sent.
 */
export function parseTriggerId(value: string): string | null {
  if (value === '') return null;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(value)) {
    throw new InputError(Inputs.TriggerId, `${JSON.stringify(value.slice(0, 40))} is not a trigger id: expected 1-128 characters of A-Z a-z 0-9 . _ : - (or empty)`);
  }
  return value;
}

export function readRunnerContext(env: NodeJS.ProcessEnv): RunnerContext {
  const workspace = path.resolve(env[RunnerEnv.Workspace] || process.cwd());
  const [owner, repo] = (env[RunnerEnv.Repository] ?? '').split('/');
  const attempt = Number.parseInt(env[RunnerEnv.RunAttempt] ?? '', 10);
  const runAttempt = Number.isInteger(attempt) && attempt > 0 ? attempt : 1;
  const serverUrl = (env[RunnerEnv.ServerUrl] || 'https://github.com').replace(/\/+$/, '');
  const runId = env[RunnerEnv.RunId] || '';
  const runUrl = owner && repo && runId ? `${serverUrl}/${owner}/${repo}/actions/runs/${runId}${runAttempt > 1 ? `/attempts/${runAttempt}` : ''}` : '';
  return {
    workspace,
    temp: path.resolve(env[RunnerEnv.RunnerTemp] || os.tmpdir()),
    repository: owner && repo ? { owner, repo } : null,
    runId,
    runAttempt,
    serverUrl,
    apiUrl: (env[RunnerEnv.ApiUrl] || 'https://api.github.com').replace(/\/+$/, ''),
    workflow: env[RunnerEnv.Workflow] || '',
    workflowRef: env[RunnerEnv.WorkflowRef] || '',
    eventPath: env[RunnerEnv.EventPath] || '',
    runUrl,
    eventName: env[RunnerEnv.EventName] || '',
    actionRepository: env[RunnerEnv.ActionRepository] || '',
  };
}

/**
 * Booleans as YAML 1.2 spells them (what core.getBooleanInput accepts). An empty value means the default: a
 * workflow that passes `${{ inputs.force }}` gets '' on a scheduled run, where dispatch inputs do not exist.
 */
export function parseBoolean(name: InputName, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  throw new InputError(name, `"${value}" is not a boolean. Valid: true | True | TRUE | false | False | FALSE (or empty for the default).`);
}

/**
 * Model names separated by commas, spaces or new lines, or a JSON list (what `toJSON(matrix.models)` or a plan
 * job's output gives). Order is kept; duplicates are dropped.
 */
export function parseModelList(value: string): string[] {
  const text = value.trim();
  if (!text) return [];
  let names: string[];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InputError(Inputs.Models, `looks like a JSON list but does not parse (${(error as Error).message}). Valid: ["model_a","model_b"] or model_a, model_b`);
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
      throw new InputError(Inputs.Models, 'a JSON value must be a list of model name strings, e.g. ["model_a","model_b"]');
    }
    names = parsed.map((item: string) => item.trim());
  } else {
    names = text.split(/[\s,]+/);
  }
  return [...new Set(names.filter((name) => name.length > 0))];
}

function threadsInput(value: string): number {
  const threads = parseThreads(value);
  if (threads === undefined) throw new InputError(Inputs.Threads, `"${value}" is not a thread count. Valid: auto (every core, the default) or a whole number 1–${MAX_THREADS}`);
  return threads;
}
export function parseWaitForRound(value: string): number {
  try {
    return parseDuration(value, `Input "${Inputs.WaitForRound}"`);
  } catch (error) {
    throw new InputError(Inputs.WaitForRound, (error as Error).message.replace(/^Input "[^"]+": /, ''));
  }
}

export function parseExpectRounds(value: string): ExpectRounds {
  if ((EXPECT_ROUNDS as readonly string[]).includes(value)) return value as ExpectRounds;
  throw new InputError(
    Inputs.ExpectRounds,
    `"${value}" is not one of ${EXPECT_ROUNDS.join(', ')}. Valid: weekend (rounds opening on Saturday, for the weekly workflow) or all (Tuesday to Saturday, for the daily one).`,
  );
}

export function parseScoreRounds(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SCORE_ROUNDS) {
    throw new InputError(Inputs.ScoreRounds, `"${value}" is not a number of rounds. Valid: a whole number from 1 to ${MAX_SCORE_ROUNDS} (default 20).`);
  }
  return n;
}

/** The API URL carries the secret key in a header: plain http only to this machine. */
export function parseApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(Inputs.ApiUrl, `"${value}" is not a URL. Valid: https://api-tournament.numer.ai (the default) or a sandbox URL such as http://127.0.0.1:8080`);
  }
  if (!isSafeApiUrl(url)) {
    throw new InputError(Inputs.ApiUrl, `"${value}" would send the secret key unencrypted. Valid: an https:// URL, or http:// to localhost/127.0.0.1 for a sandbox`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * What tells this job's artifact apart from the other jobs of the run: the shard's model names (or a hash of
 * them when there are many), or nothing when the job submits every model.
 */
export function artifactSuffix(settings: ActionSettings): string | undefined {
  const models = settings.pipeline.models;
  if (models.length === 0) return undefined;
  return models.length <= 3 ? models.join('-') : `models-${createHash('sha256').update(models.join(',')).digest('hex').slice(0, 10)}`;
}
