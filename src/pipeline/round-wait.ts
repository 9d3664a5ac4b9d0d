/**
 * Finding the round to submit to, waiting for it when the run started before it opened. GitHub starts scheduled runs
 * minutes to hours late and sometimes early relative to a round that itself opens late, so an early run waits
 * (`wait-for-round`) instead of ending with "no round open". Where the API lists the upcoming round with its openTime
 * the wait sleeps until just before it; otherwise it polls every 1–2 minutes (with jitter, so the runs of many
 * participants do not poll in step). All waiting goes through the Clock port: tests and the simulator never sleep.
 */
import { formatDuration } from './duration.js';
import { numeraiErrorKind } from './errors.js';
import type { Clock, NumeraiPort, Reporter, Round } from './ports.js';

export interface RoundWaitOptions {
  tournament: number;
  /** How long to wait for a round to open; 0 asks once. */
  waitMs: number;
  /** A number in [0, 1) for the jitter of the polling interval (default Math.random). */
  random?: () => number;
}

export interface RoundWaitPorts {
  numerai: Pick<NumeraiPort, 'currentRound' | 'upcomingRound'>;
  clock: Clock;
  reporter: Reporter;
}

export interface RoundWaitOutcome {
  /** The open round, or null when none opened within the wait. */
  round: Round | null;
  /** How long this run waited for it, milliseconds (0 when it was open at the first look). */
  waitedMs: number;
  /** The round the API listed as upcoming, when the wait ended without an open round and the API named one. */
  upcoming?: Round;
}

/** Polling interval while no round time is known: 60–120 s. */
export const POLL_MIN_MS = 60_000;
export const POLL_SPREAD_MS = 60_000;
/** Around a round's due time rounds often open a little late: poll every 15–30 s for the first minutes. */
export const NEAR_DUE_POLL_MIN_MS = 15_000;
export const NEAR_DUE_POLL_SPREAD_MS = 15_000;
export const NEAR_DUE_WINDOW_MS = 5 * 60_000;
/** Wake this long before the upcoming round's openTime, then look this long after it. */
export const WAKE_BEFORE_DUE_MS = 10_000;
export const DUE_MARGIN_MS = 2_000;

/**
 * The open round, waiting up to `waitMs` for one to open. A round that is open but past closeStakingTime (yesterday's
 * weekday round, still taking late submissions when a run starts before today's opens) is returned at once without a
 * wait; with a wait, the run waits for the next round instead, and falls back to the late round (the plan warns that
 * uploads are late) when none opens in time. Errors of the first look are thrown, as a run
 * without waiting would; during the wait a transient failure (5xx, a rate limit outliving the client's retries) is
 * logged and the wait goes on, honouring the server's Retry-After.
 */
