/**
 * An in-process emulator of the GitHub Actions results service: the Twirp CacheService and ArtifactService that
 * @actions/cache (v2) and @actions/artifact talk to, plus an Azure-style blob endpoint for the signed URLs they
 * upload to and download from. The unmodified clients run against it; point them at it with `runnerEnv()`.
 *
 * Semantics follow the service as the clients expect it: cache entries are immutable (a second CreateCacheEntry
 * for the same key and version answers {ok:false}); lookups try each key exact, then as a prefix (newest first),
 * among finalized entries of the same version; artifact names are unique per workflow run (409 already_exists);
 * blob block lists are assembled in list order, not arrival order; signed URLs are checked.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Emulator, parseJson, readBody, type RecordedRequest } from './http-kit.js';
import { readZip, type ZipEntry } from './zip.js';

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.';
const BLOB_ACCOUNT = '/devstoreaccount1/';

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  finalized: boolean;
  sizeBytes: number;
}

export interface StoredArtifact {
  id: number;
  name: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  finalized: boolean;
  size: number;
  /** "sha256:<hex>" as the client computed it. */
  digest: string;
  expiresAt?: string;
}

export interface EmulatorOptions {
  /** The backend ids the runtime token names (the artifact client reads them from its `scp` claim). */
  workflowRunBackendId?: string;
  workflowJobRunBackendId?: string;
  /** The public run id and attempt exported as GITHUB_RUN_ID / GITHUB_RUN_ATTEMPT. */
  runId?: string;
  runAttempt?: string;
  repository?: string;
}

interface BlobState {
  content?: Buffer;
  contentType?: string;
  staged: Map<string, Buffer>;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Fault routes: "CacheService/<Method>", "ArtifactService/<Method>", "blob.put", "blob.get" or "*". */
export class ActionsResultsEmulator extends Emulator {
  readonly runtimeToken: string;
  private readonly signingKey = randomBytes(32);
  private readonly cache: (CacheEntry & { blob: string; order: number })[] = [];
  private readonly artifactList: (StoredArtifact & { blob: string; order: number })[] = [];
  private readonly blobs = new Map<string, BlobState>();
  private nextId = 1;
  private order = 0;

  private constructor(readonly options: Required<EmulatorOptions>) {
    super();
    this.runtimeToken = fakeRuntimeToken(options.workflowRunBackendId, options.workflowJobRunBackendId);
  }

  static async start(options: EmulatorOptions = {}): Promise<ActionsResultsEmulator> {
    const emulator = new ActionsResultsEmulator({
      workflowRunBackendId: options.workflowRunBackendId ?? 'a1b2c3d4-run',
      workflowJobRunBackendId: options.workflowJobRunBackendId ?? 'e5f6a7b8-job',
      runId: options.runId ?? '987654321',
      runAttempt: options.runAttempt ?? '1',
      repository: options.repository ?? 'octo/numerai-models',
    });
    await emulator.server.listen();
    return emulator;
  }

  get url(): string {
    return `${this.server.origin}/`;
  }

  /**
   * The variables a hosted runner exports to a JavaScript action, pointing at this emulator. The clients read
   * them at call time. ACTIONS_CACHE_URL is undefined on purpose: with it unset, only the v2 service is used.
   */
  runnerEnv(dirs: { workspace: string; runnerTemp: string }): Record<string, string | undefined> {
    return {
      ACTIONS_RESULTS_URL: this.url,
      ACTIONS_RUNTIME_TOKEN: this.runtimeToken,
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_CACHE_URL: undefined,
      ACTIONS_CACHE_MODE: undefined,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: this.options.repository,
      GITHUB_RUN_ID: this.options.runId,
      GITHUB_RUN_ATTEMPT: this.options.runAttempt,
      GITHUB_WORKSPACE: dirs.workspace,
      RUNNER_TEMP: dirs.runnerTemp,
      GITHUB_RETENTION_DAYS: '90',
    };
  }

  cacheEntries(): CacheEntry[] {
    return this.cache.map(({ id, key, version, finalized, sizeBytes }) => ({ id, key, version, finalized, sizeBytes }));
  }

