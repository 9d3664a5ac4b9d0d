/**
 * A local, protocol-faithful Numerai API on loopback: GraphQL (graphql-js, with the real root field and argument
 * names, see schema.ts) at `POST /`, signed-style dataset downloads (`GET /datasets/...`) and submission uploads
 * (`PUT /uploads/...`) on the same server, a round clock, Numerai's submission rules, and fault injection.
 *
 *   const sandbox = await startSandbox({ rows: 200, features: 20 });
 *   // point the client at sandbox.url with sandbox.credentials
 *   sandbox.inject('create_submission', { kind: 'http', status: 502, times: 2 });
 *   await sandbox.close();
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
} from 'graphql';
import { buildAccounts, defaultAccountSpecs } from './accounts.js';
import { iso, RoundClock } from './clock.js';
import { DataStore } from './datasets.js';
import { FaultQueue } from './faults.js';
import { ADDED_SPELLINGS, buildSandboxSchema, canonicalOperation, toCamel, toSnake } from './schema.js';
import { s3ErrorXml, signatureDoesNotMatch, UrlSigner, type S3Error } from './signing.js';
import { SandboxState, type Ctx } from './state.js';
import type { Fault, Sandbox, SandboxOptions, ServedRequest } from './types.js';

export type * from './types.js';
export { ALL_SCOPES } from './types.js';

export const DEFAULT_ROUND = 1180;
export const DEFAULT_ROWS = 6720;
export const DEFAULT_FEATURES = 2748;
export const DEFAULT_SEED = 42;

const schema = buildSandboxSchema();
const ROOT_TYPES = new Set([schema.getQueryType(), schema.getMutationType()]);

/**
 * graphql-js words some validation errors differently from Absinthe (the real server). Rewrite those to Absinthe's
 * wording, e.g. `Unknown argument "take" on field "rounds" of type "RootQueryType".` (seen in a real response).
 */
export function absintheMessage(message: string): string {
  let m = /^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"\./.exec(message);
  if (m) return `Unknown argument "${m[1]}" on field "${m[3]}" of type "${m[2]}".`;
  m = /^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required, but it was not provided\.$/.exec(message);
  if (m) return `In argument "${m[2]}": Expected type "${m[3]}", found null.`;
  return withoutAddedSpellings(message);
}

/** Drop the added other spellings from graphql-js' "Did you mean" suggestions, as Absinthe lists one name each. */
function withoutAddedSpellings(message: string): string {
  const m = / Did you mean (.+)\?$/.exec(message);
  if (!m) return message;
  const names = [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]).filter((n) => !ADDED_SPELLINGS.has(n));
  const head = message.slice(0, m.index);
  if (names.length === 0) return head;
  const quoted = names.map((n) => `"${n}"`);
  const list = quoted.length === 1 ? quoted[0] : quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `${quoted.slice(0, -1).join(', ')}, or ${quoted.at(-1)}`;
  return `${head} Did you mean ${list}?`;
}

function formatError(e: GraphQLError): GraphQLFormattedError {
  const out: { message: string; locations?: readonly { line: number; column: number }[]; path?: readonly (string | number)[] } = {
    message: absintheMessage(e.message),
  };
  if (e.locations) out.locations = e.locations;
  if (e.path) out.path = e.path;
  return out;
}

