/** The GitHub REST emulator answers as GitHub does for the requests the issue manager makes. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GitHubRestEmulator, READ_TOKEN, WRITE_TOKEN } from './github-rest.js';

let github: GitHubRestEmulator;
before(async () => {
  github = await GitHubRestEmulator.start({
    workflows: {
      'submit.yml': { id: 42, dispatch: { inputs: { 'trigger-id': {}, mode: { type: 'choice', options: ['a', 'b'], default: 'a' }, who: { required: true } } } },
      'ci.yml': { dispatch: null },
    },
    refs: ['main', 'v1'],
  });
});
after(async () => {
  await github.close();
});

async function call(method: string, path: string, body?: unknown, token: string | null = WRITE_TOKEN) {
  const response = await fetch(new URL(path, github.apiUrl), {
    method,
    headers: { ...(token ? { authorization: `token ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('GitHubRestEmulator', () => {
  it('paginates issue lists with Link headers and filters by every label and by state', async () => {
    for (let i = 0; i < 45; i++) github.seedIssue({ title: `t${i}`, labels: ['a', i % 2 ? 'b' : 'c'] });
    github.seedIssue({ title: 'closed', labels: ['a', 'b'], state: 'closed' });
    const first = await call('GET', '/repos/octo/numerai-models/issues?labels=a,b&per_page=10');
    assert.equal(first.status, 200);
    assert.equal((first.json as unknown as unknown[]).length, 10);
    const link = first.headers.get('link') ?? '';
    assert.match(link, /<http:\/\/127\.0\.0\.1:\d+\/repos\/octo\/numerai-models\/issues\?labels=a%2Cb&per_page=10&page=2>; rel="next"/);
    assert.match(link, /page=3>; rel="last"/);
    const last = await call('GET', '/repos/octo/numerai-models/issues?labels=a,b&per_page=10&page=3');
    assert.equal((last.json as unknown as unknown[]).length, 2);
    assert.match(last.headers.get('link') ?? '', /rel="prev"/);
    const closed = await call('GET', '/repos/octo/numerai-models/issues?labels=a&state=closed');
    assert.deepEqual((closed.json as unknown as { title: string }[]).map((i) => i.title), ['closed']);
  });

  it('answers writes with a read-only token with GitHub\'s 403 message, and unknown tokens with 401', async () => {
    const denied = await call('POST', '/repos/octo/numerai-models/issues', { title: 'x' }, READ_TOKEN);
    assert.equal(denied.status, 403);
    assert.equal(denied.json?.message, 'Resource not accessible by integration');
    assert.equal((await call('GET', '/repos/octo/numerai-models/issues', undefined, READ_TOKEN)).status, 200);
    assert.equal((await call('GET', '/repos/octo/numerai-models/issues', undefined, 'nope')).json?.message, 'Bad credentials');
    assert.equal((await call('GET', '/repos/octo/numerai-models/issues', undefined, null)).status, 401);
    assert.equal((await call('GET', '/repos/octo/other/issues')).status, 404);
  });

  it('validates like GitHub: body length, duplicate labels, missing title', async () => {
    const long = await call('POST', '/repos/octo/numerai-models/issues', { title: 't', body: 'x'.repeat(65537) });
    assert.equal(long.status, 422);
    assert.match(JSON.stringify(long.json), /body is too long \(maximum is 65536 characters\)/);
    assert.equal((await call('POST', '/repos/octo/numerai-models/issues', { body: 'no title' })).status, 422);
    assert.equal((await call('POST', '/repos/octo/numerai-models/labels', { name: 'L', color: 'ff0000' })).status, 201);
    const dup = await call('POST', '/repos/octo/numerai-models/labels', { name: 'l', color: 'ff0000' });
    assert.equal(dup.status, 422);
    assert.deepEqual(dup.json?.errors, [{ resource: 'Label', code: 'already_exists', field: 'name' }]);
    assert.equal((await call('GET', '/repos/octo/numerai-models/labels/missing')).status, 404);
  });

  it('creates, comments on and closes an issue, and records every request', async () => {
    const created = await call('POST', '/repos/octo/numerai-models/issues', { title: 'T', body: 'B', labels: ['new-label'] });
    const number = created.json?.number as number;
    assert.equal(created.status, 201);
    assert.ok(github.labels().some((l) => l.name === 'new-label'), 'labels named on creation are created');
    assert.equal((await call('POST', `/repos/octo/numerai-models/issues/${number}/comments`, { body: 'c' })).status, 201);
    const closed = await call('PATCH', `/repos/octo/numerai-models/issues/${number}`, { state: 'closed', state_reason: 'completed' });
    assert.equal(closed.json?.state, 'closed');
    assert.equal(closed.json?.comments, 1);
    const comments = await call('GET', `/repos/octo/numerai-models/issues/${number}/comments`);
    assert.deepEqual((comments.json as unknown as { body: string }[]).map((c) => c.body), ['c']);
    const recorded = github.requestsTo('issues.update').at(-1);
    assert.deepEqual(recorded?.json, { state: 'closed', state_reason: 'completed' });
  });

  it('serves injected faults: 5xx, secondary rate limits with Retry-After, resets', async () => {
    github.fault('issues.get', { kind: 'status', status: 503, times: 1 });
    github.fault('issues.get', { kind: 'rate-limit', status: 429, retryAfterSeconds: 7, times: 1 });
    github.fault('issues.get', { kind: 'reset', times: 1 });
    assert.equal((await call('GET', '/repos/octo/numerai-models/issues/1')).status, 503);
    const limited = await call('GET', '/repos/octo/numerai-models/issues/1');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.match(String(limited.json?.message), /secondary rate limit/);
    await assert.rejects(call('GET', '/repos/octo/numerai-models/issues/1'));
    assert.equal((await call('GET', '/repos/octo/numerai-models/issues/1')).status, 200);
  });

  it('answers a workflow dispatch the way GitHub does: 204 (or 200 with run details), 404, 422', async () => {
    const path = '/repos/octo/numerai-models/actions/workflows/submit.yml/dispatches';
    const ok = await fetch(new URL(path, github.apiUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_TOKEN}` },
      body: JSON.stringify({ ref: 'refs/heads/main', inputs: { 'trigger-id': 't1', who: 'me' } }),
    });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('content-type'), null);
    assert.equal(await ok.text(), '');
    const details = await call('POST', '/repos/octo/numerai-models/actions/workflows/42/dispatches', { ref: 'v1', inputs: { who: 'me', mode: 'b' }, return_run_details: true });
    assert.equal(details.status, 200);
    assert.match(String(details.json?.html_url), /^https:\/\/github\.com\/octo\/numerai-models\/actions\/runs\/\d+$/);
    assert.deepEqual(
      github.dispatches().map(({ runId: _r, ...d }) => d),
      [
        { workflow: 'submit.yml', ref: 'main', inputs: { 'trigger-id': 't1', mode: 'a', who: 'me' } },
        { workflow: 'submit.yml', ref: 'v1', inputs: { 'trigger-id': '', mode: 'b', who: 'me' } },
      ],
    );
    const refused: [string, unknown, number, string][] = [
      ['gone.yml', { ref: 'main' }, 404, 'Not Found'],
      ['submit.yml', { inputs: {} }, 422, 'Invalid request.\n\n"ref" wasn\'t supplied.'],
      ['submit.yml', { ref: 'nope', inputs: { who: 'me' } }, 422, 'No ref found for: nope'],
      ['ci.yml', { ref: 'main' }, 422, "Workflow does not have 'workflow_dispatch' trigger"],
      ['submit.yml', { ref: 'main', inputs: { who: 'me', extra: 'x', more: 'y' } }, 422, 'Unexpected inputs provided: ["extra","more"]'],
      ['submit.yml', { ref: 'main', inputs: {} }, 422, "Required input 'who' not provided"],
      ['submit.yml', { ref: 'main', inputs: { who: 'me', mode: 'c' } }, 422, "Provided value 'c' for input 'mode' not in the list of allowed values"],
    ];
    for (const [workflow, body, status, message] of refused) {
      const answer = await call('POST', `/repos/octo/numerai-models/actions/workflows/${workflow}/dispatches`, body);
      assert.deepEqual([answer.status, answer.json?.message], [status, message]);
      assert.equal(answer.json?.documentation_url, 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event');
    }
    assert.equal((await call('POST', path, { ref: 'main', inputs: { who: 'me' } }, READ_TOKEN)).status, 403);
    assert.equal((await call('POST', path, { ref: 'main', inputs: { who: 'me' } }, null)).status, 401);
    assert.equal(github.dispatches().length, 2);
  });
});
