/**
 * The sandbox's world: accounts and models, the round clock, dataset files, uploads, recorded submissions; and the
 * GraphQL resolvers over it, which answer with Numerai's messages.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { checkParsedSubmission, checkSubmissionCsv } from '../submission/csv.js';
import { COLUMNS, legacyMessage, rulesForTournament } from '../submission/rules.js';
import { authenticate, type AuthResult, type SandboxAccount, type SandboxModel } from './accounts.js';
import { datestamp, iso, ROUND_NOT_OPEN, type RoundClock, type RoundTimes } from './clock.js';
import { classicLiveIds, isLiveFile, tournamentKey, type DataStore, type RoundData } from './datasets.js';
import { arg } from './schema.js';
import type { UrlSigner } from './signing.js';
import type { RecordedSubmission, Scope } from './types.js';

export const MESSAGES = {
  session: 'Your session is invalid or has expired.',
  permission: (scope: Scope) => `Insufficient permission for ${scope}`,
  roundNotOpen: ROUND_NOT_OPEN,
  invalidTournament: 'invalid tournament',
  modelNotFound: (id: string) => `Model not found: ${id}`,
  modelIdRequired: 'modelId is required for accounts with multiple models',
  managed: (name: string) =>
    `Model ${name} is managed by Numerai Model Uploads: Numerai runs the model uploaded for it every round, so ` +
    'submissions through the API are refused for this model. Remove its model upload on numer.ai to submit through the API.',
  notUploaded: (filename: string) =>
    `File not found: ${filename}. PUT the file to the URL returned by submission_upload_auth before calling create_submission.`,
  unknownUpload: (filename: string) => `File not found: ${filename}. Ask submission_upload_auth for an upload URL and use the filename it returns.`,
  datasetNotFound: (filename: string) => `Dataset not found: ${filename}`,
  roundNotFound: (n: number) => `Round not found: ${n}`,
  submissionNotFound: (id: string) => `Submission not found: ${id}`,
  unreadable: (reason: string) => `Could not read the submission file: ${reason}`,
} as const;

export interface Upload {
  filename: string;
  kind: 'submission' | 'signals' | 'diagnostics' | 'pickle';
  modelId: string;
  tournament: number;
  bytes: Uint8Array | null;
}

export interface StoredSubmission extends RecordedSubmission {
  /** Seeded history (previous rounds), not recorded by create_submission. */
  history: boolean;
  /** Order of recording (ties of insertedAt, which has whole seconds). */
  seq: number;
}

let sequence = 0;

export interface Ctx {
  auth: AuthResult;
  baseUrl: string;
}

export class SandboxState {
  readonly uploads = new Map<string, Upload>();
  readonly stored: StoredSubmission[] = [];
  readonly diagnostics = new Map<string, { id: string; modelId: string; filename: string; insertedAt: string }>();

  constructor(
    readonly accounts: SandboxAccount[],
    readonly clock: RoundClock,
    readonly data: DataStore,
    readonly signer: UrlSigner,
    readonly now: () => number,
    readonly messageStyle: 'tools' | 'legacy',
  ) {}

  authenticate(header: string | undefined): AuthResult {
    return authenticate(header, this.accounts);
  }

  allModels(): SandboxModel[] {
    return this.accounts.flatMap((a) => a.models);
  }

  modelByName(name: string): SandboxModel {
    const matches = this.accounts[0].models.filter((m) => m.name === name);
    const found = matches[0] ?? this.allModels().find((m) => m.name === name);
    if (!found) throw new Error(`sandbox: no model named ${name} (models: ${this.allModels().map((m) => m.name).join(', ')})`);
    return found;
  }

  /** Seed each non-managed model with a submission for the two rounds before the current one. */
  seedHistory(): void {
    const current = this.clock.number;
    for (const model of this.allModels()) {
      if (model.managedByModelUploads) continue;
      for (const round of [current - 2, current - 1]) {
        const times = this.clock.times(round);
        if (!times) continue;
        this.stored.push({
          id: randomUUID(),
          modelId: model.id,
          modelName: model.name,
          tournament: model.tournament,
          round,
          filename: `predictions-${suffix()}.csv`,
          insertedAt: iso(times.openTime + 40 * 60_000),
          triggerId: null,
          selected: true,
          source: 'numerapi',
          dataDatestamp: datestamp(times.openTime),
          late: false,
          rows: 0,
          bytes: new Uint8Array(),
          history: true,
          seq: sequence++,
        });
      }
    }
  }

