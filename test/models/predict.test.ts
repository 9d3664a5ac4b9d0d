/**
 * predict() end to end: a live parquet file (the reference rows, columns in another order, extra columns) read by
 * the data module, predicted by each fixture configuration, compared with an independent computation from the
 * training libraries' own predictions. Plus the runtime failures a model can have on real data.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFile } from 'node:fs/promises';
import { readLiveTable } from '../../src/data/live-file.js';
import type { FeatureTable } from '../../src/data/table.js';
import { CLIP_EPSILON, ModelError, loadModels, predict, resolveFeatures, type LoadedModel } from '../../src/models/index.js';
import { addModel, fixtureFeaturesJson, maxAbsDiff, naiveRank, reference, tableFrom, tempModelsDir, type Reference } from './helpers.js';

let ref: Reference;
let models: { dir: string; dispose: () => Promise<void> };
let live: FeatureTable;
const loaded = new Map<string, LoadedModel>();

function model(name: string): LoadedModel {
  const found = loaded.get(name);
  assert.ok(found, `model ${name} loaded`);
  return found;
}

function featuresOf(m: LoadedModel): string[] {
  const resolved = resolveFeatures(m, fixtureFeaturesJson(ref));
  assert.ok(resolved.ok);
  return resolved.features;
}

/** The reference rows as a Numerai-shaped live.parquet: era and data_type first, features shuffled, id last. */
async function writeLiveParquet(file: string): Promise<void> {
  const shuffled = [...ref.features].reverse();
  const extra = ['feature_extra_one', 'feature_extra_two'];
  const rows = ref.input.length;
  const ids = ref.input.map((_, r) => `n${(r * 7919).toString(16).padStart(15, '0')}`);
  const columnData = [
    { name: 'era', data: Array(rows).fill('X'), type: 'STRING' as const },
    { name: 'data_type', data: Array(rows).fill('live'), type: 'STRING' as const },
    ...[extra[0], ...shuffled, extra[1]].map((name) => {
      const j = ref.features.indexOf(name);
      return { name, data: ref.input.map((row, r) => (j < 0 ? r % 5 : row[j])), type: 'INT32' as const };
    }),
    { name: 'target', data: Array(rows).fill(null), type: 'DOUBLE' as const },
    { name: 'id', data: ids, type: 'STRING' as const },
  ];
  await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData })));
}

before(async () => {
  ref = await reference();
  models = await tempModelsDir();
  const base = 'dataset: v5.2\nfeatures: small\n';
  await addModel(models.dir, 'gbt', `${base}onnx: model.onnx\n`, { 'model.onnx': 'xgb_regressor.onnx' });
  await addModel(models.dir, 'classifier_clip', `${base}onnx: model.onnx\npostprocess: clip\n`, { 'model.onnx': 'xgb_classifier.onnx' });
  await addModel(models.dir, 'ridge_none', `${base}onnx: model.onnx\npostprocess: none\n`, { 'model.onnx': 'ridge.onnx' });
  await addModel(
    models.dir,
    'ensemble',
    `${base}onnx:\n  - {file: gbt.onnx, weight: 0.7}\n  - {file: ridge.onnx, weight: 0.3}\n`,
    { 'gbt.onnx': 'xgb_regressor.onnx', 'ridge.onnx': 'ridge.onnx' },
  );
  await addModel(
    models.dir,
    'mixed_outputs',
    `${base}onnx:\n  - {file: gbt.onnx, weight: 1}\n  - {file: logistic.onnx, weight: 1, output: "output_probability[1]"}\n`,
    { 'gbt.onnx': 'xgb_regressor.onnx', 'logistic.onnx': 'logistic.onnx' },
  );
  await addModel(models.dir, 'ridge_nan', `${base}onnx: model.onnx\n`, { 'model.onnx': 'ridge.onnx' });
  await addModel(models.dir, 'ridge_filled', `${base}onnx: model.onnx\nfill_missing: 2\n`, { 'model.onnx': 'ridge.onnx' });
  await addModel(models.dir, 'int8', `${base}onnx: model.onnx\n`, { 'model.onnx': 'ridge_int8.onnx' });
  await addModel(models.dir, 'int8_filled', `${base}onnx: model.onnx\nfill_missing: 2\n`, { 'model.onnx': 'ridge_int8.onnx' });
  const pair = `${base}onnx:\n  - {file: ridge.onnx, weight: 1}\n  - {file: int8.onnx, weight: 1}\n`;
  const pairFiles = { 'ridge.onnx': 'ridge.onnx', 'int8.onnx': 'ridge_int8.onnx' };
  await addModel(models.dir, 'pair', pair, pairFiles);
  await addModel(models.dir, 'pair_filled', `${pair}fill_missing: 2\n`, pairFiles);
  await addModel(models.dir, 'fails_at_run', `${base}onnx: model.onnx\n`, { 'model.onnx': 'reshape_fails.onnx' });
  for (const result of await loadModels(models.dir)) {
    assert.ok(result.ok, result.name);
    loaded.set(result.name, result.model);
  }
  const livePath = path.join(path.dirname(models.dir), 'live.parquet');
  await writeLiveParquet(livePath);
  live = await readLiveTable(livePath, ref.features);
});

