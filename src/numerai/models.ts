/** The account's models (numerapi `get_models`). */

import type { AccountModel } from '../pipeline/ports.js';
import { NumeraiError } from './errors.js';
import type { GraphqlTransport } from './transport.js';

/** Needs the key scope read_user_info. */
export const ACCOUNT_MODELS_QUERY = `query {
  account {
    models {
      id
      name
      tournament
    }
  }
}`;

/**
 * The same, with `computePickleUpload`: set for a model managed by Numerai Model Uploads, which refuses API
 * submissions. Asked first, so such a model is explained at plan time rather than refused at upload.
 */
export const ACCOUNT_MODELS_WITH_UPLOADS_QUERY = `query {
  account {
    models {
      id
      name
      tournament
      computePickleUpload {
        id
      }
    }
  }
}`;

/** Failures that say nothing about the query's shape: asking the plain query instead would fail the same way. */
const NOT_ABOUT_THE_QUERY = new Set(['auth', 'network', 'timeout', 'rate-limit', 'server']);

type RawModel = AccountModel & { computePickleUpload?: unknown };

/**
 * The account's models in one tournament. The account holds models of every tournament; a name is unique only within
 * one, so the list is filtered here.
 *
 * Example: `await accountModels(transport, 8)` → `[{ id: '95b0d9e2-…', name: 'example_gbt', tournament: 8 }, …]`
 */
export async function accountModels(transport: GraphqlTransport, tournament: number): Promise<AccountModel[]> {
  const ask = (query: string) =>
    transport.query<{ account: { models: RawModel[] | null } | null }>(query, null, { operation: 'account', auth: true });
  let data;
  try {
    data = await ask(ACCOUNT_MODELS_WITH_UPLOADS_QUERY);
  } catch (error) {
    // An API without the field (or a key not allowed to read it) still lists the models: ask without it.
    if (!(error instanceof NumeraiError) || NOT_ABOUT_THE_QUERY.has(error.kind)) throw error;
    data = await ask(ACCOUNT_MODELS_QUERY);
  }
  const models = data.account?.models;
  if (!Array.isArray(models)) {
    throw new NumeraiError('Numerai API call "account" answered without a list of models.', { kind: 'protocol', operation: 'account' });
  }
  return models
    .filter((m) => m && m.tournament === tournament)
    .map((m) => ({
      id: String(m.id),
      name: String(m.name),
      tournament: m.tournament,
      ...(m.computePickleUpload ? { managedByModelUploads: true } : {}),
    }));
}
