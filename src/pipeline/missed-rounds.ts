/**
 * Missed and late rounds, from Numerai's own records: the tournament's recent rounds and each model's submissions.
 * A round a model was expected to answer is "missed" when its on-time deadline (closeStakingTime) passed with no
 * submission of the model for it, and "late" when the only submissions came after that deadline. No local state
 * decides this, so a run started by anything (or a rerun) tells the same story.
 */
import type { Round, SubmissionRecord } from './ports.js';

/**
 * Which rounds a model is expected to answer. `weekend`: rounds opening on a Saturday (UTC), what the weekly
 * workflow submits to. `all`: every round Numerai opens (Tuesday to Saturday today; decided by the list of rounds,
 * not by the weekday, so a change of Numerai's calendar needs no change here), what the daily workflow submits to.
 */
export type ExpectRounds = 'weekend' | 'all';
export const EXPECT_ROUNDS: readonly ExpectRounds[] = ['weekend', 'all'];
export const DEFAULT_EXPECT_ROUNDS: ExpectRounds = 'weekend';
/** How many of the most recent expected rounds are looked at. */
export const DEFAULT_LOOKBACK_ROUNDS = 10;

export type RoundOutcome = 'on-time' | 'late' | 'missed';

export interface ModelPunctuality {
  /** The expected rounds looked at, oldest first, each with what the model did (rounds before its first submission left out). */
  rounds: { number: number; outcome: RoundOutcome }[];
  missed: number[];
  late: number[];
}

/** Whether a round is one the model is expected to answer. */
export function isExpected(round: Pick<Round, 'openTime'>, expect: ExpectRounds): boolean {
  return expect === 'all' || round.openTime.getUTCDay() === 6;
}

/**
 * The last `lookback` expected rounds whose on-time deadline has passed by `now`, newest last. A round without a
 * closeStakingTime is left out: without a deadline nothing can be called late.
 */
export function closedExpectedRounds(rounds: readonly Round[], options: { expect: ExpectRounds; lookback: number; now: Date }): Round[] {
  const byNumber = new Map<number, Round>();
  for (const round of rounds) byNumber.set(round.number, round);
  return [...byNumber.values()]
    .filter((r) => r.closeStakingTime !== null && r.closeStakingTime.getTime() <= options.now.getTime() && isExpected(r, options.expect))
    .sort((a, b) => a.number - b.number)
    .slice(-Math.max(0, options.lookback));
}

/**
 * What one model did in each of the expected, closed rounds. Rounds before the model's first submission (in any
 * round of the tournament) never count: a new model has not missed the rounds before it existed.
 */
export function modelPunctuality(expected: readonly Round[], submissions: readonly SubmissionRecord[], tournament: number): ModelPunctuality {
  const own = submissions.filter((s) => s.tournament === tournament);
  const first = Math.min(...own.map((s) => s.round));
  const result: ModelPunctuality = { rounds: [], missed: [], late: [] };
  for (const round of expected) {
    if (!(round.number >= first)) continue;
    const answers = own.filter((s) => s.round === round.number);
    const outcome: RoundOutcome = answerOutcome(answers, round.closeStakingTime!.getTime()) ?? 'missed';
    result.rounds.push({ number: round.number, outcome });
    if (outcome === 'missed') result.missed.push(round.number);
    if (outcome === 'late') result.late.push(round.number);
  }
  return result;
}

/**
 * What a model's submissions for one round say against its on-time deadline: on time when one came by it, late when
 * all came after it, undefined when there are none. A submission without a time counts as on time: Numerai recorded
 * it for the round, and only a time can make it late.
 */
export function answerOutcome(answers: readonly SubmissionRecord[], deadlineMs: number): 'on-time' | 'late' | undefined {
  if (answers.length === 0) return undefined;
  return answers.some((s) => s.insertedAt === null || s.insertedAt.getTime() <= deadlineMs) ? 'on-time' : 'late';
}

/** How many recent rounds to ask for so that `lookback` expected ones are among them (5 rounds a week). */
export function roundsToFetch(expect: ExpectRounds, lookback: number): number {
  return (expect === 'weekend' ? 5 * lookback : lookback) + 5;
}
