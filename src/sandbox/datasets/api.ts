/** The datasets part of the API: `listDatasets` and `dataset` (a signed download URL of one file). */
import { GraphQLError } from 'graphql';
import type { ApiPart } from '../part.js';
import { ROUND_NOT_OPEN } from '../rounds/clock.js';
import { arg } from '../spellings.js';
import type { SandboxWorld } from '../world.js';
import { isLiveFile, tournamentKey } from './files.js';

export const DATASET_MESSAGES = {
  datasetNotFound: (filename: string) => `Dataset not found: ${filename}`,
  roundNotFound: (n: number) => `Round not found: ${n}`,
} as const;

export const datasetsApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootQueryType {
  listDatasets(round: Int, tournament: Int): [String]
  dataset(filename: String!, round: Int, tournament: Int): String
}
`,
  resolvers: (world) => ({
    RootQueryType: {
      listDatasets: async (_source, args) => {
        const round = roundArg(world, arg<number>(args, 'round'));
        const tournament = arg<number>(args, 'tournament');
        const all = await world.data.list(round);
        if (tournament === undefined || tournament === null) return all;
        const key = tournamentKey(tournament);
        if (!key) return [];
        return all.filter((p) => (key === 'classic' ? !p.startsWith('signals/') && !p.startsWith('crypto/') : p.startsWith(`${key}/`)));
      },

      dataset: async (_source, args, ctx) => {
        const filename = arg<string>(args, 'filename')!;
        const requestedRound = arg<number>(args, 'round');
        let round = roundArg(world, requestedRound);
        let path = filename;
        // live_<round>.parquet (as in Numerai's docs) resolves to that round's live file
        const m = /^(.*\/)?live_(\d+)\.parquet$/.exec(filename);
        if (m) {
          round = roundArg(world, Number(m[2]));
          path = `${m[1] ?? ''}live.parquet`;
        }
        const all = await world.data.list(round);
        if (!all.includes(path)) throw new GraphQLError(DATASET_MESSAGES.datasetNotFound(filename));
        const current = requestedRound === undefined || requestedRound === null || requestedRound === 0 || round === world.clock.number;
        if (current && !m && isLiveFile(path) && !world.clock.acceptsSubmissions()) throw new GraphQLError(ROUND_NOT_OPEN);
        return datasetUrl(world, ctx.baseUrl, round, path);
      },
    },
  }),
};

/** A round argument: null/0 is the current round; a later round does not exist. */
function roundArg(world: SandboxWorld, round: number | null | undefined): number {
  if (round === undefined || round === null || round === 0) return world.clock.number;
  if (round < 0 || round > world.clock.number) throw new GraphQLError(DATASET_MESSAGES.roundNotFound(round));
  return round;
}

/** The signed GET URL of a dataset file, served by transfers.ts. */
function datasetUrl(world: SandboxWorld, baseUrl: string, round: number, filename: string): string {
  const path = `/datasets/${round}/${filename.split('/').map(encodeURIComponent).join('/')}`;
  return `${baseUrl}${path}?${world.signer.sign('GET', path)}`;
}
