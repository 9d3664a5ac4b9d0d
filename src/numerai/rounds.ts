/** The current round of a tournament (numerapi `check_round_open`, plus closeTime). */

import type { Round } from '../pipeline/ports.js';
import { NumeraiError } from './errors.js';
import type { GraphqlTransport } from './transport.js';

/** Number zero is the API's alias for the current round. Public: no Authorization header. */
export const CURRENT_ROUND_QUERY = `query($tournament: Int!) {
  rounds(tournament: $tournament
         number: 0) {
    number
    openTime
    closeStakingTime
    closeTime
  }
}`;

interface RoundFields {
  number: number;
  openTime: string | null;
  closeStakingTime: string | null;
  closeTime: string | null;
}

/**
 * The open round, or null when none is open. Between rounds the API answers either `[null]` or the error
 * "Current round not open for submissions"; both mean "nothing to do", not a failure.
 *
 * Example: `await currentRound(transport, 8)` → `{ number: 1234, openTime: 2026-11-28T12:00:00.000Z, ... }`
 */
export async function currentRound(transport: GraphqlTransport, tournament: number): Promise<Round | null> {
  let data: { rounds: (RoundFields | null)[] | null };
  try {
    data = await transport.query(CURRENT_ROUND_QUERY, { tournament }, { operation: 'rounds', auth: false });
  } catch (error) {
    if (error instanceof NumeraiError && error.kind === 'not-open') return null;
    throw error;
  }
  const round = data.rounds?.[0] ?? null;
  if (round === null) return null;
  if (!Number.isInteger(round.number)) throw roundsShapeError(`round number ${JSON.stringify(round.number)} is not an integer`);
  const openTime = parseTime(round.openTime, 'openTime', round.number);
  if (openTime === null) throw roundsShapeError(`round ${round.number} has no openTime`);
  return {
    number: round.number,
    openTime,
    closeStakingTime: parseTime(round.closeStakingTime, 'closeStakingTime', round.number),
    closeTime: parseTime(round.closeTime, 'closeTime', round.number),
  };
}

/**
 * The rounds list (numerapi ≥ 2.23 `list_rounds`): optional filters by `status` (UPCOMING, OPEN, RESOLVING, RESOLVED)
 * and `limit`. Public.
 */
export const LIST_ROUNDS_QUERY = `query($tournament: Int
      $status: RoundStatus
      $limit: Int) {
  rounds(tournament: $tournament
         status: $status
         limit: $limit) {
    number
    openTime
    closeStakingTime
    closeTime
  }
}`;

export type RoundStatus = 'UPCOMING' | 'OPEN' | 'RESOLVING' | 'RESOLVED';

/**
 * Rounds of a tournament, newest first, optionally of one status and at most `limit` (the order is not left to the
 * server). A round without an openTime is left out: nothing about its timing can be said.
 *
 * Example: `await listRounds(transport, 8, { limit: 15 })` → `[{ number: 1234, ... }, { number: 1233, ... }, ...]`
 */
export async function listRounds(transport: GraphqlTransport, tournament: number, filters: { status?: RoundStatus; limit?: number } = {}): Promise<Round[]> {
  const data = await transport.query<{ rounds: (RoundFields | null)[] | null }>(
    LIST_ROUNDS_QUERY,
    { tournament, status: filters.status ?? null, limit: filters.limit ?? null },
    { operation: 'rounds', auth: false },
  );
  if (!Array.isArray(data.rounds)) throw roundsShapeError('the rounds list is missing');
  const rounds: Round[] = [];
  for (const round of data.rounds) {
    if (round === null || !Number.isInteger(round.number)) continue;
    const openTime = parseTime(round.openTime, 'openTime', round.number);
    if (openTime === null) continue;
    rounds.push({
      number: round.number,
      openTime,
      closeStakingTime: parseTime(round.closeStakingTime, 'closeStakingTime', round.number),
      closeTime: parseTime(round.closeTime, 'closeTime', round.number),
    });
  }
  return rounds.sort((a, b) => b.number - a.number);
}

/** The next round that has not opened yet (status UPCOMING with a future openTime), or null when the API lists none. */
export async function upcomingRound(transport: GraphqlTransport, tournament: number, now: Date = new Date()): Promise<Round | null> {
  const upcoming = await listRounds(transport, tournament, { status: 'UPCOMING' });
  const future = upcoming.filter((r) => r.openTime.getTime() > now.getTime()).sort((a, b) => a.openTime.getTime() - b.openTime.getTime());
  return future[0] ?? null;
}

/** ISO-8601 UTC timestamps, with or without fractional seconds (the API has sent both). */
function parseTime(value: string | null | undefined, field: string, round: number): Date | null {
  if (value === null || value === undefined) return null;
  const date = new Date(value);
  if (typeof value !== 'string' || Number.isNaN(date.getTime())) {
    throw roundsShapeError(`round ${round} has ${field} ${JSON.stringify(value)}, which is not an ISO-8601 timestamp`);
  }
  return date;
}

/** An answer of the "rounds" query that does not have the shape the client reads (also for round-score-configs.ts). */
export function roundsShapeError(detail: string): NumeraiError {
  return new NumeraiError(`Numerai API call "rounds" answered unexpectedly: ${detail}.`, { kind: 'protocol', operation: 'rounds' });
}
