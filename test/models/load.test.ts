/**
 * Loading the models folder: every problem is reported, each naming its file and field and saying what would be
 * valid; one bad model never prevents loading the others.
 */
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  loadModelOrThrow,
  loadModels,
  ModelConfigError,
  ModelsFolderError,
  resolveFeatures,
  type ModelConfigIssue,
  type ModelLoadResult,
} from '../../src/models/index.js';
import { FIXTURES, addModel, fixtureFeaturesJson, reference, tempModelsDir, type Reference } from './helpers.js';

let ref: Reference;
let models: { dir: string; dispose: () => Promise<void> };
before(async () => {
  ref = await reference();
  models = await tempModelsDir();
});
after(() => models.dispose());

/** A fresh folder per test: name → the single model under test. */
async function loadOne(name: string, manifest: string, files: Record<string, string> = {}): Promise<ModelLoadResult> {
  const dir = path.join(models.dir, name);
  await mkdir(dir);
  await addModel(dir, name, manifest, files);
  const [result] = await loadModels(dir);
  assert.equal(result.name, name);
  return result;
}

function errorsOf(result: ModelLoadResult): ModelConfigIssue[] {
  assert.equal(result.ok, false, 'the model should fail to load');
  return result.ok ? [] : result.errors;
}

function findIssue(issues: ModelConfigIssue[], field: string | null, pattern: RegExp): ModelConfigIssue {
  const found = issues.find((i) => i.field === field && pattern.test(i.message));
  assert.ok(found, `expected an issue on ${field} matching ${pattern}; got:\n${issues.map((i) => `${i.field}: ${i.message}`).join('\n')}`);
  return found;
}

const GOOD = 'dataset: v5.2\nfeatures: small\nonnx: model.onnx\n';

describe('a valid model', () => {
  test('loads with defaults filled in and its ONNX signature read', async () => {
    const result = await loadOne('good', GOOD, { 'model.onnx': 'xgb_regressor.onnx' });
    assert.ok(result.ok);
    const model = result.model;
    assert.equal(model.dataset, 'v5.2');
    assert.deepEqual(model.features, { kind: 'set', name: 'small' });
    assert.equal(model.postprocess, 'rank');
    assert.equal(model.tournament, 'classic');
    assert.equal(model.enabled, true);
    assert.equal(model.fillMissing, null);
    assert.equal(model.members.length, 1);
    assert.equal(model.members[0].weight, 1);
    assert.deepEqual(
      { ...model.members[0].plan },
      { inputName: 'float_input', inputType: 'float32', width: 42, fixedBatch: null, output: { name: 'variable', type: 'float32', column: null, columns: 1 } },
    );
  });

  test('an ensemble has its weights normalised; string members weigh 1', async () => {
    const result = await loadOne(
      'ensemble',
      'dataset: v5.2\nfeatures: small\nonnx:\n  - {file: a.onnx, weight: 3}\n  - b.onnx\n',
      { 'a.onnx': 'xgb_regressor.onnx', 'b.onnx': 'ridge.onnx' },
    );
    assert.ok(result.ok);
    assert.deepEqual(result.model.members.map((m) => m.weight), [0.75, 0.25]);
    assert.equal(result.model.ensemble, true);
  });

  test('resolveFeatures gives the feature set in its features.json order', async () => {
    const result = await loadOne('resolve', GOOD, { 'model.onnx': 'ridge.onnx' });
    assert.ok(result.ok);
    assert.deepEqual(resolveFeatures(result.model, fixtureFeaturesJson(ref)), { ok: true, features: ref.features });
  });
});

