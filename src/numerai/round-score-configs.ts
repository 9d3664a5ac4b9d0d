/**
 * The metrics each round pays on and their multipliers: `roundScoreConfigs` on the rounds (numerapi 2.24
 * `list_rounds`). Public: no Authorization header. Payout formulas change between rounds (Numerai's changed at round
 * 1343), so they are read per round, never assumed.
 */

import type { RoundScoreConfig, RoundScoring } from '../pipeline/ports.js';
import { roundsShapeError } from './rounds.js';
import { finiteOrNull } from './submission-scores.js';
import type { GraphqlTransport } from './transport.js';

const ROUND_FIELDS = `number
    resolveTime
    resolvedGeneral
    roundScoreConfigs {
      name
      version
      displayName
      isPayout
      totalScoreDays
      minMultiplier
      maxMultiplier
      defaultMultiplier
    }`;

/**
 * One document asking for several rounds at once: one aliased `rounds(tournament, number)` field per round
 * (`r0`, `r1`, …), so a run asks once whatever the number of rounds.
 */
export function roundScoringQuery(count: number): string {
  const declarations = ['$tournament: Int', ...Array.from({ length: count }, (_, i) => `$n${i}: Int`)].join('\n      ');
  const fields = Array.from({ length: count }, (_, i) => `  r${i}: rounds(tournament: $tournament number: $n${i}) {\n    ${ROUND_FIELDS}\n  }`).join('\n');
  return `query(${declarations}) {\n${fields}\n}`;
}

/** Rounds are asked for in documents of at most this many fields. */
const MAX_ROUNDS_PER_QUERY = 50;

/**
 * These rounds with their score configurations; a round the API does not know is left out.
 *
 * Example: `await roundScoring(transport, 8, [1342, 1343])` →
 * `[{ number: 1342, configs: [{ displayName: 'v2_corr20', isPayout: true, defaultMultiplier: 0.75, … }, …] }, { number: 1343, … }]`
 */
export async function roundScoring(transport: GraphqlTransport, tournament: number, rounds: readonly number[]): Promise<RoundScoring[]> {
  const numbers = [...new Set(rounds)].filter((n) => Number.isInteger(n) && n > 0);
  const out: RoundScoring[] = [];
  for (let start = 0; start < numbers.length; start += MAX_ROUNDS_PER_QUERY) {
    const chunk = numbers.slice(start, start + MAX_ROUNDS_PER_QUERY);
    const variables: Record<string, unknown> = { tournament };
    chunk.forEach((n, i) => (variables[`n${i}`] = n));
    const data = await transport.query<Record<string, unknown>>(roundScoringQuery(chunk.length), variables, { operation: 'rounds', auth: false });
    chunk.forEach((n, i) => {
      const list = data[`r${i}`];
      if (!Array.isArray(list)) throw roundsShapeError(`round ${n} was answered without a list`);
      const round = list.find((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && (r as { number?: unknown }).number === n);
      if (round) out.push(parseRound(n, round));
    });
  }
  return out.sort((a, b) => b.number - a.number);
}

function parseRound(number: number, raw: Record<string, unknown>): RoundScoring {
  const configs = raw.roundScoreConfigs;
  if (configs !== null && configs !== undefined && !Array.isArray(configs)) throw roundsShapeError(`round ${number} has roundScoreConfigs that are not a list`);
  return {
    number,
    resolveTime: typeof raw.resolveTime === 'string' ? raw.resolveTime : null,
    resolved: raw.resolvedGeneral === true,
    configs: (configs ?? []).flatMap((c) => {
      const config = parseConfig(c);
      return config ? [config] : [];
    }),
  };
}

function parseConfig(raw: unknown): RoundScoreConfig | null {
  if (raw === null || typeof raw !== 'object') return null;
  const c = raw as Record<string, unknown>;
  const displayName = typeof c.displayName === 'string' && c.displayName !== '' ? c.displayName : typeof c.name === 'string' ? c.name : '';
  if (displayName === '') return null;
  return {
    name: typeof c.name === 'string' ? c.name : displayName,
    version: c.version === null || c.version === undefined ? null : String(c.version),
    displayName,
    isPayout: c.isPayout === true,
    defaultMultiplier: finiteOrNull(c.defaultMultiplier),
    minMultiplier: finiteOrNull(c.minMultiplier),
    maxMultiplier: finiteOrNull(c.maxMultiplier),
    totalScoreDays: Number.isInteger(c.totalScoreDays) ? (c.totalScoreDays as number) : null,
  };
}
