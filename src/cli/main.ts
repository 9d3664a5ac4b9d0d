import { messageOf } from '../data/errors.js';
import type { FeatureSetsDocument } from '../models/features.js';
import { FEATURES_FILE } from '../pipeline/data.js';
import { makeRedactor } from '../pipeline/errors.js';
import { systemClock, TOURNAMENTS, type Clock, type NumeraiPort, type Reporter, type ScoresPort } from '../pipeline/ports.js';
import { exitCodeFor } from '../pipeline/report.js';
import { planCurrentRound, reportPath, runPipeline } from '../pipeline/run.js';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../pipeline/settings.js';
import type { RunReport } from '../pipeline/report.js';
import { parseCommandLine, PROGRAM, UsageError, type CommandName, type LocalFiles } from './args.js';
import { planJson, renderPlan, renderRunReport } from './format.js';
import type { InitOptions } from './init.js';
import type { OfflineFiles } from './offline.js';
import { LocalDatasetStore } from '../store/local.js';
import { packageInfo } from './package-info.js';
import { TerminalReporter, type OutputStream } from './terminal-reporter.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Results: the table, or JSON with --json. */
  stdout: OutputStream;
  /** Progress, notices, warnings and errors. */
  stderr: OutputStream;
  /** How the Numerai API is reached; the real client by default (tests may shorten its backoff). */
  numerai?: (settings: PipelineSettings, onRetry: (message: string) => void) => NumeraiPort & Partial<ScoresPort>;
  clock?: Clock;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Runs one CLI command and returns its exit code: 0 nothing failed, 1 a model or the run failed, 2 wrong usage. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, { env: io.env, cwd: io.cwd });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${PROGRAM}: ${error.message}\n`);
    return EXIT.usage;
  }
  if (parsed.kind === 'help') {
    io.stdout.write(parsed.text);
    return EXIT.ok;
  }
  if (parsed.kind === 'version') {
    const { version, actionAddress } = packageInfo();
    io.stdout.write(`${PROGRAM} ${version} (action ${actionAddress})\n`);
    return EXIT.ok;
  }
  if (parsed.kind === 'init') return init(parsed.options, io);
  if (parsed.kind === 'sandbox') {
    // The sandbox serves until it is stopped (Ctrl-C, SIGTERM): this only starts it.
    const { runSandbox } = await import('../sandbox/main.js');
    runSandbox(parsed.argv);
    return EXIT.ok;
  }
  if (parsed.kind === 'webhook') return webhook(parsed.argv, io);
  const { command, settings, json, files } = parsed;
  const redact = makeRedactor([settings.secretKey]);
  try {
    return await runCommand(command, settings, { json, files }, io);
  } catch (error) {
    // Only a bug gets here: the pipeline reports its failures in the report.
    io.stderr.write(`${PROGRAM}: internal error: ${redact(messageOf(error))}\n`);
    return EXIT.failed;
  }
}

async function runCommand(command: CommandName, settings: PipelineSettings, flags: { json: boolean; files: LocalFiles }, io: CliIo): Promise<number> {
  const { json, files } = flags;
  const reporter = new TerminalReporter(io.stderr);
  if (command === 'check') return check(settings, { json, featuresJson: files.featuresJson }, io);

  const clock = io.clock ?? systemClock;
  if (files.offline) return offline(settings, { json, files }, { clock, reporter }, io);
  const onRetry = (message: string) => reporter.log('warning', message);
  const numerai = io.numerai?.(settings, onRetry) ?? (await defaultNumerai(settings, onRetry));

  if (command === 'plan') {
    const plan = await planCurrentRound(settings, { numerai, clock, reporter });
    io.stdout.write(json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : renderPlan(plan));
    return plan.error || plan.models.some((entry) => entry.status === 'failed') ? EXIT.failed : EXIT.ok;
  }

  const scores = 'submissionScores' in numerai && 'roundScoring' in numerai ? (numerai as NumeraiPort & ScoresPort) : undefined;
  if (command === 'scores') {
    if (!scores) throw new Error('the Numerai client given cannot read scores');
    const { scoresCommand } = await import('./scores-command.js');
    return scoresCommand(settings, json, { numerai: scores, reporter, stdout: io.stdout });
  }

  const store = new LocalDatasetStore(settings.dataDir, { logger: reporter });
  const report = await runPipeline(settings, { numerai, store, clock, reporter, scores });
  return printRun(report, settings, json, io);
}

/** predict --offline: the pipeline with the offline adapters in place of Numerai and the dataset store. */
async function offline(
  settings: PipelineSettings,
  flags: { json: boolean; files: LocalFiles },
  ports: { clock: Clock; reporter: TerminalReporter },
  io: CliIo,
): Promise<number> {
  const { OfflineDatasetStore, listedFeatures, offlineNumerai, syntheticFiles } = await import('./offline.js');
  const { clock, reporter } = ports;
  let files: OfflineFiles;
  if (flags.files.live && flags.files.featuresJson) {
    files = { live: flags.files.live, featuresJson: flags.files.featuresJson };
    reporter.log('notice', `Offline: predicting on ${files.live} with ${files.featuresJson}; no API, no keys, nothing uploaded.`);
  } else {
    reporter.log('notice', 'Offline: generating synthetic live data of the real file\'s shape; no API, no keys, nothing uploaded.');
    files = await syntheticFiles(settings.dataDir, await listedFeatures(settings.modelsDir));
    reporter.log('info', `Synthetic data: ${files.live} and ${files.featuresJson}.`);
  }
  const report = await runPipeline(settings, { numerai: offlineNumerai(() => clock.now()), store: new OfflineDatasetStore(files), clock, reporter });
  return printRun(report, settings, flags.json, io);
}

function printRun(report: RunReport, settings: PipelineSettings, json: boolean, io: CliIo): number {
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(renderRunReport(report));
    io.stdout.write(`Report: ${reportPath(settings)}\n`);
  }
  return exitCodeFor(report);
}

// The heavy modules (HTTP client, onnxruntime) load only when a command needs them, so --help and usage errors are quick.
async function defaultNumerai(settings: PipelineSettings, onRetry: (message: string) => void): Promise<NumeraiPort & ScoresPort> {
  const { createNumeraiClient, describeRetry, errorClassOf } = await import('../numerai/index.js');
  const client = createNumeraiClient(settings, { onRetry: (event) => onRetry(describeRetry(event)) });
  return Object.assign(client, { errorClassOf });
}

/**
 * `check`: the models folder offline, with the feature names checked against --features-json, else against the
 * newest stored features.json of each dataset version. A features.json that cannot be read fails the check.
 */
async function check(settings: PipelineSettings, flags: { json: boolean; featuresJson?: string }, io: CliIo): Promise<number> {
  const { checkModelsFolder, formatCheckReport } = await import('../models/check.js');
  const { json } = flags;
  let report;
  try {
    const features = flags.featuresJson ? await givenFeatures(flags.featuresJson) : await storedFeatures(settings.dataDir, new TerminalReporter(io.stderr));
    report = await checkModelsFolder(settings.modelsDir, features, { only: settings.models });
  } catch (error) {
    io.stderr.write(`${PROGRAM}: ${messageOf(error)}\n`);
    return EXIT.failed;
  }
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatCheckReport(report)}\n`);
  return report.ok && report.models.length > 0 ? EXIT.ok : EXIT.failed;
}

