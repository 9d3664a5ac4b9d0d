/**
 * The job summary's Scores section, written by the real @actions/core, with its charts checked by Mermaid's own
 * parser: a chart GitHub could not render fails here.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createSanitizer } from '../../src/github/sanitize.js';
import { scoreChart } from '../../src/github/score-chart.js';
import { writeJobSummary } from '../../src/github/summary.js';
import type { RoundScoring, SubmissionScore } from '../../src/pipeline/ports.js';
import type { ScoresReport } from '../../src/pipeline/report.js';
import { roundScores, summarize } from '../../src/pipeline/scores.js';
import { recordingLogger } from '../emulators/capture.js';
import { setEnv } from '../emulators/env.js';
import { mermaidBlocks, mermaidParse } from './mermaid.js';
import { sampleReport } from './sample-report.js';

const CANARY = 'CANARYSECRET0123456789';

let dir: string;
let summaryFile: string;
let restoreEnv: () => void;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scores-summary-'));
  summaryFile = path.join(dir, 'step-summary.md');
  restoreEnv = setEnv({ GITHUB_STEP_SUMMARY: summaryFile });
});
after(async () => {
  restoreEnv();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => writeFile(summaryFile, ''));

/** Scores of one round: every metric given, resolved or not. */
function scoresOf(round: number, resolved: boolean, values: Record<string, number>): SubmissionScore[] {
  return Object.entries(values).map(([displayName, value]) => ({
    roundNumber: round,
    displayName,
    version: null,
    value,
    percentile: 0.5,
    day: resolved ? 20 : 3,
    date: null,
    resolved,
    roundResolveTime: null,
  }));
}

const OLD = [
  { name: 'correlation', version: '2', displayName: 'v2_corr20', isPayout: true, defaultMultiplier: 0.75, minMultiplier: 0.75, maxMultiplier: 0.75, totalScoreDays: 20 },
  { name: 'meta_model_contribution', version: '1', displayName: 'mmc', isPayout: true, defaultMultiplier: 2.25, minMultiplier: 2.25, maxMultiplier: 2.25, totalScoreDays: 20 },
];
const NEW = [
  { name: 'correlation', version: '3', displayName: 'corr60', isPayout: true, defaultMultiplier: 3, minMultiplier: 3, maxMultiplier: 3, totalScoreDays: 60 },
  { name: 'meta_model_contribution', version: '2', displayName: 'mmc60', isPayout: true, defaultMultiplier: 15, minMultiplier: 15, maxMultiplier: 15, totalScoreDays: 60 },
];

function sampleScores(): ScoresReport {
  const scoring = new Map<number, RoundScoring>();
  for (let n = 1330; n <= 1346; n++) scoring.set(n, { number: n, resolveTime: null, resolved: false, configs: n < 1332 ? [] : n < 1343 ? OLD : NEW });
  const rounds = [];
  for (let n = 1346; n >= 1331; n--) {
    const v = Math.sin(n) / 50;
    rounds.push(roundScores(scoresOf(n, n < 1335, { v2_corr20: v, mmc: v / 4, corr60: v * 0.8, mmc60: v / 5, fnc_v3: v / 2 }), scoring));
  }
  const resolved = rounds.find((r) => r.resolved)!;
  return {
    rounds: 16,
    models: [
      { model: 'alpha_lgbm', modelId: 'id-alpha', rounds, latestResolved: resolved, latestUnresolved: rounds[0], summary: summarize(rounds) },
      { model: 'beta_nn', modelId: 'id-beta', rounds: [], latestResolved: null, latestUnresolved: null, summary: null },
      { model: 'gamma_ens', modelId: 'id-gamma', rounds: [], latestResolved: null, latestUnresolved: null, summary: null, error: `HTTP 503 (key ${CANARY})` },
    ],
    warning: `Some scores could not be read; the rest of the summary is complete. gamma_ens: HTTP 503 (key ${CANARY})`,
  };
}

