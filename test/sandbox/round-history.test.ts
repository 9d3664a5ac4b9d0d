/**
 * The sandbox's round history and round clock: earlier rounds on Numerai's calendar with each model's on-time, late
 * and missing submissions (numerapi's texts read them unchanged), and the next round opening at a set time (listed
 * as UPCOMING until then, with a round-open event when it opens). Also the client's reading of them.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { NumeraiClient } from '../../src/numerai/client.js';
import { closedExpectedRounds, modelPunctuality } from '../../src/pipeline/missed-rounds.js';
import { startSandbox, type RoundOpened, type Sandbox } from '../../src/sandbox/server.js';
import { data } from './helpers.js';
import * as Q from './fixtures/numerapi-queries.js';

const open: Sandbox[] = [];
after(async () => {
  for (const s of open) await s.close();
});

/** A sandbox on a clock the test moves: Tuesday 2026-12-01 13:00 UTC, round 1240 open since 12:00. */
async function sandboxAt(options: Parameters<typeof startSandbox>[0] = {}) {
  let now = Date.parse('2026-12-01T13:00:00Z');
  const sandbox = await startSandbox({ rows: 20, features: 4, round: { number: 1240, state: 'open' }, now: () => now, ...options });
  open.push(sandbox);
  const client = new NumeraiClient({ apiUrl: sandbox.url, credentials: sandbox.credentials, retries: 0 });
  return { sandbox, client, advance: (ms: number) => (now += ms), now: () => now };
}

describe('round history', () => {
  test('patterns give on-time, late and missing submissions on the Tuesday-to-Saturday calendar', async () => {
    const { sandbox, client } = await sandboxAt({ history: { example_gbt: 'oo-l', example_linear: '-o' } });
    const rounds = await client.recentRounds(8, 6);
    assert.deepEqual(rounds.map((r) => r.number), [1240, 1239, 1238, 1237, 1236, 1235]);
    // Round 1239 opened on Saturday (no rounds on Sunday and Monday) and stayed open until Sunday 14:00.
    const saturday = rounds.find((r) => r.number === 1239)!;
    assert.equal(saturday.openTime.toISOString(), '2026-11-28T12:00:00.000Z');
    assert.equal(saturday.closeStakingTime!.toISOString(), '2026-11-29T14:00:00.000Z');
    const friday = rounds.find((r) => r.number === 1238)!;
    assert.equal(friday.closeStakingTime!.getTime() - friday.openTime.getTime(), 3_600_000, 'a weekday round: one hour');

    // numerapi's submission_ids reads them unchanged.
    const ids = await data<{ submissions: { insertedAt: string }[] }>(sandbox, Q.SUBMISSION_IDS, { modelId: sandbox.modelId('example_gbt') });
    assert.equal(ids.submissions.length, 3);

    const expected = closedExpectedRounds(rounds, { expect: 'all', lookback: 10, now: new Date('2026-12-01T13:00:00Z') });
    const gbt = modelPunctuality(expected, await client.submissionHistory(sandbox.modelId('example_gbt')), 8);
    assert.deepEqual(gbt.missed, [1238]);
    assert.deepEqual(gbt.late, [1239]);
    const linear = modelPunctuality(expected, await client.submissionHistory(sandbox.modelId('example_linear')), 8);
    assert.deepEqual([linear.missed, linear.late, linear.rounds.map((r) => r.number)], [[], [], [1239]], 'rounds before the first submission never count');
    const ensemble = modelPunctuality(expected, await client.submissionHistory(sandbox.modelId('example_ensemble')), 8);
    assert.deepEqual(ensemble.rounds.map((r) => r.outcome), ['on-time', 'on-time'], 'the default: on time in the two rounds before');
    // Seeded history is not among the submissions recorded by create_submission.
    assert.deepEqual(sandbox.submissions('example_gbt'), []);
  });

  test('setHistory replaces a model\'s history at run time; a bad pattern or model is named', async () => {
    const { sandbox, client } = await sandboxAt();
    sandbox.setHistory('example_gbt', '---o');
    const subs = await client.submissionHistory(sandbox.modelId('example_gbt'));
    assert.deepEqual(subs.map((s) => s.round), [1239]);
    assert.throws(() => sandbox.setHistory('example_gbt', 'o?'), /history of example_gbt: "o\?" has "\?" at position 2/);
    await assert.rejects(startSandbox({ history: { nobody: 'o' }, rows: 20, features: 4 }), /no model named nobody/);
  });
});

describe('open-at', () => {
  test('the next round is UPCOMING with its openTime, then opens on time with an event, the old round keeping its times', async () => {
    const { sandbox, client, advance } = await sandboxAt({ round: { number: 1240, state: 'closed' } });
    const events: RoundOpened[] = [];
    sandbox.onRoundOpen((round) => events.push(round));
    const due = Date.parse('2026-12-01T13:30:00Z');
    assert.deepEqual(sandbox.openRoundAt(due), { number: 1241, openTime: '2026-12-01T13:30:00Z' });

    // numerapi's list_rounds with status "upcoming" (sent upper-cased) and get_current_round, unchanged.
    const listed = await data<{ rounds: { number: number; openTime: string }[] }>(sandbox, Q.LIST_ROUNDS, { tournament: 8, number: null, target: null, status: 'UPCOMING', limit: null }, null);
    assert.deepEqual(listed.rounds.map((r) => [r.number, r.openTime]), [[1241, '2026-12-01T13:30:00Z']]);
    assert.deepEqual(await data(sandbox, Q.GET_CURRENT_ROUND, { tournament: 8 }, null), { rounds: [null] });
    const before = (await client.recentRounds(8, 3)).find((r) => r.number === 1240)!;

    advance(30 * 60_000);
    const current = await client.currentRound(8);
    assert.equal(current?.number, 1241);
    assert.equal(current?.openTime.toISOString(), '2026-12-01T13:30:00.000Z');
    assert.deepEqual(events, [{ number: 1241, openTime: '2026-12-01T13:30:00Z' }]);
    const after = (await client.recentRounds(8, 3)).find((r) => r.number === 1240)!;
    assert.deepEqual(after, before, 'the round that was current keeps its times');
    const upcoming = await data<{ rounds: unknown[] }>(sandbox, Q.LIST_ROUNDS, { tournament: 8, status: 'UPCOMING' }, null);
    assert.deepEqual(upcoming.rounds, []);
  });

  test('a timer opens the round on the real clock with nobody asking; the option lists it as upcoming from the start', async () => {
    const sandbox = await startSandbox({ rows: 20, features: 4, round: { number: 700, state: 'closed' }, openAt: Date.now() + 3_600_000 });
    open.push(sandbox);
    const client = new NumeraiClient({ apiUrl: sandbox.url, retries: 0 });
    assert.equal((await client.upcomingRound(8))?.number, 701);
    const opened = new Promise<RoundOpened>((resolve) => sandbox.onRoundOpen(resolve));
    sandbox.openRoundAt(Date.now() + 200);
    assert.equal((await opened).number, 701);
    assert.equal(sandbox.round().state, 'open');
  });

  test('setRound to a new open round is a round-open event too; closing is not', async () => {
    const { sandbox } = await sandboxAt();
    const events: number[] = [];
    const stop = sandbox.onRoundOpen((round) => events.push(round.number));
    sandbox.setRound('closed');
    sandbox.setRound('open', 1241);
    sandbox.setRound('open', 1241);
    stop();
    sandbox.setRound('open', 1242);
    assert.deepEqual(events, [1241]);
  });
});
