/**
 * One of the options `models` explores (bench/models.bench.ts): the rows split over worker threads, each with its own
 * session of one intra-op thread, instead of one session whose intra-op threads split each batch's trees. Each worker
 * runs the compiled engine's own runMember over its share of a table in shared memory, so what it feeds onnxruntime is
 * what the pipeline feeds it.
 *
 * openRowWorkers(modelPath, plan, count) → { predict(table, features) → Float64Array, release() }.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';

const distUrl = (file) => new URL(`../../dist/${file}`, import.meta.url).href;

if (!isMainThread) {
  const { openSession } = await import(distUrl('models/onnx-session.js'));
  const { runMember } = await import(distUrl('models/inference.js'));
  const { modelPath, plan } = workerData;
  const session = await openSession(await readFile(modelPath), { threads: 1 });
  parentPort.on('message', async ({ values, columns, rowStart, rowEnd }) => {
    if (values === undefined) {
      await session.release();
      parentPort.close();
      return;
    }
    const width = columns.length;
    const share = { ids: [], columns, rows: rowEnd - rowStart, values: values.subarray(rowStart * width, rowEnd * width) };
    const output = await runMember(session, plan, share, columns, { model: 'bench', file: modelPath });
    parentPort.postMessage(output, [output.buffer]);
  });
  parentPort.postMessage('ready');
}

/** `count` workers with one session each, ready to predict. */
export async function openRowWorkers(modelPath, plan, count) {
  const workers = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { modelPath, plan } });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    workers.push(worker);
  }
  return {
    /** The table's rows in `count` contiguous shares, one per worker; the table must be the model's columns in order. */
    async predict(table, features) {
      if (!(table.values.buffer instanceof SharedArrayBuffer)) throw new Error('row workers need a table in shared memory');
      if (features.join('\n') !== table.columns.join('\n')) throw new Error("row workers need the model's columns in the table's order");
      const shares = await Promise.all(
        workers.map((worker, i) => {
          const rowStart = Math.floor((table.rows * i) / count);
          const rowEnd = Math.floor((table.rows * (i + 1)) / count);
          return new Promise((resolve) => {
            worker.once('message', (output) => resolve({ rowStart, output }));
            worker.postMessage({ values: table.values, columns: table.columns, rowStart, rowEnd });
          });
        }),
      );
      const result = new Float64Array(table.rows);
      for (const { rowStart, output } of shares) result.set(output, rowStart);
      return result;
    },
    async release() {
      await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.once('exit', resolve), worker.postMessage({})))));
    },
  };
}
