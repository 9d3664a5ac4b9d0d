/**
 * The tree kernel (src/models/tree-ensemble.ts, tree-kernel.ts, tree-threads.ts) against onnxruntime itself, on
 * the same files and rows: every prediction must be onnxruntime's to the bit (onnxruntime on one intra-op thread,
 * which sums each row's trees in order, as the kernel does), on one thread or several, from plain or shared memory;
 * and what the kernel declines must say why and still run, in onnxruntime.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { FeatureTable } from '../../src/data/table.js';
import { loadModels, openModel, resolveFeatures } from '../../src/models/index.js';
import { compileTreeEnsemble, type CompiledTrees } from '../../src/models/tree-ensemble.js';
import { TreeMember } from '../../src/models/members.js';
import type { MemberPlan } from '../../src/models/signature-check.js';
import type { TreeJob } from '../../src/models/tree-kernel.js';
import { TreeWorkerPool, runTrees } from '../../src/models/tree-threads.js';
import { FIXTURES, addModel, fixtureFeaturesJson, reference, tempModelsDir } from './helpers.js';

const VALUES = [0, 0.25, 0.5, 0.75, 1];

/** `rows` rows of Numerai-like values (and NaN in about one cell of `nanEvery`), in plain or shared memory. */
function randomTable(rows: number, width: number, seed: number, nanEvery: number, shared = false): FeatureTable {
  const values = new Float32Array(shared ? new SharedArrayBuffer(4 * rows * width) : new ArrayBuffer(4 * rows * width));
  let state = seed >>> 0;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state % nanEvery === 0 ? NaN : VALUES[(state >>> 8) % VALUES.length];
  }
  return { ids: Array.from({ length: rows }, (_, r) => `n${r}`), columns: Array.from({ length: width }, (_, j) => `f${j}`), rows, values };
}

const identity = (width: number) => Int32Array.from({ length: width }, (_, j) => j);

