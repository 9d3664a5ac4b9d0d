/**
 * The history of earlier rounds: on which days they opened, how long they stayed open for on-time submissions, and
 * what each model submitted to them (on time, late or nothing). Tests and `npm run sandbox -- --history` set it with
 * one pattern per model, oldest round first, ending with the round before the current one:
 *
 *   o  an on-time submission (40 minutes after the round opened)
 *   l  a late one only (3 hours after closeStakingTime: Numerai accepted it, unstaked)
 *   -  no submission (a missed round)
 *
 * e.g. `{ model_a: 'ooo-l' }`: rounds current−5 … current−3 on time, current−2 missed, current−1 late. Rounds older
 * than the pattern have no submissions of that model, so the first `o` or `l` is where its history starts.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type HistoryMark = 'o' | 'l' | '-';

/** Per model name, a pattern of `o`, `l` and `-` (see above). */
export type SandboxHistory = Record<string, string>;

/** The pattern each non-managed model gets by default: on time in the two rounds before the current one. */
export const DEFAULT_HISTORY_PATTERN = 'oo';

/** When, within a round, the seeded submissions arrive. */
export const ON_TIME_AFTER_OPEN_MS = 40 * 60_000;
export const LATE_AFTER_DEADLINE_MS = 3 * HOUR;

/** The marks of a pattern, checked; the error names the model and what would be valid. */
export function parsePattern(model: string, pattern: string): HistoryMark[] {
  const marks = [...pattern.trim()];
  const bad = marks.findIndex((m) => m !== 'o' && m !== 'l' && m !== '-');
  if (bad >= 0) {
    throw new Error(
      `sandbox: history of ${model}: "${pattern}" has "${marks[bad]}" at position ${bad + 1}. Valid: o (on time), l (late), - (missed), oldest round first, e.g. "oo-lo"`,
    );
  }
  return marks as HistoryMark[];
}

/**
 * `model_a=oo-l,model_b=o-o` (the `--history` flag and the `history` command) → `{ model_a: 'oo-l', model_b: 'o-o' }`.
 */
export function parseHistoryFlag(text: string): SandboxHistory {
  const history: SandboxHistory = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`sandbox: history "${item}" is not model=pattern. Valid: model_a=oo-l,model_b=o-o`);
    const model = item.slice(0, eq).trim();
    history[model] = parsePattern(model, item.slice(eq + 1)).join('');
  }
  return history;
}

/**
 * The openTime of the round day before `openTime`: rounds open Tuesday to Saturday, none on Sunday or Monday (UTC).
 */
export function previousRoundDay(openTime: number): number {
  let t = openTime - DAY;
  while (new Date(t).getUTCDay() === 0 || new Date(t).getUTCDay() === 1) t -= DAY;
  return t;
}

/**
 * The on-time deadline of an earlier round as Numerai's schedule has it: one hour for a weekday round, and for the
 * Saturday round until Sunday 14:00 (26 hours after a 12:00 opening).
 */
export function closeStakingAfter(openTime: number): number {
  return new Date(openTime).getUTCDay() === 6 ? openTime + 26 * HOUR : openTime + HOUR;
}

/** One seeded submission: round number and when it arrived. */
export interface SeededSubmission {
  round: number;
  insertedAt: number;
  late: boolean;
}

/**
 * The submissions of one pattern whose last mark is round `lastRound`, given each round's open and on-time deadline.
 * Rounds the clock does not know (below 1) are left out.
 */
export function seededSubmissions(
  marks: readonly HistoryMark[],
  lastRound: number,
  times: (round: number) => { openTime: number; closeStakingTime: number } | null,
): SeededSubmission[] {
  const out: SeededSubmission[] = [];
  marks.forEach((mark, i) => {
    const round = lastRound - (marks.length - 1 - i);
    const t = times(round);
    if (!t || mark === '-') return;
    if (mark === 'o') out.push({ round, insertedAt: t.openTime + ON_TIME_AFTER_OPEN_MS, late: false });
    else out.push({ round, insertedAt: t.closeStakingTime + LATE_AFTER_DEADLINE_MS, late: true });
  });
  return out;
}
