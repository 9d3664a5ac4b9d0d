/**
 * The rounds matrix: what starts and ends a run's round. A round that opens while the run waits, a wait that runs
 * out, a round that changes under a run, and a missed-round issue's whole life. Driven in-process through the real
 * pipeline and Numerai client against the sandbox's round clock and round history, on a clock that moves only when
 * the run sleeps (the sandbox reads the same clock), so nothing sleeps for real; the issues go through the real
 * Octokit client against the GitHub REST emulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { syncMissedRoundIssues } from '../../src/github/missed-round-issues.js';
import { createGitHubClient } from '../../src/github/rest-client.js';
import { createSanitizer } from '../../src/github/sanitize.js';
import { LocalDatasetStore } from '../../src/store/local.js';
import type { Clock, NumeraiPort } from '../../src/pipeline/ports.js';
import type { RunReport } from '../../src/pipeline/report.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { PipelineSettings } from '../../src/pipeline/settings.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { recordingLogger } from '../emulators/capture.js';
import { GitHubRestEmulator, WRITE_TOKEN } from '../emulators/github-rest.js';
import { RecordingReporter } from '../pipeline/fakes.js';
import { CANARY_PUBLIC_ID, CANARY_SECRET, clientFor, MODELS, reliabilitySandbox, removeWorkspace, ROUND, settingsFor, workspace, type Workspace } from './kit.js';
import { scenario } from './results.js';

/** Tuesday 2026-12-01, 11:50 UTC: ten minutes before a weekday round is due. */
const START = Date.parse('2026-12-01T11:50:00Z');
let now = START;
const sleeps: number[] = [];
/** The run's clock and the sandbox's clock are one: a sleep moves both, at once. */
const clock: Clock = {
  now: () => new Date(now),
  sleep: async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  },
};

let sandbox: Sandbox;
let ws: Workspace;

before(async () => {
  sandbox = await reliabilitySandbox({ now: () => now, round: { number: ROUND, state: 'closed' } });
});
after(async () => {
  await sandbox?.close();
  if (ws) removeWorkspace(ws);
});

/** A fresh round: the clock back at START, the given round state, a fresh workspace. */
function reset(state: 'open' | 'closed', number = ROUND): void {
  now = START;
  sleeps.length = 0;
  sandbox.setRound(state, number);
  if (ws) removeWorkspace(ws);
  ws = workspace();
}

async function run(overrides: Partial<PipelineSettings> = {}, wrap: (port: NumeraiPort) => NumeraiPort = (port) => port): Promise<{ report: RunReport; reporter: RecordingReporter }> {
  const settings = { ...settingsFor(sandbox, ws), ...overrides };
  const reporter = new RecordingReporter();
  const numerai = wrap(clientFor(settings, [], (line) => reporter.log('warning', line)));
  const report = await runPipeline(settings, { numerai, store: new LocalDatasetStore(ws.dataDir), clock, reporter });
  return { report, reporter };
}

function submissionCount(): number {
  return MODELS.reduce((sum, model) => sum + sandbox.submissions(model).length, 0);
}

function submittedInto(round: number): string[] {
  return MODELS.filter((model) => sandbox.submissions(model).some((s) => s.round === round));
}

