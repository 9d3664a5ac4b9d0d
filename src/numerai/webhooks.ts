/**
 * A model's submission webhook: the URL Numerai POSTs to when a round opens (numerapi `set_submission_webhook`, and
 * the `triggerModelWebhook` mutation numerai-cli's `node test` sends). Both mutations, as numerapi and numerai-cli
 * write them, need an authorized key; numerai-cli asks for every scope, the sandbox for upload_submission.
 */
import { NumeraiError } from './errors.js';
import type { GraphqlTransport } from './transport.js';

export const SET_SUBMISSION_WEBHOOK_MUTATION = `mutation (
  $modelId: String!
  $newSubmissionWebhook: String
) {
  setSubmissionWebhook(
    modelId: $modelId
    newSubmissionWebhook: $newSubmissionWebhook
  )
}`;

export const TRIGGER_MODEL_WEBHOOK_MUTATION = `mutation ( $modelId: String! ) { triggerModelWebhook( modelId: $modelId ) }`;

/**
 * The account's models with their webhooks, and whether Numerai Model Uploads manages each (a model upload is set:
 * such a model takes neither API submissions nor a webhook). The fields as numer.ai's own account query names them.
 */
export const MODEL_WEBHOOKS_QUERY = `query {
  account {
    models {
      id
      name
      tournament
      submissionWebhook
      computePickleUpload { id }
    }
  }
}`;

export interface ModelWebhook {
  id: string;
  name: string;
  tournament: number;
  webhook: string | null;
  /** Managed by Numerai Model Uploads. */
  modelUpload: boolean;
}

/** Registers `url` as the model's webhook, or removes the webhook with null. Numerai answers the string "true". */
export async function setSubmissionWebhook(transport: GraphqlTransport, modelId: string, url: string | null): Promise<void> {
  const data = await transport.query<{ setSubmissionWebhook: unknown }>(
    SET_SUBMISSION_WEBHOOK_MUTATION,
    { modelId, newSubmissionWebhook: url },
    { operation: 'setSubmissionWebhook', auth: true },
  );
  if (data.setSubmissionWebhook !== 'true' && data.setSubmissionWebhook !== true) {
    throw new NumeraiError(`Numerai API call "setSubmissionWebhook" answered ${JSON.stringify(data.setSubmissionWebhook)} instead of "true".`, {
      kind: 'protocol',
      operation: 'setSubmissionWebhook',
    });
  }
}

/** Makes Numerai call the model's webhook now; the trigger id it sent. Fails with Numerai's message when the webhook did. */
export async function triggerModelWebhook(transport: GraphqlTransport, modelId: string): Promise<string> {
  const data = await transport.query<{ triggerModelWebhook: unknown }>(
    TRIGGER_MODEL_WEBHOOK_MUTATION,
    { modelId },
    // Not repeated after a failure that may have reached Numerai: each call starts a run.
    { operation: 'triggerModelWebhook', auth: true, idempotent: false },
  );
  if (typeof data.triggerModelWebhook !== 'string') {
    throw new NumeraiError('Numerai API call "triggerModelWebhook" answered without a trigger id.', { kind: 'protocol', operation: 'triggerModelWebhook' });
  }
  return data.triggerModelWebhook;
}

/** Every model of the account (all tournaments) with its webhook. Needs the key scope read_user_info. */
export async function modelWebhooks(transport: GraphqlTransport): Promise<ModelWebhook[]> {
  type Listed = { id: string; name: string; tournament: number; submissionWebhook?: string | null; computePickleUpload?: { id: string } | null };
  const data = await transport.query<{ account: { models: Listed[] | null } | null }>(
    MODEL_WEBHOOKS_QUERY,
    null,
    { operation: 'account', auth: true },
  );
  const models = data.account?.models;
  if (!Array.isArray(models)) {
    throw new NumeraiError('Numerai API call "account" answered without a list of models.', { kind: 'protocol', operation: 'account' });
  }
  return models.map((m) => ({
    id: String(m.id),
    name: String(m.name),
    tournament: m.tournament,
    webhook: m.submissionWebhook ?? null,
    modelUpload: Boolean(m.computePickleUpload),
  }));
}