after(() => models.dispose());

describe('predict on a live file', () => {
  test('a tree model: rank of XGBoost’s own predictions', async () => {
    const predictions = await predict(model('gbt'), live, featuresOf(model('gbt')));
    assert.equal(predictions.length, ref.input.length);
    assert.deepEqual(Array.from(predictions), naiveRank(ref.predictions.xgb_regressor));
  });

  test('an ensemble: the weighted average of the members’ ranks, ranked again', async () => {
    const predictions = await predict(model('ensemble'), live, featuresOf(model('ensemble')));
    const gbt = naiveRank(ref.predictions.xgb_regressor);
    const ridge = naiveRank(ref.predictions.ridge);
    const expected = naiveRank(gbt.map((g, i) => 0.7 * g + 0.3 * ridge[i]));
    assert.ok(maxAbsDiff(predictions, expected) < 1e-12);
  });

  test('an ensemble of a regressor and a classifier’s probabilities (per-member output)', async () => {
    const predictions = await predict(model('mixed_outputs'), live, featuresOf(model('mixed_outputs')));
    const gbt = naiveRank(ref.predictions.xgb_regressor);
    const logistic = naiveRank(ref.predictions.logistic_probability);
    assert.ok(maxAbsDiff(predictions, naiveRank(gbt.map((g, i) => 0.5 * g + 0.5 * logistic[i]))) < 1e-12);
  });

  test('clip: probabilities kept, bounded to [1e-6, 1 − 1e-6]', async () => {
    const predictions = await predict(model('classifier_clip'), live, featuresOf(model('classifier_clip')));
    const expected = ref.predictions.xgb_classifier_probability.map((p) => Math.min(1 - CLIP_EPSILON, Math.max(CLIP_EPSILON, p)));
    assert.ok(maxAbsDiff(predictions, expected) <= 1e-5);
  });

  test('none: the raw output', async () => {
    const predictions = await predict(model('ridge_none'), live, featuresOf(model('ridge_none')));
    assert.ok(maxAbsDiff(predictions, ref.predictions.ridge) <= 1e-6);
  });

  test('a table in shared memory, as a parallel read gives it, predicts what it does in memory of its own', async () => {
    // A parallel read's values live in a SharedArrayBuffer (src/data/parquet-parallel.ts). Node-API on Node 20 hands
    // such a typed array to no addon: onnxruntime-node refused it ("Invalid argument") whenever a model's columns
    // were the table's own, in its order, so that its rows went in without a copy. The suite runs on Node 24, where
    // the views go in as they are; test/cli/installed.test.ts runs the Node 20 path.
    const values = new Float32Array(new SharedArrayBuffer(live.values.byteLength));
    values.set(live.values);
    const shared: FeatureTable = { ...live, values };
    assert.deepEqual(shared.columns, featuresOf(model('gbt')), 'the model takes the table as it is');
    for (const name of ['gbt', 'ensemble', 'int8_filled']) {
      assert.deepEqual(await predict(model(name), shared, featuresOf(model(name))), await predict(model(name), live, featuresOf(model(name))), name);
    }
  });

  test('the result does not depend on the batch size', async () => {
    const whole = await predict(model('ensemble'), live, featuresOf(model('ensemble')), { batchRows: 10_000 });
    assert.deepEqual(await predict(model('ensemble'), live, featuresOf(model('ensemble')), { batchRows: 64 }), whole);
  });
});

