/**
 * Every NumeraiClient operation against the sandbox (a protocol-faithful Numerai API on loopback), and every fault
 * the sandbox can inject: transient faults are recovered from within the retry budget, persistent ones end in a
 * classified error without hanging, and create_submission is never repeated when it may have been applied.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { inspect } from 'node:util';

import { DownloadError } from '../../src/data/download.js';
import { NumeraiClient, createNumeraiClient, describeRetry, type ClientRetryEvent, type NumeraiClientOptions } from '../../src/numerai/client.js';
import { errorClassOf } from '../../src/numerai/error-class.js';
import { NumeraiError } from '../../src/numerai/errors.js';
import { DEFAULT_SETTINGS } from '../../src/pipeline/settings.js';
import { TOURNAMENTS } from '../../src/pipeline/ports.js';
import { ALL_SCOPES, startSandbox, type Fault, type Sandbox } from '../../src/sandbox/server.js';

const CANARY = 'CANARYSECRETKEY0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789AB';
const MODELS = [
  { name: 'example_gbt', tournament: 8 },
  { name: 'example_ensemble', tournament: 8 },
  { name: 'example_linear', tournament: 8 },
  { name: 'example_model_upload', tournament: 8, managedByModelUploads: true },
  { name: 'example_signals', tournament: 11 },
  { name: 'example_crypto', tournament: 12 },
];

const ROUND = 1180;

let sandbox: Sandbox;
let dir: string;
let csv: Uint8Array;

before(async () => {
  sandbox = await startSandbox({
    round: { number: ROUND, state: 'open' },
    rows: 200,
    features: 20,
    accounts: [
      {
        username: 'sandbox_user',
        keys: [
          { publicId: 'PUBLICIDFULLSCOPES', secretKey: CANARY, scopes: [...ALL_SCOPES] },
          { publicId: 'PUBLICIDNOUSERINFO', secretKey: `${CANARY}U`, scopes: ['upload_submission', 'read_submission_info'] },
          { publicId: 'PUBLICIDNOSUBMINFO', secretKey: `${CANARY}S`, scopes: ['upload_submission', 'read_user_info'] },
          { publicId: 'PUBLICIDNOUPLOAD', secretKey: `${CANARY}P`, scopes: ['read_user_info', 'read_submission_info'] },
        ],
        models: MODELS,
      },
      { username: 'someone_else', models: [{ name: 'someone_elses_model', tournament: 8 }] },
    ],
  });
  await sandbox.ready();
  const ids = sandbox.liveIds();
  csv = new TextEncoder().encode(`id,prediction\n${ids.map((id, i) => `${id},${(i + 1) / (ids.length + 1)}`).join('\n')}\n`);
  dir = await mkdtemp(path.join(tmpdir(), 'numerai-client-'));
});

after(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sandbox.clearFaults();
  // The live ids (and so the CSV) belong to this round.
  sandbox.setRound('open', ROUND);
});

type TestClient = NumeraiClient & { events: ClientRetryEvent[]; delays: number[] };

function client(extra: NumeraiClientOptions = {}): TestClient {
  const events: ClientRetryEvent[] = [];
  const delays: number[] = [];
  const c = new NumeraiClient({
    apiUrl: sandbox.url,
    credentials: sandbox.credentials,
    timeoutMs: 1_000,
    retries: 3,
    backoffBaseMs: 5,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    onRetry: (e) => events.push(e),
    ...extra,
  });
  return Object.assign(c, { events, delays });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('expected a failure');
}

function leaks(value: unknown): boolean {
  const text = [inspect(value, { depth: Infinity, showHidden: true }), JSON.stringify(value), value instanceof Error ? value.stack : ''].join('\n');
  return text.includes(CANARY);
}

/** Every error, retry event and client of the fault matrix, checked for the canary key at the end. */
const collected: unknown[] = [];

let destCounter = 0;
function destination(): string {
  destCounter += 1;
  return path.join(dir, String(destCounter), 'live.parquet');
}

