import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { messageOf } from '../data/errors.js';
import { parseDuration } from '../pipeline/duration.js';
import { EXPECT_ROUNDS, type ExpectRounds } from '../pipeline/missed-rounds.js';
import { DEFAULT_SETTINGS, MAX_SCORE_ROUNDS, MAX_THREADS, isSafeApiUrl, parseThreads, type PipelineSettings } from '../pipeline/settings.js';
import { ACTION_PATTERN, type InitOptions } from './init.js';

export type CommandName = 'submit' | 'plan' | 'predict' | 'check' | 'init' | 'scores';

export const COMMANDS: Record<CommandName, string> = {
  submit: 'predict and upload every model that has no submission for the open round',
  plan: 'show what submit would do this round (no download, no upload)',
  predict: 'predict every model and write the CSVs; upload nothing',
  check: 'validate the models folder offline: manifests, feature names, ONNX shapes',
  init: 'set up this repository: the submit and model-check workflows, models/README.md, .gitignore',
  scores: "show each model's recent round scores: payout metrics, resolved or not, payout score, mean and trend",
};

/** Commands with their own option parsing, listed in the main help. */
export const OTHER_COMMANDS = {
  sandbox: 'start a local Numerai API with synthetic data to rehearse against (--models-dir adds your models)',
  webhook: 'set, show or test the round-open webhook of your models (set <url> | show | test | remove)',
} as const;

/** Wrong usage: the CLI prints the one-line reason and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface OptionSpec {
  type: 'string' | 'boolean';
  value?: string;
  description: string;
  /** Where the option means something else for one command. */
  descriptionFor?: Partial<Record<CommandName, string>>;
  multiple?: boolean;
}

const OPTIONS = {
  'api-url': { type: 'string', value: 'url', description: `Numerai API endpoint (env NUMERAI_API_URL; default ${DEFAULT_SETTINGS.apiUrl})` },
  'models-dir': { type: 'string', value: 'dir', description: `folder with one sub-folder per model (default ${DEFAULT_SETTINGS.modelsDir})` },
  models: { type: 'string', value: 'names', multiple: true, description: 'only these models, comma-separated (repeatable)' },
  'data-dir': { type: 'string', value: 'dir', description: `where dataset files are kept between runs (default ${DEFAULT_SETTINGS.dataDir})` },
  'output-dir': { type: 'string', value: 'dir', description: `where CSVs and report.json are written (default ${DEFAULT_SETTINGS.outputDir})` },
  force: {
    type: 'boolean',
    description: 'submit even models that already have a submission this round',
    descriptionFor: { init: 'replace files that exist with other content (never done without it)' },
  },
  'dry-run': { type: 'boolean', description: 'everything but the upload; the CSVs are still written' },
  threads: { type: 'string', value: 'n', description: 'CPU threads for reading the live file and running the models (default auto: every core)' },
  'wait-for-round': { type: 'string', value: 'duration', description: 'when no round is open, wait up to this long for one (45m, 90s; default 0: no wait)' },
  'expect-rounds': { type: 'string', value: 'which', description: 'rounds each model should answer, for missed-round reports: weekend (Saturday rounds, default) | all (Tue-Sat)' },
  rounds: { type: 'string', value: 'n', description: `scores: how many recent scored rounds per model (default ${DEFAULT_SETTINGS.scoreRounds}, at most ${MAX_SCORE_ROUNDS})` },
  json: { type: 'boolean', description: 'print the JSON result on stdout instead of the table (logs go to stderr)' },
  'env-file': { type: 'string', value: 'path', description: 'read NUMERAI_PUBLIC_ID / NUMERAI_SECRET_KEY from this file (default ./.env when present)' },
  daily: { type: 'boolean', description: 'submit to every daily round (Tuesday to Saturday) instead of the weekly one' },
  action: { type: 'string', value: 'owner/repo@ref', description: 'the action the workflows use (default: this package\'s own, see --version)' },
  lfs: { type: 'boolean', description: 'also write .gitattributes keeping *.onnx files in Git LFS' },
  offline: { type: 'boolean', description: 'no API, no keys, no account: predict on --live/--features-json, or on synthetic data of the real shape' },
  live: { type: 'string', value: 'file', description: 'with --offline: the live.parquet to predict on (for every dataset version)' },
  'features-json': {
    type: 'string',
    value: 'file',
    description: 'with --offline: the features.json that goes with --live',
    descriptionFor: { check: 'check feature sets and names against this features.json (default: the newest one in --data-dir)' },
  },
  help: { type: 'boolean', description: 'show this help' },
} satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

const COMMAND_OPTIONS: Record<CommandName, OptionName[]> = {
  submit: ['api-url', 'models-dir', 'models', 'data-dir', 'output-dir', 'force', 'dry-run', 'threads', 'wait-for-round', 'expect-rounds', 'json', 'env-file', 'help'],
  plan: ['api-url', 'models-dir', 'models', 'force', 'wait-for-round', 'json', 'env-file', 'help'],
  predict: ['api-url', 'models-dir', 'models', 'data-dir', 'output-dir', 'offline', 'live', 'features-json', 'threads', 'json', 'env-file', 'help'],
  check: ['models-dir', 'models', 'data-dir', 'features-json', 'json', 'help'],
  init: ['daily', 'action', 'lfs', 'force', 'help'],
  scores: ['api-url', 'models', 'rounds', 'json', 'env-file', 'help'],
};