  // ---------------------------------------------------------------- auth helpers

  private requireScope(ctx: Ctx, scope: Scope): SandboxAccount {
    if (ctx.auth.state !== 'ok' || !ctx.auth.account || !ctx.auth.key) throw new GraphQLError(MESSAGES.session);
    if (!ctx.auth.key.scopes.includes(scope)) throw new GraphQLError(MESSAGES.permission(scope));
    return ctx.auth.account;
  }

  /** The caller's model: by id, or the only model of the account (in that tournament) when no id is given. */
  private ownModel(account: SandboxAccount, modelId: string | null | undefined, tournament?: number): SandboxModel {
    if (modelId === undefined || modelId === null || modelId === '') {
      const candidates = tournament === undefined ? account.models : account.models.filter((m) => m.tournament === tournament);
      if (candidates.length === 1) return candidates[0];
      throw new GraphQLError(MESSAGES.modelIdRequired);
    }
    const model = account.models.find((m) => m.id === modelId);
    if (!model) throw new GraphQLError(MESSAGES.modelNotFound(modelId));
    return model;
  }

  private validTournament(t: number | null | undefined): number {
    if (t === null || t === undefined || tournamentKey(t) === null) throw new GraphQLError(MESSAGES.invalidTournament);
    return t;
  }

  // ---------------------------------------------------------------- views

  roundView(tournament: number, times: RoundTimes) {
    const now = this.now();
    const resolved = times.resolveTime <= now;
    return {
      id: `${tournament}-${times.number}`,
      tournament,
      number: times.number,
      target: tournament === 8 ? 'target_cyrus_20' : 'target',
      openTime: iso(times.openTime),
      closeStakingTime: iso(times.closeStakingTime),
      closeTime: iso(times.closeTime),
      scoreTime: iso(times.scoreTime),
      resolveTime: iso(times.resolveTime),
      resolvedGeneral: resolved,
      resolvedStaking: resolved,
      payoutFactor: '0.8',
      stakeThreshold: '0.0',
      dataDatestamp: datestamp(times.openTime),
      minCorrMultiplier: 0.5,
      maxCorrMultiplier: 2.0,
      defaultCorrMultiplier: 0.5,
      minMmcMultiplier: 0.0,
      maxMmcMultiplier: 3.0,
      defaultMmcMultiplier: 2.0,
      roundScoreConfigs: [
        {
          id: `${tournament}-canon`,
          scoreConfigId: 'canon',
          roundNumberStart: 1,
          roundNumberEnd: null,
          name: 'corr20v2',
          version: 2,
          displayName: 'CORR',
          totalScoreDays: 20,
          returnsLagDays: 2,
          dataDelayDays: 1,
          universe: tournament === 8 ? 'classic' : tournament === 11 ? 'signals' : 'crypto',
          isCanonScore: true,
          isPayout: true,
          scoringStart: iso(times.scoreTime),
          scoringEnd: iso(times.resolveTime),
          minMultiplier: 0.5,
          maxMultiplier: 2.0,
          defaultMultiplier: 0.5,
          clipThreshold: 0.05,
          stakeThreshold: '0.0',
          payoutFactor: '0.8',
        },
      ],
    };
  }

  private submissionView(s: StoredSubmission) {
    const times = this.clock.times(s.round);
    return {
      id: s.id,
      filename: s.filename,
      insertedAt: s.insertedAt,
      triggerId: s.triggerId,
      selected: s.selected,
      source: s.source,
      dataDatestamp: s.dataDatestamp,
      firstEffectiveDate: s.tournament === 11 && times ? iso(times.scoreTime).slice(0, 10) : null,
      round: times ? this.roundView(s.tournament, times) : { number: s.round, tournament: s.tournament },
    };
  }

