/** The accounts part of the API: `account` (with its models and keys), `model`, and the public `accountProfile`. */
import { GraphQLError } from 'graphql';
import { ownModel, requireScope } from '../access.js';
import type { ApiPart } from '../part.js';
import { arg } from '../spellings.js';
import type { SandboxModel } from './keys.js';

export const accountsApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootQueryType {
  account: Account
  model(modelId: String): Model
  accountProfile(username: String!, tournament: Int): AccountProfile
}

type Account {
  id: String
  username: String
  email: String
  walletAddress: String
  availableNmr: String
  mfaEnabled: Boolean
  status: String
  insertedAt: String
  models: [Model]
  apiTokens: [ApiToken]
}

type ApiToken { name: String public_id: String scopes: [String] }

type Model {
  id: String
  name: String
  username: String
  displayName: String
  tournament: Int
  insertedAt: String
  v2Stake: Stake
}

type Stake { status: String txHash: String }

type AccountProfile { username: String models: [ProfileModel] }

type ProfileModel { id: String displayName: String username: String tournament: Int }
`,
  resolvers: (world) => ({
    RootQueryType: {
      account: (_source, _args, ctx) => {
        const account = requireScope(ctx, 'read_user_info');
        return {
          id: account.id,
          username: account.username,
          email: account.email,
          walletAddress: '0x0000000000000000000000000000000000000000',
          availableNmr: '0.000000000000000000',
          mfaEnabled: false,
          status: 'VERIFIED',
          insertedAt: account.insertedAt,
          models: account.models.map(modelView),
          apiTokens: account.keys.map((k) => ({ name: k.name ?? 'sandbox', public_id: k.publicId, scopes: k.scopes })),
        };
      },

      model: (_source, args, ctx) => {
        const account = requireScope(ctx, 'read_user_info');
        return modelView(ownModel(account, arg<string>(args, 'modelId')));
      },

      accountProfile: (_source, args) => {
        const username = arg<string>(args, 'username');
        const tournament = arg<number>(args, 'tournament');
        const account = world.accounts.find((a) => a.username === username || a.models.some((m) => m.name === username));
        if (!account) throw new GraphQLError(`Account not found: ${username}`);
        return {
          username: account.username,
          models: account.models
            .filter((m) => tournament === undefined || tournament === null || m.tournament === tournament)
            .map((m) => ({ id: m.id, displayName: m.name, username: m.name, tournament: m.tournament })),
        };
      },
    },
  }),
};

/**
 * A model as the API shows it. `sandboxModel` is no field of the schema: it lets the parts that add fields to
 * `Model` (submissions, webhooks) resolve them from the model itself.
 */
export function modelView(model: SandboxModel) {
  return {
    id: model.id,
    name: model.name,
    username: model.name,
    displayName: model.name,
    tournament: model.tournament,
    insertedAt: model.insertedAt,
    v2Stake: { status: null, txHash: null },
    sandboxModel: model,
  };
}

export type ModelView = ReturnType<typeof modelView>;
