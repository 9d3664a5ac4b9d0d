/**
 * A local, protocol-faithful Numerai API on loopback: GraphQL (graphql-js, with the real root field and argument
 * names, see schema.ts) at `POST /`, signed-style dataset downloads (`GET /datasets/...`) and submission uploads
 * (`PUT /uploads/...`) on the same server, a round clock, Numerai's submission rules, and fault injection.
 *
 *   const sandbox = await startSandbox({ rows: 200, features: 20 });
 *   // point the client at sandbox.url with sandbox.credentials
 *   sandbox.inject('create_submission', { kind: 'http', status: 502, times: 2 });
 *   await sandbox.close();
 *
 * This module starts the server, routes each request (graphql.ts, transfers.ts) and gives tests the control
 * surface (`Sandbox`). The API itself is in parts, one per concern (api.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildAccounts, defaultAccountSpecs } from './accounts/keys.js';
import { liveIdsOf, DataStore } from './datasets/files.js';
import { FaultQueue } from './faults.js';
import { handleGraphql, partsResolver } from './graphql.js';
import { jsonReply, Wire, type Served } from './http.js';
import { iso, RoundClock } from './rounds/clock.js';
import { UrlSigner } from './signing.js';
import { SandboxScores } from './scores/history.js';
import { seedHistory, setModelHistory } from './submissions/api.js';
import { handleDownload, handleUpload } from './transfers.js';
import type { Sandbox, SandboxOptions, ServedRequest } from './types.js';
import { SandboxWorld } from './world.js';

export type * from './types.js';
export { ALL_SCOPES } from './types.js';
export { absintheMessage } from './graphql.js';

export const DEFAULT_ROUND = 1180;
export const DEFAULT_ROWS = 6720;
export const DEFAULT_FEATURES = 2748;
export const DEFAULT_SEED = 42;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? DEFAULT_SEED;
  const rows = options.rows ?? DEFAULT_ROWS;
  const features = options.features ?? DEFAULT_FEATURES;
  const host = options.host ?? '127.0.0.1';
  const clock = new RoundClock(now, options.round ?? { number: DEFAULT_ROUND, state: 'open' });
  const accounts = buildAccounts(options.accounts ?? defaultAccountSpecs(), seed, iso(now() - 400 * 86400_000));
  if (accounts.length === 0 || accounts[0].keys.length === 0) throw new Error('sandbox: the first account needs a key');
  const data = new DataStore({ seed, rows, features, versions: options.versions ?? ['v5.2', 'v5.3'], custom: options.datasets });
  const signer = new UrlSigner(now, options.urlTtlSeconds ?? 3600);
  const scores = new SandboxScores(seed, clock, now, options.scores);
  const world = new SandboxWorld({
    accounts,
    clock,
    data,
    signer,
    now,
    messageStyle: options.messageStyle ?? 'tools',
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    scores,
  });
  if (options.history !== false) seedHistory(world, options.history === true || options.history === undefined ? {} : options.history);
  if (options.openAt !== undefined) clock.openAt(options.openAt);
  // Numerai calls every model's webhook the moment a round opens.
  clock.onOpen((round) => world.webhooks.roundOpened(round.number, world.allModels()));
  const requests: ServedRequest[] = [];
  const log = (entry: ServedRequest) => {
    requests.push(entry);
  };
  const served: Served = { world, faults: new FaultQueue(), wire: new Wire(log), seed, baseUrl: '' };
  const fieldResolver = partsResolver(world);
  const { faults, wire } = served;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    if (url.pathname === '/' || url.pathname === '/graphql') {
      if (method === 'POST' || method === 'GET') return handleGraphql(served, fieldResolver, req, res);
      return wire.send(res, jsonReply(req, 405, { errors: [{ message: `Method ${method} not allowed` }] }), { operation: 'graphql', method, path: url.pathname });
    }
    if (url.pathname.startsWith('/datasets/') || url.pathname.startsWith('/submissions/')) return handleDownload(served, req, res);
    if (url.pathname.startsWith('/uploads/')) return handleUpload(served, req, res);
    wire.send(res, jsonReply(req, 404, { errors: [{ message: 'Not found' }] }), { operation: 'unknown', method, path: url.pathname });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        const body = Buffer.from(JSON.stringify({ errors: [{ message: `Internal server error: ${(error as Error).message}` }] }));
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
        res.end(body);
      } else {
        res.destroy();
      }
      log({ operation: 'error', method: req.method ?? '', path: req.url ?? '', status: 500 });
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : address.address;
  const baseUrl = `http://${hostPart}:${address.port}`;
  served.baseUrl = baseUrl;

  const eager = options.eagerData ?? (rows * features <= 2_000_000 || options.datasets !== undefined);
  // Generating the full-size data takes seconds of CPU: when not eager, start it after startSandbox has returned.
  if (eager) await data.get(clock.number);
  else setTimeout(() => data.get(clock.number).catch(() => undefined), 50).unref();

  const defaultAccount = accounts[0];
  const sandbox: Sandbox = {
    url: `${baseUrl}/`,
    credentials: { publicId: defaultAccount.keys[0].publicId, secretKey: defaultAccount.keys[0].secretKey },
    keyWithout(scope) {
      const key = defaultAccount.keys.find((k) => !k.scopes.includes(scope));
      if (!key) throw new Error(`sandbox: no key without ${scope}`);
      return { publicId: key.publicId, secretKey: key.secretKey };
    },
    setRound(roundState, number, opts) {
      clock.set(roundState, number, opts?.closedShape);
    },
    openRoundAt(time) {
      const next = clock.openAt(typeof time === 'number' ? time : time.getTime());
      return { number: next.number, openTime: iso(next.openTime) };
    },
    onRoundOpen(listener) {
      return clock.onOpen(listener);
    },
    setHistory(modelName, pattern) {
      setModelHistory(world, world.modelByName(modelName), pattern);
    },
    round() {
      const t = clock.currentTimes();
      return {
        number: clock.number,
        state: clock.state,
        closedShape: clock.closedShape,
        openTime: iso(t.openTime),
        closeStakingTime: iso(t.closeStakingTime),
        closeTime: iso(t.closeTime),
      };
    },
    inject(operation, fault) {
      faults.inject(operation, fault);
    },
    clearFaults() {
      faults.clear();
    },
    modelId(name) {
      return world.modelByName(name).id;
    },
    submissions(modelName) {
      const model = modelName === undefined ? null : world.modelByName(modelName);
      return world.stored
        .filter((s) => !s.history && (model === null || s.modelId === model.id))
        .map(({ history: _h, seq: _s, ...rest }) => ({ ...rest }));
    },
    removeSubmission(modelName, round) {
      const model = world.modelByName(modelName);
      const r = round ?? clock.number;
      for (let i = world.stored.length - 1; i >= 0; i--) {
        if (world.stored[i].modelId === model.id && world.stored[i].round === r) world.stored.splice(i, 1);
      }
    },
    webhookCalls(modelName) {
      const model = modelName === undefined ? null : world.modelByName(modelName);
      return world.webhooks.calls.filter((c) => model === null || c.modelId === model.id).map((c) => ({ ...c }));
    },
    webhooksSettled() {
      return world.webhooks.settled();
    },
    requests,
    liveIds(version) {
      const ready = data.peek(clock.number);
      if (!ready) throw new Error(`sandbox: the data of round ${clock.number} is not generated yet: await sandbox.ready() first`);
      return liveIdsOf(ready, version);
    },
    async ready() {
      await data.get(clock.number);
    },
    close() {
      world.webhooks.close();
      clock.stop();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return sandbox;
}
