/**
 * `numerai-autopilot webhook set|show|test|remove` against the sandbox: numerapi's mutations, a webhook server on
 * loopback standing in for the relay, the URL rule, Model Uploads models explained and left alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkWebhookUrl } from '../../src/cli/webhook.js';
import { runCli } from '../../src/cli/main.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { webhookReceiver } from '../sandbox/helpers.js';

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
let env: Record<string, string>;

before(async () => {
  sandbox = await startSandbox({ rows: 20, features: 5 });
  receiver = await webhookReceiver();
  env = { NUMERAI_API_URL: sandbox.url, NUMERAI_PUBLIC_ID: sandbox.credentials.publicId, NUMERAI_SECRET_KEY: sandbox.credentials.secretKey };
});
after(async () => {
  await sandbox.close();
  await receiver.close();
});

async function webhook(args: string[], environment = env) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['webhook', ...args], { env: environment, cwd: '/nonexistent', stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  assert.ok(!stdout.includes(env.NUMERAI_SECRET_KEY) && !stderr.includes(env.NUMERAI_SECRET_KEY), 'the secret key is never printed');
  return { code, stdout, stderr };
}

describe('webhook', () => {
  test('set registers the URL on the chosen models, show lists them, Model Uploads models are explained and left alone', async () => {
    const set = await webhook(['set', receiver.url, '--models', 'example_gbt,example_model_upload']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^example_gbt +set to http:\/\/127\.0\.0\.1:\d+\/hook$/m);
    assert.match(set.stdout, /^example_model_upload +skipped: managed by Numerai Model Uploads: .*cannot have a webhook \(nothing done\)$/m);
    const show = await webhook(['show']);
    assert.equal(show.code, 0);
    assert.match(show.stdout, new RegExp(`^example_gbt +${receiver.url.replace(/[.:/]/g, '\\$&')}$`, 'm'));
    assert.match(show.stdout, /^example_linear +\(no webhook\)$/m);
    assert.match(show.stdout, /^example_model_upload +\(managed by Numerai Model Uploads\)$/m);
    assert.equal(receiver.calls.length, 0);
  });

  test('test makes Numerai call the webhook and shows the trigger id; a failing webhook shows Numerai\'s error and exits 1', async () => {
    const ok = await webhook(['test', '--models', 'example_gbt']);
    assert.equal(ok.code, 0, ok.stderr);
    const [call] = sandbox.webhookCalls('example_gbt');
    assert.match(ok.stdout, new RegExp(`example_gbt +Numerai called .* and got HTTP 200: trigger ${call.triggerId}`));
    assert.equal(JSON.parse(receiver.calls[0].body).triggerId, call.triggerId);
    Object.assign(receiver.answer, { status: 502, body: '{"ok":false,"error":"github rejected the token (401: Bad credentials)"}' });
    const failed = await webhook(['test', '--models', 'example_gbt,example_linear']);
    Object.assign(receiver.answer, { status: 200, body: 'ok' });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /webhook test: example_gbt: .*Error received from your webhook server: \{"ok":false,"error":"github rejected the token \(401: Bad credentials\)"\}/);
    assert.match(failed.stdout, /^example_linear +no webhook to test/m);
  });

  test('remove takes the webhook away', async () => {
    assert.equal((await webhook(['remove', '--models', 'example_gbt'])).code, 0);
    assert.match((await webhook(['show', '--models', 'example_gbt'])).stdout, /^example_gbt +\(no webhook\)$/m);
  });

  test('refuses what would not work, saying why', async () => {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['set', 'http://relay.example.com/secret'], /http:\/\/relay\.example\.com is refused: .*unencrypted; use an https URL/],
      [['set', 'not a url'], /"not a url" is not a URL/],
      [['set'], /webhook set: give the URL to register/],
      [['frob'], /unknown action "frob"/],
      [['show', '--models', 'nobody'], /no model named nobody in this account/],
      [['show'], /NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY are not set/, {}],
      [['show'], /could not read the account's models: .*Insufficient permission for read_user_info/, { ...env, ...asKey(() => sandbox.keyWithout('read_user_info')) }],
      [['set', receiver.url, '--models', 'example_linear'], /example_linear: .*Insufficient permission for upload_submission/, { ...env, ...asKey(() => sandbox.keyWithout('upload_submission')) }],
    ];
    for (const [args, reason, environment] of cases) {
      const result = await webhook(args, environment ?? env);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, reason);
    }
    assert.equal(checkWebhookUrl('http://127.0.0.1:8787/x'), 'http://127.0.0.1:8787/x');
    assert.equal(checkWebhookUrl('http://localhost/x'), 'http://localhost/x');
    assert.equal(checkWebhookUrl('https://relay.example.workers.dev/abc'), 'https://relay.example.workers.dev/abc');
    assert.match((await webhook(['--help'])).stdout, /Key scopes: show needs read_user_info; set, remove and test also upload_submission/);
  });
});

function asKey(key: () => { publicId: string; secretKey: string }) {
  // Getter, so that it runs after before() started the sandbox.
  return {
    get NUMERAI_PUBLIC_ID() {
      return key().publicId;
    },
    get NUMERAI_SECRET_KEY() {
      return key().secretKey;
    },
  };
}
