/** Every fault kind, observed with plain fetch and node:http. */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { CREATE, data, gql, UPLOAD_AUTH, validCsv } from './helpers.js';

let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rows: 40, features: 4 });
});
after(() => sandbox.close());
beforeEach(() => sandbox.clearFaults());

const ROUND = '{ rounds(number: 0) { number } }';
const ok = async () => assert.deepEqual((await gql(sandbox, ROUND, null, null)).body, { data: { rounds: [{ number: 1180 }] } });

/** A raw POST with node:http, reporting what arrived before the connection ended. */
function rawPost(body: string): Promise<{ status?: number; headers?: Record<string, unknown>; received: string; error?: string }> {
  const u = new URL(sandbox.url);
  return new Promise((resolve) => {
    let received = '';
    let status: number | undefined;
    let headers: Record<string, unknown> | undefined;
    const req = request({ host: u.hostname, port: u.port, path: '/', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      status = res.statusCode;
      headers = res.headers;
      res.on('data', (c) => (received += c));
      res.on('end', () => resolve({ status, headers, received }));
      res.on('error', (e) => resolve({ status, headers, received, error: (e as NodeJS.ErrnoException).code ?? e.message }));
      res.on('aborted', () => resolve({ status, headers, received, error: 'aborted' }));
    });
    req.on('error', (e) => resolve({ status, headers, received, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}

test('http: 5xx n times, then normal service', async () => {
  sandbox.inject('rounds', { kind: 'http', status: 503, times: 2 });
  for (let i = 0; i < 2; i++) {
    const r = await gql(sandbox, ROUND, null, null);
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, { errors: [{ message: 'Service unavailable' }] });
  }
  await ok();
  const log = sandbox.requests.slice(-3).map((r) => [r.operation, r.status, r.fault]);
  assert.deepEqual(log, [['rounds', 503, 'http'], ['rounds', 503, 'http'], ['rounds', 200, undefined]]);
});

test('rate-limit: 429 with Retry-After', async () => {
  sandbox.inject('rounds', { kind: 'rate-limit', retryAfterSeconds: 7 });
  const r = await gql(sandbox, ROUND, null, null);
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '7');
  await ok();
});

test('slow: the response comes after the delay', async () => {
  sandbox.inject('rounds', { kind: 'slow', delayMs: 300 });
  const t0 = Date.now();
  await ok();
  assert.ok(Date.now() - t0 >= 290);
});

test('hang: no response at all; the next request is served; close() ends hanging connections', async () => {
  const s = await startSandbox({ rows: 10, features: 2 });
  s.inject('account', { kind: 'hang' });
  await assert.rejects(gqlWithTimeout(s, '{ account { username } }', 300), /TimeoutError|aborted/i);
  assert.deepEqual(s.requests.at(-1), { method: 'POST', path: '/', operation: 'account', fields: ['account'], status: 0, fault: 'hang' });
  await data(s, '{ account { username } }');
  s.inject('account', { kind: 'hang' });
  const pending = rawPostTo(s, '{"query":"{ account { username } }"}');
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await s.close();
  assert.ok(Date.now() - t0 < 2000, 'close() does not wait for the hanging request');
  const result = await pending;
  assert.equal(result.status, undefined);
  assert.ok(result.error);
});

test('reset: status and half the body, then the socket is destroyed', async () => {
  sandbox.inject('rounds', { kind: 'reset' });
  const raw = await rawPost(JSON.stringify({ query: ROUND }));
  assert.equal(raw.status, 200);
  assert.ok(raw.error, 'the body ends in an error');
  assert.ok(raw.received.length > 0 && raw.received.length < Number(raw.headers!['content-length']));
  sandbox.inject('rounds', { kind: 'reset' });
  const res = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ROUND }) });
  await assert.rejects(res.text(), /terminated|aborted|ECONNRESET|other side closed/i);
  await ok();
});

