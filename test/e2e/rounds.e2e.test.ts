/**
 * The committed action, end to end, around the rounds: a scheduled run that starts before the round opens and waits
 * for it (ending in a submission), and a missed-round issue's whole life (opened on a miss, commented on when a newer
 * round is missed, closed once the model is on time again). Node 24 on the committed bundle, in a folder with no
 * node_modules, against the sandbox (its round clock and history), the Actions results emulator and the GitHub REST
 * emulator.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../src/pipeline/report.js';
import { ALL_SCOPES, startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { ActionsResultsEmulator } from '../emulators/actions-results.js';
import { GitHubRestEmulator, WRITE_TOKEN } from '../emulators/github-rest.js';
import { copyTree, parseFileCommands, ROOT, runBundle, type BundleResult } from './harness.js';

const SECRET = 'ROUNDSE2ESECRET' + 'K'.repeat(48);
const PUBLIC_ID = 'ROUNDSE2EPUBLICIDAAAAAAAAAAAAAAA';
const MODELS = ['example_gbt', 'example_linear'];
const ROUND = 1300;

let sandbox: Sandbox;
let results: ActionsResultsEmulator;
let github: GitHubRestEmulator;
let base: string;
let runNumber = 0;

interface ActionRun extends BundleResult {
  outputs: Record<string, string>;
  summary: string;
  report: RunReport;
}

async function runAction(inputs: Record<string, string> = {}): Promise<ActionRun> {
  runNumber += 1;
  const workspace = path.join(base, 'work');
  const files = path.join(base, 'files', String(runNumber));
  fs.mkdirSync(files, { recursive: true });
  const outputFile = path.join(files, 'output');
  const summaryFile = path.join(files, 'summary');
  for (const file of [outputFile, summaryFile]) fs.writeFileSync(file, '');
  const env: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(results.runnerEnv({ workspace, runnerTemp: path.join(base, 'temp') })).filter(([, v]) => v !== undefined)) as Record<string, string>),
    GITHUB_RUN_ID: String(7000 + runNumber),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_API_URL: github.apiUrl,
    GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
    GITHUB_WORKFLOW: 'Submit predictions',
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_ACTIONS: 'true',
    'INPUT_PUBLIC-ID': PUBLIC_ID,
    'INPUT_SECRET-KEY': SECRET,
    'INPUT_MODELS-DIR': 'models',
    INPUT_CACHE: 'true',
    'INPUT_OPEN-ISSUES': 'true',
    'INPUT_GITHUB-TOKEN': WRITE_TOKEN,
    'INPUT_UPLOAD-ARTIFACTS': 'false',
    'INPUT_API-URL': sandbox.url,
    'INPUT_EXPECT-ROUNDS': 'all',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const result = await runBundle({ actionDir: path.join(base, 'action'), cwd: workspace, env });
  const outputs = parseFileCommands(fs.readFileSync(outputFile, 'utf8'));
  const run = { ...result, outputs, summary: fs.readFileSync(summaryFile, 'utf8'), report: JSON.parse(fs.readFileSync(outputs.report, 'utf8')) as RunReport };
  const text = [result.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), result.stderr, run.summary].join('\n');
  assert.ok(!text.includes(SECRET) && !text.includes('ROUNDSE2ESECRET'), 'the secret key leaked');
  return run;
}

const explain = (run: BundleResult) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
const missedIssues = () => github.issues().filter((i) => (i.body ?? '').includes('numerai-autopilot:missed-rounds='));

describe('the committed action and the rounds', { concurrency: false }, () => {
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-rounds-e2e-'));
    sandbox = await startSandbox({
      rows: 200,
      round: { number: ROUND, state: 'closed' },
      accounts: [{ username: 'rounds_user', keys: [{ publicId: PUBLIC_ID, secretKey: SECRET, scopes: [...ALL_SCOPES] }], models: MODELS.map((name) => ({ name, tournament: 8 })) }],
      history: { example_gbt: 'oo', example_linear: 'oo' },
    });
    results = await ActionsResultsEmulator.start({ repository: 'octo/numerai-models', runId: '4242', runAttempt: '1' });
    github = await GitHubRestEmulator.start({ owner: 'octo', repo: 'numerai-models' });
    copyTree(path.join(ROOT, 'action'), path.join(base, 'action'));
    for (const model of MODELS) copyTree(path.join(ROOT, 'models', model), path.join(base, 'work', 'models', model));
  });

  after(async () => {
    await Promise.all([sandbox?.close(), results?.close(), github?.close()]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('a scheduled run before the round opens waits for it and submits every model', async () => {
    // Due after the action has started on a loaded machine: it finds the round upcoming and sleeps until it opens.
    const due = Date.now() + 25_000;
    sandbox.openRoundAt(due);
    const run = await runAction({ 'wait-for-round': '2m', 'expect-rounds': 'weekend' });
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.outputs.round, String(ROUND + 1));
    assert.deepEqual((JSON.parse(run.outputs.submitted) as string[]).sort(), MODELS);
    for (const model of MODELS) assert.equal(sandbox.submissions(model).filter((s) => s.round === ROUND + 1 && !s.late).length, 1);
    assert.match(run.stdout, new RegExp(`::notice::Round ${ROUND + 1} opened at .*; found after waiting \\d+ s`));
    const { trigger } = run.report;
    assert.equal(trigger?.event, 'schedule');
    assert.ok(trigger && trigger.secondsAfterOpen! < 0 && trigger.waitedSeconds >= 2, JSON.stringify(trigger));
    assert.match(run.summary, new RegExp(`before round ${ROUND + 1} opened, .* before the on-time deadline \\(event: schedule\\)\\. It waited \\d+ s for the round to open\\.`));
    assert.equal(missedIssues().length, 0, 'waiting made it: nothing missed');
  });

  it('a missed round opens one issue for the model, separate from failure issues', async () => {
    sandbox.setRound('closed', ROUND + 2); // round ROUND + 2 came and went without a run
    const run = await runAction({ models: 'example_gbt' });
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.outputs.round, '');
    const gbt = run.report.recentRounds?.models.find((m) => m.model === 'example_gbt');
    assert.ok(gbt?.missed.includes(ROUND + 2), JSON.stringify(run.report.recentRounds));
    const issues = missedIssues();
    assert.equal(issues.length, 1, 'one issue, for the model of this run');
    assert.equal(issues[0].state, 'open');
    // Round ROUND (closed when the sandbox started, never submitted) was missed too.
    assert.equal(issues[0].title, `Numerai Autopilot: model example_gbt missed rounds ${ROUND} and ${ROUND + 2}`);
    assert.match(run.summary, /<h3>Rounds missed<\/h3>/);
    assert.ok(run.summary.includes(`#${issues[0].number}</a> (opened)`), 'the Rounds missed section links the issue');
  });

  it('a newer missed round is a comment on the same issue', async () => {
    sandbox.setRound('closed', ROUND + 3);
    const run = await runAction({ models: 'example_gbt' });
    assert.equal(run.code, 0, explain(run));
    const issues = missedIssues();
    assert.equal(issues.length, 1, 'still one issue');
    assert.equal(issues[0].state, 'open');
    const comments = github.comments(issues[0].number);
    assert.equal(comments.length, 1);
    assert.match(comments[0].body, new RegExp(`^Missed round ${ROUND + 3} too`));
  });

  it('on time again: submitted, and the missed-round issue is closed', async () => {
    sandbox.setRound('open', ROUND + 4);
    const run = await runAction({ models: 'example_gbt' });
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(JSON.parse(run.outputs.submitted), ['example_gbt']);
    const issues = missedIssues();
    assert.equal(issues[0].state, 'closed');
    assert.match(github.comments(issues[0].number).at(-1)!.body, new RegExp(`submitted on time in round \\*\\*${ROUND + 4}\\*\\*`));
    assert.ok(run.summary.includes(`#${issues[0].number}</a> (closed)`));
    for (const issue of github.issues()) assert.ok(!`${issue.title}\n${issue.body}`.includes(SECRET));
  });
});