describe('manifest problems', () => {
  test('schema errors: every one reported with its field and what is valid', async () => {
    const result = await loadOne(
      'schema',
      [
        'dataset: 5.2',
        'features: []',
        'onnx:',
        '  - {file: model.onnx, weight: heavy}',
        'postprocess: ranked',
        'tournament: signals',
        'enabled: yes',
        'outptu: variable',
      ].join('\n'),
      { 'model.onnx': 'ridge.onnx' },
    );
    const issues = errorsOf(result);
    for (const issue of issues) assert.equal(issue.file, path.join(models.dir, 'schema', 'schema', 'model.yml'));
    findIssue(issues, 'dataset', /dataset version .*v5\.2.*got number 5\.2/);
    findIssue(issues, 'features', /must not be empty/);
    findIssue(issues, 'onnx[0].weight', /must be a number.*got "heavy"/);
    findIssue(issues, 'postprocess', /rank \(default\), clip or none \(got "ranked"\)/);
    findIssue(issues, 'tournament', /classic.*got "signals"/);
    findIssue(issues, 'enabled', /true or false \(got "yes"\)/);
    findIssue(issues, 'outptu', /not a known field \(did you mean "output"\?\); valid fields: dataset, features, onnx/);
  });

  test('missing required fields are named', async () => {
    const issues = errorsOf(await loadOne('required', 'postprocess: rank\n'));
    findIssue(issues, 'dataset', /is required/);
    findIssue(issues, 'features', /is required: a feature set/);
    findIssue(issues, 'onnx', /is required: an ONNX file name/);
  });

  test('invalid YAML gives the line and column', async () => {
    const issues = errorsOf(await loadOne('yaml', 'dataset: v5.2\nfeatures: [small\nonnx: model.onnx\n'));
    findIssue(issues, null, /is not valid YAML: .* at line \d+, column \d+/);
  });

  test('an empty model.yml says which fields it needs', async () => {
    findIssue(errorsOf(await loadOne('empty', '')), null, /is empty.*dataset, features and onnx/);
  });

  test('a folder without model.yml is reported, not skipped', async () => {
    const dir = path.join(models.dir, 'nomanifest');
    await mkdir(path.join(dir, 'lonely'), { recursive: true });
    const [result] = await loadModels(dir);
    assert.equal(result.ok, false);
    assert.equal(result.manifestPath, null);
    findIssue(errorsOf(result), null, /has no model\.yml/);
  });

  test('output selectors: bad syntax and a column on a [N, 1] output', async () => {
    findIssue(errorsOf(await loadOne('outsyntax', `${GOOD}output: "probabilities[one]"\n`, { 'model.onnx': 'xgb_classifier.onnx' })), 'output', /e\.g\. "variable" or "probabilities\[1\]"/);
    findIssue(
      errorsOf(await loadOne('outcolumn', `${GOOD}output: probabilities[2]\n`, { 'model.onnx': 'xgb_classifier.onnx' })),
      'output',
      /has 2 columns.*column 2 does not exist \(valid: 0 to 1\)/,
    );
    findIssue(errorsOf(await loadOne('outname', `${GOOD}output: prediction\n`, { 'model.onnx': 'ridge.onnx' })), 'output', /no output "prediction"; outputs: "variable" \(float32 \[N, 1\]\)/);
  });
});

