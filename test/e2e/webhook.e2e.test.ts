/**
 * Submit the moment the round opens, end to end: `webhook set` registers the relay with the sandbox; the sandbox
 * opens a round and POSTs Numerai's body to the relay, running in workerd (miniflare) on loopback; the relay
 * dispatches the submitting workflow on the GitHub REST emulator, which checks the inputs against the ones
 * .github/workflows/submit.yml declares; then the committed bundle runs with that dispatch's inputs, as a runner
 * would, and every submission reaches the sandbox carrying the trigger id.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Miniflare } from 'miniflare';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { ALL_SCOPES, startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { GitHubRestEmulator, WRITE_TOKEN, type WorkflowInputSpec } from '../emulators/github-rest.js';
import { relayWorkerScript } from '../relay/worker.js';
import { copyTree, parseFileCommands, ROOT, runBundle } from './harness.js';

const SECRET_KEY = 'WEBHOOKE2ESECRET' + 'K'.repeat(48);
const PUBLIC_ID = 'WEBHOOKE2EPUBLICIDAAAAAAAAAAAAAA';
const RELAY_SECRET = 'e2e-relay-path-secret-0123456789abcdef';
const MODELS = ['example_ensemble', 'example_gbt', 'example_linear'];
const ROUND = 1190;

let sandbox: Sandbox;
let github: GitHubRestEmulator;
let mf: Miniflare;
let relayUrl: string;
let base: string;

/** The dispatch inputs submit.yml declares, as the emulator checks them. */
function submitWorkflowInputs(): Record<string, WorkflowInputSpec> {
  const workflow = parse(fs.readFileSync(path.join(ROOT, '.github/workflows/submit.yml'), 'utf8')) as { on: { workflow_dispatch: { inputs: Record<string, WorkflowInputSpec> } } };
  return workflow.on.workflow_dispatch.inputs;
}