describe('rounds matrix', { concurrency: false }, () => {
  scenario(
    {
      matrix: 'rounds',
      step: 'wait-for-round',
      fault: 'round opens during the wait (10 min in)',
      expected: 'waits on the run clock, then submits every model into the new round once',
      boundMs: 15_000,
    },
    async () => {
      reset('closed');
      const due = sandbox.openRoundAt(START + 10 * 60_000);
      const { report, reporter } = await run({ waitForRoundMs: 45 * 60_000 });
      assert.equal(due.number, ROUND + 1);
      assert.equal(report.round, ROUND + 1);
      assert.deepEqual(submittedInto(ROUND + 1), MODELS);
      for (const model of MODELS) assert.equal(sandbox.submissions(model).length, 1, `${model}: exactly one submission`);
      assert.ok(now >= START + 10 * 60_000 && now < START + 45 * 60_000, `the wait ended when the round opened (${(now - START) / 1000} s)`);
      const notice = reporter.at('notice').find((line) => line.startsWith(`Round ${ROUND + 1} opened`));
      assert.ok(notice, JSON.stringify(reporter.lines));
      return `round ${ROUND + 1} opened after ${(now - START) / 60_000} min on the run clock (${sleeps.length} sleeps, none real); ${MODELS.length} models submitted into it once`;
    },
  );

  scenario(
    {
      matrix: 'rounds',
      step: 'wait-for-round',
      fault: 'no round opens before the time is up (10 min)',
      expected: 'waits exactly the given time, then success with nothing downloaded or submitted',
      boundMs: 10_000,
    },
    async () => {
      reset('closed');
      const before = submissionCount();
      const { report } = await run({ waitForRoundMs: 10 * 60_000 });
      assert.equal(report.round, null);
      // Jittered sleeps are fractional milliseconds on a whole-millisecond clock: within a second is "exactly".
      assert.ok(Math.abs(now - START - 10 * 60_000) < 1_000, `waited ${now - START} ms`);
      assert.equal(submissionCount(), before, 'nothing submitted');
      assert.equal(report.models.filter((m) => m.status === 'failed').length, 0);
      return `no round after 10 min on the run clock (${sleeps.length} looks); nothing submitted, no model failed`;
    },
  );

  scenario(
    {
      matrix: 'rounds',
      step: 'before upload',
      fault: 'a new round opens after the live file was downloaded',
      expected: 'no prediction of the old round is uploaded into the new one; each model fails saying so',
      boundMs: 15_000,
    },
    async () => {
      const planned = ROUND + 10;
      reset('open', planned);
      const switchAfterDownload = (port: NumeraiPort): NumeraiPort =>
        Object.assign(Object.create(port) as NumeraiPort, {
          download: async (...args: Parameters<NumeraiPort['download']>) => {
            await port.download(...args);
            sandbox.setRound('open', planned + 1);
          },
        });
      const { report } = await run({}, switchAfterDownload);
      assert.deepEqual(submittedInto(planned), []);
      assert.deepEqual(submittedInto(planned + 1), []);
      const ours = report.models.filter((m) => MODELS.includes(m.model));
      assert.equal(ours.length, MODELS.length);
      for (const model of ours) {
        assert.equal(model.status, 'failed', model.model);
        assert.match(model.message!, new RegExp(`^round ${planned + 1} opened during this run: these predictions were made from round ${planned}'s live data`));
      }
      return `round ${planned + 1} opened mid-run: 0 uploads; ${MODELS.length} models failed with "round ${planned + 1} opened during this run"`;
    },
  );

  scenario(
    {
      matrix: 'rounds',
      step: 'missed-round issue',
      fault: 'a round missed, then another, then on time',
      expected: 'one issue opened, commented on, closed; no secret in it',
      boundMs: 20_000,
    },
    async () => {
      const github = await GitHubRestEmulator.start({ owner: 'octo', repo: 'numerai-models' });
      try {
        const logger = recordingLogger();
        const secrets = [CANARY_PUBLIC_ID, CANARY_SECRET, WRITE_TOKEN];
        const client = createGitHubClient({ token: WRITE_TOKEN, baseUrl: github.apiUrl, logger, sanitize: createSanitizer(secrets), waitUnitMs: 1, paceWrites: false });
        const options = { client, owner: 'octo', repo: 'numerai-models', logger, secrets, run: { url: 'https://github.com/octo/numerai-models/actions/runs/1/attempts/1', workflowName: 'Submit' } };
        const model = MODELS[0];
        const settings = { models: [model], expectRounds: 'all' as const };
        const missedIssues = () => github.issues().filter((i) => i.title.includes('missed'));

        reset('closed', ROUND + 2);
        sandbox.setHistory(model, 'oo-');
        await syncMissedRoundIssues((await run(settings)).report, options);
        assert.equal(missedIssues().length, 1, JSON.stringify(github.issues().map((i) => i.title)));
        const issue = missedIssues()[0];
        assert.equal(issue.state, 'open');

        reset('closed', ROUND + 3);
        sandbox.setHistory(model, 'oo--');
        await syncMissedRoundIssues((await run(settings)).report, options);
        assert.equal(missedIssues().length, 1, 'still one issue');
        assert.match(github.comments(issue.number)[0]?.body ?? '', /^Missed round/);

        reset('open', ROUND + 4);
        sandbox.setHistory(model, 'oo--');
        const back = (await run(settings)).report;
        assert.deepEqual(submittedInto(ROUND + 4), [model]);
        await syncMissedRoundIssues(back, options);
        const closed = missedIssues()[0];
        assert.equal(closed.state, 'closed');
        for (const text of [closed.title, closed.body ?? '', ...github.comments(issue.number).map((c) => c.body)]) assert.ok(!text.includes(CANARY_SECRET));
        return `issue #${issue.number} "${issue.title}": opened, ${github.comments(issue.number).length} comments, closed after the on-time submission`;
      } finally {
        await github.close();
      }
    },
  );
});