export const PROGRAM = 'numerai-autopilot';

export function mainHelp(): string {
  const all = { ...COMMANDS, ...OTHER_COMMANDS };
  const width = Math.max(...Object.keys(all).map((name) => name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Submit Numerai tournament predictions from ONNX models in a models folder.',
    '',
    'Commands:',
    ...Object.entries(all).map(([name, description]) => `  ${name.padEnd(width)}  ${description}`),
    '',
    `Run "${PROGRAM} <command> --help" for a command's options.`,
    'API keys come from NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY, in the environment or a .env file.',
    'Exit codes: 0 nothing failed, 1 a model or the run failed, 2 wrong usage.',
    '',
  ].join('\n');
}

export function commandHelp(command: CommandName): string {
  const names = COMMAND_OPTIONS[command];
  const flag = (name: OptionName) => {
    const spec: OptionSpec = OPTIONS[name];
    return `--${name}${spec.value ? ` <${spec.value}>` : ''}`;
  };
  const width = Math.max(...names.map((name) => flag(name).length));
  return [
    `Usage: ${PROGRAM} ${command} [options]`,
    '',
    `${COMMANDS[command][0].toUpperCase()}${COMMANDS[command].slice(1)}.`,
    '',
    'Options:',
    ...names.map((name) => {
      const spec: OptionSpec = OPTIONS[name];
      return `  ${flag(name).padEnd(width)}  ${spec.descriptionFor?.[command] ?? spec.description}`;
    }),
    '',
  ].join('\n');
}

export type ParsedCommand =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'init'; options: InitOptions }
  | { kind: 'sandbox'; argv: string[] }
  | { kind: 'webhook'; argv: string[] }
  | { kind: 'run'; command: CommandName; settings: PipelineSettings; json: boolean; files: LocalFiles };

/** Local dataset files named on the command line. */
export interface LocalFiles {
  /** predict --offline: no API at all; `live` and `featuresJson` both given, or neither (synthetic data). */
  offline: boolean;
  live?: string;
  featuresJson?: string;
}

export interface CliEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
}

