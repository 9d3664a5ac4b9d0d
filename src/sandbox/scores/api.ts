/**
 * The scores part of the API: a round's score configurations (`Round.roundScoreConfigs`, numerapi 2.24
 * `list_rounds`) and a model's round scores (`submissionScores`, numerapi ≥ 2.23 `submission_scores`, which numerapi
 * sends without a key). The history they are drawn from is in history.ts.
 */
import type { ApiPart } from '../part.js';
import type { RoundView } from '../rounds/api.js';

export const scoresApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootQueryType {
  submissionScores(modelId: ID!, displayName: String, version: String, day: Int, resolved: Boolean, tournament: Int, lastNRounds: Int, distinctOnRound: Boolean): [SubmissionScore]
}

extend type Round {
  roundScoreConfigs: [RoundScoreConfig]
}

type RoundScoreConfig {
  id: String
  scoreConfigId: String
  roundNumberStart: Int
  roundNumberEnd: Int
  name: String
  version: String
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

type SubmissionScore {
  roundId: String
  submissionId: String
  roundNumber: Int
  roundResolveTime: String
  roundScoreTime: String
  roundCloseStakingTime: String
  value: Float
  percentile: Float
  displayName: String
  version: String
  date: String
  day: Int
  resolveDate: String
  resolved: Boolean
  payoutPending: String
  payoutSettled: String
}
`,
  resolvers: (world) => ({
    RootQueryType: {
      // Public, like rounds: no key is needed, and a key sent along is not checked.
      submissionScores: (_source, args) => world.scores.submissionScores(args, world.allModels()),
    },
    Round: {
      // A round the clock has no times for (see submissions' round view) has no score configurations either.
      roundScoreConfigs: (round: Partial<RoundView>) => {
        const times = round.number === undefined ? null : world.clock.times(round.number);
        return times && round.tournament !== undefined ? world.scores.configs(round.tournament, times) : null;
      },
    },
  }),
};
