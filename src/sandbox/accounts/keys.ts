/**
 * The sandbox's accounts: API keys (with scopes), models in several tournaments. Ids and keys derive from the seed,
 * so a user who pasted the keys printed by `npm run sandbox` keeps working keys across restarts.
 */
import { createHash } from 'node:crypto';
import { ALL_SCOPES, type SandboxAccountSpec, type SandboxKey, type Scope } from '../types.js';

export interface SandboxModel {
  id: string;
  name: string;
  tournament: number;
  managedByModelUploads: boolean;
  account: SandboxAccount;
  insertedAt: string;
  webhook: string | null;
  /** How many rounds ago the model took part for the first time; absent: long before the sandbox's history. */
  joinedRoundsAgo?: number;
}

export interface SandboxAccount {
  id: string;
  username: string;
  email: string;
  insertedAt: string;
  keys: SandboxKey[];
  models: SandboxModel[];
}

/** The default accounts: the user's (classic, signals and crypto models) and someone else's. */
export function defaultAccountSpecs(): SandboxAccountSpec[] {
  return [
    {
      username: 'sandbox_user',
      models: [
        { name: 'example_gbt', tournament: 8 },
        // Joined in the previous round: not scored yet (scoring starts days after a round closes).
        { name: 'example_ensemble', tournament: 8, joinedRoundsAgo: 1 },
        { name: 'example_linear', tournament: 8 },
        { name: 'example_model_upload', tournament: 8, managedByModelUploads: true },
        { name: 'example_signals', tournament: 11 },
        { name: 'example_crypto', tournament: 12 },
      ],
    },
    { username: 'someone_else', models: [{ name: 'someone_elses_model', tournament: 8 }] },
  ];
}

/**
 * The default accounts with these classic model names added to the user's account (those it has already keep their
 * ids), so a participant can rehearse with their own model folders: `sandbox --models-dir models`.
 */
export function accountSpecsWith(names: readonly string[]): SandboxAccountSpec[] {
  const specs = defaultAccountSpecs();
  const user = specs[0];
  const known = new Set(user.models.filter((model) => model.tournament === 8).map((model) => model.name));
  for (const name of names) if (!known.has(name)) user.models.push({ name, tournament: 8 });
  return specs;
}

function digest(seed: number, what: string): Buffer {
  return createHash('sha256').update(`numerai-sandbox:${seed}:${what}`).digest();
}

/** A UUID (version 4 layout) derived from the seed. */
export function derivedUuid(seed: number, what: string): string {
  const b = digest(seed, what);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An upper-case alphanumeric string like Numerai's key parts (public ids 32, secret keys 64 characters). */
export function derivedToken(seed: number, what: string, length: number): string {
  let out = '';
  let counter = 0;
  while (out.length < length) {
    for (const byte of digest(seed, `${what}:${counter++}`)) {
      out += KEY_ALPHABET[byte % 32];
      if (out.length === length) break;
    }
  }
  return out;
}

export function derivedKey(seed: number, what: string, scopes: readonly Scope[], name: string): SandboxKey {
  return {
    publicId: derivedToken(seed, `public:${what}`, 32),
    secretKey: derivedToken(seed, `secret:${what}`, 64),
    scopes: [...scopes],
    name,
  };
}

/** The restricted keys of an account: one per scope, lacking that scope. */
export function restrictedKeys(seed: number, username: string): SandboxKey[] {
  return ALL_SCOPES.map((missing) =>
    derivedKey(seed, `${username}:without:${missing}`, ALL_SCOPES.filter((s) => s !== missing), `without_${missing}`),
  );
}

export function buildAccounts(specs: SandboxAccountSpec[], seed: number, created: string): SandboxAccount[] {
  const seenNames = new Set<string>();
  return specs.map((spec) => {
    const account: SandboxAccount = {
      id: derivedUuid(seed, `account:${spec.username}`),
      username: spec.username,
      email: `${spec.username}@example.com`,
      insertedAt: created,
      keys: [
        ...(spec.keys ?? [derivedKey(seed, spec.username, ALL_SCOPES, 'sandbox')]),
        ...restrictedKeys(seed, spec.username),
      ],
      models: [],
    };
    for (const m of spec.models) {
      const key = `${m.tournament}:${m.name}`;
      if (seenNames.has(key)) throw new Error(`sandbox: model name ${m.name} appears twice in tournament ${m.tournament}`);
      seenNames.add(key);
      account.models.push({
        id: m.id ?? derivedUuid(seed, `model:${spec.username}:${m.name}`),
        name: m.name,
        tournament: m.tournament,
        managedByModelUploads: m.managedByModelUploads ?? false,
        account,
        insertedAt: created,
        webhook: null,
        ...(m.joinedRoundsAgo === undefined ? {} : { joinedRoundsAgo: m.joinedRoundsAgo }),
      });
    }
    return account;
  });
}

export interface AuthResult {
  state: 'none' | 'invalid' | 'ok';
  account?: SandboxAccount;
  key?: SandboxKey;
}

/** `Authorization: Token <public_id>$<secret_key>`, split on the first `$`. */
export function authenticate(header: string | undefined, accounts: readonly SandboxAccount[]): AuthResult {
  if (header === undefined || header === '') return { state: 'none' };
  const m = /^Token\s+(.*)$/s.exec(header.trim());
  if (!m) return { state: 'invalid' };
  const token = m[1];
  const dollar = token.indexOf('$');
  if (dollar < 0) return { state: 'invalid' };
  const publicId = token.slice(0, dollar);
  const secret = token.slice(dollar + 1);
  for (const account of accounts) {
    for (const key of account.keys) {
      if (key.publicId === publicId && key.secretKey === secret) return { state: 'ok', account, key };
    }
  }
  return { state: 'invalid' };
}
