import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cli, EXAMPLE_NAMES, ROOT, statusOf, workspace } from '../pipeline/sandbox-harness.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ rows: 200, seed: 5, round: { number: 900, state: 'open' } });
  await sandbox.ready();
});
after(() => sandbox.close());

test('a crash between two models, then a rerun: each model is submitted exactly once', async () => {
  const ws = workspace();
  // The first create_submission goes through; the second hangs, so the process is killed with one model submitted.
  sandbox.inject('create_submission', { kind: 'slow', delayMs: 1, times: 1 });
  sandbox.inject('create_submission', { kind: 'hang', times: 1 });
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/numerai-autopilot.js'), 'submit', '--api-url', sandbox.url, '--models-dir', ws.modelsDir, '--data-dir', ws.dataDir, '--output-dir', ws.outputDir],
    {
      cwd: ws.root,
      env: { PATH: process.env.PATH, HOME: ws.root, NUMERAI_PUBLIC_ID: sandbox.credentials.publicId, NUMERAI_SECRET_KEY: sandbox.credentials.secretKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  let hanging = false;
  for (let waited = 0; !hanging && waited < 120_000; waited += 50) {
    await delay(50);
    hanging = sandbox.requests.some((request) => request.operation === 'create_submission' && request.fault === 'hang');
    if (child.exitCode !== null) break;
  }
  assert.ok(hanging, `the second upload never started:\n${output}`);
  child.kill('SIGKILL');
  await exited;

  const submittedBeforeCrash = EXAMPLE_NAMES.filter((name) => sandbox.submissions(name).some((s) => s.round === 900));
  assert.deepEqual(submittedBeforeCrash, ['example_ensemble']);

  sandbox.clearFaults();
  const rerun = await cli(sandbox, ws, 'submit');
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(statusOf(rerun.report), { example_ensemble: 'skipped', example_gbt: 'submitted', example_linear: 'submitted' });
  for (const name of EXAMPLE_NAMES) assert.equal(sandbox.submissions(name).filter((s) => s.round === 900).length, 1, name);
});
