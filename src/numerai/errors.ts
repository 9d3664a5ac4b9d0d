/**
 * Every failure of a Numerai API call is one NumeraiError with a stable `kind`, so callers decide by kind, never by
 * parsing message text. Messages carry what went wrong, on which operation, and what the server said; they never
 * carry the secret key (the transport redacts every text it puts in an error, see src/http/redact.ts).
 */

export type NumeraiErrorKind =
  /** Wrong, expired or missing API keys ("Your session is invalid or has expired."). */
  | 'auth'
  /** The key lacks a scope ("Insufficient permission for read_user_info"). */
  | 'permission'
  /** The GraphQL document or its variables were refused (a client bug or an API change). */
  | 'validation'
  /** No round is open for submissions. */
  | 'not-open'
  /** Something asked for does not exist (a dataset file, a model). */
  | 'not-found'
  /** The server understood the request and refused it (e.g. create_submission validation of the predictions). */
  | 'rejected'
  /** HTTP 429 that outlived the retry budget, or a Retry-After longer than we are willing to wait. */
  | 'rate-limit'
  /** HTTP 5xx or "Internal server error" that outlived the retry budget. */
  | 'server'
  /** The connection failed (refused, reset, DNS) on every attempt. */
  | 'network'
  /** No complete answer within the request timeout on every attempt. */
  | 'timeout'
  /** The answer was not the JSON GraphQL response the protocol promises (an HTML error page, a missing field). */
  | 'protocol'
  /**
   * A non-idempotent call (create_submission) failed after the request may have reached the server: it may or may
   * not have been applied. Ask the server (submissionForRound) before trying again; never retry blindly.
   */
  | 'ambiguous';

/** Kinds worth another attempt of an idempotent request. */
export const TRANSIENT_KINDS: ReadonlySet<NumeraiErrorKind> = new Set(['rate-limit', 'server', 'network', 'timeout', 'protocol']);

export interface NumeraiErrorDetails {
  kind: NumeraiErrorKind;
  /** The GraphQL root field (e.g. "create_submission"), or "upload" for the signed PUT. */
  operation: string;
  /** Every message the server sent in `errors`, in order (already redacted). */
  messages?: string[];
  /** The HTTP status of the last attempt, when one was received. */
  status?: number;
  /** How many attempts were made. */
  attempts?: number;
  /** For rate limits: how long the server asked us to wait, milliseconds. */
  retryAfterMs?: number;
  /** A redacted, plain description of the underlying failure (never the raw library error, which may hold a request). */
  cause?: Error;
}

export class NumeraiError extends Error {
  readonly kind: NumeraiErrorKind;
  readonly operation: string;
  readonly messages: string[];
  readonly status: number | undefined;
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: NumeraiErrorDetails) {
    super(message, details.cause ? { cause: details.cause } : undefined);
    this.name = 'NumeraiError';
    this.kind = details.kind;
    this.operation = details.operation;
    this.messages = details.messages ?? [];
    this.status = details.status;
    this.attempts = details.attempts ?? 1;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Whether another attempt of the same idempotent request could succeed. */
  get transient(): boolean {
    return TRANSIENT_KINDS.has(this.kind);
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      operation: this.operation,
      message: this.message,
      messages: this.messages,
      status: this.status,
      attempts: this.attempts,
    };
  }
}

export function isNumeraiError(error: unknown): error is NumeraiError {
  return error instanceof NumeraiError;
}

/**
 * Classify the `errors` messages of a GraphQL answer. The real server answers with HTTP 200 and English messages
 * (reference §1.3); the first message that matches a known pattern decides.
 */
export function classifyGraphqlMessages(messages: readonly string[]): NumeraiErrorKind | undefined {
  for (const message of messages) {
    const kind = classifyOne(message);
    if (kind) return kind;
  }
  return undefined;
}

const MESSAGE_PATTERNS: [RegExp, NumeraiErrorKind][] = [
  [/session is invalid or has expired|invalid (api )?(token|key)|not authenticated|unauthenticated|api keys? (are )?required/i, 'auth'],
  [/insufficient permission|permission denied|not authori[sz]ed|forbidden/i, 'permission'],
  [/not open for submissions|round (is )?not open|no open round/i, 'not-open'],
  [/too many requests|rate.?limit/i, 'rate-limit'],
  [/internal server error|service unavailable|bad gateway|gateway time-?out/i, 'server'],
  [
    /^(unknown argument|unknown type|unknown field|cannot query field|syntax error|parse error)|expected type|^variable "|^in argument|of required type|must have a selection|argument "[^"]+" has invalid value|unknown operation/i,
    'validation',
  ],
  [/not found|does not exist|no such|unknown (file|dataset|model)/i, 'not-found'],
];

function classifyOne(message: string): NumeraiErrorKind | undefined {
  for (const [pattern, kind] of MESSAGE_PATTERNS) if (pattern.test(message)) return kind;
  return undefined;
}

/** The kind an HTTP status implies when the body says nothing more precise. */
export function kindForStatus(status: number): NumeraiErrorKind | undefined {
  if (status === 429) return 'rate-limit';
  if (status >= 500) return 'server';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  return undefined;
}

/** The same error with what it was about (a file, a model, a round) added to its message. */
export function withContext(error: unknown, context: string): unknown {
  if (!(error instanceof NumeraiError)) return error;
  const copy = new NumeraiError(`${error.message} [${context}]`, {
    kind: error.kind,
    operation: error.operation,
    messages: error.messages,
    status: error.status,
    attempts: error.attempts,
    retryAfterMs: error.retryAfterMs,
    cause: error.cause instanceof Error ? error.cause : undefined,
  });
  return copy;
}
