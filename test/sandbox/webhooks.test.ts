/**
 * The sandbox's webhooks behave as Numerai's: numerapi's mutations set, show and remove a model's webhook; a
 * Model Uploads model cannot have one; triggerModelWebhook and a round opening POST Numerai's body to the
 * registered URL, and each call and its answer is recorded.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { WEBHOOK_MESSAGES } from '../../src/sandbox/webhooks/api.js';
import { SET_SUBMISSION_WEBHOOK, TRIGGER_MODEL_WEBHOOK } from './fixtures/numerapi-queries.js';
import { data, errorOf, webhookReceiver } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const WEBHOOKS = `query { account { models { name submissionWebhook } } }`;

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

before(async () => {
  sandbox = await startSandbox({ rows: 20, features: 5, webhookTimeoutMs: 500 });
  receiver = await webhookReceiver();
});
after(async () => {
  await sandbox.close();
  await receiver.close();
});
afterEach(async () => {
  for (const name of ['example_gbt', 'example_ensemble', 'example_linear']) {
    await data(sandbox, SET_SUBMISSION_WEBHOOK, { modelId: sandbox.modelId(name), newSubmissionWebhook: null });
  }
  receiver.calls.length = 0;
  Object.assign(receiver.answer, { status: 200, body: 'ok' });
});

const set = (model: string, url: string | null) => data(sandbox, SET_SUBMISSION_WEBHOOK, { modelId: sandbox.modelId(model), newSubmissionWebhook: url });
const webhooks = async () =>
  Object.fromEntries((await data<{ account: { models: { name: string; submissionWebhook: string | null }[] } }>(sandbox, WEBHOOKS)).account.models.map((m) => [m.name, m.submissionWebhook]));

describe('setSubmissionWebhook', () => {
  test('sets, shows and removes a model\'s webhook, answering the string "true"', async () => {
    assert.deepEqual(await set('example_gbt', receiver.url), { setSubmissionWebhook: 'true' });
    assert.equal((await webhooks()).example_gbt, receiver.url);
    assert.equal((await webhooks()).example_linear, null);
    await set('example_gbt', null);
    assert.equal((await webhooks()).example_gbt, null);
  });

  test('refuses a Model Uploads model, a key without upload_submission, someone else\'s model, a missing modelId', async () => {
    const managed = sandbox.modelId('example_model_upload');
    assert.equal(await errorOf(sandbox, SET_SUBMISSION_WEBHOOK, { modelId: managed, newSubmissionWebhook: receiver.url }), WEBHOOK_MESSAGES.managed('example_model_upload'));
    assert.deepEqual(await data(sandbox, SET_SUBMISSION_WEBHOOK, { modelId: managed, newSubmissionWebhook: null }), { setSubmissionWebhook: 'true' }, 'removing is allowed');
    const args = { modelId: sandbox.modelId('example_gbt'), newSubmissionWebhook: receiver.url };
    assert.equal(await errorOf(sandbox, SET_SUBMISSION_WEBHOOK, args, sandbox.keyWithout('upload_submission')), 'Insufficient permission for upload_submission');
    assert.equal(await errorOf(sandbox, SET_SUBMISSION_WEBHOOK, args, null), 'Your session is invalid or has expired.');
    const other = sandbox.modelId('someone_elses_model');
    assert.equal(await errorOf(sandbox, SET_SUBMISSION_WEBHOOK, { modelId: other, newSubmissionWebhook: receiver.url }), `Model not found: ${other}`);
    assert.match(await errorOf(sandbox, SET_SUBMISSION_WEBHOOK, { newSubmissionWebhook: receiver.url }), /modelId/);
    assert.equal(receiver.calls.length, 0);
  });
});

describe('triggerModelWebhook', () => {
  test('POSTs Numerai\'s body to the webhook, records the call, and answers its trigger id', async () => {
    await set('example_ensemble', receiver.url);
    const { triggerModelWebhook: triggerId } = await data<{ triggerModelWebhook: string }>(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId: sandbox.modelId('example_ensemble') });
    assert.match(triggerId, UUID);
    assert.equal(receiver.calls.length, 1);
    const [received] = receiver.calls;
    assert.equal(received.path, '/hook');
    assert.equal(received.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(received.body), { roundNumber: sandbox.round().number, dataVersion: 1, triggerId });
    const [call] = sandbox.webhookCalls('example_ensemble');
    assert.deepEqual(
      { ...call, sentAt: undefined, ms: undefined },
      { triggerId, modelId: sandbox.modelId('example_ensemble'), modelName: 'example_ensemble', url: receiver.url, round: sandbox.round().number, cause: 'trigger', body: received.body, sentAt: undefined, status: 200, answer: 'ok', ok: true, ms: undefined },
    );
  });

  test('passes the webhook\'s failure on as Numerai does: any answer but 200, no answer, no webhook', async () => {
    const modelId = sandbox.modelId('example_gbt');
    await set('example_gbt', receiver.url);
    Object.assign(receiver.answer, { status: 500, body: '{"Error":"no capacity"}' });
    assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId }), 'Error received from your webhook server: {"Error":"no capacity"}');
    Object.assign(receiver.answer, { status: 202, body: '' });
    assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId }), 'Error received from your webhook server: HTTP 202');
    const gone = await webhookReceiver();
    await gone.close();
    await set('example_gbt', gone.url);
    assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId }), 'Error received from your webhook server: ECONNREFUSED');
    await set('example_gbt', null);
    assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId }), 'Model example_gbt has no submission webhook');
    const managed = sandbox.modelId('example_model_upload');
    assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId: managed }), WEBHOOK_MESSAGES.managed('example_model_upload'));
    assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId }, sandbox.keyWithout('upload_submission')), 'Insufficient permission for upload_submission');
    assert.deepEqual(
      sandbox.webhookCalls('example_gbt').map((c) => [c.status, c.ok]),
      [[500, false], [202, false], [0, false]],
    );
  });

  test('gives up on a webhook that does not answer, within the sandbox\'s timeout', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      await set('example_linear', `http://127.0.0.1:${(silent.address() as { port: number }).port}/`);
      assert.equal(await errorOf(sandbox, TRIGGER_MODEL_WEBHOOK, { modelId: sandbox.modelId('example_linear') }), 'Error received from your webhook server: no answer within 500 ms');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('a round opening', () => {
  test('POSTs Numerai\'s body to every model with a webhook (not to the others), once per opening', async () => {
    const second = await webhookReceiver();
    try {
      await set('example_gbt', receiver.url);
      await set('example_linear', second.url);
      const number = sandbox.round().number + 1;
      sandbox.setRound('open', number);
      sandbox.setRound('open', number); // the same round again: not a new opening
      await sandbox.webhooksSettled();
      const calls = sandbox.webhookCalls().filter((c) => c.cause === 'round-open');
      assert.deepEqual(calls.map((c) => [c.modelName, c.round, c.status]).sort(), [['example_gbt', number, 200], ['example_linear', number, 200]]);
      assert.equal(receiver.calls.length, 1);
      assert.equal(second.calls.length, 1);
      const body = JSON.parse(receiver.calls[0].body);
      assert.deepEqual(body, { roundNumber: number, dataVersion: 1, triggerId: calls.find((c) => c.modelName === 'example_gbt')!.triggerId });
      assert.notEqual(JSON.parse(second.calls[0].body).triggerId, body.triggerId, 'each model\'s call has its own trigger id');

      sandbox.setRound('closed');
      sandbox.setRound('open', number + 1);
      await sandbox.webhooksSettled();
      assert.equal(receiver.calls.length, 2);
      assert.equal(JSON.parse(receiver.calls[1].body).roundNumber, number + 1);
    } finally {
      await second.close();
    }
  });
});