  private modelView(model: SandboxModel) {
    return {
      id: model.id,
      name: model.name,
      username: model.name,
      displayName: model.name,
      tournament: model.tournament,
      insertedAt: model.insertedAt,
      submissionWebhook: model.webhook,
      v2Stake: { status: null, txHash: null },
      submissions: (_args: unknown, ctx: Ctx) => {
        this.requireScope(ctx, 'read_submission_info');
        return this.submissionsOf(model.id).map((s) => this.submissionView(s));
      },
      latestSubmissions: (_args: unknown, ctx: Ctx) => {
        this.requireScope(ctx, 'read_submission_info');
        const times = this.clock.currentTimes();
        const subs = this.submissionsOf(model.id).filter((s) => s.round === times.number && s.selected);
        const latest = subs[0];
        return [
          {
            roundNumber: times.number,
            roundOpen: iso(times.openTime).slice(0, 10),
            roundCloseStaking: iso(times.closeStakingTime).slice(0, 10),
            roundClose: iso(times.closeTime).slice(0, 10),
            filename: latest?.filename ?? null,
            status: latest ? (latest.late ? 'late' : 'submitted') : 'none',
            timestamp: latest?.insertedAt ?? null,
          },
        ];
      },
    };
  }

  /** A model's submissions, newest first. */
  submissionsOf(modelId: string): StoredSubmission[] {
    return this.stored.filter((s) => s.modelId === modelId).sort(newestFirst);
  }

  // ---------------------------------------------------------------- dataset URLs

  datasetUrl(baseUrl: string, round: number, filename: string): string {
    const path = `/datasets/${round}/${filename.split('/').map(encodeURIComponent).join('/')}`;
    return `${baseUrl}${path}?${this.signer.sign('GET', path)}`;
  }

  uploadUrl(baseUrl: string, filename: string): string {
    const path = `/uploads/${encodeURIComponent(filename)}`;
    return `${baseUrl}${path}?${this.signer.sign('PUT', path)}`;
  }

  submissionDownloadUrl(baseUrl: string, s: StoredSubmission): string {
    const path = `/submissions/${s.id}/${encodeURIComponent(s.filename)}`;
    return `${baseUrl}${path}?${this.signer.sign('GET', path)}`;
  }

  // ---------------------------------------------------------------- resolvers