describe('operations', () => {
  test('currentRound: the open round with its times', async () => {
    const round = await client().currentRound(TOURNAMENTS.classic);
    const expected = sandbox.round();
    assert.ok(round);
    assert.equal(round.number, expected.number);
    assert.equal(round.openTime.toISOString().replace('.000Z', 'Z'), expected.openTime);
    assert.equal(round.closeStakingTime?.toISOString().replace('.000Z', 'Z'), expected.closeStakingTime);
    assert.equal(round.closeTime?.toISOString().replace('.000Z', 'Z'), expected.closeTime);
    assert.ok(round.openTime < new Date() && new Date() < (round.closeStakingTime as Date));
  });

  test('currentRound: a late round is still a round (past closeStakingTime)', async () => {
    sandbox.setRound('late', ROUND + 1);
    const round = await client().currentRound(TOURNAMENTS.classic);
    assert.equal(round?.number, ROUND + 1);
    assert.ok((round?.closeStakingTime as Date) < new Date());
  });

  for (const closedShape of ['null', 'error'] as const) {
    test(`currentRound: no open round is null, not an error (answered as ${closedShape === 'null' ? '[null]' : 'the "not open" error'})`, async () => {
      sandbox.setRound('closed', undefined, { closedShape });
      const c = client();
      assert.equal(await c.currentRound(TOURNAMENTS.classic), null);
      assert.equal(c.events.length, 0);
    });
  }

  test('accountModels: name → id of one tournament, needs no other call', async () => {
    const c = client();
    const classic = await c.accountModels(TOURNAMENTS.classic);
    assert.deepEqual(
      classic.map((m) => m.name).sort(),
      ['example_ensemble', 'example_gbt', 'example_linear', 'example_model_upload'],
    );
    for (const m of classic) {
      assert.equal(m.id, sandbox.modelId(m.name));
      assert.equal(m.tournament, 8);
    }
    assert.deepEqual(classic.filter((m) => m.managedByModelUploads).map((m) => m.name), ['example_model_upload'], 'computePickleUpload tells');
    assert.deepEqual(
      (await c.accountModels(TOURNAMENTS.signals)).map((m) => m.name),
      ['example_signals'],
    );
    assert.deepEqual(
      (await c.accountModels(TOURNAMENTS.crypto)).map((m) => m.name),
      ['example_crypto'],
    );
  });

  test('accountModels with wrong keys: "auth", with a key lacking read_user_info: "permission" naming the scopes', async () => {
    const wrong = await rejection(client({ credentials: { publicId: 'PUBLICIDFULLSCOPES', secretKey: 'WRONGSECRETKEY' } }).accountModels(8));
    assert.ok(wrong instanceof NumeraiError);
    assert.equal(wrong.kind, 'auth');
    assert.match(wrong.message, /Your session is invalid or has expired/);
    assert.equal(errorClassOf(wrong), 'AccountError');

    const scoped = await rejection(client({ credentials: sandbox.keyWithout('read_user_info') }).accountModels(8));
    assert.ok(scoped instanceof NumeraiError);
    assert.equal(scoped.kind, 'permission');
    assert.match(scoped.message, /Insufficient permission for read_user_info.*read_submission_info/);
  });

  test('submissionForRound: the server decides; null before, the id after an upload; earlier rounds from history', async () => {
    const c = client();
    const round = sandbox.round().number;
    const modelId = sandbox.modelId('example_linear');
    sandbox.removeSubmission('example_linear', round);
    assert.equal(await c.submissionForRound(modelId, round, 8), null);
    assert.notEqual(await c.submissionForRound(modelId, round - 1, 8), null, 'the sandbox seeds the two previous rounds');
    assert.equal(await c.submissionForRound(modelId, round - 1, 11), null, 'another tournament is another question');
    const id = await c.uploadPredictions({ modelId, tournament: 8, filename: 'example_linear.csv', csv });
    assert.equal(await c.submissionForRound(modelId, round, 8), id);
    const submissions = await c.modelSubmissions(modelId);
    assert.equal(submissions[0].id, id, 'newest first');
  });

  test('submissionForRound with a key lacking read_submission_info: "permission"', async () => {
    const error = await rejection(client({ credentials: sandbox.keyWithout('read_submission_info') }).submissionForRound(sandbox.modelId('example_gbt'), 1, 8));
    assert.ok(error instanceof NumeraiError);
    assert.equal(error.kind, 'permission');
    assert.match(error.message, /model id /);
  });

  test('listDatasets and datasetUrl, then a download of the live file', async () => {
    const c = client();
    const files = await c.listDatasets(TOURNAMENTS.classic);
    assert.ok(files.includes('v5.3/live.parquet'), files.join(', '));
    assert.ok(files.includes('v5.3/features.json'));
    const url = await c.datasetUrl('v5.3/live.parquet', undefined, TOURNAMENTS.classic);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//);
    const dest = destination();
    const progress: number[] = [];
    const result = await c.downloadFile(url, dest, (received) => progress.push(received));
    const bytes = await readFile(dest);
    assert.equal(result.bytes, bytes.length);
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
    assert.equal(bytes.subarray(-4).toString(), 'PAR1');
    assert.equal(progress.at(-1), bytes.length);

    const again = await c.downloadFile(url, dest);
    assert.equal(again.fetched, false, 'a complete file is not fetched again');
  });

  test('datasetUrl of a file that does not exist: a classified error naming the file', async () => {
    const error = await rejection(client().datasetUrl('v9.9/nothing.parquet', undefined, 8));
    assert.ok(error instanceof NumeraiError);
    assert.equal(error.kind, 'not-found');
    assert.match(error.message, /v9\.9\/nothing\.parquet/);
    assert.equal(errorClassOf(error), 'DataError');
  });

  test('uploadPredictions: upload auth → PUT without Content-Type → create_submission, returning the id', async () => {
    const c = client();
    const id = await c.uploadPredictions({ modelId: sandbox.modelId('example_gbt'), tournament: 8, filename: 'example_gbt.csv', csv });
    const recorded = sandbox.submissions('example_gbt').find((s) => s.id === id);
    assert.ok(recorded, 'the sandbox recorded the submission');
    assert.equal(recorded.round, sandbox.round().number);
    assert.equal(recorded.rows, sandbox.liveIds().length);
    assert.equal(recorded.selected, true);
    assert.equal(recorded.source, 'numerai-autopilot');
    assert.deepEqual(Buffer.from(recorded.bytes), Buffer.from(csv));
    assert.equal(c.events.length, 0);
  });

  test('uploadPredictions: invalid predictions are "rejected" with Numerai\'s message, not retried', async () => {
    const ids = sandbox.liveIds();
    const bad = new TextEncoder().encode(`id,prediction\n${ids.map((id) => `${id},1.5`).join('\n')}\n`);
    const c = client();
    const error = await rejection(c.uploadPredictions({ modelId: sandbox.modelId('example_gbt'), tournament: 8, filename: 'bad.csv', csv: bad }));
    assert.ok(error instanceof NumeraiError);
    assert.equal(error.kind, 'rejected');
    assert.match(error.message, /between 0 and 1/);
    assert.match(error.message, /model id .*tournament 8/);
    assert.equal(errorClassOf(error), 'SubmissionRejected');
    assert.equal(c.events.length, 0);
  });

  test('uploadPredictions for a model run by Numerai Model Uploads: refused with the reason', async () => {
    const error = await rejection(
      client().uploadPredictions({ modelId: sandbox.modelId('example_model_upload'), tournament: 8, filename: 'x.csv', csv }),
    );
    assert.ok(error instanceof NumeraiError);
    assert.match(error.message, /Model Uploads/);
    assert.equal(errorClassOf(error), 'SubmissionRejected');
  });

  test('uploadPredictions with a key lacking upload_submission: "permission"', async () => {
    const error = await rejection(
      client({ credentials: sandbox.keyWithout('upload_submission') }).uploadPredictions({ modelId: sandbox.modelId('example_gbt'), tournament: 8, filename: 'x.csv', csv }),
    );
    assert.ok(error instanceof NumeraiError);
    assert.equal(error.kind, 'permission');
  });

  test('createNumeraiClient builds the client from the pipeline settings', async () => {
    const c = createNumeraiClient({ ...DEFAULT_SETTINGS, apiUrl: sandbox.url, publicId: sandbox.credentials.publicId, secretKey: sandbox.credentials.secretKey });
    assert.ok((await c.accountModels(8)).length > 0);
    assert.equal(c.errorClassOf(new Error('something else')), 'InternalError');
    const anonymous = createNumeraiClient({ ...DEFAULT_SETTINGS, apiUrl: sandbox.url, publicId: '', secretKey: '' });
    assert.ok(await anonymous.currentRound(8), 'public calls work without keys');
    const error = await rejection(anonymous.accountModels(8));
    assert.ok(error instanceof NumeraiError && error.kind === 'auth');
  });
});