describe('output forms', () => {
  test('output as a mapping {name, column}, and a per-member output whose problem names its field', async () => {
    const mapping = await loadOne('outmap', `${GOOD}output: {name: probabilities, column: 0}\n`, { 'model.onnx': 'xgb_classifier.onnx' });
    assert.ok(mapping.ok);
    assert.deepEqual(mapping.model.members[0].plan.output, { name: 'probabilities', type: 'float32', column: 0, columns: 2 });

    const member = await loadOne(
      'outmember',
      'dataset: v5.2\nfeatures: small\nonnx:\n  - {file: a.onnx}\n  - {file: b.onnx, output: "probabilities[5]"}\n',
      { 'a.onnx': 'ridge.onnx', 'b.onnx': 'xgb_classifier.onnx' },
    );
    findIssue(errorsOf(member), 'onnx[1].output', /b\.onnx: output "probabilities" has 2 columns/);
  });

  test('fill_missing must be a number', async () => {
    findIssue(errorsOf(await loadOne('fill', `${GOOD}fill_missing: middle\n`, { 'model.onnx': 'ridge.onnx' })), 'fill_missing', /must be the number fed to the model/);
  });

  test('engine is auto by default, or onnxruntime; anything else says what is valid', async () => {
    const auto = await loadOne('auto', GOOD, { 'model.onnx': 'ridge.onnx' });
    assert.ok(auto.ok);
    assert.equal(auto.model.engine, 'auto');
    const forced = await loadOne('forced', `${GOOD}engine: onnxruntime\n`, { 'model.onnx': 'ridge.onnx' });
    assert.ok(forced.ok);
    assert.equal(forced.model.engine, 'onnxruntime');
    findIssue(errorsOf(await loadOne('fast', `${GOOD}engine: trees\n`, { 'model.onnx': 'ridge.onnx' })), 'engine', /must be auto \(default: .*\) or onnxruntime \(every file\) \(got "trees"\)/);
  });
});

describe('ONNX file problems', () => {
  test('a missing file names the file and lists the ONNX files that are there', async () => {
    const result = await loadOne('missing', 'dataset: v5.2\nfeatures: small\nonnx: modle.onnx\n', { 'model.onnx': 'ridge.onnx' });
    const issue = findIssue(errorsOf(result), 'onnx', /file not found; ONNX files in .*: model\.onnx/);
    assert.match(issue.file, /modle\.onnx$/);
  });

  test('an unreadable (not ONNX) file', async () => {
    const dir = path.join(models.dir, 'garbage');
    await mkdir(dir);
    await addModel(dir, 'garbage', GOOD);
    await writeFile(path.join(dir, 'garbage', 'model.onnx'), 'this is not a protobuf');
    const [result] = await loadModels(dir);
    findIssue(errorsOf(result), 'onnx', /is not a valid ONNX model: /);
  });

  test('a Git LFS pointer in place of the ONNX file says to check out with lfs: true', async () => {
    const dir = path.join(models.dir, 'lfs');
    await mkdir(dir);
    await addModel(dir, 'pointer', GOOD);
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 980910\n';
    await writeFile(path.join(dir, 'pointer', 'model.onnx'), pointer);
    const [result] = await loadModels(dir);
    const issue = findIssue(errorsOf(result), 'onnx', /is a Git LFS pointer, not the ONNX file: .*Check out with `lfs: true`/);
    assert.doesNotMatch(issue.message, /protobuf/);
  });

  test('a path escaping the models folder, directly or through a symbolic link', async () => {
    const issues = errorsOf(
      await loadOne('escape', 'dataset: v5.2\nfeatures: small\nonnx:\n  - file: ../../outside.onnx\n  - file: /etc/passwd\n'),
    );
    findIssue(issues, 'onnx[0].file', /"\.\.\/\.\.\/outside\.onnx" resolves outside the models folder/);
    findIssue(issues, 'onnx[1].file', /"\/etc\/passwd" resolves outside the models folder/);

    const dir = path.join(models.dir, 'symlinked');
    await mkdir(dir);
    const folder = await addModel(dir, 'linked', GOOD);
    await symlink(path.join(FIXTURES, 'ridge.onnx'), path.join(folder, 'model.onnx'));
    const [result] = await loadModels(dir);
    findIssue(errorsOf(result), 'onnx', /resolves outside the models folder .*symbolic link/);
  });

  test('an unsupported input type lists the supported ones', async () => {
    const issues = errorsOf(await loadOne('int32', GOOD, { 'model.onnx': 'ridge_int32.onnx' }));
    const issue = findIssue(issues, 'onnx', /input "float_input" has element type int32; supported: float32, float64, int8/);
    assert.match(issue.file, /model\.onnx$/);
  });

  test('a ZipMap output with no tensor output chosen is explained', async () => {
    const issues = errorsOf(await loadOne('zipmap', GOOD, { 'model.onnx': 'logistic_zipmap.onnx' }));
    findIssue(issues, 'onnx', /non-tensor output \("output_probability", a ZipMap\).*zipmap=False.*or set output: output_label/);
  });

  test('choosing the ZipMap output itself is refused with the tensor alternatives', async () => {
    const issues = errorsOf(await loadOne('zipmapchosen', `${GOOD}output: output_probability\n`, { 'model.onnx': 'logistic_zipmap.onnx' }));
    findIssue(issues, 'output', /"output_probability" is not a tensor \(a ZipMap\).*choose a tensor output: "output_label" \(int64 \[N\]\)/);
  });

  test('a ZipMap model loads when a tensor output is chosen', async () => {
    const result = await loadOne('zipmaplabel', `${GOOD}output: output_label\n`, { 'model.onnx': 'logistic_zipmap.onnx' });
    assert.ok(result.ok);
    assert.equal(result.model.members[0].plan.output.name, 'output_label');
  });
});

