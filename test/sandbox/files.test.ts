/**
 * Signed-style URLs: dataset GET (Content-Length, Range, expiry, tampering) and the submission PUT (refuses a
 * Content-Type header like an S3 signature would, needs a Content-Length).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { data, errorOf, UPLOAD_AUTH, validCsv } from './helpers.js';

let sandbox: Sandbox;
let clock = Date.now();

before(async () => {
  sandbox = await startSandbox({ rows: 80, features: 6, now: () => clock, urlTtlSeconds: 600 });
});
after(() => sandbox.close());

async function datasetUrl(filename: string, round: number | null = null): Promise<string> {
  const d = await data<{ dataset: string }>(sandbox, 'query($f: String!, $r: Int) { dataset(filename: $f, round: $r, tournament: 8) }', { f: filename, r: round }, null);
  return d.dataset;
}

async function uploadUrl(): Promise<{ filename: string; url: string }> {
  const d = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, UPLOAD_AUTH, { filename: 'predictions.csv', tournament: 8, modelId: sandbox.modelId('example_gbt') });
  return d.submission_upload_auth;
}

function s3Code(xml: string): string {
  return /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? '';
}

describe('dataset GET', () => {
  test('the URL points at the sandbox and carries an expiring signature', async () => {
    const url = new URL(await datasetUrl('v5.2/live.parquet'));
    assert.equal(url.origin, new URL(sandbox.url).origin);
    assert.equal(url.pathname, '/datasets/1180/v5.2/live.parquet');
    for (const p of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-Signature']) assert.ok(url.searchParams.get(p), p);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '600');
  });

  test('200 with Content-Length; the live parquet holds the live ids', async () => {
    const res = await fetch(await datasetUrl('v5.2/live.parquet'));
    assert.equal(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'PAR1');
    const rows = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer, columns: ['id'] });
    assert.deepEqual(rows.map((r) => r.id), sandbox.liveIds());
  });

  test('Range: a first part, an open-ended rest, a suffix; the parts make the whole file', async () => {
    const url = await datasetUrl('v5.2/live.parquet');
    const whole = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const size = whole.length;
    const first = await fetch(url, { headers: { Range: 'bytes=0-99' } });
    assert.equal(first.status, 206);
    assert.equal(first.headers.get('content-range'), `bytes 0-99/${size}`);
    assert.equal(first.headers.get('content-length'), '100');
    const a = new Uint8Array(await first.arrayBuffer());
    const rest = await fetch(url, { headers: { Range: 'bytes=100-' } });
    assert.equal(rest.status, 206);
    assert.equal(rest.headers.get('content-range'), `bytes 100-${size - 1}/${size}`);
    const b = new Uint8Array(await rest.arrayBuffer());
    assert.deepEqual(Buffer.concat([a, b]), Buffer.from(whole));
    const tail = await fetch(url, { headers: { Range: 'bytes=-4' } });
    assert.equal(tail.status, 206);
    assert.equal(await tail.text(), 'PAR1');
    const beyond = await fetch(url, { headers: { Range: `bytes=${size - 10}-${size + 500}` } });
    assert.equal(beyond.headers.get('content-range'), `bytes ${size - 10}-${size - 1}/${size}`);
  });

  test('a range starting at or after the end: 416 with Content-Range bytes */size', async () => {
    const url = await datasetUrl('v5.2/live.parquet');
    const size = (await (await fetch(url)).arrayBuffer()).byteLength;
    const res = await fetch(url, { headers: { Range: `bytes=${size}-` } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${size}`);
    assert.equal(s3Code(await res.text()), 'InvalidRange');
  });

  test('features.json, example predictions, every listed file is served', async () => {
    const listed = await data<{ listDatasets: string[] }>(sandbox, '{ listDatasets }', null, null);
    for (const file of listed.listDatasets) {
      const res = await fetch(await datasetUrl(file));
      assert.equal(res.status, 200, file);
      assert.ok((await res.arrayBuffer()).byteLength > 0, file);
    }
    const preds = await (await fetch(await datasetUrl('v5.2/live_example_preds.csv'))).text();
    assert.equal(preds.split('\n')[0], 'id,prediction');
  });

  test('an unknown file is an error; so is a future round', async () => {
    assert.equal(await errorOf(sandbox, '{ dataset(filename: "v5.2/nope.parquet") }', null, null), 'Dataset not found: v5.2/nope.parquet');
    assert.equal(await errorOf(sandbox, '{ dataset(filename: "v9.9/live.parquet") }', null, null), 'Dataset not found: v9.9/live.parquet');
    assert.equal(await errorOf(sandbox, '{ dataset(filename: "v5.2/live.parquet", round: 99999) }', null, null), 'Round not found: 99999');
  });

  test('live_<round>.parquet (as in the docs) resolves to that round\'s live file', async () => {
    const url = new URL(await datasetUrl('v5.2/live_1179.parquet'));
    assert.equal(url.pathname, '/datasets/1179/v5.2/live.parquet');
    assert.equal((await fetch(url)).status, 200);
  });

  test('tampered signature, another path, missing parameters, HEAD: 403 with an S3 XML error', async () => {
    const url = new URL(await datasetUrl('v5.2/live.parquet'));
    const tampered = new URL(url);
    tampered.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    let res = await fetch(tampered);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('content-type'), 'application/xml');
    assert.equal(s3Code(await res.text()), 'SignatureDoesNotMatch');
    const otherPath = new URL(url);
    otherPath.pathname = '/datasets/1180/v5.2/features.json';
    res = await fetch(otherPath);
    assert.equal(res.status, 403);
    assert.equal(s3Code(await res.text()), 'SignatureDoesNotMatch');
    res = await fetch(`${url.origin}${url.pathname}`);
    assert.equal(res.status, 403);
    assert.equal(s3Code(await res.text()), 'AccessDenied');
    res = await fetch(url, { method: 'HEAD' });
    assert.equal(res.status, 403);
  });

  test('an expired URL: 403 AccessDenied "Request has expired"', async () => {
    const url = await datasetUrl('v5.2/features.json');
    clock += 601_000;
    try {
      const res = await fetch(url);
      assert.equal(res.status, 403);
      const xml = await res.text();
      assert.equal(s3Code(xml), 'AccessDenied');
      assert.match(xml, /<Message>Request has expired<\/Message>/);
      assert.equal((await fetch(await datasetUrl('v5.2/features.json'))).status, 200, 'a fresh URL works');
    } finally {
      clock -= 601_000;
    }
  });

  test('requests are logged as download', async () => {
    const before = sandbox.requests.length;
    await fetch(await datasetUrl('v5.2/features.json'));
    assert.deepEqual(sandbox.requests.slice(before).map((r) => [r.operation, r.status]), [['dataset', 200], ['download', 200]]);
  });
});

describe('upload PUT', () => {
  test('raw bytes, no Content-Type: 200 with an ETag', async () => {
    const { url } = await uploadUrl();
    const res = await fetch(url, { method: 'PUT', body: new TextEncoder().encode(validCsv(sandbox.liveIds())) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
    assert.equal(await res.text(), '');
  });

  test('a Content-Type header: 403 SignatureDoesNotMatch, as the URL was signed without one', async () => {
    const { url } = await uploadUrl();
    for (const type of ['text/csv', 'application/octet-stream']) {
      const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': type }, body: Buffer.from('id,prediction\n') });
      assert.equal(res.status, 403);
      const xml = await res.text();
      assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>SignatureDoesNotMatch<\/Code><Message>The request signature we calculated does not match the signature you provided\. Check your key and signing method\.<\/Message>/);
    }
    // fetch adds "text/plain;charset=UTF-8" to a string body by itself
    const res = await fetch(url, { method: 'PUT', body: 'id,prediction\n' });
    assert.equal(res.status, 403);
  });

  test('no Content-Length (chunked): 411 MissingContentLength', async () => {
    const { url } = await uploadUrl();
    const u = new URL(url);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'PUT' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('id,prediction\n');
      req.end();
    });
    assert.equal(status.status, 411);
    assert.equal(s3Code(status.body), 'MissingContentLength');
  });

  test('an expired upload URL, a GET on it, a PUT on a download URL: 403', async () => {
    const { url } = await uploadUrl();
    assert.equal((await fetch(url)).status, 403);
    assert.equal((await fetch(await datasetUrl('v5.2/features.json'), { method: 'PUT', body: new Uint8Array(1) })).status, 403);
    clock += 601_000;
    try {
      const res = await fetch(url, { method: 'PUT', body: new Uint8Array(1) });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /Request has expired/);
    } finally {
      clock -= 601_000;
    }
  });
});

describe('datasets option', () => {
  test('given files replace the classic defaults; live ids come from the id column', async () => {
    const ids = ['n0a', 'n0b', 'n0c'];
    const live = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'feature_a', data: [1, 2, 3], type: 'INT32' }, { name: 'id', data: ids, type: 'STRING' }] }));
    const s = await startSandbox({ datasets: { files: { 'v5.2/live.parquet': live, 'v5.2/features.json': '{"feature_sets":{"small":["feature_a"]},"targets":[]}' } } });
    try {
      assert.deepEqual(s.liveIds(), ids);
      const listed = await data<{ listDatasets: string[] }>(s, '{ listDatasets(tournament: 8) }', null, null);
      assert.deepEqual(listed.listDatasets, ['v5.2/live.parquet', 'v5.2/features.json']);
      const url = (await data<{ dataset: string }>(s, '{ dataset(filename: "v5.2/live.parquet") }', null, null)).dataset;
      assert.deepEqual(new Uint8Array(await (await fetch(url)).arrayBuffer()), live);
      const crypto = await data<{ listDatasets: string[] }>(s, '{ listDatasets(tournament: 12) }', null, null);
      assert.ok(crypto.listDatasets.includes('crypto/v2.0/live_universe.parquet'), 'other tournaments keep their defaults');
    } finally {
      await s.close();
    }
  });

  test('a function gives each round its own files', async () => {
    const s = await startSandbox({
      round: { number: 7, state: 'open' },
      datasets: (round) => ({ files: { 'v5.3/live.parquet': new Uint8Array([round]) }, liveIds: { classic: [`id_${round}`] } }),
    });
    try {
      assert.deepEqual(s.liveIds(), ['id_7']);
      s.setRound('open', 8);
      await s.ready();
      assert.deepEqual(s.liveIds('v5.3'), ['id_8']);
    } finally {
      await s.close();
    }
  });
});
