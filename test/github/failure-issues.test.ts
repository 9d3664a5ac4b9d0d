/** Failure issues through the real Octokit (with retry and throttling) against the GitHub REST emulator. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULT_MAX_MESSAGE_CHARS, RUN_ISSUE_MARKER, issueMarker, syncFailureIssues, workflowFileFromRef, type FailureIssueOptions } from '../../src/github/failure-issues.js';
import { createGitHubClient } from '../../src/github/rest-client.js';
import { createSanitizer } from '../../src/github/sanitize.js';
import type { ModelReport, RunReport } from '../../src/pipeline/report.js';
import { recordingLogger } from '../emulators/capture.js';
import { GitHubRestEmulator, READ_TOKEN, WRITE_TOKEN } from '../emulators/github-rest.js';
import { sampleReport } from './sample-report.js';

const PUBLIC_ID = 'PUBLICIDCANARY7Q2W';
const SECRET_KEY = 'CANARY-SECRET-k3y-0123456789abcdefXYZ';
const SECRETS = [PUBLIC_ID, SECRET_KEY, WRITE_TOKEN];
const RUN = {
  url: 'https://github.com/octo/numerai-models/actions/runs/555/attempts/1',
  workflowName: 'Submit to Numerai',
  workflowRef: 'octo/numerai-models/.github/workflows/submit.yml@refs/heads/main',
};

const servers: GitHubRestEmulator[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function setup(token = WRITE_TOKEN) {
  const github = await GitHubRestEmulator.start();
  servers.push(github);
  const logger = recordingLogger();
  const client = createGitHubClient({
    token,
    baseUrl: github.apiUrl,
    logger,
    sanitize: createSanitizer(SECRETS),
    waitUnitMs: 1,
    paceWrites: false,
  });
  const options: FailureIssueOptions = { client, owner: 'octo', repo: 'numerai-models', logger, secrets: SECRETS, run: RUN };
  return { github, logger, options };
}

function failing(model: string, message: string, round = 1234, errorClass: ModelReport['errorClass'] = 'SubmissionRejected'): ModelReport {
  return { model, modelId: `id-${model}`, status: 'failed', stage: 'upload', round, errorClass, message, durations: {} };
}

function succeeding(model: string, round = 1235): ModelReport {
  return { model, modelId: `id-${model}`, status: 'submitted', stage: 'upload', round, submissionId: 'sub-9', rows: 10, durations: {} };
}

function report(models: ModelReport[], overrides: Partial<RunReport> = {}): RunReport {
  return sampleReport(overrides, models);
}

describe('syncFailureIssues', () => {
  it('opens one labelled issue per failing model, with everything needed to act on it', async () => {
    const { github, logger, options } = await setup();
    const result = await syncFailureIssues(sampleReport(), options);

    const issues = github.issues();
    assert.equal(issues.length, 1, 'only the failed model gets an issue');
    const [issue] = issues;
    assert.equal(issue.title, 'Numerai Autopilot: model gamma_ens failed in round 1234');
    assert.deepEqual(issue.labels.map((l) => l.name), ['numerai-autopilot']);
    const body = issue.body ?? '';
    assert.ok(body.startsWith(issueMarker('gamma_ens')));
    for (const expected of ['| Round | 1234 |', '| Stage | predict |', '`ModelError`', 'expects 705 columns', RUN.url, 'gh workflow run submit.yml -f models=gamma_ens', 'Submit to Numerai']) {
      assert.ok(body.includes(expected), `issue body lacks ${expected}:\n${body}`);
    }
    assert.deepEqual(result.links, { gamma_ens: { number: issue.number, url: issue.html_url, action: 'opened' } });
    assert.equal(result.failures, 0);
    assert.deepEqual(logger.at('warning'), []);
    assert.equal(github.labels().find((l) => l.name === 'numerai-autopilot')?.color, 'd73a4a', 'the label is created before use');
  });

  it('comments on the open issue when the model fails again, instead of opening a second one', async () => {
    const { github, options } = await setup();
    await syncFailureIssues(report([failing('gamma_ens', 'first', 1234)]), options);
    const again = await syncFailureIssues(report([failing('gamma_ens', 'second failure text', 1235)]), options);

    assert.equal(github.issues().length, 1);
    const comments = github.comments(1);
    assert.equal(comments.length, 1);
    assert.match(comments[0].body, /Failed again in round \*\*1235\*\*/);
    assert.match(comments[0].body, /second failure text/);
    assert.equal(again.links.gamma_ens.action, 'commented');
    assert.equal(github.requestsTo('issues.createLabel').length, 1, 'the label is only created once');
  });

  it('comments and closes the issue when the model succeeds again; skipped-as-already-submitted counts too', async () => {
    const { github, options } = await setup();
    await syncFailureIssues(report([failing('gamma_ens', 'broken'), failing('delta', 'broken')]), options);
    const skipped: ModelReport = { ...succeeding('delta'), status: 'skipped', reason: 'already submitted for round 1235' };
    const result = await syncFailureIssues(report([succeeding('gamma_ens'), skipped]), options);

    for (const issue of github.issues()) {
      assert.equal(issue.state, 'closed');
      assert.equal(issue.state_reason, 'completed');
      const [comment] = github.comments(issue.number);
      assert.match(comment.body, /Closing this issue/);
    }
    assert.match(github.comments(1)[0].body, /submitted for round \*\*1235\*\* \(submission `sub-9`\)/);
    assert.equal(result.links.gamma_ens.action, 'closed');
    assert.equal(result.links.delta.action, 'closed');

    const later = await syncFailureIssues(report([failing('gamma_ens', 'broken again', 1240)]), options);
    assert.equal(later.links.gamma_ens.action, 'opened', 'a closed issue is not reused');
    assert.equal(github.issues().length, 3);
  });

  it('finds its issue past the first page, ignoring pull requests and similar model names', async () => {
    const { github, options } = await setup();
    github.seedIssue({ title: 'old', body: issueMarker('gamma_ens'), labels: ['numerai-autopilot'] });
    github.seedIssue({ title: 'a PR', body: issueMarker('gamma_ens'), labels: ['numerai-autopilot'], pullRequest: true });
    for (let i = 0; i < 150; i++) github.seedIssue({ title: `other ${i}`, body: issueMarker(`gamma_ens${i}`), labels: ['numerai-autopilot'] });

    const result = await syncFailureIssues(report([failing('gamma_ens', 'again')]), options);
    assert.equal(result.links.gamma_ens.number, 1);
    assert.equal(github.comments(1).length, 1);
    assert.equal(github.comments(2).length, 0, 'a pull request is never commented on');
    assert.equal(github.requestsTo('issues.create').length, 0);
    const lists = github.requestsTo('issues.listForRepo');
    assert.equal(lists.length, 2, 'two pages of 100');
    const query = new URL(lists[0].url, github.apiUrl).searchParams;
    assert.equal(query.get('labels'), 'numerai-autopilot');
    assert.equal(query.get('state'), 'open');
    assert.equal(github.requests.some((r) => r.url.startsWith('/search/')), false, 'never the search API');
  });

  it('with a read-only token: one warning naming the missing permission, no throw, nothing written', async () => {
    const { github, logger, options } = await setup(READ_TOKEN);
    const result = await syncFailureIssues(report([failing('a', 'x'), failing('b', 'y')]), options);
    assert.equal(github.issues().length, 0);
    assert.ok(github.writes().every((w) => w.status === 403));
    const warnings = logger.at('warning');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /GitHub answered 403 \(Resource not accessible by integration.*`issues: write`/);
    assert.ok(result.failures >= 1);
    assert.deepEqual(result.links, {});
  });

  it('turns GitHub being down into a warning', async () => {
    const { github, logger, options } = await setup();
    await github.down();
    try {
      const result = await syncFailureIssues(sampleReport(), options);
      assert.equal(result.failures, 1);
      assert.match(logger.at('warning').join('\n'), /Could not list the open "numerai-autopilot" issues of octo\/numerai-models/);
    } finally {
      await github.up();
    }
  });

  it('retries a secondary rate limit and a transient 5xx, then succeeds', async () => {
    const { github, logger, options } = await setup();
    github.fault('issues.listForRepo', { kind: 'status', status: 502, times: 1 });
    github.fault('issues.create', { kind: 'rate-limit', status: 403, retryAfterSeconds: 2, times: 1 });
    github.fault('issues.createComment', { kind: 'rate-limit', status: 429, retryAfterSeconds: 1, times: 1 });
    await syncFailureIssues(report([failing('gamma_ens', 'x')]), options);
    await syncFailureIssues(report([failing('gamma_ens', 'y')]), options);
    assert.equal(github.issues().length, 1);
    assert.equal(github.comments(1).length, 1);
    assert.equal(github.requestsTo('issues.create').length, 2);
    assert.deepEqual(logger.at('warning'), []);
  });

  it('gives up on a persistent failure with a warning per model and carries on with the others', async () => {
    const { github, logger, options } = await setup();
    github.fault('issues.create', { kind: 'status', status: 500, times: 4 });
    const result = await syncFailureIssues(report([failing('a', 'x'), failing('b', 'y')]), options);
    assert.equal(result.failures, 1);
    assert.match(logger.at('warning').join('\n'), /Could not open an issue for a/);
    assert.deepEqual(Object.keys(result.links), ['b']);
  });

  it('treats a label that appeared meanwhile (422 already_exists) as fine', async () => {
    const { github, options } = await setup();
    github.seedIssue({ title: 'seed', labels: ['numerai-autopilot'] });
    github.fault('issues.getLabel', { kind: 'status', status: 404, message: 'Not Found', times: 1 });
    const result = await syncFailureIssues(report([failing('a', 'x')]), options);
    assert.equal(github.requestsTo('issues.createLabel')[0].status, 422);
    assert.equal(result.links.a.action, 'opened');
  });

  it('never sends a secret, in any form, in a title, body or comment', async () => {
    const { github, logger, options } = await setup();
    const leaky = [
      `upload refused; request had Authorization: Token ${PUBLIC_ID}$${SECRET_KEY}`,
      `secret=${encodeURIComponent(SECRET_KEY)} key ${SECRET_KEY}`,
      `signed https://bucket.s3.amazonaws.com/f.csv?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAEXAMPLE`,
    ].join('\n');
    const model: ModelReport = { ...failing('gamma_ens', leaky), reason: SECRET_KEY };
    await syncFailureIssues(report([model]), options);
    await syncFailureIssues(report([model]), options);
    await syncFailureIssues(report([{ ...succeeding(model.model), reason: SECRET_KEY, submissionId: SECRET_KEY }]), options);

    assert.equal(github.issues()[0].state, 'closed', 'the whole cycle ran');
    for (const request of github.requests) {
      for (const secret of [SECRET_KEY, PUBLIC_ID, encodeURIComponent(SECRET_KEY), 'deadbeef', 'AKIAEXAMPLE']) {
        assert.ok(!request.body.includes(secret), `${request.method} ${request.url} body contains ${secret}`);
        assert.ok(!decodeURIComponent(request.url).includes(secret), `${request.url} contains ${secret}`);
      }
    }
    for (const entry of logger.entries) assert.ok(!entry.message.includes(SECRET_KEY));
    assert.match(github.issues()[0].body ?? '', /request had Authorization: \*\*\*\n/);
  });

  it('cuts a long message to the limit, keeping the issue within GitHub\'s size limits', async () => {
    const { github, options } = await setup();
    const huge = `${'x'.repeat(200_000)}\`\`\`\nbreakout`;
    await syncFailureIssues(report([failing('gamma_ens', huge)]), options);
    const body = github.issues()[0].body ?? '';
    assert.ok(body.length < DEFAULT_MAX_MESSAGE_CHARS + 3000, `body has ${body.length} characters`);
    assert.match(body, /more characters truncated/);

    const { github: other, options: shortOptions } = await setup();
    await syncFailureIssues(report([failing('gamma_ens', 'y'.repeat(500))]), { ...shortOptions, maxMessageChars: 100 });
    const shortBody = other.issues()[0].body ?? '';
    assert.equal(/y{101}/.test(shortBody), false);
  });

  it('keeps a message from closing its code fence early', async () => {
    const { github, options } = await setup();
    await syncFailureIssues(report([failing('gamma_ens', 'before\n```\n## injected heading\n```')]), options);
    const body = github.issues()[0].body ?? '';
    assert.match(body, /````text\nbefore\n```\n## injected heading\n```\n````/);
  });

  it('opens one issue when the run stops before the models, comments on a repeat, closes it once a run reaches them', async () => {
    const { github, options } = await setup();
    const broken = report([], { error: { errorClass: 'AccountError', stage: 'plan', message: `Numerai rejected the keys (Token ${PUBLIC_ID}$${SECRET_KEY})` } });
    const first = await syncFailureIssues(broken, options);
    await syncFailureIssues(broken, options);
    const [issue] = github.issues();
    assert.equal(github.issues().length, 1);
    assert.equal(issue.title, 'Numerai Autopilot: the run failed before reaching the models (AccountError)');
    assert.ok(issue.body?.startsWith(RUN_ISSUE_MARKER));
    assert.match(issue.body ?? '', /\| Stage \| plan \|[\s\S]*Numerai rejected the keys[\s\S]*upload submissions/);
    assert.ok(!(issue.body ?? '').includes(SECRET_KEY));
    assert.equal(first.runIssue?.action, 'opened');
    assert.equal(github.comments(issue.number).length, 1);

    const fixed = await syncFailureIssues(report([succeeding('alpha')]), options);
    assert.equal(github.issues()[0].state, 'closed');
    assert.equal(fixed.runIssue?.action, 'closed');
  });

  it('leaves issues alone in a dry run', async () => {
    const { github, options } = await setup();
    const result = await syncFailureIssues(report([failing('a', 'x')], { dryRun: true }), options);
    assert.equal(github.requests.length, 0);
    assert.deepEqual(result, { links: {}, failures: 0 });
  });
});

describe('workflowFileFromRef', () => {
  it('takes the workflow file name from GITHUB_WORKFLOW_REF', () => {
    assert.equal(workflowFileFromRef('octo/r/.github/workflows/submit.yml@refs/heads/main'), 'submit.yml');
    assert.equal(workflowFileFromRef(undefined), undefined);
  });
});
