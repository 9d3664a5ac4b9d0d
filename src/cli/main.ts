import type { FeatureSetsDocument } from '../models/features.js';
import { FEATURES_FILE } from '../pipeline/data.js';
import { makeRedactor } from '../pipeline/errors.js';
import { systemClock, TOURNAMENTS, type Clock, type NumeraiPort } from '../pipeline/ports.js';
import { exitCodeFor } from '../pipeline/report.js';
import { planCurrentRound, reportPath, runPipeline } from '../pipeline/run.js';
import type { PipelineSettings } from '../pipeline/settings.js';
import { parseCommandLine, PROGRAM, UsageError, type CommandName } from './args.js';
import { planJson, renderPlan, renderRunReport } from './format.js';
import { LocalDatasetStore } from './local-store.js';
import { TerminalReporter, type OutputStream } from './terminal-reporter.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Results: the table, or JSON with --json. */
  stdout: OutputStream;
  /** Progress, notices, warnings and errors. */
  stderr: OutputStream;
  /** How the Numerai API is reached; the real client by default (tests may shorten its backoff). */
  numerai?: (settings: PipelineSettings, onRetry: (message: string) => void) => NumeraiPort;
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
    io.stdout.write(`${PROGRAM} ${await packageVersion()}\n`);
    return EXIT.ok;
  }
  const { command, settings, json } = parsed;
  const redact = makeRedactor([settings.secretKey]);
  try {
    return await runCommand(command, settings, json, io);
  } catch (error) {
    // Only a bug gets here: the pipeline reports its failures in the report.
    io.stderr.write(`${PROGRAM}: internal error: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT.failed;
  }
}

async function runCommand(command: CommandName, settings: PipelineSettings, json: boolean, io: CliIo): Promise<number> {
  const reporter = new TerminalReporter(io.stderr);
  if (command === 'check') return check(settings, json, io);

  const onRetry = (message: string) => reporter.log('warning', message);
  const numerai = io.numerai?.(settings, onRetry) ?? (await defaultNumerai(settings, onRetry));
  const clock = io.clock ?? systemClock;

  if (command === 'plan') {
    const plan = await planCurrentRound(settings, { numerai, clock, reporter });
    io.stdout.write(json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : renderPlan(plan));
    return plan.error || plan.models.some((entry) => entry.status === 'failed') ? EXIT.failed : EXIT.ok;
  }

  const store = new LocalDatasetStore(settings.dataDir);
  const report = await runPipeline(settings, { numerai, store, clock, reporter });
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(renderRunReport(report));
    io.stdout.write(`Report: ${reportPath(settings)}\n`);
  }
  return exitCodeFor(report);
}

// The heavy modules (HTTP client, onnxruntime) load only when a command needs them, so --help and usage errors are quick.
async function defaultNumerai(settings: PipelineSettings, onRetry: (message: string) => void): Promise<NumeraiPort> {
  const { createNumeraiClient, describeRetry, errorClassOf } = await import('../numerai/index.js');
  const client = createNumeraiClient(settings, { onRetry: (event) => onRetry(describeRetry(event)) });
  return Object.assign(client, { errorClassOf });
}

/** `check`: the models folder offline, with the feature names checked when a stored features.json is at hand. */
async function check(settings: PipelineSettings, json: boolean, io: CliIo): Promise<number> {
  const { checkModelsFolder, formatCheckReport } = await import('../models/check.js');
  let report;
  try {
    report = await checkModelsFolder(settings.modelsDir, await storedFeatures(settings.dataDir), { only: settings.models });
  } catch (error) {
    io.stderr.write(`${PROGRAM}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatCheckReport(report)}\n`);
  return report.ok && report.models.length > 0 ? EXIT.ok : EXIT.failed;
}

/** The newest stored features.json of each classic dataset version in the data folder. */
async function storedFeatures(dataDir: string): Promise<Map<string, FeatureSetsDocument>> {
  const { readFeaturesJson } = await import('../data/features-json.js');
  const store = new LocalDatasetStore(dataDir);
  const found = new Map<string, FeatureSetsDocument>();
  for (const version of await store.versions(TOURNAMENTS.classic)) {
    for (const path of await store.roundPaths(TOURNAMENTS.classic, version, FEATURES_FILE)) {
      try {
        found.set(version, await readFeaturesJson(path));
        break;
      } catch {
        // Missing or unreadable in this round: try an older one.
      }
    }
  }
  return found;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
