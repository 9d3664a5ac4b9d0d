import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { LocalDatasetStore } from '../../src/store/local.js';
import { exitCodeFor } from '../../src/pipeline/report.js';
import { planCurrentRound, runPipeline, reportPath } from '../../src/pipeline/run.js';
import type { PipelineSettings } from '../../src/pipeline/settings.js';
import { FakeClock, FakeEngine, FakeNumerai, FakeNumeraiError, RecordingReporter, datasetFiles, settingsFor, workspace, type FakeModelSpec } from './fakes.js';

const NAMES = ['model_a', 'model_b', 'model_c'];

async function setup(options: { specs?: FakeModelSpec[]; account?: string[]; round?: number | null; settings?: Partial<PipelineSettings> } = {}) {
  const specs = options.specs ?? NAMES.map((name) => ({ name }));
  const dirs = await workspace(specs.map((spec) => spec.name));
  const numerai = new FakeNumerai({ round: options.round, models: options.account ?? specs.map((spec) => spec.name) });
  numerai.files = datasetFiles();
  const engine = new FakeEngine(specs);
  const reporter = new RecordingReporter();
  const clock = new FakeClock();
  const store = new LocalDatasetStore(dirs.dataDir);
  const settings = settingsFor(dirs, options.settings);
  const run = (overrides: Partial<PipelineSettings> = {}) => runPipeline({ ...settings, ...overrides }, { numerai, store, clock, reporter }, engine);
  return { dirs, numerai, engine, reporter, clock, store, settings, run };
}

