import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/pipeline/duration.js';
import { closedExpectedRounds, isExpected, modelPunctuality, roundsToFetch } from '../../src/pipeline/missed-rounds.js';
import type { Round, SubmissionRecord } from '../../src/pipeline/ports.js';
import { describeTriggerTiming, startedLate, triggerReport } from '../../src/pipeline/trigger-timing.js';
import { closeStakingAfter, parseHistoryFlag, parsePattern, previousRoundDay, seededSubmissions } from '../../src/sandbox/rounds/history.js';

const HOUR = 3_600_000;

describe('parseDuration and formatDuration', () => {
  test('reads 45m, 90s, 1h30m and 0', () => {
    assert.equal(parseDuration('45m', 'x'), 45 * 60_000);
    assert.equal(parseDuration('90s', 'x'), 90_000);
    assert.equal(parseDuration('1h30m', 'x'), 90 * 60_000);
    assert.equal(parseDuration(' 2M ', 'x'), 120_000);
    assert.equal(parseDuration('0', 'x'), 0);
    assert.equal(parseDuration('', 'x'), 0);
  });
  test('refuses a number without unit, a word and more than 6 h, naming where', () => {
    assert.throws(() => parseDuration('45', 'input "wait-for-round"'), /input "wait-for-round": "45" is not a duration \(a number needs a unit: 45m or 45s\)\. Valid: a duration such as 45m/);
    assert.throws(() => parseDuration('soon', '--wait-for-round'), /--wait-for-round: "soon" is not a duration\. Valid/);
    assert.throws(() => parseDuration('7h', '--wait-for-round'), /longer than 6h/);
  });
  test('prints hours and minutes the way the summary says them', () => {
    assert.equal(formatDuration(2 * HOUR + 41 * 60_000 + 30_000), '2 h 41 min');
    assert.equal(formatDuration(19 * 60_000), '19 min');
    assert.equal(formatDuration(45_000), '45 s');
    assert.equal(formatDuration(-3 * HOUR), '3 h');
    assert.equal(formatDuration(50 * HOUR), '2 d 2 h');
  });
});

/** Rounds Tue–Sat of the weeks before 2026-12-01 (a Tuesday), weekday windows 1 h, Saturday 26 h. */
function calendar(count: number, lastOpen = Date.parse('2026-11-28T12:00:00Z'), firstNumber = 1000): Round[] {
  const opens = [lastOpen];
  while (opens.length < count) opens.unshift(previousRoundDay(opens[0]));
  return opens.map((open, i) => ({ number: firstNumber + i, openTime: new Date(open), closeStakingTime: new Date(closeStakingAfter(open)), closeTime: new Date(closeStakingAfter(open) + 24 * HOUR) }));
}

describe('missed and late rounds', () => {
  const rounds = calendar(15); // 3 weeks: Tue..Sat ×3, the last a Saturday
  const byNumber = (n: number) => rounds.find((r) => r.number === n)!;
  const onTime = (n: number): SubmissionRecord => ({ round: n, tournament: 8, insertedAt: new Date(byNumber(n).openTime.getTime() + 600_000) });
  const late = (n: number): SubmissionRecord => ({ round: n, tournament: 8, insertedAt: new Date(byNumber(n).closeStakingTime!.getTime() + 600_000) });
  const now = new Date('2026-12-01T10:00:00Z');

  test('weekend expects Saturday rounds only, all expects Tuesday to Saturday', () => {
    assert.deepEqual(rounds.filter((r) => isExpected(r, 'weekend')).map((r) => r.openTime.getUTCDay()), [6, 6, 6]);
    assert.equal(rounds.filter((r) => isExpected(r, 'all')).length, 15);
    assert.ok(isExpected({ openTime: new Date('2026-11-30T12:00:00Z') }, 'all'), 'all: every round listed, whatever its day');
    assert.ok(!isExpected({ openTime: new Date('2026-11-30T12:00:00Z') }, 'weekend'));
  });

  test('the last N closed expected rounds, oldest first; an open round does not count yet', () => {
    const saturdayOpen = new Date('2026-11-28T20:00:00Z');
    const closed = closedExpectedRounds(rounds, { expect: 'all', lookback: 4, now: saturdayOpen });
    assert.deepEqual(closed.map((r) => r.number), [1010, 1011, 1012, 1013]);
    assert.deepEqual(closedExpectedRounds(rounds, { expect: 'weekend', lookback: 10, now }).map((r) => r.number), [1004, 1009, 1014]);
  });

  test('missed, late and on time; rounds before the first submission never count; other tournaments ignored', () => {
    const expected = closedExpectedRounds(rounds, { expect: 'all', lookback: 10, now });
    const subs = [onTime(1007), late(1009), onTime(1010), onTime(1012), late(1012), late(1014), { round: 1005, tournament: 11, insertedAt: null }];
    const result = modelPunctuality(expected, subs, 8);
    assert.deepEqual(result.rounds.map((r) => r.number), [1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]);
    assert.deepEqual(result.missed, [1008, 1011, 1013]);
    assert.deepEqual(result.late, [1009, 1014]);
    assert.deepEqual(modelPunctuality(expected, [], 8), { rounds: [], missed: [], late: [] });
  });

  test('asks for enough rounds to find N expected ones', () => {
    assert.equal(roundsToFetch('weekend', 10), 55);
    assert.equal(roundsToFetch('all', 10), 15);
  });
});

