/**
 * The transport against a local server whose every answer the test decides: the exact bytes, statuses and headers
 * that the sandbox's fault kinds cannot express (a server echoing the secret back, a 400 with errors, odd Retry-After).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';

import { errorClassOf } from '../../src/numerai/error-class.js';
import { NumeraiError } from '../../src/numerai/errors.js';
import { GraphqlTransport, type RetryEvent, type TransportOptions } from '../../src/numerai/transport.js';
import { NumeraiClient } from '../../src/numerai/client.js';

const CANARY = 'CANARY-secret-7f3a9c';
const CREDENTIALS = { publicId: 'PUBLICID123', secretKey: CANARY };

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Received, res: ServerResponse) => void;

let handler: Handler;
const received: Received[] = [];
let url: string;
let server: ReturnType<typeof createServer>;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const r = { method: req.method ?? '', headers: req.headers, body };
      received.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Answer each request with the next handler; the last one repeats. */
function sequence(...handlers: Handler[]): Handler {
  let i = 0;
  return (req, res) => handlers[Math.min(i++, handlers.length - 1)](req, res);
}

const ok: Handler = (_req, res) => json(res, 200, { data: { rounds: [{ number: 7 }] } });

function transport(extra: Partial<TransportOptions> = {}): GraphqlTransport & { delays: number[]; events: RetryEvent[] } {
  const delays: number[] = [];
  const events: RetryEvent[] = [];
  const t = new GraphqlTransport({
    apiUrl: url,
    credentials: CREDENTIALS,
    timeoutMs: 2_000,
    retries: 3,
    backoffBaseMs: 100,
    random: () => 0,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onRetry: (e) => events.push(e),
    ...extra,
  });
  return Object.assign(t, { delays, events });
}

