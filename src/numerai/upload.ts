/**
 * Uploading predictions, numerapi's three steps: upload auth (a signed URL) → PUT the bytes → create the submission.
 * Classic (8) and Crypto (12) use submission_upload_auth / create_submission; Signals (11) has its own pair.
 */

import { TOURNAMENTS } from '../pipeline/ports.js';
import { NumeraiError, withContext } from './errors.js';
import type { GraphqlTransport } from './transport.js';

export const SUBMISSION_UPLOAD_AUTH_QUERY = `query($filename: String!
      $tournament: Int!
      $modelId: String) {
  submission_upload_auth(filename: $filename
                         tournament: $tournament
                         modelId: $modelId) {
    filename
    url
  }
}`;

export const SIGNALS_UPLOAD_AUTH_QUERY = `query($filename: String!
      $tournament: Int!
      $modelId: String) {
  submissionUploadSignalsAuth(filename: $filename
                              tournament: $tournament
                              modelId: $modelId) {
    filename
    url
  }
}`;

export const CREATE_SUBMISSION_MUTATION = `mutation($filename: String!
         $tournament: Int!
         $modelId: String
         $triggerId: String
         $dataDatestamp: Int) {
  create_submission(filename: $filename
                    tournament: $tournament
                    modelId: $modelId
                    triggerId: $triggerId
                    source: "numerai-autopilot"
                    dataDatestamp: $dataDatestamp) {
    id
  }
}`;

export const CREATE_SIGNALS_SUBMISSION_MUTATION = `mutation($filename: String!
         $modelId: String
         $triggerId: String
         $dataDatestamp: Int) {
  createSignalsSubmission(filename: $filename
                          modelId: $modelId
                          triggerId: $triggerId
                          source: "numerai-autopilot"
                          dataDatestamp: $dataDatestamp) {
    id
  }
}`;

export interface UploadInput {
  modelId: string;
  tournament: number;
  /** The file name shown on numer.ai, e.g. "example_gbt-1234.csv". */
  filename: string;
  /** The submission file's bytes (CSV). */
  csv: Uint8Array;
  /** The webhook trigger this submission answers, when there is one. */
  triggerId?: string;
  /** YYYYMMDD of the data used, when it is not the current round's. */
  dataDatestamp?: number;
}

export interface UploadAuth {
  /** The stored name to pass to create_submission (may differ from the name sent). */
  filename: string;
  url: string;
}

/** Step 1: a signed URL to PUT the file to. Idempotent: each call just signs a new URL. */
export async function submissionUploadAuth(
  transport: GraphqlTransport,
  input: Pick<UploadInput, 'modelId' | 'tournament' | 'filename'>,
): Promise<UploadAuth> {
  const field = input.tournament === TOURNAMENTS.signals ? 'submissionUploadSignalsAuth' : 'submission_upload_auth';
  const document = field === 'submissionUploadSignalsAuth' ? SIGNALS_UPLOAD_AUTH_QUERY : SUBMISSION_UPLOAD_AUTH_QUERY;
  const data = await transport
    .query<Record<string, UploadAuth | null>>(
      document,
      { filename: input.filename, tournament: input.tournament, modelId: input.modelId },
      { operation: field, auth: true },
    )
    .catch((error: unknown) => {
      throw withContext(error, describe(input));
    });
  const auth = data[field];
  if (!auth || typeof auth.url !== 'string' || typeof auth.filename !== 'string') {
    throw new NumeraiError(`Numerai API call "${field}" answered without a filename and URL [${describe(input)}].`, {
      kind: 'protocol',
      operation: field,
    });
  }
  return auth;
}

/**
 * Step 3: register the uploaded file as the model's submission; Numerai validates it here. Not idempotent: a failure
 * that may have reached the server comes back as kind "ambiguous" and is not retried.
 */
export async function createSubmission(
  transport: GraphqlTransport,
  input: Pick<UploadInput, 'modelId' | 'tournament' | 'triggerId' | 'dataDatestamp'> & { filename: string },
): Promise<string> {
  const signals = input.tournament === TOURNAMENTS.signals;
  const field = signals ? 'createSignalsSubmission' : 'create_submission';
  const variables: Record<string, unknown> = {
    filename: input.filename,
    modelId: input.modelId,
    triggerId: input.triggerId ?? null,
    dataDatestamp: input.dataDatestamp ?? null,
  };
  if (!signals) variables.tournament = input.tournament;
  const data = await transport
    .query<Record<string, { id: string } | null>>(signals ? CREATE_SIGNALS_SUBMISSION_MUTATION : CREATE_SUBMISSION_MUTATION, variables, {
      operation: field,
      auth: true,
      idempotent: false,
    })
    .catch((error: unknown) => {
      throw withContext(error, describe(input));
    });
  const id = data[field]?.id;
  if (typeof id !== 'string' || id === '') {
    throw new NumeraiError(`Numerai API call "${field}" answered without a submission id [${describe(input)}].`, {
      kind: 'ambiguous',
      operation: field,
    });
  }
  return id;
}

/**
 * All three steps; returns the submission id. The PUT is retried on transient failures (it is idempotent);
 * create_submission is not (see createSubmission).
 */
export async function uploadPredictions(transport: GraphqlTransport, input: UploadInput): Promise<string> {
  const auth = await submissionUploadAuth(transport, input);
  await transport.put(auth.url, input.csv, 'upload').catch((error: unknown) => {
    throw withContext(error, describe(input));
  });
  return createSubmission(transport, { ...input, filename: auth.filename });
}

function describe(input: { modelId: string; tournament: number; filename?: string }): string {
  return `model id ${input.modelId}, tournament ${input.tournament}${input.filename ? `, file ${input.filename}` : ''}`;
}
