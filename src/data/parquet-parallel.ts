/**
 * Runs the block tasks of a parquet read (parquet-blocks.ts) on one thread or several. With several, the output is
 * one Float32Array over a SharedArrayBuffer; the workers and the calling thread take tasks from one shared counter,
 * so a thread slowed by a busy machine simply takes fewer. Workers are started once the footer says how large the
 * read is, and only when it is large enough to pay for them; their start-up (~110 ms, mostly loading the decoder)
 * overlaps with the calling thread decoding the id column and its first blocks.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as Esbuild from 'esbuild';
import { messageOf } from './errors.js';
import { drainBlocks, markFailed, newControl, type BlockTask, type DecodeFailure } from './parquet-blocks.js';
import type { WorkerAnswer, WorkerInput } from './parquet-worker.js';

/**
 * An automatic thread count stays on one thread below this many cells. Measured on 2 cores (live file, 6,720 rows):
 * 780 columns (5.2 M cells) took 166–216 ms on one thread and 217–290 ms on two, the worker's start taking the second
 * core from the calling thread for most of the read; 1,200 columns (8.1 M) 230–347 against 267–289 ms; all 2,748
 * (18.5 M) 457–613 against 388–527 ms.
 */
export const PARALLEL_MIN_CELLS = 6_000_000;

/**
 * How many threads decode a read of `cells` values in `tasks` blocks: `requested` when it is a positive number (1 =
 * this thread only), else every core once the read reaches PARALLEL_MIN_CELLS; never more than one a block.
 */
export function decodeThreadCount(requested: number | undefined, cells: number, tasks: number): number {
  const explicit = requested !== undefined && requested > 0;
  if (!explicit && cells < PARALLEL_MIN_CELLS) return 1;
  return Math.max(1, Math.min(explicit ? Math.floor(requested) : availableParallelism(), tasks));
}

/**
 * The worker: parquet-worker.js beside this module (the action bundle, built JavaScript). From source (run by tsx),
 * workers do not inherit tsx's loader hooks, and registering them in each worker costs 0.3–1 s; instead the worker
 * entry is bundled once per process with esbuild (a development dependency, like tsx) and started from memory.
 */
let sourceWorker: URL | undefined;

async function workerUrl(): Promise<URL> {
  if (!import.meta.url.endsWith('.ts')) return new URL('./parquet-worker.js', import.meta.url);
  if (!sourceWorker) {
    const bundler = 'esbuild'; // a variable, so that bundling this module never pulls esbuild in
    try {
      const esbuild = (await import(bundler)) as typeof Esbuild;
      const built = await esbuild.build({
        entryPoints: [fileURLToPath(new URL('./parquet-worker.ts', import.meta.url))],
        bundle: true,
        format: 'esm',
        platform: 'node',
        write: false,
        logLevel: 'silent',
      });
      sourceWorker = new URL(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].contents).toString('base64')}`);
    } catch (error) {
      throw new DecodeWorkerError(`the parquet decode worker could not be built from source: ${messageOf(error)}`, { cause: error });
    }
  }
  return sourceWorker;
}

/** A worker that ended without answering, or answered with an error outside any task: a fault, not bad data. */
export class DecodeWorkerError extends Error {
  override readonly name = 'DecodeWorkerError';
}

/** Starts a decode worker on `input` and resolves with its answer; rejects when it fails or exits without one. */
function runWorker(url: URL, input: WorkerInput): Promise<WorkerAnswer> {
  // The worker is one self-contained file and takes none of this process's command-line options: a module preloaded
  // with --import or --require (a TypeScript loader, an APM agent) would otherwise load again in every worker, and
  // tsx alone adds 60 ms or more to each one's start.
  const worker = new Worker(url, { execArgv: [] });
  return new Promise<WorkerAnswer>((resolve, reject) => {
    let answered = false;
    worker.once('message', (message: WorkerAnswer) => {
      answered = true;
      resolve(message);
    });
    worker.once('error', (error) => reject(new DecodeWorkerError(`a parquet decode worker failed on ${input.path}: ${error.message}`, { cause: error })));
    worker.once('exit', (code) => {
      if (!answered) reject(new DecodeWorkerError(`a parquet decode worker exited (code ${code}) before finishing its share of ${input.path}`));
    });
    worker.postMessage(input);
  });
}

export interface DecodedBlocks {
  values: Float32Array;
  threads: number;
  /** The lowest-numbered failure (the one a single thread would have stopped at), if any. */
  failure?: DecodeFailure;
}

/**
 * Decodes every task into a new rows × width output, on `threads` threads: this one and `threads − 1` workers started
 * for it. `beforeDrain` runs on this thread once the workers have their share (the id column is decoded there
 * meanwhile); a failure it returns counts like a task's.
 */
export async function decodeBlocks(
  source: { path: string; fileSize: number },
  tasks: readonly BlockTask[],
  shape: { rows: number; width: number },
  threads: number,
  beforeDrain: () => DecodeFailure | undefined,
  /** The workers' code: parquet-worker's (tests give one that fails, to see how a broken worker is reported). */
  worker?: URL,
): Promise<DecodedBlocks> {
  const cells = shape.rows * shape.width;
  const workers = Math.max(0, threads - 1);
  const url = workers > 0 ? (worker ?? (await workerUrl())) : undefined;
  const values = new Float32Array(url ? new SharedArrayBuffer(cells * 4) : new ArrayBuffer(cells * 4));
  const control = newControl(url !== undefined);
  const input: WorkerInput = { path: source.path, fileSize: source.fileSize, tasks: tasks as BlockTask[], values, width: shape.width, control };
  // Settled (not raced): every worker is waited for before the output is returned or dropped.
  const settled = Promise.allSettled(Array.from({ length: workers }, () => runWorker(url!, input)));

  const failures: DecodeFailure[] = [];
  let ownError: unknown;
  try {
    const early = beforeDrain();
    if (early) {
      markFailed(control, early.order);
      failures.push(early);
    }
    const own = drainBlocks(source.path, source.fileSize, tasks, values, shape.width, control);
    if (own) failures.push(own);
  } catch (error) {
    ownError = error;
    markFailed(control, -1); // stop the workers at their next task
  }
  const answers = await settled;
  if (ownError !== undefined) throw ownError;
  for (const answer of answers) {
    if (answer.status === 'rejected') throw answer.reason;
    if (answer.value.crash) throw new DecodeWorkerError(`a parquet decode worker failed on ${source.path}: ${answer.value.crash}`);
    if (answer.value.failure) failures.push(answer.value.failure);
  }
  const failure = failures.reduce<DecodeFailure | undefined>((first, next) => (first && first.order <= next.order ? first : next), undefined);
  return { values, threads: workers + 1, failure };
}