describe('runPipeline', () => {
  test('submits every model, reading the live file once for the union of their columns', async () => {
    const specs = [{ name: 'model_a', features: ['feature_a'] }, { name: 'model_b', features: ['feature_c', 'feature_b'] }, { name: 'model_c' }];
    const { numerai, engine, run, settings } = await setup({ specs });
    const report = await run();
    assert.equal(exitCodeFor(report), 0);
    assert.deepEqual(report.totals, { submitted: 3, skipped: 0, failed: 0, 'dry-run': 0 });
    assert.equal(report.round, 500);
    for (const model of report.models) {
      assert.equal(model.status, 'submitted');
      assert.equal(model.stage, 'upload');
      assert.equal(model.rows, 5);
      assert.match(model.submissionId!, /^sub-/);
      assert.ok(model.stats && model.stats.std > 0 && model.stats.min > 0 && model.stats.max < 1);
      assert.equal(numerai.submissionsOf(model.model).length, 1);
    }
    assert.equal(engine.liveReads.length, 1);
    assert.deepEqual(engine.liveReads[0].columns, ['feature_a', 'feature_c', 'feature_b']);
    assert.equal(numerai.count('download'), 2);
    assert.deepEqual(
      report.datasets.map((use) => [use.file, use.source]),
      [
        ['v5.2/features.json', 'download'],
        ['v5.2/live.parquet', 'download'],
      ],
    );
    const csv = await readFile(report.models[0].csvPath!, 'utf8');
    assert.match(csv, /^id,prediction\nn000000000000000,/);
    const written = JSON.parse(await readFile(reportPath(settings), 'utf8'));
    assert.deepEqual(written, JSON.parse(JSON.stringify(report)));
  });

  test('a rerun skips every model and downloads nothing', async () => {
    const { numerai, run } = await setup();
    await run();
    const before = numerai.calls.length;
    const report = await run();
    const rerunCalls = numerai.calls.slice(before).map((call) => call.operation);
    assert.deepEqual(report.totals, { submitted: 0, skipped: 3, failed: 0, 'dry-run': 0 });
    assert.ok(!rerunCalls.includes('download') && !rerunCalls.includes('dataset') && !rerunCalls.includes('upload'));
    assert.deepEqual(report.datasets, []);
    for (const model of report.models) {
      assert.equal(model.reason, 'already submitted for round 500');
      assert.equal(model.submissionId, numerai.submissionsOf(model.model)[0]);
    }
  });

  test('the next round reuses nothing of the last: it downloads again and prunes the old round', async () => {
    const { numerai, run, dirs } = await setup();
    await run();
    numerai.round = { ...numerai.round!, number: 501 };
    const report = await run();
    assert.equal(report.totals.submitted, 3);
    assert.equal(numerai.count('download'), 4);
    await assert.rejects(stat(`${dirs.dataDir}/8/v5.2/500`));
  });

  test('force resubmits models that already have a submission', async () => {
    const { numerai, run } = await setup();
    await run();
    const report = await run({ force: true });
    assert.equal(report.totals.submitted, 3);
    for (const name of NAMES) assert.equal(numerai.submissionsOf(name).length, 2);
    assert.ok(report.datasets.every((use) => use.source === 'store'));
  });

  test('no open round: a notice, success, nothing downloaded', async () => {
    const { numerai, reporter, run } = await setup({ round: null });
    const report = await run();
    assert.equal(report.round, null);
    assert.deepEqual(report.models, []);
    assert.equal(exitCodeFor(report), 0);
    assert.match(reporter.at('notice')[0], /No classic round is open/);
    assert.deepEqual(numerai.calls.map((call) => call.operation), ['rounds']);
  });

  test('"Current round not open" from the API is the same as no open round', async () => {
    const { numerai, run } = await setup();
    numerai.before = (operation) => {
      if (operation === 'rounds') throw new FakeNumeraiError('not-open', 'rounds', 'Current round not open for submissions');
    };
    const report = await run();
    assert.equal(report.round, null);
    assert.equal(exitCodeFor(report), 0);
  });

  test('late window: a warning, and the models are still submitted', async () => {
    const { reporter, clock, run } = await setup();
    clock.current = new Date('2026-11-29T15:00:00Z');
    const report = await run();
    assert.equal(report.late, true);
    assert.equal(report.totals.submitted, 3);
    assert.match(reporter.at('warning')[0], /Round 500 closed for on-time submissions at 2026-11-29T14:00:00.000Z/);
  });

  test('a bad manifest fails that model only', async () => {
    const specs = [{ name: 'model_a' }, { name: 'model_b', errors: ['models/model_b/model.yml: field "postprocess": must be one of rank, clip, none'] }, { name: 'model_c' }];
    const { run } = await setup({ specs });
    const report = await run();
    const bad = report.models.find((model) => model.model === 'model_b')!;
    assert.equal(bad.status, 'failed');
    assert.equal(bad.stage, 'config');
    assert.equal(bad.errorClass, 'ConfigError');
    assert.match(bad.message!, /postprocess/);
    assert.equal(report.totals.submitted, 2);
    assert.equal(exitCodeFor(report), 1);
  });

  test('a disabled model is skipped, even with a broken manifest, unless asked for by name', async () => {
    const specs = [{ name: 'model_a' }, { name: 'model_b', enabled: false }, { name: 'model_c', enabled: false, errors: ['model.yml: onnx: file missing'] }];
    const { numerai, run } = await setup({ specs });
    const report = await run();
    assert.equal(exitCodeFor(report), 0);
    assert.deepEqual(
      report.models.map((model) => [model.model, model.status, model.reason]),
      [
        ['model_a', 'submitted', undefined],
        ['model_b', 'skipped', 'disabled in model.yml (enabled: false)'],
        ['model_c', 'skipped', 'disabled in model.yml (enabled: false)'],
      ],
    );
    const named = await run({ models: ['model_b'] });
    assert.equal(named.models[0].status, 'submitted');
    assert.equal(numerai.submissionsOf('model_b').length, 1);
  });

  test('a model missing from the account fails with the account\'s model names', async () => {
    const { run } = await setup({ account: ['model_a', 'model_c', 'other'] });
    const report = await run();
    const missing = report.models.find((model) => model.model === 'model_b')!;
    assert.equal(missing.errorClass, 'AccountError');
    assert.equal(missing.stage, 'plan');
    assert.equal(missing.message, "model model_b is not among this account's classic models: model_a, model_c, other");
    assert.equal(report.totals.submitted, 2);
  });

  test('a subset runs only the named models; a name with no folder is a clear run error', async () => {
    const { numerai, run } = await setup();
    const subset = await run({ models: ['model_b'] });
    assert.deepEqual(subset.models.map((model) => model.model), ['model_b']);
    assert.equal(numerai.submissionsOf('model_a').length, 0);
    const wrong = await run({ models: ['model_b', 'nope'] });
    assert.equal(wrong.error?.errorClass, 'ConfigError');
    assert.match(wrong.error!.message, /model nope has no folder in .*models \(folders: model_a, model_b, model_c\)/);
    assert.equal(exitCodeFor(wrong), 1);
  });

  test('no models at all is a clear error', async () => {
    const { run } = await setup({ specs: [] });
    const report = await run();
    assert.equal(report.error?.errorClass, 'ConfigError');
    assert.match(report.error!.message, /no models in /);
    const missing = await run({ modelsDir: '/nonexistent/models' });
    assert.match(missing.error!.message, /models folder \/nonexistent\/models does not exist/);
  });

  test('wrong keys fail the run as an AccountError', async () => {
    const { numerai, run } = await setup();
    numerai.before = (operation) => {
      if (operation === 'account') throw new FakeNumeraiError('auth', 'account', 'Your session is invalid or has expired.');
    };
    const report = await run();
    assert.equal(report.error?.errorClass, 'AccountError');
    assert.equal(report.error?.stage, 'plan');
    assert.equal(exitCodeFor(report), 1);
  });

  test('one model\'s failing prediction or invalid output never stops the others', async () => {
    const specs: FakeModelSpec[] = [
      { name: 'model_a', predictError: Object.assign(new Error('ONNX file model_a/model.onnx: input has 2 features, the manifest lists 3'), { name: 'ModelError' }) },
      { name: 'model_b', predict: () => Number.NaN },
      { name: 'model_c', predict: () => 0.5 },
      { name: 'model_d' },
    ];
    const { numerai, run } = await setup({ specs });
    const report = await run();
    const byName = Object.fromEntries(report.models.map((model) => [model.model, model]));
    assert.equal(byName.model_a.errorClass, 'ModelError');
    assert.equal(byName.model_a.stage, 'predict');
    assert.equal(byName.model_b.errorClass, 'PredictionError');
    assert.equal(byName.model_b.stage, 'validate');
    assert.match(byName.model_b.message!, /NaN/);
    assert.equal(byName.model_b.stats?.nonFinite, 5);
    assert.equal(byName.model_c.errorClass, 'PredictionError');
    assert.match(byName.model_c.message!, /standard deviation/);
    assert.equal(byName.model_d.status, 'submitted');
    assert.equal(numerai.count('upload'), 1);
  });

  test('Numerai rejecting an upload fails that model as SubmissionRejected', async () => {
    const { numerai, run } = await setup();
    numerai.before = (operation, args) => {
      if (operation === 'upload' && args[0] === numerai.idOf('model_b')) {
        throw new FakeNumeraiError('rejected', 'create_submission', 'invalid_submission_ids: Not enough stocks submitted.');
      }
    };
    const report = await run();
    const rejected = report.models.find((model) => model.model === 'model_b')!;
    assert.equal(rejected.errorClass, 'SubmissionRejected');
    assert.equal(rejected.stage, 'upload');
    assert.equal(report.totals.submitted, 2);
    assert.equal(numerai.count('upload'), 3);
  });

  test('an ambiguous upload failure whose submission landed is not uploaded again', async () => {
    const { numerai, run } = await setup();
    numerai.afterApplied = (modelId) => {
      if (modelId === numerai.idOf('model_a')) throw new FakeNumeraiError('ambiguous', 'create_submission', 'create_submission: connection reset');
    };
    const report = await run();
    const model = report.models.find((entry) => entry.model === 'model_a')!;
    assert.equal(model.status, 'submitted');
    assert.equal(model.uploadAttempts, 1);
    assert.equal(model.submissionId, numerai.submissionsOf('model_a')[0]);
    assert.equal(numerai.submissionsOf('model_a').length, 1);
  });

  test('an ambiguous failure that did not land is uploaded again after asking the server', async () => {
    const { numerai, clock, run } = await setup({ specs: [{ name: 'model_a' }] });
    let failures = 0;
    numerai.before = (operation) => {
      if (operation === 'upload' && failures++ < 2) throw new FakeNumeraiError('ambiguous', 'create_submission', 'create_submission: HTTP 502');
    };
    const report = await run();
    assert.equal(report.models[0].status, 'submitted');
    assert.equal(report.models[0].uploadAttempts, 3);
    assert.equal(numerai.submissionsOf('model_a').length, 1);
    const operations = numerai.calls.map((call) => call.operation);
    // Each failed upload is followed by a question to the server before the next upload.
    assert.deepEqual(operations.slice(operations.indexOf('upload')), ['upload', 'submissions', 'upload', 'submissions', 'upload']);
    assert.deepEqual(clock.sleeps, [2000, 4000]);
  });

  test('under force, an ambiguous failure is told apart from the submission that was already there', async () => {
    const { numerai, run } = await setup({ specs: [{ name: 'model_a' }] });
    await run();
    let failed = false;
    numerai.before = (operation) => {
      if (operation === 'upload' && !failed) {
        failed = true;
        throw new FakeNumeraiError('ambiguous', 'create_submission', 'create_submission: timed out');
      }
    };
    const report = await run({ force: true });
    assert.equal(report.models[0].uploadAttempts, 2);
    assert.equal(numerai.submissionsOf('model_a').length, 2);
  });

  test('ambiguous failures past the retry budget fail the model as a NetworkError', async () => {
    const { numerai, run } = await setup({ specs: [{ name: 'model_a' }] });
    numerai.before = (operation) => {
      if (operation === 'upload') throw new FakeNumeraiError('ambiguous', 'create_submission', 'create_submission: HTTP 503');
    };
    const report = await run({ retries: 1 });
    assert.equal(report.models[0].errorClass, 'NetworkError');
    assert.equal(numerai.count('upload'), 2);
    assert.equal(numerai.submissionsOf('model_a').length, 0);
  });

  test('a corrupt stored file is discarded and fetched again, once', async () => {
    const { numerai, store, run, dirs } = await setup();
    const key = { tournament: 8, version: 'v5.2', round: 500, file: 'live.parquet' };
    await run({ dryRun: true });
    await writeFile(store.pathFor(key), '{"ids": ["n0');
    const report = await run({ dryRun: true });
    assert.equal(report.totals['dry-run'], 3);
    assert.deepEqual(
      report.datasets.map((use) => [use.file, use.source]),
      [
        ['v5.2/features.json', 'store'],
        ['v5.2/live.parquet', 'download'],
      ],
    );
    assert.equal(numerai.count('download'), 3);
    assert.ok(dirs.dataDir);
  });

  test('a dataset that stays unreadable fails its models with DataError', async () => {
    const { numerai, run } = await setup();
    numerai.files.set('v5.2/live.parquet', 'PAR1 truncated');
    const report = await run();
    assert.equal(report.totals.failed, 3);
    for (const model of report.models) {
      assert.equal(model.errorClass, 'DataError');
      assert.equal(model.stage, 'data');
      assert.match(model.message!, /^v5\.2\/live\.parquet: .*truncated/);
    }
    assert.equal(numerai.count('download'), 3);
  });

  test('dry run: CSVs written, nothing uploaded', async () => {
    const { numerai, run } = await setup();
    const report = await run({ dryRun: true });
    assert.equal(report.dryRun, true);
    assert.equal(report.totals['dry-run'], 3);
    assert.equal(numerai.count('upload'), 0);
    for (const model of report.models) {
      assert.equal(model.stage, 'validate');
      assert.match(await readFile(model.csvPath!, 'utf8'), /^id,prediction\n/);
    }
  });

  test('a dry run without keys predicts without asking the account', async () => {
    const { numerai, run } = await setup();
    const report = await run({ dryRun: true, force: true, publicId: '', secretKey: '' });
    assert.equal(report.totals['dry-run'], 3);
    assert.ok(!numerai.calls.some((call) => call.operation === 'account' || call.operation === 'submissions'));
    assert.ok(report.models.every((model) => model.modelId === null));
  });

  test('the secret key never appears in the report or the log, even when an error carries it', async () => {
    const { numerai, reporter, run, settings } = await setup();
    numerai.before = (operation) => {
      if (operation === 'upload') throw new FakeNumeraiError('rejected', 'create_submission', `refused for Token PUBLICID$${settings.secretKey}`);
    };
    const report = await run();
    const text = JSON.stringify(report) + JSON.stringify(reporter.lines) + (await readFile(reportPath(settings), 'utf8'));
    assert.ok(!text.includes(settings.secretKey));
    assert.match(report.models[0].message!, /Token PUBLICID\$\*\*\*/);
  });
});

