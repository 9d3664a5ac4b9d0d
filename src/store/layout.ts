/**
 * The data folder's layout, the same for every dataset store: `<dataDir>/<tournament>/<version>/<round>/<file>`,
 * with the tournament and the round as numbers, e.g. `.numerai-data/8/v5.2/1234/live.parquet`. The Actions cache
 * store derives its entries' version from these paths, so they must stay exactly as they are: a changed path
 * would miss every entry saved before.
 */
import path from 'node:path';
import type { DatasetKey } from '../pipeline/ports.js';

/** Dataset versions and file names become path segments and cache keys: keep them to a safe alphabet. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Where a dataset file lives under `dataDir`: `<dataDir>/<tournament>/<version>/<round>/<file>`, absolute.
 * The cache entry's version is derived from this path, so it must be the same string in every run: runners give
 * each repository the same workspace path, and the path is resolved once here.
 */
export function datasetPath(dataDir: string, key: DatasetKey): string {
  checkDatasetKey(key);
  return path.resolve(dataDir, String(key.tournament), key.version, String(key.round), ...key.file.split('/'));
}

/** The folder of one tournament's dataset versions, `<dataDir>/<tournament>`, absolute. */
export function tournamentFolder(dataDir: string, tournament: number): string {
  throwIfAny(keyProblems({ tournament }));
  return path.resolve(dataDir, String(tournament));
}

/** The folder of one dataset version's rounds, `<dataDir>/<tournament>/<version>`, absolute. */
export function versionFolder(dataDir: string, key: Pick<DatasetKey, 'tournament' | 'version'>): string {
  throwIfAny(keyProblems({ tournament: key.tournament, version: key.version }));
  return path.resolve(dataDir, String(key.tournament), key.version);
}

/** The folder of one round of a dataset version, `<dataDir>/<tournament>/<version>/<round>`, absolute. */
export function roundFolder(dataDir: string, key: Omit<DatasetKey, 'file'>): string {
  throwIfAny(keyProblems({ tournament: key.tournament, version: key.version, round: key.round }));
  return path.resolve(dataDir, String(key.tournament), key.version, String(key.round));
}

/** The round a folder of a version folder holds, from its name (`1234`), or null when it is no round folder. */
export function roundOfFolder(name: string): number | null {
  return /^(?:0|[1-9]\d*)$/.test(name) ? Number(name) : null;
}

/** Whether a folder name can be a dataset version of the layout (`v5.2`). */
export function isVersionName(name: string): boolean {
  return SAFE_SEGMENT.test(name);
}

/** Throws when a key would not make a safe path or cache key: every part is named that is wrong. */
export function checkDatasetKey(key: DatasetKey): void {
  throwIfAny(keyProblems(key));
}

function keyProblems(key: Partial<DatasetKey>): string[] {
  const problems: string[] = [];
  const { tournament, round, version, file } = key;
  if (tournament !== undefined && (!Number.isInteger(tournament) || tournament <= 0)) problems.push(`tournament ${tournament} is not a positive integer`);
  if (round !== undefined && (!Number.isInteger(round) || round < 0)) problems.push(`round ${round} is not a non-negative integer`);
  if (version !== undefined && !SAFE_SEGMENT.test(version)) problems.push(`version "${version}" is not like "v5.2"`);
  if (file !== undefined && !file.split('/').every((segment) => SAFE_SEGMENT.test(segment))) {
    problems.push(`file "${file}" is not a relative file name like "live.parquet"`);
  }
  return problems;
}

function throwIfAny(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`Invalid dataset key: ${problems.join('; ')}.`);
}
