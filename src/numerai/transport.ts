/**
 * The one transport to the Numerai API: POST {query, variables} as JSON, the Authorization header only on calls that
 * need it, a timeout on every request, the body parsed whatever the HTTP status, failures classified, and transient
 * failures retried with backoff — except where a retry could apply a mutation twice.
 *
 * The signed-URL PUT of an upload shares the same timeout, retry and classification rules (`put`).
 */

import { classifyGraphqlMessages, kindForStatus, NumeraiError, TRANSIENT_KINDS, type NumeraiErrorKind } from './errors.js';
import { describeFailure, displayUrl, redactorFor, snippet, type Redactor } from '../http/redact.js';
import { backoffDelay, parseRetryAfter, resolveRetryPolicy, type RetryPolicy } from '../http/retry.js';

export interface Credentials {
  publicId: string;
  secretKey: string;
}

export interface RetryEvent {
  operation: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** How long the transport waits before the next attempt, milliseconds. */
  delayMs: number;
  /** The (redacted) failure of that attempt. */
  error: NumeraiError;
}

export interface TransportOptions extends Partial<RetryPolicy> {
  /** The GraphQL endpoint, e.g. https://api-tournament.numer.ai */
  apiUrl: string;
  credentials?: Credentials;
  /** Timeout of one request (connect, send, full response), milliseconds. */
  timeoutMs: number;
  /** Told about every retry, e.g. to log "rounds: HTTP 503, retrying in 2.1 s". */
  onRetry?: (event: RetryEvent) => void;
  userAgent?: string;
}

export interface CallOptions {
  /** The GraphQL root field, named in errors and logs. */
  operation: string;
  /** Send the Authorization header (account, model, submissions, upload auth, create_submission). */
  auth: boolean;
  /**
   * False for mutations: after a failure that may have reached the server (timeout, reset, 5xx) the call is not
   * repeated and fails as "ambiguous" instead.
   */
  idempotent?: boolean;
}

/** Connection failures that happen before any byte of the request can have reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Characters an HTTP header value may hold (visible ASCII); a key with a stray newline would otherwise be echoed by fetch. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

const SCOPES_HINT =
  'The API key needs the scopes upload_submission, read_user_info and read_submission_info (numer.ai → Account → API keys).';
const AUTH_HINT = 'Check the public id and secret key (NUMERAI_PUBLIC_ID / NUMERAI_SECRET_KEY): they must be a current key pair.';

/** One failed attempt, before the retry loop decides what to do with it. */
interface AttemptFailure {
  kind: NumeraiErrorKind;
  detail: string;
  status?: number;
  messages?: string[];
  retryAfterMs?: number;
  cause?: Error;
  /** Whether the request may have reached the server (and so a mutation may have been applied). */
  mayHaveApplied: boolean;
}

class AttemptFailed extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.detail);
  }
}

interface Exchange {
  status: number;
  headers: Headers;
  text: string;
}

export class GraphqlTransport {
  readonly apiUrl: string;
  /** Removes the secret key from any text; use it on every text that goes into an error or a log line. */
  readonly redact: Redactor;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;
  private readonly userAgent: string;
  // Kept in a closure-like private field and used only to build the header; never part of any error or event.
  readonly #credentials: Credentials | undefined;

  constructor(options: TransportOptions) {
    if (!/^https?:\/\//i.test(options.apiUrl)) {
      throw new NumeraiError(`The Numerai API URL must be an http(s) URL, got "${displayUrl(options.apiUrl)}".`, {
        kind: 'validation',
        operation: 'configure',
      });
    }
    if (!(options.timeoutMs > 0)) {
      throw new NumeraiError(`The request timeout must be a positive number of milliseconds, got ${options.timeoutMs}.`, {
        kind: 'validation',
        operation: 'configure',
      });
    }
    this.apiUrl = options.apiUrl;
    this.#credentials = options.credentials;
    this.redact = redactorFor([options.credentials?.secretKey]);
    this.timeoutMs = options.timeoutMs;
    this.onRetry = options.onRetry;
    this.userAgent = options.userAgent ?? 'numerai-autopilot';
    this.policy = resolveRetryPolicy(options);
  }