describe('widths and weights', () => {
  test('input width ≠ length of an explicit feature list (offline)', async () => {
    const list = ref.features.slice(0, 40).map((f) => `  - ${f}`).join('\n');
    const issues = errorsOf(await loadOne('width', `dataset: v5.2\nfeatures:\n${list}\nonnx: model.onnx\n`, { 'model.onnx': 'xgb_regressor.onnx' }));
    const issue = findIssue(issues, 'onnx', /model input "float_input" takes 42 features per row, but features in .* lists 40/);
    assert.match(issue.file, /model\.onnx$/);
  });

  test('input width ≠ size of the feature set (against features.json)', async () => {
    const result = await loadOne('widthset', 'dataset: v5.2\nfeatures: all\nonnx: model.onnx\n', { 'model.onnx': 'ridge.onnx' });
    assert.ok(result.ok);
    const resolved = resolveFeatures(result.model, fixtureFeaturesJson(ref));
    assert.equal(resolved.ok, false);
    findIssue(resolved.ok ? [] : resolved.errors, 'onnx', /takes 42 features per row, but the feature set "all" of v5\.2\/features\.json has 45/);
  });

  test('ensemble members of different widths', async () => {
    const dir = path.join(models.dir, 'mixed');
    await mkdir(dir);
    const folder = await addModel(dir, 'mixed', 'dataset: v5.2\nfeatures: medium\nonnx: [a.onnx, b.onnx]\n', { 'a.onnx': 'ridge.onnx' });
    const { copyFile } = await import('node:fs/promises');
    await copyFile(path.resolve('models/example_gbt/model.onnx'), path.join(folder, 'b.onnx'));
    const [result] = await loadModels(dir);
    findIssue(errorsOf(result), 'onnx[1]', /takes 780 features per row, but .*a\.onnx takes 42/);
  });

  test('weights that do not sum to a positive number', async () => {
    const issues = errorsOf(
      await loadOne('weights', 'dataset: v5.2\nfeatures: small\nonnx:\n  - {file: a.onnx, weight: 0.5}\n  - {file: b.onnx, weight: -0.5}\n', {
        'a.onnx': 'ridge.onnx',
        'b.onnx': 'ridge.onnx',
      }),
    );
    findIssue(issues, 'onnx', /weights \(0\.5, -0\.5\) sum to 0; they must sum to a positive number/);
  });

  test('unknown feature set and unknown feature names (against features.json)', async () => {
    const set = await loadOne('badset', 'dataset: v5.2\nfeatures: larg\nonnx: model.onnx\n', { 'model.onnx': 'ridge.onnx' });
    assert.ok(set.ok);
    const setResult = resolveFeatures(set.model, fixtureFeaturesJson(ref));
    findIssue(setResult.ok ? [] : setResult.errors, 'features', /"larg" is not a feature set of v5\.2\/features\.json; valid: small, all/);

    const names = [...ref.features.slice(0, 41), 'feature_not_there'];
    const list = await loadOne('badnames', `dataset: v5.2\nfeatures: ${JSON.stringify(names)}\nonnx: model.onnx\n`, { 'model.onnx': 'ridge.onnx' });
    assert.ok(list.ok);
    const listResult = resolveFeatures(list.model, fixtureFeaturesJson(ref));
    const issue = findIssue(listResult.ok ? [] : listResult.errors, 'features[41]', /"feature_not_there" is not a feature of v5\.2\/features\.json/);
    assert.match(issue.file, /model\.yml$/);
  });

  test('several problems of one model are all reported together', async () => {
    const issues = errorsOf(
      await loadOne('many', 'dataset: v5.2\nfeatures: small\npostprocess: sigmoid\nonnx:\n  - {file: gone.onnx, weight: 1}\n  - {file: z.onnx, weight: 1}\n', {
        'z.onnx': 'ridge_int32.onnx',
      }),
    );
    findIssue(issues, 'postprocess', /got "sigmoid"/);
    findIssue(issues, 'onnx[0].file', /file not found/);
    findIssue(issues, 'onnx[1].file', /element type int32/);
  });
});