/** One call per operation the sandbox can fault, each needing the state a real run would have. */
interface Target {
  operation: string;
  call: (c: TestClient) => Promise<unknown>;
}

const targets: Target[] = [
  { operation: 'rounds', call: (c) => c.currentRound(8) },
  { operation: 'account', call: (c) => c.accountModels(8) },
  { operation: 'submissions', call: (c) => c.submissionForRound(sandbox.modelId('example_gbt'), sandbox.round().number, 8) },
  { operation: 'listDatasets', call: (c) => c.listDatasets(8) },
  { operation: 'dataset', call: (c) => c.datasetUrl('v5.3/live.parquet', undefined, 8) },
  { operation: 'submission_upload_auth', call: (c) => upload(c) },
  { operation: 'upload', call: (c) => upload(c) },
  { operation: 'download', call: async (c) => c.downloadFile(await c.datasetUrl('v5.3/features.json', undefined, 8), destination()) },
];

function upload(c: TestClient): Promise<string> {
  return c.uploadPredictions({ modelId: sandbox.modelId('example_ensemble'), tournament: 8, filename: 'example_ensemble.csv', csv });
}

/** Faults that go away, and the kind of error each becomes when it does not. */
const FAULTS: { fault: Fault; graphqlKind: string; downloadKind: string; timeoutMs?: number }[] = [
  { fault: { kind: 'http', status: 503 }, graphqlKind: 'server', downloadKind: 'http' },
  { fault: { kind: 'http', status: 500 }, graphqlKind: 'server', downloadKind: 'http' },
  { fault: { kind: 'rate-limit', retryAfterSeconds: 2 }, graphqlKind: 'rate-limit', downloadKind: 'http' },
  { fault: { kind: 'non-json' }, graphqlKind: 'server', downloadKind: 'http' },
  { fault: { kind: 'reset' }, graphqlKind: 'network', downloadKind: 'network' },
  // Waiting faults cost a timeout per attempt: a short timeout, and one retry when the fault is for good.
  { fault: { kind: 'hang' }, graphqlKind: 'timeout', downloadKind: 'stall', timeoutMs: 200 },
  { fault: { kind: 'slow', delayMs: 600 }, graphqlKind: 'timeout', downloadKind: 'stall', timeoutMs: 200 },
];

