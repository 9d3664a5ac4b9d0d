import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../pipeline/settings.js';

export type CommandName = 'submit' | 'plan' | 'predict' | 'check';

export const COMMANDS: Record<CommandName, string> = {
  submit: 'predict and upload every model that has no submission for the open round',
  plan: 'show what submit would do this round (no download, no upload)',
  predict: 'predict every model and write the CSVs; upload nothing',
  check: 'validate the models folder offline: manifests, feature names, ONNX shapes',
};

/** Wrong usage: the CLI prints the one-line reason and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

interface OptionSpec {
  type: 'string' | 'boolean';
  value?: string;
  description: string;
  multiple?: boolean;
}

const OPTIONS = {
  'api-url': { type: 'string', value: 'url', description: `Numerai API endpoint (env NUMERAI_API_URL; default ${DEFAULT_SETTINGS.apiUrl})` },
  'models-dir': { type: 'string', value: 'dir', description: `folder with one sub-folder per model (default ${DEFAULT_SETTINGS.modelsDir})` },
  models: { type: 'string', value: 'names', multiple: true, description: 'only these models, comma-separated (repeatable)' },
  'data-dir': { type: 'string', value: 'dir', description: `where dataset files are kept between runs (default ${DEFAULT_SETTINGS.dataDir})` },
  'output-dir': { type: 'string', value: 'dir', description: `where CSVs and report.json are written (default ${DEFAULT_SETTINGS.outputDir})` },
  force: { type: 'boolean', description: 'submit even models that already have a submission this round' },
  'dry-run': { type: 'boolean', description: 'everything but the upload; the CSVs are still written' },
  json: { type: 'boolean', description: 'print the JSON result on stdout instead of the table (logs go to stderr)' },
  'env-file': { type: 'string', value: 'path', description: 'read NUMERAI_PUBLIC_ID / NUMERAI_SECRET_KEY from this file (default ./.env when present)' },
  help: { type: 'boolean', description: 'show this help' },
} satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

const COMMAND_OPTIONS: Record<CommandName, OptionName[]> = {
  submit: ['api-url', 'models-dir', 'models', 'data-dir', 'output-dir', 'force', 'dry-run', 'json', 'env-file', 'help'],
  plan: ['api-url', 'models-dir', 'models', 'force', 'json', 'env-file', 'help'],
  predict: ['api-url', 'models-dir', 'models', 'data-dir', 'output-dir', 'json', 'env-file', 'help'],
  check: ['models-dir', 'models', 'data-dir', 'json', 'help'],
};

export const PROGRAM = 'numerai-autopilot';

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Submit Numerai tournament predictions from ONNX models in a models folder.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, description]) => `  ${name.padEnd(width)}  ${description}`),
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
    ...names.map((name) => `  ${flag(name).padEnd(width)}  ${OPTIONS[name].description}`),
    '',
  ].join('\n');
}

export type ParsedCommand =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandName; settings: PipelineSettings; json: boolean };

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
  if (!isCommand(first)) {
    throw new UsageError(
      first.startsWith('-')
        ? `expected a command before ${first}: one of ${Object.keys(COMMANDS).join(', ')}`
        : `unknown command "${first}": expected one of ${Object.keys(COMMANDS).join(', ')}`,
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
  const fileEnv = readEnvFile(text('env-file'), environment.cwd);
  const env = (name: string): string => (environment.env[name] ?? fileEnv[name] ?? '').trim();

  const apiUrl = text('api-url') ?? (env('NUMERAI_API_URL') || DEFAULT_SETTINGS.apiUrl);
  try {
    const url = new URL(apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`${command}: --api-url "${apiUrl}" is not an http(s) URL`);
  }
  const models = ((values.models as string[] | undefined) ?? []).flatMap((list) => list.split(',')).map((name) => name.trim());
  if (models.some((name) => name === '')) throw new UsageError(`${command}: --models has an empty name; give names separated by commas`);

  const settings: PipelineSettings = {
    ...DEFAULT_SETTINGS,
    apiUrl,
    publicId: env('NUMERAI_PUBLIC_ID'),
    secretKey: env('NUMERAI_SECRET_KEY'),
    modelsDir: resolve(environment.cwd, text('models-dir') ?? DEFAULT_SETTINGS.modelsDir),
    models: [...new Set(models)],
    dataDir: resolve(environment.cwd, text('data-dir') ?? DEFAULT_SETTINGS.dataDir),
    outputDir: resolve(environment.cwd, text('output-dir') ?? DEFAULT_SETTINGS.outputDir),
    force: command === 'predict' || values.force === true,
    dryRun: command === 'predict' || values['dry-run'] === true,
  };
  const needsKeys = command === 'submit' || command === 'plan';
  if (needsKeys && !settings.dryRun && (!settings.publicId || !settings.secretKey)) {
    const missing = ['NUMERAI_PUBLIC_ID', 'NUMERAI_SECRET_KEY'].filter((name) => !env(name));
    throw new UsageError(`${command}: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set (environment or .env file)`);
  }
  return { kind: 'run', command, settings, json: values.json === true };
}

function isCommand(value: string): value is CommandName {
  return Object.hasOwn(COMMANDS, value);
}

function describeParseError(error: unknown, command: CommandName): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]} (see ${PROGRAM} ${command} --help)`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}" (see ${PROGRAM} ${command} --help)`;
  return message.split('\n')[0].replace(/\. To specify.*$/, '');
}

/** The variables of a .env file: the one given, else ./.env when present. A file given but missing is wrong usage. */
function readEnvFile(given: string | undefined, cwd: string): Record<string, string> {
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