/** argv (without node and the script) + environment → what to do. Throws UsageError on wrong usage. */
export function parseCommandLine(argv: readonly string[], environment: CliEnvironment): ParsedCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0] && isCommand(rest[0])) return { kind: 'help', text: commandHelp(rest[0]) };
    return { kind: 'help', text: mainHelp() };
  }
  if (first === '--version' || first === '-v') return { kind: 'version' };
  if (first === 'sandbox') return { kind: 'sandbox', argv: rest };
  if (first === 'webhook') return { kind: 'webhook', argv: rest };
  if (!isCommand(first)) {
    throw new UsageError(
      first.startsWith('-')
        ? `expected a command before ${first}: one of ${commandNames()}`
        : `unknown command "${first}": expected one of ${commandNames()}`,
    );
  }
  const command = first;
  const allowed = COMMAND_OPTIONS[command];
  const options = Object.fromEntries(
    allowed.map((name) => {
      const spec: OptionSpec = OPTIONS[name];
      return [name, { type: spec.type, ...(spec.multiple ? { multiple: true } : {}) }];
    }),
  );
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error, command)}`);
  }
  if (values.help) return { kind: 'help', text: commandHelp(command) };

  const text = (name: OptionName): string | undefined => {
    const value = values[name];
    if (typeof value !== 'string') return undefined;
    if (value.trim() === '') throw new UsageError(`${command}: --${name} needs a value`);
    return value;
  };
  if (command === 'init') {
    const action = text('action');
    if (action !== undefined && !ACTION_PATTERN.test(action)) {
      throw new UsageError(`init: --action "${action}" is not an action address: expected OWNER/REPO@REF, e.g. you/numerai-autopilot@v1`);
    }
    return {
      kind: 'init',
      options: { root: environment.cwd, daily: values.daily === true, action, lfs: values.lfs === true, force: values.force === true },
    };
  }
  const files = localFiles(command, values, text, environment.cwd);
  if (files.offline) {
    for (const name of ['api-url', 'env-file'] as const) {
      if (values[name] !== undefined) throw new UsageError(`${command}: --offline talks to no API and reads no keys: drop --${name}`);
    }
  }
  const fileEnv = files.offline ? {} : readEnvFile(text('env-file'), environment.cwd);
  const env = (name: string): string => (files.offline ? '' : (environment.env[name] ?? fileEnv[name] ?? '').trim());

  const apiUrl = text('api-url') ?? (env('NUMERAI_API_URL') || DEFAULT_SETTINGS.apiUrl);
  let url: URL;
  try {
    url = new URL(apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`${command}: --api-url "${apiUrl}" is not an http(s) URL`);
  }
  if (!isSafeApiUrl(url)) {
    throw new UsageError(`${command}: --api-url "${apiUrl}" would send the secret key unencrypted: use https://, or http:// only to localhost, 127.0.0.1 or [::1] (a sandbox)`);
  }
  const models = ((values.models as string[] | undefined) ?? []).flatMap((list) => list.split(',')).map((name) => name.trim());
  if (models.some((name) => name === '')) throw new UsageError(`${command}: --models has an empty name; give names separated by commas`);

  const threadsText = text('threads');
  const threads = threadsText === undefined ? DEFAULT_SETTINGS.threads : parseThreads(threadsText);
  if (threads === undefined) throw new UsageError(`${command}: --threads "${threadsText}" is not a thread count; give auto or a whole number 1–${MAX_THREADS}`);
  let waitForRoundMs: number;
  try {
    waitForRoundMs = parseDuration(text('wait-for-round') ?? '0', `${command}: --wait-for-round`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const expectRounds = text('expect-rounds') ?? DEFAULT_SETTINGS.expectRounds;
  if (!(EXPECT_ROUNDS as readonly string[]).includes(expectRounds)) {
    throw new UsageError(`${command}: --expect-rounds "${expectRounds}" is not one of ${EXPECT_ROUNDS.join(', ')} (weekend: Saturday rounds; all: Tuesday to Saturday)`);
  }

  const settings: PipelineSettings = {
    ...DEFAULT_SETTINGS,
    waitForRoundMs,
    expectRounds: expectRounds as ExpectRounds,
    triggerEvent: 'cli',
    apiUrl,
    publicId: env('NUMERAI_PUBLIC_ID'),
    secretKey: env('NUMERAI_SECRET_KEY'),
    modelsDir: resolve(environment.cwd, text('models-dir') ?? DEFAULT_SETTINGS.modelsDir),
    models: [...new Set(models)],
    dataDir: resolve(environment.cwd, text('data-dir') ?? DEFAULT_SETTINGS.dataDir),
    outputDir: resolve(environment.cwd, text('output-dir') ?? DEFAULT_SETTINGS.outputDir),
    force: command === 'predict' || values.force === true,
    dryRun: command === 'predict' || values['dry-run'] === true,
    threads,
    scoreRounds: parseRounds(text('rounds'), command),
  };
  // scores needs the keys to find the account's models (the scores themselves are public).
  const needsKeys = command === 'submit' || command === 'plan' || command === 'scores';
  if (needsKeys && !settings.dryRun && (!settings.publicId || !settings.secretKey)) {
    const missing = ['NUMERAI_PUBLIC_ID', 'NUMERAI_SECRET_KEY'].filter((name) => !env(name));
    throw new UsageError(`${command}: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set (environment or .env file)`);
  }
  return { kind: 'run', command, settings, json: values.json === true, files };
}

/** --offline, --live and --features-json: which go together, and files that exist. */
function localFiles(
  command: CommandName,
  values: Record<string, unknown>,
  text: (name: OptionName) => string | undefined,
  cwd: string,
): LocalFiles {
  const offline = values.offline === true;
  const file = (name: 'live' | 'features-json') => {
    const given = text(name);
    if (given === undefined) return undefined;
    if (command === 'predict' && !offline) throw new UsageError(`${command}: --${name} goes with --offline (a run with the API downloads the round's files)`);
    const path = resolve(cwd, given);
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) throw new UsageError(`${command}: --${name} ${given}: no such file`);
    if (!stats.isFile()) throw new UsageError(`${command}: --${name} ${given}: not a file`);
    return path;
  };
  const live = file('live');
  const featuresJson = file('features-json');
  if (offline && (live === undefined) !== (featuresJson === undefined)) {
    throw new UsageError(`${command}: --offline takes both --live and --features-json, or neither (then synthetic data of the live file's shape)`);
  }
  return { offline, live, featuresJson };
}

function commandNames(): string {
  return [...Object.keys(COMMANDS), ...Object.keys(OTHER_COMMANDS)].join(', ');
}

function parseRounds(value: string | undefined, command: CommandName): number {
  if (value === undefined) return DEFAULT_SETTINGS.scoreRounds;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SCORE_ROUNDS) {
    throw new UsageError(`${command}: --rounds "${value}" is not a number of rounds; give a whole number from 1 to ${MAX_SCORE_ROUNDS}`);
  }
  return n;
}

function isCommand(value: string): value is CommandName {
  return Object.hasOwn(COMMANDS, value);
}

function describeParseError(error: unknown, command: CommandName): string {
  const message = messageOf(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]} (see ${PROGRAM} ${command} --help)`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}" (see ${PROGRAM} ${command} --help)`;
  return message.split('\n')[0].replace(/\. To specify.*$/, '');
}

/** The variables of a .env file: the one given, else ./.env when present. A file given but missing is wrong usage. */
export function readEnvFile(given: string | undefined, cwd: string): Record<string, string> {
  const path = resolve(cwd, given ?? '.env');
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    if (given !== undefined) throw new UsageError(`--env-file ${given}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
    return {};
  }
  return parseEnv(content) as Record<string, string>;
}
