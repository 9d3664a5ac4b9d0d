/**
 * A model's per-round scores (numerapi ≥ 2.23 `submission_scores`). Public: numerapi sends it without an
 * Authorization header, so this works without keys.
 */

import type { SubmissionScore } from '../pipeline/ports.js';
import { NumeraiError, withContext } from './errors.js';
import type { GraphqlTransport } from './transport.js';

/** The arguments and types of numerapi's query; the selection is the part of its fields this project reads. */
export const SUBMISSION_SCORES_QUERY = `query($modelId: ID!
      $tournament: Int
      $resolved: Boolean
      $lastNRounds: Int
      $distinctOnRound: Boolean) {
  submissionScores(modelId: $modelId
                   tournament: $tournament
                   resolved: $resolved
                   lastNRounds: $lastNRounds
                   distinctOnRound: $distinctOnRound) {
    roundNumber
    roundResolveTime
    displayName
    version
    value
    percentile
    day
    date
    resolved
  }
}`;

export interface SubmissionScoresOptions {
  /** The model's most recent scored rounds to return. */
  lastNRounds: number;
  /** Only resolved (true) or only unresolved (false) scores; absent: both. */
  resolved?: boolean;
}

/**
 * One score per metric per round: the latest scoring day of each. The query asks the API for that
 * (`distinctOnRound`), and the answer is reduced to it here as well, because what the API keeps distinct per round
 * (the round, or the round and metric) is not documented.
 *
 * Example: `await submissionScores(transport, modelId, 8, { lastNRounds: 20 })` →
 * `[{ roundNumber: 1343, displayName: 'corr60', value: 0.0148, resolved: false, day: 24, … }, …]`
 */
export async function submissionScores(
  transport: GraphqlTransport,
  modelId: string,
  tournament: number,
  options: SubmissionScoresOptions,
): Promise<SubmissionScore[]> {
  const variables = { modelId, tournament, resolved: options.resolved ?? null, lastNRounds: options.lastNRounds, distinctOnRound: true };
  const data = await transport
    .query<{ submissionScores: unknown }>(SUBMISSION_SCORES_QUERY, variables, { operation: 'submissionScores', auth: false })
    .catch((error: unknown) => {
      throw withContext(error, `model id ${modelId}`);
    });
  if (!Array.isArray(data.submissionScores)) {
    throw new NumeraiError(`Numerai API call "submissionScores" answered without a list for model ${modelId}.`, {
      kind: 'protocol',
      operation: 'submissionScores',
    });
  }
  const latest = new Map<string, SubmissionScore>();
  for (const raw of data.submissionScores) {
    const score = parseScore(raw);
    if (!score) continue;
    const key = `${score.roundNumber}\u0000${score.displayName}\u0000${score.version ?? ''}`;
    const seen = latest.get(key);
    if (!seen || (score.day ?? 0) > (seen.day ?? 0) || (score.day === seen.day && (score.date ?? '') > (seen.date ?? ''))) latest.set(key, score);
  }
  return [...latest.values()].sort((a, b) => b.roundNumber - a.roundNumber || a.displayName.localeCompare(b.displayName));
}

/** A score entry, or null when it lacks what identifies it (a round number and a metric name). */
function parseScore(raw: unknown): SubmissionScore | null {
  if (raw === null || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (!Number.isInteger(r.roundNumber) || typeof r.displayName !== 'string' || r.displayName === '') return null;
  return {
    roundNumber: r.roundNumber as number,
    displayName: r.displayName,
    version: r.version === null || r.version === undefined ? null : String(r.version),
    value: finiteOrNull(r.value),
    percentile: finiteOrNull(r.percentile),
    day: Number.isInteger(r.day) ? (r.day as number) : null,
    date: typeof r.date === 'string' ? r.date : null,
    resolved: r.resolved === true,
    roundResolveTime: typeof r.roundResolveTime === 'string' ? r.roundResolveTime : null,
  };
}

/** Numbers arrive as JSON numbers; decimal strings (how the API writes NMR amounts) are read too. */
export function finiteOrNull(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}
