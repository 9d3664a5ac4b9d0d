/**
 * A decode worker of a parallel parquet read (see parquet-parallel.ts): it receives the task list, works through it
 * alongside the calling thread, writing into the shared output, answers with its failure, if any, and ends.
 */
import { parentPort } from 'node:worker_threads';
import { messageOf } from './errors.js';
import { drainBlocks, type BlockTask, type DecodeFailure } from './parquet-blocks.js';

export interface WorkerInput {
  path: string;
  fileSize: number;
  tasks: BlockTask[];
  /** Float32Array over a SharedArrayBuffer: the output every thread writes its own cells of. */
  values: Float32Array;
  width: number;
  /** Int32Array over a SharedArrayBuffer: the shared task counter and first-failure mark. */
  control: Int32Array;
}

export interface WorkerAnswer {
  failure?: Omit<DecodeFailure, 'error'>;
  /** An error outside any one task (e.g. the file could not be opened). */
  crash?: string;
}

const port = parentPort;
if (port) {
  port.once('message', (input: WorkerInput) => {
    let answer: WorkerAnswer;
    try {
      const failure = drainBlocks(input.path, input.fileSize, input.tasks, input.values, input.width, input.control);
      answer = failure ? { failure: { order: failure.order, problem: failure.problem, columns: failure.columns, cause: failure.cause } } : {};
    } catch (error) {
      answer = { crash: messageOf(error) };
    }
    port.postMessage(answer);
    port.close();
  });
}
