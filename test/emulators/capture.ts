/** Helpers for asserting on what code under test logged. */
import type { Level, Reporter } from '../../src/pipeline/ports.js';

export interface LogEntry {
  level: Level;
  message: string;
  model?: string;
}

/** A Reporter that remembers every line, for assertions. */
export function recordingLogger(): Pick<Reporter, 'log'> & { entries: LogEntry[]; at(level: Level): string[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    log(level, message, context) {
      entries.push({ level, message, model: context?.model });
    },
    at(level) {
      return entries.filter((e) => e.level === level).map((e) => e.message);
    },
  };
}

/**
 * Runs `action` while recording what is written to stdout (where @actions/core writes workflow commands such as
 * `::warning::` and `::error::`). The output is kept out of the test log; assertions can print it.
 */
export async function captureStdout<T>(action: () => Promise<T>): Promise<{ result: T; output: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let output = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    // @actions/core writes strings. The test runner's child process reports to its parent through binary chunks
    // on this same stream: those must pass through, or the parent loses test results.
    if (typeof chunk !== 'string') return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    output += chunk;
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await action();
    return { result, output };
  } finally {
    process.stdout.write = original;
  }
}
