/**
 * What @actions/cache prints during one call, handed to the caller instead of going straight to the runner log.
 *
 * The client reports each failure itself — a `::warning::` or `::error::` workflow command on stdout (through
 * @actions/core), "Attempt 1 of 5 failed … Retrying" lines between its retries — and then returns the same answer
 * as for a plain miss (restore: undefined; save: -1). Those lines are the only place the failure is told, and the
 * cache store needs it: to tell a failed restore from a miss, to stop calling a failing service after its first
 * failure, and to say so in one warning of its own rather than beside the client's.
 *
 * So each call runs in an AsyncLocalStorage context, and a wrapper on process.stdout.write hands every line written
 * from inside that context (the client's own asynchronous work, its retries included) to the call's listener, which
 * decides whether the line still reaches the log. Anything written outside such a context passes through untouched.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EOL } from 'node:os';

/** One line the client wrote: a workflow command (debug, warning, error, …) or a plain log line ('info'). */
export interface ClientLine {
  kind: string;
  /** The message, with the workflow-command escaping undone. */
  text: string;
}

/** Decides a line's fate: true lets it through to the log as it was written, false keeps it out. */
export type ClientLineListener = (line: ClientLine) => boolean;

const listeners = new AsyncLocalStorage<ClientLineListener>();
let wrapper: typeof process.stdout.write | undefined;

/** Runs `work` with what it writes to stdout handed to `listener` line by line. */
export function withClientOutput<T>(listener: ClientLineListener, work: () => Promise<T>): Promise<T> {
  install();
  return listeners.run(listener, work);
}

/** Parses one line as @actions/core writes it: `::name key=value::message`, or plain text. */
export function parseClientLine(line: string): ClientLine {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/s.exec(line);
  if (!command) return { kind: 'info', text: line };
  return { kind: command[1], text: command[2].replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%') };
}

/**
 * Puts the wrapper on process.stdout.write, unless it is already there. Checked on every call: whoever replaced
 * the function since (a test capturing stdout, then putting its original back) is wrapped in turn.
 */
function install(): void {
  if (wrapper && process.stdout.write === wrapper) return;
  const next = process.stdout.write;
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const listener = listeners.getStore();
    const forward = (piece: string | Uint8Array, ...args: unknown[]) => (next as (...a: unknown[]) => boolean).call(process.stdout, piece, ...args);
    // @actions/core writes strings; binary chunks (a parent process's protocol on the same stream) are not its.
    if (!listener || typeof chunk !== 'string') return forward(chunk, ...rest);
    const kept = chunk
      .split(/\r?\n/)
      .filter((line, index, lines) => line !== '' || index < lines.length - 1)
      .filter((line) => listener(parseClientLine(line)));
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    if (kept.length === 0) {
      callback?.();
      return true;
    }
    return forward(kept.map((line) => line + EOL).join(''), ...rest);
  };
  wrapper = write as typeof process.stdout.write;
  process.stdout.write = wrapper;
}