describe('runtime failures', () => {
  const withNan = () => tableFrom(ref.input_with_nan, ref.features);

  test('a failure inside onnxruntime names the model, the file and the rows, from plain or shared memory', async () => {
    // A shared batch that fails is tried again from a copy (src/models/inference.ts): the copy fails the same way, and
    // onnxruntime's own error is the one reported.
    const values = new Float32Array(new SharedArrayBuffer(live.values.byteLength));
    values.set(live.values);
    for (const table of [live, { ...live, values }]) {
      await assert.rejects(predict(model('fails_at_run'), table, featuresOf(model('fails_at_run'))), (error: unknown) => {
        assert.ok(error instanceof ModelError);
        assert.match(error.message, /^model fails_at_run: .*model\.onnx: onnxruntime failed on rows 0–199: .*reshape/i);
        return true;
      });
    }
    // and the next model still predicts from the shared table
    assert.deepEqual(await predict(model('gbt'), { ...live, values }, featuresOf(model('gbt'))), await predict(model('gbt'), live, featuresOf(model('gbt'))));
  });

  test('NaN predictions name the first row and suggest fill_missing', async () => {
    await assert.rejects(predict(model('ridge_nan'), withNan(), ref.features), (error: unknown) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.errorClass, 'ModelError');
      assert.match(error.message, /model ridge_nan: .*model\.onnx: predicted NaN for \d+ of 200 rows \(first: n0+\w+\).*set fill_missing in model\.yml/);
      return true;
    });
  });

  test('fill_missing feeds the value in place of NaN', async () => {
    const predictions = await predict(model('ridge_filled'), withNan(), ref.features);
    assert.equal(predictions.length, 200);
    assert.ok(predictions.every((p) => p > 0 && p < 1));
  });

  test('fill_missing applies to every member of an ensemble', async () => {
    await assert.rejects(predict(model('pair'), withNan(), ref.features), ModelError);
    const ridge = await predict(model('ridge_filled'), withNan(), ref.features);
    const int8 = await predict(model('int8_filled'), withNan(), ref.features);
    const expected = naiveRank(Array.from(ridge, (r, i) => 0.5 * r + 0.5 * int8[i]));
    assert.ok(maxAbsDiff(await predict(model('pair_filled'), withNan(), ref.features), expected) < 1e-12);
  });

  test('an int8 model refuses missing values without fill_missing, and fractional values always', async () => {
    await assert.rejects(predict(model('int8'), withNan(), ref.features), /int8, which cannot hold a missing value \(feature \w+ of row n\w+\); set fill_missing/);
    const filled = await predict(model('int8_filled'), withNan(), ref.features);
    const fromFloat = await predict(model('ridge_filled'), withNan(), ref.features);
    assert.deepEqual(filled, fromFloat);
    const scaled = tableFrom(ref.input.map((row) => row.map((v) => v / 4)), ref.features);
    await assert.rejects(predict(model('int8'), scaled, ref.features), /is int8, but feature \w+ of row n\w+ is 0\.25; the features are not on the integer scale/);
  });

  test('a feature missing from the live table is named', async () => {
    const narrow = tableFrom(ref.input, ref.features, ref.features.slice(1));
    await assert.rejects(predict(model('gbt'), narrow, ref.features), new RegExp(ref.features[0]));
  });

  test('a feature list of the wrong width is refused before running', async () => {
    await assert.rejects(predict(model('gbt'), live, ref.features.slice(0, 41)), /takes 42 features per row, but 41 were given/);
  });

  test('an empty table gives no predictions', async () => {
    const empty = tableFrom([], ref.features);
    assert.equal((await predict(model('gbt'), empty, ref.features)).length, 0);
  });
});