describe('a round opens: Numerai → relay → workflow_dispatch → the action submits with the trigger id', { concurrency: false }, () => {
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-webhook-e2e-'));
    sandbox = await startSandbox({
      rows: 200,
      round: { number: ROUND - 1, state: 'closed' },
      accounts: [{ username: 'e2e_user', keys: [{ publicId: PUBLIC_ID, secretKey: SECRET_KEY, scopes: [...ALL_SCOPES] }], models: MODELS.map((name) => ({ name, tournament: 8 })) }],
      history: false,
    });
    github = await GitHubRestEmulator.start({ owner: 'octo', repo: 'numerai-models', workflows: { 'submit.yml': { dispatch: { inputs: submitWorkflowInputs() } } } });
    const { script, compatibilityDate } = await relayWorkerScript();
    mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate,
      port: 0,
      bindings: { RELAY_SECRET, GITHUB_TOKEN: WRITE_TOKEN, GITHUB_REPOSITORY: 'octo/numerai-models', WORKFLOW: 'submit.yml', REF: 'main', GITHUB_API_URL: github.apiUrl },
    });
    const served = await mf.ready;
    relayUrl = new URL(`/${RELAY_SECRET}`, served).toString();
  });

  after(async () => {
    await mf?.dispose();
    await Promise.all([sandbox?.close(), github?.close()]);
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  it('webhook set registers the relay on one model, and the round opening reaches GitHub as exactly one dispatch', async () => {
    let out = '';
    let err = '';
    const env = { NUMERAI_API_URL: sandbox.url, NUMERAI_PUBLIC_ID: PUBLIC_ID, NUMERAI_SECRET_KEY: SECRET_KEY };
    const code = await runCli(['webhook', 'set', relayUrl, '--models', 'example_gbt'], { env, cwd: base, stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
    assert.equal(code, 0, err);
    assert.match(out, /example_gbt +set to http:\/\/127\.0\.0\.1:\d+\//);

    sandbox.setRound('open', ROUND);
    await sandbox.webhooksSettled();
    const calls = sandbox.webhookCalls();
    assert.equal(calls.length, 1, 'Numerai calls the one model that has a webhook');
    assert.equal(calls[0].status, 200, calls[0].answer);
    assert.deepEqual(JSON.parse(calls[0].answer), { ok: true, triggerId: calls[0].triggerId, workflow: 'submit.yml', ref: 'main' });

    const dispatches = github.dispatches();
    assert.equal(dispatches.length, 1);
    assert.deepEqual(
      { ...dispatches[0], runId: 0 },
      {
        workflow: 'submit.yml',
        ref: 'main',
        inputs: { models: '', force: 'false', 'dry-run': 'false', 'trigger-id': calls[0].triggerId, reason: `Numerai webhook: round ${ROUND} is open` },
        runId: 0,
      },
    );
  });

  it('the run the dispatch starts submits every model, each submission carrying the trigger id', async () => {
    const [dispatch] = github.dispatches();
    const dirs = { workspace: path.join(base, 'work'), temp: path.join(base, 'temp'), files: path.join(base, 'files'), action: path.join(base, 'action') };
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
    copyTree(path.join(ROOT, 'models'), path.join(dirs.workspace, 'models'));
    copyTree(path.join(ROOT, 'action'), dirs.action);
    const file = (name: string) => {
      const at = path.join(dirs.files, name);
      fs.writeFileSync(at, '');
      return at;
    };
    const outputs = file('output');
    const summary = file('summary');
    // What the runner hands the action for submit.yml's step: its `with:` block, the dispatch inputs filled in.
    const result = await runBundle({
      actionDir: dirs.action,
      cwd: dirs.workspace,
      env: {
        GITHUB_WORKSPACE: dirs.workspace,
        RUNNER_TEMP: dirs.temp,
        GITHUB_OUTPUT: outputs,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_ENV: file('env'),
        GITHUB_STATE: file('state'),
        GITHUB_EVENT_NAME: 'workflow_dispatch',
        GITHUB_REPOSITORY: 'octo/numerai-models',
        GITHUB_RUN_ID: String(dispatch.runId),
        GITHUB_API_URL: github.apiUrl,
        GITHUB_ACTIONS: 'true',
        RUNNER_OS: 'Linux',
        RUNNER_ARCH: 'X64',
        'INPUT_PUBLIC-ID': PUBLIC_ID,
        'INPUT_SECRET-KEY': SECRET_KEY,
        INPUT_MODELS: dispatch.inputs.models,
        INPUT_FORCE: dispatch.inputs.force,
        'INPUT_DRY-RUN': dispatch.inputs['dry-run'],
        'INPUT_TRIGGER-ID': dispatch.inputs['trigger-id'],
        'INPUT_MODELS-DIR': 'models',
        INPUT_CACHE: 'false',
        'INPUT_UPLOAD-ARTIFACTS': 'false',
        'INPUT_OPEN-ISSUES': 'false',
        'INPUT_GITHUB-TOKEN': WRITE_TOKEN,
        'INPUT_FAIL-ON-ERROR': 'true',
        'INPUT_API-URL': sandbox.url,
      },
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const triggerId = dispatch.inputs['trigger-id'];
    for (const model of MODELS) {
      const submissions = sandbox.submissions(model).filter((s) => s.round === ROUND);
      assert.equal(submissions.length, 1, `${model} submitted once`);
      assert.equal(submissions[0].triggerId, triggerId, `${model}'s submission carries the trigger id`);
    }
    const report = JSON.parse(fs.readFileSync(parseFileCommands(fs.readFileSync(outputs, 'utf8')).report, 'utf8')) as { schemaVersion: number; trigger?: { event: string; id?: string; round: number } };
    assert.equal(report.schemaVersion, 2);
    assert.deepEqual([report.trigger?.event, report.trigger?.id, report.trigger?.round], ['workflow_dispatch', triggerId, ROUND]);
    assert.ok(fs.readFileSync(summary, 'utf8').includes(`started by workflow_dispatch (Numerai's round-open webhook, trigger ${triggerId})`), 'the job summary names the trigger');
    assert.ok(!result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n').includes(SECRET_KEY), 'the secret key is not logged');
  });
});
