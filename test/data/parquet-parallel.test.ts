/**
 * How a decode worker that breaks is reported (src/data/parquet-parallel.ts): always as a DecodeWorkerError, a fault
 * of the machine or the program, never as the file's fault. The workers here are stand-ins given as code, so that
 * each way of breaking can be had on purpose; the real worker's reads are in readers.test.ts.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DecodeWorkerError, decodeBlocks } from '../../src/data/parquet-parallel.js';

/** Any readable file: with no tasks, the threads only open it. */
const file = fileURLToPath(import.meta.url);

function workerOf(code: string): URL {
  return new URL(`data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads';\n${code}`)}`);
}

function decodeWith(worker: URL) {
  return decodeBlocks({ path: file, fileSize: 0 }, [], { rows: 0, width: 0 }, 2, () => undefined, worker);
}

async function rejectsAsWorkerFault(worker: URL, message: RegExp): Promise<void> {
  await assert.rejects(decodeWith(worker), (error: unknown) => {
    assert.ok(error instanceof DecodeWorkerError, `expected a DecodeWorkerError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.ok(error.message.includes(file), 'the message names the file');
    return true;
  });
}

describe('a broken decode worker', () => {
  test('one that answers is waited for, and counted among the threads', async () => {
    const decoded = await decodeWith(workerOf(`parentPort.once('message', () => { parentPort.postMessage({}); parentPort.close(); });`));
    assert.equal(decoded.threads, 2);
    assert.equal(decoded.failure, undefined);
  });

  test('one that exits without answering', async () => {
    await rejectsAsWorkerFault(workerOf(`parentPort.once('message', () => process.exit(3));`), /a parquet decode worker exited \(code 3\) before finishing its share of /);
  });

  test('one that throws outside any task', async () => {
    await rejectsAsWorkerFault(workerOf(`parentPort.once('message', () => { throw new Error('out of sorts'); });`), /a parquet decode worker failed on .*: out of sorts/);
  });

  test('one that answers with a crash (an error outside any task, caught)', async () => {
    await rejectsAsWorkerFault(
      workerOf(`parentPort.once('message', () => { parentPort.postMessage({ crash: 'the disk went away' }); parentPort.close(); });`),
      /a parquet decode worker failed on .*: the disk went away/,
    );
  });
});