/** One features.json for the models of every dataset version. */
async function givenFeatures(path: string): Promise<Pick<Map<string, FeatureSetsDocument>, 'get'>> {
  const { readFeaturesJson } = await import('../data/features-json.js');
  const document = await readFeaturesJson(path);
  return { get: () => document };
}

/**
 * The newest stored features.json of each classic dataset version in the data folder. A round without the file is
 * passed over; a file that is there but unreadable is an error (delete it; the next predict downloads it again).
 */
async function storedFeatures(dataDir: string, logger: Pick<Reporter, 'log'>): Promise<Map<string, FeatureSetsDocument>> {
  const { readFeaturesJson } = await import('../data/features-json.js');
  const { existsSync } = await import('node:fs');
  const store = new LocalDatasetStore(dataDir, { logger });
  const found = new Map<string, FeatureSetsDocument>();
  for (const version of await store.versions(TOURNAMENTS.classic)) {
    const path = (await store.roundPaths(TOURNAMENTS.classic, version, FEATURES_FILE)).find((candidate) => existsSync(candidate));
    if (path) found.set(version, await readFeaturesJson(path));
  }
  return found;
}

/** `webhook set|show|test|remove`: the models' round-open webhook, through the Numerai client. */
async function webhook(argv: string[], io: CliIo): Promise<number> {
  const { parseWebhookCommand, runWebhookCommand, WEBHOOK_HELP } = await import('./webhook.js');
  let command;
  try {
    command = parseWebhookCommand(argv, { env: io.env, cwd: io.cwd });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${PROGRAM}: ${error.message}\n`);
    return EXIT.usage;
  }
  if (command === 'help') {
    io.stdout.write(WEBHOOK_HELP);
    return EXIT.ok;
  }
  const { createNumeraiClient, describeRetry } = await import('../numerai/index.js');
  const { modelWebhooks, setSubmissionWebhook, triggerModelWebhook } = await import('../numerai/webhooks.js');
  const reporter = new TerminalReporter(io.stderr);
  const client = createNumeraiClient(
    { ...DEFAULT_SETTINGS, apiUrl: command.apiUrl, publicId: command.publicId, secretKey: command.secretKey },
    { onRetry: (event) => reporter.log('warning', describeRetry(event)) },
  );
  const api = {
    modelWebhooks: () => modelWebhooks(client.transport),
    setSubmissionWebhook: (modelId: string, url: string | null) => setSubmissionWebhook(client.transport, modelId, url),
    triggerModelWebhook: (modelId: string) => triggerModelWebhook(client.transport, modelId),
  };
  return runWebhookCommand(command, api, io, makeRedactor([command.secretKey]));
}

/** `init`: the files written, kept or left as they were, then the next steps. Exit 1 when a file was kept. */
async function init(options: InitOptions, io: CliIo): Promise<number> {
  const { initRepository, nextSteps } = await import('./init.js');
  let result;
  try {
    result = await initRepository(options);
  } catch (error) {
    io.stderr.write(`${PROGRAM}: init: ${messageOf(error)}\n`);
    return EXIT.failed;
  }
  const width = Math.max(...result.files.map((file) => file.outcome.length));
  for (const file of result.files) io.stdout.write(`  ${file.outcome.padEnd(width)}  ${file.path}${file.note ? ` (${file.note})` : ''}\n`);
  io.stdout.write('\n');
  if (result.kept) io.stderr.write(`${PROGRAM}: init: some files were kept as they are; run again with --force to replace them\n`);
  io.stdout.write(nextSteps(result));
  return result.kept ? EXIT.failed : EXIT.ok;
}
