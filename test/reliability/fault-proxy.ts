/**
 * A loopback proxy in front of an emulator, for the faults the emulators do not serve themselves: a request left
 * hanging, a connection reset in the middle of the response body, and a malformed body with a 200. Everything else
 * passes through; the emulator's own origin is rewritten to the proxy's in response bodies, so the signed URLs the
 * services hand out (blob uploads and downloads) go through the proxy too.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyFault = 'hang' | 'reset-mid-body' | 'malformed';

export class FaultProxy {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly faults = new Map<string, { fault: ProxyFault; times: number }[]>();
  /** Routes the proxy served a fault on, in order. */
  readonly served: { route: string; fault: ProxyFault }[] = [];
  origin = '';

  private constructor(
    private readonly target: string,
    private readonly routeOf: (method: string, path: string) => string,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** `target` is the emulator's origin, e.g. http://127.0.0.1:40123 (no trailing slash). */
  static async start(target: string, routeOf: (method: string, path: string) => string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target.replace(/\/+$/, ''), routeOf);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.origin = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  inject(route: string, fault: ProxyFault, times = 1): void {
    const list = this.faults.get(route) ?? [];
    list.push({ fault, times });
    this.faults.set(route, list);
  }

  private take(route: string): ProxyFault | undefined {
    const list = this.faults.get(route);
    const head = list?.[0];
    if (!list || !head) return undefined;
    head.times -= 1;
    if (head.times <= 0) list.shift();
    return head.fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const route = this.routeOf(method, new URL(req.url ?? '/', 'http://proxy').pathname);
    const fault = this.take(route);
    if (fault) this.served.push({ route, fault });
    if (fault === 'hang') return; // never answered; the socket is destroyed on close()

    const upstream = await this.forward(method, req.url ?? '/', req.headers, body);
    let payload = upstream.body;
    const type = String(upstream.headers['content-type'] ?? '');
    if (/json|xml|text/.test(type)) payload = Buffer.from(payload.toString('utf8').split(this.target).join(this.origin));
    const headers: http.OutgoingHttpHeaders = { ...upstream.headers, 'content-length': payload.length };
    delete headers['transfer-encoding'];
    delete headers.connection;
    if (fault === 'malformed') {
      const garbage = Buffer.from(/xml/.test(type) ? '<?xml version="1.0"?><Err' : '<html><body>502 Bad Gateway</body>{"ok":');
      res.writeHead(200, { 'content-type': type || 'application/json', 'content-length': garbage.length });
      res.end(garbage);
      return;
    }
    if (fault === 'reset-mid-body') {
      // Announce the whole body, send half of it (at least one byte), then cut the connection.
      const size = Math.max(payload.length, 2);
      res.writeHead(upstream.status, { ...headers, 'content-length': size });
      res.write(payload.length >= 2 ? payload.subarray(0, Math.floor(payload.length / 2)) : Buffer.from(' '), () => {
        setTimeout(() => res.socket?.destroy(), 5);
      });
      return;
    }
    res.writeHead(upstream.status, headers);
    res.end(payload);
  }

  private forward(method: string, path: string, headers: http.IncomingHttpHeaders, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    const url = new URL(path, this.target);
    const outgoing = { ...headers, host: url.host };
    delete outgoing['accept-encoding'];
    return new Promise((resolve, reject) => {
      const request = http.request(url, { method, headers: outgoing }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(parts) }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