  /** Run one GraphQL document and return its `data`; throws NumeraiError. */
  async query<T>(document: string, variables: Record<string, unknown> | null, call: CallOptions): Promise<T> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    if (call.auth) headers.authorization = this.authorizationHeader(call.operation);
    const body = JSON.stringify({ query: document, variables: variables ?? null });
    return this.withRetries(call.operation, call.idempotent ?? true, async () => {
      const exchange = await this.exchange(this.apiUrl, { method: 'POST', headers, body });
      return this.readGraphql<T>(exchange);
    });
  }

  /**
   * PUT bytes to a signed upload URL. No Content-Type (nor any custom header) is sent: the URL is signed for an empty
   * content type and S3 refuses a request whose headers differ from the signature. 2xx is required.
   */
  async put(url: string, bytes: Uint8Array, operation = 'upload'): Promise<void> {
    await this.withRetries(operation, true, async () => {
      const exchange = await this.exchange(url, { method: 'PUT', body: bytes, headers: { 'user-agent': this.userAgent } });
      if (exchange.status >= 200 && exchange.status < 300) return;
      const kind = transientStatusKind(exchange.status) ?? 'rejected';
      throw new AttemptFailed({
        kind,
        status: exchange.status,
        retryAfterMs: parseRetryAfter(exchange.headers.get('retry-after')),
        detail: `the signed upload URL ${displayUrl(url)} answered HTTP ${exchange.status}: ${snippet(this.redact(exchange.text)) || '(empty body)'}`,
        mayHaveApplied: false,
      });
    });
  }

  private authorizationHeader(operation: string): string {
    const credentials = this.#credentials;
    if (!credentials || !credentials.publicId || !credentials.secretKey) {
      throw new NumeraiError(
        `Numerai API call "${operation}" needs API keys, and none were given. Set NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY (the public-id and secret-key inputs of the action).`,
        { kind: 'auth', operation },
      );
    }
    if (!HEADER_SAFE.test(credentials.publicId) || !HEADER_SAFE.test(credentials.secretKey)) {
      throw new NumeraiError(
        `The Numerai API keys contain whitespace or control characters inside them, so they cannot be sent (surrounding whitespace, such as a trailing newline pasted into a secret, is removed before this check). Re-enter NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY exactly as numer.ai shows them.`,
        { kind: 'auth', operation },
      );
    }
    return `Token ${credentials.publicId}$${credentials.secretKey}`;
  }

  /** One HTTP request with the timeout covering the whole exchange, response body included. */
  private async exchange(url: string, init: RequestInit): Promise<Exchange> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text };
    } catch (error) {
      if (controller.signal.aborted) {
        throw new AttemptFailed({
          kind: 'timeout',
          detail: `no complete answer from ${displayUrl(url)} within ${this.timeoutMs} ms`,
          mayHaveApplied: true,
        });
      }
      const cause = describeFailure(error, this.redact);
      const code = cause.code;
      throw new AttemptFailed({
        kind: 'network',
        detail: `the connection to ${displayUrl(url)} failed (${cause.message})`,
        cause,
        mayHaveApplied: !(code !== undefined && NOT_SENT_CODES.has(code)),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private readGraphql<T>({ status, headers, text }: Exchange): T {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const type = headers.get('content-type') ?? 'no content type';
      throw new AttemptFailed({
        kind: kindForStatus(status) ?? 'protocol',
        status,
        retryAfterMs,
        detail: `the API answered HTTP ${status} with a body that is not JSON (${type}): ${snippet(this.redact(text)) || '(empty body)'}`,
        mayHaveApplied: true,
      });
    }
    const messages = errorMessages(body).map(this.redact);
    if (messages.length > 0) {
      const kind = status === 429 ? 'rate-limit' : (classifyGraphqlMessages(messages) ?? (status >= 500 ? 'server' : 'rejected'));
      throw new AttemptFailed({
        kind,
        status,
        retryAfterMs,
        messages,
        detail: withHint(messages.join(' | '), kind),
        // The server answered with a verdict; only a 5xx verdict leaves doubt about whether a mutation ran.
        mayHaveApplied: status >= 500,
      });
    }
    if (status < 200 || status >= 300) {
      throw new AttemptFailed({
        kind: kindForStatus(status) ?? 'protocol',
        status,
        retryAfterMs,
        detail: `the API answered HTTP ${status}: ${snippet(this.redact(text)) || '(empty body)'}`,
        mayHaveApplied: status >= 500,
      });
    }
    const data = (body as { data?: unknown } | null)?.data;
    if (data === null || typeof data !== 'object') {
      throw new AttemptFailed({
        kind: 'protocol',
        status,
        detail: `the API answered without "data" or "errors": ${snippet(this.redact(text))}`,
        mayHaveApplied: true,
      });
    }
    return data as T;
  }

  private async withRetries<T>(operation: string, idempotent: boolean, attempt: () => Promise<T>): Promise<T> {
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof AttemptFailed)) throw error;
        const failure = error.failure;
        if (!idempotent && failure.mayHaveApplied && failure.kind !== 'rate-limit' && TRANSIENT_KINDS.has(failure.kind)) {
          throw this.toError(operation, { ...failure, kind: 'ambiguous' }, attemptNumber);
        }
        const retryable = TRANSIENT_KINDS.has(failure.kind) && attemptNumber <= this.policy.retries;
        if (!retryable) throw this.toError(operation, failure, attemptNumber);
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > this.policy.maxRetryAfterMs) {
          throw this.toError(
            operation,
            { ...failure, detail: `${failure.detail}; the server asked to wait ${Math.ceil(failure.retryAfterMs / 1000)} s, longer than the ${Math.ceil(this.policy.maxRetryAfterMs / 1000)} s this client waits` },
            attemptNumber,
          );
        }
        const delayMs = failure.retryAfterMs ?? backoffDelay(attemptNumber, this.policy);
        this.onRetry?.({ operation, attempt: attemptNumber, delayMs, error: this.toError(operation, failure, attemptNumber) });
        await this.policy.sleep(delayMs);
      }
    }
  }

  private toError(operation: string, failure: AttemptFailure, attempts: number): NumeraiError {
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    const message =
      failure.kind === 'ambiguous'
        ? `Numerai API call "${operation}" may or may not have been applied: ${failure.detail}. Ask the server whether it took effect before trying again.`
        : `Numerai API call "${operation}" failed${tries}: ${failure.detail}`;
    return new NumeraiError(this.redact(message), {
      kind: failure.kind,
      operation,
      messages: failure.messages,
      status: failure.status,
      attempts,
      retryAfterMs: failure.retryAfterMs,
      cause: failure.cause,
    });
  }
}

/** The `errors` of a GraphQL answer as messages: a list of {message}, or the {detail} object some gateways send. */
function errorMessages(body: unknown): string[] {
  if (body === null || typeof body !== 'object') return [];
  const errors = (body as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    return errors.map((e) =>
      e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : JSON.stringify(e),
    );
  }
  if (errors && typeof errors === 'object') {
    const detail = (errors as { detail?: unknown }).detail;
    return [typeof detail === 'string' ? detail : JSON.stringify(errors)];
  }
  return [];
}

function transientStatusKind(status: number): NumeraiErrorKind | undefined {
  if (status === 429) return 'rate-limit';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return undefined;
}

/** The detail with the hint for its kind appended as a new sentence; a detail that already ends a sentence gets no second period. */
function withHint(detail: string, kind: NumeraiErrorKind): string {
  const hint = kind === 'auth' ? AUTH_HINT : kind === 'permission' ? SCOPES_HINT : '';
  if (!hint) return detail;
  const trimmed = detail.trimEnd();
  return /[.!?]$/.test(trimmed) ? `${trimmed} ${hint}` : `${trimmed}. ${hint}`;
}

