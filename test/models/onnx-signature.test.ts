import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModels, predict } from '../../src/models/index.js';
import { checkModelsFolder } from '../../src/models/check.js';
import { openSession, readSignature } from '../../src/models/onnx-session.js';
import { readOnnxSignature } from '../../src/models/onnx-signature.js';
import { linearOnnx } from '../pipeline/onnx-builder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every ONNX file the repository holds: the example models and the test fixtures, exported by real libraries. */
async function committedModels(): Promise<string[]> {
  const files: string[] = [];
  for (const folder of ['models', path.join('test', 'fixtures', 'models')]) {
    for (const entry of (await readdir(path.join(root, folder), { recursive: true })) as string[]) {
      if (entry.endsWith('.onnx')) files.push(path.join(folder, entry));
    }
  }
  return files.sort();
}

async function onnxruntimeSignature(bytes: Uint8Array) {
  const session = await openSession(bytes);
  try {
    return readSignature(session);
  } finally {
    await session.release();
  }
}

describe('readOnnxSignature', () => {
  test('reads what onnxruntime reports, for every ONNX file in the repository', async () => {
    const files = await committedModels();
    assert.ok(files.length >= 10, `expected the fixtures, found ${files.join(', ')}`);
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(path.join(root, file)));
      assert.deepEqual(readOnnxSignature(bytes), await onnxruntimeSignature(bytes), file);
    }
  });

  test('leaves out graph inputs that an initializer feeds, as onnxruntime does (IR version 3 files list them)', async () => {
    const bytes = linearOnnx([0.5, 0.25, 1], { weightsAsInput: true });
    const signature = readOnnxSignature(bytes);
    assert.deepEqual(signature, await onnxruntimeSignature(bytes));
    assert.deepEqual(signature.inputs, [{ name: 'float_input', isTensor: true, type: 'float32', shape: [null, 3] }]);
  });

  test('says where bytes that are not an ONNX model stop being one', () => {
    const good = linearOnnx([1, 2, 3]);
    assert.throws(() => readOnnxSignature(good.subarray(0, 40)), /runs past the end/);
    assert.throws(() => readOnnxSignature(new TextEncoder().encode('this is not an ONNX protobuf')), /wire type|past the end|no graph|field number 0/);
    assert.throws(() => readOnnxSignature(new Uint8Array(0)), /no graph/);
    assert.throws(() => readOnnxSignature(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\n')));
  });
});

describe('a file that parses but onnxruntime cannot run', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'onnx-signature-'));
    await mkdir(path.join(dir, 'odd_op'));
    await writeFile(path.join(dir, 'odd_op', 'model.yml'), 'dataset: v5.2\nfeatures: [feature_a, feature_b]\nonnx: model.onnx\n');
    await writeFile(path.join(dir, 'odd_op', 'model.onnx'), linearOnnx([1, 2], { op: 'NoSuchOperator' }));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('loads for a run (no session is opened) and fails when it predicts, naming the model and the file', async () => {
    const [result] = await loadModels(dir);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const table = { ids: ['a'], columns: ['feature_a', 'feature_b'], rows: 1, values: new Float32Array([1, 2]), source: 'test' };
    await assert.rejects(predict(result.model, table, ['feature_a', 'feature_b']), (error: Error) => {
      assert.match(error.message, /odd_op/);
      assert.match(error.message, /model\.onnx: onnxruntime cannot load it: .*NoSuchOperator/);
      return true;
    });
  });

  test('fails `check`, which opens every file with onnxruntime', async () => {
    const report = await checkModelsFolder(dir);
    const [model] = report.models;
    assert.equal(model.ok, false);
    assert.match(JSON.stringify(model), /is not a valid ONNX model that onnxruntime can load: .*NoSuchOperator/);
  });
});
