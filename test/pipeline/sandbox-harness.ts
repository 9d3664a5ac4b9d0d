/**
 * Runs the real CLI (in-process) against the real sandbox, with the real Numerai client and the example models.
 * Only the client's backoff is shortened and the pipeline's sleeps are skipped, so fault tests stay fast.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';
import { createNumeraiClient, describeRetry, errorClassOf } from '../../src/numerai/index.js';
import type { Clock } from '../../src/pipeline/ports.js';
import type { RunReport } from '../../src/pipeline/report.js';
import type { Sandbox } from '../../src/sandbox/server.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const EXAMPLE_MODELS = join(ROOT, 'models');
export const EXAMPLE_NAMES = ['example_ensemble', 'example_gbt', 'example_linear'];

export const instantClock: Clock = { now: () => new Date(), sleep: async () => undefined };

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  report: RunReport;
  /** Every file the run wrote under its output folder, concatenated (CSV and report). */
  outputs: string;
}

export interface Workspace {
  root: string;
  modelsDir: string;
  dataDir: string;
  outputDir: string;
}

export function workspace(options: { copyModels?: boolean } = {}): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'autopilot-e2e-'));
  let modelsDir = EXAMPLE_MODELS;
  if (options.copyModels) {
    modelsDir = join(root, 'models');
    cpSync(EXAMPLE_MODELS, modelsDir, { recursive: true });
  }
  return { root, modelsDir, dataDir: join(root, 'data'), outputDir: join(root, 'out') };
}

export async function cli(
  sandbox: Sandbox,
  ws: Workspace,
  command: string,
  extra: string[] = [],
  env: Record<string, string> = {},
  clock: Clock = instantClock,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  // plan reads no data and writes nothing: it takes neither folder.
  const folders = command === 'plan' ? [] : ['--data-dir', ws.dataDir, '--output-dir', ws.outputDir];
  const code = await runCli(
    [command, '--api-url', sandbox.url, '--models-dir', ws.modelsDir, ...folders, '--json', ...extra],
    {
      env: { NUMERAI_PUBLIC_ID: sandbox.credentials.publicId, NUMERAI_SECRET_KEY: sandbox.credentials.secretKey, ...env },
      cwd: ws.root,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      numerai: (settings, onRetry) =>
        Object.assign(
          createNumeraiClient({ ...settings, requestTimeoutMs: 2_000 }, { backoffBaseMs: 1, backoffMaxMs: 5, onRetry: (event) => onRetry(describeRetry(event)) }),
          { errorClassOf },
        ),
      clock,
    },
  );
  const report = JSON.parse(stdout) as RunReport;
  return { code, stdout, stderr, report, outputs: command === 'plan' ? '' : readTree(ws.outputDir) };
}

function readTree(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

export function statusOf(report: RunReport): Record<string, string> {
  return Object.fromEntries(report.models.map((model) => [model.model, model.status]));
}
