/**
 * keep-schedule-alive and the schedule-age warning, with the real Octokit client against the GitHub REST emulator.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGitHubClient } from '../../src/github/rest-client.js';
import { createSanitizer } from '../../src/github/sanitize.js';
import { checkSchedule, switchOffDate, workflowFileOf } from '../../src/github/schedule-keepalive.js';
import { recordingLogger } from '../emulators/capture.js';
import { GitHubRestEmulator, ISSUES_WRITE_TOKEN, WRITE_TOKEN } from '../emulators/github-rest.js';

const REPOSITORY = { owner: 'octo', repo: 'numerai-models' };
const WORKFLOW_REF = 'octo/numerai-models/.github/workflows/submit.yml@refs/heads/main';
const NOW = new Date('2026-12-01T12:30:00Z');

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'autopilot-schedule-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function emulator(options: Parameters<typeof GitHubRestEmulator.start>[0] = {}) {
  return GitHubRestEmulator.start({ ...REPOSITORY, workflows: { 'submit.yml': { dispatch: {} } }, ...options });
}

function client(github: GitHubRestEmulator, token = WRITE_TOKEN) {
  return createGitHubClient({ token, baseUrl: github.apiUrl, logger: recordingLogger(), sanitize: createSanitizer([token]), waitUnitMs: 1, paceWrites: false });
}

async function payload(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(content));
  return file;
}

describe('workflowFileOf', () => {
  it('takes the file name from GITHUB_WORKFLOW_REF', () => {
    assert.equal(workflowFileOf(WORKFLOW_REF, REPOSITORY), 'submit.yml');
    assert.equal(workflowFileOf('octo/numerai-models/.github/workflows/daily.yaml@refs/tags/v1', REPOSITORY), 'daily.yaml');
  });
  it('refuses a ref of another repository, or none', () => {
    assert.equal(workflowFileOf('someone/else/.github/workflows/submit.yml@refs/heads/main', REPOSITORY), null);
    assert.equal(workflowFileOf('', REPOSITORY), null);
  });
});

describe('keep-schedule-alive', () => {
  it('re-enables the run\'s own workflow with PUT …/actions/workflows/submit.yml/enable (204)', async () => {
    const github = await emulator({ workflows: { 'submit.yml': { dispatch: {}, state: 'disabled_inactivity' } } });
    try {
      const logger = recordingLogger();
      const note = await checkSchedule({ keepAlive: true, client: client(github), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath: '', logger, now: NOW });
      assert.deepEqual(note, { keepalive: { kind: 'enabled', workflow: 'submit.yml' } });
      const [put] = github.requestsTo('actions.enableWorkflow');
      assert.equal(put.method, 'PUT');
      assert.equal(put.url, '/repos/octo/numerai-models/actions/workflows/submit.yml/enable');
      assert.equal(put.status, 204);
      assert.equal(github.workflowState('submit.yml'), 'active');
      assert.deepEqual(logger.at('warning'), []);
      assert.equal(github.requestsTo('repos.get').length, 0, 'kept alive: no need to look at the repository');
    } finally {
      await github.close();
    }
  });

  it('a token without actions: write gets GitHub\'s 403: a warning that names the permission, and the age check still runs', async () => {
    const github = await emulator({ repository: { visibility: 'public', pushedAt: '2026-10-10T09:00:00Z' } });
    try {
      const logger = recordingLogger();
      const note = await checkSchedule({ keepAlive: true, client: client(github, ISSUES_WRITE_TOKEN), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath: '', logger, now: NOW });
      assert.equal(note.keepalive?.kind, 'refused');
      assert.equal(github.requestsTo('actions.enableWorkflow')[0].status, 403);
      const warnings = logger.at('warning');
      assert.equal(warnings.length, 2, warnings.join('\n'));
      assert.match(warnings[0], /keep-schedule-alive: GitHub refused to re-enable submit\.yml \(403 Resource not accessible by integration.*\): the job token needs `permissions: actions: write`/);
      assert.match(warnings[1], /will switch this workflow's schedule off on 2026-12-09/);
    } finally {
      await github.close();
    }
  });

  it('a workflow GitHub does not know (404) is a warning too, never a throw', async () => {
    const github = await emulator({ repository: { visibility: 'private' } });
    try {
      const logger = recordingLogger();
      const note = await checkSchedule({
        keepAlive: true,
        client: client(github),
        repository: REPOSITORY,
        workflowRef: 'octo/numerai-models/.github/workflows/renamed.yml@refs/heads/main',
        eventPath: '',
        logger,
        now: NOW,
      });
      assert.deepEqual(note.keepalive && { kind: note.keepalive.kind, status: 'status' in note.keepalive ? note.keepalive.status : 0 }, { kind: 'refused', status: 404 });
      assert.equal(logger.at('warning').length, 1);
    } finally {
      await github.close();
    }
  });
});

describe('the schedule-age warning (keep-schedule-alive off)', () => {
  it('reads visibility and last push from the event payload when it has them: no request', async () => {
    const github = await emulator();
    try {
      const logger = recordingLogger();
      const eventPath = await payload('old-public.json', { schedule: '13 12 * * 6', repository: { full_name: 'octo/numerai-models', private: false, visibility: 'public', pushed_at: '2026-10-10T18:20:00Z' } });
      const note = await checkSchedule({ keepAlive: false, client: client(github), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath, logger, now: NOW });
      assert.deepEqual(note.switchOff, { on: new Date('2026-12-09T18:20:00Z'), lastPush: new Date('2026-10-10T18:20:00Z'), passed: false });
      assert.equal(github.requests.length, 0, 'the payload was enough');
      assert.equal(logger.at('warning').length, 1);
      assert.match(logger.at('warning')[0], /^GitHub will switch this workflow's schedule off on 2026-12-09: .*the last push was on 2026-10-10\. Push a commit before then, or set keep-schedule-alive: true/);
    } finally {
      await github.close();
    }
  });

  it('takes a push event\'s pushed_at in Unix seconds, and says so when the day has passed', async () => {
    const github = await emulator();
    try {
      const logger = recordingLogger();
      const eventPath = await payload('push.json', { repository: { private: false, pushed_at: Date.parse('2026-10-01T00:00:00Z') / 1000 } });
      const note = await checkSchedule({ keepAlive: false, client: client(github), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath, logger, now: NOW });
      assert.equal(note.switchOff?.on.toISOString(), '2026-11-30T00:00:00.000Z');
      assert.equal(note.switchOff?.passed, true);
      assert.match(logger.at('warning')[0], /has probably switched this workflow's schedule off on 2026-11-30: .*Re-enable the workflow under Actions/);
    } finally {
      await github.close();
    }
  });

  it('asks GET /repos/{owner}/{repo} once when the payload does not say (a bare schedule payload)', async () => {
    const github = await emulator({ repository: { visibility: 'public', pushedAt: '2026-10-05T07:00:00Z' } });
    try {
      const eventPath = await payload('bare.json', { schedule: '13 12 * * 6' });
      const note = await checkSchedule({ keepAlive: false, client: client(github), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath, logger: recordingLogger(), now: NOW });
      assert.equal(github.requestsTo('repos.get').length, 1);
      assert.equal(note.switchOff?.on.toISOString(), '2026-12-04T07:00:00.000Z');
    } finally {
      await github.close();
    }
  });

  it('says nothing for a recent push or a private repository', async () => {
    const github = await emulator({ repository: { visibility: 'private', pushedAt: '2026-06-01T00:00:00Z' } });
    try {
      const logger = recordingLogger();
      const recent = await payload('recent.json', { repository: { visibility: 'public', pushed_at: '2026-11-01T00:00:00Z' } });
      assert.deepEqual(await checkSchedule({ keepAlive: false, client: client(github), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath: recent, logger, now: NOW }), {});
      assert.deepEqual(await checkSchedule({ keepAlive: false, client: client(github), repository: REPOSITORY, workflowRef: WORKFLOW_REF, eventPath: '', logger, now: NOW }), {});
      assert.deepEqual(logger.at('warning'), []);
    } finally {
      await github.close();
    }
  });

  it('warns from day 45 after the last push, with the day GitHub switches it off (day 60)', () => {
    const pushedAt = new Date('2026-10-01T00:00:00Z');
    const at = (days: number) => new Date(pushedAt.getTime() + days * 86_400_000);
    assert.equal(switchOffDate({ visibility: 'public', pushedAt, source: 'event' }, at(45)), null);
    assert.deepEqual(switchOffDate({ visibility: 'public', pushedAt, source: 'event' }, at(45.1)), at(60));
    assert.equal(switchOffDate({ visibility: 'internal', pushedAt, source: 'api' }, at(59)), null);
  });
});