test('non-json: an HTML error page, 502 by default or the status given', async () => {
  sandbox.inject('rounds', { kind: 'non-json' });
  let res = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ROUND }) });
  assert.equal(res.status, 502);
  assert.equal(res.headers.get('content-type'), 'text/html');
  const text = await res.text();
  assert.match(text, /^<!DOCTYPE html>/);
  assert.throws(() => JSON.parse(text));
  sandbox.inject('rounds', { kind: 'non-json', status: 200 });
  res = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ROUND }) });
  assert.equal(res.status, 200);
  await assert.rejects(res.json());
});

test('graphql-400: HTTP 400 with errors (the 2020 behaviour)', async () => {
  sandbox.inject('rounds', { kind: 'graphql-400', message: 'In argument "tournamentNumber": Expected type "Int!", found null.' });
  const r = await gql(sandbox, ROUND, null, null);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { errors: [{ message: 'In argument "tournamentNumber": Expected type "Int!", found null.' }] });
});

describe('applied-response-lost', () => {
  test('create_submission: recorded, then the connection is destroyed without a response', async () => {
    const modelId = sandbox.modelId('example_gbt');
    const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, UPLOAD_AUTH, { filename: 'p.csv', tournament: 8, modelId });
    await fetch(auth.submission_upload_auth.url, { method: 'PUT', body: Buffer.from(validCsv(sandbox.liveIds())) });
    sandbox.inject('createSubmission', { kind: 'applied-response-lost' });
    const before = sandbox.submissions('example_gbt').length;
    await assert.rejects(gql(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament: 8, modelId }), /fetch failed|socket|closed/i);
    assert.equal(sandbox.submissions('example_gbt').length, before + 1, 'the submission IS recorded');
    assert.equal(sandbox.requests.at(-1)!.fault, 'applied-response-lost');
    const d = await data<{ model: { submissions: { filename: string }[] } }>(sandbox, 'query($m: String) { model(modelId: $m) { submissions { filename } } }', { m: modelId });
    assert.equal(d.model.submissions[0].filename, auth.submission_upload_auth.filename, 'and visible to the "already submitted?" query');
  });

  test('only for operations that apply something', () => {
    assert.throws(() => sandbox.inject('rounds', { kind: 'applied-response-lost' }), /applies to create_submission/);
  });
});

describe('download and upload faults', () => {
  async function datasetUrl(): Promise<string> {
    return (await data<{ dataset: string }>(sandbox, '{ dataset(filename: "v5.2/live.parquet") }', null, null)).dataset;
  }

  test('download: 5xx, 429, reset mid-body (then a Range request resumes)', async () => {
    const url = await datasetUrl();
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    sandbox.inject('download', { kind: 'http', status: 500 });
    assert.equal((await fetch(url)).status, 500);
    sandbox.inject('download', { kind: 'rate-limit', retryAfterSeconds: 1 });
    assert.equal((await fetch(url)).status, 429);
    sandbox.inject('download', { kind: 'reset' });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const chunks: Buffer[] = [];
    const reader = res.body!.getReader();
    await assert.rejects(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(Buffer.from(value));
        }
      })(),
    );
    const got = Buffer.concat(chunks);
    assert.ok(got.length < whole.length);
    const rest = await fetch(url, { headers: { Range: `bytes=${got.length}-` } });
    assert.equal(rest.status, 206);
    assert.deepEqual(Buffer.concat([got, Buffer.from(await rest.arrayBuffer())]), whole);
    assert.deepEqual(sandbox.requests.filter((r) => r.operation === 'download').slice(-5).map((r) => [r.status, r.fault]), [[200, undefined], [500, 'http'], [429, 'rate-limit'], [200, 'reset'], [206, undefined]]);
  });

  test('download: hang and slow', async () => {
    const url = await datasetUrl();
    sandbox.inject('download', { kind: 'hang' });
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(200) }), /TimeoutError|aborted/i);
    sandbox.inject('download', { kind: 'slow', delayMs: 250 });
    const t0 = Date.now();
    assert.equal((await fetch(url)).status, 200);
    assert.ok(Date.now() - t0 >= 240);
  });

  test('upload: 503, then reset mid-body (nothing stored), then success', async () => {
    const modelId = sandbox.modelId('example_linear');
    const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, UPLOAD_AUTH, { filename: 'p.csv', tournament: 8, modelId });
    const body = Buffer.from(validCsv(sandbox.liveIds()));
    sandbox.inject('upload', { kind: 'http', status: 503 });
    assert.equal((await fetch(auth.submission_upload_auth.url, { method: 'PUT', body })).status, 503);
    sandbox.inject('upload', { kind: 'reset' });
    await assert.rejects(fetch(auth.submission_upload_auth.url, { method: 'PUT', body }));
    const notYet = await gql(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament: 8, modelId });
    assert.match(notYet.body.errors![0].message, /^File not found/);
    assert.equal((await fetch(auth.submission_upload_auth.url, { method: 'PUT', body })).status, 200);
    assert.equal((await gql(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament: 8, modelId })).body.errors, undefined);
  });

  test('upload: applied, response lost (the bytes are stored)', async () => {
    const modelId = sandbox.modelId('example_ensemble');
    const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, UPLOAD_AUTH, { filename: 'p.csv', tournament: 8, modelId });
    sandbox.inject('upload', { kind: 'applied-response-lost' });
    await assert.rejects(fetch(auth.submission_upload_auth.url, { method: 'PUT', body: Buffer.from(validCsv(sandbox.liveIds())) }));
    assert.equal((await gql(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament: 8, modelId })).body.errors, undefined);
  });
});