describe('planCurrentRound', () => {
  test('lists pending, skipped and failed models without downloading', async () => {
    const { numerai, settings, reporter, clock, engine, run } = await setup({ account: ['model_a', 'model_b'] });
    await run({ models: ['model_a'] });
    const plan = await planCurrentRound(settings, { numerai, clock, reporter }, engine);
    assert.equal(plan.round?.number, 500);
    assert.deepEqual(
      plan.models.map((entry) => [entry.name, entry.status]),
      [
        ['model_a', 'skipped'],
        ['model_b', 'pending'],
        ['model_c', 'failed'],
      ],
    );
    assert.equal(numerai.count('download'), 2);
  });
});

describe('a round that changes under a run', () => {
  test('a new round opened before the upload: nothing is uploaded into it, and the message says why', async () => {
    const { numerai, run } = await setup();
    let looks = 0;
    numerai.before = (operation) => {
      // The plan sees round 500; by the time of the uploads round 501 has opened.
      if (operation === 'rounds' && ++looks > 1) numerai.round = { ...numerai.round!, number: 501 };
    };
    const report = await run();
    assert.equal(numerai.count('upload'), 0, 'no prediction of round 500 went into round 501');
    for (const model of report.models) {
      assert.equal(model.status, 'failed');
      assert.equal(model.stage, 'upload');
      assert.equal(model.errorClass, 'DataError');
      assert.match(model.message!, /^round 501 opened during this run: these predictions were made from round 500's live data, so they were not uploaded into round 501/);
    }
  });

  test('the round closed before the upload: not uploaded', async () => {
    const { numerai, run } = await setup();
    let looks = 0;
    numerai.before = (operation) => {
      if (operation === 'rounds' && ++looks > 1) numerai.round = null;
    };
    const report = await run();
    assert.equal(numerai.count('upload'), 0);
    assert.match(report.models[0].message!, /^round 500 closed during this run and no round is open now/);
  });
});

