/**
 * The committed action, end to end, the way a runner starts it: Node 24 on action/index.js copied into a folder
 * with no node_modules, INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, ACTIONS_* runtime
 * variables, against the Numerai sandbox, the Actions results-service emulator (cache and artifacts) and the
 * GitHub REST emulator (issues). The runs below are one repository's life through a few rounds, in order; each
 * asserts what a user would see: exit code, outputs, job summary, annotations, artifact, issues, and what reached
 * Numerai.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../src/pipeline/report.js';
import { ALL_SCOPES, startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { mermaidBlocks, mermaidParse } from '../github/mermaid.js';
import { ActionsResultsEmulator } from '../emulators/actions-results.js';
import { GitHubRestEmulator, WRITE_TOKEN } from '../emulators/github-rest.js';
import { copyTree, filesBelow, parseFileCommands, ROOT, runBundle, type BundleResult } from './harness.js';

const CANARY_SECRET = 'CANARYSECRETKEYZZ7Q' + 'X'.repeat(45);
const PUBLIC_ID = 'E2EPUBLICIDAAAAAAAAAAAAAAAAAAAAA';
const MODELS = ['example_ensemble', 'example_gbt', 'example_linear'];
const ROUND = 1181;

let sandbox: Sandbox;
let results: ActionsResultsEmulator;
let github: GitHubRestEmulator;
let base: string;

/** A runner's folders. Same paths on every run (runners give a repository the same workspace path). */
const runnerDirs = () => ({
  workspace: path.join(base, 'work', 'numerai-models'),
  temp: path.join(base, 'temp'),
  files: path.join(base, 'files'),
  action: path.join(base, 'actions', 'numerai-autopilot'),
});

/** A new runner: nothing left from earlier runs but the checked-out repository (the models folder). */
function freshRunner(): void {
  const dirs = runnerDirs();
  for (const dir of [dirs.workspace, dirs.temp, dirs.files]) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  copyTree(path.join(ROOT, 'models'), path.join(dirs.workspace, 'models'));
}

/** Replaces a model's ONNX file in the workspace with bytes onnxruntime cannot load. */
function breakModel(model: string): void {
  const dir = path.join(runnerDirs().workspace, 'models', model);
  const onnx = fs.readdirSync(dir).find((f) => f.endsWith('.onnx'));
  assert.ok(onnx, `${model} has an ONNX file`);
  fs.writeFileSync(path.join(dir, onnx), 'not an onnx model');
}

interface ActionRun extends BundleResult {
  outputs: Record<string, string>;
  summary: string;
  /** Everything that left the run as text: stdout, stderr, outputs, summary. */
  allText: string;
}

let runNumber = 0;

