import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cli, EXAMPLE_NAMES, statusOf, workspace } from './sandbox-harness.js';
import { linearOnnx } from './onnx-builder.js';

const ROUND = 1180;

describe('a whole round against the sandbox', () => {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({ rows: 240, seed: 11, round: { number: ROUND, state: 'open' } });
    await sandbox.ready();
  });
  after(() => sandbox.close());
  beforeEach(() => {
    sandbox.clearFaults();
    sandbox.setRound('open', ROUND);
    for (const name of EXAMPLE_NAMES) sandbox.removeSubmission(name, ROUND);
  });

  const roundSubmissions = (name: string) => sandbox.submissions(name).filter((submission) => submission.round === ROUND);
  const requestsSince = (start: number) => sandbox.requests.slice(start);

  test('happy path: every example model submitted once, CSVs and report written', async () => {
    const ws = workspace();
    const run = await cli(sandbox, ws, 'submit');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.report.totals, { submitted: 3, skipped: 0, failed: 0, 'dry-run': 0 });
    const liveIds = sandbox.liveIds('v5.2');
    for (const model of run.report.models) {
      const recorded = roundSubmissions(model.model);
      assert.equal(recorded.length, 1);
      assert.equal(recorded[0].id, model.submissionId);
      assert.equal(recorded[0].rows, liveIds.length);
      assert.equal(model.rows, liveIds.length);
      assert.ok(model.stats!.std > 0.2 && model.stats!.min > 0 && model.stats!.max < 1);
      assert.equal(Buffer.from(recorded[0].bytes).toString('utf8'), readFileSync(model.csvPath!, 'utf8'));
    }
    assert.deepEqual(JSON.parse(readFileSync(join(ws.outputDir, 'report.json'), 'utf8')), run.report);
    assert.deepEqual(
      run.report.datasets.map((use) => `${use.file}:${use.source}`),
      ['v5.2/features.json:download', 'v5.2/live.parquet:download'],
    );
  });

  test('a rerun skips every model and downloads no dataset', async () => {
    const ws = workspace();
    await cli(sandbox, ws, 'submit');
    rmSync(ws.dataDir, { recursive: true });
    const start = sandbox.requests.length;
    const rerun = await cli(sandbox, ws, 'submit');
    assert.equal(rerun.code, 0);
    assert.deepEqual(statusOf(rerun.report), { example_ensemble: 'skipped', example_gbt: 'skipped', example_linear: 'skipped' });
    const operations = requestsSince(start).map((request) => request.operation);
    assert.ok(!operations.includes('dataset') && !operations.includes('download'), operations.join(','));
    for (const name of EXAMPLE_NAMES) assert.equal(roundSubmissions(name).length, 1);
  });

  test('a partial earlier submission: only the missing model uploads', async () => {
    const ws = workspace();
    await cli(sandbox, ws, 'submit');
    sandbox.removeSubmission('example_gbt', ROUND);
    const start = sandbox.requests.length;
    const rerun = await cli(sandbox, ws, 'submit');
    assert.deepEqual(statusOf(rerun.report), { example_ensemble: 'skipped', example_gbt: 'submitted', example_linear: 'skipped' });
    assert.equal(requestsSince(start).filter((request) => request.operation === 'create_submission').length, 1);
    // The stored data of the round is reused: nothing downloaded again.
    assert.ok(rerun.report.datasets.every((use) => use.source === 'store'));
  });

  for (const closedShape of ['null', 'error'] as const) {
    test(`no open round (${closedShape === 'null' ? 'rounds: [null]' : '"Current round not open"'}): a notice, success, nothing downloaded`, async () => {
      sandbox.setRound('closed', ROUND, { closedShape });
      const start = sandbox.requests.length;
      const run = await cli(sandbox, workspace(), 'submit');
      assert.equal(run.code, 0);
      assert.equal(run.report.round, null);
      assert.deepEqual(run.report.models, []);
      assert.match(run.stderr, /notice: No classic round is open for submissions: nothing to do\./);
      // Only the round, and the look-back at earlier rounds (account, submissions): nothing downloaded or uploaded.
      assert.deepEqual([...new Set(requestsSince(start).map((request) => request.operation))].sort(), ['account', 'rounds', 'submissions']);
      assert.deepEqual(run.report.recentRounds?.models.map((m) => m.model).sort(), [...EXAMPLE_NAMES].sort());
    });
  }

  test('late window: a warning, and the models are submitted (late)', async () => {
    sandbox.setRound('late', ROUND);
    const run = await cli(sandbox, workspace(), 'submit');
    assert.equal(run.code, 0);
    assert.equal(run.report.late, true);
    assert.match(run.stderr, /warning: Round 1180 closed for on-time submissions at .*: submissions now are late/);
    assert.equal(run.report.totals.submitted, 3);
    assert.ok(EXAMPLE_NAMES.every((name) => roundSubmissions(name)[0].late));
  });

  test('a bad manifest in one of three models fails that model only', async () => {
    const ws = workspace({ copyModels: true });
    writeFileSync(join(ws.modelsDir, 'example_gbt', 'model.yml'), 'dataset: v5.2\nfeatures: medium\nonnx: model.onnx\npostprocess: sigmoid\n');
    const run = await cli(sandbox, ws, 'submit');
    assert.equal(run.code, 1);
    const bad = run.report.models.find((model) => model.model === 'example_gbt')!;
    assert.equal(bad.status, 'failed');
    assert.equal(bad.errorClass, 'ConfigError');
    assert.equal(bad.stage, 'config');
    assert.match(bad.message!, /example_gbt\/model\.yml: postprocess: must be rank .*clip or none \(got "sigmoid"\)/);
    assert.deepEqual(statusOf(run.report), { example_ensemble: 'submitted', example_gbt: 'failed', example_linear: 'submitted' });
  });

  test('a model missing from the account fails with the account\'s classic model names', async () => {
    const ws = workspace({ copyModels: true });
    writeFileSync(join(ws.modelsDir, '..', 'unused'), '');
    const { cpSync } = await import('node:fs');
    cpSync(join(ws.modelsDir, 'example_linear'), join(ws.modelsDir, 'my_new_model'), { recursive: true });
    const run = await cli(sandbox, ws, 'submit');
    assert.equal(run.code, 1);
    const missing = run.report.models.find((model) => model.model === 'my_new_model')!;
    assert.equal(missing.errorClass, 'AccountError');
    assert.match(missing.message!, /^model my_new_model is not among this account's classic models: .*example_ensemble, example_gbt, example_linear/);
    assert.equal(run.report.totals.submitted, 3);
  });

  test('a model whose output is NaN or constant fails before anything is uploaded', async () => {
    const ws = workspace({ copyModels: true });
    const { mkdirSync } = await import('node:fs');
    // Tiny models on the 42 `small` features: one has a NaN weight, one all-zero weights (a constant output).
    for (const [name, weights] of [
      ['example_linear', Array.from({ length: 42 }, (_, i) => (i === 3 ? Number.NaN : 0.1))],
      ['example_gbt', Array.from({ length: 42 }, () => 0)],
    ] as const) {
      rmSync(join(ws.modelsDir, name), { recursive: true });
      mkdirSync(join(ws.modelsDir, name));
      writeFileSync(join(ws.modelsDir, name, 'model.onnx'), linearOnnx(weights));
      // fill_missing: the live file's missing values must not be what makes the output NaN.
      writeFileSync(join(ws.modelsDir, name, 'model.yml'), 'dataset: v5.2\nfeatures: small\nonnx: model.onnx\nfill_missing: 2\n');
    }
    const start = sandbox.requests.length;
    const run = await cli(sandbox, ws, 'submit');
    assert.equal(run.code, 1);
    const byName = Object.fromEntries(run.report.models.map((model) => [model.model, model]));
    assert.equal(byName.example_linear.errorClass, 'ModelError');
    assert.match(byName.example_linear.message!, /NaN/);
    assert.equal(byName.example_gbt.errorClass, 'PredictionError');
    assert.equal(byName.example_gbt.stage, 'validate');
    assert.match(byName.example_gbt.message!, /standard deviation/);
    assert.equal(byName.example_ensemble.status, 'submitted');
    assert.equal(requestsSince(start).filter((request) => request.operation === 'submission_upload_auth').length, 1);
  });

  test('Numerai rejecting an upload fails that model as SubmissionRejected; the others go on', async () => {
    sandbox.inject('create_submission', { kind: 'graphql-400', message: 'invalid_submission_ids: Not enough stocks submitted. Are you using the latest live ids or live universe?', times: 1 });
    const run = await cli(sandbox, workspace(), 'submit');
    assert.equal(run.code, 1);
    const rejected = run.report.models.find((model) => model.status === 'failed')!;
    assert.equal(rejected.model, 'example_ensemble');
    assert.equal(rejected.errorClass, 'SubmissionRejected');
    assert.equal(rejected.stage, 'upload');
    assert.match(rejected.message!, /Not enough stocks submitted/);
    assert.equal(run.report.totals.submitted, 2);
  });

  test('a transient fault at every stage is retried and recovered, and nothing is submitted twice', async () => {
    for (const operation of ['rounds', 'account', 'submissions', 'dataset', 'download', 'submission_upload_auth', 'upload', 'create_submission']) {
      sandbox.inject(operation, { kind: 'http', status: 503, times: 1 });
    }
    sandbox.inject('download', { kind: 'reset', times: 1 });
    const start = sandbox.requests.length;
    const run = await cli(sandbox, workspace(), 'submit');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.report.totals.submitted, 3);
    const faulted = new Set(requestsSince(start).filter((request) => request.fault).map((request) => request.operation));
    assert.deepEqual([...faulted].sort(), ['account', 'create_submission', 'dataset', 'download', 'rounds', 'submission_upload_auth', 'submissions', 'upload']);
    for (const name of EXAMPLE_NAMES) assert.equal(roundSubmissions(name).length, 1, name);
    assert.match(run.stderr, /warning: rounds: attempt 1 failed/);
  });

  test('"applied but response lost": the server is asked, and exactly one submission is recorded', async () => {
    sandbox.inject('create_submission', { kind: 'applied-response-lost', times: 1 });
    const start = sandbox.requests.length;
    const run = await cli(sandbox, workspace(), 'submit', ['--models', 'example_gbt']);
    assert.equal(run.code, 0, run.stderr);
    const [model] = run.report.models;
    assert.equal(model.status, 'submitted');
    assert.equal(model.uploadAttempts, 1);
    const recorded = roundSubmissions('example_gbt');
    assert.equal(recorded.length, 1);
    assert.equal(model.submissionId, recorded[0].id);
    assert.equal(requestsSince(start).filter((request) => request.operation === 'create_submission').length, 1);
    assert.match(run.stderr, /asking Numerai whether the submission landed/);
  });

  test('the canary secret appears in no output: stdout, stderr, report, CSVs', async () => {
    const secret = sandbox.credentials.secretKey;
    const ws = workspace();
    sandbox.inject('create_submission', { kind: 'graphql-400', message: `refused: Token ${sandbox.credentials.publicId}$${secret}`, times: 1 });
    const ok = await cli(sandbox, ws, 'submit', ['--force']);
    const wrong = await cli(sandbox, workspace(), 'submit', [], { NUMERAI_SECRET_KEY: `${secret}-CANARY` });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.report.error?.errorClass, 'AccountError');
    for (const run of [ok, wrong]) {
      for (const text of [run.stdout, run.stderr, run.outputs]) {
        assert.ok(!text.includes(secret), 'the secret key leaked');
      }
    }
    assert.match(ok.stdout, /refused: Token \S+\$\*\*\*/);
  });
});