async function failure(promise: Promise<unknown>): Promise<NumeraiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof NumeraiError, `expected a NumeraiError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

/** Everything an error could leak through: message, stack, JSON, inspection with hidden fields, and its causes. */
function everythingAbout(value: unknown): string {
  return [
    inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    JSON.stringify(value),
    value instanceof Error ? `${value.message}\n${value.stack}` : '',
  ].join('\n');
}

const Q = 'query($tournament: Int!) { rounds(tournament: $tournament number: 0) { number } }';

describe('request format', () => {
  test('POSTs {query, variables} as JSON; the Authorization header only on calls that need it', async () => {
    handler = ok;
    const t = transport();
    await t.query(Q, { tournament: 8 }, { operation: 'rounds', auth: false });
    await t.query('query { account { username } }', null, { operation: 'account', auth: true });
    assert.equal(received[0].method, 'POST');
    assert.match(String(received[0].headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(received[0].body), { query: Q, variables: { tournament: 8 } });
    assert.equal(received[0].headers.authorization, undefined);
    assert.deepEqual(JSON.parse(received[1].body).variables, null);
    assert.equal(received[1].headers.authorization, `Token PUBLICID123$${CANARY}`);
  });

  test('an auth call without keys fails locally, before sending anything', async () => {
    handler = ok;
    const t = transport({ credentials: undefined });
    const error = await failure(t.query('query { account { username } }', null, { operation: 'account', auth: true }));
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY/);
    assert.equal(received.length, 0);
    assert.deepEqual(await t.query(Q, { tournament: 8 }, { operation: 'rounds', auth: false }), { rounds: [{ number: 7 }] });
  });

  test('a key with whitespace inside is refused with a hint and without echoing the key', async () => {
    handler = ok;
    const t = transport({ credentials: { publicId: 'PUBLICID123', secretKey: `${CANARY} ${CANARY}` } });
    const error = await failure(t.query('query { account { username } }', null, { operation: 'account', auth: true }));
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /whitespace or control characters/);
    assert.ok(!everythingAbout(error).includes(CANARY));
    assert.equal(received.length, 0);
  });

  test('refuses an API URL that is not http(s) and a timeout that is not positive', () => {
    assert.throws(() => new GraphqlTransport({ apiUrl: 'ftp://x', timeoutMs: 10 }), /must be an http\(s\) URL/);
    assert.throws(() => new GraphqlTransport({ apiUrl: url, timeoutMs: 0 }), /positive number of milliseconds/);
  });
});

describe('GraphQL errors are parsed whatever the status, classified, and carry every message', () => {
  const cases: { message: string; status: number; kind: string }[] = [
    { message: 'Your session is invalid or has expired.', status: 200, kind: 'auth' },
    { message: 'Insufficient permission for read_user_info', status: 200, kind: 'permission' },
    { message: 'Unknown argument "take" on field "rounds" of type "RootQueryType".', status: 200, kind: 'validation' },
    { message: 'In argument "tournamentNumber": Expected type "Int!", found null.', status: 400, kind: 'validation' },
    { message: 'Current round not open for submissions', status: 200, kind: 'not-open' },
    { message: 'invalid_submission_values: values must be between 0 and 1 exclusive', status: 200, kind: 'rejected' },
  ];
  for (const c of cases) {
    test(`HTTP ${c.status}: "${c.message}" → ${c.kind}, not retried`, async () => {
      handler = (_req, res) => json(res, c.status, { errors: [{ message: 'first problem' }, { message: c.message, locations: [{ line: 1, column: 2 }] }] });
      const t = transport();
      const error = await failure(t.query(Q, { tournament: 8 }, { operation: 'rounds', auth: false }));
      assert.equal(error.kind, c.kind);
      assert.deepEqual(error.messages, ['first problem', c.message]);
      assert.ok(error.message.includes(c.message) && error.message.includes('first problem'));
      assert.equal(error.status, c.status);
      assert.equal(received.length, 1);
      assert.equal(error.transient, false);
    });
  }

  test('the permission error names the scopes a key needs', async () => {
    handler = (_req, res) => json(res, 200, { errors: [{ message: 'Insufficient permission for read_submission_info' }] });
    const error = await failure(transport().query(Q, null, { operation: 'submissions', auth: true }));
    assert.match(error.message, /upload_submission, read_user_info and read_submission_info/);
    assert.equal(errorClassOf(error), 'AccountError');
  });

  test('the auth hint follows the server\'s sentence with one period, not two', async () => {
    handler = (_req, res) => json(res, 200, { errors: [{ message: 'Your session is invalid or has expired.' }] });
    const error = await failure(transport().query(Q, null, { operation: 'account', auth: true }));
    assert.match(error.message, /has expired\. Check the public id/);
    assert.doesNotMatch(error.message, /\.\./);
    handler = (_req, res) => json(res, 200, { errors: [{ message: 'Insufficient permission for read_user_info' }] });
    const unpunctuated = await failure(transport().query(Q, null, { operation: 'account', auth: true }));
    assert.match(unpunctuated.message, /read_user_info\. The API key needs/);
  });

  test('an errors object with "detail" (gateway style) is an error too', async () => {
    handler = (_req, res) => json(res, 200, { errors: { detail: 'Your session is invalid or has expired.' } });
    const error = await failure(transport().query(Q, null, { operation: 'account', auth: true }));
    assert.equal(error.kind, 'auth');
  });

  test('an answer with neither data nor errors is a protocol error', async () => {
    handler = (_req, res) => json(res, 200, { hello: 'world' });
    const t = transport({ retries: 1 });
    const error = await failure(t.query(Q, null, { operation: 'rounds', auth: false }));
    assert.equal(error.kind, 'protocol');
    assert.equal(error.attempts, 2);
  });
});

describe('retries', () => {
  test('5xx and non-JSON bodies are retried with exponential backoff, then succeed', async () => {
    handler = sequence(
      (_req, res) => json(res, 503, { errors: [{ message: 'Internal server error' }] }),
      (_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>Bad gateway</body></html>');
      },
      ok,
    );
    const t = transport();
    assert.deepEqual(await t.query(Q, null, { operation: 'rounds', auth: false }), { rounds: [{ number: 7 }] });
    assert.deepEqual(t.delays, [50, 100], 'equal jitter at random()=0: half of 100, half of 200');
    assert.deepEqual(
      t.events.map((e) => [e.attempt, e.error.kind, e.error.status]),
      [
        [1, 'server', 503],
        [2, 'server', 502],
      ],
    );
  });

  test('a persistent 500 fails as "server" after retries + 1 attempts', async () => {
    handler = (_req, res) => json(res, 500, { errors: [{ message: 'Internal server error' }] });
    const t = transport({ retries: 2 });
    const error = await failure(t.query(Q, null, { operation: 'rounds', auth: false }));
    assert.equal(error.kind, 'server');
    assert.equal(error.attempts, 3);
    assert.match(error.message, /"rounds" failed \(3 attempts\): Internal server error/);
    assert.equal(received.length, 3);
    assert.equal(errorClassOf(error), 'NetworkError');
  });

  test('429 waits exactly what Retry-After asks (seconds or HTTP date)', async () => {
    const inTwoSeconds = new Date(Date.now() + 62_000).toUTCString();
    handler = sequence(
      (_req, res) => json(res, 429, { errors: [{ message: 'Too many requests' }] }, { 'retry-after': '7' }),
      (_req, res) => json(res, 429, {}, { 'retry-after': inTwoSeconds }),
      ok,
    );
    const t = transport();
    await t.query(Q, null, { operation: 'rounds', auth: false });
    assert.equal(t.delays[0], 7_000);
    assert.ok(t.delays[1] > 55_000 && t.delays[1] <= 62_000, `HTTP-date Retry-After → ${t.delays[1]} ms`);
  });

  test('a Retry-After longer than the client waits fails at once as rate-limit', async () => {
    handler = (_req, res) => json(res, 429, {}, { 'retry-after': '3600' });
    const t = transport({ maxRetryAfterMs: 60_000 });
    const error = await failure(t.query(Q, null, { operation: 'rounds', auth: false }));
    assert.equal(error.kind, 'rate-limit');
    assert.equal(error.retryAfterMs, 3_600_000);
    assert.match(error.message, /asked to wait 3600 s/);
    assert.equal(received.length, 1);
  });

  test('a persistent non-JSON 200 fails as "protocol" with a snippet of the body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Checking your browser</html>');
    };
    const t = transport({ retries: 1 });
    const error = await failure(t.query(Q, null, { operation: 'rounds', auth: false }));
    assert.equal(error.kind, 'protocol');
    assert.match(error.message, /not JSON \(text\/html\): <html>Checking your browser<\/html>/);
  });

  test('a server that never answers fails as "timeout" after every attempt timed out', async () => {
    handler = () => undefined;
    const t = transport({ timeoutMs: 60, retries: 2 });
    const error = await failure(t.query(Q, null, { operation: 'rounds', auth: false }));
    assert.equal(error.kind, 'timeout');
    assert.equal(error.attempts, 3);
    assert.match(error.message, /within 60 ms/);
  });

  test('connection refused is retried, then "network"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const t = transport({ apiUrl: `http://127.0.0.1:${port}/`, retries: 2 });
    const error = await failure(t.query(Q, null, { operation: 'rounds', auth: false }));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(t.delays.length, 2);
  });
});

