/**
 * The GitHub fault matrix: the action's GitHub-side network steps — the Actions cache service, the blob store the
 * cache and artifacts go through, the artifact service, and the issues API — × 5xx, 429 with Retry-After, a hang,
 * a reset mid-body, a malformed body. Driven in-process through the real adapters and the unmodified @actions and
 * Octokit clients against the emulators (behind a fault proxy for the faults the emulators lack).
 *
 * Each cell is one repository's round: a submitting run (the cache saves the data; one model is refused by Numerai
 * with the key echoed in the error), the run's artifact, the failure issue, then a dry run on a fresh runner that
 * restores the data from the cache. Promised: GitHub trouble never changes what was submitted, is recovered or
 * becomes a warning, leaves no partial file in the data folder or the cache, opens no duplicate issue, carries no
 * secret, and finishes within the bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import * as actionsCache from '@actions/cache';
import { uploadRunArtifacts } from '../../src/github/artifacts.js';
import { createActionsCacheStore, type CacheClient } from '../../src/github/cache-store.js';
import { syncFailureIssues } from '../../src/github/failure-issues.js';
import { createGitHubClient } from '../../src/github/rest-client.js';
import { withDeadline } from '../../src/github/deadline.js';
import { createSanitizer } from '../../src/github/sanitize.js';
import { checkSchedule } from '../../src/github/schedule-keepalive.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { ActionsResultsEmulator } from '../emulators/actions-results.js';
import { captureStdout, recordingLogger } from '../emulators/capture.js';
import { setEnv } from '../emulators/env.js';
import { GitHubRestEmulator, ISSUES_WRITE_TOKEN, WRITE_TOKEN } from '../emulators/github-rest.js';
import type { Fault } from '../emulators/http-kit.js';
import { FaultProxy, type ProxyFault } from './fault-proxy.js';
import {
  assertDataFolderClean,
  assertNoCanary,
  assertNoDuplicates,
  CANARY_PUBLIC_ID,
  CANARY_SECRET,
  describeOutcome,
  MODELS,
  sandboxWithReferenceData,
  removeWorkspace,
  resetSandbox,
  runRound,
  statuses,
  textUnder,
  workspace,
} from './kit.js';
import { scenario } from './results.js';

const TWIRP = '/twirp/github.actions.results.api.v1.';
const OWNER = 'octo';
const REPO = 'numerai-models';

interface Step {
  step: string;
  route: string;
  service: 'results' | 'rest';
}

const STEPS: Step[] = [
  { step: 'cache service (lookup)', route: 'CacheService/GetCacheEntryDownloadURL', service: 'results' },
  { step: 'cache service (reserve)', route: 'CacheService/CreateCacheEntry', service: 'results' },
  { step: 'cache service (finalize)', route: 'CacheService/FinalizeCacheEntryUpload', service: 'results' },
  { step: 'blob store (upload)', route: 'blob.put', service: 'results' },
  { step: 'blob store (download)', route: 'blob.get', service: 'results' },
  { step: 'artifact service (create)', route: 'ArtifactService/CreateArtifact', service: 'results' },
  { step: 'artifact service (finalize)', route: 'ArtifactService/FinalizeArtifact', service: 'results' },
  { step: 'issues API (list)', route: 'issues.listForRepo', service: 'rest' },
  { step: 'issues API (create)', route: 'issues.create', service: 'rest' },
];

type FaultSpec = { name: string; emulator: Fault } | { name: string; proxy: ProxyFault };

const FAULTS: FaultSpec[] = [
  { name: '5xx', emulator: { kind: 'status', status: 503, times: 1 } },
  { name: '429 + Retry-After', emulator: { kind: 'rate-limit', status: 429, retryAfterSeconds: 1, times: 1 } },
  { name: 'hang (timeout)', proxy: 'hang' },
  { name: 'reset mid-body', proxy: 'reset-mid-body' },
  { name: 'malformed body', proxy: 'malformed' },
];

const BOUND_MS = 20_000;
/** The action races the issue sync and the artifact upload against a deadline (2 min; shortened here). */
const REPORTING_DEADLINE_MS = 4_000;

