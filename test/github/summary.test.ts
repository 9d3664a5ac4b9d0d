/** The job summary and annotations, written by the real @actions/core to a summary file and stdout. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createSanitizer } from '../../src/github/sanitize.js';
import { annotateFailures, writeJobSummary } from '../../src/github/summary.js';
import type { ModelReport } from '../../src/pipeline/report.js';
import { captureStdout, recordingLogger } from '../emulators/capture.js';
import { setEnv } from '../emulators/env.js';
import { sampleReport } from './sample-report.js';

let dir: string;
let summaryFile: string;
let restoreEnv: () => void;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'summary-'));
  summaryFile = path.join(dir, 'step-summary.md');
  restoreEnv = setEnv({ GITHUB_STEP_SUMMARY: summaryFile });
});

after(async () => {
  restoreEnv();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await writeFile(summaryFile, '');
});

const RUN_URL = 'https://github.com/octo/numerai-models/actions/runs/555/attempts/1';

describe('writeJobSummary', () => {
  it('warns instead of throwing when the runner gives no summary file (first: @actions/core caches the path once written)', async () => {
    const unset = setEnv({ GITHUB_STEP_SUMMARY: undefined });
    try {
      const logger = recordingLogger();
      await writeJobSummary(sampleReport(), { logger });
      assert.match(logger.at('warning').join('\n'), /Could not write the job summary: .*GITHUB_STEP_SUMMARY/);
    } finally {
      unset();
    }
  });
  it('renders a row per model with status, round, rows, stats, time, details and issue link, and totals', async () => {
    const logger = recordingLogger();
    await writeJobSummary(sampleReport(), {
      logger,
      issues: { gamma_ens: { number: 7, url: 'https://github.com/octo/numerai-models/issues/7', action: 'opened' } },
      artifact: { name: 'numerai-submissions-555-1' },
      runUrl: RUN_URL,
    });
    const html = await readFile(summaryFile, 'utf8');
    assert.deepEqual(logger.at('warning'), []);
    assert.match(html, /<h2>Numerai Autopilot — round 1234<\/h2>/);
    assert.match(html, /Tournament: classic · started 2026-11-28T13:05:00.000Z · took 42.5 s/);
    assert.match(html, /<th>Model<\/th><th>Status<\/th><th>Round<\/th><th>Rows<\/th><th>Mean<\/th><th>Std<\/th><th>Min – max<\/th><th>Time<\/th><th>Details<\/th><th>Issue<\/th>/);
    assert.match(
      html,
      /<tr><td><code>alpha_lgbm<\/code><\/td><td>✅ submitted<\/td><td>1234<\/td><td>5,210<\/td><td>0\.5000<\/td><td>0\.2887<\/td><td>0\.0001 – 0\.9999<\/td><td>2\.4 s<\/td><td>submission <code>sub-1<\/code><\/td><td> <\/td><\/tr>/,
    );
    assert.match(html, /<td><code>beta_nn<\/code><\/td><td>⏭️ skipped<\/td><td>1234<\/td><td>—<\/td>.*<td>already submitted for round 1234<\/td>/);
    assert.equal(html.split('<td>').length, html.split('</td>').length, 'every cell is closed');
    assert.match(
      html,
      /<td>❌ failed<\/td>.*<b>ModelError<\/b> \(predict\): models\/gamma_ens\/b\.onnx: input "features" expects 705 columns.*<a href="https:\/\/github\.com\/octo\/numerai-models\/issues\/7">#7<\/a> \(opened\)/,
    );
    assert.match(html, /<tr><td><b>Total<\/b><\/td><td>1 submitted · 1 skipped · 1 failed<\/td><td> <\/td><td>5,210<\/td>/);
    // The run's time, not the sum of the models' (each of which includes the data time they share).
    assert.match(html, /<td><b>Total<\/b><\/td>(<td>[^<]*<\/td>){6}<td>42\.5 s<\/td>/);
    assert.match(html, /<code>v5\.2\/live\.parquet<\/code> — 7\.0 MiB, restored from the cache/);
    assert.match(html, /artifact <code>numerai-submissions-555-1<\/code> \(listed under <a href="[^"]+#artifacts">Artifacts<\/a>/);
  });

  it('says what keep-schedule-alive did, and when GitHub will switch a quiet public repository\'s schedule off', async () => {
    await writeJobSummary(sampleReport(), {
      logger: recordingLogger(),
      schedule: {
        keepalive: { kind: 'refused', workflow: 'submit.yml', status: 403, message: 'Resource not accessible by integration' },
        switchOff: { on: new Date('2026-12-09T18:20:00Z'), lastPush: new Date('2026-10-10T18:20:00Z'), passed: false },
      },
    });
    const html = await readFile(summaryFile, 'utf8');
    assert.match(html, /keep-schedule-alive:<\/b> GitHub refused to re-enable <code>submit\.yml<\/code> \(403 Resource not accessible by integration\)\. The job needs <code>permissions: actions: write<\/code>/);
    assert.match(html, /<b>Schedule:<\/b> GitHub will switch this workflow's schedule off on 2026-12-09: .*last push was on 2026-10-10/);
    await writeFile(summaryFile, '');
    await writeJobSummary(sampleReport(), { logger: recordingLogger(), schedule: { keepalive: { kind: 'enabled', workflow: 'submit.yml' } } });
    assert.match(await readFile(summaryFile, 'utf8'), /Schedule kept alive:<\/b> re-enabled the workflow <code>submit\.yml<\/code>/);
  });

  it('tells a dataset downloaded because the cache failed from one that was not in the cache', async () => {
    await writeJobSummary(
      sampleReport({
        datasets: [
          { file: 'v5.2/features.json', source: 'download', bytes: 2048, storeFailure: 'Failed request: (500) Internal Server Error <x>' },
          { file: 'v5.2/live.parquet', source: 'download', bytes: 4096 },
        ],
      }),
      { logger: recordingLogger() },
    );
    const html = await readFile(summaryFile, 'utf8');
    assert.match(html, /<code>v5\.2\/features\.json<\/code> — 2\.0 KiB, downloaded: ⚠️ the cache failed \(Failed request: \(500\) Internal Server Error &lt;x&gt;\)/);
    assert.match(html, /<code>v5\.2\/live\.parquet<\/code> — 4\.0 KiB, downloaded</);
  });

  it('reports a run that stopped before the models, with its issue', async () => {
    await writeJobSummary(sampleReport({ error: { errorClass: 'AccountError', stage: 'plan', message: 'unknown model <x>' } }, []), {
      logger: recordingLogger(),
      runIssue: { number: 3, url: 'https://github.com/octo/numerai-models/issues/3', action: 'opened' },
    });
    const html = await readFile(summaryFile, 'utf8');
    assert.match(html, /<b>The run stopped before the models<\/b> \(AccountError at the plan stage\): unknown model &lt;x&gt; Issue: <a href="[^"]+\/issues\/3">#3<\/a> \(opened\)/);
  });

  it('escapes HTML and removes secrets from messages', async () => {
    const report = sampleReport();
    const failed = report.models[2] as ModelReport;
    failed.message = '<script>alert(1)</script> key=SECRETVALUE123 & more';
    await writeJobSummary(report, { logger: recordingLogger(), sanitize: createSanitizer(['SECRETVALUE123']) });
    const html = await readFile(summaryFile, 'utf8');
    assert.ok(!html.includes('<script>'));
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; key=\*\*\* &amp; more/);
    assert.ok(!html.includes('SECRETVALUE123'));
  });

  it('says so when no round is open, and marks dry and late runs', async () => {
    await writeJobSummary(sampleReport({ round: null }, []), { logger: recordingLogger() });
    await writeJobSummary(sampleReport({ dryRun: true, late: true }), { logger: recordingLogger() });
    const html = await readFile(summaryFile, 'utf8');
    assert.match(html, /Numerai Autopilot — no open round/);
    assert.match(html, /No round is open for submissions/);
    assert.match(html, /round 1234 \(dry run\)/);
    assert.match(html, /<b>Late:<\/b>/);
  });

});

describe('annotateFailures', () => {
  it('emits an error annotation titled with the failed model', async () => {
    const { output } = await captureStdout(async () => annotateFailures(sampleReport()));
    const errors = output.split('\n').filter((line) => line.startsWith('::error'));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^::error title=Numerai model gamma_ens failed (\(|%28)round 1234(\)|%29)::ModelError at the predict stage: models\/gamma_ens\/b\.onnx/);
  });

  it('keeps within GitHub\'s 10 error annotations per step, naming the rest in the last one', async () => {
    const models: ModelReport[] = Array.from({ length: 13 }, (_, i) => ({
      model: `m${i}`,
      modelId: null,
      status: 'failed',
      stage: 'config',
      round: 1234,
      errorClass: 'ConfigError',
      message: `models/m${i}/model.yml: dataset is required`,
      durations: {},
    }));
    const { output } = await captureStdout(async () => annotateFailures(sampleReport({}, models)));
    const errors = output.split('\n').filter((line) => line.startsWith('::error'));
    assert.equal(errors.length, 10);
    assert.match(errors[9], /4 more Numerai models failed::Also failed: m9, m10, m11, m12\./);
  });
});