  /** The archive (tar, zstd or gzip compressed) stored for a finalized cache key. */
  cacheArchive(key: string): Buffer | undefined {
    const entry = this.cache.find((e) => e.key === key && e.finalized);
    return entry && this.blobs.get(entry.blob)?.content;
  }

  artifacts(): StoredArtifact[] {
    return this.artifactList.map(({ blob: _blob, order: _order, ...artifact }) => ({ ...artifact }));
  }

  /** The files of a finalized artifact, read from the zip the client uploaded. */
  artifactFiles(name: string): ZipEntry[] {
    const artifact = this.artifactList.find((a) => a.name === name && a.finalized);
    const content = artifact && this.blobs.get(artifact.blob)?.content;
    if (!content) throw new Error(`no finalized artifact named ${name}; have: ${this.artifactList.map((a) => a.name).join(', ')}`);
    return readZip(content);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = await readBody(req);
    const isBlob = url.pathname.startsWith(BLOB_ACCOUNT);
    const route = isBlob
      ? `blob.${(req.method ?? 'GET').toLowerCase()}`
      : url.pathname.startsWith(TWIRP_PREFIX)
        ? url.pathname.slice(TWIRP_PREFIX.length)
        : 'unknown';
    const json = isBlob ? undefined : parseJson(body);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      route,
      headers: req.headers,
      body: isBlob ? '' : body.toString('utf8'),
      bodyBytes: body.length,
      json,
      status: 0,
    };
    this.requests.push(record);
    const respond = (status: number, headers: http.OutgoingHttpHeaders, payload: Buffer | string): void => {
      record.status = status;
      res.writeHead(status, headers);
      res.end(payload);
    };

    const fault = this.faults.take(route);
    if (fault) {
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'status') {
        const message = fault.message ?? `injected failure ${fault.status}`;
        if (isBlob) respond(fault.status, blobErrorHeaders('InternalError'), blobErrorXml('InternalError', message));
        else respond(fault.status, { 'content-type': 'application/json' }, JSON.stringify({ code: twirpCodeFor(fault.status), msg: message }));
        return;
      }
      if (fault.kind === 'rate-limit') {
        const headers = { 'retry-after': String(fault.retryAfterSeconds ?? 1) };
        if (isBlob) respond(fault.status ?? 429, { ...blobErrorHeaders('ServerBusy'), ...headers }, blobErrorXml('ServerBusy', 'rate limited'));
        else respond(fault.status ?? 429, { 'content-type': 'application/json', ...headers }, JSON.stringify({ code: 'resource_exhausted', msg: 'rate limited' }));
        return;
      }
      if (fault.kind === 'ok-false' && !isBlob) {
        respond(200, { 'content-type': 'application/json' }, JSON.stringify({ ok: false, message: fault.message ?? '' }));
        return;
      }
    }