export async function awaitOpenRound(ports: RoundWaitPorts, options: RoundWaitOptions): Promise<RoundWaitOutcome> {
  const { numerai, clock, reporter } = ports;
  const random = options.random ?? Math.random;
  const started = clock.now().getTime();
  const deadline = started + options.waitMs;
  const elapsed = () => clock.now().getTime() - started;

  let round = await numerai.currentRound(options.tournament);
  if (options.waitMs <= 0) return { round, waitedMs: 0 };
  // A round past its on-time deadline is a fallback, not the goal: wait for the next one and keep this one for the end.
  const late = round && isPastOnTime(round, clock.now()) ? round : null;
  if (round && !late) return { round, waitedMs: 0 };
  const fallback = (): Round | null => late && round?.number === late.number ? round : null;

  let upcoming = await upcomingRound(numerai, options.tournament, reporter);
  const announced = new Set<number>();
  reporter.log(
    'info',
    late
      ? `Round ${late.number} is past its on-time deadline (${late.closeStakingTime!.toISOString()}); waiting up to ${formatDuration(options.waitMs)} for the next round (wait-for-round).`
      : `No round is open yet: waiting up to ${formatDuration(options.waitMs)} for one to open (wait-for-round).`,
  );
  for (;;) {
    const now = clock.now().getTime();
    if (upcoming && upcoming.openTime.getTime() > deadline && !announced.has(upcoming.number)) {
      reporter.log(
        'notice',
        `Round ${upcoming.number} is due at ${upcoming.openTime.toISOString()}, after this run's wait ends ` +
          `(${new Date(deadline).toISOString()}): not waiting for it${late ? `; going on with late round ${late.number}` : ''}.`,
      );
      return { round: fallback(), waitedMs: elapsed(), upcoming };
    }
    if (now >= deadline) {
      if (late) reporter.log('notice', `No new round opened within ${formatDuration(options.waitMs)}: going on with late round ${late.number}${fallback() ? '' : ' (it has closed since)'}.`);
      return { round: fallback(), waitedMs: elapsed(), ...(upcoming ? { upcoming } : {}) };
    }

    let sleepMs: number;
    const due = upcoming?.openTime.getTime();
    if (due !== undefined && due - WAKE_BEFORE_DUE_MS > now) {
      if (!announced.has(upcoming!.number)) {
        announced.add(upcoming!.number);
        reporter.log('info', `Round ${upcoming!.number} is due at ${upcoming!.openTime.toISOString()} (in ${formatDuration(due - now)}): sleeping until just before it.`);
      }
      sleepMs = due - WAKE_BEFORE_DUE_MS - now;
    } else if (due !== undefined && now < due + DUE_MARGIN_MS) {
      // Just before the due time: look right after it.
      sleepMs = due + DUE_MARGIN_MS - now;
    } else {
      const nearDue = due !== undefined && now < due + NEAR_DUE_WINDOW_MS;
      sleepMs = nearDue ? NEAR_DUE_POLL_MIN_MS + random() * NEAR_DUE_POLL_SPREAD_MS : POLL_MIN_MS + random() * POLL_SPREAD_MS;
      reporter.log('info', `Waiting for the round: none open after ${formatDuration(elapsed())}, ${formatDuration(deadline - now)} left; next look in ${formatDuration(sleepMs)}.`);
    }
    await clock.sleep(Math.max(0, Math.min(sleepMs, deadline - now)));

    try {
      round = await numerai.currentRound(options.tournament);
    } catch (error) {
      const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
      if (!isTransient(error)) throw error;
      reporter.log('warning', `Looking for the round failed (${(error as Error).message}); still waiting.`);
      if (typeof retryAfterMs === 'number' && retryAfterMs > 0) await clock.sleep(Math.min(retryAfterMs, Math.max(0, deadline - clock.now().getTime())));
      continue;
    }
    if (round && round.number !== late?.number) {
      reporter.log('notice', `Round ${round.number} opened at ${round.openTime.toISOString()}; found after waiting ${formatDuration(elapsed())}.`);
      return { round, waitedMs: elapsed() };
    }
    if (due === undefined || clock.now().getTime() >= due) upcoming = (await upcomingRound(numerai, options.tournament, reporter)) ?? upcoming;
  }
}

/** Whether the round's on-time deadline (closeStakingTime) has passed. */
function isPastOnTime(round: Round, now: Date): boolean {
  return round.closeStakingTime !== null && now.getTime() > round.closeStakingTime.getTime();
}

/** The upcoming round with a future openTime, or null; a failure here only means polling without a due time. */
async function upcomingRound(numerai: RoundWaitPorts['numerai'], tournament: number, reporter: Reporter): Promise<Round | null> {
  if (!numerai.upcomingRound) return null;
  try {
    return await numerai.upcomingRound(tournament);
  } catch (error) {
    reporter.log('debug', `Could not list the upcoming round (${(error as Error).message}); polling instead.`);
    return null;
  }
}

const TRANSIENT = new Set(['rate-limit', 'server', 'network', 'timeout', 'protocol']);

function isTransient(error: unknown): boolean {
  const kind = numeraiErrorKind(error);
  return kind !== undefined && TRANSIENT.has(kind);
}
