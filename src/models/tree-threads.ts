/**
 * Runs a CompiledTrees over a feature table on every core: the calling thread and up to threads − 1 workers take
 * blocks of rows from a shared counter (tree-kernel.ts). The workers are kept between calls, one pool per process,
 * and do not keep the process alive while idle.
 *
 * Workers start from the kernel's source text rather than from a file: the same code then runs from src/ under tsx,
 * from dist/ and from the action's bundle, with nothing to place beside any of them. (A bundler that renames the
 * kernel's functions renames them in their source text too, so the text stays whole.)
 */
import { Worker } from 'node:worker_threads';
import type { FeatureTable } from '../data/table.js';
import { BLOCK_ROWS, type CompiledTrees } from './tree-ensemble.js';
import { evaluateTreeBlocks, fillBlock, walkTrees, type TreeJob } from './tree-kernel.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
${fillBlock.toString()}
${walkTrees.toString()}
${evaluateTreeBlocks.toString()}
parentPort.on('message', (job) => {
  try {
    evaluateTreeBlocks(job);
    parentPort.postMessage(null);
  } catch (error) {
    parentPort.postMessage(String(error && error.stack ? error.stack : error));
  }
});
`;

export class TreeWorkerError extends Error {
  override readonly name = 'TreeWorkerError';
}

/** Tree workers, started when first needed and kept between calls (one pool per process, see runTrees). */
export class TreeWorkerPool {
  private readonly workers: Worker[] = [];

  /** The index-th worker; one that died since the last call is replaced. */
  worker(index: number): Worker {
    while (this.workers.length <= index) {
      const started = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      started.unref();
      // A worker that dies leaves the pool; the caller of the job it had hears of it through `exit`.
      started.once('exit', () => {
        const at = this.workers.indexOf(started);
        if (at >= 0) this.workers.splice(at, 1);
      });
      this.workers.push(started);
    }
    return this.workers[index];
  }

  /** Runs `job` on the index-th worker: settles when the worker has taken its last block, or has failed. */
  run(index: number, job: TreeJob): Promise<void> {
    const target = this.worker(index);
    return new Promise<void>((resolve, reject) => {
      const done = (answer: string | null) => {
        target.off('exit', exited);
        target.unref();
        if (answer === null) resolve();
        else reject(new TreeWorkerError(`a tree worker failed: ${answer.split('\n')[0]}`));
      };
      const exited = (code: number) => {
        target.off('message', done);
        reject(new TreeWorkerError(`a tree worker exited (code ${code}) before finishing its rows`));
      };
      target.ref();
      target.once('message', done);
      target.once('exit', exited);
      target.postMessage(job);
    });
  }
}

const processPool = new TreeWorkerPool();

/** Shared memory holding `values`: the table's own when it is shared (a parallel read's), else a copy. */
function sharedValues(values: Float32Array): Float32Array {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const copy = new Float32Array(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

/**
 * Each row's prediction. `columns` gives the table column of each model input column; `fill` replaces NaN (null:
 * NaN routed as the model says). `threads`: at most this many threads, the calling one included, the others from
 * `pool`.
 */
export async function runTrees(
  trees: CompiledTrees,
  table: FeatureTable,
  columns: Int32Array,
  fill: number | null,
  threads: number,
  pool: TreeWorkerPool = processPool,
): Promise<Float32Array> {
  const rows = table.rows;
  const blocks = Math.ceil(rows / BLOCK_ROWS);
  const helpers = Math.max(0, Math.min(threads, blocks) - 1);
  const job: TreeJob = {
    ensemble: trees,
    blockRows: BLOCK_ROWS,
    table: helpers > 0 ? sharedValues(table.values) : table.values,
    tableWidth: table.columns.length,
    rows,
    columns,
    fill: fill ?? NaN,
    out: new Float32Array(new SharedArrayBuffer(4 * rows)),
    next: new Int32Array(new SharedArrayBuffer(4)),
  };
  const running = Array.from({ length: helpers }, (_, k) => pool.run(k, job));
  const settled = Promise.allSettled(running);
  let failure: unknown;
  try {
    evaluateTreeBlocks(job);
  } catch (error) {
    failure = error;
    Atomics.store(job.next, 0, blocks); // the workers stop at their next block
  }
  for (const result of await settled) if (result.status === 'rejected') failure ??= result.reason;
  if (failure !== undefined) throw failure;
  return job.out;
}