async function runAction(inputs: Record<string, string> = {}): Promise<ActionRun> {
  const dirs = runnerDirs();
  runNumber += 1;
  const outputFile = path.join(dirs.files, 'output');
  const summaryFile = path.join(dirs.files, 'step_summary');
  for (const file of [outputFile, summaryFile, path.join(dirs.files, 'env'), path.join(dirs.files, 'state')]) fs.writeFileSync(file, '');
  const env: Record<string, string> = {
    ...definedOnly(results.runnerEnv({ workspace: dirs.workspace, runnerTemp: dirs.temp })),
    // Every workflow run has its own id (artifact names are unique per run).
    GITHUB_RUN_ID: String(5000 + runNumber),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ENV: path.join(dirs.files, 'env'),
    GITHUB_STATE: path.join(dirs.files, 'state'),
    GITHUB_API_URL: github.apiUrl,
    GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
    GITHUB_WORKFLOW: 'Submit predictions',
    GITHUB_WORKFLOW_REF: 'octo/numerai-models/.github/workflows/submit.yml@refs/heads/main',
    GITHUB_JOB: 'submit',
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    // The runner passes every declared input, with its default when the workflow does not set it.
    'INPUT_PUBLIC-ID': PUBLIC_ID,
    'INPUT_SECRET-KEY': CANARY_SECRET,
    'INPUT_MODELS-DIR': 'models',
    INPUT_MODELS: '',
    'INPUT_DRY-RUN': 'false',
    INPUT_FORCE: 'false',
    INPUT_CACHE: 'true',
    'INPUT_DATA-DIR': '.numerai-data',
    'INPUT_OUTPUT-DIR': '',
    'INPUT_OPEN-ISSUES': 'true',
    'INPUT_GITHUB-TOKEN': WRITE_TOKEN,
    'INPUT_UPLOAD-ARTIFACTS': 'true',
    'INPUT_FAIL-ON-ERROR': 'true',
    'INPUT_API-URL': sandbox.url,
    'INPUT_KEEP-SCHEDULE-ALIVE': 'false',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const result = await runBundle({ actionDir: dirs.action, cwd: dirs.workspace, env });
  const outputs = parseFileCommands(fs.readFileSync(outputFile, 'utf8'));
  const summary = fs.readFileSync(summaryFile, 'utf8');
  // `::add-mask::<value>` is how an action hands a secret to the runner, which never prints that line; every
  // other line is what a user sees in the log.
  const logged = result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
  const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
  assert.ok(masks.includes(`::add-mask::${env['INPUT_SECRET-KEY']}`), 'the secret key is masked');
  return { ...result, outputs, summary, allText: [logged.join('\n'), result.stderr, JSON.stringify(outputs), summary].join('\n') };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const explain = (run: BundleResult) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
const list = (run: ActionRun, output: string): string[] => JSON.parse(run.outputs[output] ?? 'null') as string[];
const downloads = () => sandbox.requests.filter((r) => r.operation === 'download').length;
const uploads = () => sandbox.requests.filter((r) => r.operation === 'upload' || r.operation === 'create_submission').length;
const submissionsThisRound = (model: string) => sandbox.submissions(model).filter((s) => s.round === ROUND);

/** The Scores section: after the run table, a row and a chart (that Mermaid parses) per model, the scores in the report. */
async function assertScoresSection(run: ActionRun): Promise<void> {
  const at = run.summary.indexOf('<h3>Scores</h3>');
  assert.ok(at > run.summary.indexOf('<th>Model</th><th>Status</th>'), 'a Scores section after the run table');
  const section = run.summary.slice(at);
  for (const model of MODELS) assert.match(section, new RegExp(`<td><code>${model}</code></td><td>round \\d+: <b>-?\\d\\.\\d{4}</b> = `));
  const charts = mermaidBlocks(section);
  assert.equal(charts.length, MODELS.length, 'a chart per model');
  for (const chart of charts) assert.equal(((await mermaidParse(chart)) as { diagramType: string }).diagramType, 'xychart');
  const report = JSON.parse(fs.readFileSync(run.outputs.report, 'utf8')) as RunReport;
  assert.equal(report.schemaVersion, 2);
  assert.deepEqual(report.scores?.models.map((m) => m.model).sort(), MODELS);
  assert.ok(report.scores?.models.every((m) => m.rounds.length === 20 && m.latestResolved?.resolved === true));
}

/** Nothing that leaves a run may carry the secret key. */
function assertNoSecret(run: ActionRun): void {
  assert.ok(!run.allText.includes(CANARY_SECRET), 'the secret key leaked into stdout, stderr, outputs or the summary');
  assert.ok(!run.allText.includes('CANARYSECRETKEY'), 'a part of the secret key leaked');
  for (const file of filesBelow(runnerDirs().temp)) {
    if (/\.(csv|json)$/.test(file)) assert.ok(!fs.readFileSync(file, 'utf8').includes(CANARY_SECRET), `${file} carries the secret`);
  }
}

describe('the committed action on a runner', { concurrency: false }, () => {
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'autopilot-e2e-'));
    sandbox = await startSandbox({
      rows: 200,
      round: { number: ROUND, state: 'open' },
      accounts: [{ username: 'e2e_user', keys: [{ publicId: PUBLIC_ID, secretKey: CANARY_SECRET, scopes: [...ALL_SCOPES] }], models: MODELS.map((name) => ({ name, tournament: 8 })) }],
      history: false,
    });
    await sandbox.ready();
    results = await ActionsResultsEmulator.start({ repository: 'octo/numerai-models', runId: '4242', runAttempt: '1' });
    github = await GitHubRestEmulator.start({ owner: 'octo', repo: 'numerai-models', workflows: { 'submit.yml': { dispatch: {}, state: 'disabled_inactivity' } } });
    // The action as `uses:` gets it: the committed action/ folder alone, no node_modules of the repository.
    copyTree(path.join(ROOT, 'action'), runnerDirs().action);
    freshRunner();
  });

  after(async () => {
    await Promise.all([sandbox?.close(), results?.close(), github?.close()]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('first run of a round: submits every model and saves the data to the cache', async () => {
    // Two threads asked for: the live file is decoded by the bundle's worker beside this thread.
    const run = await runAction({ threads: '2' });
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stdout, /Read v5\.2\/live\.parquet: 200 rows × \d+ features \(decoded on 2 threads\)/);
    assert.equal(run.outputs.round, String(ROUND));
    assert.deepEqual(list(run, 'submitted').sort(), MODELS);
    assert.deepEqual(list(run, 'skipped'), []);
    assert.deepEqual(list(run, 'failed'), []);
    for (const model of MODELS) assert.equal(submissionsThisRound(model).length, 1, `${model} has one submission`);
    assert.ok(downloads() >= 2, 'features.json and live.parquet were downloaded');
    const keys = results.cacheEntries().filter((e) => e.finalized).map((e) => e.key);
    assert.ok(keys.some((k) => k.includes(`-${ROUND}-live.parquet`)), `live.parquet saved to the cache (${keys.join(', ')})`);

    const report = JSON.parse(fs.readFileSync(run.outputs.report, 'utf8')) as { round: number; models: { status: string }[] };
    assert.equal(report.round, ROUND);
    assert.ok(report.models.every((m) => m.status === 'submitted'));
    for (const model of MODELS) assert.ok(run.summary.includes(model), `the job summary names ${model}`);
    await assertScoresSection(run);

    const artifact = results.artifacts().find((a) => a.name === `numerai-submissions-${5000 + runNumber}-1`);
    assert.ok(artifact, `an artifact was uploaded (${results.artifacts().map((a) => a.name).join(', ')})`);
    const names = results.artifactFiles(artifact.name).map((f) => f.path);
    assert.ok(names.some((n) => n.endsWith('report.json')), `the artifact holds the report (${names.join(', ')})`);
    for (const model of MODELS) assert.ok(names.some((n) => n.endsWith(`${model}.csv`)), `the artifact holds ${model}.csv`);
    assertNoSecret(run);
  });

  it('second run in the round: skips every model and downloads nothing (and scores that cannot be read are one warning)', async () => {
    const before = { downloads: downloads(), uploads: uploads(), restores: results.requestsTo('CacheService/GetCacheEntryDownloadURL').length };
    sandbox.inject('submissionScores', { kind: 'http', status: 503, times: Infinity });
    const run = await runAction({ 'keep-schedule-alive': 'true' }).finally(() => sandbox.clearFaults());
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.stdout.match(/::warning::Some scores could not be read/g)?.length, 1, 'one warning about the scores');
    assert.match(run.summary, /<h3>Scores<\/h3>[\s\S]*could not be read/);
    assert.ok(run.summary.indexOf('<th>Model</th><th>Status</th>') < run.summary.indexOf('<h3>Scores</h3>'), 'the run table stands, before the scores');
    assert.equal(results.requestsTo('CacheService/GetCacheEntryDownloadURL').length, before.restores, 'nothing pending, so not even the cache is asked');
    // keep-schedule-alive: the run re-enabled its own workflow.
    assert.deepEqual(github.requestsTo('actions.enableWorkflow').map((r) => `${r.method} ${r.url} ${r.status}`), ['PUT /repos/octo/numerai-models/actions/workflows/submit.yml/enable 204']);
    assert.equal(github.workflowState('submit.yml'), 'active');
    assert.match(run.summary, /Schedule kept alive:<\/b> re-enabled the workflow <code>submit\.yml<\/code>/);
    assert.deepEqual(list(run, 'skipped').sort(), MODELS);
    assert.deepEqual(list(run, 'submitted'), []);
    assert.equal(downloads(), before.downloads, 'no dataset download');
    assert.equal(uploads(), before.uploads, 'no upload');
    assertNoSecret(run);
  });

  it('a rerun on a fresh runner after a submission went missing: restores the data from the cache, downloads nothing', async () => {
    sandbox.removeSubmission('example_linear', ROUND);
    freshRunner();
    const before = downloads();
    const restoresBefore = results.requestsTo('CacheService/GetCacheEntryDownloadURL').length;
    const run = await runAction();
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(list(run, 'submitted'), ['example_linear']);
    assert.deepEqual(list(run, 'skipped').sort(), ['example_ensemble', 'example_gbt']);
    assert.equal(downloads(), before, 'the data came from the cache, not from Numerai');
    assert.ok(results.requestsTo('CacheService/GetCacheEntryDownloadURL').length > restoresBefore, 'the cache was asked');
    assert.equal(submissionsThisRound('example_linear').length, 1);
    assertNoSecret(run);
  });

  it('one model fails: its issue is opened, the others are submitted, the step fails', async () => {
    sandbox.removeSubmission('example_gbt', ROUND);
    sandbox.removeSubmission('example_linear', ROUND);
    breakModel('example_gbt');
    const run = await runAction();
    assert.equal(run.code, 1, explain(run));
    assert.deepEqual(list(run, 'failed'), ['example_gbt']);
    assert.deepEqual(list(run, 'submitted'), ['example_linear']);
    assert.equal(submissionsThisRound('example_linear').length, 1, 'the healthy model was submitted');
    assert.equal(submissionsThisRound('example_gbt').length, 0);
    assert.match(run.stdout, /::error title=Numerai model example_gbt failed \(round 1181\)::[A-Za-z]+Error at the [a-z]+ stage: .*model\.onnx/);
    assert.match(run.stdout, /::error::1 of 3 models failed: example_gbt/);
    const issues = github.issues();
    assert.equal(issues.length, 1, 'one issue');
    assert.equal(issues[0].state, 'open');
    assert.match(issues[0].title, /example_gbt/);
    assert.ok(issues[0].labels.some((l) => l.name === 'numerai-autopilot'));
    assert.ok(run.summary.includes(`#${issues[0].number}</a> (opened)`), 'the job summary links the issue');
    assertNoSecret(run);
  });

  it('it fails again: a comment on the same issue, no new issue (and fail-on-error: false keeps the step green)', async () => {
    const run = await runAction({ 'fail-on-error': 'false' });
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(list(run, 'failed'), ['example_gbt']);
    assert.match(run.stdout, /::warning::.*1 of 3 models failed: example_gbt/);
    const issues = github.issues();
    assert.equal(issues.length, 1, 'still one issue');
    assert.equal(issues[0].state, 'open');
    assert.equal(github.comments(issues[0].number).length, 1, 'one comment');
    assertNoSecret(run);
  });

  it('it recovers: submitted, and its issue is closed', async () => {
    freshRunner();
    const run = await runAction();
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(list(run, 'submitted'), ['example_gbt']);
    assert.equal(submissionsThisRound('example_gbt').length, 1);
    const issues = github.issues();
    assert.equal(issues.length, 1);
    assert.equal(issues[0].state, 'closed');
    assert.ok(run.summary.includes(`#${issues[0].number}</a> (closed)`), 'the job summary says the issue was closed');
    assertNoSecret(run);
  });

  it('a dry run uploads nothing to Numerai, even with force', async () => {
    const before = { uploads: uploads(), submissions: sandbox.submissions().length };
    const run = await runAction({ 'dry-run': 'true', force: 'true' });
    assert.equal(run.code, 0, explain(run));
    assert.equal(uploads(), before.uploads);
    assert.equal(sandbox.submissions().length, before.submissions);
    assert.deepEqual(list(run, 'submitted'), []);
    const report = JSON.parse(fs.readFileSync(run.outputs.report, 'utf8')) as { dryRun: boolean; models: { status: string }[] };
    assert.equal(report.dryRun, true);
    assert.ok(report.models.every((m) => m.status === 'dry-run'), JSON.stringify(report.models));
    const artifact = results.artifacts().find((a) => a.name === `numerai-submissions-${5000 + runNumber}-1`);
    assert.ok(artifact, 'the dry run keeps its CSVs as an artifact');
    assert.equal(results.artifactFiles(artifact.name).filter((f) => f.path.endsWith('.csv')).length, MODELS.length);
    assertNoSecret(run);
  });

  it('no open round: succeeds with a notice and does nothing', async () => {
    sandbox.setRound('closed');
    try {
      const before = { downloads: downloads(), uploads: uploads() };
      const run = await runAction();
      assert.equal(run.code, 0, explain(run));
      assert.match(run.stdout, /::notice::.*round is open/i);
      assert.equal(run.outputs.round, '');
      assert.deepEqual(list(run, 'submitted'), []);
      assert.equal(downloads(), before.downloads);
      assert.equal(uploads(), before.uploads);
      assertNoSecret(run);
    } finally {
      sandbox.setRound('open', ROUND);
    }
  });

  it('keys Numerai refuses: the run stops before the models, with one issue about the run, closed once it works', async () => {
    const issuesBefore = github.issues().length;
    const wrongKey = 'WRONGSECRETKEY'.padEnd(64, 'Q');
    const refused = await runAction({ 'secret-key': wrongKey });
    assert.equal(refused.code, 1, explain(refused));
    assert.ok(!refused.allText.includes('WRONGSECRETKEY'), 'the refused key is not logged');
    for (const issue of github.issues()) assert.ok(!`${issue.title}\n${issue.body}`.includes('WRONGSECRETKEY'));
    assert.match(refused.stdout, /::error::The run stopped before the models: /);
    const runIssue = github.issues().slice(issuesBefore);
    assert.equal(runIssue.length, 1, 'one issue about the run');
    assert.equal(runIssue[0].state, 'open');

    const fixed = await runAction();
    assert.equal(fixed.code, 0, explain(fixed));
    assert.deepEqual(list(fixed, 'skipped').sort(), MODELS);
    assert.equal(github.issues().find((i) => i.number === runIssue[0].number)?.state, 'closed');
    assertNoSecret(fixed);
  });

  it('the canary secret is in no artifact, issue or comment', () => {
    for (const issue of github.issues()) assert.ok(!`${issue.title}\n${issue.body}`.includes(CANARY_SECRET), `issue #${issue.number} carries the secret`);
    for (const comment of github.comments()) assert.ok(!comment.body.includes(CANARY_SECRET), 'a comment carries the secret');
    for (const artifact of results.artifacts()) {
      for (const file of results.artifactFiles(artifact.name)) {
        assert.ok(!file.content.toString('utf8').includes(CANARY_SECRET), `${artifact.name}/${file.path} carries the secret`);
      }
    }
  });
});
