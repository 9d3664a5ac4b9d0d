/**
 * `numerai-autopilot sandbox --port 8080` (in a clone also `npm run sandbox -- --port 8080`): start the Numerai sandbox and print its URL and a working key pair.
 * While it runs, commands typed on standard input change the round (`open 1181`, `late`, `closed`), show
 * submissions, or inject faults; `help` lists them.
 */
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { accountSpecsWith } from './accounts/keys.js';
import { parseDuration } from '../pipeline/duration.js';
import { parseHistoryFlag } from './rounds/history.js';
import { DEFAULT_FEATURES, DEFAULT_ROUND, DEFAULT_ROWS, DEFAULT_SEED, startSandbox } from './server.js';
import type { ClosedShape, Fault, RoundState, Sandbox } from './types.js';

const USAGE = `Usage: numerai-autopilot sandbox [options]   (in a clone also: npm run sandbox -- [options])

A local Numerai API (GraphQL at POST /, signed dataset downloads and uploads) with synthetic data.

Options:
  --port <n>             port to listen on (default 8080; 0 = any free port)
  --host <addr>          loopback address (default 127.0.0.1)
  --round <n>            current round number (default ${DEFAULT_ROUND})
  --state <s>            round state: open | late | closed (default open); also --round-state
  --closed-shape <s>     how rounds(number: 0) answers while closed: null | error (default null)
  --rows <n>             rows of the synthetic live file (default ${DEFAULT_ROWS})
  --features <n>         features of the synthetic live file (default ${DEFAULT_FEATURES})
  --seed <n>             seed of keys, model ids and data (default ${DEFAULT_SEED})
  --versions <list>      classic dataset versions served (default v5.2,v5.3)
  --url-ttl <seconds>    lifetime of signed URLs (default 3600)
  --messages <style>     validation messages: tools | legacy (default tools)
  --no-history           no earlier-round submissions
  --models-dir <dir>     add every model folder of <dir> to the account, to rehearse with your own models
  --history <list>       earlier rounds per model, e.g. model_a=oo-l,model_b=o-o: o on time, l late, - missed,
                         oldest first, ending with the round before the current one (default oo for every model)
  --open-at <duration>   open the next round this long after start (30s, 5m); listed as UPCOMING until then
  -h, --help             this help
`;

const COMMANDS = `Commands:
  open [n]                       open round n (default: the current number)
  late                           the current round is past closeStakingTime
  closed [null|error]            no round open (rounds(number: 0) gives [null] or the error)
  open-at <duration>             open the next round after this long (30s, 5m); UPCOMING until then
  history <model>=<pattern>      set a model's earlier rounds (o on time, l late, - missed; oldest first)
  round                          show the round
  submissions [model]            submissions recorded by create_submission
  webhooks [model]               calls made to the models' webhooks, with their answers
  fault <operation> <kind> [arg] [times]
                                 inject a fault: kinds http <status>, rate-limit <seconds>, slow <ms>, hang,
                                 reset, non-json, graphql-400 <message>, applied-response-lost
  clear                          remove every injected fault
  help                           this list
`;

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

function parseFault(kind: string, args: string[]): Fault {
  const [a, b] = args;
  const times = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  switch (kind) {
    case 'http':
      return { kind, status: Number(a ?? 500), times: times(b) };
    case 'rate-limit':
      return { kind, retryAfterSeconds: Number(a ?? 1), times: times(b) };
    case 'slow':
      return { kind, delayMs: Number(a ?? 1000), times: times(b) };
    case 'graphql-400':
      return { kind, message: a ?? 'Bad Request', times: times(b) };
    case 'hang':
    case 'reset':
    case 'non-json':
    case 'applied-response-lost':
      return { kind, times: times(a) };
    default:
      throw new Error(`unknown fault kind ${kind}`);
  }
}

function command(sandbox: Sandbox, line: string): string {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  switch (cmd) {
    case '':
      return '';
    case 'open':
      sandbox.setRound('open', rest[0] ? Number(rest[0]) : undefined);
      return describe(sandbox);
    case 'late':
      sandbox.setRound('late');
      return describe(sandbox);
    case 'closed':
    case 'close':
      sandbox.setRound('closed', undefined, rest[0] ? { closedShape: rest[0] as ClosedShape } : undefined);
      return describe(sandbox);
    case 'open-at': {
      if (!rest[0]) return 'usage: open-at <duration>, e.g. open-at 30s';
      const next = sandbox.openRoundAt(Date.now() + parseDuration(rest[0], 'open-at'));
      return `round ${next.number} opens at ${next.openTime}`;
    }
    case 'history': {
      const patterns = parseHistoryFlag(rest.join(','));
      for (const [model, pattern] of Object.entries(patterns)) sandbox.setHistory(model, pattern);
      return `history set: ${Object.entries(patterns).map(([m, p]) => `${m}=${p}`).join(', ')}`;
    }
    case 'round':
      return describe(sandbox);
    case 'submissions': {
      const subs = sandbox.submissions(rest[0]);
      if (subs.length === 0) return 'no submissions recorded';
      return subs
        .map((s) => `${s.insertedAt} round ${s.round} ${s.modelName} ${s.filename} ${s.rows} rows${s.selected ? ' selected' : ''}${s.late ? ' late' : ''} ${s.id}`)
        .join('\n');
    }
    case 'webhooks': {
      const calls = sandbox.webhookCalls(rest[0]);
      if (calls.length === 0) return 'no webhook calls made';
      return calls
        .map((c) => `${c.sentAt} round ${c.round} ${c.modelName} ${c.cause} ${c.url} → ${c.status || 'no answer'} ${c.answer.slice(0, 120)} (trigger ${c.triggerId})`)
        .join('\n');
    }
    case 'fault': {
      const [operation, kind, ...args] = rest;
      if (!operation || !kind) return 'usage: fault <operation> <kind> [arg] [times]';
      sandbox.inject(operation, parseFault(kind, args));
      return `injected ${kind} on ${operation}`;
    }
    case 'clear':
      sandbox.clearFaults();
      return 'faults cleared';
    case 'help':
      return COMMANDS;
    default:
      return `unknown command ${cmd}; type help`;
  }
}

