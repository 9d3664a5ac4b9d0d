/**
 * The submissions part of the API: upload URLs for classic and signals predictions, `create_submission` and
 * `createSignalsSubmission` (checked with Numerai's rules), a model's submissions and latest submission, and signed
 * download URLs of recorded submissions.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { legacyMessage, rulesForTournament } from '../../submission/rules.js';
import { ACCESS_MESSAGES, ownModel, requireScope, validTournament } from '../access.js';
import type { ModelView } from '../accounts/api.js';
import { classicLiveIds } from '../datasets/files.js';
import type { ApiPart, Ctx } from '../part.js';
import { roundView } from '../rounds/api.js';
import type { SandboxModel } from '../accounts/keys.js';
import { datestamp, iso, ROUND_NOT_OPEN } from '../rounds/clock.js';
import { DEFAULT_HISTORY_PATTERN, parsePattern, seededSubmissions, type SandboxHistory } from '../rounds/history.js';
import { arg } from '../spellings.js';
import type { SandboxWorld, StoredSubmission } from '../world.js';
import { checkUpload } from './check.js';
import { suffix, UPLOAD_MESSAGES, uploadAuth, uploadedFile } from './uploads.js';

export const submissionNotFound = (id: string) => `Submission not found: ${id}`;

export const submissionsApi: ApiPart = {
  sdl: /* GraphQL */ `
extend type RootQueryType {
  submissions(modelId: String, tournament: Int): [Submission]
  submission_upload_auth(filename: String!, tournament: Int!, modelId: String): UploadAuth
  submissionUploadSignalsAuth(filename: String!, tournament: Int, modelId: String): UploadAuth
  submissionDownloadAuth(id: String!): UploadAuth
}

extend type RootMutationType {
  create_submission(filename: String!, tournament: Int!, modelId: String, triggerId: String, source: String, dataDatestamp: Int): Submission
  createSignalsSubmission(filename: String!, modelId: String, triggerId: String, source: String, dataDatestamp: Int): Submission
}

extend type Model {
  submissions: [Submission]
  latestSubmissions: [LatestSubmission]
}

type Submission {
  id: String
  filename: String
  insertedAt: String
  triggerId: String
  selected: Boolean
  source: String
  dataDatestamp: Int
  firstEffectiveDate: String
  round: Round
}

type LatestSubmission {
  roundNumber: Int
  roundOpen: String
  roundCloseStaking: String
  roundClose: String
  filename: String
  status: String
  timestamp: String
}

type UploadAuth { filename: String url: String }
`,
  resolvers: (world) => ({
    RootQueryType: {
      submissions: (_source, args, ctx) => {
        const account = requireScope(ctx, 'read_submission_info');
        const id = arg<string>(args, 'modelId');
        const tournament = arg<number>(args, 'tournament');
        const models = id ? [ownModel(account, id)] : account.models.filter((m) => tournament === undefined || tournament === null || m.tournament === tournament);
        return models
          .flatMap((m) => submissionsOf(world, m.id))
          .sort(newestFirst)
          .map((s) => submissionView(world, s));
      },
      submission_upload_auth: (_source, args, ctx) => uploadAuth(world, args, ctx, 'submission'),
      submissionUploadSignalsAuth: (_source, args, ctx) => uploadAuth(world, args, ctx, 'signals'),
      submissionDownloadAuth: (_source, args, ctx) => {
        const account = requireScope(ctx, 'read_submission_info');
        const id = arg<string>(args, 'id')!;
        const s = world.stored.find((x) => x.id === id && account.models.some((m) => m.id === x.modelId));
        if (!s) throw new GraphQLError(submissionNotFound(id));
        return { filename: s.filename, url: submissionDownloadUrl(world, ctx.baseUrl, s) };
      },
    },
    RootMutationType: {
      create_submission: (_source, args, ctx) => createSubmission(world, args, ctx, 'classic'),
      createSignalsSubmission: (_source, args, ctx) => createSubmission(world, args, ctx, 'signals'),
    },
    Model: {
      submissions: (view: ModelView, _args, ctx) => {
        requireScope(ctx, 'read_submission_info');
        return submissionsOf(world, view.id).map((s) => submissionView(world, s));
      },
      latestSubmissions: (view: ModelView, _args, ctx) => {
        requireScope(ctx, 'read_submission_info');
        const times = world.clock.currentTimes();
        const subs = submissionsOf(world, view.id).filter((s) => s.round === times.number && s.selected);
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
    },
  }),
};

/**
 * Seed each non-managed model's submissions to earlier rounds from its history pattern (history.ts): the given one,
 * else on time in the two rounds before the current one.
 */
export function seedHistory(world: SandboxWorld, patterns: SandboxHistory = {}): void {
  for (const name of Object.keys(patterns)) world.modelByName(name);
  for (const model of world.allModels()) {
    if (model.managedByModelUploads) continue;
    setModelHistory(world, model, patterns[model.name] ?? DEFAULT_HISTORY_PATTERN);
  }
}

