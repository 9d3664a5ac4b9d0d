import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Round } from '../../src/pipeline/ports.js';
import { awaitOpenRound, POLL_MIN_MS, POLL_SPREAD_MS } from '../../src/pipeline/round-wait.js';
import { FakeClock, FakeNumeraiError, RecordingReporter } from '../pipeline/fakes.js';

const START = new Date('2026-12-01T11:40:00Z');

/** A tournament whose round `number` opens at `opensAt`; `listsUpcoming` says whether the API lists it beforehand. */
function world(opensAt: Date | null, options: { listsUpcoming?: boolean; failures?: Error[] } = {}) {
  const clock = new FakeClock(new Date(START));
  const reporter = new RecordingReporter();
  const round = (): Round | null =>
    opensAt && clock.now() >= opensAt ? { number: 1235, openTime: opensAt, closeStakingTime: new Date(opensAt.getTime() + 3_600_000), closeTime: null } : null;
  let looks = 0;
  const numerai = {
    currentRound: async () => {
      looks++;
      const failure = options.failures?.shift();
      if (failure) throw failure;
      return round();
    },
    ...(options.listsUpcoming
      ? { upcomingRound: async () => (opensAt && clock.now() < opensAt ? { number: 1235, openTime: opensAt, closeStakingTime: null, closeTime: null } : null) }
      : {}),
  };
  return { clock, reporter, numerai, looks: () => looks };
}

describe('awaitOpenRound', () => {
  test('without a wait: one look, nothing slept', async () => {
    const w = world(new Date('2026-12-01T12:00:00Z'));
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 0 });
    assert.equal(outcome.round, null);
    assert.equal(w.looks(), 1);
    assert.deepEqual(w.clock.sleeps, []);
  });

  test('polls every 1–2 minutes with jitter until the round opens, then a notice', async () => {
    const opens = new Date('2026-12-01T12:03:00Z');
    const w = world(opens);
    let r = 0;
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 45 * 60_000, random: () => [0, 0.5, 0.99][r++ % 3] });
    assert.equal(outcome.round?.number, 1235);
    assert.ok(w.clock.now() >= opens);
    for (const ms of w.clock.sleeps) assert.ok(ms >= POLL_MIN_MS && ms < POLL_MIN_MS + POLL_SPREAD_MS, `slept ${ms}`);
    assert.deepEqual(w.clock.sleeps.slice(0, 2), [60_000, 90_000]);
    assert.ok(w.reporter.at('info').some((line) => /^Waiting for the round: none open after .*, .* left; next look in/.test(line)));
    assert.match(w.reporter.at('notice').at(-1)!, /^Round 1235 opened at 2026-12-01T12:03:00.000Z; found after waiting \d+ min/);
    assert.equal(outcome.waitedMs, w.clock.now().getTime() - START.getTime());
  });

  test('sleeps until just before a listed upcoming round, saying when it is due', async () => {
    const opens = new Date('2026-12-01T12:00:00Z');
    const w = world(opens, { listsUpcoming: true });
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 45 * 60_000, random: () => 0 });
    assert.equal(outcome.round?.number, 1235);
    assert.equal(w.clock.sleeps[0], 20 * 60_000 - 10_000, 'one sleep to 10 s before the due time');
    assert.ok(w.clock.sleeps.length <= 3, `few looks: ${w.clock.sleeps}`);
    assert.ok(w.reporter.at('info').includes('Round 1235 is due at 2026-12-01T12:00:00.000Z (in 20 min): sleeping until just before it.'));
  });

  test('time up: no round, success path (null), the wait never overshoots', async () => {
    const w = world(null);
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 5 * 60_000, random: () => 0.7 });
    assert.equal(outcome.round, null);
    assert.equal(w.clock.now().getTime() - START.getTime(), 5 * 60_000);
  });

  test('a round due after the wait ends is not waited for', async () => {
    const w = world(new Date('2026-12-01T13:00:00Z'), { listsUpcoming: true });
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 30 * 60_000 });
    assert.equal(outcome.round, null);
    assert.equal(outcome.upcoming?.number, 1235);
    assert.deepEqual(w.clock.sleeps, []);
    assert.match(w.reporter.at('notice')[0], /Round 1235 is due at 2026-12-01T13:00:00.000Z, after this run's wait ends \(2026-12-01T12:10:00.000Z\): not waiting for it\./);
  });

  test('a rate limit during the wait honours Retry-After and goes on; a non-transient error stops it', async () => {
    const limited = Object.assign(new FakeNumeraiError('rate-limit', 'rounds', 'HTTP 429'), { retryAfterMs: 200_000 });
    const w = world(new Date('2026-12-01T11:45:00Z'), { failures: [undefined as unknown as Error, limited] });
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 45 * 60_000, random: () => 0 });
    assert.equal(outcome.round?.number, 1235);
    assert.ok(w.clock.sleeps.includes(200_000));
    assert.match(w.reporter.at('warning')[0], /Looking for the round failed \(HTTP 429\); still waiting\./);

    const auth = new FakeNumeraiError('auth', 'rounds', 'Your session is invalid or has expired.');
    const w2 = world(null, { failures: [undefined as unknown as Error, auth] });
    await assert.rejects(awaitOpenRound(w2, { tournament: 8, waitMs: 45 * 60_000 }), /session is invalid/);
  });
});

