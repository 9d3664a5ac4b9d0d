/**
 * The relay's fetch handler, run in Node against the GitHub REST emulator over loopback: what it dispatches, and the
 * status and reason of each bad input and each refusal from GitHub.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import relay from '../../relay/src/index.js';
import { createRelay, MAX_BODY_BYTES, parseNumeraiCall, type RelayEnv } from '../../relay/src/relay.js';
import { GitHubRestEmulator, READ_TOKEN, WRITE_TOKEN } from '../emulators/github-rest.js';

const SECRET = 'relay-secret-0123456789abcdefghijklmnop';
const NUMERAI_BODY = JSON.stringify({ roundNumber: 1201, dataVersion: 1, triggerId: '0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01' });
/** Short waits, so the failure paths are quick; the counts and order are what is tested. */
const fast = createRelay({ deadlineMs: 3000, attemptTimeoutMs: 400, attempts: 3, backoffMs: [10, 20] });

let github: GitHubRestEmulator;
let logs: string[] = [];
const original = { log: console.log, error: console.error };

before(async () => {
  github = await GitHubRestEmulator.start({
    workflows: {
      'submit.yml': { dispatch: { inputs: { 'trigger-id': {}, reason: {}, models: {}, force: { type: 'boolean' } } } },
      'ci.yml': { dispatch: null },
    },
  });
  console.log = (...args: unknown[]) => void logs.push(args.join(' '));
  console.error = (...args: unknown[]) => void logs.push(args.join(' '));
});
after(async () => {
  Object.assign(console, original);
  await github.close();
});
afterEach(() => {
  github.faults.clear();
  github.requests.length = 0;
  // The token and the secret path never reach the log, whatever happened.
  for (const line of logs) {
    assert.ok(!line.includes(WRITE_TOKEN) && !line.includes(READ_TOKEN), `token in log: ${line}`);
    assert.ok(!line.includes(SECRET), `secret path in log: ${line}`);
  }
  logs = [];
});

function env(overrides: Partial<RelayEnv> = {}): RelayEnv {
  return { RELAY_SECRET: SECRET, GITHUB_TOKEN: WRITE_TOKEN, GITHUB_REPOSITORY: 'octo/numerai-models', GITHUB_API_URL: github.apiUrl, ...overrides };
}

async function call(init: RequestInit & { path?: string } = {}, e: RelayEnv = env(), handler = fast) {
  const { path = `/${SECRET}`, ...rest } = init;
  const response = await handler.fetch(new Request(`https://relay.example.workers.dev${path}`, { method: 'POST', body: NUMERAI_BODY, ...rest }), e);
  const text = await response.text();
  for (const secret of [WRITE_TOKEN, READ_TOKEN, SECRET]) assert.ok(!text.includes(secret), `secret in the answer: ${text}`);
  return { status: response.status, text, json: response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as { ok: boolean; error?: string }) : undefined };
}

