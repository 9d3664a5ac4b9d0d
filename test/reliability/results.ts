/**
 * One scenario table per matrix, one runner: every reliability scenario is declared with what it injects and what
 * it expects, runs as a node:test test, and — when RELIABILITY_RESULTS names a file — appends its result as one JSON
 * line, which scripts/reliability-report.ts renders into docs/reliability.md.
 */
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';

export type Matrix = 'numerai-faults' | 'github-faults' | 'bad-input' | 'concurrency' | 'canary' | 'soak' | 'rounds';

export interface ScenarioDef {
  matrix: Matrix;
  /** The network step or input that is broken, e.g. "create_submission" or "model.yml". */
  step: string;
  /** What is injected, e.g. "5xx", "429 + Retry-After", "hang", "reset mid-body", "malformed body". */
  fault: string;
  /** The outcome the product promises, in words (a table cell). */
  expected: string;
  /** The scenario may take at most this long (the stated bound). */
  boundMs: number;
  /** Set when the product lacks what the scenario needs: it runs, but does not fail `npm test`. */
  todo?: string;
}

export interface ScenarioResult extends ScenarioDef {
  /** passed / failed, or todo-failing / todo-passing for scenarios marked todo. */
  status: 'passed' | 'failed' | 'todo-failing' | 'todo-passing';
  /** What actually happened, in words. */
  observed: string;
  ms: number;
}

export const RESULTS_ENV = 'RELIABILITY_RESULTS';

/** Temporary folders differ per run: the table shows them as <tmp>. */
const TEMP_PATHS = /\/(?:tmp|var\/folders\/[^ ]+?)\/autopilot-[a-z]+-[A-Za-z0-9]+/g;

function record(result: ScenarioResult): void {
  const file = process.env[RESULTS_ENV];
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...result, observed: result.observed.replace(TEMP_PATHS, '<tmp>') })}\n`);
}

/** The name a scenario's test has: "<step> × <fault>: <expected>". */
export function scenarioName(def: ScenarioDef): string {
  return `${def.step} × ${def.fault}: ${def.expected}`;
}

/**
 * Declares one scenario as a test. `run` performs it and returns what was observed (a short sentence for the
 * table); any failed assertion fails the scenario. The bound is asserted after the run.
 */
export function scenario(def: ScenarioDef, run: () => Promise<string>): void {
  const options = def.todo ? { todo: def.todo } : {};
  test(scenarioName(def), options, async () => {
    const started = performance.now();
    let observed = '';
    let timer: NodeJS.Timeout | undefined;
    // A run that hangs fails at twice its bound, with a result recorded, instead of stalling the suite.
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not finish within ${def.boundMs * 2} ms (twice the stated bound): it hangs`)), def.boundMs * 2);
    });
    try {
      observed = await Promise.race([run(), overdue]);
      const ms = performance.now() - started;
      if (ms > def.boundMs) throw new Error(`took ${Math.round(ms)} ms, over the stated bound of ${def.boundMs} ms`);
      record({ ...def, status: def.todo ? 'todo-passing' : 'passed', observed, ms: Math.round(ms) });
    } catch (error) {
      const ms = performance.now() - started;
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      record({ ...def, status: def.todo ? 'todo-failing' : 'failed', observed: observed || message, ms: Math.round(ms) });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  });
}
