/** Missed-round issues through the real Octokit against the GitHub REST emulator: one issue's whole life. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { issueMarker, syncFailureIssues, type FailureIssueOptions } from '../../src/github/failure-issues.js';
import { missedRoundsMarker, missedState, syncMissedRoundIssues } from '../../src/github/missed-round-issues.js';
import { createGitHubClient } from '../../src/github/rest-client.js';
import { createSanitizer } from '../../src/github/sanitize.js';
import type { ModelRoundsReport, RunReport } from '../../src/pipeline/report.js';
import { recordingLogger } from '../emulators/capture.js';
import { GitHubRestEmulator, READ_TOKEN, WRITE_TOKEN } from '../emulators/github-rest.js';
import { sampleReport } from './sample-report.js';

const SECRET_KEY = 'CANARY-SECRET-k3y-0123456789abcdefXYZ';
const SECRETS = ['PUBLICIDCANARY7Q2W', SECRET_KEY, WRITE_TOKEN];
const RUN = { url: 'https://github.com/octo/numerai-models/actions/runs/555/attempts/1', workflowName: 'Submit to Numerai' };

const servers: GitHubRestEmulator[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

async function setup(token = WRITE_TOKEN) {
  const github = await GitHubRestEmulator.start();
  servers.push(github);
  const logger = recordingLogger();
  const client = createGitHubClient({ token, baseUrl: github.apiUrl, logger, sanitize: createSanitizer(SECRETS), waitUnitMs: 1, paceWrites: false });
  const options: FailureIssueOptions = { client, owner: 'octo', repo: 'numerai-models', logger, secrets: SECRETS, run: RUN };
  return { github, logger, options };
}

/** A model's record over rounds 1230…, one mark per round: o on time, l late, - missed. */
function record(model: string, marks: string, current?: ModelRoundsReport['current']): ModelRoundsReport {
  const outcome = { o: 'on-time', l: 'late', '-': 'missed' } as const;
  const rounds = [...marks].map((m, i) => ({ number: 1230 + i, outcome: outcome[m as 'o' | 'l' | '-'] }));
  return {
    model,
    rounds,
    missed: rounds.filter((r) => r.outcome === 'missed').map((r) => r.number),
    late: rounds.filter((r) => r.outcome === 'late').map((r) => r.number),
    ...(current ? { current } : {}),
  };
}

function withRecords(models: ModelRoundsReport[], overrides: Partial<RunReport> = {}): RunReport {
  return sampleReport({ recentRounds: { expect: 'all', lookback: 10, rounds: models[0].rounds.map((r) => r.number), models }, ...overrides });
}

describe('missedState', () => {
  it('is behind when the newest miss has no on-time round after it (the open round counts once on time)', () => {
    assert.equal(missedState(record('m', 'oo-')).behind, true);
    assert.equal(missedState(record('m', 'o-o')).behind, false);
    assert.equal(missedState(record('m', 'o-l')).behind, true, 'a late round does not make up for a miss');
    assert.equal(missedState(record('m', 'o-', { number: 1232, outcome: 'on-time' })).behind, false);
    assert.equal(missedState(record('m', 'oll')).behind, false, 'late only: reported, no issue');
  });
});

describe('syncMissedRoundIssues', () => {
  it('opens on the first miss, comments on a newer miss, closes when on time again; failure issues stay apart', async () => {
    const { github, options } = await setup();

    // A failure issue of the same model is never taken for the missed-round issue, nor touched by it.
    const failure = github.seedIssue({ title: 'failed', body: `${issueMarker('alpha_lgbm')}\nfailed`, labels: ['numerai-autopilot'] });

    const first = await syncMissedRoundIssues(withRecords([record('alpha_lgbm', 'oo-'), record('beta_nn', 'ooo')]), options);
    const opened = github.issues().filter((i) => i.number !== failure.number);
    assert.equal(opened.length, 1, 'only the model that missed gets an issue');
    const issue = opened[0];
    assert.equal(issue.title, 'Numerai Autopilot: model alpha_lgbm missed round 1232');
    assert.ok(issue.body!.startsWith(missedRoundsMarker('alpha_lgbm', 1232)));
    assert.match(issue.body!, /\| 1232 \| ❌ missed \(no submission\) \|/);
    assert.match(issue.body!, /wait-for-round/);
    assert.deepEqual(issue.labels.map((l) => l.name), ['numerai-autopilot']);
    assert.equal(first.links.alpha_lgbm.action, 'opened');

    // The same state again: nothing new to say.
    const again = await syncMissedRoundIssues(withRecords([record('alpha_lgbm', 'oo-')]), options);
    assert.deepEqual(again.links, {});
    assert.equal(github.comments(issue.number).length, 0);

    // A newer round missed: one comment naming it, the body's marker moves on.
    const more = await syncMissedRoundIssues(withRecords([record('alpha_lgbm', 'oo--')]), options);
    assert.equal(more.links.alpha_lgbm.action, 'commented');
    assert.match(github.comments(issue.number)[0].body, /^Missed round 1233 too/);
    assert.ok(github.issues().find((i) => i.number === issue.number)!.body!.startsWith(missedRoundsMarker('alpha_lgbm', 1233)));

    // On time in the open round: closed with a comment; the failure issue is left as it was.
    const back = await syncMissedRoundIssues(withRecords([record('alpha_lgbm', 'oo--', { number: 1234, outcome: 'on-time' })]), options);
    assert.equal(back.links.alpha_lgbm.action, 'closed');
    const closed = github.issues().find((i) => i.number === issue.number)!;
    assert.equal(closed.state, 'closed');
    assert.match(github.comments(issue.number).at(-1)!.body, /submitted on time in round \*\*1234\*\*/);
    assert.equal(github.issues().find((i) => i.number === failure.number)!.state, 'open');
    assert.equal(github.comments(failure.number).length, 0);

    // The failure issues' sync does not take the missed-round issue for a model's failure issue either.
    await syncFailureIssues(sampleReport(), options);
    assert.equal(github.comments(issue.number).length, 2);
  });

  it('dry runs, reports without records and unreadable records touch nothing', async () => {
    const { github, options } = await setup();
    await syncMissedRoundIssues(withRecords([record('alpha_lgbm', '--')], { dryRun: true }), options);
    await syncMissedRoundIssues(sampleReport(), options);
    await syncMissedRoundIssues(sampleReport({ recentRounds: { expect: 'weekend', lookback: 10, rounds: [], models: [], error: 'could not read' } }), options);
    assert.equal(github.issues().length, 0);
  });

  it('a read-only token is one warning, and the run goes on; no secret in any text', async () => {
    const { github, logger, options } = await setup(READ_TOKEN);
    const result = await syncMissedRoundIssues(withRecords([record(`alpha ${SECRET_KEY}`, '-'), record('beta_nn', '-')]), options);
    assert.ok(result.failures >= 1, JSON.stringify([result, logger.entries]));
    assert.equal(github.issues().length, 0);
    const warnings = logger.at('warning');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /issues: write/);
    assert.ok(!JSON.stringify(logger.entries).includes(SECRET_KEY), JSON.stringify(logger.entries));
  });
});
