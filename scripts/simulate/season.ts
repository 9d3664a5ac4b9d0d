/**
 * A season of Numerai rounds replayed through one way of starting runs, under one set of GitHub scheduling
 * conditions. Each simulated run goes through the run's own decision code: `awaitOpenRound` (the wait for the round,
 * on a simulated clock, against a simulated API that knows the season's rounds) and `submissionsAreLate`; missed and
 * late rounds are counted by `closedExpectedRounds` and `modelPunctuality`, as every real run counts them.
 */
import { closedExpectedRounds, modelPunctuality, type ExpectRounds } from '../../src/pipeline/missed-rounds.js';
import { submissionsAreLate } from '../../src/pipeline/plan.js';
import type { Clock, Reporter, Round, SubmissionRecord } from '../../src/pipeline/ports.js';
import { awaitOpenRound } from '../../src/pipeline/round-wait.js';
import { closeStakingAfter } from '../../src/sandbox/rounds/history.js';
import { cronTimes, type ScheduledRun } from './workflow.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** GitHub's scheduler: how late a scheduled run starts, and how often one is dropped. */
export interface Conditions {
  name: string;
  dropRate: number;
  delayMs(random: () => number): number;
}

/** A lognormal delay with this median and spread, capped. */
function lognormal(medianMs: number, sigma: number, capMs: number): (random: () => number) => number {
  return (random) => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.min(capMs, medianMs * Math.exp(sigma * z));
  };
}

export const CONDITIONS: Conditions[] = [
  // Most runs a few minutes late, some dropped (GitHub: queued scheduled runs "may be dropped" under load).
  { name: 'typical', dropRate: 0.02, delayMs: lognormal(5 * MINUTE, 0.9, 2 * HOUR) },
  // Runs ~95 minutes late and dropped ones, as reported for busy hours (reference §1).
  { name: 'busy', dropRate: 0.1, delayMs: lognormal(30 * MINUTE, 1.0, 5 * HOUR) },
  // The measured throttled case: a 30-minute schedule ran with a median gap of 3.9 h and at most 6 h between runs,
  // i.e. about 7 of 8 runs dropped and the others up to hours late.
  { name: 'throttled', dropRate: 0.875, delayMs: (random) => random() * 5.5 * HOUR },
];

export interface Strategy {
  name: string;
  expect: ExpectRounds;
  /** Scheduled runs (cron and wait), if any. */
  schedule: ScheduledRun[];
  /** The round-open webhook, when used, with the share of rounds whose call never starts a run. */
  webhook?: { failureRate: number };
}

export interface SeasonOptions {
  weeks: number;
  /** The hour (UTC) rounds open at this season: 12 or 13. */
  openHour: number;
  random: () => number;
}

export interface SeasonResult {
  expected: number;
  missed: number;
  late: number;
  billedMinutes: number;
  weeks: number;
}

/** The rounds of a season: Tuesday to Saturday at the open hour, one in ten opening up to 30 minutes late (data not ready). */
export function seasonRounds(options: SeasonOptions, start: number): Round[] {
  const rounds: Round[] = [];
  for (let day = 0; day < options.weeks * 7; day++) {
    const date = start + day * DAY;
    const weekday = new Date(date).getUTCDay();
    if (weekday < 2 || weekday > 6) continue;
    const scheduled = date + options.openHour * HOUR;
    const open = options.random() < 0.1 ? scheduled + Math.round(options.random() * 30) * MINUTE : scheduled;
    // Weekday rounds take on-time submissions for an hour; the Saturday round until Sunday 14:00 UTC.
    const closeStaking = weekday === 6 ? date + DAY + 14 * HOUR : closeStakingAfter(open);
    rounds.push({ number: rounds.length + 1, openTime: new Date(open), closeStakingTime: new Date(closeStaking), closeTime: new Date(closeStaking + DAY) });
  }
  return rounds;
}

class SimClock implements Clock {
  constructor(public t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

const silent: Reporter = { log: () => undefined };

/** Billed minutes of a job: whole minutes, at least one. */
const billed = (ms: number) => Math.max(1, Math.ceil(ms / MINUTE));
/** A run's own work: checkout, setup, the round and plan (about 40 s); predicting and uploading about a minute more. */
const SETUP_MS = 40_000;
const SUBMIT_MS = 60_000;

export async function simulateSeason(strategy: Strategy, conditions: Conditions, options: SeasonOptions): Promise<SeasonResult> {
  // Start on a Monday 00:00 UTC, so every week is whole.
  const start = Date.UTC(2027, 0, 4);
  const end = start + options.weeks * 7 * DAY;
  const rounds = seasonRounds(options, start);
  const { random } = options;

  // When runs start: each cron firing (dropped or late), and each webhook call that works (seconds after the open).
  const starts: { at: number; waitMs: number }[] = [];
  for (const run of strategy.schedule) {
    for (const fired of cronTimes(run.cron, start, end)) {
      if (random() < conditions.dropRate) continue;
      starts.push({ at: fired + conditions.delayMs(random), waitMs: run.waitMs });
    }
  }
  if (strategy.webhook) {
    for (const round of rounds) if (random() >= strategy.webhook.failureRate) starts.push({ at: round.openTime.getTime() + 20_000 + random() * 40_000, waitMs: 0 });
  }
  starts.sort((a, b) => a.at - b.at);

  const submissions: SubmissionRecord[] = [];
  const submitted = new Set<number>();
  let billedMinutes = 0;
  let busyUntil = 0;
  for (const { at, waitMs } of starts) {
    // The workflow's concurrency group: a run that starts while another is going waits for it.
    const clock = new SimClock(Math.max(at, busyUntil) + SETUP_MS);
    const numerai = {
      currentRound: async () => rounds.findLast((r) => r.openTime.getTime() <= clock.t && clock.t < r.closeTime!.getTime()) ?? null,
      upcomingRound: async () => rounds.find((r) => r.openTime.getTime() > clock.t && r.openTime.getTime() - clock.t < DAY) ?? null,
    };
    const { round } = await awaitOpenRound({ numerai, clock, reporter: silent }, { tournament: 8, waitMs, random });
    if (round && !submitted.has(round.number)) {
      clock.t += SUBMIT_MS;
      submitted.add(round.number);
      submissions.push({ round: round.number, tournament: 8, insertedAt: submissionsAreLate(round, clock.now()) ? new Date(Math.max(clock.t, round.closeStakingTime!.getTime() + 1)) : clock.now() });
    }
    billedMinutes += billed(clock.t - Math.max(at, busyUntil));
    busyUntil = clock.t;
  }

  const expected = closedExpectedRounds(rounds, { expect: strategy.expect, lookback: rounds.length, now: new Date(end + 2 * DAY) });
  // Counted from the first round on, as a participant's record would be (not from its first submission).
  const outcome = modelPunctuality(expected, [{ round: 0, tournament: 8, insertedAt: new Date(start) }, ...submissions], 8);
  return { expected: expected.length, missed: outcome.missed.length, late: outcome.late.length, billedMinutes, weeks: options.weeks };
}
