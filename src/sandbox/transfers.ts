/**
 * The signed-URL transfers, shaped like S3's: dataset and submission downloads (`GET`/`HEAD`, with ranges) and
 * uploads (`PUT`, signed with an empty Content-Type). The URLs come from the datasets and submissions parts.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, s3Reply, type Entry, type Reply, type Served } from './http.js';
import { signatureDoesNotMatch } from './signing.js';
import type { Fault } from './types.js';

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

/** One file to serve, with the fault taken for this request and the seed of its ETag. */
interface FileToServe {
  bytes: Uint8Array;
  fault: Fault | null;
  entry: Entry;
  etagSeed: string;
}

async function serveBytes(served: Served, req: IncomingMessage, res: ServerResponse, file: FileToServe): Promise<void> {
  const { bytes, fault, entry, etagSeed } = file;
  const method = req.method ?? 'GET';
  const size = bytes.length;
  const etag = `"${createHash('md5').update(etagSeed).update(String(size)).digest('hex')}"`;
  const common = {
    'accept-ranges': 'bytes',
    etag,
    'last-modified': new Date(served.world.now()).toUTCString(),
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
  if (fault?.kind === 'reset' && method !== 'HEAD') return served.wire.sendHalfThenReset(res, reply, entry);
  served.wire.send(res, reply, fault ? { ...entry, fault: fault.kind } : entry, method);
}

/** `GET /datasets/<round>/<file>` and `GET /submissions/<id>/<filename>`, each with a signed query string. */
export async function handleDownload(served: Served, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { wire, faults, world } = served;
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const method = req.method ?? 'GET';
  const entry = { operation: 'download', method, path: url.pathname };
  const fault = faults.take(['download']);
  if (await wire.preFault(req, res, fault, entry)) return;
  if (method !== 'GET' && method !== 'HEAD') {
    return wire.send(res, s3Reply(signatureDoesNotMatch(method, url.pathname, url.searchParams.get('X-Amz-Signature') ?? ''), method), entry, method);
  }
  // A presigned GET URL is signed for GET: HEAD does not match its signature (as on S3).
  const sigError = world.signer.verify(method, url.pathname, url.searchParams);
  if (sigError) return wire.send(res, s3Reply(sigError, method), entry, method);
  const notFound = () =>
    wire.send(res, s3Reply({ status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.', extra: { Key: url.pathname.slice(1) } }, method), entry, method);

  const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  if (parts[0] === 'datasets') {
    const round = Number(parts[1]);
    const file = parts.slice(2).join('/');
    const roundData = await world.data.get(round);
    const bytes = roundData.files.get(file);
    if (!bytes) return notFound();
    return serveBytes(served, req, res, { bytes, fault, entry, etagSeed: `${served.seed}:${round}:${file}` });
  }
  if (parts[0] === 'submissions') {
    const s = world.stored.find((x) => x.id === parts[1]);
    if (!s) return notFound();
    return serveBytes(served, req, res, { bytes: s.bytes, fault, entry, etagSeed: s.id });
  }
  return notFound();
}

/** `PUT /uploads/<filename>` with the signed query string an upload-auth query gave. */
export async function handleUpload(served: Served, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { wire, faults, world } = served;
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const method = req.method ?? 'PUT';
  const entry = { operation: 'upload', method, path: url.pathname };
  const fault = faults.take(['upload']);
  if (await wire.preFault(req, res, fault, entry)) return;
  const provided = url.searchParams.get('X-Amz-Signature') ?? '';
  const sigError = world.signer.verify(method, url.pathname, url.searchParams);
  if (sigError) return wire.send(res, s3Reply(sigError, method), entry, method);
  // The URL was signed with an empty Content-Type: a request that sends one does not match the signature.
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && contentType.trim() !== '') {
    return wire.send(res, s3Reply(signatureDoesNotMatch(method, url.pathname, provided), method), entry, method);
  }
  if (req.headers['content-length'] === undefined) {
    return wire.send(res, s3Reply({ status: 411, code: 'MissingContentLength', message: 'You must provide the Content-Length HTTP header.' }, method), entry, method);
  }
  const filename = decodeURIComponent(url.pathname.slice('/uploads/'.length));
  const upload = world.uploads.get(filename);
  if (!upload) {
    return wire.send(res, s3Reply({ status: 403, code: 'AccessDenied', message: 'Access Denied' }, method), entry, method);
  }
  if (fault?.kind === 'reset') {
    // destroy the connection while the body is arriving; nothing is stored
    if (Number(req.headers['content-length']) === 0) return wire.destroy(res, entry, 'reset');
    req.once('data', () => wire.destroy(res, entry, 'reset'));
    req.resume();
    return;
  }
  const body = await readBody(req, 512 * 1024 * 1024);
  upload.bytes = new Uint8Array(body);
  if (fault?.kind === 'applied-response-lost') return wire.destroy(res, entry, fault.kind);
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  wire.send(res, { status: 200, headers: { etag, 'content-length': 0, 'x-amz-request-id': randomUUID().slice(0, 16) }, body: Buffer.alloc(0) }, fault ? { ...entry, fault: fault.kind } : entry, method);
}