    if (isBlob) {
      const { status, headers, payload } = this.handleBlob(req.method ?? 'GET', url, req.headers, body);
      respond(status, headers, payload);
      return;
    }
    try {
      if (req.method !== 'POST') throw new TwirpError(404, 'bad_route', `no route for ${req.method} ${url.pathname}`);
      if (req.headers.authorization !== `Bearer ${this.runtimeToken}`) {
        throw new TwirpError(401, 'unauthenticated', 'missing or invalid runtime token');
      }
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new TwirpError(415, 'bad_route', 'content-type must be application/json');
      }
      if (json === null || typeof json !== 'object') throw new TwirpError(400, 'malformed', 'request body is not a JSON object');
      const answer = this.handleTwirp(route, json as Record<string, unknown>);
      respond(200, { 'content-type': 'application/json' }, JSON.stringify(answer));
    } catch (error) {
      if (!(error instanceof TwirpError)) throw error;
      respond(error.status, { 'content-type': 'application/json' }, JSON.stringify({ code: error.code, msg: error.message }));
    }
  }

  private handleTwirp(route: string, body: Record<string, unknown>): object {
    switch (route) {
      case 'CacheService/CreateCacheEntry':
        return this.createCacheEntry(body);
      case 'CacheService/FinalizeCacheEntryUpload':
        return this.finalizeCacheEntry(body);
      case 'CacheService/GetCacheEntryDownloadURL':
        return this.cacheDownloadUrl(body);
      case 'ArtifactService/CreateArtifact':
        return this.createArtifact(body);
      case 'ArtifactService/FinalizeArtifact':
        return this.finalizeArtifact(body);
      case 'ArtifactService/ListArtifacts':
        return this.listArtifacts(body);
      case 'ArtifactService/GetSignedArtifactURL':
        return this.signedArtifactUrl(body);
      case 'ArtifactService/DeleteArtifact':
        return this.deleteArtifact(body);
      default:
        throw new TwirpError(404, 'bad_route', `no such method: ${route}`);
    }
  }

  // ---- CacheService ----

  private createCacheEntry(body: Record<string, unknown>): object {
    const key = requireString(body, 'key');
    const version = requireString(body, 'version');
    if (this.cache.some((e) => e.key === key && e.version === version)) {
      return { ok: false, signed_upload_url: '', message: `cache entry with key ${key} and version ${version} already exists` };
    }
    const id = this.nextId++;
    const blob = `actions-cache/${id}-${encodeURIComponent(key)}`;
    this.cache.push({ id, key, version, finalized: false, sizeBytes: 0, blob, order: this.order++ });
    return { ok: true, signed_upload_url: this.signedUrl(blob, 'cw') };
  }

  private finalizeCacheEntry(body: Record<string, unknown>): object {
    const key = requireString(body, 'key');
    const version = requireString(body, 'version');
    const sizeBytes = Number(body.size_bytes ?? 0);
    const entry = this.cache.find((e) => e.key === key && e.version === version && !e.finalized);
    if (!entry) throw new TwirpError(404, 'not_found', `no cache entry reserved for key ${key} and version ${version}`);
    const content = this.blobs.get(entry.blob)?.content;
    if (!content) throw new TwirpError(404, 'not_found', `nothing was uploaded for cache key ${key}`);
    if (content.length !== sizeBytes) {
      throw new TwirpError(400, 'invalid_argument', `size_bytes ${sizeBytes} does not match the uploaded ${content.length} bytes`);
    }
    entry.finalized = true;
    entry.sizeBytes = sizeBytes;
    entry.order = this.order++;
    return { ok: true, entry_id: String(entry.id) };
  }

  private cacheDownloadUrl(body: Record<string, unknown>): object {
    const key = requireString(body, 'key');
    const version = requireString(body, 'version');
    const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
    const candidates = this.cache.filter((e) => e.finalized && e.version === version);
    for (const wanted of [key, ...restoreKeys]) {
      const exact = candidates.find((e) => e.key === wanted);
      const match =
        exact ?? candidates.filter((e) => e.key.startsWith(wanted)).sort((a, b) => b.order - a.order)[0];
      if (match) return { ok: true, signed_download_url: this.signedUrl(match.blob, 'r'), matched_key: match.key };
    }
    return { ok: false, signed_download_url: '', matched_key: '' };
  }

  // ---- ArtifactService ----

  private checkBackendIds(body: Record<string, unknown>): void {
    const run = requireString(body, 'workflow_run_backend_id');
    const job = requireString(body, 'workflow_job_run_backend_id');
    if (run !== this.options.workflowRunBackendId || job !== this.options.workflowJobRunBackendId) {
      throw new TwirpError(403, 'permission_denied', 'backend ids do not match the runtime token');
    }
  }

  private createArtifact(body: Record<string, unknown>): object {
    this.checkBackendIds(body);
    const name = requireString(body, 'name');
    const existing = this.artifactList.findIndex((a) => a.name === name);
    if (existing >= 0 && this.artifactList[existing].finalized) {
      throw new TwirpError(409, 'already_exists', 'an artifact with this name already exists on the workflow run');
    }
    if (existing >= 0) this.artifactList.splice(existing, 1);
    const id = this.nextId++;
    const blob = `actions-results/${this.options.workflowRunBackendId}/${id}-${encodeURIComponent(name)}.zip`;
    this.artifactList.push({
      id,
      name,
      workflowRunBackendId: this.options.workflowRunBackendId,
      workflowJobRunBackendId: this.options.workflowJobRunBackendId,
      finalized: false,
      size: 0,
      digest: '',
      expiresAt: typeof body.expires_at === 'string' ? body.expires_at : undefined,
      blob,
      order: this.order++,
    });
    return { ok: true, signed_upload_url: this.signedUrl(blob, 'cw') };
  }

  private finalizeArtifact(body: Record<string, unknown>): object {
    this.checkBackendIds(body);
    const name = requireString(body, 'name');
    const artifact = this.artifactList.find((a) => a.name === name && !a.finalized);
    if (!artifact) throw new TwirpError(404, 'not_found', `no artifact named ${name} awaits finalization`);
    const content = this.blobs.get(artifact.blob)?.content;
    if (!content) throw new TwirpError(404, 'not_found', `nothing was uploaded for artifact ${name}`);
    const size = Number(body.size ?? 0);
    if (size !== content.length) throw new TwirpError(400, 'invalid_argument', `size ${size} does not match the uploaded ${content.length} bytes`);
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    if (typeof body.hash === 'string' && body.hash !== digest) {
      throw new TwirpError(400, 'invalid_argument', `hash ${body.hash} does not match the uploaded content (${digest})`);
    }
    artifact.finalized = true;
    artifact.size = size;
    artifact.digest = digest;
    return { ok: true, artifact_id: String(artifact.id) };
  }

  private listArtifacts(body: Record<string, unknown>): object {
    this.checkBackendIds(body);
    const nameFilter = typeof body.name_filter === 'string' ? body.name_filter : undefined;
    const idFilter = body.id_filter !== undefined ? Number(body.id_filter) : undefined;
    const artifacts = this.artifactList
      .filter((a) => a.finalized)
      .filter((a) => nameFilter === undefined || a.name === nameFilter)
      .filter((a) => idFilter === undefined || a.id === idFilter)
      .map((a) => ({
        workflow_run_backend_id: a.workflowRunBackendId,
        workflow_job_run_backend_id: a.workflowJobRunBackendId,
        database_id: String(a.id),
        name: a.name,
        size: String(a.size),
        created_at: new Date(Date.UTC(2026, 0, 1) + a.order * 1000).toISOString(),
        digest: a.digest,
      }));
    return { artifacts };
  }

  private signedArtifactUrl(body: Record<string, unknown>): object {
    this.checkBackendIds(body);
    const name = requireString(body, 'name');
    const artifact = this.artifactList.find((a) => a.name === name && a.finalized);
    if (!artifact) throw new TwirpError(404, 'not_found', `artifact ${name} not found`);
    return { signed_url: this.signedUrl(artifact.blob, 'r') };
  }

  private deleteArtifact(body: Record<string, unknown>): object {
    this.checkBackendIds(body);
    const name = requireString(body, 'name');
    const index = this.artifactList.findIndex((a) => a.name === name && a.finalized);
    if (index < 0) throw new TwirpError(404, 'not_found', `artifact ${name} not found`);
    const [artifact] = this.artifactList.splice(index, 1);
    this.blobs.delete(artifact.blob);
    return { ok: true, artifact_id: String(artifact.id) };
  }

  // ---- blob endpoint ----

  private signedUrl(blob: string, permissions: 'cw' | 'r'): string {
    const path = `${BLOB_ACCOUNT}${blob}`;
    const expiry = '2099-01-01T00:00:00Z';
    const sig = this.sign(permissions, path, expiry);
    return `${this.server.origin}${path}?sv=2026-04-06&sp=${permissions}&se=${encodeURIComponent(expiry)}&sig=${encodeURIComponent(sig)}`;
  }

  private sign(permissions: string, path: string, expiry: string): string {
    return createHmac('sha256', this.signingKey).update(`${permissions}\n${path}\n${expiry}`).digest('base64');
  }

  private handleBlob(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
  ): { status: number; headers: http.OutgoingHttpHeaders; payload: Buffer | string } {
    const fail = (status: number, code: string, message: string) => ({
      status,
      headers: blobErrorHeaders(code),
      payload: blobErrorXml(code, message),
    });
    const permissions = url.searchParams.get('sp') ?? '';
    const expiry = url.searchParams.get('se') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    if (sig !== this.sign(permissions, url.pathname, expiry)) {
      return fail(403, 'AuthenticationFailed', 'Signature did not match');
    }
    const blobName = decodeURIComponent(url.pathname.slice(BLOB_ACCOUNT.length));
    const ok = (status: number, extra: http.OutgoingHttpHeaders = {}) => ({
      status,
      headers: {
        etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-id': randomBytes(16).toString('hex'),
        'x-ms-version': '2026-04-06',
        'x-ms-request-server-encrypted': 'true',
        ...extra,
      },
      payload: '',
    });

    if (method === 'PUT') {
      if (!permissions.includes('w')) return fail(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to write');
      const state = this.blobs.get(blobName) ?? { staged: new Map<string, Buffer>() };
      this.blobs.set(blobName, state);
      const comp = url.searchParams.get('comp');
      if (comp === 'block') {
        const blockId = url.searchParams.get('blockid');
        if (!blockId) return fail(400, 'InvalidQueryParameterValue', 'blockid is required');
        state.staged.set(blockId, body);
        return ok(201);
      }
      if (comp === 'blocklist') {
        const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]);
        const parts: Buffer[] = [];
        for (const id of ids) {
          const block = state.staged.get(id);
          if (!block) return fail(400, 'InvalidBlockList', `block ${id} was not staged`);
          parts.push(block);
        }
        state.content = Buffer.concat(parts);
        state.contentType = String(headers['x-ms-blob-content-type'] ?? 'application/octet-stream');
        state.staged.clear();
        return ok(201);
      }
      if (comp) return fail(400, 'InvalidQueryParameterValue', `comp=${comp} is not supported`);
      if (headers['x-ms-blob-type'] !== 'BlockBlob') return fail(400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob is required');
      state.content = body;
      state.contentType = String(headers['x-ms-blob-content-type'] ?? 'application/octet-stream');
      return ok(201);
    }
    if (method === 'GET' || method === 'HEAD') {
      if (!permissions.includes('r')) return fail(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to read');
      const content = this.blobs.get(blobName)?.content;
      if (!content) return fail(404, 'BlobNotFound', 'The specified blob does not exist.');
      const result = ok(200, {
        'content-type': this.blobs.get(blobName)?.contentType ?? 'application/octet-stream',
        'content-length': String(content.length),
      });
      return { ...result, payload: method === 'HEAD' ? '' : content };
    }
    return fail(405, 'UnsupportedHttpVerb', `${method} is not supported`);
  }
}

/**
 * A runtime token shaped like the runner's: an unsigned JWT whose `scp` claim names the run and job backend ids
 * (the artifact client reads them) and whose `ac` claim carries the cache scopes (cache servers read it).
 */
export function fakeRuntimeToken(runBackendId: string, jobBackendId: string): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    b64({ alg: 'none', typ: 'JWT' }),
    b64({
      scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${runBackendId}:${jobBackendId}`,
      ac: JSON.stringify([{ Scope: 'refs/heads/main', Permission: 3 }]),
      repository_id: '1',
    }),
    'signature',
  ].join('.');
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new TwirpError(400, 'invalid_argument', `${field} is required`);
  return value;
}

function twirpCodeFor(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 409) return 'already_exists';
  if (status === 403) return 'permission_denied';
  if (status === 401) return 'unauthenticated';
  if (status === 429) return 'resource_exhausted';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'internal';
  return 'invalid_argument';
}

function blobErrorHeaders(code: string): http.OutgoingHttpHeaders {
  return { 'content-type': 'application/xml', 'x-ms-error-code': code, 'x-ms-request-id': randomBytes(16).toString('hex') };
}

function blobErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}