/** Yesterday's round 1234 is past its on-time deadline but open for late submissions; round 1235 opens at `opensAt`. */
function lateWorld(opensAt: Date | null, options: { listsUpcoming?: boolean } = {}) {
  const clock = new FakeClock(new Date('2026-12-01T11:55:00Z'));
  const reporter = new RecordingReporter();
  const late: Round = {
    number: 1234,
    openTime: new Date('2026-11-30T13:00:00Z'),
    closeStakingTime: new Date('2026-11-30T14:00:00Z'),
    closeTime: new Date('2026-12-01T13:30:00Z'),
  };
  const numerai = {
    currentRound: async (): Promise<Round | null> =>
      opensAt && clock.now() >= opensAt
        ? { number: 1235, openTime: opensAt, closeStakingTime: new Date(opensAt.getTime() + 3_600_000), closeTime: null }
        : clock.now() < late.closeTime! ? late : null,
    ...(options.listsUpcoming
      ? { upcomingRound: async () => (opensAt && clock.now() < opensAt ? { number: 1235, openTime: opensAt, closeStakingTime: null, closeTime: null } : null) }
      : {}),
  };
  return { clock, reporter, numerai };
}

describe('awaitOpenRound with a round past its on-time deadline', () => {
  test('waits for the next round, sleeping until the listed one is due, and returns it', async () => {
    const w = lateWorld(new Date('2026-12-01T12:00:00Z'), { listsUpcoming: true });
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 45 * 60_000, random: () => 0 });
    assert.equal(outcome.round?.number, 1235);
    assert.equal(w.clock.sleeps[0], 5 * 60_000 - 10_000);
    assert.ok(w.reporter.at('info').includes('Round 1234 is past its on-time deadline (2026-11-30T14:00:00.000Z); waiting up to 45 min for the next round (wait-for-round).'));
    assert.match(w.reporter.at('notice').at(-1)!, /^Round 1235 opened at 2026-12-01T12:00:00.000Z/);
  });

  test('polls when no upcoming round is listed, and goes on with the late round when none opens', async () => {
    const w = lateWorld(null);
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 10 * 60_000, random: () => 0.5 });
    assert.equal(outcome.round?.number, 1234);
    assert.equal(w.clock.now().getTime() - new Date('2026-12-01T11:55:00Z').getTime(), 10 * 60_000);
    assert.ok(w.clock.sleeps.length >= 2);
    assert.equal(w.reporter.at('notice').at(-1), 'No new round opened within 10 min: going on with late round 1234.');
  });

  test('a next round due after the wait: no wait, the late round at once', async () => {
    const w = lateWorld(new Date('2026-12-01T13:00:00Z'), { listsUpcoming: true });
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 45 * 60_000 });
    assert.equal(outcome.round?.number, 1234);
    assert.deepEqual(w.clock.sleeps, []);
    assert.match(w.reporter.at('notice')[0], /not waiting for it; going on with late round 1234\.$/);
  });

  test('without a wait: the late round at the first look, nothing slept', async () => {
    const w = lateWorld(new Date('2026-12-01T12:00:00Z'), { listsUpcoming: true });
    const outcome = await awaitOpenRound(w, { tournament: 8, waitMs: 0 });
    assert.equal(outcome.round?.number, 1234);
    assert.deepEqual(w.clock.sleeps, []);
    assert.deepEqual(w.reporter.at('info'), []);
  });
});
