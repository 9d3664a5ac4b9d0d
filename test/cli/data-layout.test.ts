/**
 * The command line over a data folder left in the old local layout: the store moves it into the layout the action's
 * cache uses, and the move is said on stderr.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { REAL_FEATURE_COUNT, syntheticFeaturesJson } from '../../src/sandbox/synthetic/feature-names.js';
import { EXAMPLE_MODELS, instantClock, workspace } from '../pipeline/sandbox-harness.js';

test('check finds a features.json of the old layout, moves it to the new one and says so', async () => {
  const ws = workspace();
  const old = join(ws.dataDir, 'classic', 'v5.2', 'round-3', 'features.json');
  mkdirSync(dirname(old), { recursive: true });
  writeFileSync(old, JSON.stringify(syntheticFeaturesJson(REAL_FEATURE_COUNT)));
  let stdout = '';
  let stderr = '';
  const code = await runCli(['check', '--models-dir', EXAMPLE_MODELS, '--data-dir', ws.dataDir, '--json'], {
    env: {},
    cwd: ws.root,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clock: instantClock,
  });
  assert.equal(code, 0, stderr);
  assert.deepEqual((JSON.parse(stdout) as { models: { featureCount: number }[] }).models.map((m) => m.featureCount), [42, 780, 2748]);
  assert.equal(existsSync(join(ws.dataDir, '8', 'v5.2', '3', 'features.json')), true);
  assert.equal(existsSync(join(ws.dataDir, 'classic')), false);
  assert.match(stderr, /^notice: Moved the dataset files of .* to the one the action's cache uses .*: classic\/v5\.2\/round-3 -> 8\/v5\.2\/3\.\n$/);
});
