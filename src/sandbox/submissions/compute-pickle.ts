/**
 * The model-upload part of the API (Numerai runs an uploaded model pickle every round): its upload URL, the data
 * versions and Docker images offered, and `createComputePickleUpload`.
 */
import { randomUUID } from 'node:crypto';
import { ownModel, requireScope } from '../access.js';
import type { ModelView } from '../accounts/api.js';
import { derivedUuid } from '../accounts/keys.js';
import type { ApiPart } from '../part.js';
import { arg } from '../spellings.js';
import { uploadAuth, uploadedFile } from './uploads.js';

export const computePickleApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootQueryType {
  computePickleUploadAuth(filename: String!, modelId: String!): UploadAuth
  computePickleDataVersions: [ComputePickleOption]
  computePickleDockerImages: [ComputePickleOption]
}

extend type RootMutationType {
  createComputePickleUpload(filename: String!, tournament: Int, modelId: String!, dataVersionId: String, dockerImageId: String): ComputePickleUpload
}

extend type Model {
  computePickleUpload: ComputePickleUpload
}

type ComputePickleOption { id: String name: String }

type ComputePickleUpload { id: String filename: String }
`,
  resolvers: (world) => ({
    Model: {
      // What the model was last given to run: a managed model has an upload, any other none.
      computePickleUpload: (view: ModelView) =>
        view.sandboxModel.managedByModelUploads ? { id: derivedUuid(0, `pickle:${view.id}`), filename: `${view.name}.pkl` } : null,
    },
    RootQueryType: {
      computePickleUploadAuth: (_source, args, ctx) => uploadAuth(world, args, ctx, 'pickle'),
      computePickleDataVersions: () => [
        { id: 'sandbox-data-v5.2', name: 'v5.2' },
        { id: 'sandbox-data-v5.3', name: 'v5.3' },
      ],
      computePickleDockerImages: () => [{ id: 'sandbox-python-3.12', name: 'Python 3.12' }],
    },
    RootMutationType: {
      createComputePickleUpload: (_source, args, ctx) => {
        const account = requireScope(ctx, 'upload_submission');
        const model = ownModel(account, arg<string>(args, 'modelId'));
        const filename = arg<string>(args, 'filename')!;
        uploadedFile(world, filename, 'pickle', model);
        return { id: randomUUID(), filename };
      },
    },
  }),
};