/** The full matrix takes minutes (the @actions clients sleep seconds between retries); npm test runs the fast part. */
const FULL = process.env.RELIABILITY_FULL === '1';
const FAST_FAULTS = new Set(['429 + Retry-After', 'reset mid-body', 'malformed body']);

/**
 * The cache store races each restore and save against a deadline (2 min; shortened here). Long enough for a
 * healthy cell's cache calls on a loaded machine, short enough that a cell with a stalled cache call stays quick.
 */
const CACHE_DEADLINE_MS = 1_500;

/** The store as the action builds it, with the test's deadlines. */
function cacheStore(dataDir: string, logger: ReturnType<typeof recordingLogger>) {
  return createActionsCacheStore({ dataDir, logger, restoreDeadlineMs: CACHE_DEADLINE_MS, saveDeadlineMs: CACHE_DEADLINE_MS });
}

function resultsRoute(method: string, path: string): string {
  if (path.startsWith(TWIRP)) return path.slice(TWIRP.length);
  if (path.startsWith('/devstoreaccount1/')) return `blob.${method.toLowerCase()}`;
  return 'unknown';
}

function restRoute(method: string, path: string): string {
  if (/^\/repos\/[^/]+\/[^/]+\/issues\/?$/.test(path)) return method === 'GET' ? 'issues.listForRepo' : method === 'POST' ? 'issues.create' : 'unknown';
  return `${method} ${path}`;
}

/**
 * Runner temp folders, kept until the process exits: a cache save abandoned at its deadline goes on in the
 * background and reads its archive there until it gives up, as it would on a runner, whose temp folder outlives
 * the step. Removing the folder under it would crash the test process, not the code under test.
 */
const runnerTemps: string[] = [];
process.on('exit', () => {
  for (const dir of runnerTemps) rmSync(dir, { recursive: true, force: true });
});

/** Servers of cells that are still running (a hung client keeps its cell from cleaning up): closed after the suite. */
const openServers = new Set<{ close(): Promise<void> }>();

