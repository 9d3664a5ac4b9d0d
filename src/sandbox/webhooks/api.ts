/**
 * The webhooks part of the API: a model's submission webhook (`Model.submissionWebhook`, `setSubmissionWebhook`)
 * and `triggerModelWebhook`.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ownModel, requireScope } from '../access.js';
import type { ModelView } from '../accounts/api.js';
import type { ApiPart } from '../part.js';
import { arg } from '../spellings.js';

export const webhooksApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootMutationType {
  setSubmissionWebhook(modelId: String!, newSubmissionWebhook: String): String
  triggerModelWebhook(modelId: String!): String
}

extend type Model {
  submissionWebhook: String
}
`,
  resolvers: () => ({
    RootMutationType: {
      setSubmissionWebhook: (_source, args, ctx) => {
        const account = requireScope(ctx, 'upload_submission');
        const model = ownModel(account, arg<string>(args, 'modelId'));
        model.webhook = arg<string>(args, 'newSubmissionWebhook') ?? null;
        return 'true';
      },

      triggerModelWebhook: (_source, args, ctx) => {
        const account = requireScope(ctx, 'upload_submission');
        const model = ownModel(account, arg<string>(args, 'modelId'));
        if (!model.webhook) throw new GraphQLError(`Model ${model.name} has no submission webhook`);
        return randomUUID();
      },
    },
    Model: {
      submissionWebhook: (view: ModelView) => view.sandboxModel.webhook,
    },
  }),
};