/** Replace a model's seeded history with the submissions of a pattern ending at the round before the current one. */
export function setModelHistory(world: SandboxWorld, model: SandboxModel, pattern: string): void {
  const marks = parsePattern(model.name, pattern);
  for (let i = world.stored.length - 1; i >= 0; i--) if (world.stored[i].history && world.stored[i].modelId === model.id) world.stored.splice(i, 1);
  const seeded = seededSubmissions(marks, world.clock.number - 1, (round) => world.clock.times(round));
  for (const { round, insertedAt, late } of seeded) {
    const times = world.clock.times(round)!;
    world.stored.push({
      id: randomUUID(),
      modelId: model.id,
      modelName: model.name,
      tournament: model.tournament,
      round,
      filename: `predictions-${suffix()}.csv`,
      insertedAt: iso(insertedAt),
      triggerId: null,
      selected: true,
      source: 'numerapi',
      dataDatestamp: datestamp(times.openTime),
      late,
      rows: 0,
      bytes: new Uint8Array(),
      history: true,
      seq: world.nextSequence(),
    });
  }
}

async function createSubmission(world: SandboxWorld, args: Record<string, unknown>, ctx: Ctx, kind: 'classic' | 'signals') {
  const account = requireScope(ctx, 'upload_submission');
  const tournament = kind === 'signals' ? 11 : validTournament(arg<number>(args, 'tournament'));
  if (kind === 'classic' && tournament === 11) throw new GraphQLError(ACCESS_MESSAGES.invalidTournament);
  const model = ownModel(account, arg<string>(args, 'modelId'), tournament);
  if (model.tournament !== tournament) throw new GraphQLError(ACCESS_MESSAGES.invalidTournament);
  if (model.managedByModelUploads) throw new GraphQLError(UPLOAD_MESSAGES.managed(model.name));
  if (!world.clock.acceptsSubmissions()) throw new GraphQLError(ROUND_NOT_OPEN);
  const filename = arg<string>(args, 'filename')!;
  const upload = uploadedFile(world, filename, kind === 'signals' ? 'signals' : 'submission', model);

  const roundNumber = world.clock.number;
  const data = await world.data.get(roundNumber);
  const rules = rulesForTournament(tournament);
  const liveIds = rules === 'classic' ? classicLiveIds(data) : rules === 'signals' ? data.signalsIds : data.cryptoIds;
  const check = await checkUpload(filename, upload.bytes, liveIds, rules);
  if (!check.ok) {
    const message = check.problems[0];
    throw new GraphQLError(world.messageStyle === 'legacy' ? legacyMessage(message) : message);
  }
  for (const s of world.stored) {
    if (s.modelId === model.id && s.round === roundNumber) s.selected = false;
  }
  const times = world.clock.currentTimes();
  const submission: StoredSubmission = {
    id: randomUUID(),
    modelId: model.id,
    modelName: model.name,
    tournament,
    round: roundNumber,
    filename,
    insertedAt: iso(Math.max(world.now(), times.openTime)),
    triggerId: arg<string>(args, 'triggerId') ?? null,
    selected: true,
    source: arg<string>(args, 'source') ?? null,
    dataDatestamp: arg<number>(args, 'dataDatestamp') ?? null,
    late: world.clock.isLate(),
    rows: check.rows,
    bytes: upload.bytes,
    history: false,
    seq: world.nextSequence(),
  };
  world.stored.push(submission);
  return submissionView(world, submission);
}

/** A model's submissions, newest first. */
function submissionsOf(world: SandboxWorld, modelId: string): StoredSubmission[] {
  return world.stored.filter((s) => s.modelId === modelId).sort(newestFirst);
}

function newestFirst(a: StoredSubmission, b: StoredSubmission): number {
  if (a.insertedAt !== b.insertedAt) return a.insertedAt < b.insertedAt ? 1 : -1;
  return b.seq - a.seq;
}

function submissionView(world: SandboxWorld, s: StoredSubmission) {
  const times = world.clock.times(s.round);
  return {
    id: s.id,
    filename: s.filename,
    insertedAt: s.insertedAt,
    triggerId: s.triggerId,
    selected: s.selected,
    source: s.source,
    dataDatestamp: s.dataDatestamp,
    firstEffectiveDate: s.tournament === 11 && times ? iso(times.scoreTime).slice(0, 10) : null,
    round: times ? roundView(world, s.tournament, times) : { number: s.round, tournament: s.tournament },
  };
}

/** The signed GET URL of a recorded submission's file, served by transfers.ts. */
function submissionDownloadUrl(world: SandboxWorld, baseUrl: string, s: StoredSubmission): string {
  const path = `/submissions/${s.id}/${encodeURIComponent(s.filename)}`;
  return `${baseUrl}${path}?${world.signer.sign('GET', path)}`;
}
