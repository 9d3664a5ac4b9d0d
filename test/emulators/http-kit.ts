/**
 * The small pieces both emulators share: a loopback server that can be taken down and brought back on the same
 * port, a request log, and per-route fault injection. Plain node:http, no framework, so what the clients see is
 * exactly what is written here.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the emulator received it. `json` is set when the body parsed as JSON. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The emulator's name for the route that served it, e.g. "CacheService/CreateCacheEntry" or "issues.create". */
  route: string;
  headers: http.IncomingHttpHeaders;
  /** The body as text (blob uploads are recorded by size only, to keep the log small). */
  body: string;
  bodyBytes: number;
  json?: unknown;
  /** The status the emulator answered with (0 when the connection was reset). */
  status: number;
}

/**
 * A fault served instead of the normal answer, `times` times (default: until cleared).
 * - status: answer with this status and the service's usual error body (`message` overrides its text);
 * - reset: destroy the connection without answering (the client sees ECONNRESET);
 * - rate-limit: the service's rate-limit answer (429, or GitHub's 403 "secondary rate limit") with Retry-After;
 * - ok-false: (Twirp only) answer 200 with `{ok: false}` — how the cache service reports a reservation race.
 */
export type Fault =
  | { kind: 'status'; status: number; message?: string; times?: number }
  | { kind: 'reset'; times?: number }
  | { kind: 'rate-limit'; status?: 403 | 429; retryAfterSeconds?: number; times?: number }
  | { kind: 'ok-false'; message?: string; times?: number };

export class FaultTable {
  private readonly faults = new Map<string, Fault[]>();

  /** Serve `fault` on `route` ("*" matches every route). Faults on one route are served in the order added. */
  add(route: string, fault: Fault): void {
    const list = this.faults.get(route) ?? [];
    list.push({ ...fault });
    this.faults.set(route, list);
  }

  clear(): void {
    this.faults.clear();
  }

  /** The fault to serve for this request, consuming one of its `times`. */
  take(route: string): Fault | undefined {
    for (const key of [route, '*']) {
      const list = this.faults.get(key);
      const fault = list?.[0];
      if (!list || !fault) continue;
      if (fault.times !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) list.shift();
      }
      return fault;
    }
    return undefined;
  }
}

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/**
 * An http.Server on 127.0.0.1 that remembers its port, so `down()` (stop listening: ECONNREFUSED) and `up()`
 * (listen again on the same port) simulate a service outage without changing the URL the client holds.
 */
export class LoopbackServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(handler: Handler) {
    this.server = http.createServer((req, res) => {
      handler(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `emulator error: ${String(error)}` }));
        } else {
          res.destroy();
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.boundPort, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
  }

  /** Stop accepting connections and drop the open ones: clients get ECONNREFUSED until `up()`. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async up(): Promise<void> {
    await this.listen();
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await this.down();
  }
}

/**
 * What every emulator offers a test: the requests it served, per-route fault injection, and an outage switch.
 * Subclasses route requests in `handle`; this class owns the server that calls it.
 */
export abstract class Emulator {
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultTable();
  protected readonly server = new LoopbackServer((req, res) => this.handle(req, res));

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;

  /** Serve `fault` on a route (the subclass documents its route names; "*" matches every route). */
  fault(route: string, fault: Fault): void {
    this.faults.add(route, fault);
  }

  /** Stop listening (clients get ECONNREFUSED) until `up()`. */
  down(): Promise<void> {
    return this.server.down();
  }

  up(): Promise<void> {
    return this.server.up();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  requestsTo(route: string): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }
}
