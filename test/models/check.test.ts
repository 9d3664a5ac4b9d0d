/**
 * `check` on the shipped example models (trained on the synthetic dataset's feature names) and on a broken folder;
 * and a prediction of the examples on a synthetic live file, as the demo does.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { writeSyntheticDataset } from '../../src/sandbox/synthetic/generate.js';
import { readLiveTable } from '../../src/data/live-file.js';
import { syntheticFeaturesJson, REAL_FEATURE_COUNT } from '../../src/sandbox/synthetic/feature-names.js';
import { checkModelsFolder, formatCheckReport, loadModels, predict, resolveFeatures } from '../../src/models/index.js';
import { addModel, tempModelsDir } from './helpers.js';

const EXAMPLES = path.resolve('models');

test('the example models pass check against the synthetic v5.2 features.json', async () => {
  const report = await checkModelsFolder(EXAMPLES, new Map([['v5.2', syntheticFeaturesJson(REAL_FEATURE_COUNT)]]));
  assert.equal(report.ok, true, formatCheckReport(report));
  const byName = Object.fromEntries(report.models.map((m) => [m.name, m]));
  assert.deepEqual(Object.keys(byName), ['example_ensemble', 'example_gbt', 'example_linear']);
  assert.equal(byName.example_gbt.featureCount, 780);
  assert.equal(byName.example_ensemble.members.length, 2);
  assert.deepEqual(byName.example_ensemble.members.map((m) => m.weight), [0.7, 0.3]);
  const text = formatCheckReport(report);
  assert.match(text, /ok {5}example_gbt\n {7}dataset v5\.2, features medium \(780 features\), postprocess rank/);
  assert.match(text, /3 of 3 models ok$/);
  // Which engine each file runs in, as a run chooses it, and why a file is not the tree kernel's.
  assert.deepEqual(
    report.models.flatMap((m) => m.members.map((member) => [m.name, member.engine])),
    [['example_ensemble', 'trees'], ['example_ensemble', 'onnxruntime'], ['example_gbt', 'trees'], ['example_linear', 'onnxruntime']],
  );
  assert.match(text, /example_gbt\n.*\n {7}\S*models\/example_gbt\/model\.onnx: input .*\n {9}runs in the tree kernel\n/);
  assert.match(text, /ridge\.onnx weight 0\.3: input .*\n {9}runs in onnxruntime \(its output is computed by ai\.onnx\.ml LinearRegressor, not by a tree ensemble\)\n/);
});

test('check says why a file the tree kernel is never offered runs in onnxruntime: its input type, a fixed batch, an output column', async () => {
  const models = await tempModelsDir();
  try {
    const base = 'dataset: v5.2\nfeatures: small\nonnx: m.onnx\n';
    await addModel(models.dir, 'int8', `${base}fill_missing: 2\n`, { 'm.onnx': 'ridge_int8.onnx' });
    await addModel(models.dir, 'batch', base, { 'm.onnx': 'ridge_batch4.onnx' });
    await addModel(models.dir, 'classifier', base, { 'm.onnx': 'xgb_classifier.onnx' });
    const report = await checkModelsFolder(models.dir);
    assert.equal(report.ok, true, formatCheckReport(report));
    const reasons = Object.fromEntries(report.models.map((m) => [m.name, m.members.map((member) => [member.engine, member.engineReason])]));
    assert.deepEqual(reasons, {
      batch: [['onnxruntime', 'its input takes a fixed batch of 4 rows']],
      classifier: [['onnxruntime', 'the prediction is column 1 of its output']],
      int8: [['onnxruntime', 'its input is int8, and the tree kernel takes float32']],
    });
  } finally {
    await models.dispose();
  }
});

test('check names model.yml as the reason a tree ensemble runs in onnxruntime when it sets engine: onnxruntime', async () => {
  const models = await tempModelsDir();
  try {
    await addModel(models.dir, 'forced', 'dataset: v5.2\nfeatures: small\nonnx: m.onnx\nengine: onnxruntime\n', { 'm.onnx': 'xgb_regressor.onnx' });
    const report = await checkModelsFolder(models.dir);
    assert.equal(report.ok, true, formatCheckReport(report));
    assert.deepEqual(report.models[0].members.map((m) => [m.engine, m.engineReason]), [['onnxruntime', 'model.yml sets engine: onnxruntime']]);
    assert.match(formatCheckReport(report), /m\.onnx: input .*\n {9}runs in onnxruntime \(model\.yml sets engine: onnxruntime\)/);
  } finally {
    await models.dispose();
  }
});

test('without features.json, check says what it could not verify', async () => {
  const report = await checkModelsFolder(EXAMPLES);
  assert.equal(report.ok, true);
  assert.ok(report.models.every((m) => m.notes.some((n) => /feature names not checked: no v5\.2\/features\.json/.test(n))));
});

test('check reports every failing model with file and field, and a disabled one does not fail the folder', async () => {
  const models = await tempModelsDir();
  try {
    await addModel(models.dir, 'good', 'dataset: v5.2\nfeatures: small\nonnx: m.onnx\n', { 'm.onnx': 'ridge.onnx' });
    await addModel(models.dir, 'zipmap', 'dataset: v5.2\nfeatures: small\nonnx: m.onnx\n', { 'm.onnx': 'logistic_zipmap.onnx' });
    await addModel(models.dir, 'off', 'dataset: v5.2\nfeatures: small\nonnx: gone.onnx\nenabled: false\n');
    await mkdir(path.join(models.dir, 'empty'));
    let report = await checkModelsFolder(models.dir);
    assert.equal(report.ok, false);
    const text = formatCheckReport(report);
    assert.match(text, /FAILED empty\n {7}error: .*empty: has no model\.yml/);
    assert.match(text, /FAILED off \(disabled\)\n {7}error: .*gone\.onnx: onnx: file not found/);
    assert.match(text, /FAILED zipmap\n {7}error: .*m\.onnx: onnx: the model's probabilities are a non-tensor output/);
    assert.match(text, /1 of 4 models ok; failed: empty, off, zipmap$/);
    report = await checkModelsFolder(models.dir, new Map(), { only: ['good', 'off'] });
    assert.equal(report.ok, true, 'only a disabled model fails');
  } finally {
    await models.dispose();
  }
});

test('the example models predict a synthetic live file into (0, 1)', async () => {
  const models = await tempModelsDir();
  try {
    const dataset = await writeSyntheticDataset(path.join(path.dirname(models.dir), 'data'), { seed: 7, rows: 300 });
    const loaded = (await loadModels(EXAMPLES)).map((result) => {
      assert.ok(result.ok);
      const resolved = resolveFeatures(result.model, dataset.featuresJson);
      assert.ok(resolved.ok);
      return { model: result.model, features: resolved.features };
    });
    // One table with the union of the columns, as the pipeline reads it.
    const table = await readLiveTable(dataset.livePath, [...new Set(loaded.flatMap((l) => l.features))]);
    for (const { model, features } of loaded) {
      const predictions = await predict(model, table, features);
      assert.equal(predictions.length, 300);
      assert.ok(predictions.every((p) => p > 0 && p < 1), model.name);
      assert.ok(new Set(predictions).size > 250, `${model.name} predictions vary`);
    }
  } finally {
    await models.dispose();
  }
});
