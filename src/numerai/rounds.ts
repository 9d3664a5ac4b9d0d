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
  if (!Number.isInteger(round.number)) throw shapeError(`round number ${JSON.stringify(round.number)} is not an integer`);
  const openTime = parseTime(round.openTime, 'openTime', round.number);
  if (openTime === null) throw shapeError(`round ${round.number} has no openTime`);
  return {
    number: round.number,
    openTime,
    closeStakingTime: parseTime(round.closeStakingTime, 'closeStakingTime', round.number),
    closeTime: parseTime(round.closeTime, 'closeTime', round.number),
  };
}

/** ISO-8601 UTC timestamps, with or without fractional seconds (the API has sent both). */
function parseTime(value: string | null | undefined, field: string, round: number): Date | null {
  if (value === null || value === undefined) return null;
  const date = new Date(value);
  if (typeof value !== 'string' || Number.isNaN(date.getTime())) {
    throw shapeError(`round ${round} has ${field} ${JSON.stringify(value)}, which is not an ISO-8601 timestamp`);
  }
  return date;
}

function shapeError(detail: string): NumeraiError {
  return new NumeraiError(`Numerai API call "rounds" answered unexpectedly: ${detail}.`, { kind: 'protocol', operation: 'rounds' });
}
