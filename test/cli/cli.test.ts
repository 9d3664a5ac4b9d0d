import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCommandLine, UsageError } from '../../src/cli/args.js';
import { runCli } from '../../src/cli/main.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { REAL_FEATURE_COUNT, syntheticFeaturesJson } from '../../src/sandbox/synthetic/feature-names.js';
import { writeSyntheticDataset } from '../../src/sandbox/synthetic/generate.js';
import { cli, EXAMPLE_MODELS, EXAMPLE_NAMES, instantClock, workspace } from '../pipeline/sandbox-harness.js';

async function capture(argv: string[], env: Record<string, string> = {}, cwd = workspace().root) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    clock: instantClock,
  });
  return { code, stdout, stderr };
}

const KEYS = { NUMERAI_PUBLIC_ID: 'PUBLIC', NUMERAI_SECRET_KEY: 'SECRET' };

describe('usage', () => {
  test('--help on every command, and the main help', async () => {
    const main = await capture(['--help']);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /Usage: numerai-autopilot <command>/);
    for (const command of ['submit', 'plan', 'predict', 'check']) {
      const help = await capture([command, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`^Usage: numerai-autopilot ${command} \\[options\\]`));
      assert.match(help.stdout, /--models-dir <dir>/);
      assert.equal(help.stderr, '');
    }
    assert.match((await capture(['submit', '--help'])).stdout, /--dry-run[\s\S]*--json/);
    assert.doesNotMatch((await capture(['check', '--help'])).stdout, /--api-url/);
    assert.match((await capture(['scores', '--help'])).stdout, /^Usage: numerai-autopilot scores \[options\][\s\S]*--models <names>[\s\S]*--rounds <n>[\s\S]*--json/);
  });

  const wrong: [string[], RegExp, Record<string, string>?][] = [
    [['frobnicate'], /^numerai-autopilot: unknown command "frobnicate": expected one of submit, plan, predict, check, init, scores, sandbox, webhook\n$/],
    [['predict', '--live', 'x.parquet'], /^numerai-autopilot: predict: --live goes with --offline/],
    [['predict', '--offline', '--live', 'nope.parquet', '--features-json', 'nope.json'], /^numerai-autopilot: predict: --live nope\.parquet: no such file\n$/],
    [['predict', '--offline', '--api-url', 'https://x'], /^numerai-autopilot: predict: --offline talks to no API and reads no keys: drop --api-url\n$/],
    [['check', '--features-json', 'nope.json'], /^numerai-autopilot: check: --features-json nope\.json: no such file\n$/],
    [['--force'], /^numerai-autopilot: expected a command before --force/],
    [['submit', '--bogus'], /^numerai-autopilot: submit: unknown option --bogus \(see numerai-autopilot submit --help\)\n$/, KEYS],
    [['submit', 'extra'], /^numerai-autopilot: submit: unexpected argument "extra"/, KEYS],
    [['check', '--api-url', 'http://x'], /^numerai-autopilot: check: unknown option --api-url/],
    [['scores'], /^numerai-autopilot: scores: NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY are not set/],
    [['submit', '--models-dir'], /^numerai-autopilot: submit: .*--models-dir/, KEYS],
    [['submit', '--models', 'a,,b'], /^numerai-autopilot: submit: --models has an empty name/, KEYS],
    [['submit', '--api-url', 'http://api-tournament.numer.ai'], /^numerai-autopilot: submit: --api-url "http:\/\/api-tournament\.numer\.ai" would send the secret key unencrypted: use https:\/\/, or http:\/\/ only to localhost, 127\.0\.0\.1 or \[::1\] \(a sandbox\)\n$/, KEYS],
    [['submit', '--api-url', 'ftp://host'], /^numerai-autopilot: submit: --api-url "ftp:\/\/host" is not an http\(s\) URL\n$/, KEYS],
    [['submit'], /^numerai-autopilot: submit: NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY are not set \(environment or \.env file\)\n$/],
    [['plan'], /^numerai-autopilot: plan: NUMERAI_SECRET_KEY is not set/, { NUMERAI_PUBLIC_ID: 'P' }],
    [['predict', '--threads', 'many'], /^numerai-autopilot: predict: --threads "many" is not a thread count; give auto or a whole number 1–256\n$/],
    [['predict', '--env-file', 'nope.env'], /^numerai-autopilot: --env-file nope\.env: no such file\n$/],
  ];
  for (const [argv, message, env] of wrong) {
    test(`wrong usage: ${argv.join(' ')} → one line and exit 2`, async () => {
      const result = await capture(argv, env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split('\n').length, 2, 'one line');
      assert.equal(result.stdout, '');
    });
  }

  test('keys lose their surrounding whitespace, as in the action (a trailing newline from a file or a paste)', () => {
    const { root } = workspace();
    writeFileSync(join(root, '.env'), 'NUMERAI_PUBLIC_ID=" from_file "\n');
    const parsed = parseCommandLine(['submit'], { env: { NUMERAI_SECRET_KEY: '  env_secret\n' }, cwd: root });
    assert.ok(parsed.kind === 'run');
    assert.equal(parsed.settings.publicId, 'from_file');
    assert.equal(parsed.settings.secretKey, 'env_secret');
  });

  test('keys come from the environment, else from .env; the environment wins', () => {
    const { root } = workspace();
    writeFileSync(join(root, '.env'), 'NUMERAI_PUBLIC_ID=from_file\nNUMERAI_SECRET_KEY="file secret"\n');
    const fromFile = parseCommandLine(['submit'], { env: {}, cwd: root });
    assert.ok(fromFile.kind === 'run');
    assert.equal(fromFile.settings.publicId, 'from_file');
    assert.equal(fromFile.settings.secretKey, 'file secret');
    const fromEnv = parseCommandLine(['submit'], { env: { NUMERAI_SECRET_KEY: 'env secret' }, cwd: root });
    assert.ok(fromEnv.kind === 'run');
    assert.equal(fromEnv.settings.secretKey, 'env secret');
    writeFileSync(join(root, 'other.env'), 'NUMERAI_PUBLIC_ID=other\nNUMERAI_SECRET_KEY=s\nNUMERAI_API_URL=http://127.0.0.1:1/\n');
    const other = parseCommandLine(['plan', '--env-file', 'other.env'], { env: {}, cwd: root });
    assert.ok(other.kind === 'run');
    assert.equal(other.settings.publicId, 'other');
    assert.equal(other.settings.apiUrl, 'http://127.0.0.1:1/');
  });

  test('flags become settings; predict is a forced dry run; --models splits on commas', () => {
    const parsed = parseCommandLine(['predict', '--models', 'a,b', '--models', 'c', '--models-dir', 'm', '--data-dir', 'd', '--output-dir', 'o', '--threads', '2'], { env: {}, cwd: '/w' });
    assert.ok(parsed.kind === 'run');
    assert.equal(parsed.settings.threads, 2);
    assert.deepEqual(parsed.settings.models, ['a', 'b', 'c']);
    assert.equal(parsed.settings.modelsDir, '/w/m');
    assert.equal(parsed.settings.dataDir, '/w/d');
    assert.equal(parsed.settings.outputDir, '/w/o');
    assert.equal(parsed.settings.dryRun, true);
    assert.equal(parsed.settings.force, true);
    const submit = parseCommandLine(['submit', '--dry-run'], { env: {}, cwd: '/w' });
    assert.ok(submit.kind === 'run' && submit.settings.dryRun && !submit.settings.force);
    assert.throws(() => parseCommandLine(['submit', '--json=yes'], { env: KEYS, cwd: '/w' }), UsageError);
  });
});

