/**
 * The GraphQL surface: both spellings of fields and arguments (as Absinthe's adapter accepts them), graphql-js
 * validation in Absinthe's words with HTTP 200, auth and scopes, models, and the round clock.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { data, errorOf, gql, submit, validCsv } from './helpers.js';

let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rows: 60, features: 8 });
});
after(() => sandbox.close());
beforeEach(() => {
  sandbox.setRound('open', 1180);
  sandbox.clearFaults();
});

describe('spellings', () => {
  test('snake_case and camelCase root fields answer under the name the query used', async () => {
    const modelId = sandbox.modelId('example_gbt');
    for (const field of ['submission_upload_auth', 'submissionUploadAuth']) {
      const d = await data<Record<string, { filename: string; url: string }>>(
        sandbox,
        `query($f: String!, $m: String) { ${field}(filename: $f, tournament: 8, modelId: $m) { filename url } }`,
        { f: 'p.csv', m: modelId },
      );
      assert.deepEqual(Object.keys(d), [field]);
      assert.match(d[field].filename, /^p-\w{10}\.csv$/);
    }
    for (const field of ['listDatasets', 'list_datasets']) {
      const d = await data<Record<string, string[]>>(sandbox, `{ ${field}(tournament: 8) }`, null, null);
      assert.ok(d[field].includes('v5.2/live.parquet'));
    }
  });

  test('createSubmission (camelCase) and create_submission both record a submission', async () => {
    const ids = sandbox.liveIds();
    for (const field of ['create_submission', 'createSubmission']) {
      const modelId = sandbox.modelId('example_linear');
      const auth = await data<{ a: { filename: string; url: string } }>(sandbox, `query($m: String) { a: submission_upload_auth(filename: "x.csv", tournament: 8, modelId: $m) { filename url } }`, { m: modelId });
      await fetch(auth.a.url, { method: 'PUT', body: Buffer.from(validCsv(ids)) });
      const d = await data<Record<string, { id: string }>>(sandbox, `mutation($f: String!, $m: String) { ${field}(filename: $f, tournament: 8, modelId: $m) { id } }`, { f: auth.a.filename, m: modelId });
      assert.ok(d[field].id);
    }
    const subs = sandbox.submissions('example_linear');
    assert.equal(subs.length, 2);
    assert.deepEqual(subs.map((s) => s.selected), [false, true], 'the latest submission of the round is the selected one');
  });

  test('argument and object field spellings: model_id / modelId, insertedAt / inserted_at, public_id / publicId', async () => {
    const id = sandbox.modelId('example_gbt');
    const a = await data<{ model: { name: string } }>(sandbox, `query($id: String) { model(model_id: $id) { name } }`, { id });
    const b = await data<{ model: { name: string } }>(sandbox, `query($id: String) { model(modelId: $id) { name } }`, { id });
    assert.equal(a.model.name, 'example_gbt');
    assert.deepEqual(a, b);
    const c = await data<{ account: { inserted_at: string; insertedAt: string; apiTokens: { public_id: string; publicId: string }[] } }>(
      sandbox,
      '{ account { inserted_at insertedAt apiTokens { public_id publicId } } }',
    );
    assert.equal(c.account.inserted_at, c.account.insertedAt);
    assert.equal(c.account.apiTokens[0].public_id, c.account.apiTokens[0].publicId);
  });
});

describe('validation (graphql-js, in Absinthe words, HTTP 200)', () => {
  test('unknown argument', async () => {
    const r = await gql(sandbox, '{ rounds(take: 1) { number } }', null, null);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.errors, [{ message: 'Unknown argument "take" on field "rounds" of type "RootQueryType".', locations: [{ line: 1, column: 10 }] }]);
    assert.equal(r.body.data, undefined);
  });

  test('unknown field on a type and on the root', async () => {
    assert.equal(await errorOf(sandbox, '{ rounds(number: 0) { number closeTimeX } }', null, null), 'Cannot query field "closeTimeX" on type "Round". Did you mean "closeTime", "scoreTime", or "openTime"?');
    assert.equal(await errorOf(sandbox, '{ latestSubmissionV2 { id } }', null, null), 'Cannot query field "latestSubmissionV2" on type "RootQueryType". Did you mean "submissions"?');
  });

  test('a removed argument (create_submission version, gone since numerapi 2.12) is refused', async () => {
    const msg = await errorOf(sandbox, 'mutation { create_submission(filename: "a.csv", tournament: 8, version: 2) { id } }');
    assert.equal(msg, 'Unknown argument "version" on field "create_submission" of type "RootMutationType".');
  });

  test('missing required argument', async () => {
    assert.equal(await errorOf(sandbox, '{ dataset(round: 1) }', null, null), 'In argument "filename": Expected type "String!", found null.');
  });

  test('variable of the wrong type and a nullable variable in a non-null position', async () => {
    const msg = await errorOf(sandbox, 'query($t: Int!) { rounds(tournament: $t, number: 0) { number } }', { t: 'eight' }, null);
    assert.match(msg, /Int cannot represent non-integer value: "eight"/);
    const msg2 = await errorOf(sandbox, 'query($f: String) { dataset(filename: $f) }', { f: 'v5.2/live.parquet' }, null);
    assert.match(msg2, /Variable "\$f" of type "String" used in position expecting type "String!"/);
  });

  test('syntax error', async () => {
    const r = await gql(sandbox, '{ rounds( }', null, null);
    assert.equal(r.status, 200);
    assert.match(r.body.errors![0].message, /^Syntax Error/);
    assert.ok(r.body.errors![0].locations);
  });

  test('a body that is not JSON, and no query, are HTTP 400', async () => {
    const bad = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
    assert.ok(((await bad.json()) as { errors: unknown[] }).errors.length === 1);
    const none = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"variables":null}' });
    assert.equal(none.status, 400);
  });

  test('the request forms Absinthe.Plug reads: JSON, application/graphql, GET ?query=; another body type is no document', async () => {
    const plain = await fetch(sandbox.url, { method: 'POST', body: JSON.stringify({ query: '{ rounds(number: 0) { number } }' }) });
    assert.equal(plain.status, 400, 'fetch sends a string body as text/plain: the server does not parse it');
    assert.deepEqual(await plain.json(), { errors: [{ message: 'No query document supplied' }] });
    const raw = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/graphql' }, body: '{ rounds(number: 0) { number } }' });
    assert.deepEqual(await raw.json(), { data: { rounds: [{ number: 1180 }] } });
    const get = await fetch(`${sandbox.url}?query=${encodeURIComponent('query($n: Int) { rounds(number: $n) { number } }')}&variables=${encodeURIComponent('{"n":0}')}`);
    assert.deepEqual(await get.json(), { data: { rounds: [{ number: 1180 }] } });
    const mutation = await fetch(`${sandbox.url}?query=${encodeURIComponent('mutation { triggerModelWebhook(modelId: "x") }')}`);
    assert.equal(mutation.status, 405);
  });

  test('gzip when the client accepts it (as the real, Cloudflare-fronted API)', async () => {
    const u = new URL(sandbox.url);
    const res = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/', method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ rounds(number: 0) { number } }' }));
    });
    assert.equal(res.encoding, 'gzip');
    assert.deepEqual(JSON.parse(gunzipSync(res.body).toString()), { data: { rounds: [{ number: 1180 }] } });
  });

  test('introspection is public', async () => {
    const d = await data<{ __schema: { queryType: { name: string }; mutationType: { name: string } } }>(sandbox, '{ __schema { queryType { name } mutationType { name } } }', null, null);
    assert.deepEqual(d.__schema, { queryType: { name: 'RootQueryType' }, mutationType: { name: 'RootMutationType' } });
  });
});

describe('auth', () => {
  const SESSION = 'Your session is invalid or has expired.';

  test('wrong secret, unknown id, swapped parts, no $, not "Token": the session message with HTTP 200', async () => {
    const { publicId, secretKey } = sandbox.credentials;
    for (const key of [
      { publicId, secretKey: 'bar' },
      { publicId: 'foo', secretKey },
      { publicId: secretKey, secretKey: publicId },
    ]) {
      assert.equal(await errorOf(sandbox, '{ account { username } }', null, key), SESSION);
    }
    for (const header of [`Token ${publicId}${secretKey}`, `Bearer ${publicId}$${secretKey}`]) {
      const res = await fetch(sandbox.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: header }, body: JSON.stringify({ query: '{ account { username } }' }) });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { errors: { message: string }[] }).errors[0].message, SESSION);
    }
  });

  test('no Authorization header on an auth-required field', async () => {
    assert.equal(await errorOf(sandbox, '{ account { username } }', null, null), SESSION);
  });

  test('the header splits on the first $: a secret containing $ works', async () => {
    const s = await startSandbox({ rows: 20, features: 4, accounts: [{ username: 'u', keys: [{ publicId: 'PUB', secretKey: 'SE$CRET', scopes: ['read_user_info'] }], models: [{ name: 'm', tournament: 8 }] }] });
    try {
      const d = await data<{ account: { username: string } }>(s, '{ account { username } }');
      assert.equal(d.account.username, 'u');
    } finally {
      await s.close();
    }
  });

  test('public fields work without a key', async () => {
    await data(sandbox, '{ rounds(number: 0) { number } listDatasets dataset(filename: "v5.2/features.json") }', null, null);
  });

  test('a key missing a scope: "Insufficient permission for <scope>"', async () => {
    assert.equal(await errorOf(sandbox, '{ account { username } }', null, sandbox.keyWithout('read_user_info')), 'Insufficient permission for read_user_info');
    const id = sandbox.modelId('example_gbt');
    assert.equal(
      await errorOf(sandbox, 'query($m: String) { submissions(modelId: $m) { id } }', { m: id }, sandbox.keyWithout('read_submission_info')),
      'Insufficient permission for read_submission_info',
    );
    assert.equal(
      await errorOf(sandbox, 'query($m: String) { submission_upload_auth(filename: "p.csv", tournament: 8, modelId: $m) { url } }', { m: id }, sandbox.keyWithout('upload_submission')),
      'Insufficient permission for upload_submission',
    );
    // the field error leaves the rest of the response: data with null for that field
    const r = await gql(sandbox, '{ account { username } rounds(number: 0) { number } }', null, sandbox.keyWithout('read_user_info'));
    assert.deepEqual(r.body.data, { account: null, rounds: [{ number: 1180 }] });
    assert.deepEqual(r.body.errors![0].path, ['account']);
  });
});

describe('models', () => {
  test("someone else's model, an unknown model, and no modelId on an account with several models", async () => {
    const other = sandbox.modelId('someone_elses_model');
    assert.match(await errorOf(sandbox, 'query($m: String) { model(modelId: $m) { name } }', { m: other }), /^Model not found/);
    assert.match(await errorOf(sandbox, 'query($m: String) { model(modelId: $m) { name } }', { m: '00000000-0000-4000-8000-000000000000' }), /^Model not found/);
    assert.match(await errorOf(sandbox, '{ submission_upload_auth(filename: "p.csv", tournament: 8) { url } }'), /modelId is required/);
  });

  test('a tournament other than 8, 11, 12, or not the model\'s own: "invalid tournament"', async () => {
    const id = sandbox.modelId('example_gbt');
    const q = 'query($m: String, $t: Int!) { submission_upload_auth(filename: "p.csv", tournament: $t, modelId: $m) { url } }';
    assert.equal(await errorOf(sandbox, q, { m: id, t: 9 }), 'invalid tournament');
    assert.equal(await errorOf(sandbox, q, { m: id, t: 12 }), 'invalid tournament');
  });

  test('a model managed by Numerai Model Uploads: API submissions are refused with a clear message', async () => {
    const id = sandbox.modelId('example_model_upload');
    const msg = await errorOf(sandbox, 'query($m: String) { submission_upload_auth(filename: "p.csv", tournament: 8, modelId: $m) { url } }', { m: id });
    assert.match(msg, /example_model_upload is managed by Numerai Model Uploads/);
    assert.match(msg, /submissions through the API are refused/);
    // it is still listed and readable
    const d = await data<{ model: { name: string; submissions: unknown[] } }>(sandbox, 'query($m: String) { model(modelId: $m) { name submissions { id } } }', { m: id });
    assert.deepEqual(d.model, { name: 'example_model_upload', submissions: [] });
  });
});

describe('round clock', () => {
  const CURRENT = '{ rounds(tournament: 8, number: 0) { number openTime closeStakingTime closeTime } }';

  test('open: openTime < now < closeStakingTime < closeTime', async () => {
    const d = await data<{ rounds: { number: number; openTime: string; closeStakingTime: string; closeTime: string }[] }>(sandbox, CURRENT, null, null);
    const r = d.rounds[0];
    const now = Date.now();
    assert.equal(r.number, 1180);
    assert.ok(Date.parse(r.openTime) < now && now < Date.parse(r.closeStakingTime) && Date.parse(r.closeStakingTime) < Date.parse(r.closeTime));
  });

  test('closed, shape null: rounds(number: 0) is [null]', async () => {
    sandbox.setRound('closed', undefined, { closedShape: 'null' });
    assert.deepEqual(await data(sandbox, CURRENT, null, null), { rounds: [null] });
  });

  test('closed, shape error: "Current round not open for submissions"', async () => {
    sandbox.setRound('closed', undefined, { closedShape: 'error' });
    const r = await gql(sandbox, CURRENT, null, null);
    assert.equal(r.status, 200);
    assert.equal(r.body.errors![0].message, 'Current round not open for submissions');
    assert.deepEqual(r.body.data, { rounds: null });
    sandbox.setRound('closed', undefined, { closedShape: 'null' });
  });

  test('closed: the live file and create_submission are refused; past rounds and features.json are served', async () => {
    sandbox.setRound('closed');
    assert.equal(await errorOf(sandbox, '{ dataset(filename: "v5.2/live.parquet") }', null, null), 'Current round not open for submissions');
    await data(sandbox, '{ dataset(filename: "v5.2/features.json") }', null, null);
    await data(sandbox, '{ dataset(filename: "v5.2/live.parquet", round: 1179) }', null, null);
    sandbox.setRound('open');
    const ids = sandbox.liveIds();
    const modelId = sandbox.modelId('example_gbt');
    const auth = await data<{ a: { filename: string; url: string } }>(sandbox, 'query($m: String) { a: submission_upload_auth(filename: "p.csv", tournament: 8, modelId: $m) { filename url } }', { m: modelId });
    await fetch(auth.a.url, { method: 'PUT', body: Buffer.from(validCsv(ids)) });
    sandbox.setRound('closed');
    const msg = await errorOf(sandbox, 'mutation($f: String!, $m: String) { create_submission(filename: $f, tournament: 8, modelId: $m) { id } }', { f: auth.a.filename, m: modelId });
    assert.equal(msg, 'Current round not open for submissions');
  });

  test('late: after closeStakingTime, before closeTime; submissions are accepted and marked late', async () => {
    sandbox.setRound('late');
    const d = await data<{ rounds: { number: number; closeStakingTime: string; closeTime: string }[] }>(sandbox, CURRENT, null, null);
    const now = Date.now();
    assert.ok(Date.parse(d.rounds[0].closeStakingTime) < now && now < Date.parse(d.rounds[0].closeTime));
    const r = await submit(sandbox, 'example_ensemble', validCsv(sandbox.liveIds()));
    assert.equal(r.body.errors, undefined);
    const sub = sandbox.submissions('example_ensemble').at(-1)!;
    assert.equal(sub.late, true);
    assert.equal(sub.round, 1180);
  });

  test('a new round has new live ids; rounds are listed newest first, one round day apart (Tuesday to Saturday)', async () => {
    const before = sandbox.liveIds();
    sandbox.setRound('open', 1181);
    await sandbox.ready();
    const after = sandbox.liveIds();
    assert.equal(after.length, before.length);
    assert.notDeepEqual(after, before);
    const d = await data<{ rounds: { number: number; openTime: string }[] }>(sandbox, '{ rounds(tournament: 8, limit: 2) { number openTime } }', null, null);
    assert.deepEqual(d.rounds.map((r) => r.number), [1181, 1180]);
    const gap = Date.parse(d.rounds[0].openTime) - Date.parse(d.rounds[1].openTime);
    const previousDay = new Date(Date.parse(d.rounds[0].openTime) - 86400_000).getUTCDay();
    // Sunday and Monday have no round: the round before a Tuesday one opened on Saturday.
    assert.equal(gap, (previousDay === 1 ? 3 : previousDay === 0 ? 2 : 1) * 86400_000);
    // a submission with the previous round's ids is refused
    const r = await submit(sandbox, 'example_gbt', validCsv(before));
    assert.match(r.body.errors![0].message, /^invalid_submission_ids: Not enough stocks submitted/);
  });

  test('history: earlier rounds have submissions, the current one none until submitted', async () => {
    const s = await startSandbox({ rows: 20, features: 4, round: { number: 500, state: 'open' } });
    try {
      const d = await data<{ model: { submissions: { round: { number: number } }[] } }>(s, 'query($m: String) { model(modelId: $m) { submissions { round { number } } } }', { m: s.modelId('example_gbt') });
      assert.deepEqual(d.model.submissions.map((x) => x.round.number), [499, 498]);
      assert.deepEqual(s.submissions(), [], 'submissions() lists only what create_submission recorded');
    } finally {
      await s.close();
    }
  });

  test('removeSubmission makes a model pending again', async () => {
    sandbox.setRound('open', 1182);
    await sandbox.ready();
    await submit(sandbox, 'example_gbt', validCsv(sandbox.liveIds()));
    const q = 'query($m: String) { model(modelId: $m) { submissions { round { number } } } }';
    const has = async () => (await data<{ model: { submissions: { round: { number: number } }[] } }>(sandbox, q, { m: sandbox.modelId('example_gbt') })).model.submissions.some((x) => x.round.number === 1182);
    assert.equal(await has(), true);
    sandbox.removeSubmission('example_gbt');
    assert.equal(await has(), false);
  });
});
