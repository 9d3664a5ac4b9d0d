/**
 * The export recipes of docs/export.md that Debian's packages can run (XGBoost, scikit-learn, PyTorch): each
 * script trains on Numerai-shaped data, exports ONNX, writes model.yml and checks the file against the library's
 * own predictions with compare.mjs. Then the engine predicts the same rows independently, and the CLI's `predict`
 * (against the sandbox) and `check` take the folders as they were written.
 *
 * The recipes need /usr/bin/python3 (or $PYTHON) with the libraries. Where one is missing, the recipe is skipped,
 * except under CI=true, where .ci/run installs them and a missing library fails the test.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { loadModels, openModel } from '../../src/models/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { REAL_FEATURE_COUNT, syntheticFeaturesJson } from '../../src/sandbox/synthetic/feature-names.js';
import { maxAbsDiff, tableFrom } from '../models/helpers.js';
import { instantClock, ROOT } from '../pipeline/sandbox-harness.js';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const IN_CI = process.env.CI === 'true';
const LIVE_ROWS = 200;
// The suite runs test files side by side on a shared machine: one thread each for OpenMP (XGBoost, PyTorch) and
// BLAS (scikit-learn, numpy) keeps the recipes from crowding out timing-sensitive tests.
const ONE_THREAD = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

const RECIPES = [
  { script: 'xgboost_regressor.py', model: 'my_xgb', packages: 'python3-xgboost python3-onnx' },
  { script: 'sklearn_ridge.py', model: 'my_ridge', packages: 'python3-sklearn python3-onnx' },
  { script: 'pytorch_mlp.py', model: 'my_net', packages: 'python3-torch' },
] as const;

interface RecipeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  missing?: string;
}

interface Reference {
  model: string;
  tolerance: number;
  rows: (number | null)[][];
  library: number[];
}

let dir: string;
let sandbox: Sandbox;
const features = syntheticFeaturesJson(REAL_FEATURE_COUNT);
const runs = new Map<string, RecipeRun>();

function runRecipe(script: string, model: string): Promise<RecipeRun> {
  const args = [join(ROOT, 'examples', 'export', script), '--models-dir', join(dir, 'models'), '--features-json', join(dir, 'features.json')];
  args.push('--reference', join(dir, `${model}.json`));
  return new Promise((resolve) => {
    execFile(PYTHON, args, { cwd: dir, timeout: 600_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...ONE_THREAD } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const noModule = /ModuleNotFoundError: No module named '([^']+)'/.exec(stderr)?.[1];
      const noPython = error && (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${PYTHON} itself` : undefined;
      resolve({ code, stdout, stderr, missing: noModule ?? noPython });
    });
  });
}

/** The recipe's run, or a skip (a failure under CI) when Python or a library is not installed. */
function ranOrSkip(t: TestContext, recipe: (typeof RECIPES)[number]): RecipeRun | undefined {
  const run = runs.get(recipe.model)!;
  if (run.missing) {
    const why = `${recipe.script} needs ${run.missing} (Debian: apt-get install ${recipe.packages})`;
    if (IN_CI) assert.fail(`${why}; .ci/run installs it, so CI must not miss it`);
    t.skip(why);
    return undefined;
  }
  assert.equal(run.code, 0, `${recipe.script} failed:\n${run.stdout}\n${run.stderr}`);
  return run;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'export-recipes-'));
  writeFileSync(join(dir, 'features.json'), JSON.stringify(features));
  // One run per script (PyTorch's import alone takes seconds), one after the other.
  for (const { script, model } of RECIPES) runs.set(model, await runRecipe(script, model));
  sandbox = await startSandbox({ rows: LIVE_ROWS });
});

after(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export recipes', () => {
  for (const recipe of RECIPES) {
    test(`${recipe.script}: exports, writes model.yml, and matches the library within its tolerance`, async (t) => {
      const run = ranOrSkip(t, recipe);
      if (!run) return;
      const printed = /largest difference between the library and the ONNX file over (\d+) rows: (\S+) .*: ok$/m.exec(run.stdout);
      assert.ok(printed, `the largest difference is printed:\n${run.stdout}`);
      const reference = JSON.parse(readFileSync(join(dir, `${recipe.model}.json`), 'utf8')) as Reference;
      assert.equal(Number(printed[1]), reference.rows.length);
      assert.ok(Number(printed[2]) <= reference.tolerance);

      // The engine, not compare.mjs: the folder as written, predicted on the same rows (raw member output).
      const [loaded] = await loadModels(join(dir, 'models'), { only: [recipe.model] });
      assert.ok(loaded?.ok, `${recipe.model} loads: ${JSON.stringify(loaded)}`);
      const names = features.feature_sets.small;
      const model = await openModel(loaded.model);
      try {
        const [raw] = await model.predictMembers(tableFrom(reference.rows, names), names);
        assert.ok(maxAbsDiff(raw!, reference.library) <= reference.tolerance, `engine vs library: ${maxAbsDiff(raw!, reference.library)}`);
      } finally {
        await model.release();
      }
    });
  }

  test('the CLI predicts with the folders the recipes wrote (sandbox, no keys), then checks them against features.json', async (t) => {
    // The recipes that ran (a missing library fails its own test above under CI, and skips it elsewhere).
    const written = RECIPES.filter((recipe) => runs.get(recipe.model)?.code === 0);
    if (written.length === 0) {
      if (IN_CI) assert.fail('no export recipe ran');
      t.skip('no export recipe ran (see the tests above)');
      return;
    }
    const io = { stdout: '', stderr: '' };
    const cli = (argv: string[]) =>
      runCli(argv, {
        env: {},
        cwd: dir,
        stdout: { write: (text: string) => (io.stdout += text) },
        stderr: { write: (text: string) => (io.stderr += text) },
        clock: instantClock,
      });
    const common = ['--models-dir', join(dir, 'models'), '--models', written.map((r) => r.model).join(','), '--data-dir', join(dir, 'data')];
    const predicted = await cli(['predict', '--api-url', sandbox.url, ...common, '--output-dir', join(dir, 'out'), '--json']);
    assert.equal(predicted, 0, io.stderr);
    const report = JSON.parse(io.stdout) as { models: { model: string; status: string; rows?: number; csvPath?: string }[] };
    assert.deepEqual(report.models.map((m) => m.model).sort(), written.map((r) => r.model).sort());
    for (const entry of report.models) {
      assert.equal(entry.rows, LIVE_ROWS, entry.model);
      assert.equal(readFileSync(entry.csvPath!, 'utf8').trim().split('\n').length, LIVE_ROWS + 1, entry.model);
    }

    io.stdout = '';
    assert.equal(await cli(['check', ...common, '--json']), 0, io.stdout + io.stderr);
    assert.doesNotMatch(io.stdout, /feature names not checked/, 'the stored features.json was found and used');
  });
});
