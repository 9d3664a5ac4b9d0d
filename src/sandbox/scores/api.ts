/**
 * The scores part of the API: the score configurations of a round (`Round.roundScoreConfigs`). Scores of
 * submissions belong here too.
 */
import type { ApiPart } from '../part.js';
import type { RoundView } from '../rounds/api.js';

export const scoresApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type Round {
  roundScoreConfigs: [RoundScoreConfig]
}

type RoundScoreConfig {
  id: String
  scoreConfigId: String
  roundNumberStart: Int
  roundNumberEnd: Int
  name: String
  version: Int
  displayName: String
  totalScoreDays: Int
  returnsLagDays: Int
  dataDelayDays: Int
  universe: String
  isCanonScore: Boolean
  isPayout: Boolean
  scoringStart: String
  scoringEnd: String
  minMultiplier: Float
  maxMultiplier: Float
  defaultMultiplier: Float
  clipThreshold: Float
  stakeThreshold: String
  payoutFactor: String
}
`,
  resolvers: () => ({
    Round: {
      // A round the clock has no times for (see submissions' round view) has no score configurations either.
      roundScoreConfigs: (round: Partial<RoundView>) =>
        round.scoreTime === undefined || round.resolveTime === undefined ? null : roundScoreConfigs(round.tournament!, round.scoreTime, round.resolveTime),
    },
  }),
};

/** The one canonical, paid score of every round: CORR20 v2, scored from scoreTime until the round resolves. */
function roundScoreConfigs(tournament: number, scoringStart: string, scoringEnd: string) {
  return [
    {
      id: `${tournament}-canon`,
      scoreConfigId: 'canon',
      roundNumberStart: 1,
      roundNumberEnd: null,
      name: 'corr20v2',
      version: 2,
      displayName: 'CORR',
      totalScoreDays: 20,
      returnsLagDays: 2,
      dataDelayDays: 1,
      universe: tournament === 8 ? 'classic' : tournament === 11 ? 'signals' : 'crypto',
      isCanonScore: true,
      isPayout: true,
      scoringStart,
      scoringEnd,
      minMultiplier: 0.5,
      maxMultiplier: 2.0,
      defaultMultiplier: 0.5,
      clipThreshold: 0.05,
      stakeThreshold: '0.0',
      payoutFactor: '0.8',
    },
  ];
}
