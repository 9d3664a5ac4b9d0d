/**
 * Uploads a run's submission CSVs (submitted or dry-run) and its JSON report as one workflow artifact, so every
 * run keeps a record of exactly what was sent to Numerai. An artifact is a record, not the job: any failure is a
 * warning and never changes the run's result.
 */
import { createHash } from 'node:crypto';
import { isFile } from './files.js';
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { messageOf } from '../data/errors.js';
import type { Reporter } from '../pipeline/ports.js';
import type { RunReport } from '../pipeline/report.js';

/** The part of @actions/artifact used here (the real client by default). */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number },
  ): Promise<{ id?: number; size?: number }>;
}

export interface RunArtifactOptions {
  report: RunReport;
  /** The JSON report written for this run. */
  reportPath: string;
  /** GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT: artifact names must be unique within a run, and reruns are attempts. */
  runId: string;
  runAttempt: string;
  logger: Pick<Reporter, 'log'>;
  /** Distinguishes jobs of one run that each upload (e.g. a matrix shard). Derived from the models on a clash. */
  suffix?: string;
  /** Days to keep the artifact; the repository's default when absent (the service caps it at its maximum). */
  retentionDays?: number;
  client?: ArtifactUploader;
}

export interface UploadedArtifact {
  name: string;
  id: number | undefined;
  size: number | undefined;
  /** The uploaded files, relative to the artifact's root. */
  files: string[];
}

export const ARTIFACT_NAME_PREFIX = 'numerai-submissions';

/** `numerai-submissions-<run_id>-<run_attempt>[-<suffix>]`, with the suffix reduced to characters names allow. */
export function artifactName(runId: string, runAttempt: string, suffix?: string): string {
  const base = `${ARTIFACT_NAME_PREFIX}-${runId}-${runAttempt}`;
  const cleaned = suffix?.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return cleaned ? `${base}-${cleaned}` : base;
}

/**
 * Uploads the report and every CSV the report points at. Returns what was uploaded, or null when nothing was
 * (with a warning saying why).
 */
export async function uploadRunArtifacts(options: RunArtifactOptions): Promise<UploadedArtifact | null> {
  const { report, logger } = options;
  const client = options.client ?? new DefaultArtifactClient();
  const candidates = [options.reportPath, ...report.models.flatMap((m) => (m.csvPath ? [m.csvPath] : []))];
  const files: string[] = [];
  for (const candidate of new Set(candidates.map((f) => path.resolve(f)))) {
    if (await isFile(candidate)) files.push(candidate);
    else logger.log('warning', `Not adding ${candidate} to the run's artifact: the file does not exist.`);
  }
  if (files.length === 0) return null;
  const root = commonDirectory(files);
  const upload = async (name: string): Promise<UploadedArtifact> => {
    const result = await client.uploadArtifact(name, files, root, { retentionDays: options.retentionDays });
    logger.log('info', `Uploaded ${files.length} file(s) as the artifact ${name}.`);
    return { name, id: result.id, size: result.size, files: files.map((f) => path.relative(root, f)) };
  };

  let name = artifactName(options.runId, options.runAttempt, options.suffix);
  try {
    return await upload(name);
  } catch (error) {
    if (!isNameConflict(error) || options.suffix) return warn(logger, name, error);
    // Another job of this run (a matrix shard) already used the name: name this job's artifact by its models.
    name = artifactName(options.runId, options.runAttempt, modelsFingerprint(report));
    try {
      return await upload(name);
    } catch (retryError) {
      return warn(logger, name, retryError);
    }
  }
}

function warn(logger: Pick<Reporter, 'log'>, name: string, error: unknown): null {
  const message = messageOf(error);
  logger.log(
    'warning',
    `Could not upload the artifact ${name} (submission CSVs and JSON report): ${message}. ` +
      'The submissions are not affected; the files are still in the output folder of this job.',
  );
  return null;
}

function isNameConflict(error: unknown): boolean {
  return error instanceof Error && /\(409\)|already exists/i.test(error.message);
}

/** A short, stable name for the set of models in this job's report. */
function modelsFingerprint(report: RunReport): string {
  const names = report.models.map((m) => m.model).sort();
  return `models-${createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 8)}`;
}

function commonDirectory(files: string[]): string {
  let common = path.dirname(files[0]);
  for (const file of files.slice(1)) {
    while (path.relative(common, file).split(path.sep)[0] === '..') common = path.dirname(common);
  }
  return common;
}