function describe(sandbox: Sandbox): string {
  const r = sandbox.round();
  return `round ${r.number} ${r.state}: open ${r.openTime}, closeStaking ${r.closeStakingTime}, close ${r.closeTime}`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      round: { type: 'string' },
      state: { type: 'string' },
      'round-state': { type: 'string' },
      'closed-shape': { type: 'string' },
      rows: { type: 'string' },
      features: { type: 'string' },
      seed: { type: 'string' },
      versions: { type: 'string' },
      'url-ttl': { type: 'string' },
      messages: { type: 'string' },
      'no-history': { type: 'boolean' },
      'models-dir': { type: 'string' },
      history: { type: 'string' },
      'open-at': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const state = (values.state ?? values['round-state'] ?? 'open') as RoundState;
  if (!['open', 'late', 'closed'].includes(state)) throw new Error(`--state must be open, late or closed, got ${state}`);
  const closedShape = (values['closed-shape'] ?? 'null') as ClosedShape;
  if (!['null', 'error'].includes(closedShape)) throw new Error(`--closed-shape must be null or error, got ${closedShape}`);
  const messages = values.messages ?? 'tools';
  if (messages !== 'tools' && messages !== 'legacy') throw new Error(`--messages must be tools or legacy, got ${messages}`);
  const rows = int('rows', values.rows, DEFAULT_ROWS);
  const features = int('features', values.features, DEFAULT_FEATURES);
  const seed = int('seed', values.seed, DEFAULT_SEED);

  const accounts = accountSpecsWith(values['models-dir'] === undefined ? [] : modelFolders(values['models-dir']));
  const sandbox = await startSandbox({
    accounts,
    port: int('port', values.port, 8080),
    host: values.host,
    round: { number: int('round', values.round, DEFAULT_ROUND), state, closedShape },
    rows,
    features,
    seed,
    versions: values.versions?.split(',').map((v) => v.trim()).filter(Boolean),
    urlTtlSeconds: values['url-ttl'] === undefined ? undefined : int('url-ttl', values['url-ttl'], 3600),
    messageStyle: messages,
    history: values['no-history'] ? false : values.history ? parseHistoryFlag(values.history) : true,
    openAt: values['open-at'] ? Date.now() + parseDuration(values['open-at'], '--open-at') : undefined,
    eagerData: false,
  });

  const r = sandbox.round();
  process.stdout.write(
    `# Numerai sandbox on ${sandbox.url} (round ${r.number} ${r.state}; live data ${rows} rows x ${features} features, seed ${seed})\n` +
      `NUMERAI_API_URL=${sandbox.url}\n` +
      `NUMERAI_PUBLIC_ID=${sandbox.credentials.publicId}\n` +
      `NUMERAI_SECRET_KEY=${sandbox.credentials.secretKey}\n`,
  );
  const lines = accounts[0].models.map(({ name }) => `  ${name.padEnd(22)} ${sandbox.modelId(name)}`);
  process.stderr.write(`models:\n${lines.join('\n')}\n(example_model_upload is managed by Numerai Model Uploads: API submissions are refused)\n`);
  process.stderr.write('type help for commands; Ctrl-C stops the sandbox\n');
  sandbox.onRoundOpen((round) => process.stderr.write(`round ${round.number} opened at ${round.openTime}\n`));

  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    try {
      const out = command(sandbox, line);
      if (out) process.stderr.write(`${out}\n`);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
    }
  });
  const stop = () => {
    rl.close();
    void sandbox.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // warm the data in the background so the first download is fast
  sandbox.ready().then(
    () => process.stderr.write(`data of round ${sandbox.round().number} ready\n`),
    (error: unknown) => process.stderr.write(`data generation failed: ${(error as Error).message}\n`),
  );
}

/** The model folders' names: every folder of the models folder that is not hidden, as the pipeline reads them. */
function modelFolders(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(resolve(dir), { withFileTypes: true });
  } catch (error) {
    throw new Error(`--models-dir ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}`, { cause: error });
  }
  const names = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort();
  if (names.length === 0) throw new Error(`--models-dir ${dir}: no model folders in it`);
  return names;
}

/** Runs the sandbox until Ctrl-C or SIGTERM; a wrong option prints its reason and exits 2. */
export function runSandbox(argv: string[]): void {
  main(argv).catch((error: unknown) => {
    process.stderr.write(`sandbox: ${(error as Error).message}\n`);
    process.exit(2);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runSandbox(process.argv.slice(2));