  readonly resolvers: Record<string, (args: Record<string, unknown>, ctx: Ctx) => unknown> = {
    rounds: (args) => {
      const tournament = arg<number>(args, 'tournament') ?? 8;
      const number = arg<number>(args, 'number');
      const status = arg<string>(args, 'status');
      const limit = arg<number>(args, 'limit');
      if (tournamentKey(tournament) === null) return [];
      if (number === 0) {
        if (!this.clock.acceptsSubmissions()) {
          if (this.clock.closedShape === 'error') throw new GraphQLError(MESSAGES.roundNotOpen);
          return [null];
        }
        return [this.roundView(tournament, this.clock.currentTimes())];
      }
      if (number !== undefined && number !== null) {
        const t = this.clock.times(number);
        return t ? [this.roundView(tournament, t)] : [];
      }
      const now = this.now();
      const out = [];
      for (let n = this.clock.number; n >= Math.max(1, this.clock.number - 99); n--) {
        const t = this.clock.times(n)!;
        const isOpen = n === this.clock.number && this.clock.acceptsSubmissions();
        const st = isOpen ? 'OPEN' : t.resolveTime <= now ? 'RESOLVED' : 'RESOLVING';
        if (status && status !== st) continue;
        out.push(this.roundView(tournament, t));
        if (limit !== undefined && limit !== null && out.length >= limit) break;
      }
      return out;
    },

    tournaments: () => [
      { id: '8', name: 'classic', tournament: 8, active: true },
      { id: '11', name: 'signals', tournament: 11, active: true },
      { id: '12', name: 'crypto', tournament: 12, active: true },
    ],

    account: (_args, ctx) => {
      const account = this.requireScope(ctx, 'read_user_info');
      return {
        id: account.id,
        username: account.username,
        email: account.email,
        walletAddress: '0x0000000000000000000000000000000000000000',
        availableNmr: '0.000000000000000000',
        mfaEnabled: false,
        status: 'VERIFIED',
        insertedAt: account.insertedAt,
        models: account.models.map((m) => this.modelView(m)),
        apiTokens: account.keys.map((k) => ({ name: k.name ?? 'sandbox', public_id: k.publicId, scopes: k.scopes })),
      };
    },

    model: (args, ctx) => {
      const account = this.requireScope(ctx, 'read_user_info');
      const id = arg<string>(args, 'modelId');
      return this.modelView(this.ownModel(account, id));
    },

    submissions: (args, ctx) => {
      const account = this.requireScope(ctx, 'read_submission_info');
      const id = arg<string>(args, 'modelId');
      const tournament = arg<number>(args, 'tournament');
      const models = id ? [this.ownModel(account, id)] : account.models.filter((m) => tournament === undefined || tournament === null || m.tournament === tournament);
      return models
        .flatMap((m) => this.submissionsOf(m.id))
        .sort(newestFirst)
        .map((s) => this.submissionView(s));
    },

    listDatasets: async (args) => {
      const round = this.roundArg(arg<number>(args, 'round'));
      const tournament = arg<number>(args, 'tournament');
      const all = await this.data.list(round);
      if (tournament === undefined || tournament === null) return all;
      const key = tournamentKey(tournament);
      if (!key) return [];
      return all.filter((p) => (key === 'classic' ? !p.startsWith('signals/') && !p.startsWith('crypto/') : p.startsWith(`${key}/`)));
    },

    dataset: async (args, ctx) => {
      const filename = arg<string>(args, 'filename')!;
      const requestedRound = arg<number>(args, 'round');
      let round = this.roundArg(requestedRound);
      let path = filename;
      // live_<round>.parquet (as in Numerai's docs) resolves to that round's live file
      const m = /^(.*\/)?live_(\d+)\.parquet$/.exec(filename);
      if (m) {
        round = this.roundArg(Number(m[2]));
        path = `${m[1] ?? ''}live.parquet`;
      }
      const all = await this.data.list(round);
      if (!all.includes(path)) throw new GraphQLError(MESSAGES.datasetNotFound(filename));
      const current = requestedRound === undefined || requestedRound === null || requestedRound === 0 || round === this.clock.number;
      if (current && !m && isLiveFile(path) && !this.clock.acceptsSubmissions()) throw new GraphQLError(MESSAGES.roundNotOpen);
      return this.datasetUrl(ctx.baseUrl, round, path);
    },

    submission_upload_auth: (args, ctx) => this.uploadAuth(args, ctx, 'submission'),
    submissionUploadSignalsAuth: (args, ctx) => this.uploadAuth(args, ctx, 'signals'),
    diagnosticsUploadAuth: (args, ctx) => this.uploadAuth(args, ctx, 'diagnostics'),
    computePickleUploadAuth: (args, ctx) => this.uploadAuth(args, ctx, 'pickle'),

    submissionDownloadAuth: (args, ctx) => {
      const account = this.requireScope(ctx, 'read_submission_info');
      const id = arg<string>(args, 'id')!;
      const s = this.stored.find((x) => x.id === id && account.models.some((m) => m.id === x.modelId));
      if (!s) throw new GraphQLError(MESSAGES.submissionNotFound(id));
      return { filename: s.filename, url: this.submissionDownloadUrl(ctx.baseUrl, s) };
    },

    create_submission: (args, ctx) => this.createSubmission(args, ctx, 'classic'),
    createSignalsSubmission: (args, ctx) => this.createSubmission(args, ctx, 'signals'),

    createDiagnostics: (args, ctx) => {
      const account = this.requireScope(ctx, 'upload_submission');
      const tournament = this.validTournament(arg<number>(args, 'tournament'));
      const model = this.ownModel(account, arg<string>(args, 'modelId'), tournament);
      const filename = arg<string>(args, 'filename')!;
      const upload = this.uploads.get(filename);
      if (!upload || upload.kind !== 'diagnostics' || upload.modelId !== model.id) throw new GraphQLError(MESSAGES.unknownUpload(filename));
      if (!upload.bytes) throw new GraphQLError(MESSAGES.notUploaded(filename));
      const d = { id: randomUUID(), modelId: model.id, filename, insertedAt: iso(this.now()) };
      this.diagnostics.set(d.id, d);
      return { id: d.id, status: 'pending', message: null, updatedAt: d.insertedAt };
    },

    diagnostics: (args, ctx) => {
      const account = this.requireScope(ctx, 'read_submission_info');
      const model = this.ownModel(account, arg<string>(args, 'modelId'));
      const id = arg<string>(args, 'id');
      const all = [...this.diagnostics.values()].filter((d) => d.modelId === model.id);
      const d = id ? all.find((x) => x.id === id) : all[all.length - 1];
      if (!d) return null;
      return { id: d.id, status: 'done', message: 'sandbox: diagnostics are not computed', updatedAt: d.insertedAt, erasAcceptedCount: 0, trainedOnVal: false };
    },

    accountProfile: (args) => {
      const username = arg<string>(args, 'username');
      const tournament = arg<number>(args, 'tournament');
      const account = this.accounts.find((a) => a.username === username || a.models.some((m) => m.name === username));
      if (!account) throw new GraphQLError(`Account not found: ${username}`);
      return {
        username: account.username,
        models: account.models
          .filter((m) => tournament === undefined || tournament === null || m.tournament === tournament)
          .map((m) => ({ id: m.id, displayName: m.name, username: m.name, tournament: m.tournament })),
      };
    },

    computePickleDataVersions: () => [
      { id: 'sandbox-data-v5.2', name: 'v5.2' },
      { id: 'sandbox-data-v5.3', name: 'v5.3' },
    ],
    computePickleDockerImages: () => [{ id: 'sandbox-python-3.12', name: 'Python 3.12' }],

    createComputePickleUpload: (args, ctx) => {
      const account = this.requireScope(ctx, 'upload_submission');
      const model = this.ownModel(account, arg<string>(args, 'modelId'));
      const filename = arg<string>(args, 'filename')!;
      const upload = this.uploads.get(filename);
      if (!upload || upload.kind !== 'pickle' || upload.modelId !== model.id) throw new GraphQLError(MESSAGES.unknownUpload(filename));
      if (!upload.bytes) throw new GraphQLError(MESSAGES.notUploaded(filename));
      return { id: randomUUID(), filename };
    },

    setSubmissionWebhook: (args, ctx) => {
      const account = this.requireScope(ctx, 'upload_submission');
      const model = this.ownModel(account, arg<string>(args, 'modelId'));
      model.webhook = arg<string>(args, 'newSubmissionWebhook') ?? null;
      return 'true';
    },

    triggerModelWebhook: (args, ctx) => {
      const account = this.requireScope(ctx, 'upload_submission');
      const model = this.ownModel(account, arg<string>(args, 'modelId'));
      if (!model.webhook) throw new GraphQLError(`Model ${model.name} has no submission webhook`);
      return randomUUID();
    },
  };