describe('a mutation is never retried blindly', () => {
  const M = 'mutation { create_submission(filename: "x", tournament: 8) { id } }';
  const call = { operation: 'create_submission', auth: true, idempotent: false };

  test('503 after sending → "ambiguous" after one attempt', async () => {
    handler = (_req, res) => json(res, 503, { errors: [{ message: 'Internal server error' }] });
    const t = transport();
    const error = await failure(t.query(M, null, call));
    assert.equal(error.kind, 'ambiguous');
    assert.match(error.message, /may or may not have been applied/);
    assert.equal(received.length, 1);
    assert.equal(t.delays.length, 0);
  });

  test('a reset connection → "ambiguous"', async () => {
    handler = (_req, res) => res.socket?.destroy();
    const error = await failure(transport().query(M, null, call));
    assert.equal(error.kind, 'ambiguous');
    assert.equal(received.length, 1);
  });

  test('a timeout → "ambiguous"', async () => {
    handler = () => undefined;
    const error = await failure(transport({ timeoutMs: 50 }).query(M, null, call));
    assert.equal(error.kind, 'ambiguous');
  });

  test('429 (refused before running) and connection refused (never sent) are retried', async () => {
    handler = sequence((_req, res) => json(res, 429, {}, { 'retry-after': '1' }), (_req, res) => json(res, 200, { data: { create_submission: { id: 'sub-1' } } }));
    const t = transport();
    assert.deepEqual(await t.query(M, null, call), { create_submission: { id: 'sub-1' } });
    assert.equal(received.length, 2);
  });

  test('a GraphQL verdict (HTTP 200 + errors) is "rejected", final', async () => {
    handler = (_req, res) => json(res, 200, { errors: [{ message: 'invalid_submission_ids: Duplicates detected in id for live period.' }] });
    const error = await failure(transport().query(M, null, call));
    assert.equal(error.kind, 'rejected');
    assert.equal(errorClassOf(error), 'SubmissionRejected');
  });
});

