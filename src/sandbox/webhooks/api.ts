/**
 * The webhooks part of the API: a model's submission webhook (`Model.submissionWebhook`, `setSubmissionWebhook`)
 * and `triggerModelWebhook`, which calls it at once (deliver.ts makes the calls, also when a round opens).
 *
 * numerapi sends both mutations with authorization and takes `setSubmissionWebhook`'s string "true" as success;
 * numerai-cli's `node test` reads `triggerModelWebhook`'s trigger id and, when the webhook failed, shows Numerai's
 * "Error received from your webhook server: …". Which key scope Numerai asks for is not documented (numerai-cli
 * tells its users to tick every scope); the sandbox asks for upload_submission. A model managed by Model Uploads
 * cannot have a webhook (Numerai's model-uploads page).
 */
import { GraphQLError } from 'graphql';
import { ownModel, requireScope } from '../access.js';
import type { ModelView } from '../accounts/api.js';
import type { SandboxModel } from '../accounts/keys.js';
import type { ApiPart } from '../part.js';
import { arg } from '../spellings.js';

export const WEBHOOK_MESSAGES = {
  managed: (name: string) =>
    `Model ${name} is managed by Numerai Model Uploads: Numerai runs the model uploaded for it every round, so it ` +
    'cannot have a submission webhook. Remove its model upload on numer.ai to use a webhook.',
  none: (name: string) => `Model ${name} has no submission webhook`,
  failed: (answer: string) => `Error received from your webhook server: ${answer}`,
} as const;

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
  resolvers: (world) => ({
    RootMutationType: {
      setSubmissionWebhook: (_source, args, ctx) => {
        const account = requireScope(ctx, 'upload_submission');
        const model = ownModel(account, arg<string>(args, 'modelId'));
        const webhook = arg<string>(args, 'newSubmissionWebhook') || null;
        // Removing a webhook is always allowed; setting one is not, on a model Numerai runs itself.
        if (webhook !== null) refuseManaged(model);
        model.webhook = webhook;
        return 'true';
      },

      triggerModelWebhook: async (_source, args, ctx) => {
        const account = requireScope(ctx, 'upload_submission');
        const model = ownModel(account, arg<string>(args, 'modelId'));
        refuseManaged(model);
        if (!model.webhook) throw new GraphQLError(WEBHOOK_MESSAGES.none(model.name));
        const call = await world.webhooks.send(model, world.clock.number, 'trigger');
        if (!call.ok) throw new GraphQLError(WEBHOOK_MESSAGES.failed(call.status ? call.answer || `HTTP ${call.status}` : call.answer));
        return call.triggerId;
      },
    },
    Model: {
      submissionWebhook: (view: ModelView) => view.sandboxModel.webhook,
    },
  }),
};

function refuseManaged(model: SandboxModel): void {
  if (model.managedByModelUploads) throw new GraphQLError(WEBHOOK_MESSAGES.managed(model.name));
}
