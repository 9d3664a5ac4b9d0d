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
 * The account's models in one tournament. The account holds models of every tournament; a name is unique only within
 * one, so the list is filtered here.
 *
 * Example: `await accountModels(transport, 8)` → `[{ id: '95b0d9e2-…', name: 'example_gbt', tournament: 8 }, …]`
 */
export async function accountModels(transport: GraphqlTransport, tournament: number): Promise<AccountModel[]> {
  const data = await transport.query<{ account: { models: AccountModel[] | null } | null }>(ACCOUNT_MODELS_QUERY, null, {
    operation: 'account',
    auth: true,
  });
  const models = data.account?.models;
  if (!Array.isArray(models)) {
    throw new NumeraiError('Numerai API call "account" answered without a list of models.', { kind: 'protocol', operation: 'account' });
  }
  return models
    .filter((m) => m && m.tournament === tournament)
    .map((m) => ({ id: String(m.id), name: String(m.name), tournament: m.tournament }));
}