function label(fault: Fault): string {
  return fault.kind === 'http' ? `HTTP ${fault.status}` : fault.kind;
}

for (const target of targets) {
  describe(`faults on ${target.operation}`, () => {
    for (const { fault, graphqlKind, downloadKind, timeoutMs } of FAULTS) {
      // The upload PUT answers S3-style (no GraphQL body); its non-JSON/5xx faults are plain statuses.
      const expectedKind = target.operation === 'download' ? downloadKind : target.operation === 'upload' && graphqlKind === 'rate-limit' ? 'rate-limit' : graphqlKind;

      test(`${label(fault)} twice: recovered within the retry budget`, async () => {
        sandbox.inject(target.operation, { ...fault, times: 2 });
        const c = client({ timeoutMs: timeoutMs ?? 1_000 });
        await target.call(c);
        const ours = c.events.filter((e) => e.operation === (target.operation === 'upload' ? 'upload' : target.operation));
        assert.equal(ours.length, 2, c.events.map(describeRetry).join('\n'));
        if (fault.kind === 'rate-limit') assert.ok(c.delays.includes(2_000), `waited Retry-After: ${c.delays.join(', ')}`);
        if (fault.kind !== 'slow') {
          // (A slow request is logged when it finally answers, after the client has given up on it.)
          const faulted = sandbox.requests.filter((r) => r.operation === target.operation && r.fault === fault.kind);
          assert.ok(faulted.length >= 2);
        }
      });

      test(`${label(fault)} for good: a classified error after retries + 1 attempts, no hang`, async () => {
        sandbox.inject(target.operation, { ...fault, times: Infinity });
        const retries = timeoutMs === undefined ? 2 : 1;
        const c = client({ timeoutMs: timeoutMs ?? 1_000, retries });
        const error = await rejection(target.call(c));
        collected.push(error, ...c.events, c);
        if (target.operation === 'download') {
          assert.ok(error instanceof DownloadError, inspect(error));
          assert.equal(error.kind, expectedKind);
          if (fault.kind === 'reset') {
            // Each reset comes after half the remaining bytes: attempts that make progress are not counted.
            assert.ok(error.attempts > retries + 1, `attempts: ${error.attempts}`);
          } else {
            assert.equal(error.attempts, retries + 1);
          }
        } else {
          assert.ok(error instanceof NumeraiError, inspect(error));
          assert.equal(error.kind, expectedKind, error.message);
          assert.equal(error.attempts, retries + 1);
          assert.equal(error.operation, target.operation);
        }
        assert.equal(errorClassOf(error), 'NetworkError');
        assert.equal(c.events.length, (error as NumeraiError | DownloadError).attempts - 1);
      });
    }

    if (target.operation !== 'download' && target.operation !== 'upload') {
      test('a GraphQL 400 ("In argument …: Expected type") is a validation error, not retried', async () => {
        sandbox.inject(target.operation, { kind: 'graphql-400', message: 'In argument "tournament": Expected type "Int!", found null.', times: Infinity });
        const c = client();
        const error = await rejection(target.call(c));
        assert.ok(error instanceof NumeraiError);
        assert.equal(error.kind, 'validation');
        assert.equal(error.status, 400);
        assert.equal(c.events.length, 0);
        assert.equal(errorClassOf(error), 'InternalError');
      });
    }
  });
}

