/**
 * create_submission validates the stored file with Numerai's rules and answers with Numerai's messages; accepted
 * submissions are recorded per model and round.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { submissionCsv } from '../../src/submission/csv.js';
import { MESSAGES } from '../../src/submission/rules.js';
import { CREATE, data, errorOf, gql, submit, UPLOAD_AUTH, validCsv } from './helpers.js';

let sandbox: Sandbox;
let ids: string[];

before(async () => {
  sandbox = await startSandbox({ rows: 50, features: 5 });
  ids = sandbox.liveIds();
});
after(() => sandbox.close());
beforeEach(() => {
  for (const m of ['example_gbt', 'example_ensemble', 'example_linear']) sandbox.removeSubmission(m);
});

async function rejection(file: string | Uint8Array, filename?: string): Promise<string> {
  const before = sandbox.submissions().length;
  const r = await submit(sandbox, 'example_gbt', file, { filename });
  assert.equal(r.status, 200);
  assert.ok(r.body.errors, `expected a rejection, got ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body.data, { create_submission: null });
  assert.equal(sandbox.submissions().length, before, 'a rejected file is not recorded');
  return r.body.errors[0].message;
}

describe('accepted', () => {
  test('a valid CSV is recorded with id, filename, insertedAt, triggerId, selected, round', async () => {
    const csv = validCsv(ids);
    const t0 = Date.now();
    const r = await submit(sandbox, 'example_gbt', csv, { triggerId: 'trig-42' });
    assert.equal(r.body.errors, undefined);
    const id = (r.body.data!.create_submission as { id: string }).id;
    const [s] = sandbox.submissions('example_gbt');
    assert.equal(s.id, id);
    assert.match(s.filename, /^predictions-\w{10}\.csv$/);
    assert.match(s.insertedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.ok(Math.abs(Date.parse(s.insertedAt) - t0) < 5000);
    assert.equal(s.triggerId, 'trig-42');
    assert.equal(s.selected, true);
    assert.equal(s.round, 1180);
    assert.equal(s.tournament, 8);
    assert.equal(s.source, 'numerapi');
    assert.equal(s.rows, ids.length);
    assert.equal(s.late, false);
    assert.equal(new TextDecoder().decode(s.bytes), csv);
  });

  test('a second upload in the round is selected, the first deselected; both are listed', async () => {
    await submit(sandbox, 'example_ensemble', validCsv(ids));
    await submit(sandbox, 'example_ensemble', validCsv([...ids].reverse()));
    const subs = sandbox.submissions('example_ensemble');
    assert.deepEqual(subs.map((s) => s.selected), [false, true]);
    const d = await data<{ model: { submissions: { id: string; selected: boolean; round: { number: number } }[] } }>(
      sandbox,
      'query($m: String) { model(modelId: $m) { submissions { id selected round { number } } } }',
      { m: sandbox.modelId('example_ensemble') },
    );
    const current = d.model.submissions.filter((s) => s.round.number === 1180);
    assert.deepEqual(current.map((s) => [s.id, s.selected]), [[subs[1].id, true], [subs[0].id, false]], 'newest first');
  });

  test('what the project writes (submissionCsv) is accepted; so are extra stale ids, probability, 0 and 1', async () => {
    assert.equal((await submit(sandbox, 'example_linear', submissionCsv(ids, ids.map((_, i) => (i + 1) / (ids.length + 1))))).body.errors, undefined);
    const withStale = `id,probability\n${ids.map((id, i) => `${id},${i / (ids.length - 1)}`).join('\n')}\nstale_id,7\n`;
    assert.equal((await submit(sandbox, 'example_linear', withStale)).body.errors, undefined);
  });

  test('a parquet file with id and prediction', async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'id', data: ids, type: 'STRING' }, { name: 'prediction', data: ids.map((_, i) => (i + 1) / (ids.length + 1)), type: 'DOUBLE' }] }));
    const r = await submit(sandbox, 'example_linear', bytes, { filename: 'predictions.parquet' });
    assert.equal(r.body.errors, undefined);
    assert.match(sandbox.submissions('example_linear').at(-1)!.filename, /\.parquet$/);
    // pandas' to_parquet with the index named id writes it after the prediction column
    const indexLast = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'prediction', data: ids.map((_, i) => (i + 1) / (ids.length + 1)), type: 'DOUBLE' }, { name: 'id', data: ids, type: 'STRING' }] }));
    assert.equal((await submit(sandbox, 'example_linear', indexLast, { filename: 'predictions.parquet' })).body.errors, undefined);
  });
});

describe("rejected, with Numerai's message", () => {
  const rows = (f: (id: string, i: number) => string) => ids.map(f).join('\n');

  test('headers', async () => {
    assert.equal(await rejection(`,id,prediction\n${rows((id, i) => `${i},${id},0.5`)}\n`), MESSAGES.headers(['id'], ['prediction', 'probability']));
    assert.equal(await rejection(`prediction,id\n${rows((id) => `0.5,${id}`)}\n`), MESSAGES.headers(['id'], ['prediction', 'probability']));
    assert.equal(await rejection(`id,target\n${rows((id) => `${id},0.5`)}\n`), MESSAGES.headers(['id'], ['prediction', 'probability']));
  });

  test('NaN ids', async () => {
    assert.equal(await rejection(`${validCsv(ids)},0.5\n`), 'invalid_submission_ids: Submission must not contain NaNs in the id column.');
  });

  test('duplicate ids', async () => {
    assert.equal(await rejection(`${validCsv(ids)}${ids[3]},0.25\n`), 'invalid_submission_ids: Duplicates detected in id for live period.');
  });

  test('missing live ids, or stale ids only', async () => {
    assert.equal(await rejection(validCsv(ids.slice(1))), MESSAGES.notEnoughIds);
    assert.equal(await rejection(validCsv(ids.map((id) => `${id}x`))), MESSAGES.notEnoughIds);
  });

  test('NaN values', async () => {
    assert.equal(await rejection(`id,prediction\n${rows((id, i) => `${id},${i === 7 ? '' : 0.5 + i / 1000}`)}\n`), 'invalid_submission_values: submission must not contain NaNs');
  });

  test('values outside [0, 1]', async () => {
    assert.equal(await rejection(`id,prediction\n${rows((id, i) => `${id},${i / 10}`)}\n`), 'invalid_submission_values: values must be between 0 and 1 exclusive');
    assert.equal(await rejection(`id,prediction\n${rows((id, i) => `${id},${-i / 1000}`)}\n`), 'invalid_submission_values: values must be between 0 and 1 exclusive');
  });

  test('zero standard deviation', async () => {
    assert.equal(await rejection(`id,prediction\n${rows((id) => `${id},0.5`)}\n`), 'invalid_submission_values: submission must have non-zero standard deviation');
  });

  test('a file that is not CSV', async () => {
    assert.match(await rejection(`id,prediction\n${rows((id) => `${id},high`)}\n`), /^Could not read the submission file: Malformed submission CSV: line 2: prediction "high" is not a number/);
    assert.match(await rejection(new Uint8Array([1, 2, 3]), 'predictions.parquet'), /^Could not read the submission file/);
  });

  test('legacy message style', async () => {
    const s = await startSandbox({ rows: 20, features: 3, messageStyle: 'legacy' });
    try {
      const r = await submit(s, 'example_gbt', validCsv(s.liveIds().slice(2)));
      assert.equal(r.body.errors![0].message, 'You must provide predictions for the current live IDs. Make sure you are using the latest live data.');
      const ids2 = s.liveIds();
      const r2 = await submit(s, 'example_gbt', `id,prediction\n${ids2.map((id, i) => `${id},${i + 2}`).join('\n')}\n`);
      assert.equal(r2.body.errors![0].message, 'Invalid submission values. Values must be between 0 and 1 exclusive.');
    } finally {
      await s.close();
    }
  });
});

describe('the upload itself', () => {
  const modelId = () => sandbox.modelId('example_gbt');

  test('create_submission before the PUT, or with a filename never issued', async () => {
    const auth = await data<{ submission_upload_auth: { filename: string } }>(sandbox, UPLOAD_AUTH, { filename: 'p.csv', tournament: 8, modelId: modelId() });
    assert.match(await errorOf(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament: 8, modelId: modelId() }), /^File not found: p-\w+\.csv\. PUT the file/);
    assert.match(await errorOf(sandbox, CREATE, { filename: 'predictions.csv', tournament: 8, modelId: modelId() }), /^File not found: predictions\.csv\. Ask submission_upload_auth/);
  });

  test("another model's upload cannot be submitted for this model", async () => {
    const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, UPLOAD_AUTH, { filename: 'p.csv', tournament: 8, modelId: sandbox.modelId('example_linear') });
    await fetch(auth.submission_upload_auth.url, { method: 'PUT', body: Buffer.from(validCsv(ids)) });
    assert.match(await errorOf(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament: 8, modelId: modelId() }), /^File not found/);
  });

  test('the managed model is refused at create_submission too', async () => {
    const r = await gql(sandbox, CREATE, { filename: 'x.csv', tournament: 8, modelId: sandbox.modelId('example_model_upload') });
    assert.match(r.body.errors![0].message, /managed by Numerai Model Uploads/);
  });
});
