/**
 * Two runs for the same round at once must submit each model exactly once. The server is the truth, but two runs
 * can both see "not submitted" during planning: what prevents the double upload is (a) a per-round, per-model lock
 * in the data folder for runs sharing a machine, and (b) asking the server again right before each upload, for runs
 * on different machines (which narrows the window to the upload itself).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { NumeraiPort } from '../../src/pipeline/ports.js';
import type { RunReport } from '../../src/pipeline/report.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import {
  assertDataFolderClean,
  assertRunHasNoCanary,
  clientFor,
  describeOutcome,
  instantClock,
  MODELS,
  sandboxWithReferenceData,
  removeWorkspace,
  resetSandbox,
  ROUND,
  runRound,
  settingsFor,
  workspace,
  type Run,
  type Workspace,
} from './kit.js';
import { LocalDatasetStore } from '../../src/store/local.js';
import { TerminalReporter } from '../../src/cli/terminal-reporter.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { scenario } from './results.js';

const BOUND_MS = 20_000;

/** Per model, how many submissions the server holds for the round. */
function serverCounts(sandbox: Sandbox): Record<string, number> {
  return Object.fromEntries(MODELS.map((model) => [model, sandbox.submissions(model).filter((s) => s.round === ROUND).length]));
}

const once = Object.fromEntries(MODELS.map((model) => [model, 1]));

/** Each model: submitted by exactly one of the runs, skipped (not failed) by the other. */
function assertSplit(a: RunReport, b: RunReport): void {
  for (const model of MODELS) {
    const states = [a, b].map((report) => report.models.find((entry) => entry.model === model)?.status);
    assert.deepEqual(states.filter((state) => state === 'submitted').length, 1, `${model}: ${states.join(' / ')}`);
    assert.ok(states.every((state) => state === 'submitted' || state === 'skipped'), `${model}: ${states.join(' / ')}`);
  }
}

/**
 * A run whose data step waits for `gate` first: it has planned (and seen no submission), then stalls until the
 * other run has finished, as a slower machine would.
 */
async function gatedRun(sandbox: Sandbox, ws: Workspace, gate: Promise<unknown>): Promise<Run> {
  const settings = settingsFor(sandbox, ws);
  let log = '';
  const reporter = new TerminalReporter({ write: (text: string) => (log += text) });
  const waits: Run['waits'] = [];
  const client = clientFor(settings, waits, (line) => reporter.log('warning', line));
  const numerai: NumeraiPort = Object.assign(Object.create(client) as NumeraiPort, {
    datasetUrl: async (...args: Parameters<NumeraiPort['datasetUrl']>) => {
      await gate;
      return client.datasetUrl(...args);
    },
  });
  const started = performance.now();
  const report = await runPipeline(settings, { numerai, store: new LocalDatasetStore(ws.dataDir), clock: instantClock, reporter });
  return { report, log, waits, ms: performance.now() - started };
}

describe('two runs for the same round', { concurrency: false }, () => {
  let sandbox: Sandbox;
  let reference: Map<string, Buffer>;

  before(async () => {
    ({ sandbox, reference } = await sandboxWithReferenceData());
  });
  after(() => sandbox.close());

  scenario(
    {
      matrix: 'concurrency',
      step: 'two machines, one after the other',
      fault: 'the second run plans after the first submitted',
      expected: 'the second run skips every model (the server is the truth): each model submitted once',
      boundMs: BOUND_MS,
    },
    async () => {
      resetSandbox(sandbox);
      const first = workspace();
      const second = workspace();
      try {
        const a = await runRound(sandbox, first);
        const b = await runRound(sandbox, second);
        assert.deepEqual(serverCounts(sandbox), once);
        assertSplit(a.report, b.report);
        return `first: ${describeOutcome(a.report)}; second: ${describeOutcome(b.report)}`;
      } finally {
        removeWorkspace(first);
        removeWorkspace(second);
      }
    },
  );

  scenario(
    {
      matrix: 'concurrency',
      step: 'two machines, overlapping',
      fault: 'both plan before either uploads; the second reaches its uploads after the first has submitted',
      expected: 'the second run asks the server again right before each upload and skips: each model submitted once',
      boundMs: BOUND_MS,
    },
    async () => {
      resetSandbox(sandbox);
      const first = workspace();
      const second = workspace();
      try {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        // The second run starts first: it plans (no submission yet), then waits at its data step.
        const start = sandbox.requests.length;
        const slow = gatedRun(sandbox, second, gate);
        await waitFor(() => sandbox.requests.slice(start).filter((r) => r.operation === 'submissions').length >= MODELS.length, 'the second run to plan');
        const a = await runRound(sandbox, first);
        release();
        const b = await slow;
        const counts = serverCounts(sandbox);
        assert.deepEqual(counts, once, `submissions per model: ${JSON.stringify(counts)}; first: ${describeOutcome(a.report)}; second: ${describeOutcome(b.report)}`);
        assertSplit(a.report, b.report);
        return `first: ${describeOutcome(a.report)}; second: ${describeOutcome(b.report)}`;
      } finally {
        removeWorkspace(first);
        removeWorkspace(second);
      }
    },
  );

  scenario(
    {
      matrix: 'concurrency',
      step: 'one machine, same data folder',
      fault: 'two runs started at the same moment',
      expected: 'a per-round, per-model lock lets one run submit each model; the other skips it; data folder intact',
      boundMs: BOUND_MS,
    },
    async () => {
      resetSandbox(sandbox);
      const ws = workspace();
      const other = { ...ws, outputDir: join(ws.root, 'out-2') };
      try {
        const [a, b] = await Promise.all([runRound(sandbox, ws), runRound(sandbox, other)]);
        const counts = serverCounts(sandbox);
        assert.deepEqual(counts, once, `submissions per model: ${JSON.stringify(counts)}; run 1: ${describeOutcome(a.report)}; run 2: ${describeOutcome(b.report)}`);
        assertSplit(a.report, b.report);
        assertDataFolderClean(ws, reference);
        assertRunHasNoCanary(a, ws);
        assertRunHasNoCanary(b, other);
        return `run 1: ${describeOutcome(a.report)}; run 2: ${describeOutcome(b.report)}`;
      } finally {
        removeWorkspace(ws);
      }
    },
  );
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