  /** A round argument: null/0 is the current round; a later round does not exist. */
  private roundArg(round: number | null | undefined): number {
    if (round === undefined || round === null || round === 0) return this.clock.number;
    if (round < 0 || round > this.clock.number) throw new GraphQLError(MESSAGES.roundNotFound(round));
    return round;
  }

  private uploadAuth(args: Record<string, unknown>, ctx: Ctx, kind: Upload['kind']) {
    const account = this.requireScope(ctx, 'upload_submission');
    const filename = arg<string>(args, 'filename')!;
    let tournament = arg<number>(args, 'tournament');
    if (kind === 'signals' && (tournament === undefined || tournament === null)) tournament = 11;
    const modelId = arg<string>(args, 'modelId');
    let model: SandboxModel;
    if (kind === 'pickle') {
      model = this.ownModel(account, modelId);
    } else {
      const t = this.validTournament(tournament);
      if (kind === 'signals' && t !== 11) throw new GraphQLError(MESSAGES.invalidTournament);
      model = this.ownModel(account, modelId, t);
      if (model.tournament !== t) throw new GraphQLError(MESSAGES.invalidTournament);
      if ((kind === 'submission' || kind === 'signals') && model.managedByModelUploads) throw new GraphQLError(MESSAGES.managed(model.name));
    }
    const base = filename.replace(/^.*[\\/]/, '');
    const dot = base.lastIndexOf('.');
    const stored = dot > 0 ? `${base.slice(0, dot)}-${suffix()}${base.slice(dot)}` : `${base}-${suffix()}`;
    this.uploads.set(stored, { filename: stored, kind, modelId: model.id, tournament: model.tournament, bytes: null });
    return { filename: stored, url: this.uploadUrl(ctx.baseUrl, stored) };
  }

