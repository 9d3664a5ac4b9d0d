/**
 * Downloading one dataset file from a (signed) URL to a local path.
 *
 * - Streamed to `<destination>.part` beside the destination, then renamed over it: the destination is either absent,
 *   the old file, or the complete new one, never a partial file.
 * - A broken transfer resumes with `Range: bytes=<received>-` (guarded by If-Range when the server sent a strong ETag).
 *   An attempt that made progress does not count against the retry budget, so a flaky but moving transfer finishes;
 *   the total timeout still bounds the call.
 * - The size is checked against Content-Length / Content-Range before the rename.
 * - A destination that already has the server's size is not fetched again (one GET whose body is not read).
 * - Two timeouts: an idle timeout (no byte for that long, including waiting for the response headers) and a total one.
 * - After a final network failure or timeout the `.part` file is kept, so the next call resumes it; after any other
 *   failure it is removed.
 */

import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import { describeFailure, displayUrl, snippet, type Redactor } from '../http/redact.js';
import { backoffDelay, parseRetryAfter, resolveRetryPolicy, type RetryPolicy } from '../http/retry.js';

export interface DownloadOptions extends Partial<RetryPolicy> {
  /** Called after every chunk with the bytes the destination file has so far and the full size when known. */
  onProgress?: (received: number, total: number | null) => void;
  /** Fail the attempt when no byte arrives for this long (waiting for headers included), milliseconds. */
  idleTimeoutMs?: number;
  /** Fail the whole download after this long, however it is going, milliseconds. */
  totalTimeoutMs?: number;
  /** Told about every retry. */
  onRetry?: (event: { attempt: number; delayMs: number; error: DownloadError }) => void;
  /**
   * Applied to every text from the network (an error body, a failure's cause) before it goes into an error, over the
   * whole text before any cut: a server or proxy may echo the request's credentials back.
   */
  redact?: Redactor;
}

export interface DownloadResult {
  /** Size of the file now at the destination. */
  bytes: number;
  /** False when the destination already held the complete file and nothing was fetched. */
  fetched: boolean;
  /** The byte offset the last successful transfer resumed from (0 when it started from the beginning). */
  resumedFrom: number;
}

export type DownloadErrorKind =
  /** The server answered with a status other than 200/206 (see `status`). */
  | 'http'
  /** The connection failed or broke. */
  | 'network'
  /** No byte arrived within the idle timeout. */
  | 'stall'
  /** The total timeout passed. */
  | 'timeout'
  /** The file received does not have the size the server announced. */
  | 'size'
  /** The server's answer broke HTTP's range rules (a Content-Range that does not match the request). */
  | 'protocol'
  /** The local file could not be written. */
  | 'filesystem';

export class DownloadError extends Error {
  readonly kind: DownloadErrorKind;
  readonly status: number | undefined;
  /** The URL without its query string (signed URLs carry credentials there). */
  readonly url: string;
  readonly attempts: number;

  constructor(message: string, details: { kind: DownloadErrorKind; url: string; status?: number; attempts?: number; cause?: Error }) {
    super(message, details.cause ? { cause: details.cause } : undefined);
    this.name = 'DownloadError';
    this.kind = details.kind;
    this.url = details.url;
    this.status = details.status;
    this.attempts = details.attempts ?? 1;
  }

