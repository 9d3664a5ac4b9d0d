/**
 * The score operations of NumeraiClient (submissionScores, roundScoring) and readScores over them, against the
 * sandbox at a round past the real formula change (1343), and with the sandbox's faults: transient ones are
 * retried, lasting ones become one warning and the rest of the scores stand.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { NumeraiClient } from '../../src/numerai/client.js';
import { NumeraiError } from '../../src/numerai/errors.js';
import type { Level } from '../../src/pipeline/ports.js';
import { readScores } from '../../src/pipeline/scores.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const ROUND = 1350;
let sandbox: Sandbox;
/** No keys: the scores and the rounds are public. */
let client: NumeraiClient;

before(async () => {
  sandbox = await startSandbox({ rows: 50, features: 5, round: { number: ROUND, state: 'open' } });
  client = new NumeraiClient({ apiUrl: sandbox.url, retries: 2, backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 5_000 });
});
after(() => sandbox.close());
beforeEach(() => sandbox.clearFaults());

function logger() {
  const lines: { level: Level; message: string }[] = [];
  return { lines, log: (level: Level, message: string) => lines.push({ level, message }) };
}

const models = () => ['example_gbt', 'example_ensemble', 'example_linear'].map((name) => ({ name, id: sandbox.modelId(name) }));

describe('client operations', () => {
  test('submissionScores: the latest day of each metric of the last N scored rounds, without keys', async () => {
    const scores = await client.submissionScores(sandbox.modelId('example_gbt'), 8, { lastNRounds: 4 });
    const top = scores[0].roundNumber;
    assert.ok(top < ROUND - 1 && top > 1343);
    assert.deepEqual([...new Set(scores.map((s) => s.roundNumber))], [top, top - 1, top - 2, top - 3]);
    const keys = scores.map((s) => `${s.roundNumber}/${s.displayName}`);
    assert.equal(new Set(keys).size, keys.length, 'one score per metric per round');
    assert.ok(scores.every((s) => s.resolved === false && s.value !== null && s.day !== null && s.day >= 1));
    const resolved = await client.submissionScores(sandbox.modelId('example_gbt'), 8, { lastNRounds: 1, resolved: true });
    assert.ok(resolved.length > 0 && resolved.every((s) => s.resolved));
    assert.deepEqual(await client.submissionScores(sandbox.modelId('example_ensemble'), 8, { lastNRounds: 20 }), []);
  });

  test('roundScoring: each round its own payout metrics and multipliers; the change at 1343; unknown rounds left out', async () => {
    const rounds = await client.roundScoring(8, [1342, 1343, ROUND + 5]);
    assert.deepEqual(rounds.map((r) => r.number), [1343, 1342]);
    const payout = (n: number) => rounds.find((r) => r.number === n)!.configs.filter((c) => c.isPayout).map((c) => [c.displayName, c.defaultMultiplier]);
    assert.deepEqual(payout(1342), [['v2_corr20', 0.75], ['mmc', 2.25]]);
    assert.deepEqual(payout(1343), [['corr60', 3], ['mmc60', 15]]);
    // One request for all of them.
    const before = sandbox.requests.length;
    await client.roundScoring(8, Array.from({ length: 30 }, (_, i) => 1300 + i));
    assert.equal(sandbox.requests.length - before, 1);
  });

  test('a transient fault is retried; a lasting one is a classified error', async () => {
    sandbox.inject('submissionScores', { kind: 'http', status: 503, times: 1 });
    assert.ok((await client.submissionScores(sandbox.modelId('example_gbt'), 8, { lastNRounds: 1 })).length > 0);
    sandbox.inject('rounds', { kind: 'non-json', times: Infinity });
    await assert.rejects(client.roundScoring(8, [1342]), (e: unknown) => e instanceof NumeraiError && e.operation === 'rounds');
  });
});

describe('readScores', () => {
  test('payout scores from each round\'s config, latest resolved and provisional, mean and trend on the newest formula', async () => {
    const log = logger();
    const report = await readScores(client, { tournament: 8, models: models(), rounds: 12 }, log);
    assert.equal(log.lines.length, 0);
    const gbt = report.models.find((m) => m.model === 'example_gbt')!;
    const top = gbt.rounds[0].round;
    assert.deepEqual(gbt.rounds.map((r) => r.round), Array.from({ length: 12 }, (_, i) => top - i));
    const r1343 = gbt.rounds.find((r) => r.round === 1343)!;
    assert.equal(r1343.formula, '3×corr60 + 15×mmc60');
    assert.equal(r1343.config, 'listed');
    const expected = 3 * r1343.metrics.corr60.value! + 15 * r1343.metrics.mmc60.value!;
    assert.ok(Math.abs(r1343.payoutScore! - expected) < 1e-7);
    assert.equal(gbt.rounds.find((r) => r.round === 1342)!.formula, '0.75×v2_corr20 + 2.25×mmc');
    assert.equal(gbt.latestUnresolved?.round, top);
    // Rounds resolve about a month after they open: the newest resolved one is older than the window.
    assert.ok(gbt.latestResolved && gbt.latestResolved.round < top - 11 && gbt.latestResolved.resolved);
    assert.deepEqual({ formula: gbt.summary?.formula, rounds: gbt.summary?.rounds }, { formula: '3×corr60 + 15×mmc60', rounds: top - 1343 + 1 });
    assert.equal(typeof gbt.summary?.trendPerRound, 'number');
    const ensemble = report.models.find((m) => m.model === 'example_ensemble')!;
    assert.deepEqual([ensemble.rounds, ensemble.latestResolved, ensemble.summary], [[], null, null]);
  });

  test('rounds without a configuration keep their raw metrics and say so', async () => {
    const report = await readScores(client, { tournament: 8, models: models().slice(0, 1), rounds: 60 }, logger());
    const old = report.models[0].rounds.filter((r) => r.config === 'none');
    assert.ok(old.length > 0);
    for (const r of old) {
      assert.deepEqual([r.payout, r.formula, r.payoutScore], [[], null, null]);
      assert.ok(Object.keys(r.metrics).length > 2);
    }
  });

  test('faults: one warning, and what could be read stands', async () => {
    // The first model's scores fail for good; the others are read.
    const first = models()[0];
    const log = logger();
    const failing = { ...client, submissionScores: client.submissionScores.bind(client), roundScoring: client.roundScoring.bind(client) };
    failing.submissionScores = async (id, t, o) => {
      if (id === first.id) throw new NumeraiError('Numerai API call "submissionScores" failed: HTTP 503', { kind: 'server', operation: 'submissionScores' });
      return client.submissionScores(id, t, o);
    };
    sandbox.inject('rounds', { kind: 'http', status: 502, times: Infinity });
    const report = await readScores(failing, { tournament: 8, models: models(), rounds: 5 }, log);
    assert.equal(log.lines.length, 1);
    assert.equal(log.lines[0].level, 'warning');
    assert.match(log.lines[0].message, /example_gbt: .*HTTP 503.*; round score configurations: .*raw metrics are shown instead/);
    assert.equal(report.warning, log.lines[0].message);
    assert.match(report.models[0].error ?? '', /HTTP 503/);
    const linear = report.models.find((m) => m.model === 'example_linear')!;
    assert.equal(linear.rounds.length, 5);
    assert.ok(linear.rounds.every((r) => r.config === 'unread' && r.payoutScore === null && Object.keys(r.metrics).length > 0));
  });
});