describe('Scores section', () => {
  it('comes after the run table: per model the latest resolved and provisional scores with the round\'s own formula', async () => {
    const logger = recordingLogger();
    await writeJobSummary(sampleReport({ scores: sampleScores() }), { logger, sanitize: createSanitizer([CANARY]) });
    const html = await readFile(summaryFile, 'utf8');
    assert.deepEqual(logger.at('warning'), []);
    assert.ok(html.indexOf('<h3>Scores</h3>') > html.indexOf('<th>Model</th><th>Status</th>'), 'after the run table');
    assert.match(html, /<th>Model<\/th><th>Latest resolved<\/th><th>Latest provisional<\/th><th>Mean payout score<\/th><th>Trend<\/th>/);
    assert.match(html, /round 1346: <b>-?0\.\d{4}<\/b> = 3×corr60 \+ 15×mmc60 \(corr60 -?0\.\d{4}, mmc60 -?0\.\d{4}\)/);
    assert.match(html, /round 1334: <b>-?0\.\d{4}<\/b> = 0\.75×v2_corr20 \+ 2\.25×mmc/);
    assert.match(html, /over 4 rounds of 3×corr60 \+ 15×mmc60/);
    assert.match(html, /<code>beta_nn<\/code><\/td><td>no scores yet/);
    assert.match(html, /could not be read: HTTP 503/);
    assert.ok(!html.includes(CANARY), 'the secret is masked');
    assert.match(html, /Rounds 1332–1342: 0\.75×v2_corr20 \+ 2\.25×mmc; 1343–1346: 3×corr60 \+ 15×mmc60 \(the formula changed/);
    assert.match(html, /Not plotted: 1331 \(no payout configuration listed\)/);
  });

  it('every chart in the summary parses with Mermaid; a broken one does not', async () => {
    await writeJobSummary(sampleReport({ scores: sampleScores() }), { logger: recordingLogger() });
    const blocks = mermaidBlocks(await readFile(summaryFile, 'utf8'));
    assert.equal(blocks.length, 1, 'one chart per model with payout scores');
    for (const block of blocks) assert.equal(((await mermaidParse(block)) as { diagramType: string }).diagramType, 'xychart');
    await assert.rejects(mermaidParse(blocks[0].replace(/line \[/, 'line [[')), /Parse error/);
  });

  it('the chart plots each round with a payout score, oldest first, with an axis that holds every value', async () => {
    const chart = scoreChart(sampleScores().models[0])!;
    assert.deepEqual(chart.rounds, Array.from({ length: 15 }, (_, i) => 1332 + i));
    const [, low, high] = /y-axis "payout score" (-?[\d.]+) --> (-?[\d.]+)/.exec(chart.mermaid)!.map(Number);
    const values = /line \[([^\]]+)\]/.exec(chart.mermaid)![1].split(', ').map(Number);
    assert.equal(values.length, 15);
    assert.ok(values.every((v) => v >= low && v <= high));
    assert.doesNotMatch(chart.mermaid, /e-\d/, 'no exponent notation');
    assert.equal(scoreChart({ model: 'x', rounds: [] }), null);
  });

  it('a round without a configuration shows its raw metrics and says so', async () => {
    const scores = sampleScores();
    const model = scores.models[0];
    const bare = model.rounds.find((r) => r.config === 'none')!;
    await writeJobSummary(sampleReport({ scores: { ...scores, models: [{ ...model, latestResolved: bare }] } }), { logger: recordingLogger() });
    const html = await readFile(summaryFile, 'utf8');
    assert.match(html, /round 1331: no payout configuration listed; raw metrics: corr60 -?0\.\d{4}, fnc_v3 -?0\.\d{4}, mmc -?0\.\d{4}, mmc60 -?0\.\d{4}, v2_corr20/);
  });

  it('no scores in the report: no section', async () => {
    await writeJobSummary(sampleReport(), { logger: recordingLogger() });
    assert.doesNotMatch(await readFile(summaryFile, 'utf8'), /Scores/);
  });
});