describe('the folder', () => {
  test('one bad model never prevents loading the others; results are sorted by name', async () => {
    const dir = path.join(models.dir, 'isolation');
    await mkdir(dir);
    await addModel(dir, 'b_good', GOOD, { 'model.onnx': 'ridge.onnx' });
    await addModel(dir, 'a_bad', 'dataset: v5.2\nfeatures: small\nonnx: nothing.onnx\n');
    await addModel(dir, 'c_zipmap', GOOD, { 'model.onnx': 'logistic_zipmap.onnx' });
    await mkdir(path.join(dir, '.hidden'));
    await writeFile(path.join(dir, 'README.md'), 'not a model');
    const results = await loadModels(dir);
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [['a_bad', false], ['b_good', true], ['c_zipmap', false]]);
  });

  test('only: loads the named models and reports names without a folder', async () => {
    const dir = path.join(models.dir, 'isolation');
    const results = await loadModels(dir, { only: ['b_good', 'd_typo'] });
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [['b_good', true], ['d_typo', false]]);
    findIssue(errorsOf(results[1]), null, /no such model folder; the models folder has: a_bad, b_good, c_zipmap/);
  });

  test('a disabled model is still validated and says it is disabled', async () => {
    const result = await loadOne('disabled', `${GOOD}enabled: false\n`, { 'model.onnx': 'ridge.onnx' });
    assert.ok(result.ok);
    assert.equal(result.enabled, false);
  });

  test('a missing models folder is one clear error', async () => {
    await assert.rejects(loadModels(path.join(models.dir, 'no-such-folder')), (error: unknown) => {
      assert.ok(error instanceof ModelsFolderError);
      assert.equal(error.errorClass, 'ConfigError');
      assert.match(error.message, /no-such-folder does not exist; it should hold one folder per model/);
      return true;
    });
  });

  test('loadModelOrThrow throws a ModelConfigError carrying every issue', async () => {
    const dir = path.join(models.dir, 'throwing');
    await mkdir(dir);
    await addModel(dir, 'broken', 'dataset: v5\nfeatures: small\nonnx: x.onnx\npostprocess: sigmoid\n');
    await assert.rejects(loadModelOrThrow(dir, 'broken'), (error: unknown) => {
      assert.ok(error instanceof ModelConfigError);
      assert.equal(error.errorClass, 'ConfigError');
      assert.equal(error.issues.length, 2);
      assert.match(error.message, /model broken has 2 configuration problems/);
      assert.match(error.message, /model\.yml: postprocess: must be rank/);
      return true;
    });
  });
});
