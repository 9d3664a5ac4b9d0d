/**
 * The relay in Cloudflare's own Workers runtime (workerd, through miniflare), built the way `wrangler deploy` builds
 * it (esbuild, ES module) with the compatibility date of wrangler.toml, calling the GitHub REST emulator over
 * loopback. One workerd process serves several copies of the worker, each with the bindings of one case.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Miniflare } from 'miniflare';
import { GitHubRestEmulator, READ_TOKEN, WRITE_TOKEN } from '../emulators/github-rest.js';
import { relayWorkerScript } from './worker.js';

const SECRET = 'miniflare-relay-secret-000000000000000000';
const BODY = JSON.stringify({ roundNumber: 1201, dataVersion: 1, triggerId: 'c0ffee00-0000-4000-8000-000000000001' });

let github: GitHubRestEmulator;
let mf: Miniflare;
/** What the worker wrote to its log (console.log/error inside workerd). */
const workerLog: string[] = [];

before(async () => {
  github = await GitHubRestEmulator.start({ workflows: { 'submit.yml': { dispatch: { inputs: { 'trigger-id': {}, reason: {} } } } } });
  const { script, compatibilityDate } = await relayWorkerScript();
  const base = { RELAY_SECRET: SECRET, GITHUB_TOKEN: WRITE_TOKEN, GITHUB_REPOSITORY: 'octo/numerai-models', GITHUB_API_URL: github.apiUrl };
  const worker = (name: string, bindings: Record<string, string>) => ({ name, modules: true, script, compatibilityDate, bindings: { ...base, ...bindings } });
  mf = new Miniflare({
    handleStructuredLogs: ({ message }: { message: string }) => void workerLog.push(message),
    workers: [
      worker('relay', {}),
      worker('bad-token', { GITHUB_TOKEN: 'ghp_revoked000000000000000000000000000' }),
      worker('read-token', { GITHUB_TOKEN: READ_TOKEN }),
      worker('unknown-workflow', { WORKFLOW: 'gone.yml' }),
      worker('unknown-ref', { REF: 'release' }),
    ],
  });
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => undefined);
    throw error;
  }
});
after(async () => {
  // The token and the secret path never reach the worker's log.
  assert.ok(workerLog.some((line) => line.startsWith('relay: dispatched')), 'the worker logs what it does');
  for (const line of workerLog) assert.ok(!line.includes(WRITE_TOKEN) && !line.includes(READ_TOKEN) && !line.includes(SECRET), line);
  await mf?.dispose();
  await github?.close();
});

async function call(worker: string, init: RequestInit & { path?: string } = {}) {
  const { path: where = `/${SECRET}`, ...rest } = init;
  // A Workers Fetcher; its types come from @cloudflare/workers-types, which this project does not install.
  const fetcher = (await mf.getWorker(worker)) as unknown as { fetch(url: string, init: RequestInit): Promise<Response> };
  const response = await fetcher.fetch(`https://relay.example.workers.dev${where}`, { method: 'POST', body: BODY, ...rest });
  const text = await response.text();
  assert.ok(!text.includes(WRITE_TOKEN) && !text.includes(READ_TOKEN) && !text.includes(SECRET), `a secret in the answer: ${text}`);
  return { status: response.status, text };
}

describe('relay in workerd (miniflare)', () => {
  it('turns Numerai\'s call into one workflow_dispatch and answers 200', async () => {
    const answer = await call('relay');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(JSON.parse(answer.text), { ok: true, triggerId: 'c0ffee00-0000-4000-8000-000000000001', workflow: 'submit.yml', ref: 'main' });
    assert.deepEqual(github.dispatches(), [
      { workflow: 'submit.yml', ref: 'main', inputs: { 'trigger-id': 'c0ffee00-0000-4000-8000-000000000001', reason: 'Numerai webhook: round 1201 is open' }, runId: github.dispatches()[0].runId },
    ]);
    assert.equal(github.requests[0].headers.authorization, `Bearer ${WRITE_TOKEN}`);
  });

  it('answers 404 to a wrong path and to a GET, 413 to an oversized body, 400 to an invalid one', async () => {
    const before = github.requests.length;
    assert.deepEqual(await call('relay', { path: '/not-the-secret' }), { status: 404, text: 'Not Found' });
    assert.deepEqual(await call('relay', { method: 'GET', body: undefined }), { status: 404, text: 'Not Found' });
    const big = await call('relay', { body: JSON.stringify({ triggerId: 'x', pad: 'p'.repeat(20_000) }) });
    assert.equal(big.status, 413);
    assert.match(big.text, /body too large: more than 16384 bytes/);
    const invalid = await call('relay', { body: '<xml/>' });
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /invalid body: not JSON/);
    assert.equal(github.requests.length, before, 'nothing reached GitHub');
  });

  it('answers 502 with the reason when GitHub answers 401, 403, 404 or 422', async () => {
    const cases: [string, RegExp][] = [
      ['bad-token', /github rejected the token \(401: Bad credentials\)/],
      ['read-token', /github refused the dispatch \(403: Resource not accessible by integration\)/],
      ['unknown-workflow', /github found no workflow gone\.yml in octo\/numerai-models \(404: Not Found\)/],
      ['unknown-ref', /github refused the dispatch of submit\.yml@release \(422: No ref found for: release\)/],
    ];
    for (const [worker, reason] of cases) {
      const answer = await call(worker);
      assert.equal(answer.status, 502, worker);
      assert.match(JSON.parse(answer.text).error, reason);
    }
  });

  it('retries GitHub\'s 5xx a bounded number of times', async () => {
    github.requests.length = 0;
    github.fault('actions.createWorkflowDispatch', { kind: 'status', status: 500, times: 1 });
    assert.equal((await call('relay')).status, 200);
    github.fault('actions.createWorkflowDispatch', { kind: 'status', status: 503 });
    const down = await call('relay');
    github.faults.clear();
    assert.equal(down.status, 502);
    assert.match(JSON.parse(down.text).error, /^github is unavailable \(503: Server Error\) \(after 3 attempts\)$/);
    assert.deepEqual(github.requests.map((r) => r.status), [500, 204, 503, 503, 503]);
  });
});
