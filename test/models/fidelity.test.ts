/**
 * onnxruntime-node, through the engine, reproduces the training libraries' own predictions (XGBoost, scikit-learn)
 * on the committed reference input, for every input type and output shape the fixtures cover.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadModels, openModel, resolveFeatures, type LoadedModel } from '../../src/models/index.js';
import { addModel, fixtureFeaturesJson, maxAbsDiff, reference, tableFrom, tempModelsDir, type Reference } from './helpers.js';

const TREE_TOLERANCE = 1e-5;
const LINEAR_TOLERANCE = 1e-6;

let ref: Reference;
let models: { dir: string; dispose: () => Promise<void> };
const loaded = new Map<string, LoadedModel>();

async function rawPredictions(name: string, rows: (number | null)[][] = ref.input, batchRows?: number): Promise<Float64Array> {
  const model = loaded.get(name);
  assert.ok(model, `fixture model ${name} loaded`);
  const resolved = resolveFeatures(model, fixtureFeaturesJson(ref));
  assert.ok(resolved.ok, JSON.stringify(resolved));
  const open = await openModel(model);
  try {
    const [raw] = await open.predictMembers(tableFrom(rows, ref.features), resolved.features, { batchRows });
    return raw;
  } finally {
    await open.release();
  }
}

before(async () => {
  ref = await reference();
  models = await tempModelsDir();
  const manifest = (file: string, extra = '') => `dataset: v5.2\nfeatures: small\nonnx: ${file}\npostprocess: none\n${extra}`;
  await addModel(models.dir, 'xgb', manifest('model.onnx'), { 'model.onnx': 'xgb_regressor.onnx' });
  await addModel(models.dir, 'xgb_classifier', manifest('model.onnx', 'output: probabilities[1]\n'), { 'model.onnx': 'xgb_classifier.onnx' });
  await addModel(models.dir, 'xgb_labels', manifest('model.onnx', 'output: label\n'), { 'model.onnx': 'xgb_classifier.onnx' });
  await addModel(models.dir, 'ridge', manifest('model.onnx'), { 'model.onnx': 'ridge.onnx' });
  await addModel(models.dir, 'ridge_double', manifest('model.onnx'), { 'model.onnx': 'ridge_double.onnx' });
  await addModel(models.dir, 'ridge_int8', manifest('model.onnx'), { 'model.onnx': 'ridge_int8.onnx' });
  await addModel(models.dir, 'ridge_batch4', manifest('model.onnx'), { 'model.onnx': 'ridge_batch4.onnx' });
  await addModel(models.dir, 'logistic', manifest('model.onnx'), { 'model.onnx': 'logistic.onnx' });
  await addModel(models.dir, 'zipmap_labels', manifest('model.onnx', 'output: output_label\n'), { 'model.onnx': 'logistic_zipmap.onnx' });
  for (const result of await loadModels(models.dir)) {
    assert.ok(result.ok, `${result.name}: ${JSON.stringify(!result.ok && result.errors)}`);
    loaded.set(result.name, result.model);
  }
});

after(() => models.dispose());

describe('onnxruntime-node reproduces the training libraries', () => {
  test('XGBoost regressor (600 trees): within 1e-5 of XGBRegressor.predict', async () => {
    const raw = await rawPredictions('xgb');
    assert.ok(maxAbsDiff(raw, ref.predictions.xgb_regressor) <= TREE_TOLERANCE, `max abs error ${maxAbsDiff(raw, ref.predictions.xgb_regressor)}`);
  });

  test('XGBoost regressor routes missing values (NaN) the way XGBoost does', async () => {
    assert.ok(ref.input_with_nan.flat().some((v) => v === null), 'the reference input has missing values');
    const raw = await rawPredictions('xgb', ref.input_with_nan);
    assert.ok(maxAbsDiff(raw, ref.predictions.xgb_regressor_with_nan) <= TREE_TOLERANCE);
  });

  test('XGBoost classifier: probabilities[1] within 1e-5 of predict_proba[:, 1]', async () => {
    const raw = await rawPredictions('xgb_classifier');
    assert.ok(maxAbsDiff(raw, ref.predictions.xgb_classifier_probability) <= TREE_TOLERANCE);
  });

  test('int64 label output (BigInt64Array) becomes numbers equal to XGBClassifier.predict', async () => {
    assert.equal(loaded.get('xgb_labels')?.members[0].plan.output.type, 'int64');
    const raw = await rawPredictions('xgb_labels');
    assert.deepEqual(Array.from(raw), ref.predictions.xgb_classifier_label);
  });

  test('ridge (LinearRegressor, float32 input): within 1e-6 of Ridge.predict', async () => {
    const raw = await rawPredictions('ridge');
    assert.ok(maxAbsDiff(raw, ref.predictions.ridge) <= LINEAR_TOLERANCE, `max abs error ${maxAbsDiff(raw, ref.predictions.ridge)}`);
  });

  test('ridge with a double input is fed float64 and matches to 1e-6', async () => {
    assert.equal(loaded.get('ridge_double')?.members[0].plan.inputType, 'float64');
    const raw = await rawPredictions('ridge_double');
    assert.ok(maxAbsDiff(raw, ref.predictions.ridge) <= LINEAR_TOLERANCE);
  });

  test('ridge with an int8 input is fed int8 and matches to 1e-6', async () => {
    assert.equal(loaded.get('ridge_int8')?.members[0].plan.inputType, 'int8');
    const raw = await rawPredictions('ridge_int8');
    assert.ok(maxAbsDiff(raw, ref.predictions.ridge) <= LINEAR_TOLERANCE);
  });

  test('a fixed batch dimension ([4, F]) is fed in padded batches of 4 and matches', async () => {
    assert.equal(loaded.get('ridge_batch4')?.members[0].plan.fixedBatch, 4);
    // 199 rows: the last batch holds 3 real rows and one row of padding.
    const raw = await rawPredictions('ridge_batch4', ref.input.slice(0, 199));
    assert.ok(maxAbsDiff(raw, ref.predictions.ridge.slice(0, 199)) <= LINEAR_TOLERANCE);
  });

  test('logistic regression (zipmap=False): the positive column by default, within 1e-6 of predict_proba', async () => {
    assert.deepEqual(loaded.get('logistic')?.members[0].plan.output, { name: 'output_probability', type: 'float32', column: 1, columns: 2 });
    const raw = await rawPredictions('logistic');
    assert.ok(maxAbsDiff(raw, ref.predictions.logistic_probability) <= LINEAR_TOLERANCE);
  });

  test('a ZipMap model works when its tensor output is chosen (the ZipMap is never fetched)', async () => {
    const raw = await rawPredictions('zipmap_labels');
    assert.deepEqual(Array.from(raw), ref.predictions.logistic_label);
  });
});

describe('batching', () => {
  test('batches of more than 50 rows give exactly the predictions of one batch', async () => {
    for (const name of ['xgb', 'xgb_classifier', 'ridge_int8', 'logistic']) {
      const whole = await rawPredictions(name, ref.input, ref.input.length);
      for (const batchRows of [70, 128, 199]) {
        assert.deepEqual(await rawPredictions(name, ref.input, batchRows), whole, `${name}, batches of ${batchRows}`);
      }
    }
  });

  test('tiny batches stay within float32 rounding of one batch (onnxruntime takes other kernels for a few rows)', async () => {
    for (const name of ['xgb', 'ridge', 'ridge_double', 'logistic']) {
      const whole = await rawPredictions(name, ref.input, ref.input.length);
      for (const batchRows of [1, 7]) {
        const batched = await rawPredictions(name, ref.input, batchRows);
        assert.ok(maxAbsDiff(batched, whole) <= 1e-6, `${name}, batches of ${batchRows}: ${maxAbsDiff(batched, whole)}`);
      }
    }
  });
});
