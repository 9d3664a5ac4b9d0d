/** The rounds part of the API: `rounds` (the current round, one round, the latest rounds) and `tournaments`. */
import { GraphQLError } from 'graphql';
import { tournamentKey } from '../datasets/files.js';
import type { ApiPart } from '../part.js';
import { arg } from '../spellings.js';
import type { SandboxWorld } from '../world.js';
import { datestamp, iso, ROUND_NOT_OPEN, type RoundTimes } from './clock.js';

export const roundsApi: ApiPart = {
  sdl: /* GraphQL */ `
enum RoundStatus { UPCOMING OPEN RESOLVING RESOLVED }

extend type RootQueryType {
  rounds(tournament: Int, number: Int, target: String, status: RoundStatus, limit: Int): [Round]
  tournaments: [Tournament]
}

type Tournament { id: String name: String tournament: Int active: Boolean }

type Round {
  id: String
  tournament: Int
  number: Int
  target: String
  openTime: String
  closeStakingTime: String
  closeTime: String
  scoreTime: String
  resolveTime: String
  resolvedGeneral: Boolean
  resolvedStaking: Boolean
  payoutFactor: String
  stakeThreshold: String
  dataDatestamp: Int
  minCorrMultiplier: Float
  maxCorrMultiplier: Float
  defaultCorrMultiplier: Float
  minMmcMultiplier: Float
  maxMmcMultiplier: Float
  defaultMmcMultiplier: Float
}
`,
  resolvers: (world) => ({
    RootQueryType: {
      rounds: (_source, args) => rounds(world, args),
      tournaments: () => [
        { id: '8', name: 'classic', tournament: 8, active: true },
        { id: '11', name: 'signals', tournament: 11, active: true },
        { id: '12', name: 'crypto', tournament: 12, active: true },
      ],
    },
  }),
};

export type RoundView = ReturnType<typeof roundView>;

/** A round of a tournament as the API shows it. */
export function roundView(world: SandboxWorld, tournament: number, times: RoundTimes) {
  // A round resolves when its payout scores do, which depends on the formula it pays on (scores/history.ts).
  const resolveTime = world.scores.resolveTime(tournament, times);
  const resolved = resolveTime <= world.now();
  // numerapi 2.23.1 reads these; 2.24 derives the same values from the payout configurations named so.
  const legacy = (name: string, field: 'minMultiplier' | 'maxMultiplier' | 'defaultMultiplier') => world.scores.legacyMultiplier(tournament, times, name, field);
  return {
    id: `${tournament}-${times.number}`,
    tournament,
    number: times.number,
    target: tournament === 8 ? 'target_cyrus_20' : 'target',
    openTime: iso(times.openTime),
    closeStakingTime: iso(times.closeStakingTime),
    closeTime: iso(times.closeTime),
    scoreTime: iso(times.scoreTime),
    resolveTime: iso(resolveTime),
    resolvedGeneral: resolved,
    resolvedStaking: resolved,
    payoutFactor: '0.8',
    stakeThreshold: '0.0',
    dataDatestamp: datestamp(times.openTime),
    minCorrMultiplier: legacy('correlation', 'minMultiplier'),
    maxCorrMultiplier: legacy('correlation', 'maxMultiplier'),
    defaultCorrMultiplier: legacy('correlation', 'defaultMultiplier'),
    minMmcMultiplier: legacy('meta_model_contribution', 'minMultiplier'),
    maxMmcMultiplier: legacy('meta_model_contribution', 'maxMultiplier'),
    defaultMmcMultiplier: legacy('meta_model_contribution', 'defaultMultiplier'),
  };
}

/**
 * `rounds(number: 0)` is the open round (`[null]` or an error while none is open, see ClosedShape); `number: n`
 * that round; otherwise the upcoming round (when one is set to open, see RoundClock.openAt) and the latest 100 rounds,
 * newest first, filtered by status (UPCOMING, OPEN, RESOLVING, RESOLVED) and cut to `limit`.
 */
function rounds(world: SandboxWorld, args: Record<string, unknown>) {
  const { clock } = world;
  const tournament = arg<number>(args, 'tournament') ?? 8;
  const number = arg<number>(args, 'number');
  const status = arg<string>(args, 'status');
  const limit = arg<number>(args, 'limit');
  if (tournamentKey(tournament) === null) return [];
  if (number === 0) {
    if (!clock.acceptsSubmissions()) {
      if (clock.closedShape === 'error') throw new GraphQLError(ROUND_NOT_OPEN);
      return [null];
    }
    return [roundView(world, tournament, clock.currentTimes())];
  }
  if (number !== undefined && number !== null) {
    const t = clock.times(number);
    return t ? [roundView(world, tournament, t)] : [];
  }
  const now = world.now();
  const out = [];
  // The round set to open next (open-at) is listed first, as UPCOMING, with its openTime.
  const next = clock.upcoming();
  if (next && (!status || status === 'UPCOMING')) out.push(roundView(world, tournament, next));
  if (limit !== undefined && limit !== null && out.length >= limit) return out;
  for (let n = clock.number; n >= Math.max(1, clock.number - 99); n--) {
    const t = clock.times(n)!;
    const isOpen = n === clock.number && clock.acceptsSubmissions();
    const st = isOpen ? 'OPEN' : world.scores.resolveTime(tournament, t) <= now ? 'RESOLVED' : 'RESOLVING';
    if (status && status !== st) continue;
    out.push(roundView(world, tournament, t));
    if (limit !== undefined && limit !== null && out.length >= limit) break;
  }
  return out;
}
