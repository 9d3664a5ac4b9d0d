/**
 * Upload URLs, shared by every kind of upload (submissions, signals, diagnostics, model pickles): the upload-auth
 * queries register a stored filename and answer its signed PUT URL; transfers.ts fills the bytes.
 */
import { randomBytes } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ACCESS_MESSAGES, ownModel, requireScope, validTournament } from '../access.js';
import type { SandboxModel } from '../accounts/keys.js';
import type { Ctx } from '../part.js';
import { arg } from '../spellings.js';
import type { SandboxWorld, Upload } from '../world.js';

export const UPLOAD_MESSAGES = {
  managed: (name: string) =>
    `Model ${name} is managed by Numerai Model Uploads: Numerai runs the model uploaded for it every round, so ` +
    'submissions through the API are refused for this model. Remove its model upload on numer.ai to submit through the API.',
  notUploaded: (filename: string) =>
    `File not found: ${filename}. PUT the file to the URL returned by submission_upload_auth before calling create_submission.`,
  unknownUpload: (filename: string) => `File not found: ${filename}. Ask submission_upload_auth for an upload URL and use the filename it returns.`,
} as const;

/** Register an upload of this kind for the caller's model; answer its stored filename and signed PUT URL. */
export function uploadAuth(world: SandboxWorld, args: Record<string, unknown>, ctx: Ctx, kind: Upload['kind']) {
  const account = requireScope(ctx, 'upload_submission');
  const filename = arg<string>(args, 'filename')!;
  let tournament = arg<number>(args, 'tournament');
  if (kind === 'signals' && (tournament === undefined || tournament === null)) tournament = 11;
  const modelId = arg<string>(args, 'modelId');
  let model: SandboxModel;
  if (kind === 'pickle') {
    model = ownModel(account, modelId);
  } else {
    const t = validTournament(tournament);
    if (kind === 'signals' && t !== 11) throw new GraphQLError(ACCESS_MESSAGES.invalidTournament);
    model = ownModel(account, modelId, t);
    if (model.tournament !== t) throw new GraphQLError(ACCESS_MESSAGES.invalidTournament);
    if ((kind === 'submission' || kind === 'signals') && model.managedByModelUploads) throw new GraphQLError(UPLOAD_MESSAGES.managed(model.name));
  }
  const base = filename.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  const stored = dot > 0 ? `${base.slice(0, dot)}-${suffix()}${base.slice(dot)}` : `${base}-${suffix()}`;
  world.uploads.set(stored, { filename: stored, kind, modelId: model.id, tournament: model.tournament, bytes: null });
  return { filename: stored, url: uploadUrl(world, ctx.baseUrl, stored) };
}

/** The upload of this kind for this model whose bytes have arrived; Numerai's messages when it is unknown or empty. */
export function uploadedFile(world: SandboxWorld, filename: string, kind: Upload['kind'], model: SandboxModel): Upload & { bytes: Uint8Array } {
  const upload = world.uploads.get(filename);
  if (!upload || upload.kind !== kind || upload.modelId !== model.id) throw new GraphQLError(UPLOAD_MESSAGES.unknownUpload(filename));
  if (!upload.bytes) throw new GraphQLError(UPLOAD_MESSAGES.notUploaded(filename));
  return upload as Upload & { bytes: Uint8Array };
}

function uploadUrl(world: SandboxWorld, baseUrl: string, filename: string): string {
  const path = `/uploads/${encodeURIComponent(filename)}`;
  return `${baseUrl}${path}?${world.signer.sign('PUT', path)}`;
}

/** A random suffix like the real stored filenames' (`predictions-pPbLKSHGiR.csv`). */
export function suffix(length = 10): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}