describe('relay: Numerai webhook → workflow_dispatch', () => {
  it('dispatches the workflow with the trigger id and a reason, and answers Numerai 200', async () => {
    const answer = await call({}, env(), relay);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { ok: true, triggerId: '0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01', workflow: 'submit.yml', ref: 'main' });
    const [sent] = github.requestsTo('actions.createWorkflowDispatch');
    assert.equal(sent.url, '/repos/octo/numerai-models/actions/workflows/submit.yml/dispatches');
    assert.equal(sent.headers.authorization, `Bearer ${WRITE_TOKEN}`);
    assert.equal(sent.headers['user-agent'], 'numerai-autopilot-relay');
    assert.equal(sent.status, 204);
    assert.deepEqual(sent.json, { ref: 'main', inputs: { 'trigger-id': '0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01', reason: 'Numerai webhook: round 1201 is open' } });
    assert.deepEqual(github.dispatches().at(-1)?.inputs, { 'trigger-id': '0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01', reason: 'Numerai webhook: round 1201 is open', models: '', force: '' });
    assert.match(logs.join('\n'), /dispatched submit\.yml@main for trigger 0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01 \(round 1201\)/);
  });

  it('takes the body whatever its content type, with a byte-order mark, extra fields and no round number', async () => {
    const body = '\uFEFF' + JSON.stringify({ triggerId: 'abc-1', dataVersion: 2, something: { new: true } });
    const answer = await call({ body, headers: { 'content-type': 'text/plain' } });
    assert.equal(answer.status, 200);
    assert.deepEqual((github.requestsTo('actions.createWorkflowDispatch')[0].json as { inputs: unknown }).inputs, { 'trigger-id': 'abc-1', reason: 'Numerai webhook' });
    assert.deepEqual(parseNumeraiCall('{"triggerId":"x","roundNumber":"12"}'), { triggerId: 'x', round: null });
  });

  it('answers 404 with no detail to a wrong path, a near miss, and a GET or PUT on the right path', async () => {
    const wrong = [
      await call({ path: '/wrong' }),
      await call({ path: `/${SECRET}x` }),
      await call({ path: `/${SECRET.slice(0, -1)}` }),
      await call({ path: `/${SECRET}/` }),
      await call({ path: `/x/${SECRET}` }),
      await call({ path: '/' }),
      await call({ method: 'GET', body: undefined }),
      await call({ method: 'PUT' }),
    ];
    for (const answer of wrong) assert.deepEqual(answer, { status: 404, text: 'Not Found', json: undefined });
    assert.equal(github.requests.length, 0);
  });

  it('answers 404 to everything while RELAY_SECRET is missing or too short, and says so in the log only', async () => {
    assert.equal((await call({ path: '/' }, env({ RELAY_SECRET: undefined }))).status, 404);
    assert.equal((await call({ path: '/short' }, env({ RELAY_SECRET: 'short' }))).status, 404);
    assert.match(logs.join('\n'), /RELAY_SECRET is not set/);
    assert.match(logs.join('\n'), /RELAY_SECRET is too short/);
    assert.equal(github.requests.length, 0);
  });

  it('answers 413 to a body over the cap, declared or streamed, and 400 to a body that is not Numerai\'s', async () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    const declared = await call({ body: big });
    assert.equal(declared.status, 413);
    assert.equal(declared.json?.error, `body too large: more than ${MAX_BODY_BYTES} bytes`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(5000)));
        controller.close();
      },
    });
    const streamed = await call({ body: stream, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
    const bad: [string | Uint8Array, RegExp][] = [
      ['', /empty/],
      ['triggerId=abc', /not JSON/],
      ['[1,2]', /JSON object/],
      ['{"roundNumber": 5}', /no triggerId/],
      ['{"triggerId": 42}', /triggerId must be/],
      ['{"triggerId": "a b"}', /triggerId must be/],
      ['{"triggerId": "${{ secrets.X }}"}', /triggerId must be/],
      [JSON.stringify({ triggerId: 'z'.repeat(129) }), /triggerId must be/],
      [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
    ];
    for (const [body, reason] of bad) {
      const answer = await call({ body });
      assert.equal(answer.status, 400, String(body));
      assert.equal(answer.json?.ok, false);
      assert.match(answer.json?.error ?? '', reason);
    }
    assert.equal(github.requests.length, 0);
  });

  it('answers 500 naming the missing setting when the token or the repository is not configured', async () => {
    const noToken = await call({}, env({ GITHUB_TOKEN: '' }));
    assert.deepEqual([noToken.status, noToken.json?.error], [500, 'relay not configured: the GITHUB_TOKEN secret is not set']);
    const noRepo = await call({}, env({ GITHUB_REPOSITORY: 'just-a-name' }));
    assert.equal(noRepo.status, 500);
    assert.match(noRepo.json?.error ?? '', /GITHUB_REPOSITORY must be "owner\/repo", got "just-a-name"/);
  });

  it('answers 502 with GitHub\'s reason to 401, 403, 404 and 422, after one attempt each', async () => {
    const cases: [RelayEnv, RegExp][] = [
      [env({ GITHUB_TOKEN: 'ghp_notAValidToken' }), /^github rejected the token \(401: Bad credentials\); set a valid GITHUB_TOKEN secret$/],
      [env({ GITHUB_TOKEN: READ_TOKEN }), /^github refused the dispatch \(403: Resource not accessible by integration\); the token needs Actions: read and write on octo\/numerai-models$/],
      [env({ WORKFLOW: 'nope.yml' }), /^github found no workflow nope\.yml in octo\/numerai-models \(404: Not Found\)/],
      [env({ GITHUB_REPOSITORY: 'octo/other' }), /^github found no workflow submit\.yml in octo\/other \(404: Not Found\)/],
      [env({ REF: 'nope' }), /^github refused the dispatch of submit\.yml@nope \(422: No ref found for: nope\)$/],
      [env({ WORKFLOW: 'ci.yml' }), /\(422: Workflow does not have 'workflow_dispatch' trigger\)$/],
    ];
    const dispatched = github.dispatches().length;
    for (const [e, reason] of cases) {
      github.requests.length = 0;
      const answer = await call({}, e);
      assert.equal(answer.status, 502);
      assert.match(answer.json?.error ?? '', reason);
      assert.equal(github.requests.length, 1, 'a refusal is not retried');
    }
    assert.equal(github.dispatches().length, dispatched, 'nothing was dispatched');
  });

  it('passes GitHub\'s 422 for inputs the workflow does not declare', async () => {
    const narrow = await GitHubRestEmulator.start({ workflows: { 'submit.yml': { dispatch: { inputs: { models: {} } } } } });
    try {
      const answer = await call({}, env({ GITHUB_API_URL: narrow.apiUrl }));
      assert.equal(answer.status, 502);
      assert.match(answer.json?.error ?? '', /\(422: Unexpected inputs provided: \["trigger-id","reason"\]\)$/);
    } finally {
      await narrow.close();
    }
  });

  it('retries 5xx, resets and rate limits a bounded number of times, then succeeds or answers 502', async () => {
    github.fault('actions.createWorkflowDispatch', { kind: 'status', status: 502, times: 1 });
    github.fault('actions.createWorkflowDispatch', { kind: 'reset', times: 1 });
    const recovered = await call();
    assert.equal(recovered.status, 200);
    assert.deepEqual(github.requestsTo('actions.createWorkflowDispatch').map((r) => r.status), [502, 0, 204]);
    assert.match(logs.join('\n'), /3 attempt\(s\)/);

    github.requests.length = 0;
    github.fault('actions.createWorkflowDispatch', { kind: 'status', status: 503 });
    const down = await call();
    assert.equal(down.status, 502);
    assert.equal(down.json?.error, 'github is unavailable (503: Server Error) (after 3 attempts)');
    assert.equal(github.requests.length, 3);

    github.faults.clear();
    github.requests.length = 0;
    github.fault('actions.createWorkflowDispatch', { kind: 'rate-limit', status: 403, retryAfterSeconds: 0.05, times: 1 });
    assert.equal((await call()).status, 200);
    assert.deepEqual(github.requests.map((r) => r.status), [403, 204]);
  });

  it('answers 504 within its deadline when GitHub does not answer, and does not wait for a Retry-After past it', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const quick = createRelay({ deadlineMs: 900, attemptTimeoutMs: 200, attempts: 3, backoffMs: [10, 10] });
      const answer = await call({}, env({ GITHUB_API_URL: `http://127.0.0.1:${port}` }), quick);
      assert.equal(answer.status, 504);
      assert.match(answer.json?.error ?? '', /^github did not answer within 200 ms \(after 3 attempts\)$/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    github.fault('actions.createWorkflowDispatch', { kind: 'rate-limit', status: 429, retryAfterSeconds: 60, times: 1 });
    const limited = await call();
    assert.equal(limited.status, 502);
    assert.match(limited.json?.error ?? '', /^github rate-limited the dispatch \(429/);
    assert.equal(github.requests.length, 1, 'a Retry-After past the deadline ends the attempts');
  });
});
