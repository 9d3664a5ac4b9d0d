/**
 * Runs the block tasks of a parquet read (parquet-blocks.ts) on one thread or several. With several, the output is
 * one Float32Array over a SharedArrayBuffer; the workers and the calling thread take tasks from one shared counter,
 * so a thread slowed by a busy machine simply takes fewer. Worker start-up (50–150 ms, mostly loading the decoder)
 * overlaps with parsing the footer, and is paid only where the table is large enough for it to pay back.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as Esbuild from 'esbuild';
import { BLOCK_COLUMNS, drainBlocks, markFailed, newControl, type BlockTask, type DecodeFailure } from './parquet-blocks.js';
import type { WorkerAnswer, WorkerInput } from './parquet-worker.js';

/**
 * An automatic thread count stays on one thread below these sizes: a worker costs 50–150 ms to start (loading the
 * decoder), about what one thread decodes of 2 M cells. The live file (7.6 MB; 6,720 rows) goes parallel for its
 * 780 medium features (5.2 M cells) as for all 2,748; its 42 small ones (0.3 M cells) stay on one thread.
 */
export const PARALLEL_MIN_CELLS = 2_000_000;
/** Before the footer is read, the file size stands in for the row count (see startDecodeThreads). */
export const PARALLEL_MIN_FILE_BYTES = 1_000_000;

/**
 * How many threads should decode: `requested` when it is a positive number (1 = this thread only), else every core.
 */
export function wantedThreads(requested: number | undefined): number {
  return requested !== undefined && requested > 0 ? Math.floor(requested) : availableParallelism();
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
  }
  return sourceWorker;
}

/** A started worker, waiting for its share of one read. */
interface StartedWorker {
  /** Sends the read (null: nothing to do) and resolves with the worker's answer. */
  run(input: WorkerInput | null): Promise<WorkerAnswer>;
}

/** A worker that ended without answering, or answered with an error outside any task: a fault, not bad data. */
export class DecodeWorkerError extends Error {
  override readonly name = 'DecodeWorkerError';
}

function startWorker(url: URL, path: string): StartedWorker {
  // The worker is one self-contained file and takes none of this process's command-line options: a module preloaded
  // with --import or --require (a TypeScript loader, an APM agent) would otherwise load again in every worker, and
  // tsx alone adds 60 ms or more to each one's start.
  const worker = new Worker(url, { execArgv: [] });
  let answered = false;
  const answer = new Promise<WorkerAnswer>((resolve, reject) => {
    worker.once('message', (message: WorkerAnswer) => {
      answered = true;
      resolve(message);
    });
    worker.once('error', (error) => reject(new DecodeWorkerError(`a parquet decode worker failed on ${path}: ${error.message}`, { cause: error })));
    worker.once('exit', (code) => {
      if (!answered) reject(new DecodeWorkerError(`a parquet decode worker exited (code ${code}) before finishing its share of ${path}`));
    });
  });
  // Never an unhandled rejection, whichever way the read goes; run() hands the same promise to the reader.
  answer.catch(() => undefined);
  return {
    run(input) {
      worker.postMessage(input);
      if (input === null) {
        answered = true;
        return Promise.resolve({});
      }
      return answer;
    },
  };
}

/**
 * Starts the workers of a read early, before its footer is parsed, so that their start-up overlaps with it: the
 * `threads − 1` of a requested count, or with an automatic count, every core but this one when the read looks large
 * enough (at least PARALLEL_MIN_FILE_BYTES of file and more than one block of columns).
 */
export async function startDecodeThreads(path: string, fileSize: number, columns: number, requested: number | undefined): Promise<StartedWorker[]> {
  const threads = wantedThreads(requested);
  const automatic = !(requested !== undefined && requested > 0);
  if (threads < 2 || columns <= BLOCK_COLUMNS / 2 || (automatic && fileSize < PARALLEL_MIN_FILE_BYTES)) return [];
  const url = await workerUrl();
  return Array.from({ length: threads - 1 }, () => startWorker(url, path));
}

/** How many of the started workers a read uses, once its size is known (the rest are sent home). */
export function workersToUse(started: number, requested: number | undefined, cells: number, tasks: number): number {
  const automatic = !(requested !== undefined && requested > 0);
  if (automatic && cells < PARALLEL_MIN_CELLS) return 0;
  return Math.max(0, Math.min(started, tasks - 1));
}

export interface DecodedBlocks {
  values: Float32Array;
  threads: number;
  /** The lowest-numbered failure (the one a single thread would have stopped at), if any. */
  failure?: DecodeFailure;
}

/**
 * Decodes every task into a new rows × width output, on this thread and `workers`. `beforeDrain` runs on this thread
 * once the workers have their share (the id column is decoded there meanwhile); a failure it returns counts like a
 * task's.
 */
export async function decodeBlocks(
  source: { path: string; fileSize: number },
  tasks: readonly BlockTask[],
  shape: { rows: number; width: number },
  workers: readonly StartedWorker[],
  beforeDrain: () => DecodeFailure | undefined,
): Promise<DecodedBlocks> {
  const cells = shape.rows * shape.width;
  const parallel = workers.length > 0;
  const values = new Float32Array(parallel ? new SharedArrayBuffer(cells * 4) : new ArrayBuffer(cells * 4));
  const control = newControl(parallel);
  const input: WorkerInput = { path: source.path, fileSize: source.fileSize, tasks: tasks as BlockTask[], values, width: shape.width, control };
  // Settled (not raced): every worker is waited for before the output is returned or dropped.
  const settled = Promise.allSettled(workers.map((worker) => worker.run(input)));

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
  return { values, threads: workers.length + 1, failure };
}