describe('GitHub fault matrix', { concurrency: false }, () => {
  let sandbox: Sandbox;
  let reference: Map<string, Buffer>;

  before(async () => {
    ({ sandbox, reference } = await sandboxWithReferenceData());
  });
  after(async () => {
    // Closing a hung cell's servers cuts its connections, so its client fails and the cell finishes.
    await Promise.all([...openServers].map((server) => server.close()));
    await sandbox.close();
  });

  for (const step of STEPS) {
    for (const spec of FAULTS) {
      if (!FULL && !FAST_FAULTS.has(spec.name)) continue;
      scenario(
        {
          matrix: 'github-faults',
          step: step.step,
          fault: spec.name,
          expected: 'recovered, or a warning; submissions unchanged; no partial file in the data folder or the cache; no duplicate issue',
          boundMs: BOUND_MS,
        },
        () => cell(step, spec),
      );
    }
  }

  // The whole cache service down: every Twirp call answers 500 (the client retries each 5 times over ~30 s, so
  // five cache operations used to cost a run about 150 s). One warning, one cache call, then no more of them.
  scenario(
    {
      matrix: 'github-faults',
      step: 'cache service (every call)',
      fault: '500 on every call',
      expected: 'one warning naming the failure, no further cache call in the run; data downloaded, reported as a failed cache; submissions unchanged',
      boundMs: BOUND_MS,
    },
    () => cacheDownCell(),
  );

  async function cacheDownCell(): Promise<string> {
    resetSandbox(sandbox);
    const results = await ActionsResultsEmulator.start({ repository: `${OWNER}/${REPO}`, runId: '4242', runAttempt: '1' });
    openServers.add(results);
    for (const method of ['GetCacheEntryDownloadURL', 'CreateCacheEntry', 'FinalizeCacheEntryUpload']) {
      results.fault(`CacheService/${method}`, { kind: 'status', status: 500 });
    }
    const ws = workspace();
    const runnerTemp = mkdtempSync(join(tmpdir(), 'autopilot-runner-temp-'));
    runnerTemps.push(runnerTemp);
    const restoreEnv = setEnv(results.runnerEnv({ workspace: ws.root, runnerTemp }));
    const logger = recordingLogger();
    // The real client, with its calls counted.
    const calls = { restore: 0, save: 0 };
    const counted: CacheClient = {
      isFeatureAvailable: () => actionsCache.isFeatureAvailable(),
      restoreCache: (...args) => (calls.restore++, actionsCache.restoreCache(...args)),
      saveCache: (...args) => (calls.save++, actionsCache.saveCache(...args)),
    };
    try {
      const store = createActionsCacheStore({ dataDir: ws.dataDir, logger, cache: counted, restoreDeadlineMs: CACHE_DEADLINE_MS * 10, saveDeadlineMs: CACHE_DEADLINE_MS * 10 });
      const { result: run, output } = await captureStdout(() => runRound(sandbox, ws, { store, reporter: logger }));
      assert.deepEqual(statuses(run.report), { rel_alpha: 'submitted', rel_beta: 'submitted', rel_gamma: 'submitted' }, run.log);
      assertNoDuplicates(sandbox, run.report);
      assertDataFolderClean(ws, reference);

      assert.deepEqual(calls, { restore: 1, save: 0 }, 'after the first failed call the store calls the cache no more');
      const routes = new Set(results.requests.map((request) => request.route));
      assert.deepEqual([...routes], ['CacheService/GetCacheEntryDownloadURL'], 'only the first lookup reached the service');
      const warnings = logger.at('warning');
      assert.equal(warnings.length, 1, `one warning, not ${warnings.length}:\n${warnings.join('\n')}`);
      assert.match(warnings[0], /^The Actions cache failed restoring v5\.2\/features\.json for round 1190 .*\(500\) Internal Server Error.*Not using the cache for the rest of this run/);
      assert.doesNotMatch(output, /^::(warning|error)/m, 'the cache client printed a warning of its own');

      const uses = Object.fromEntries(run.report.datasets.map((use) => [use.file, use]));
      assert.equal(uses['v5.2/features.json'].source, 'download');
      assert.match(uses['v5.2/features.json'].storeFailure ?? '', /\(500\)/, 'the report says the restore failed, not that it missed');
      assert.match(uses['v5.2/live.parquet'].storeFailure ?? '', /failed earlier in this run/);
      return `${describeOutcome(run.report)}; ${calls.restore} cache call, ${results.requests.length} request(s) to the service by the end of the run; 1 warning: "${warnings[0].slice(0, 120)}"`;
    } finally {
      restoreEnv();
      removeWorkspace(ws);
      await results.close();
      openServers.delete(results);
    }
  }

  // keep-schedule-alive with the shipped workflows' job token (issues: write, no actions: write): GitHub's 403.
  scenario(
    {
      matrix: 'github-faults',
      step: 'actions API (re-enable the workflow)',
      fault: '403 (token without actions: write)',
      expected: 'one warning naming the permission, asked once; the run and its submissions unchanged; no secret',
      boundMs: BOUND_MS,
    },
    () => keepaliveRefusedCell(),
  );

  async function keepaliveRefusedCell(): Promise<string> {
    resetSandbox(sandbox);
    const github = await GitHubRestEmulator.start({ owner: OWNER, repo: REPO, workflows: { 'submit.yml': { dispatch: {} } } });
    openServers.add(github);
    const ws = workspace();
    const logger = recordingLogger();
    try {
      const run = await runRound(sandbox, ws, { reporter: logger });
      assert.deepEqual(statuses(run.report), { rel_alpha: 'submitted', rel_beta: 'submitted', rel_gamma: 'submitted' }, run.log);
      const secrets = [CANARY_SECRET, CANARY_PUBLIC_ID, ISSUES_WRITE_TOKEN];
      const client = createGitHubClient({ token: ISSUES_WRITE_TOKEN, baseUrl: github.apiUrl, logger, sanitize: createSanitizer(secrets), waitUnitMs: 1, paceWrites: false });
      const note = await checkSchedule({
        keepAlive: true,
        client,
        repository: { owner: OWNER, repo: REPO },
        workflowRef: `${OWNER}/${REPO}/.github/workflows/submit.yml@refs/heads/main`,
        eventPath: '',
        logger,
        // The emulator's repository was last pushed to on 2026-11-20: no switch-off warning on this day.
        now: new Date('2026-12-01T12:00:00Z'),
      });
      assert.equal(note.keepalive?.kind, 'refused');
      const puts = github.requestsTo('actions.enableWorkflow');
      assert.deepEqual(puts.map((put) => put.status), [403], 'asked once: a 403 is not retried');
      const warnings = logger.at('warning');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /keep-schedule-alive: GitHub refused to re-enable submit\.yml \(403 .*`permissions: actions: write`/);
      assertNoCanary('the warnings', warnings.join('\n'));
      assertNoDuplicates(sandbox, run.report);
      return `${describeOutcome(run.report)}; PUT …/workflows/submit.yml/enable answered ${puts[0].status}; 1 warning: "${warnings[0].slice(0, 120)}"`;
    } finally {
      removeWorkspace(ws);
      await github.close();
      openServers.delete(github);
    }
  }

  async function cell(step: Step, spec: FaultSpec): Promise<string> {
    resetSandbox(sandbox);
    const results = await ActionsResultsEmulator.start({ repository: `${OWNER}/${REPO}`, runId: '4242', runAttempt: '1' });
    const github = await GitHubRestEmulator.start({ owner: OWNER, repo: REPO });
    const resultsProxy = await FaultProxy.start(results.url, resultsRoute);
    const restProxy = await FaultProxy.start(github.apiUrl, restRoute);
    const servers = [resultsProxy, restProxy, results, github];
    for (const server of servers) openServers.add(server);
    const ws = workspace();
    const runnerTemp = mkdtempSync(join(tmpdir(), 'autopilot-runner-temp-'));
    runnerTemps.push(runnerTemp);
    const restoreEnv = setEnv({ ...results.runnerEnv({ workspace: ws.root, runnerTemp }), ACTIONS_RESULTS_URL: `${resultsProxy.origin}/` });
    const logger = recordingLogger();
    let stdout = '';
    try {
      if ('emulator' in spec) (step.service === 'results' ? results : github).fault(step.route, spec.emulator);
      else (step.service === 'results' ? resultsProxy : restProxy).inject(step.route, spec.proxy);
      // Numerai refuses rel_alpha's upload, echoing the key: the failure reaches the artifact and the issue.
      sandbox.inject('create_submission', { kind: 'graphql-400', message: `refused for Token ${CANARY_PUBLIC_ID}$${CANARY_SECRET}`, times: 1 });

      // 1. The submitting run, with the Actions cache as the dataset store.
      const submit = await captureStdout(() => runRound(sandbox, ws, { store: cacheStore(ws.dataDir, logger), reporter: logger }));
      stdout += submit.output;
      const run = submit.result;
      const explain = `${describeOutcome(run.report)}\n${run.log}`;
      assert.deepEqual(statuses(run.report), { rel_alpha: 'failed', rel_beta: 'submitted', rel_gamma: 'submitted' }, explain);
      assert.equal(run.report.models[0].errorClass, 'SubmissionRejected');
      assertNoDuplicates(sandbox, run.report);
      assertDataFolderClean(ws, reference);

      // 2. The run's artifact: the CSVs and the report, under the action's deadline (shortened here).
      const artifact = await captureStdout(() =>
        withDeadline(
          'Uploading the artifact',
          uploadRunArtifacts({ report: run.report, reportPath: join(ws.outputDir, 'report.json'), runId: '4242', runAttempt: '1', logger }),
          logger,
          REPORTING_DEADLINE_MS,
        ),
      );
      stdout += artifact.output;
      if (artifact.result) {
        const files = results.artifactFiles(artifact.result.name);
        assert.equal(files.length, 1 + MODELS.length, `artifact files: ${files.map((file) => file.path).join(', ')}`);
        for (const file of files) assertNoCanary(`the artifact file ${file.path}`, file.content.toString('latin1'));
      } else {
        assert.match(logger.at('warning').join('\n'), /Could not upload the artifact|Uploading the artifact did not finish/);
      }

      // 3. The failure issue.
      const client = createGitHubClient({
        token: WRITE_TOKEN,
        baseUrl: restProxy.origin,
        logger,
        sanitize: createSanitizer([CANARY_SECRET, CANARY_PUBLIC_ID, WRITE_TOKEN]),
        waitUnitMs: 1,
        paceWrites: false,
      });
      const issues = await captureStdout(() =>
        withDeadline(
          'Updating the failure issues',
          syncFailureIssues(run.report, {
            client,
            owner: OWNER,
            repo: REPO,
            logger,
            secrets: [CANARY_SECRET, CANARY_PUBLIC_ID, WRITE_TOKEN],
            run: { url: `https://github.com/${OWNER}/${REPO}/actions/runs/4242/attempts/1` },
          }),
          logger,
          REPORTING_DEADLINE_MS,
        ),
      );
      stdout += issues.output;
      const opened = github.issues();
      assert.ok(opened.length <= 1, `${opened.length} issues were opened for one failing model`);
      if (opened.length === 1) assert.match(opened[0].title, /rel_alpha/);
      else assert.ok((issues.result === null || issues.result.failures > 0) && logger.at('warning').length > 0, 'no issue and no warning');
      for (const issue of opened) assertNoCanary(`issue #${issue.number}`, `${issue.title}\n${issue.body ?? ''}`);
      for (const comment of github.comments()) assertNoCanary('an issue comment', comment.body);

      // 4. A dry run on a fresh runner: the data comes back from the cache (or is downloaded again).
      // Same workspace path (runners give a repository the same one, and the cache version depends on it), empty.
      rmSync(ws.dataDir, { recursive: true, force: true });
      const fresh = { ...ws, outputDir: join(ws.root, 'out-fresh') };
      const rerun = await captureStdout(() =>
        runRound(sandbox, fresh, { dryRun: true, force: true, store: cacheStore(fresh.dataDir, logger), reporter: logger }),
      );
      stdout += rerun.output;
      assert.deepEqual(statuses(rerun.result.report), Object.fromEntries(MODELS.map((model) => [model, 'dry-run'])), rerun.result.log);
      assertDataFolderClean(fresh, reference);

      // The fault was met, and nothing carries the secret.
      const met = 'emulator' in spec ? (step.service === 'results' ? results : github).requests.some((r) => r.route === step.route) : (step.service === 'results' ? resultsProxy : restProxy).served.length > 0;
      assert.ok(met, `the ${step.route} step was never reached`);
      assertNoCanary('the action log', stdout, run.log, rerun.result.log, logger.entries.map((entry) => entry.message).join('\n'));
      assertNoCanary('the report and CSVs', textUnder(ws.outputDir));

      const sources = rerun.result.report.datasets.map((use) => `${use.file.split('/').pop()}:${use.source}${use.storeFailure ? ' (cache failed)' : ''}`).join(', ');
      const warnings = logger.at('warning');
      return `${describeOutcome(run.report)}; artifact ${artifact.result ? 'uploaded' : 'warned'}; issue ${opened.length === 1 ? 'opened' : 'warned'}; fresh runner: ${sources}` +
        (warnings.length ? `; ${warnings.length} warning(s), first: "${warnings[0].slice(0, 120)}"` : '; no warning');
    } finally {
      restoreEnv();
      removeWorkspace(ws);
      await Promise.all(servers.map((server) => server.close()));
      for (const server of servers) openServers.delete(server);
    }
  }
});
