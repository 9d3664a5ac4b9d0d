/**
 * Every GraphQL text the reference quotes from numerapi / numerai-cli runs against the sandbox unchanged, with the
 * variables numerapi sends, and answers in the shape numerapi reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { submissionCsv } from '../../src/submission/csv.js';
import { data, errorOf, gql, webhookReceiver } from './helpers.js';
import * as Q from './fixtures/numerapi-queries.js';

let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rows: 120, features: 12 });
});
after(() => sandbox.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('rounds', () => {
  test('get_current_round', async () => {
    const d = await data<{ rounds: { number: number }[] }>(sandbox, Q.GET_CURRENT_ROUND, { tournament: 8 }, null);
    assert.deepEqual(d, { rounds: [{ number: 1180 }] });
  });

  test('check_round_open: openTime < now < closeStakingTime', async () => {
    const d = await data<{ rounds: { number: number; openTime: string; closeStakingTime: string }[] }>(sandbox, Q.CHECK_ROUND_OPEN, { tournament: 8 }, null);
    const r = d.rounds[0];
    assert.match(r.openTime, ISO);
    assert.match(r.closeStakingTime, ISO);
    assert.ok(Date.parse(r.openTime) < Date.now() && Date.now() < Date.parse(r.closeStakingTime));
  });

  test('list_rounds (numerapi 2.24) with every filter null, and with filters', async () => {
    const all = await data<{ rounds: Record<string, unknown>[] }>(sandbox, Q.LIST_ROUNDS, { tournament: 8, number: null, target: null, status: null, limit: null }, null);
    assert.ok(all.rounds.length > 1);
    const first = all.rounds[0];
    assert.equal(first.number, 1180);
    assert.equal(typeof first.payoutFactor, 'string');
    assert.equal(typeof first.dataDatestamp, 'number');
    assert.ok(Array.isArray(first.roundScoreConfigs));
    const open = await data<{ rounds: { number: number }[] }>(sandbox, Q.LIST_ROUNDS, { tournament: 8, number: null, target: null, status: 'OPEN', limit: 5 }, null);
    assert.deepEqual(open.rounds.map((r) => r.number), [1180]);
    const limited = await data<{ rounds: unknown[] }>(sandbox, Q.LIST_ROUNDS, { tournament: 11, limit: 3 }, null);
    assert.equal(limited.rounds.length, 3);
  });

  test('list_rounds (numerapi 2.23.1, multiplier fields)', async () => {
    const d = await data<{ rounds: Record<string, unknown>[] }>(sandbox, Q.LIST_ROUNDS_2_23_1, { tournament: 8, number: 1180 }, null);
    assert.equal(d.rounds.length, 1);
    assert.equal(typeof d.rounds[0].minCorrMultiplier, 'number');
  });

  test('get_competitions', async () => {
    const d = await data<{ rounds: { number: number; resolvedGeneral: boolean }[] }>(sandbox, Q.GET_COMPETITIONS, { tournament: 8 }, null);
    assert.equal(d.rounds[0].number, 1180);
    assert.equal(d.rounds[0].resolvedGeneral, false);
    assert.equal(d.rounds.at(-1)!.resolvedGeneral, true);
  });

  test('tournaments (numerai-cli)', async () => {
    const d = await data<{ tournaments: { tournament: number }[] }>(sandbox, Q.TOURNAMENTS, null, null);
    assert.deepEqual(d.tournaments.map((t) => t.tournament), [8, 11, 12]);
  });
});

describe('account and models', () => {
  test('get_models: name → id for one tournament', async () => {
    const d = await data<{ account: { models: { id: string; name: string; tournament: number }[] } }>(sandbox, Q.GET_MODELS);
    const classic = Object.fromEntries(d.account.models.filter((m) => m.tournament === 8).map((m) => [m.name, m.id]));
    assert.equal(classic.example_gbt, sandbox.modelId('example_gbt'));
    assert.ok(classic.example_ensemble && classic.example_linear);
    assert.ok(d.account.models.some((m) => m.tournament === 11));
    assert.ok(d.account.models.some((m) => m.tournament === 12));
    for (const m of d.account.models) assert.match(m.id, UUID);
  });

  test('modelid_to_modelname', async () => {
    const d = await data(sandbox, Q.MODELID_TO_MODELNAME, { modelid: sandbox.modelId('example_linear') });
    assert.deepEqual(d, { model: { name: 'example_linear' } });
  });

  test('models_of_account (public)', async () => {
    const d = await data<{ accountProfile: { models: { id: string; displayName: string }[] } }>(sandbox, Q.MODELS_OF_ACCOUNT, { username: 'sandbox_user', tournament: 8 }, null);
    assert.ok(d.accountProfile.models.some((m) => m.displayName === 'example_gbt'));
  });

  test('get_account', async () => {
    const d = await data<{ account: { username: string; availableNmr: string; insertedAt: string; apiTokens: { public_id: string; scopes: string[] }[] } }>(sandbox, Q.GET_ACCOUNT);
    assert.equal(d.account.username, 'sandbox_user');
    assert.match(d.account.availableNmr, /^\d+\.\d+$/);
    assert.match(d.account.insertedAt, ISO);
    const token = d.account.apiTokens.find((t) => t.public_id === sandbox.credentials.publicId)!;
    assert.deepEqual([...token.scopes].sort(), ['read_submission_info', 'read_user_info', 'stake', 'upload_submission']);
  });
});

describe('datasets', () => {
  test('list_datasets with and without a tournament', async () => {
    const classic = await data<{ listDatasets: string[] }>(sandbox, Q.LIST_DATASETS, { round: null, tournament: 8 }, null);
    assert.ok(classic.listDatasets.includes('v5.2/features.json'));
    assert.ok(classic.listDatasets.includes('v5.2/live.parquet'));
    assert.ok(classic.listDatasets.every((p) => /^v\d/.test(p)));
    const every = await data<{ listDatasets: string[] }>(sandbox, Q.LIST_DATASETS, null, null);
    assert.ok(every.listDatasets.some((p) => p.startsWith('signals/')));
  });

  test('download_dataset returns a URL that serves the file', async () => {
    const d = await data<{ dataset: string }>(sandbox, Q.DOWNLOAD_DATASET, { filename: 'v5.2/features.json', round: null, tournament: 8 }, null);
    const res = await fetch(d.dataset);
    assert.equal(res.status, 200);
    const json = (await res.json()) as { feature_sets: Record<string, string[]> };
    assert.ok(json.feature_sets.small && json.feature_sets.medium && json.feature_sets.all);
  });
});

describe('submitting (classic), then the three "already submitted?" queries', () => {
  let filename = '';
  let submissionId = '';
  const modelId = () => sandbox.modelId('example_ensemble');

  test('submission_upload_auth → PUT (no headers) → create_submission', async () => {
    const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, Q.SUBMISSION_UPLOAD_AUTH, { filename: 'predictions.csv', tournament: 8, modelId: modelId() });
    filename = auth.submission_upload_auth.filename;
    assert.match(filename, /^predictions-[A-Za-z0-9]{10}\.csv$/);
    const ids = sandbox.liveIds();
    const put = await fetch(auth.submission_upload_auth.url, { method: 'PUT', body: new TextEncoder().encode(submissionCsv(ids, ids.map((_, i) => (i + 1) / (ids.length + 1)))) });
    assert.equal(put.status, 200);
    const created = await data<{ create_submission: { id: string } }>(sandbox, Q.CREATE_SUBMISSION, { filename, tournament: 8, modelId: modelId(), triggerId: 'trigger-1', dataDatestamp: 20261128 });
    submissionId = created.create_submission.id;
    assert.match(submissionId, UUID);
  });

  test('A: get_submission_filenames (selected, round, tournament)', async () => {
    const d = await data<{ model: { submissions: { filename: string; selected: boolean; round: { number: number; tournament: number } }[] } }>(sandbox, Q.GET_SUBMISSION_FILENAMES, { modelId: modelId() });
    const current = d.model.submissions.filter((s) => s.selected && s.round.number === 1180 && s.round.tournament === 8);
    assert.deepEqual(current.map((s) => s.filename), [filename]);
  });

  test('B: numerai-cli node test (round, triggerId, insertedAt)', async () => {
    const d = await data<{ submissions: { round: { number: number }; triggerId: string; insertedAt: string }[] }>(sandbox, Q.CLI_NODE_TEST_SUBMISSIONS, { modelId: modelId() });
    const latest = [...d.submissions].sort((a, b) => (a.insertedAt < b.insertedAt ? 1 : -1))[0];
    assert.equal(latest.round.number, 1180);
    assert.equal(latest.triggerId, 'trigger-1');
    assert.match(latest.insertedAt, ISO);
  });

  test('C: submission_ids', async () => {
    const d = await data<{ submissions: { id: string; filename: string }[] }>(sandbox, Q.SUBMISSION_IDS, { modelId: modelId() });
    assert.ok(d.submissions.some((s) => s.id === submissionId && s.filename === filename));
  });

  test('D: latestSubmissions (forum 2023)', async () => {
    const d = await data<{ account: { models: { username: string; latestSubmissions: { roundNumber: number; filename: string | null; status: string }[] }[] } }>(sandbox, Q.LATEST_SUBMISSIONS);
    const mine = d.account.models.find((m) => m.username === 'example_ensemble')!;
    assert.equal(mine.latestSubmissions[0].roundNumber, 1180);
    assert.equal(mine.latestSubmissions[0].filename, filename);
    const other = d.account.models.find((m) => m.username === 'example_linear')!;
    assert.equal(other.latestSubmissions[0].status, 'none');
  });

  test('submissionDownloadAuth serves the uploaded bytes back', async () => {
    const d = await data<{ submissionDownloadAuth: { filename: string; url: string } }>(sandbox, Q.SUBMISSION_DOWNLOAD_AUTH, { id: submissionId });
    assert.equal(d.submissionDownloadAuth.filename, filename);
    const res = await fetch(d.submissionDownloadAuth.url);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^id,prediction\n/);
  });
});

describe('signals, crypto, diagnostics, compute, webhooks', () => {
  test('signals: submissionUploadSignalsAuth → PUT → createSignalsSubmission', async () => {
    const modelId = sandbox.modelId('example_signals');
    const auth = await data<Record<string, { filename: string; url: string }>>(sandbox, Q.uploadAuthFor('submissionUploadSignalsAuth'), { filename: 'signals.csv', tournament: 11, modelId });
    const { filename, url } = auth.submissionUploadSignalsAuth;
    const tickers = sandbox.liveIds('signals');
    const csv = `numerai_ticker,signal\n${tickers.map((t, i) => `${t},${(i + 1) / (tickers.length + 1)}`).join('\n')}\n`;
    assert.equal((await fetch(url, { method: 'PUT', body: Buffer.from(csv) })).status, 200);
    const d = await data<{ createSignalsSubmission: { id: string; firstEffectiveDate: string } }>(sandbox, Q.CREATE_SIGNALS_SUBMISSION, { filename, modelId, triggerId: null, dataDatestamp: null });
    assert.match(d.createSignalsSubmission.id, UUID);
    assert.equal(sandbox.submissions('example_signals').length, 1);
  });

  test('crypto: the classic flow with tournament 12', async () => {
    const modelId = sandbox.modelId('example_crypto');
    const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, Q.SUBMISSION_UPLOAD_AUTH, { filename: 'crypto.csv', tournament: 12, modelId });
    const symbols = sandbox.liveIds('crypto');
    const csv = `symbol,signal\n${symbols.map((t, i) => `${t},${(i + 1) / (symbols.length + 1)}`).join('\n')}\n`;
    assert.equal((await fetch(auth.submission_upload_auth.url, { method: 'PUT', body: Buffer.from(csv) })).status, 200);
    const d = await data<{ create_submission: { id: string } }>(sandbox, Q.CREATE_SUBMISSION, { filename: auth.submission_upload_auth.filename, tournament: 12, modelId, triggerId: null, dataDatestamp: null });
    assert.match(d.create_submission.id, UUID);
  });

  test('diagnostics: diagnosticsUploadAuth → PUT → createDiagnostics → diagnostics', async () => {
    const modelId = sandbox.modelId('example_gbt');
    const auth = await data<Record<string, { filename: string; url: string }>>(sandbox, Q.uploadAuthFor('diagnosticsUploadAuth'), { filename: 'validation.csv', tournament: 8, modelId });
    assert.equal((await fetch(auth.diagnosticsUploadAuth.url, { method: 'PUT', body: Buffer.from('id,prediction\n') })).status, 200);
    const created = await data<{ createDiagnostics: { id: string } }>(sandbox, Q.CREATE_DIAGNOSTICS, { filename: auth.diagnosticsUploadAuth.filename, tournament: 8, modelId });
    const d = await data<{ diagnostics: { status: string } }>(sandbox, Q.DIAGNOSTICS, { id: created.createDiagnostics.id, modelId });
    assert.equal(typeof d.diagnostics.status, 'string');
  });

  test('compute pickle: lookups, upload auth, create', async () => {
    const modelId = sandbox.modelId('example_gbt');
    const versions = await data<{ computePickleDataVersions: { id: string }[] }>(sandbox, Q.COMPUTE_PICKLE_DATA_VERSIONS);
    const images = await data<{ computePickleDockerImages: { id: string }[] }>(sandbox, Q.COMPUTE_PICKLE_DOCKER_IMAGES);
    const auth = await data<{ computePickleUploadAuth: { filename: string; url: string } }>(sandbox, Q.COMPUTE_PICKLE_UPLOAD_AUTH, { filename: 'model.pkl', modelId });
    assert.equal((await fetch(auth.computePickleUploadAuth.url, { method: 'PUT', body: Buffer.from('pickle') })).status, 200);
    const d = await data<{ createComputePickleUpload: { id: string } }>(sandbox, Q.CREATE_COMPUTE_PICKLE_UPLOAD, {
      filename: auth.computePickleUploadAuth.filename,
      tournament: 8,
      modelId,
      dataVersionId: versions.computePickleDataVersions[0].id,
      dockerImageId: images.computePickleDockerImages[0].id,
    });
    assert.match(d.createComputePickleUpload.id, UUID);
  });

  test('setSubmissionWebhook returns the string "true"; triggerModelWebhook a trigger id', async () => {
    const modelId = sandbox.modelId('example_linear');
    const receiver = await webhookReceiver();
    try {
      const set = await data(sandbox, Q.SET_SUBMISSION_WEBHOOK, { modelId, newSubmissionWebhook: receiver.url });
      assert.deepEqual(set, { setSubmissionWebhook: 'true' });
      const trig = await data<{ triggerModelWebhook: string }>(sandbox, Q.TRIGGER_MODEL_WEBHOOK, { modelId });
      assert.match(trig.triggerModelWebhook, UUID);
      assert.equal(JSON.parse(receiver.calls[0].body).triggerId, trig.triggerModelWebhook);
    } finally {
      await data(sandbox, Q.SET_SUBMISSION_WEBHOOK, { modelId, newSubmissionWebhook: null });
      await receiver.close();
    }
  });
});

test('the real 2025 error: unknown argument "take", HTTP 200, errors with message and locations', async () => {
  const r = await gql(sandbox, Q.ROUNDS_WITH_TAKE, null, null);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    errors: [{ message: 'Unknown argument "take" on field "rounds" of type "RootQueryType".', locations: [{ line: 2, column: 25 }] }],
  });
});

describe('scores (numerapi ≥ 2.23 submission_scores, 2.24 list_rounds)', () => {
  interface Score {
    roundNumber: number;
    displayName: string;
    version: string;
    value: number;
    percentile: number;
    day: number;
    date: string;
    resolved: boolean;
    resolveDate: string | null;
    roundResolveTime: string;
    submissionId: string;
  }
  const scores = (model: string, extra: Record<string, unknown> = {}) =>
    data<{ submissionScores: Score[] }>(
      sandbox,
      Q.SUBMISSION_SCORES,
      { modelId: sandbox.modelId(model), displayName: null, version: null, day: null, resolved: null, tournament: 8, lastNRounds: null, distinctOnRound: null, ...extra },
      null,
    ).then((d) => d.submissionScores);

  test('submission_scores without a key: one score per metric per round with distinctOnRound, provisional ones unresolved', async () => {
    const rows = await scores('example_gbt', { lastNRounds: 5, distinctOnRound: true });
    const rounds = [...new Set(rows.map((r) => r.roundNumber))];
    // Scoring starts a few days after a round closes: the newest scored round is some rounds back.
    assert.ok(rounds[0] < 1179);
    assert.deepEqual(rounds, [0, 1, 2, 3, 4].map((i) => rounds[0] - i));
    assert.equal(rows.length, 5 * new Set(rows.map((r) => r.displayName)).size);
    for (const r of rows) {
      assert.equal(typeof r.value, 'number');
      assert.ok(r.percentile > 0 && r.percentile < 1);
      assert.equal(typeof r.version, 'string');
      assert.match(r.date, ISO);
      assert.match(r.submissionId, UUID);
      assert.equal(r.resolved, false);
      assert.equal(r.resolveDate, null);
      assert.ok(Date.parse(r.roundResolveTime) > Date.now());
    }
  });

  test('resolved scores are final, with a resolveDate; every daily score is there without distinctOnRound', async () => {
    const resolved = await scores('example_gbt', { resolved: true, lastNRounds: 1, distinctOnRound: true });
    assert.ok(resolved.length > 0);
    const round = resolved[0].roundNumber;
    assert.ok(resolved.every((r) => r.roundNumber === round && r.resolved && ISO.test(r.resolveDate ?? '')));
    const daily = await scores('example_gbt', { displayName: resolved[0].displayName, lastNRounds: 1, resolved: true });
    assert.deepEqual(daily.map((r) => r.day), [resolved[0].day]);
    const all = await scores('example_gbt', { displayName: resolved[0].displayName });
    const ofRound = all.filter((r) => r.roundNumber === round);
    assert.deepEqual(ofRound.map((r) => r.day), Array.from({ length: resolved[0].day }, (_, i) => resolved[0].day - i));
    assert.equal(ofRound.find((r) => r.day === resolved[0].day)!.value, resolved[0].value);
  });

  test('the same seed gives the same scores; a model that joined recently has none yet', async () => {
    const again = await startSandbox({ rows: 120, features: 12 });
    try {
      const q = { modelId: sandbox.modelId('example_linear'), tournament: 8, lastNRounds: 3, distinctOnRound: true };
      // The times follow each sandbox's clock; the scores follow the seed.
      const values = async (s: Sandbox) =>
        (await data<{ submissionScores: Score[] }>(s, Q.SUBMISSION_SCORES, q, null)).submissionScores.map((r) => [r.roundNumber, r.displayName, r.value, r.percentile]);
      assert.deepEqual(await values(again), await values(sandbox));
    } finally {
      await again.close();
    }
    assert.deepEqual(await scores('example_ensemble', { lastNRounds: 20 }), []);
  });

  test('modelId is an ID!: a String! variable is refused, an unknown id is an error', async () => {
    const asString = Q.SUBMISSION_SCORES.replace('$modelId: ID!', '$modelId: String!');
    assert.match(await errorOf(sandbox, asString, { modelId: sandbox.modelId('example_gbt') }, null), /Variable "\$modelId" of type "String!" used in position expecting type "ID!"/);
    assert.match(await errorOf(sandbox, Q.SUBMISSION_SCORES, { modelId: '00000000-0000-4000-8000-000000000000' }, null), /Model not found/);
  });

  test('list_rounds (2.24, as base_api.py writes it): the payout formula changes at a round boundary; old rounds list none', async () => {
    type Config = { name: string; version: string; displayName: string; isPayout: boolean; defaultMultiplier: number | null; roundNumberStart: number; roundNumberEnd: number | null; scoringStart: string };
    const round = async (number: number) => {
      const d = await data<{ rounds: { number: number; roundScoreConfigs: Config[] }[] }>(sandbox, Q.LIST_ROUNDS_2_24, { tournament: 8, number, target: null, status: null, limit: null }, null);
      return d.rounds[0].roundScoreConfigs;
    };
    const payout = (configs: Config[]) => configs.filter((c) => c.isPayout).map((c) => `${c.defaultMultiplier}×${c.displayName}`);
    const before = await round(1169);
    const after = await round(1170);
    assert.deepEqual(payout(before), ['0.75×v2_corr20', '2.25×mmc']);
    assert.deepEqual(payout(after), ['3×corr60', '15×mmc60']);
    assert.equal(before[0].roundNumberEnd, 1169);
    assert.equal(after[0].roundNumberStart, 1170);
    assert.ok(before.some((c) => !c.isPayout), 'configs also list metrics that do not count for payout');
    assert.ok(after.every((c) => typeof c.version === 'string' && ISO.test(c.scoringStart)));
    assert.deepEqual(await round(1120), []);
  });
});
