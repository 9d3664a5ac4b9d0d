/**
 * The ten-model case of bench/models.bench.ts, run by plain Node: `node bench/lib/ten-models.mjs '<json>'` with
 * {livePath, featuresJsonPath, modelFolder, copies}. It copies the model `copies` times into a models folder and runs the
 * compiled engine (dist/) over it as the pipeline does: load the folder, read the live file once, predict each model
 * in turn (each session released before the next is created). No loader runs in this process, as none runs in a
 * runner's: a tsx-loaded process would carry 15 MB or more of compiler in the peak RSS this case is about.
 *
 * Prints one JSON line: {peakRssMB, rssAfterEachMB, denseMB, totalMs}.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const { createDefaultEngine } = await import(new URL('../../dist/pipeline/default-engine.js', import.meta.url).href);

/** VmHWM and VmRSS of /proc/self/status, in MB (see peak-rss.ts for why not process.resourceUsage). */
function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kB = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { peakMB: (kB('VmHWM') * 1024) / 1e6, rssMB: (kB('VmRSS') * 1024) / 1e6 };
}

const args = JSON.parse(process.argv[2]);
const modelsDir = await mkdtemp(path.join(tmpdir(), 'ten-models-'));
try {
  for (let i = 0; i < args.copies; i++) {
    const folder = path.join(modelsDir, `model_${String(i).padStart(2, '0')}`);
    await mkdir(folder);
    await copyFile(path.join(args.modelFolder, 'model.onnx'), path.join(folder, 'model.onnx'));
    await copyFile(path.join(args.modelFolder, 'model.yml'), path.join(folder, 'model.yml'));
  }
  const engine = createDefaultEngine();
  const start = performance.now();
  const models = (await engine.loadModels(modelsDir, [])).map((result) => {
    if (!result.ok) throw new Error(`${result.name}: ${JSON.stringify(result.errors)}`);
    return result.model;
  });
  const features = engine.resolveFeatures(models[0], JSON.parse(readFileSync(args.featuresJsonPath, 'utf8')));
  const table = await engine.readLiveTable(args.livePath, features);
  const rssAfterEachMB = [];
  for (const model of models) {
    const predictions = await engine.predict(model, table, features);
    if (predictions.length !== table.rows) throw new Error(`${model.name}: ${predictions.length} predictions`);
    rssAfterEachMB.push(memory().rssMB);
  }
  const totalMs = performance.now() - start;
  console.log(JSON.stringify({ peakRssMB: memory().peakMB, rssAfterEachMB, denseMB: table.values.byteLength / 1e6, totalMs }));
} finally {
  await rm(modelsDir, { recursive: true, force: true });
}