describe('signed PUT', () => {
  test('sends the bytes with no Content-Type and requires 2xx; 5xx is retried', async () => {
    const bytes = new TextEncoder().encode('id,prediction\nn1,0.5\n');
    handler = sequence(
      (_req, res) => {
        res.writeHead(500);
        res.end();
      },
      (_req, res) => {
        res.writeHead(200);
        res.end();
      },
    );
    const t = transport();
    await t.put(`${url}upload/key?X-Amz-Signature=abc`, bytes);
    assert.equal(received.length, 2);
    assert.equal(received[1].method, 'PUT');
    assert.equal(received[1].headers['content-type'], undefined);
    assert.equal(received[1].headers.authorization, undefined);
    assert.equal(received[1].body, 'id,prediction\nn1,0.5\n');
  });

  test('403 (expired signature) fails at once as "rejected" without the signed query string', async () => {
    handler = (_req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    };
    const error = await failure(transport().put(`${url}upload/key?X-Amz-Signature=topsecretsig`, new Uint8Array([1])));
    assert.equal(error.kind, 'rejected');
    assert.equal(error.status, 403);
    assert.match(error.message, /HTTP 403.*SignatureDoesNotMatch/);
    assert.ok(!error.message.includes('topsecretsig'));
    assert.equal(received.length, 1);
  });
});

describe('the secret key never leaks', () => {
  /** A hostile server that echoes the Authorization header back in every way it can. */
  const echo = (kind: number): Handler => (req, res) => {
    const auth = String(req.headers.authorization);
    if (kind === 0) json(res, 200, { errors: [{ message: `Your session is invalid or has expired. You sent: ${auth}` }] });
    else if (kind === 1) {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>bad gateway for ${auth} / ${encodeURIComponent(auth)}</html>`);
    } else if (kind === 2) json(res, 401, { message: auth });
    else json(res, 200, { errors: [{ message: 'Internal server error', extensions: { header: auth } }, { header: auth }] });
  };

  for (const kind of [0, 1, 2, 3]) {
    test(`not in errors, causes, retry events or the client (echo style ${kind})`, async () => {
      handler = echo(kind);
      const t = transport({ retries: 1 });
      const error = await failure(t.query(Q, null, { operation: 'account', auth: true }));
      assert.ok(received.length >= 1 && String(received[0].headers.authorization).includes(CANARY), 'the server did get the key');
      assert.ok(!everythingAbout(error).includes(CANARY), everythingAbout(error));
      for (const event of t.events) assert.ok(!everythingAbout(event).includes(CANARY));
      assert.ok(!everythingAbout(t).includes(CANARY), 'the transport object does not show the key');
    });
  }

  /** A body whose 200-character cut falls inside the key: the key's first half sits just before the cut. */
  const straddling = (): string => `${'x'.repeat(200 - Math.floor(CANARY.length / 2))}${CANARY} and more after the cut`;
  const firstHalf = CANARY.slice(0, Math.floor(CANARY.length / 2));

  for (const [name, respond] of [
    ['a non-JSON body', (res: ServerResponse) => (res.writeHead(502, { 'content-type': 'text/html' }), res.end(straddling()))],
    ['a JSON body without errors', (res: ServerResponse) => (res.writeHead(401, { 'content-type': 'application/json' }), res.end(JSON.stringify({ m: straddling() })))],
  ] as const) {
    test(`not even in part when the 200-character cut of ${name} splits the key`, async () => {
      handler = (_req, res) => respond(res);
      const error = await failure(transport({ retries: 0 }).query(Q, null, { operation: 'account', auth: true }));
      assert.ok(!everythingAbout(error).includes(firstHalf), error.message);
    });
  }

  test('not even in part when the cut of a PUT answer splits the key', async () => {
    handler = (_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(straddling());
    };
    const error = await failure(transport({ retries: 0 }).put(`${url}upload/key`, new Uint8Array([1])));
    assert.match(error.message, /HTTP 400/);
    assert.ok(!everythingAbout(error).includes(firstHalf), error.message);
  });

  test('not even in part when the cut of a dataset download answer splits the key (the client masks its downloads)', async () => {
    handler = (_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(straddling());
    };
    const client = new NumeraiClient({ apiUrl: url, credentials: CREDENTIALS, timeoutMs: 500, retries: 0 });
    const dir = await mkdtemp(path.join(tmpdir(), 'transport-download-'));
    try {
      const error = await client.downloadFile(`${url}v5.2/live.parquet`, path.join(dir, 'live.parquet')).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.match(String((error as Error).message), /HTTP 403/);
      assert.ok(!everythingAbout(error).includes(firstHalf), String((error as Error).message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('not in network failures of a mutation (ambiguous) nor in the client object', async () => {
    handler = (_req, res) => res.socket?.destroy();
    const client = new NumeraiClient({ apiUrl: url, credentials: CREDENTIALS, timeoutMs: 500, retries: 0 });
    const error = await client.uploadPredictions({ modelId: 'm', tournament: 8, filename: 'p.csv', csv: new Uint8Array([1]) }).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(!everythingAbout(error).includes(CANARY));
    assert.ok(!everythingAbout(client).includes(CANARY));
  });
});