  private async createSubmission(args: Record<string, unknown>, ctx: Ctx, kind: 'classic' | 'signals') {
    const account = this.requireScope(ctx, 'upload_submission');
    const tournament = kind === 'signals' ? 11 : this.validTournament(arg<number>(args, 'tournament'));
    if (kind === 'classic' && tournament === 11) throw new GraphQLError(MESSAGES.invalidTournament);
    const model = this.ownModel(account, arg<string>(args, 'modelId'), tournament);
    if (model.tournament !== tournament) throw new GraphQLError(MESSAGES.invalidTournament);
    if (model.managedByModelUploads) throw new GraphQLError(MESSAGES.managed(model.name));
    if (!this.clock.acceptsSubmissions()) throw new GraphQLError(MESSAGES.roundNotOpen);
    const filename = arg<string>(args, 'filename')!;
    const upload = this.uploads.get(filename);
    const expectedKind = kind === 'signals' ? 'signals' : 'submission';
    if (!upload || upload.kind !== expectedKind || upload.modelId !== model.id) throw new GraphQLError(MESSAGES.unknownUpload(filename));
    if (!upload.bytes) throw new GraphQLError(MESSAGES.notUploaded(filename));

    const roundNumber = this.clock.number;
    const data = await this.data.get(roundNumber);
    const rules = rulesForTournament(tournament);
    const liveIds = rules === 'classic' ? classicLiveIds(data) : rules === 'signals' ? data.signalsIds : data.cryptoIds;
    const check = await checkUpload(filename, upload.bytes, liveIds, rules);
    if (!check.ok) {
      const message = check.problems[0];
      throw new GraphQLError(this.messageStyle === 'legacy' ? legacyMessage(message) : message);
    }
    for (const s of this.stored) {
      if (s.modelId === model.id && s.round === roundNumber) s.selected = false;
    }
    const times = this.clock.currentTimes();
    const submission: StoredSubmission = {
      id: randomUUID(),
      modelId: model.id,
      modelName: model.name,
      tournament,
      round: roundNumber,
      filename,
      insertedAt: iso(Math.max(this.now(), times.openTime)),
      triggerId: arg<string>(args, 'triggerId') ?? null,
      selected: true,
      source: arg<string>(args, 'source') ?? null,
      dataDatestamp: arg<number>(args, 'dataDatestamp') ?? null,
      late: this.clock.isLate(),
      rows: check.rows,
      bytes: upload.bytes,
      history: false,
      seq: sequence++,
    };
    this.stored.push(submission);
    return this.submissionView(submission);
  }

  liveIdsOf(data: RoundData, version?: string): string[] {
    if (version === 'signals') return data.signalsIds;
    if (version === 'crypto') return data.cryptoIds;
    return classicLiveIds(data, version);
  }
}

function newestFirst(a: StoredSubmission, b: StoredSubmission): number {
  if (a.insertedAt !== b.insertedAt) return a.insertedAt < b.insertedAt ? 1 : -1;
  return b.seq - a.seq;
}

/** Validate an uploaded CSV or parquet file with Numerai's rules. */
async function checkUpload(
  filename: string,
  bytes: Uint8Array,
  liveIds: readonly string[],
  rules: ReturnType<typeof rulesForTournament>,
): Promise<{ ok: boolean; problems: string[]; rows: number }> {
  if (/\.parquet$/i.test(filename)) {
    let rows: Record<string, unknown>[];
    try {
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      rows = await parquetReadObjects({ file, compressors });
    } catch (error) {
      return { ok: false, problems: [MESSAGES.unreadable((error as Error).message)], rows: 0 };
    }
    let header = rows.length > 0 ? Object.keys(rows[0]) : [];
    // pandas' to_parquet writes a named index (id) after the data columns: read the two columns by name
    const cols = COLUMNS[rules];
    const named = header.filter((h) => h !== '__index_level_0__');
    if (named.length === 2 && cols.prediction.includes(named[0]) && cols.id.includes(named[1])) header = [named[1], named[0]];
    const idCol = header[0];
    const predCol = header[1];
    const ids = rows.map((r) => (r[idCol] === null || r[idCol] === undefined ? '' : String(r[idCol])));
    const preds = rows.map((r) => (typeof r[predCol] === 'number' ? (r[predCol] as number) : NaN));
    const check = checkParsedSubmission(header, ids, preds, liveIds, rules);
    return { ok: check.ok, problems: check.problems, rows: rows.length };
  }
  const check = checkSubmissionCsv(bytes, liveIds, rules);
  if (!check.ok && check.problems[0].startsWith('Malformed submission CSV')) {
    return { ok: false, problems: [MESSAGES.unreadable(check.problems[0])], rows: 0 };
  }
  const text = new TextDecoder().decode(bytes);
  const rows = Math.max(0, text.split(/\r?\n/).filter((l) => l.trim() !== '').length - 1);
  return { ok: check.ok, problems: check.problems, rows };
}

/** A random suffix like the real stored filenames' (`predictions-pPbLKSHGiR.csv`). */
export function suffix(length = 10): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}
