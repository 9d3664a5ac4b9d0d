/** Whether a model already has a submission for a round: the server is the truth, no local state decides. */

import type { SubmissionRecord } from '../pipeline/ports.js';
import { NumeraiError, withContext } from './errors.js';
import type { GraphqlTransport } from './transport.js';

/** The model's submissions with their rounds (numerapi `submission_ids` + numerai-cli `node test`). Needs read_submission_info. */
export const MODEL_SUBMISSIONS_QUERY = `query($modelId: String!) {
  submissions(modelId: $modelId) {
    id
    filename
    insertedAt
    round {
      number
      tournament
    }
  }
}`;

export interface SubmissionSummary {
  id: string;
  filename: string | null;
  insertedAt: Date | null;
  round: { number: number; tournament: number } | null;
}

/** Every submission of a model, newest first. */
export async function modelSubmissions(transport: GraphqlTransport, modelId: string): Promise<SubmissionSummary[]> {
  const data = await transport.query<{ submissions: RawSubmission[] | null }>(
    MODEL_SUBMISSIONS_QUERY,
    { modelId },
    { operation: 'submissions', auth: true },
  ).catch((error: unknown) => {
    throw withContext(error, `model id ${modelId}`);
  });
  if (!Array.isArray(data.submissions)) {
    throw new NumeraiError(`Numerai API call "submissions" answered without a list for model ${modelId}.`, {
      kind: 'protocol',
      operation: 'submissions',
    });
  }
  return data.submissions
    .filter((s): s is RawSubmission => s !== null && typeof s === 'object')
    .map((s) => ({
      id: String(s.id),
      filename: s.filename ?? null,
      insertedAt: s.insertedAt ? new Date(s.insertedAt) : null,
      round: s.round && Number.isInteger(s.round.number) ? { number: s.round.number, tournament: s.round.tournament } : null,
    }))
    .sort((a, b) => (b.insertedAt?.getTime() ?? 0) - (a.insertedAt?.getTime() ?? 0));
}

/** Every submission of a model as the look-back at missed rounds reads them: round, tournament, arrival time. */
export async function submissionHistory(transport: GraphqlTransport, modelId: string): Promise<SubmissionRecord[]> {
  const submissions = await modelSubmissions(transport, modelId);
  return submissions.flatMap((s) => (s.round ? [{ round: s.round.number, tournament: s.round.tournament, insertedAt: s.insertedAt }] : []));
}

/**
 * The id of the model's latest submission for this round of this tournament, or null when it has none.
 *
 * Example: `await submissionForRound(transport, modelId, 1234, 8)` → `'3f1c…'` or `null`
 */
export async function submissionForRound(
  transport: GraphqlTransport,
  modelId: string,
  round: number,
  tournament: number,
): Promise<string | null> {
  const submissions = await modelSubmissions(transport, modelId);
  const match = submissions.find((s) => s.round?.number === round && s.round.tournament === tournament);
  return match?.id ?? null;
}

interface RawSubmission {
  id: string;
  filename?: string | null;
  insertedAt?: string | null;
  round?: { number: number; tournament: number } | null;
}