  /** Whether the failure may go away on another attempt. */
  get transient(): boolean {
    if (this.kind === 'http') return this.status === undefined || this.status === 408 || this.status === 429 || this.status >= 500;
    return this.kind === 'network' || this.kind === 'stall' || this.kind === 'size' || this.kind === 'protocol';
  }
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 30 * 60_000;

/** A failed attempt with what the retry loop needs to know about it. */
class AttemptFailed extends Error {
  constructor(
    readonly error: DownloadError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

export async function downloadFile(url: string, destination: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { onProgress, idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS, totalTimeoutMs = DEFAULT_TOTAL_TIMEOUT_MS, onRetry, redact = (text) => text, ...rest } = options;
  const policy = resolveRetryPolicy(rest);
  const shownUrl = displayUrl(url);
  const temp = `${destination}.part`;
  await mkdir(path.dirname(path.resolve(destination)), { recursive: true });

  const state: TransferState = {
    url,
    shownUrl,
    destination,
    temp,
    existing: await sizeOf(destination),
    validator: undefined,
    deadline: Date.now() + totalTimeoutMs,
    totalTimeoutMs,
    idleTimeoutMs,
    onProgress,
    redact,
  };

  let failuresWithoutProgress = 0;
  for (let attempt = 1; ; attempt++) {
    const before = (await sizeOf(temp)) ?? 0;
    try {
      return await transferOnce(state);
    } catch (thrown) {
      if (!(thrown instanceof AttemptFailed)) throw thrown;
      const { error, retryAfterMs } = thrown;
      const progressed = ((await sizeOf(temp)) ?? 0) > before;
      failuresWithoutProgress = progressed ? 0 : failuresWithoutProgress + 1;
      const waitMs = retryAfterMs ?? backoffDelay(Math.max(1, failuresWithoutProgress), policy);
      const giveUp =
        !error.transient ||
        failuresWithoutProgress > policy.retries ||
        (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) ||
        Date.now() + waitMs >= state.deadline;
      if (giveUp) {
        const resumable = error.kind === 'network' || error.kind === 'stall' || error.kind === 'timeout';
        if (!resumable) await rm(temp, { force: true });
        throw new DownloadError(`${error.message}${attempt > 1 ? ` (${attempt} attempts)` : ''}`, {
          kind: error.kind,
          url: shownUrl,
          status: error.status,
          attempts: attempt,
          cause: error.cause instanceof Error ? error.cause : undefined,
        });
      }
      onRetry?.({ attempt, delayMs: waitMs, error });
      await policy.sleep(waitMs);
    }
  }
}

interface TransferState {
  url: string;
  shownUrl: string;
  destination: string;
  temp: string;
  /** Size of a file already at the destination before this call; null once checked or when there is none. */
  existing: number | null;
  /** A strong ETag from an earlier attempt, sent as If-Range so a changed file is never stitched onto an old part. */
  validator: string | undefined;
  deadline: number;
  totalTimeoutMs: number;
  idleTimeoutMs: number;
  onProgress: DownloadOptions['onProgress'];
  redact: Redactor;
}

async function transferOnce(state: TransferState): Promise<DownloadResult> {
  const { shownUrl } = state;
  const offset = (await sizeOf(state.temp)) ?? 0;
  const remainingMs = state.deadline - Date.now();
  if (remainingMs <= 0) throw failure('timeout', `Downloading ${shownUrl} did not finish within ${state.totalTimeoutMs} ms`, shownUrl);

  const controller = new AbortController();
  let abortedFor: 'stall' | 'timeout' | undefined;
  const idleTimer = setTimeout(() => {
    abortedFor = 'stall';
    controller.abort();
  }, state.idleTimeoutMs);
  const totalTimer = setTimeout(() => {
    abortedFor = 'timeout';
    controller.abort();
  }, remainingMs);
  const brokenTransfer = (error: unknown, received: number): AttemptFailed => {
    if (abortedFor === 'stall') {
      return failure('stall', `Downloading ${shownUrl} stalled: no data for ${state.idleTimeoutMs} ms after ${received} bytes`, shownUrl);
    }
    if (abortedFor === 'timeout') {
      return failure('timeout', `Downloading ${shownUrl} did not finish within ${state.totalTimeoutMs} ms (${received} bytes received)`, shownUrl);
    }
    const cause = describeFailure(error, state.redact);
    return failure('network', `Downloading ${shownUrl} broke after ${received} bytes: ${cause.message}`, shownUrl, { cause });
  };

  try {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (state.validator) headers['if-range'] = state.validator;
    }
    let response: Response;
    try {
      response = await fetch(state.url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw brokenTransfer(error, offset);
    }
    idleTimer.refresh();

    if (response.status === 416 && offset > 0) {
      await response.body?.cancel().catch(() => undefined);
      const total = parseContentRange(response.headers.get('content-range'))?.total ?? null;
      if (total === offset) return await finish(state, offset, offset, total);
      await rm(state.temp, { force: true });
      throw failure('protocol', `Downloading ${shownUrl}: the partial file (${offset} bytes) does not fit the file on the server (${total ?? 'unknown'} bytes); starting over`, shownUrl);
    }
    if (response.status !== 200 && response.status !== 206) {
      const body = await response.text().catch(() => '');
      throw failure('http', `Downloading ${shownUrl} failed with HTTP ${response.status}${httpHint(response.status)}: ${snippet(state.redact(body)) || '(empty body)'}`, shownUrl, {
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }

    let start = 0;
    let total: number | null;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== offset) {
        await response.body?.cancel().catch(() => undefined);
        await rm(state.temp, { force: true });
        throw failure('protocol', `Downloading ${shownUrl}: asked for bytes from ${offset}, the server sent Content-Range "${response.headers.get('content-range')}"; starting over`, shownUrl);
      }
      start = offset;
      total = range.total;
    } else {
      total = parseLength(response.headers.get('content-length'));
    }
    const etag = response.headers.get('etag');
    state.validator = etag && !etag.startsWith('W/') ? etag : undefined;

    if (state.existing !== null) {
      const existing = state.existing;
      state.existing = null;
      if (total !== null && existing === total) {
        await response.body?.cancel().catch(() => undefined);
        await rm(state.temp, { force: true });
        state.onProgress?.(existing, total);
        return { bytes: existing, fetched: false, resumedFrom: 0 };
      }
      // The file there is not the file on the server (an older or cut copy): nobody may read it any more.
      await rm(state.destination, { force: true });
    }

    let received = start;
    const file = await open(state.temp, start === 0 ? 'w' : 'a').catch((error: unknown) => {
      throw filesystemFailure(error, state.temp, shownUrl);
    });
    try {
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            throw brokenTransfer(error, received);
          }
          if (chunk.done) break;
          idleTimer.refresh();
          await file.write(chunk.value).catch((error: unknown) => {
            throw filesystemFailure(error, state.temp, shownUrl);
          });
          received += chunk.value.byteLength;
          state.onProgress?.(received, total);
        }
      }
    } finally {
      await file.close();
    }

