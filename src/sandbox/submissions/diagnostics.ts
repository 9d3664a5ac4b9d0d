/** The diagnostics part of the API: `diagnosticsUploadAuth`, `createDiagnostics` and `diagnostics` (never computed). */
import { randomUUID } from 'node:crypto';
import { ownModel, requireScope, validTournament } from '../access.js';
import type { ApiPart } from '../part.js';
import { iso } from '../rounds/clock.js';
import { arg } from '../spellings.js';
import { uploadAuth, uploadedFile } from './uploads.js';

export const diagnosticsApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootQueryType {
  diagnosticsUploadAuth(filename: String!, tournament: Int, modelId: String): UploadAuth
  diagnostics(id: String, modelId: String!): Diagnostics
}

extend type RootMutationType {
  createDiagnostics(filename: String!, tournament: Int!, modelId: String): Diagnostics
}

type Diagnostics {
  id: String
  status: String
  message: String
  updatedAt: String
  erasAcceptedCount: Int
  trainedOnVal: Boolean
  examplePredsCorrMean: Float
  validationCorrMean: Float
  validationCorrSharpe: Float
  validationCorrStd: Float
  validationMmcMean: Float
  validationMaxDrawdown: Float
  validationFeatureNeutralCorrMean: Float
}
`,
  resolvers: (world) => ({
    RootQueryType: {
      diagnosticsUploadAuth: (_source, args, ctx) => uploadAuth(world, args, ctx, 'diagnostics'),
      diagnostics: (_source, args, ctx) => {
        const account = requireScope(ctx, 'read_submission_info');
        const model = ownModel(account, arg<string>(args, 'modelId'));
        const id = arg<string>(args, 'id');
        const all = [...world.diagnostics.values()].filter((d) => d.modelId === model.id);
        const d = id ? all.find((x) => x.id === id) : all[all.length - 1];
        if (!d) return null;
        return { id: d.id, status: 'done', message: 'sandbox: diagnostics are not computed', updatedAt: d.insertedAt, erasAcceptedCount: 0, trainedOnVal: false };
      },
    },
    RootMutationType: {
      createDiagnostics: (_source, args, ctx) => {
        const account = requireScope(ctx, 'upload_submission');
        const tournament = validTournament(arg<number>(args, 'tournament'));
        const model = ownModel(account, arg<string>(args, 'modelId'), tournament);
        const filename = arg<string>(args, 'filename')!;
        uploadedFile(world, filename, 'diagnostics', model);
        const d = { id: randomUUID(), modelId: model.id, filename, insertedAt: iso(world.now()) };
        world.diagnostics.set(d.id, d);
        return { id: d.id, status: 'pending', message: null, updatedAt: d.insertedAt };
      },
    },
  }),
};
