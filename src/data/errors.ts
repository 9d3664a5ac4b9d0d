/**
 * DataError: a dataset file is missing, corrupt, truncated or not shaped as expected. The pipeline reports it with
 * the error class "DataError" (and may discard a cached copy so the next run downloads it again). The message always
 * starts with the file path, so a log line alone says which file to look at.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** The file the problem is in. */
  readonly file: string;
  /** The columns concerned, when the problem is about columns (missing, wrong type). */
  readonly columns: readonly string[];

  constructor(file: string, problem: string, options: { cause?: unknown; columns?: readonly string[] } = {}) {
    super(`${file}: ${problem}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = file;
    this.columns = options.columns ?? [];
  }
}

/** The DataError for a file that could not be opened or read: "file not found", else the system's reason. */
export function fileAccessError(file: string, error: unknown, action: 'open' | 'read'): DataError {
  const code = (error as NodeJS.ErrnoException).code;
  return new DataError(file, code === 'ENOENT' ? 'file not found' : `cannot ${action} the file: ${messageOf(error)}`, { cause: error });
}

/** "a, b, c and 12 more": long column lists stay readable in one log line. */
export function listNames(names: readonly string[], limit = 10): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

/** The message of anything thrown, for wrapping library errors. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
