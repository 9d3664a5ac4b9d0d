/**
 * Who may do what: the key's scopes, the caller's own models, the tournaments that exist; with Numerai's messages
 * for each refusal.
 */
import { GraphQLError } from 'graphql';
import type { SandboxAccount, SandboxModel } from './accounts/keys.js';
import { tournamentKey } from './datasets/files.js';
import type { Ctx } from './part.js';
import type { Scope } from './types.js';

export const ACCESS_MESSAGES = {
  session: 'Your session is invalid or has expired.',
  permission: (scope: Scope) => `Insufficient permission for ${scope}`,
  invalidTournament: 'invalid tournament',
  modelNotFound: (id: string) => `Model not found: ${id}`,
  modelIdRequired: 'modelId is required for accounts with multiple models',
} as const;

/** The caller's account, when the key is valid and has the scope. */
export function requireScope(ctx: Ctx, scope: Scope): SandboxAccount {
  if (ctx.auth.state !== 'ok' || !ctx.auth.account || !ctx.auth.key) throw new GraphQLError(ACCESS_MESSAGES.session);
  if (!ctx.auth.key.scopes.includes(scope)) throw new GraphQLError(ACCESS_MESSAGES.permission(scope));
  return ctx.auth.account;
}

/** The caller's model: by id, or the only model of the account (in that tournament) when no id is given. */
export function ownModel(account: SandboxAccount, modelId: string | null | undefined, tournament?: number): SandboxModel {
  if (modelId === undefined || modelId === null || modelId === '') {
    const candidates = tournament === undefined ? account.models : account.models.filter((m) => m.tournament === tournament);
    if (candidates.length === 1) return candidates[0];
    throw new GraphQLError(ACCESS_MESSAGES.modelIdRequired);
  }
  const model = account.models.find((m) => m.id === modelId);
  if (!model) throw new GraphQLError(ACCESS_MESSAGES.modelNotFound(modelId));
  return model;
}

/** A tournament argument that names a tournament (8, 11 or 12). */
export function validTournament(t: number | null | undefined): number {
  if (t === null || t === undefined || tournamentKey(t) === null) throw new GraphQLError(ACCESS_MESSAGES.invalidTournament);
  return t;
}