describe('create_submission is never retried blindly', () => {
  const modelName = 'example_gbt';

  async function attempt(fault: Fault, timeoutMs = 1_000): Promise<{ error: NumeraiError; landed: string | null; c: TestClient }> {
    const round = sandbox.round().number;
    sandbox.removeSubmission(modelName, round);
    sandbox.inject('create_submission', { ...fault, times: Infinity });
    const c = client({ timeoutMs });
    const before = sandbox.requests.filter((r) => r.operation === 'create_submission').length;
    const error = await rejection(c.uploadPredictions({ modelId: sandbox.modelId(modelName), tournament: 8, filename: `${modelName}.csv`, csv }));
    assert.ok(error instanceof NumeraiError, inspect(error));
    const sent = sandbox.requests.filter((r) => r.operation === 'create_submission').length - before;
    assert.equal(sent, 1, 'create_submission was sent exactly once');
    sandbox.clearFaults();
    // What the pipeline does next: ask the server whether the submission landed.
    const landed = await client().submissionForRound(sandbox.modelId(modelName), round, 8);
    return { error, landed, c };
  }

  test('applied, response lost: "ambiguous", and the server shows the submission', async () => {
    const { error, landed } = await attempt({ kind: 'applied-response-lost' });
    assert.equal(error.kind, 'ambiguous');
    assert.match(error.message, /may or may not have been applied/);
    assert.equal(errorClassOf(error), 'NetworkError');
    assert.ok(landed, 'the submission exists');
    assert.equal(sandbox.submissions(modelName).filter((s) => s.round === sandbox.round().number).length, 1, 'exactly one submission');
  });

  test('reset after the answer was computed: "ambiguous", the submission landed', async () => {
    const { error, landed } = await attempt({ kind: 'reset' });
    assert.equal(error.kind, 'ambiguous');
    assert.ok(landed);
  });

  for (const fault of [{ kind: 'http', status: 502 }, { kind: 'non-json' }, { kind: 'hang' }] as Fault[]) {
    test(`${label(fault)}: "ambiguous", and the server shows nothing landed (safe to try again)`, async () => {
      const { error, landed } = await attempt(fault, 200);
      assert.equal(error.kind, 'ambiguous');
      assert.equal(landed, null);
      // The retry the pipeline would then make succeeds.
      const id = await client().uploadPredictions({ modelId: sandbox.modelId(modelName), tournament: 8, filename: `${modelName}.csv`, csv });
      assert.equal(await client().submissionForRound(sandbox.modelId(modelName), sandbox.round().number, 8), id);
    });
  }

  test('429 means "not applied": retried after Retry-After, and succeeds', async () => {
    sandbox.inject('create_submission', { kind: 'rate-limit', retryAfterSeconds: 1, times: 1 });
    const c = client();
    const id = await c.uploadPredictions({ modelId: sandbox.modelId(modelName), tournament: 8, filename: `${modelName}.csv`, csv });
    assert.ok(id);
    assert.deepEqual(c.delays, [1_000]);
  });

  test('slow but within the timeout: no retry, no error', async () => {
    sandbox.inject('create_submission', { kind: 'slow', delayMs: 50 });
    const c = client();
    assert.ok(await c.uploadPredictions({ modelId: sandbox.modelId(modelName), tournament: 8, filename: `${modelName}.csv`, csv }));
    assert.equal(c.events.length, 0);
  });

  test('the signed PUT, applied with its response lost, is simply repeated (it is idempotent)', async () => {
    sandbox.inject('upload', { kind: 'applied-response-lost' });
    const c = client();
    const id = await c.uploadPredictions({ modelId: sandbox.modelId(modelName), tournament: 8, filename: `${modelName}.csv`, csv });
    assert.ok(id);
    assert.deepEqual(
      c.events.map((e) => e.operation),
      ['upload'],
    );
  });
});

describe('the secret key never leaks', () => {
  test('not in any error, retry event or client of the fault matrix, nor in an auth failure', async () => {
    assert.ok(collected.length >= targets.length * FAULTS.length * 2, `collected ${collected.length}`);
    collected.push(await rejection(client({ credentials: { publicId: 'PUBLICIDFULLSCOPES', secretKey: `${CANARY}X` } }).accountModels(8)));
    for (const item of collected) assert.ok(!leaks(item), inspect(item, { depth: 4 }));
  });
});