describe('trigger timing', () => {
  const round: Round = { number: 1234, openTime: new Date('2026-12-01T12:00:00Z'), closeStakingTime: new Date('2026-12-01T15:00:00Z'), closeTime: null };
  test('after the open, before the deadline', () => {
    const t = triggerReport('schedule', new Date('2026-12-01T14:41:10Z'), round);
    assert.equal(t.secondsAfterOpen, 2 * 3600 + 41 * 60 + 10);
    assert.equal(describeTriggerTiming(t), 'started 2 h 41 min after round 1234 opened, 18 min before the on-time deadline (event: schedule)');
    assert.equal(startedLate(t), false);
  });
  test('before the open (a wait), after the deadline (late), no round', () => {
    assert.equal(describeTriggerTiming(triggerReport(null, new Date('2026-12-01T11:48:00Z'), round)), 'started 12 min before round 1234 opened, 3 h 12 min before the on-time deadline');
    const late = triggerReport('workflow_dispatch', new Date('2026-12-01T18:00:00Z'), round);
    assert.match(describeTriggerTiming(late)!, /3 h after the on-time deadline \(event: workflow_dispatch\)$/);
    assert.equal(startedLate(late), true);
    assert.equal(describeTriggerTiming(triggerReport('schedule', new Date(), null)), null);
  });
});

describe('sandbox round history', () => {
  test('patterns and the --history flag; bad marks are named', () => {
    assert.deepEqual(parsePattern('m', 'o-l'), ['o', '-', 'l']);
    assert.deepEqual(parseHistoryFlag('a=oo-l, b=o'), { a: 'oo-l', b: 'o' });
    assert.throws(() => parsePattern('model_a', 'ox'), /history of model_a: "ox" has "x" at position 2\. Valid: o \(on time\), l \(late\), - \(missed\)/);
    assert.throws(() => parseHistoryFlag('model_a'), /not model=pattern/);
  });
  test('round days skip Sunday and Monday; Saturday stays open until Sunday 14:00', () => {
    const tuesday = Date.parse('2026-12-01T12:00:00Z');
    assert.equal(new Date(previousRoundDay(tuesday)).toISOString(), '2026-11-28T12:00:00.000Z');
    assert.equal(new Date(closeStakingAfter(Date.parse('2026-11-28T12:00:00Z'))).toISOString(), '2026-11-29T14:00:00.000Z');
    assert.equal(closeStakingAfter(tuesday) - tuesday, HOUR);
  });
  test('seeded submissions: on time after the open, late after the deadline, none for a gap', () => {
    const times = (n: number) => (n < 1 ? null : { openTime: n * 10 * HOUR, closeStakingTime: n * 10 * HOUR + HOUR });
    const subs = seededSubmissions(['o', '-', 'l'], 5, times);
    assert.deepEqual(subs.map((s) => [s.round, s.late]), [[3, false], [5, true]]);
    assert.ok(subs[1].insertedAt > times(5)!.closeStakingTime);
    assert.equal(seededSubmissions(['o', 'o'], 1, times).length, 1, 'no round 0');
  });
});
