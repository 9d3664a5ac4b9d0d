/**
 * `numerai-autopilot webhook set <url> | show | test | remove [--models a,b]`: the round-open webhook of the
 * account's models (Numerai calls it when a round opens; the relay in relay/ turns that call into a run of the
 * submitting workflow). See docs/webhook.md.
 *
 * Key scopes: `show` reads the account (read_user_info); `set`, `remove` and `test` also change the models
 * (upload_submission; numerai-cli asks for every scope, Numerai does not document which one these mutations check).
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../data/errors.js';
import { DEFAULT_SETTINGS } from '../pipeline/settings.js';
import { PROGRAM, readEnvFile, UsageError } from './args.js';
import type { OutputStream } from './terminal-reporter.js';

export const WEBHOOK_HELP = `Usage: ${PROGRAM} webhook <set <url> | show | test | remove> [options]

The round-open webhook of your models: Numerai POSTs to it the moment a round opens
(see docs/webhook.md for the relay that turns that call into a run of your workflow).

  set <url>   register <url> as the webhook of the models (https, or http on loopback)
  show        list each model and its webhook
  test        make Numerai call each model's webhook now (triggerModelWebhook) and show the answer
  remove      remove the models' webhooks

Options:
  --models <names>   only these models, comma-separated (default: every model of the account)
  --api-url <url>    Numerai API endpoint (env NUMERAI_API_URL; default ${DEFAULT_SETTINGS.apiUrl})
  --env-file <path>  read NUMERAI_PUBLIC_ID / NUMERAI_SECRET_KEY from this file (default ./.env when present)
  --help             this help

Key scopes: show needs read_user_info; set, remove and test also upload_submission.
A model managed by Numerai Model Uploads cannot have a webhook: it is listed, and left alone.
`;

export type WebhookAction = 'set' | 'show' | 'test' | 'remove';

export interface WebhookCommand {
  action: WebhookAction;
  url: string | null;
  models: string[];
  apiUrl: string;
  publicId: string;
  secretKey: string;
}

/** argv after `webhook` → what to do; throws UsageError. */
export function parseWebhookCommand(argv: readonly string[], environment: { env: Record<string, string | undefined>; cwd: string }): WebhookCommand | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { models: { type: 'string', multiple: true }, 'api-url': { type: 'string' }, 'env-file': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(`webhook: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} (see ${PROGRAM} webhook --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return 'help';
  const [action, ...rest] = positionals;
  if (!['set', 'show', 'test', 'remove'].includes(action)) throw new UsageError(`webhook: unknown action "${action}": expected set, show, test or remove`);
  if (action === 'set' && rest.length !== 1) throw new UsageError('webhook set: give the URL to register, e.g. webhook set https://relay.example.workers.dev/<secret>');
  if (action !== 'set' && rest.length > 0) throw new UsageError(`webhook ${action}: unexpected argument "${rest[0]}"`);
  const url = action === 'set' ? checkWebhookUrl(rest[0]) : null;
  const models = (values.models ?? []).flatMap((list) => list.split(',')).map((name) => name.trim());
  if (models.some((name) => name === '')) throw new UsageError(`webhook ${action}: --models has an empty name; give names separated by commas`);
  const fileEnv = readEnvFile(values['env-file'], environment.cwd);
  const env = (name: string) => (environment.env[name] ?? fileEnv[name] ?? '').trim();
  const apiUrl = values['api-url'] ?? (env('NUMERAI_API_URL') || DEFAULT_SETTINGS.apiUrl);
  const publicId = env('NUMERAI_PUBLIC_ID');
  const secretKey = env('NUMERAI_SECRET_KEY');
  if (!publicId || !secretKey) {
    const missing = ['NUMERAI_PUBLIC_ID', 'NUMERAI_SECRET_KEY'].filter((name) => !env(name));
    throw new UsageError(`webhook ${action}: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set (environment or .env file)`);
  }
  return { action: action as WebhookAction, url, models: [...new Set(models)], apiUrl, publicId, secretKey };
}

/**
 * The URL Numerai is to call: https, or http only to this machine (a sandbox or a relay under test). Anything else
 * would send the relay's secret path over the network in the clear.
 */
export function checkWebhookUrl(given: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`webhook set: "${given}" is not a URL; expected https://<host>/<path>`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url.toString();
  throw new UsageError(
    `webhook set: ${url.protocol}//${url.host} is refused: Numerai would send the call, and the URL's secret path, unencrypted; ` +
      'use an https URL (http is accepted only on loopback, for a local sandbox)',
  );
}

/** The part of the Numerai client these commands use (tests plug in a client aimed at the sandbox). */
export interface WebhookApi {
  modelWebhooks(): Promise<{ id: string; name: string; tournament: number; webhook: string | null; modelUpload: boolean }[]>;
  setSubmissionWebhook(modelId: string, url: string | null): Promise<void>;
  triggerModelWebhook(modelId: string): Promise<string>;
}

const MODEL_UPLOADS =
  'managed by Numerai Model Uploads: Numerai runs its uploaded model every round itself, and such a model cannot have a webhook (nothing done)';

/** Runs the command; the exit code (0 every model done, 1 any model failed or unknown). */
export async function runWebhookCommand(command: WebhookCommand, api: WebhookApi, io: { stdout: OutputStream; stderr: OutputStream }, redact: (text: string) => string): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const problem = (line: string) => io.stderr.write(`${PROGRAM}: ${redact(line)}\n`);
  let models;
  try {
    models = await api.modelWebhooks();
  } catch (error) {
    problem(`webhook ${command.action}: could not read the account's models: ${messageOf(error)}`);
    return 1;
  }
  const unknown = command.models.filter((name) => !models.some((m) => m.name === name));
  if (unknown.length > 0) {
    problem(`webhook ${command.action}: no model named ${unknown.join(', ')} in this account (models: ${models.map((m) => m.name).join(', ') || 'none'})`);
    return 1;
  }
  const chosen = command.models.length > 0 ? models.filter((m) => command.models.includes(m.name)) : models;
  if (chosen.length === 0) {
    problem(`webhook ${command.action}: this account has no models`);
    return 1;
  }
  const width = Math.max(...chosen.map((m) => m.name.length));
  let failed = 0;
  for (const model of chosen) {
    const name = model.name.padEnd(width);
    if (command.action === 'show') {
      say(`${name}  ${model.modelUpload ? `(${MODEL_UPLOADS.split(':')[0]})` : (model.webhook ?? '(no webhook)')}`);
      continue;
    }
    if (model.modelUpload) {
      say(`${name}  skipped: ${MODEL_UPLOADS}`);
      continue;
    }
    try {
      if (command.action === 'set') {
        await api.setSubmissionWebhook(model.id, command.url);
        say(`${name}  set to ${command.url}`);
      } else if (command.action === 'remove') {
        await api.setSubmissionWebhook(model.id, null);
        say(`${name}  webhook removed`);
      } else if (!model.webhook) {
        say(`${name}  no webhook to test (set one with: ${PROGRAM} webhook set <url> --models ${model.name})`);
      } else {
        const triggerId = await api.triggerModelWebhook(model.id);
        say(`${name}  Numerai called ${model.webhook} and got HTTP 200: trigger ${triggerId}`);
      }
    } catch (error) {
      failed += 1;
      problem(`webhook ${command.action}: ${model.name}: ${messageOf(error)}`);
    }
  }
  if (command.action === 'test' && failed === 0) {
    say('Each call above started a run of the workflow the relay points at (one run submits every model; the others find nothing left to do).');
  }
  return failed > 0 ? 1 : 0;
}