function rootFieldNames(document: DocumentNode, operationName: string | undefined): string[] {
  const op = getOperationAST(document, operationName);
  if (!op) return [];
  return op.selectionSet.selections.filter((s) => s.kind === Kind.FIELD).map((s) => (s.kind === Kind.FIELD ? s.name.value : ''));
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

interface Reply {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

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
  const state = new SandboxState(accounts, clock, data, signer, now, options.messageStyle ?? 'tools');
  if (options.history !== false) state.seedHistory();
  const faults = new FaultQueue();
  const requests: ServedRequest[] = [];
  let baseUrl = '';

  const fieldResolver: GraphQLFieldResolver<unknown, Ctx> = (source, args, ctx, info) => {
    if (ROOT_TYPES.has(info.parentType)) {
      const name = canonicalOperation(info.fieldName);
      const resolver = name ? state.resolvers[name] : undefined;
      if (!resolver) throw new GraphQLError(`sandbox: ${info.fieldName} is not implemented`);
      return resolver(args, ctx);
    }
    if (source === null || typeof source !== 'object') return null;
    const obj = source as Record<string, unknown>;
    let value = obj[info.fieldName];
    if (value === undefined) value = obj[info.fieldName.includes('_') ? toCamel(info.fieldName) : toSnake(info.fieldName)];
    if (typeof value === 'function') return (value as (a: unknown, c: Ctx) => unknown)(args, ctx);
    return value ?? null;
  };

  function log(entry: ServedRequest): void {
    requests.push(entry);
  }

  function jsonReply(req: IncomingMessage, status: number, payload: unknown, extra: Record<string, string | number> = {}): Reply {
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

  function s3Reply(error: S3Error, method: string): Reply {
    const id = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
    const xml = Buffer.from(s3ErrorXml(error, id));
    return {
      status: error.status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': id, 'content-length': xml.length },
      body: method === 'HEAD' ? Buffer.alloc(0) : xml,
    };
  }

  function send(res: ServerResponse, reply: Reply, entry: Omit<ServedRequest, 'status'>, method = 'GET'): void {
    res.writeHead(reply.status, reply.headers);
    res.end(method === 'HEAD' ? undefined : reply.body);
    log({ ...entry, status: reply.status });
  }

  /** Write the status line, headers and half the body, then destroy the socket. */
  function sendHalfThenReset(res: ServerResponse, reply: Reply, entry: Omit<ServedRequest, 'status'>): void {
    res.writeHead(reply.status, reply.headers);
    const half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
    res.flushHeaders();
    res.write(half, () => {
      setTimeout(() => res.socket?.destroy(), 10);
    });
    log({ ...entry, status: reply.status, fault: 'reset' });
  }

  function destroy(res: ServerResponse, entry: Omit<ServedRequest, 'status'>, fault: Fault['kind']): void {
    res.socket?.destroy();
    log({ ...entry, status: 0, fault });
  }

  /**
   * Faults that replace the response before the operation runs. Returns true when the request was answered (or
   * left hanging); 'slow' waits and returns false; 'reset' and 'applied-response-lost' are for the caller.
   */
  async function preFault(req: IncomingMessage, res: ServerResponse, fault: Fault | null, entry: Omit<ServedRequest, 'status'>): Promise<boolean> {
    if (!fault) return false;
    const e = { ...entry, fault: fault.kind };
    switch (fault.kind) {
      case 'http': {
        const message = STATUS_MESSAGES[fault.status] ?? `HTTP ${fault.status}`;
        send(res, jsonReply(req, fault.status, { errors: [{ message }] }), e);
        return true;
      }
      case 'rate-limit':
        send(res, jsonReply(req, 429, { errors: [{ message: 'Too Many Requests' }] }, { 'retry-after': String(fault.retryAfterSeconds) }), e);
        return true;
      case 'non-json': {
        const body = Buffer.from(HTML_502);
        send(res, { status: fault.status ?? 502, headers: { 'content-type': 'text/html', 'content-length': body.length }, body }, e);
        return true;
      }
      case 'graphql-400':
        send(res, jsonReply(req, 400, { errors: [{ message: fault.message }] }), e);
        return true;
      case 'hang':
        log({ ...e, status: 0 });
        return true;
      case 'slow':
        await sleep(fault.delayMs);
        return false;
      default:
        return false;
    }
  }

  async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new Error('request body too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /**
   * The GraphQL request as Absinthe.Plug reads it: a JSON body (`application/json`), a raw document
   * (`application/graphql`), or, for queries, the URL's `query` / `variables` parameters. A body of another type is
   * not parsed, so the request has no query document.
   */
  async function readGraphqlRequest(req: IncomingMessage, url: URL): Promise<{ query?: unknown; variables?: unknown; operationName?: unknown } | { error: string }> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const raw = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const fromUrl = {
      query: url.searchParams.get('query') ?? undefined,
      variables: url.searchParams.get('variables') ?? undefined,
      operationName: url.searchParams.get('operationName') ?? undefined,
    };
    if (typeof fromUrl.variables === 'string') {
      try {
        fromUrl.variables = JSON.parse(fromUrl.variables);
      } catch (error) {
        return { error: `Could not parse the variables: ${(error as Error).message}` };
      }
    }
    if (req.method === 'POST' && type === 'application/json') {
      try {
        const body = JSON.parse(raw.toString('utf8') || 'null');
        return body && typeof body === 'object' ? { ...fromUrl, ...body } : fromUrl;
      } catch (error) {
        return { error: `Could not parse the JSON body: ${(error as Error).message}` };
      }
    }
    if (req.method === 'POST' && type === 'application/graphql') return { ...fromUrl, query: raw.toString('utf8') };
    return fromUrl;
  }

  async function handleGraphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const base = { method: req.method ?? 'POST', path };
    const payload = await readGraphqlRequest(req, url);
    if ('error' in payload) {
      send(res, jsonReply(req, 400, { errors: [{ message: payload.error }] }), { ...base, operation: 'graphql' });
      return;
    }
    if (typeof payload.query !== 'string' || payload.query.trim() === '') {
      send(res, jsonReply(req, 400, { errors: [{ message: 'No query document supplied' }] }), { ...base, operation: 'graphql' });
      return;
    }
    const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      const e = error instanceof GraphQLError ? formatError(error) : { message: String(error) };
      send(res, jsonReply(req, 200, { errors: [e] }), { ...base, operation: 'graphql' });
      return;
    }
    const fields = rootFieldNames(document, operationName).map((f) => canonicalOperation(f) ?? f);
    const entry = { ...base, operation: fields[0] ?? 'graphql', fields };
    const op = getOperationAST(document, operationName);
    if (req.method !== 'POST' && op?.operation === 'mutation') {
      send(res, jsonReply(req, 405, { errors: [{ message: 'Can only perform a mutation from a POST request' }] }), entry);
      return;
    }
    const fault = faults.take(fields);
    if (await preFault(req, res, fault, entry)) return;

    const validationErrors = validate(schema, document);
    let reply: Reply;
    if (validationErrors.length > 0) {
      reply = jsonReply(req, 200, { errors: validationErrors.map(formatError) });
    } else {
      const variables = payload.variables && typeof payload.variables === 'object' ? (payload.variables as Record<string, unknown>) : undefined;
      const ctx: Ctx = { auth: state.authenticate(req.headers.authorization), baseUrl };
      const result = await execute({ schema, document, variableValues: variables, operationName, contextValue: ctx, fieldResolver });
      const out: Record<string, unknown> = {};
      if (result.errors && result.errors.length > 0) out.errors = result.errors.map(formatError);
      if (result.data !== undefined) out.data = result.data;
      reply = jsonReply(req, 200, out);
    }
    if (fault?.kind === 'reset') return sendHalfThenReset(res, reply, entry);
    if (fault?.kind === 'applied-response-lost') return destroy(res, entry, fault.kind);
    send(res, reply, fault ? { ...entry, fault: fault.kind } : entry);
  }

  function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
    if (!header) return null;
    const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
    if (!m || (m[1] === '' && m[2] === '')) return null;
    let start: number;
    let end: number;
    if (m[1] === '') {
      const suffixLength = Number(m[2]);
      if (suffixLength === 0) return 'unsatisfiable';
      start = Math.max(0, size - suffixLength);
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      if (m[2] !== '' && Number(m[2]) < start) return null;
    }
    if (start >= size) return 'unsatisfiable';
    return { start, end };
  }

  async function serveBytes(req: IncomingMessage, res: ServerResponse, bytes: Uint8Array, fault: Fault | null, entry: Omit<ServedRequest, 'status'>, etagSeed: string): Promise<void> {
    const method = req.method ?? 'GET';
    const size = bytes.length;
    const etag = `"${createHash('md5').update(etagSeed).update(String(size)).digest('hex')}"`;
    const common = {
      'accept-ranges': 'bytes',
      etag,
      'last-modified': new Date(now()).toUTCString(),
      'content-type': 'binary/octet-stream',
      'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
    };
    const range = parseRange(req.headers.range, size);
    let reply: Reply;
    if (range === 'unsatisfiable') {
      const err = s3Reply({ status: 416, code: 'InvalidRange', message: 'The requested range is not satisfiable', extra: { RangeRequested: String(req.headers.range), ActualObjectSize: String(size) } }, method);
      err.headers['content-range'] = `bytes */${size}`;
      reply = err;
    } else if (range) {
      const body = Buffer.from(bytes.buffer, bytes.byteOffset + range.start, range.end - range.start + 1);
      reply = { status: 206, headers: { ...common, 'content-range': `bytes ${range.start}-${range.end}/${size}`, 'content-length': body.length }, body };
    } else {
      reply = { status: 200, headers: { ...common, 'content-length': size }, body: Buffer.from(bytes.buffer, bytes.byteOffset, size) };
    }
    if (fault?.kind === 'reset' && method !== 'HEAD') return sendHalfThenReset(res, reply, entry);
    send(res, reply, fault ? { ...entry, fault: fault.kind } : entry, method);
  }

  async function handleDownload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const entry = { operation: 'download', method, path: url.pathname };
    const fault = faults.take(['download']);
    if (await preFault(req, res, fault, entry)) return;
    if (method !== 'GET' && method !== 'HEAD') {
      return send(res, s3Reply(signatureDoesNotMatch(method, url.pathname, url.searchParams.get('X-Amz-Signature') ?? ''), method), entry, method);
    }
    // A presigned GET URL is signed for GET: HEAD does not match its signature (as on S3).
    const sigError = state.signer.verify(method, url.pathname, url.searchParams);
    if (sigError) return send(res, s3Reply(sigError, method), entry, method);
    const notFound = () =>
      send(res, s3Reply({ status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.', extra: { Key: url.pathname.slice(1) } }, method), entry, method);

    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'datasets') {
      const round = Number(parts[1]);
      const file = parts.slice(2).join('/');
      const roundData = await data.get(round);
      const bytes = roundData.files.get(file);
      if (!bytes) return notFound();
      return serveBytes(req, res, bytes, fault, entry, `${seed}:${round}:${file}`);
    }
    if (parts[0] === 'submissions') {
      const s = state.stored.find((x) => x.id === parts[1]);
      if (!s) return notFound();
      return serveBytes(req, res, s.bytes, fault, entry, s.id);
    }
    return notFound();
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'PUT';
    const entry = { operation: 'upload', method, path: url.pathname };
    const fault = faults.take(['upload']);
    if (await preFault(req, res, fault, entry)) return;
    const provided = url.searchParams.get('X-Amz-Signature') ?? '';
    const sigError = state.signer.verify(method, url.pathname, url.searchParams);
    if (sigError) return send(res, s3Reply(sigError, method), entry, method);
    // The URL was signed with an empty Content-Type: a request that sends one does not match the signature.
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && contentType.trim() !== '') {
      return send(res, s3Reply(signatureDoesNotMatch(method, url.pathname, provided), method), entry, method);
    }
    if (req.headers['content-length'] === undefined) {
      return send(res, s3Reply({ status: 411, code: 'MissingContentLength', message: 'You must provide the Content-Length HTTP header.' }, method), entry, method);
    }
    const filename = decodeURIComponent(url.pathname.slice('/uploads/'.length));
    const upload = state.uploads.get(filename);
    if (!upload) {
      return send(res, s3Reply({ status: 403, code: 'AccessDenied', message: 'Access Denied' }, method), entry, method);
    }
    if (fault?.kind === 'reset') {
      // destroy the connection while the body is arriving; nothing is stored
      if (Number(req.headers['content-length']) === 0) return destroy(res, entry, 'reset');
      req.once('data', () => destroy(res, entry, 'reset'));
      req.resume();
      return;
    }
    const body = await readBody(req, 512 * 1024 * 1024);
    upload.bytes = new Uint8Array(body);
    if (fault?.kind === 'applied-response-lost') return destroy(res, entry, fault.kind);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    send(res, { status: 200, headers: { etag, 'content-length': 0, 'x-amz-request-id': randomUUID().slice(0, 16) }, body: Buffer.alloc(0) }, fault ? { ...entry, fault: fault.kind } : entry, method);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    if (url.pathname === '/' || url.pathname === '/graphql') {
      if (method === 'POST' || method === 'GET') return handleGraphql(req, res, url);
      return send(res, jsonReply(req, 405, { errors: [{ message: `Method ${method} not allowed` }] }), { operation: 'graphql', method, path: url.pathname });
    }
    if (url.pathname.startsWith('/datasets/') || url.pathname.startsWith('/submissions/')) return handleDownload(req, res, url);
    if (url.pathname.startsWith('/uploads/')) return handleUpload(req, res, url);
    send(res, jsonReply(req, 404, { errors: [{ message: 'Not found' }] }), { operation: 'unknown', method, path: url.pathname });
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
  baseUrl = `http://${hostPart}:${address.port}`;

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
      return state.modelByName(name).id;
    },
    submissions(modelName) {
      const model = modelName === undefined ? null : state.modelByName(modelName);
      return state.stored
        .filter((s) => !s.history && (model === null || s.modelId === model.id))
        .map(({ history: _h, seq: _s, ...rest }) => ({ ...rest }));
    },
    removeSubmission(modelName, round) {
      const model = state.modelByName(modelName);
      const r = round ?? clock.number;
      for (let i = state.stored.length - 1; i >= 0; i--) {
        if (state.stored[i].modelId === model.id && state.stored[i].round === r) state.stored.splice(i, 1);
      }
    },
    requests,
    liveIds(version) {
      const ready = data.peek(clock.number);
      if (!ready) throw new Error(`sandbox: the data of round ${clock.number} is not generated yet: await sandbox.ready() first`);
      return state.liveIdsOf(ready, version);
    },
    async ready() {
      await data.get(clock.number);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return sandbox;
}
