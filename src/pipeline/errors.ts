import { ERROR_CLASSES, type ErrorClass } from './report.js';

/** A failure the pipeline raises itself, already classified. */
export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'string' && (ERROR_CLASSES as readonly string[]).includes(value);
}

/**
 * The report's error class of anything thrown. Modules below the pipeline classify their own errors, either with an
 * `errorClass` property or by naming the error class after one of the report's classes (DataError, ModelError, ...);
 * anything else gets the class the stage implies.
 */
export function classifyError(error: unknown, fallback: ErrorClass, adapter?: { errorClassOf?(error: unknown): ErrorClass }): ErrorClass {
  const fromAdapter = adapter?.errorClassOf?.(error);
  if (fromAdapter && fromAdapter !== 'InternalError') return fromAdapter;
  const numeraiKind = numeraiErrorKind(error);
  if (numeraiKind) {
    const operation = String((error as { operation?: unknown }).operation ?? '');
    if (numeraiKind === 'not-found' && !DATA_OPERATIONS.has(operation)) return 'AccountError';
    if ((numeraiKind === 'not-open' || numeraiKind === 'rejected') && !DATA_OPERATIONS.has(operation)) {
      return UPLOAD_OPERATIONS.has(operation) ? 'SubmissionRejected' : 'AccountError';
    }
    return NUMERAI_KIND_CLASSES[numeraiKind] ?? fallback;
  }
  if (error instanceof Error && error.name === 'DownloadError') {
    const { transient, kind } = error as { transient?: unknown; kind?: unknown };
    return transient === true || kind === 'timeout' ? 'NetworkError' : 'DataError';
  }
  if (error && typeof error === 'object') {
    const candidate = error as { errorClass?: unknown; name?: unknown; constructor?: { name?: unknown } };
    if (isErrorClass(candidate.errorClass)) return candidate.errorClass;
    if (isErrorClass(candidate.name)) return candidate.name;
    if (isErrorClass(candidate.constructor?.name)) return candidate.constructor.name as ErrorClass;
  }
  return fallback;
}

/**
 * The Numerai client's errors carry a `kind` (src/numerai/errors.ts). Read by shape, so the pipeline depends on the
 * port's contract, not on the client module.
 */
export function numeraiErrorKind(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'NumeraiError') return undefined;
  const kind = (error as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : undefined;
}

/** create_submission failed after the request may have been applied: ask the server before trying again. */
export function isAmbiguousUploadFailure(error: unknown): boolean {
  return numeraiErrorKind(error) === 'ambiguous';
}

const DATA_OPERATIONS = new Set(['dataset', 'listDatasets']);
const UPLOAD_OPERATIONS = new Set(['upload', 'create_submission', 'submission_upload_auth']);

const NUMERAI_KIND_CLASSES: Record<string, ErrorClass | undefined> = {
  auth: 'AccountError',
  permission: 'AccountError',
  validation: 'InternalError',
  'not-found': 'DataError',
  rejected: 'SubmissionRejected',
  'rate-limit': 'NetworkError',
  server: 'NetworkError',
  network: 'NetworkError',
  timeout: 'NetworkError',
  protocol: 'NetworkError',
  ambiguous: 'NetworkError',
  'not-open': 'DataError',
  // 'not-open' on rounds has no class: the pipeline turns it into "no open round" before it can become a failure.
};

/**
 * Removes a secret from text that is about to leave the process (log line, report, error). The Numerai client never
 * puts the key in its errors; this is the second line of defence, applied to everything the pipeline emits.
 */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const present = secrets.filter((secret) => secret.length >= 4);
  if (present.length === 0) return (text) => text;
  return (text) => {
    let result = text;
    for (const secret of present) result = result.split(secret).join('***');
    return result;
  };
}