describe('targeting', () => {
  test('either spelling targets the same operation; other operations are untouched', async () => {
    sandbox.inject('list_datasets', { kind: 'http', status: 500 });
    await ok();
    const r = await gql(sandbox, '{ listDatasets }', null, null);
    assert.equal(r.status, 500);
    sandbox.inject('submissionUploadAuth', { kind: 'http', status: 502 });
    const r2 = await gql(sandbox, UPLOAD_AUTH, { filename: 'p.csv', tournament: 8, modelId: sandbox.modelId('example_gbt') });
    assert.equal(r2.status, 502);
    assert.equal(sandbox.requests.at(-1)!.operation, 'submission_upload_auth');
  });

  test('faults queue in order; times: Infinity until cleared', async () => {
    sandbox.inject('rounds', { kind: 'http', status: 500 });
    sandbox.inject('rounds', { kind: 'rate-limit', retryAfterSeconds: 1 });
    assert.equal((await gql(sandbox, ROUND, null, null)).status, 500);
    assert.equal((await gql(sandbox, ROUND, null, null)).status, 429);
    await ok();
    sandbox.inject('rounds', { kind: 'http', status: 500, times: Infinity });
    for (let i = 0; i < 3; i++) assert.equal((await gql(sandbox, ROUND, null, null)).status, 500);
    sandbox.clearFaults();
    await ok();
  });

  test('a name the API does not have, or a bad fault, throws', () => {
    assert.throws(() => sandbox.inject('latestSubmissionV2', { kind: 'hang' }), /no operation named "latestSubmissionV2"/);
    assert.throws(() => sandbox.inject('rounds', { kind: 'http', status: 42 }), /bad HTTP status/);
    assert.throws(() => sandbox.inject('rounds', { kind: 'http', status: 500, times: 0 }), /positive integer/);
  });
});

function gqlWithTimeout(s: Sandbox, query: string, ms: number): Promise<unknown> {
  const { publicId, secretKey } = s.credentials;
  return fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Token ${publicId}$${secretKey}` },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(ms),
  });
}

function rawPostTo(s: Sandbox, body: string): Promise<{ status?: number; error?: string }> {
  const u = new URL(s.url);
  return new Promise((resolve) => {
    const req = request({ host: u.hostname, port: u.port, path: '/', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}