describe('commands against the sandbox', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ rows: 120, seed: 3, round: { number: 700, state: 'open' } });
    await sandbox.ready();
  });
  after(() => sandbox.close());

  test('plan --json lists what submit would do, downloading nothing', async () => {
    const ws = workspace();
    const start = sandbox.requests.length;
    const first = await cli(sandbox, ws, 'plan');
    assert.equal(first.code, 0);
    const plan = first.report as unknown as { round: number; pending: string[]; skipped: string[] };
    assert.equal(plan.round, 700);
    assert.deepEqual(plan.pending, EXAMPLE_NAMES);
    assert.ok(!sandbox.requests.slice(start).some((request) => request.operation === 'download'));
    await cli(sandbox, ws, 'submit', ['--models', 'example_gbt']);
    const second = (await cli(sandbox, ws, 'plan')).report as unknown as { pending: string[]; skipped: string[] };
    assert.deepEqual(second.pending, ['example_ensemble', 'example_linear']);
    assert.deepEqual(second.skipped, ['example_gbt']);
    for (const name of EXAMPLE_NAMES) sandbox.removeSubmission(name, 700);
  });

  test('predict writes the CSVs and uploads nothing, even without keys', async () => {
    const ws = workspace();
    const start = sandbox.requests.length;
    const run = await cli(sandbox, ws, 'predict', [], { NUMERAI_PUBLIC_ID: '', NUMERAI_SECRET_KEY: '' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.report.totals['dry-run'], 3);
    for (const model of run.report.models) assert.match(readFileSync(model.csvPath!, 'utf8'), /^id,prediction\n/);
    const operations = sandbox.requests.slice(start).map((request) => request.operation);
    assert.ok(!operations.some((operation) => ['upload', 'create_submission', 'account'].includes(operation)), operations.join(','));
  });

  test('plan with keys Numerai refuses: no model is reported as one that would run', async () => {
    const ws = workspace();
    const refused = { NUMERAI_PUBLIC_ID: 'PUBLICIDTHATNUMERAIREFUSES', NUMERAI_SECRET_KEY: 'SECRETKEYTHATNUMERAIREFUSES' };
    const json = await cli(sandbox, ws, 'plan', [], refused);
    assert.equal(json.code, 1);
    const plan = json.report as unknown as { pending: string[]; notPlanned: string[]; error: { errorClass: string } };
    assert.deepEqual(plan.pending, []);
    assert.deepEqual(plan.notPlanned, EXAMPLE_NAMES);
    assert.equal(plan.error.errorClass, 'AccountError');
    const table = await capture(['plan', '--api-url', sandbox.url, '--models-dir', ws.modelsDir], refused, ws.root);
    assert.equal(table.code, 1);
    assert.doesNotMatch(table.stdout, /\bsubmit\b/);
    assert.match(table.stdout, /example_gbt +not planned +v5\.2 +not planned: could not list the account's models/);
  });

  test('"Round N is open" names both the on-time deadline and the close', async () => {
    const run = await cli(sandbox, workspace(), 'plan');
    const round = sandbox.round();
    assert.ok(
      run.stderr.includes(
        `Round 700 is open: submissions are on time until ${new Date(round.closeStakingTime).toISOString()}, ` +
          `and the round closes at ${new Date(round.closeTime).toISOString()}.`,
      ),
      run.stderr,
    );
  });

  test('a model managed by Numerai Model Uploads is explained at plan, before any download', async () => {
    const ws = workspace({ copyModels: true });
    cpSync(join(ws.modelsDir, 'example_linear'), join(ws.modelsDir, 'example_model_upload'), { recursive: true });
    const start = sandbox.requests.length;
    const run = await cli(sandbox, ws, 'submit', ['--models', 'example_model_upload', '--dry-run']);
    assert.equal(run.code, 1);
    const [model] = run.report.models;
    assert.equal(model.status, 'failed');
    assert.equal(model.stage, 'plan');
    assert.match(model.message!, /model example_model_upload is managed by Numerai Model Uploads: .*refuses API submissions/);
    assert.ok(!sandbox.requests.slice(start).some((request) => request.operation === 'download'));
  });

  test('postprocess: none with predictions outside (0, 1) says to use rank or clip', async () => {
    const ws = workspace({ copyModels: true });
    writeFileSync(join(ws.modelsDir, 'example_linear', 'model.yml'), 'dataset: v5.2\nfeatures: all\nonnx: model.onnx\nfill_missing: 2\npostprocess: none\n');
    const run = await cli(sandbox, ws, 'predict', ['--models', 'example_linear']);
    const [model] = run.report.models;
    assert.equal(model.status, 'failed', JSON.stringify(model.stats));
    assert.match(model.message!, /predictions break Numerai's rules: .*model\.yml has postprocess: none and the predictions run from .* to .*: set postprocess: rank .* or clip/);
  });

  test('a dataset version Numerai does not serve fails the model with the versions it does serve', async () => {
    const ws = workspace({ copyModels: true });
    writeFileSync(join(ws.modelsDir, 'example_linear', 'model.yml'), 'dataset: v9.9\nfeatures: all\nonnx: model.onnx\n');
    const run = await cli(sandbox, ws, 'predict', ['--models', 'example_linear,example_gbt']);
    assert.equal(run.code, 1);
    const [gbt, linear] = run.report.models;
    assert.equal(gbt.status, 'dry-run', 'the other model goes on');
    assert.equal(linear.status, 'failed');
    assert.equal(linear.errorClass, 'DataError');
    assert.match(linear.message!, /v9\.9\/features\.json: .*Dataset not found.*Numerai serves features\.json for round 700 in v5\.2, v5\.3: set dataset: in model\.yml to a version Numerai serves/);
  });

  test('submit prints a table and the report path without --json', async () => {
    const ws = workspace();
    const run = await capture(
      ['submit', '--dry-run', '--api-url', sandbox.url, '--models-dir', ws.modelsDir, '--models', 'example_linear', '--data-dir', ws.dataDir, '--output-dir', ws.outputDir],
      { NUMERAI_PUBLIC_ID: sandbox.credentials.publicId, NUMERAI_SECRET_KEY: sandbox.credentials.secretKey },
      ws.root,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Round 700, dry run\n\nMODEL +STATUS +STAGE +ROWS +MEAN +STD +MIN +MAX +TIME +DETAIL\n/);
    assert.match(run.stdout, /\nexample_linear +dry-run +validate +120 +0\.5000 /);
    assert.match(run.stdout, /0 submitted, 0 skipped, 1 dry-run, 0 failed\.\nReport: .*report\.json\n$/);
    assert.match(run.stderr, /Downloading v5\.2\/live\.parquet for round 700\./);
  });

  test('check validates the models folder, and the feature names once a features.json is stored', async () => {
    const ws = workspace({ copyModels: true });
    const offline = await capture(['check', '--models-dir', ws.modelsDir, '--data-dir', ws.dataDir]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /feature names not checked: no v5\.2\/features\.json at hand/);
    await cli(sandbox, ws, 'predict', ['--models', 'example_linear']);
    const checked = await capture(['check', '--models-dir', ws.modelsDir, '--data-dir', ws.dataDir, '--json']);
    const report = JSON.parse(checked.stdout) as { ok: boolean; models: { name: string; featureCount: number }[] };
    assert.equal(report.ok, true);
    assert.deepEqual(report.models.map((model) => model.featureCount), [42, 780, 2748]);
    writeFileSync(join(ws.modelsDir, 'example_gbt', 'model.yml'), 'dataset: v5.2\nfeatures: huge\nonnx: model.onnx\n');
    const bad = await capture(['check', '--models-dir', ws.modelsDir, '--data-dir', ws.dataDir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAILED example_gbt[\s\S]*"huge" is not a feature set of v5\.2\/features\.json/);
    const empty = join(ws.root, 'empty');
    mkdirSync(empty);
    assert.equal((await capture(['check', '--models-dir', empty])).code, 1);
    const missing = await capture(['check', '--models-dir', join(ws.root, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /models folder .*nope does not exist/);
    assert.ok(!existsSync(join(ws.root, 'numerai-output')));
  });

  test('check --features-json checks against that file; a corrupt or invalid features.json fails the check', async () => {
    const ws = workspace({ copyModels: true });
    const given = join(ws.root, 'features.json');
    writeFileSync(given, JSON.stringify(syntheticFeaturesJson(REAL_FEATURE_COUNT)));
    const checked = await capture(['check', '--models-dir', ws.modelsDir, '--features-json', given, '--json']);
    assert.equal(checked.code, 0, checked.stderr);
    assert.deepEqual((JSON.parse(checked.stdout) as { models: { featureCount: number }[] }).models.map((m) => m.featureCount), [42, 780, 2748]);

    writeFileSync(given, '{"feature_sets": {"small": ["a", "a"]}, "targets": []}');
    const invalid = await capture(['check', '--models-dir', ws.modelsDir, '--features-json', given]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /features\.json: not a Numerai features\.json: feature_sets\.small lists the same name twice/);

    // A stored copy that is there but cannot be read is not passed over as if it were missing.
    const stored = join(ws.dataDir, '8', 'v5.2', '3', 'features.json');
    mkdirSync(dirname(stored), { recursive: true });
    writeFileSync(stored, '{"feature_sets": {');
    const corrupt = await capture(['check', '--models-dir', ws.modelsDir, '--data-dir', ws.dataDir]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /v5\.2\/3\/features\.json: not valid JSON/);
  });

  test('predict --offline --live --features-json: no keys, no account, no API; the files are left as they were', async () => {
    const ws = workspace();
    const data = await writeSyntheticDataset(join(ws.root, 'files'), { seed: 3, rows: 50 });
    const before = readFileSync(data.livePath);
    const run = await capture(
      ['predict', '--offline', '--live', data.livePath, '--features-json', data.featuresJsonPath, '--models-dir', EXAMPLE_MODELS, '--output-dir', ws.outputDir, '--json'],
      KEYS,
      ws.root,
    );
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { round: number; models: { model: string; status: string; rows: number }[] };
    assert.equal(report.round, 0);
    assert.deepEqual(report.models.map((m) => [m.model, m.status, m.rows]), EXAMPLE_NAMES.map((name) => [name, 'dry-run', 50]));
    assert.match(run.stderr, /Offline: predicting on .*live\.parquet with .*features\.json; no API, no keys, nothing uploaded\./);
    assert.ok(readFileSync(data.livePath).equals(before));
  });
});