async function onnxruntime(bytes: Uint8Array, values: Float32Array, rows: number, width: number): Promise<Float32Array> {
  const session = await InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const input = new Float32Array(values); // a private copy: Node 20's Node-API refuses shared memory
    const outputs = await session.run({ [session.inputNames[0]]: new Tensor('float32', input, [rows, width]) });
    return outputs[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

function compiled(bytes: Uint8Array): CompiledTrees {
  const result = compileTreeEnsemble(bytes, 'float_input', 'variable');
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.trees;
}

function assertBitIdentical(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let r = 0; r < expected.length; r++) {
    if (!Object.is(actual[r], expected[r])) assert.fail(`${what}: row ${r} is ${actual[r]}, onnxruntime ${expected[r]}`);
  }
}

describe('the tree kernel', () => {
  test('follows onnxruntime to the bit on every rule: LT and LEQ, equality, NaN both ways, early leaves, tree order', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const trees = compiled(bytes);
    assert.equal(trees.treeCount, 60);
    assert.ok(trees.slotNanBelow.includes(1) && trees.slotNanBelow.includes(0), 'NaN goes both ways somewhere');
    // 1,000 rows: 15 full blocks and a short one; NaN in one cell of 7.
    const table = randomTable(1000, 6, 1, 7);
    const expected = await onnxruntime(bytes, table.values, table.rows, 6);
    for (const threads of [1, 2, 3]) {
      assertBitIdentical(await runTrees(trees, table, identity(6), null, threads), expected, `${threads} threads`);
    }
    const shared = randomTable(1000, 6, 1, 7, true);
    assertBitIdentical(await runTrees(trees, shared, identity(6), null, 2), expected, 'from shared memory');
  });

  test('takes deep trees with early leaves, filled out to five times their leaves, and follows onnxruntime on them to the bit', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_deep.onnx'));
    const trees = compiled(bytes);
    assert.equal(trees.treeCount, 20);
    // 1,819 leaves in the file (scripts/fixtures/tree_semantics_models.py), 9,226 once the trees are complete.
    assert.equal(trees.leaves.length, 9226);
    const table = randomTable(1000, 6, 8, 7);
    const expected = await onnxruntime(bytes, table.values, table.rows, 6);
    for (const threads of [1, 2]) assertBitIdentical(await runTrees(trees, table, identity(6), null, threads), expected, `${threads} threads`);
  });

  test('follows onnxruntime to the bit on the layouts onnxmltools writes for LightGBM: an Identity after, chunks summed in double', async () => {
    for (const [file, chunks] of [['trees_lightgbm.onnx', 1], ['trees_lightgbm_split.onnx', 3]] as const) {
      const bytes = await readFile(path.join(FIXTURES, file));
      const trees = compiled(bytes);
      assert.equal(trees.chunkEnds.length, chunks, file);
      const table = randomTable(1000, 6, 9, 7);
      const expected = await onnxruntime(bytes, table.values, table.rows, 6);
      for (const threads of [1, 3]) assertBitIdentical(await runTrees(trees, table, identity(6), null, threads), expected, `${file}, ${threads} threads`);
    }
  });

  test('reads numbers packed into one field, as proto3 writers put them, as it reads them one field per value', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_packed.onnx'));
    const trees = compiled(bytes);
    assert.equal(trees.treeCount, 20);
    const table = randomTable(1000, 6, 10, 7);
    assertBitIdentical(await runTrees(trees, table, identity(6), null, 2), await onnxruntime(bytes, table.values, table.rows, 6), 'packed');
  });

  test('replaces NaN by the fill value before any split, as the ONNX path does', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const table = randomTable(300, 6, 2, 5);
    const filled = table.values.map((v) => (Number.isNaN(v) ? 0.5 : v));
    const expected = await onnxruntime(bytes, filled, table.rows, 6);
    assertBitIdentical(await runTrees(compiled(bytes), table, identity(6), 0.5, 2), expected, 'filled with 0.5');
  });

  test('reads the model columns from wherever the table holds them', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const wide = randomTable(200, 9, 3, 11);
    // The model's column j is the table's column order[j].
    const order = Int32Array.from([8, 0, 4, 2, 7, 5]);
    const gathered = new Float32Array(200 * 6);
    for (let r = 0; r < 200; r++) for (let j = 0; j < 6; j++) gathered[r * 6 + j] = wide.values[r * 9 + order[j]];
    const expected = await onnxruntime(bytes, gathered, 200, 6);
    assertBitIdentical(await runTrees(compiled(bytes), wide, order, null, 2), expected, 'gathered columns');
  });

  test('matches onnxruntime on the XGBoost fixture (600 trees, onnxmltools layout) to the bit', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'xgb_regressor.onnx'));
    const session = await InferenceSession.create(bytes);
    const width = session.inputMetadata[0].isTensor ? Number(session.inputMetadata[0].shape[1]) : 0;
    await session.release();
    const table = randomTable(2000, width, 4, 13);
    const expected = await onnxruntime(bytes, table.values, table.rows, width);
    assertBitIdentical(await runTrees(compiled(bytes), table, identity(width), null, 2), expected, 'xgb_regressor');
  });

  test('declines what it does not evaluate exactly, saying why', async () => {
    const reasons: Record<string, RegExp> = {
      'trees_unbalanced.onnx': /too unbalanced to fill out \(1024 leaves against 11\)/,
      'trees_gt.onnx': /BRANCH_GT splits/,
      'xgb_classifier.onnx': /TreeEnsembleClassifier/,
      'ridge.onnx': /LinearRegressor/,
      'ridge_double.onnx': /its output is computed by ai.onnx Reshape, not by a tree ensemble/,
    };
    for (const [file, reason] of Object.entries(reasons)) {
      const bytes = await readFile(path.join(FIXTURES, file));
      const result = compileTreeEnsemble(bytes, 'float_input', file === 'xgb_classifier.onnx' ? 'probabilities' : 'variable');
      assert.equal(result.ok, false, file);
      assert.match(result.ok ? '' : result.reason, reason, file);
    }
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const renamed = compileTreeEnsemble(bytes, 'another_input', 'variable');
    assert.equal(renamed.ok, false);
    assert.match(renamed.ok ? '' : renamed.reason, /does not take the model input straight to the chosen output/);
    const cut = compileTreeEnsemble(bytes.subarray(0, 1000), 'float_input', 'variable');
    assert.equal(cut.ok, false);
    assert.match(cut.ok ? '' : cut.reason, /could not be read as a tree ensemble \(.*past the end/);
    const empty = compileTreeEnsemble(new Uint8Array(0), 'float_input', 'variable');
    assert.deepEqual(empty, { ok: false, reason: 'it holds no graph' });
  });

  test('declines a tree ensemble that breaks any one of its rules (scripts/fixtures/tree_semantics_models.py)', async () => {
    const reasons: Record<string, RegExp> = {
      attribute_named_twice: /an attribute is named twice \(nodes_hitrates, nodes_values\)/,
      average: /does not sum its trees/,
      cycle: /tree 0 is not a tree \(a node is reached twice\)/,
      duplicate_attribute: /its tree ensemble has two attributes n_targets/,
      duplicate_node: /node 1 of tree 0 appears twice/,
      infinite_threshold: /a split of tree 0 has the threshold Infinity/,
      interleaved: /its trees' nodes are interleaved/,
      missing_child: /a split of tree 0 points to a node the tree does not have/,
      negative_feature: /a split reads feature \d{19}/,
      negative_node_id: /a node of tree 0 has the id \d{19}/,
      float_sum: /its output is computed by ai\.onnx Sum, not by a tree ensemble/,
      extra_node: /its graph has 1 node besides its tree ensembles/,
      output_twice: /its graph computes variable twice/,
      output_is_input: /its graph does not compute variable from the input/,
      cast_used_twice: /its graph uses what ai\.onnx Cast computes twice/,
      cast_without_sum: /its output is computed by ai\.onnx\.ml TreeEnsembleRegressor, not by a sum of tree ensembles/,
      empty_sum: /its output is computed by ai\.onnx Sum, not by a sum of tree ensembles/,
      sum_of_uncast: /its sum adds what ai\.onnx\.ml TreeEnsembleRegressor computes, not a tree ensemble cast to double/,
      too_deep: /tree 0 is deeper than 24/,
      many_modes: /an attribute of its tree ensemble holds more than 256 different strings/,
      long_walk: /its leaves sit too far above its trees' depth for the tree kernel to be faster \(it would walk 1\.33× their mean depth\)/,
      no_nodes: /has no nodes/,
      other_target: /a leaf weight is for another target than 0/,
      post_transform: /has a post-transform/,
      short_list: /nodes_values has 2 entries for 3 nodes/,
      short_missing_flags: /nodes_missing_value_tracks_true does not give one flag per node/,
      short_targets: /target_\* lists differ in length/,
      sparse_ids: /node ids are far from 0 to n − 1/,
      two_base_values: /several base values/,
      two_targets: /more than one target/,
      two_weights: /a leaf has more than one weight/,
      unknown_attribute: /has the attribute nodes_flavour/,
      unreachable_node: /tree 0 has nodes its root does not reach/,
      values_as_tensor: /gives nodes_values_as_tensor as a tensor/,
      weight_for_missing_node: /a weight is for node 7 of tree 0, which does not exist/,
    };
    const folder = path.join(FIXTURES, '..', 'trees-declined');
    const files = (await readdir(folder)).filter((file) => file.endsWith('.onnx')).sort();
    assert.deepEqual(files, Object.keys(reasons).map((name) => `${name}.onnx`).sort(), 'one reason per declined fixture');
    for (const [name, reason] of Object.entries(reasons)) {
      const result = compileTreeEnsemble(await readFile(path.join(folder, `${name}.onnx`)), 'float_input', 'variable');
      assert.equal(result.ok, false, name);
      assert.match(result.ok ? '' : result.reason, reason, name);
    }
  });

  test('a worker that dies fails its run with a clear error, and the next run starts another', { timeout: 30_000 }, async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const trees = compiled(bytes);
    const table = randomTable(1000, 6, 6, 7);
    const expected = await onnxruntime(bytes, table.values, table.rows, 6);
    const pool = new TreeWorkerPool();
    assertBitIdentical(await runTrees(trees, table, identity(6), null, 2, pool), expected, 'before');
    // The worker is still in the pool when the run is handed to it; it ends before answering.
    void pool.worker(0).terminate();
    await assert.rejects(runTrees(trees, table, identity(6), null, 2, pool), {
      name: 'TreeWorkerError',
      message: 'a tree worker exited (code 1) before finishing its rows',
    });
    assertBitIdentical(await runTrees(trees, table, identity(6), null, 2, pool), expected, 'after');
  });

  test('a job a worker cannot run fails with the worker\'s own error, and the same worker takes the next run', { timeout: 30_000 }, async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const trees = compiled(bytes);
    const table = randomTable(1000, 6, 6, 7);
    const pool = new TreeWorkerPool();
    const worker = pool.worker(0);
    await assert.rejects(pool.run(0, {} as TreeJob), { name: 'TreeWorkerError', message: /^a tree worker failed: TypeError: .*ensemble/ });
    assert.equal(pool.worker(0), worker, 'the worker outlived the failed job');
    assertBitIdentical(await runTrees(trees, table, identity(6), null, 2, pool), await onnxruntime(bytes, table.values, table.rows, 6), 'after');
  });

  test('a failure on the calling thread stops the workers and reaches the run as a ModelError naming the model and file', { timeout: 30_000 }, async () => {
    const bytes = await readFile(path.join(FIXTURES, 'trees_semantics.onnx'));
    const trees = compiled(bytes);
    const table = randomTable(5000, 6, 6, 7);
    const plan: MemberPlan = { inputName: 'float_input', inputType: 'float32', width: 6, fixedBatch: null, output: { name: 'variable', type: 'float32', column: null, columns: 1 } };
    // No leaf values: every thread's first block throws. The run must settle, not wait on the workers, and give the
    // calling thread's error (a worker's would read "a tree worker failed").
    const broken = new TreeMember({ ...trees, leaves: null as unknown as Float32Array }, plan, 3);
    const context = { model: 'my_model', file: 'models/my_model/model.onnx' };
    await assert.rejects(broken.run(table, table.columns, context, {}), (error: Error) => {
      assert.equal(error.name, 'ModelError');
      assert.match(error.message, /my_model.*models\/my_model\/model\.onnx: the tree evaluation failed: Cannot read properties of null/s);
      return true;
    });
    const raw = await new TreeMember(trees, plan, 3).run(table, table.columns, context, {});
    assertBitIdentical(Float32Array.from(raw), await onnxruntime(bytes, table.values, table.rows, 6), 'after');
  });

  test('the engine runs tree ensembles in the kernel and the rest in onnxruntime, or every file there when model.yml says so, with the same predictions', async () => {
    const ref = await reference();
    const models = await tempModelsDir();
    try {
      const base = 'dataset: v5.2\nfeatures: small\n';
      await addModel(models.dir, 'gbt', `${base}onnx: model.onnx\npostprocess: none\n`, { 'model.onnx': 'xgb_regressor.onnx' });
      await addModel(models.dir, 'ridge', `${base}onnx: model.onnx\npostprocess: none\n`, { 'model.onnx': 'ridge.onnx' });
      await addModel(models.dir, 'gbt_ort', `${base}onnx: model.onnx\npostprocess: none\nengine: onnxruntime\n`, { 'model.onnx': 'xgb_regressor.onnx' });
      const six = ref.features.slice(0, 6);
      await addModel(models.dir, 'lgbm', `dataset: v5.2\nfeatures: [${six.join(', ')}]\nonnx: model.onnx\npostprocess: none\n`, { 'model.onnx': 'trees_lightgbm_split.onnx' });
      const loaded = await loadModels(models.dir);
      const byName = new Map(loaded.map((result) => [result.name, result.ok ? result.model : undefined]));
      const gbt = byName.get('gbt')!;
      const resolved = resolveFeatures(gbt, fixtureFeaturesJson(ref));
      assert.ok(resolved.ok);
      const features = resolved.features;
      const table = randomTable(500, features.length, 5, 9);
      const named = { ...table, columns: features };
      const open = await openModel(gbt);
      const ridge = await openModel(byName.get('ridge')!);
      // One intra-op thread: onnxruntime then adds the trees in the file's order, as the kernel does.
      const forced = await openModel(byName.get('gbt_ort')!, { threads: 1 });
      try {
        assert.deepEqual(open.engines, ['trees']);
        assert.deepEqual(ridge.engines, ['onnxruntime']);
        assert.deepEqual(forced.engines, ['onnxruntime']);
        const [raw] = await open.predictMembers(named, features);
        const expected = await onnxruntime(await readFile(path.join(FIXTURES, 'xgb_regressor.onnx')), table.values, table.rows, features.length);
        assertBitIdentical(Float32Array.from(raw), expected, 'engine');
        const [fromSession] = await forced.predictMembers(named, features);
        assertBitIdentical(Float32Array.from(fromSession), expected, 'engine: onnxruntime');
        const lgbm = await openModel(byName.get('lgbm')!);
        try {
          assert.deepEqual(lgbm.engines, ['trees']);
          const narrow = { ...randomTable(500, 6, 5, 9), columns: six };
          const [fromKernel] = await lgbm.predictMembers(narrow, six);
          const chunked = await onnxruntime(await readFile(path.join(FIXTURES, 'trees_lightgbm_split.onnx')), narrow.values, narrow.rows, 6);
          assertBitIdentical(Float32Array.from(fromKernel), chunked, 'LightGBM layout');
        } finally {
          await lgbm.release();
        }
      } finally {
        await open.release();
        await ridge.release();
        await forced.release();
      }
    } finally {
      await models.dispose();
    }
  });

  test('a model of any input width fed fewer columns than its trees read fails with the column it needs', async () => {
    const ref = await reference();
    const models = await tempModelsDir();
    try {
      const [a, b] = ref.features;
      await addModel(models.dir, 'narrow', `dataset: v5.2\nfeatures: [${a}, ${b}]\nonnx: model.onnx\npostprocess: none\n`, { 'model.onnx': 'trees_any_width.onnx' });
      const [loaded] = await loadModels(models.dir);
      assert.ok(loaded.ok, JSON.stringify(loaded));
      const open = await openModel(loaded.model);
      try {
        assert.deepEqual(open.engines, ['trees']);
        const table = { ...randomTable(10, 2, 7, 5), columns: [a, b] };
        await assert.rejects(open.predictMembers(table, [a, b]), (error: Error) => {
          assert.equal(error.name, 'ModelError');
          assert.match(error.message, /narrow.*model\.onnx.*its trees split on input column 5, but only 2 features were given/s);
          return true;
        });
      } finally {
        await open.release();
      }
    } finally {
      await models.dispose();
    }
  });
});
