import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DownloadError, downloadFile, parseContentRange, type DownloadOptions } from '../../src/data/download.js';

const FILE = randomBytes(256 * 1024 + 17);

interface Served {
  url: string;
  requests: { range?: string; ifRange?: string; acceptEncoding?: string }[];
  close(): Promise<void>;
}

/** A file server whose every response is decided by the test: `handler(requestIndex, req, res)`. */
async function serve(handler: (index: number, req: IncomingMessage, res: ServerResponse) => void): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, acceptEncoding: req.headers['accept-encoding'] });
    handler(requests.length - 1, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v5.3/live.parquet?X-Amz-Signature=signedsecret`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serve FILE honouring Range (206 + Content-Range), like S3. */
function sendRange(req: IncomingMessage, res: ServerResponse, body: Buffer = FILE, etag = '"v1"'): void {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  const rangeApplies = match && (ifRange === undefined || ifRange === etag);
  if (rangeApplies) {
    const start = Number(match[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start, etag });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length, etag });
  res.end(body);
}

/** Send the headers of a full response and `upTo` bytes of FILE, then cut the connection. */
/**
 * How far the client under test has got: the last byte count its onProgress reported (fastOptions wires it). A reset
 * that only waits for the bytes to leave the server can beat them to the client on a busy machine: the fetch body
 * errors, and chunks it had queued are dropped before the downloader reads them. So a reset waits for the client.
 */
const client = {
  received: 0,
  waiting: [] as { bytes: number; resolve: () => void }[],
  report(bytes: number): void {
    this.received = bytes;
    this.waiting = this.waiting.filter((w) => (bytes >= w.bytes ? (w.resolve(), false) : true));
  },
  /** Resolves once the client has `bytes`, or after `ms` (a client that reports nothing is reset all the same). */
  has(bytes: number, ms = 2_000): Promise<void> {
    if (this.received >= bytes) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiting.push({ bytes, resolve: () => (clearTimeout(timer), resolve()) });
    });
  },
};

/** Sends the file (or the range asked for) up to byte `upTo`, then resets the connection once the client has them. */
function sendThenReset(req: IncomingMessage, res: ServerResponse, upTo: number): void {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = match ? Number(match[1]) : 0;
  client.received = start;
  if (match) {
    res.writeHead(206, { 'content-range': `bytes ${start}-${FILE.length - 1}/${FILE.length}`, 'content-length': FILE.length - start, etag: '"v1"' });
  } else {
    res.writeHead(200, { 'content-length': FILE.length, etag: '"v1"' });
  }
  res.write(FILE.subarray(start, upTo), () => void client.has(upTo).then(() => res.socket?.destroy()));
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'download-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
function destination(): string {
  counter += 1;
  return path.join(dir, `case-${counter}`, 'live.parquet');
}

function fastOptions(extra: DownloadOptions = {}): DownloadOptions & { delays: number[] } {
  const delays: number[] = [];
  client.received = 0;
  return {
    retries: 3,
    backoffBaseMs: 10,
    idleTimeoutMs: 2_000,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...extra,
    onProgress: (received, total) => {
      client.report(received);
      extra.onProgress?.(received, total);
    },
    delays,
  };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('downloadFile', () => {
  test('streams the file to the destination, reports progress and leaves no temp file', async () => {
    const server = await serve((_i, req, res) => sendRange(req, res));
    try {
      const dest = destination();
      const progress: [number, number | null][] = [];
      const result = await downloadFile(server.url, dest, fastOptions({ onProgress: (r, t) => progress.push([r, t]) }));
      assert.deepEqual(result, { bytes: FILE.length, fetched: true, resumedFrom: 0 });
      assert.ok((await readFile(dest)).equals(FILE));
      assert.deepEqual(await readdir(path.dirname(dest)), ['live.parquet']);
      assert.ok(progress.length >= 1);
      assert.deepEqual(progress.at(-1), [FILE.length, FILE.length]);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] > progress[i - 1][0], 'progress grows');
      assert.equal(server.requests[0].acceptEncoding, 'identity', 'asks for the bytes as stored so sizes and ranges agree');
    } finally {
      await server.close();
    }
  });

  test('resumes a broken transfer with Range and If-Range', async () => {
    const cut = 100_000;
    const server = await serve((i, req, res) => (i === 0 ? sendThenReset(req, res, cut) : sendRange(req, res)));
    try {
      const dest = destination();
      const progress: number[] = [];
      const options = fastOptions({ onProgress: (r) => progress.push(r) });
      const result = await downloadFile(server.url, dest, options);
      assert.ok((await readFile(dest)).equals(FILE));
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0].range, undefined);
      assert.equal(server.requests[1].range, `bytes=${cut}-`);
      assert.equal(server.requests[1].ifRange, '"v1"');
      assert.equal(result.resumedFrom, cut);
      assert.equal(progress.at(-1), FILE.length);
      assert.ok(progress.some((r) => r > cut && r < FILE.length) || progress.includes(FILE.length));
      assert.equal(options.delays.length, 1, 'one retry');
    } finally {
      await server.close();
    }
  });

  test('a transfer that keeps breaking but moves forward finishes beyond the retry budget', async () => {
    const step = 40_000;
    const server = await serve((i, req, res) => {
      const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = match ? Number(match[1]) : 0;
      if (start + step < FILE.length) sendThenReset(req, res, start + step);
      else sendRange(req, res);
    });
    try {
      const dest = destination();
      // Every attempt brings 40,000 new bytes, so one retry at a time is enough however many it takes in all.
      await downloadFile(server.url, dest, fastOptions({ retries: 1 }));
      assert.ok((await readFile(dest)).equals(FILE));
      assert.ok(server.requests.length > 3, `took ${server.requests.length} requests`);
    } finally {
      await server.close();
    }
  });

  test('starts over when the server ignores Range and sends the whole file', async () => {
    const server = await serve((i, req, res) => {
      if (i === 0) return sendThenReset(req, res, 50_000);
      res.writeHead(200, { 'content-length': FILE.length });
      res.end(FILE);
    });
    try {
      const dest = destination();
      const result = await downloadFile(server.url, dest, fastOptions());
      assert.ok((await readFile(dest)).equals(FILE));
      assert.equal(result.resumedFrom, 0);
    } finally {
      await server.close();
    }
  });

  test('starts over when the file changed on the server between attempts (If-Range mismatch answers 200)', async () => {
    const changed = randomBytes(FILE.length);
    const server = await serve((i, req, res) => (i === 0 ? sendThenReset(req, res, 60_000) : sendRange(req, res, changed, '"v2"')));
    try {
      const dest = destination();
      await downloadFile(server.url, dest, fastOptions());
      assert.ok((await readFile(dest)).equals(changed), 'no bytes of the old file are stitched onto the new one');
    } finally {
      await server.close();
    }
  });

  test('resumes a .part file left by an earlier call', async () => {
    const server = await serve((_i, req, res) => sendRange(req, res));
    try {
      const dest = destination();
      await downloadFile(server.url, dest, fastOptions()); // creates the folder
      await rm(dest);
      await writeFile(`${dest}.part`, FILE.subarray(0, 1234));
      const result = await downloadFile(server.url, dest, fastOptions());
      assert.equal(result.resumedFrom, 1234);
      assert.equal(server.requests.at(-1)?.range, 'bytes=1234-');
      assert.ok((await readFile(dest)).equals(FILE));
      assert.equal(await exists(`${dest}.part`), false);
    } finally {
      await server.close();
    }
  });

  test('a complete .part file (416 on resume) is finished without fetching again', async () => {
    const server = await serve((_i, req, res) => sendRange(req, res));
    try {
      const dest = destination();
      await downloadFile(server.url, dest, fastOptions());
      await rm(dest);
      await writeFile(`${dest}.part`, FILE);
      const result = await downloadFile(server.url, dest, fastOptions());
      assert.equal(result.bytes, FILE.length);
      assert.ok((await readFile(dest)).equals(FILE));
    } finally {
      await server.close();
    }
  });

  test('a complete existing file is not fetched again; a wrong-size one is replaced', async () => {
    let bodiesSent = 0;
    const server = await serve((_i, req, res) => {
      res.writeHead(200, { 'content-length': FILE.length });
      // A large body the client must not read: it cancels after the headers.
      res.write(FILE, () => {
        bodiesSent += 1;
        res.end();
      });
    });
    try {
      const dest = destination();
      await downloadFile(server.url, dest, fastOptions());
      const before = await stat(dest);
      const progress: number[] = [];
      const again = await downloadFile(server.url, dest, fastOptions({ onProgress: (r) => progress.push(r) }));
      assert.deepEqual(again, { bytes: FILE.length, fetched: false, resumedFrom: 0 });
      assert.equal((await stat(dest)).mtimeMs, before.mtimeMs, 'file left untouched');
      assert.deepEqual(progress, [FILE.length]);

      await writeFile(dest, FILE.subarray(0, 10));
      const replaced = await downloadFile(server.url, dest, fastOptions());
      assert.equal(replaced.fetched, true);
      assert.ok((await readFile(dest)).equals(FILE));
      assert.ok(bodiesSent >= 1);
    } finally {
      await server.close();
    }
  });

  test('retries 5xx with backoff and honours Retry-After on 429', async () => {
    const server = await serve((i, req, res) => {
      if (i === 0) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('slow down');
      } else if (i === 1) {
        res.writeHead(429, { 'retry-after': '3' });
        res.end();
      } else sendRange(req, res);
    });
    try {
      const dest = destination();
      const options = fastOptions();
      const retries: string[] = [];
      await downloadFile(server.url, dest, { ...options, onRetry: (e) => retries.push(`${e.error.kind}:${e.error.status}`) });
      assert.ok((await readFile(dest)).equals(FILE));
      assert.deepEqual(retries, ['http:503', 'http:429']);
      assert.equal(options.delays[0], 8, 'base 10 ms, equal jitter with random 0.5 → 7.5 rounded');
      assert.equal(options.delays[1], 3000, 'Retry-After: 3 seconds');
    } finally {
      await server.close();
    }
  });

  test('a 403/404 fails at once with the status, no retry, no file, and no signed query string in the message', async () => {
    const server = await serve((_i, _req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    });
    try {
      const dest = destination();
      const error = await downloadFile(server.url, dest, fastOptions()).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DownloadError);
      assert.equal(error.kind, 'http');
      assert.equal(error.status, 403);
      assert.equal(error.transient, false);
      assert.match(error.message, /HTTP 403.*expire/);
      assert.match(error.message, /\/v5\.3\/live\.parquet/);
      assert.doesNotMatch(error.message + JSON.stringify(error) + String(error.stack), /signedsecret/);
      assert.equal(server.requests.length, 1);
      assert.equal(await exists(dest), false);
      assert.equal(await exists(`${dest}.part`), false);
    } finally {
      await server.close();
    }
  });

  test('the redact option masks an error body before it is cut, so a key split by the cut shows no part of itself', async () => {
    const key = 'KEY-0123456789abcdef';
    const server = await serve((_i, _req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`${'x'.repeat(190)}${key} trailing text`);
    });
    try {
      const error = await downloadFile(server.url, destination(), fastOptions({ redact: (text) => text.split(key).join('***') })).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DownloadError);
      assert.match(error.message, /HTTP 403/);
      assert.doesNotMatch(error.message, /KEY-/);
    } finally {
      await server.close();
    }
  });

  test('a stalled transfer is cut by the idle timeout and resumed', async () => {
    const server = await serve((i, req, res) => {
      if (i === 0) {
        res.writeHead(200, { 'content-length': FILE.length, etag: '"v1"' });
        res.write(FILE.subarray(0, 30_000)); // …and then nothing: the connection stays open
        return;
      }
      sendRange(req, res);
    });
    try {
      const dest = destination();
      const kinds: string[] = [];
      await downloadFile(server.url, dest, fastOptions({ idleTimeoutMs: 150, onRetry: (e) => kinds.push(e.error.kind) }));
      assert.deepEqual(kinds, ['stall']);
      assert.equal(server.requests[1].range, 'bytes=30000-');
      assert.ok((await readFile(dest)).equals(FILE));
    } finally {
      await server.close();
    }
  });

  test('a server that never answers fails as a stall after the retry budget; no file at the destination', async () => {
    const server = await serve(() => {
      /* never answer */
    });
    try {
      const dest = destination();
      const error = await downloadFile(server.url, dest, fastOptions({ idleTimeoutMs: 80, retries: 2 })).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DownloadError);
      assert.equal(error.kind, 'stall');
      assert.equal(error.attempts, 3);
      assert.match(error.message, /no data for 80 ms/);
      assert.equal(server.requests.length, 3);
      assert.equal(await exists(dest), false);
    } finally {
      await server.close();
    }
  });

  test('the total timeout stops a transfer that trickles forever', async () => {
    const server = await serve((_i, _req, res) => {
      res.writeHead(200, { 'content-length': FILE.length });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(FILE.subarray(sent, sent + 100));
        sent += 100;
      }, 10);
      res.on('close', () => clearInterval(timer));
    });
    try {
      const dest = destination();
      const error = await downloadFile(server.url, dest, fastOptions({ idleTimeoutMs: 1_000, totalTimeoutMs: 250 })).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DownloadError);
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /did not finish within 250 ms/);
      assert.equal(await exists(dest), false);
      assert.equal(await exists(`${dest}.part`), true, 'the part is kept so a later call resumes it');
    } finally {
      await server.close();
    }
  });

  test('a transfer that always breaks fails as a network error naming the bytes received', async () => {
    const server = await serve((_i, req, res) => {
      const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      sendThenReset(req, res, match ? Number(match[1]) : 5_000); // no progress after the first 5000 bytes
    });
    try {
      const dest = destination();
      const error = await downloadFile(server.url, dest, fastOptions({ retries: 2 })).then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DownloadError);
      assert.equal(error.kind, 'network');
      assert.match(error.message, /after 5000 bytes|closed after 5000/);
      assert.equal(await exists(dest), false);
    } finally {
      await server.close();
    }
  });

  test('a Content-Range that does not start where asked starts the download over', async () => {
    const server = await serve((i, req, res) => {
      if (i === 0) return sendThenReset(req, res, 70_000);
      if (i === 1) {
        res.writeHead(206, { 'content-range': `bytes 0-${FILE.length - 1}/${FILE.length}`, 'content-length': FILE.length });
        res.end(FILE);
        return;
      }
      sendRange(req, res);
    });
    try {
      const dest = destination();
      const kinds: string[] = [];
      await downloadFile(server.url, dest, fastOptions({ onRetry: (e) => kinds.push(e.error.kind) }));
      assert.deepEqual(kinds, ['network', 'protocol']);
      assert.equal(server.requests[2].range, undefined, 'started over from byte 0');
      assert.ok((await readFile(dest)).equals(FILE));
    } finally {
      await server.close();
    }
  });

  test('connection refused is retried and then reported as a network error', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await server.close();
    const dest = destination();
    const options = fastOptions({ retries: 2 });
    const error = await downloadFile(url, dest, options).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DownloadError);
    assert.equal(error.kind, 'network');
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(options.delays.length, 2);
  });
});

test('parseContentRange', () => {
  assert.deepEqual(parseContentRange('bytes 100-199/1000'), { start: 100, total: 1000 });
  assert.deepEqual(parseContentRange('bytes 0-9/*'), { start: 0, total: null });
  assert.equal(parseContentRange('bytes */1000')?.total, 1000);
  assert.equal(parseContentRange('items 1-2/3'), undefined);
  assert.equal(parseContentRange(null), undefined);
});
