/** `npm run sandbox`: prints its URL and a key pair a user can paste into a shell; stdin commands drive the round. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let child: ChildProcessWithoutNullStreams;
let stdout = '';
let stderr = '';

function waitFor(get: () => string, pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const m = pattern.exec(get());
      if (m) return resolve(m);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

before(() => {
  child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--rows', '30', '--features', '4', '--round', '777', '--seed', '7'], { cwd: root });
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
});

after(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

async function post(url: string, query: string, key?: { id: string; secret: string }): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Token ${key.id}$${key.secret}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables: null }) });
  return res.json();
}

test('prints the URL and NUMERAI_PUBLIC_ID= / NUMERAI_SECRET_KEY= lines that work', async () => {
  const m = await waitFor(() => stdout, /^# Numerai sandbox on (http:\/\/127\.0\.0\.1:\d+\/)[^\n]*\nNUMERAI_API_URL=\1\nNUMERAI_PUBLIC_ID=([A-Z2-7]{32})\nNUMERAI_SECRET_KEY=([A-Z2-7]{64})\n/);
  const [, url, id, secret] = m;
  const body = (await post(url, '{ account { models { name tournament } } }', { id, secret })) as { data: { account: { models: { name: string; tournament: number }[] } } };
  const names = body.data.account.models.map((x) => `${x.name}:${x.tournament}`);
  for (const want of ['example_gbt:8', 'example_ensemble:8', 'example_linear:8', 'example_signals:11', 'example_crypto:12']) assert.ok(names.includes(want), want);
  assert.deepEqual(await post(url, '{ rounds(number: 0) { number } }'), { data: { rounds: [{ number: 777 }] } });

  child.stdin.write('closed error\n');
  await waitFor(() => stderr, /round 777 closed/);
  assert.deepEqual(await post(url, '{ rounds(number: 0) { number } }'), { errors: [{ message: 'Current round not open for submissions', locations: [{ line: 1, column: 3 }], path: ['rounds'] }], data: { rounds: null } });
  child.stdin.write('open 778\n');
  await waitFor(() => stderr, /round 778 open/);
  assert.deepEqual(await post(url, '{ rounds(number: 0) { number } }'), { data: { rounds: [{ number: 778 }] } });
  child.stdin.write('fault rounds http 503\n');
  await waitFor(() => stderr, /injected http on rounds/);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ rounds(number: 0) { number } }' }) });
  assert.equal(res.status, 503);
});

test('the same seed gives the same keys on every start', async () => {
  const again = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--port', '0', '--rows', '10', '--features', '2', '--seed', '7'], { cwd: root });
  let out = '';
  again.stdout.on('data', (c) => (out += c));
  try {
    const m = await waitFor(() => out, /NUMERAI_SECRET_KEY=(\w+)\n/);
    const first = /NUMERAI_SECRET_KEY=(\w+)\n/.exec(stdout)!;
    assert.equal(m[1], first[1]);
  } finally {
    again.kill('SIGTERM');
    await once(again, 'exit');
  }
});

test('--help, and a bad flag exits 2 with a message', async () => {
  const help = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--help'], { cwd: root });
  let out = '';
  help.stdout.on('data', (c) => (out += c));
  const [code] = await once(help, 'exit');
  assert.equal(code, 0);
  assert.match(out, /--round-state|--state <s>/);
  const bad = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/main.ts', '--state', 'ajar'], { cwd: root });
  let err = '';
  bad.stderr.on('data', (c) => (err += c));
  const [badCode] = await once(bad, 'exit');
  assert.equal(badCode, 2);
  assert.match(err, /--state must be open, late or closed, got ajar/);
});