    if (total !== null && received < total) {
      throw failure('network', `Downloading ${shownUrl}: the connection closed after ${received} of ${total} bytes`, shownUrl);
    }
    if (total !== null && received > total) {
      await rm(state.temp, { force: true });
      throw failure('size', `Downloading ${shownUrl}: received ${received} bytes, the server announced ${total}; starting over`, shownUrl);
    }
    return await finish(state, received, response.status === 206 ? offset : 0, total);
  } finally {
    clearTimeout(idleTimer);
    clearTimeout(totalTimer);
  }
}

/** Check the part file's size on disk and move it over the destination. */
async function finish(state: TransferState, received: number, resumedFrom: number, total: number | null): Promise<DownloadResult> {
  const onDisk = (await sizeOf(state.temp)) ?? 0;
  if (onDisk !== received || (total !== null && onDisk !== total)) {
    await rm(state.temp, { force: true });
    throw failure('size', `Downloading ${state.shownUrl}: the file on disk has ${onDisk} bytes, expected ${total ?? received}; starting over`, state.shownUrl);
  }
  await rename(state.temp, state.destination).catch((error: unknown) => {
    throw filesystemFailure(error, state.destination, state.shownUrl);
  });
  return { bytes: onDisk, fetched: true, resumedFrom };
}

function failure(
  kind: DownloadErrorKind,
  message: string,
  url: string,
  extra: { status?: number; retryAfterMs?: number; cause?: Error } = {},
): AttemptFailed {
  return new AttemptFailed(new DownloadError(message, { kind, url, status: extra.status, cause: extra.cause }), extra.retryAfterMs);
}

function filesystemFailure(error: unknown, file: string, url: string): AttemptFailed {
  const cause = describeFailure(error, (text) => text);
  return failure('filesystem', `Downloading ${url}: cannot write ${file}: ${cause.message}`, url, { cause });
}

function httpHint(status: number): string {
  if (status === 403) return ' (a signed dataset URL expires; ask for a new one)';
  if (status === 404) return ' (no such file)';
  return '';
}

// "bytes 100-199/1000" gives {start: 100, total: 1000}; the unsatisfied form "bytes STAR/1000" gives start NaN;
// an unknown total ("/STAR") gives null.
export function parseContentRange(header: string | null): { start: number; total: number | null } | undefined {
  if (!header) return undefined;
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return undefined;
  return { start: match[1] === undefined ? Number.NaN : Number(match[1]), total: match[3] === '*' ? null : Number(match[3]) };
}

function parseLength(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}

