/**
 * The sandbox's HTTP replies: JSON (gzip when asked, as Numerai's API does) and S3 XML errors, sending them with a
 * record in the request log, and the faults that replace or break a response (see faults.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FaultQueue } from './faults.js';
import { s3ErrorXml, type S3Error } from './signing.js';
import type { Fault, ServedRequest } from './types.js';
import type { SandboxWorld } from './world.js';

export interface Reply {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

/** A request log entry before the status is known. */
export type Entry = Omit<ServedRequest, 'status'>;

/** What the request handlers (graphql.ts, transfers.ts) share: the world, the faults, the wire, the server's URL. */
export interface Served {
  world: SandboxWorld;
  faults: FaultQueue;
  wire: Wire;
  /** Seed of the ETags of generated dataset files. */
  seed: number;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  baseUrl: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const HTML_502 =
  '<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n' +
  '<hr><center>cloudflare</center>\n</body>\n</html>\n';

const STATUS_MESSAGES: Record<number, string> = {
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export function jsonReply(req: IncomingMessage, status: number, payload: unknown, extra: Record<string, string | number> = {}): Reply {
  let body = Buffer.from(JSON.stringify(payload));
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': randomUUID(),
    ...extra,
  };
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
    headers.vary = 'accept-encoding';
  }
  headers['content-length'] = body.length;
  return { status, headers, body };
}

export function s3Reply(error: S3Error, method: string): Reply {
  const id = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const xml = Buffer.from(s3ErrorXml(error, id));
  return {
    status: error.status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': id, 'content-length': xml.length },
    body: method === 'HEAD' ? Buffer.alloc(0) : xml,
  };
}

export async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Sends replies (or breaks connections) and records each request in the log. */
export class Wire {
  constructor(private readonly log: (entry: ServedRequest) => void) {}

  send(res: ServerResponse, reply: Reply, entry: Entry, method = 'GET'): void {
    res.writeHead(reply.status, reply.headers);
    res.end(method === 'HEAD' ? undefined : reply.body);
    this.log({ ...entry, status: reply.status });
  }

  /** Write the status line, headers and half the body, then destroy the socket. */
  sendHalfThenReset(res: ServerResponse, reply: Reply, entry: Entry): void {
    res.writeHead(reply.status, reply.headers);
    const half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
    res.flushHeaders();
    res.write(half, () => {
      setTimeout(() => res.socket?.destroy(), 10);
    });
    this.log({ ...entry, status: reply.status, fault: 'reset' });
  }

  destroy(res: ServerResponse, entry: Entry, fault: Fault['kind']): void {
    res.socket?.destroy();
    this.log({ ...entry, status: 0, fault });
  }

  /**
   * Faults that replace the response before the operation runs. Returns true when the request was answered (or
   * left hanging); 'slow' waits and returns false; 'reset' and 'applied-response-lost' are for the caller.
   */
  async preFault(req: IncomingMessage, res: ServerResponse, fault: Fault | null, entry: Entry): Promise<boolean> {
    if (!fault) return false;
    const e = { ...entry, fault: fault.kind };
    switch (fault.kind) {
      case 'http': {
        const message = STATUS_MESSAGES[fault.status] ?? `HTTP ${fault.status}`;
        this.send(res, jsonReply(req, fault.status, { errors: [{ message }] }), e);
        return true;
      }
      case 'rate-limit':
        this.send(res, jsonReply(req, 429, { errors: [{ message: 'Too Many Requests' }] }, { 'retry-after': String(fault.retryAfterSeconds) }), e);
        return true;
      case 'non-json': {
        const body = Buffer.from(HTML_502);
        this.send(res, { status: fault.status ?? 502, headers: { 'content-type': 'text/html', 'content-length': body.length }, body }, e);
        return true;
      }
      case 'graphql-400':
        this.send(res, jsonReply(req, 400, { errors: [{ message: fault.message }] }), e);
        return true;
      case 'hang':
        this.log({ ...e, status: 0 });
        return true;
      case 'slow':
        await sleep(fault.delayMs);
        return false;
      default:
        return false;
    }
  }
}
