/**
 * The move of a data folder from the old local layout, <dataDir>/<tournament name>/<version>/round-<n>/<file> (what
 * LocalDatasetStore wrote before it took the Actions cache store's layout), into the layout of layout.ts,
 * <dataDir>/<tournament>/<version>/<round>/<file>.
 *
 * Only renames: nothing is copied, and nothing already in the new layout is replaced. An old round folder whose new
 * folder does not exist yet is renamed whole; one whose new folder exists is moved entry by entry, and an entry the
 * new folder already holds stays where it is, both copies untouched, and is reported. Only what the old store wrote
 * is touched: the folders of the tournament names it used (classic, signals, crypto, tournament-<id>), their
 * version folders and their round-<n> folders; anything else (the lock folder, synthetic data, a file of the
 * user's) is left alone. Old folders left empty are removed. Every step is one rename and each run starts from what
 * is on disk, so a migration cut short finishes on the next run. Nothing here throws: what cannot be moved is
 * reported and stays where it is (its files are then downloaded again into the new layout when a run needs them).
 */
import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, rename, rmdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { messageOf } from '../data/errors.js';
import { TOURNAMENTS, type Level } from '../pipeline/ports.js';
import { isVersionName, roundFolder } from './layout.js';

/** One path of the old layout and its place in the new one, both absolute. */
export interface LayoutMove {
  from: string;
  to: string;
}

export interface MigrationResult {
  /** Renamed into the new layout: whole round folders, or single entries of a round the new layout already had. */
  moved: LayoutMove[];
  /** Left in the old layout because the new path is taken; the entry there is kept as it is. */
  kept: LayoutMove[];
  /** Could not be moved (or listed), with the reason; it stays where it is. */
  failed: { path: string; reason: string }[];
}

/** Moves every old-layout round folder of `dataDir` into the new layout. Never throws. */
export async function migrateOldLayout(dataDir: string): Promise<MigrationResult> {
  const result: MigrationResult = { moved: [], kept: [], failed: [] };
  for (const { name, tournament } of (await folders(dataDir, result)).flatMap(oldTournament)) {
    const tournamentDir = join(dataDir, name);
    for (const version of (await folders(tournamentDir, result)).map((entry) => entry.name).filter(isVersionName)) {
      const versionDir = join(tournamentDir, version);
      for (const entry of await folders(versionDir, result)) {
        const round = oldRound(entry.name);
        if (round === null) continue;
        await moveEntry(join(versionDir, entry.name), roundFolder(dataDir, { tournament, version, round }), result);
      }
      await removeIfEmpty(versionDir);
    }
    await removeIfEmpty(tournamentDir);
  }
  return result;
}

/** What a migration did, as log lines: a notice of what moved, a warning of what was left and why. */
export function describeMigration(dataDir: string, result: MigrationResult): { level: Level; message: string }[] {
  const shown = (path: string) => relative(dataDir, path) || '.';
  const moves = (list: readonly LayoutMove[]) => list.map(({ from, to }) => `${shown(from)} -> ${shown(to)}`).join(', ');
  const lines: { level: Level; message: string }[] = [];
  if (result.moved.length > 0) {
    lines.push({
      level: 'notice',
      message:
        `Moved the dataset files of ${dataDir} from the old layout (<tournament name>/<version>/round-<n>/) to the one ` +
        `the action's cache uses (<tournament id>/<version>/<round>/): ${moves(result.moved)}.`,
    });
  }
  for (const { from, to } of result.kept) {
    lines.push({
      level: 'warning',
      message:
        `Did not move ${shown(from)} of ${dataDir} to the new layout: ${shown(to)} is already there, and is kept as it is. ` +
        'The old copy stays where it is; delete it once you no longer need it.',
    });
  }
  for (const { path, reason } of result.failed) {
    lines.push({
      level: 'warning',
      message: `Could not move ${shown(path)} of ${dataDir} to the new layout: ${reason}. It stays where it is; a run downloads the files it needs again.`,
    });
  }
  return lines;
}

/** The tournament id of an old tournament folder (`classic`, `tournament-12`), or nothing for any other entry. */
function oldTournament(entry: Dirent): { name: string; tournament: number }[] {
  const known = Object.entries(TOURNAMENTS).find(([name]) => name === entry.name);
  if (known) return [{ name: entry.name, tournament: known[1] }];
  const numbered = /^tournament-([1-9]\d*)$/.exec(entry.name);
  const id = numbered ? Number(numbered[1]) : NaN;
  return Number.isSafeInteger(id) ? [{ name: entry.name, tournament: id }] : [];
}

/** The round of an old round folder (`round-1234`), or null for any other entry. */
function oldRound(name: string): number | null {
  const match = /^round-(\d+)$/.exec(name);
  const round = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(round) ? round : null;
}

/**
 * Renames `from` to `to` when `to` is free; merges a folder into an existing one entry by entry; leaves `from` in
 * place (and records it) when `to` is taken by anything else.
 */
async function moveEntry(from: string, to: string, result: MigrationResult): Promise<void> {
  let target;
  try {
    target = await lstat(to);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') {
      result.failed.push({ path: from, reason: messageOf(error) });
      return;
    }
  }
  if (!target) {
    try {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
      result.moved.push({ from, to });
    } catch (error) {
      // Gone meanwhile: another run sharing the folder moved it first.
      if (await exists(from)) result.failed.push({ path: from, reason: messageOf(error) });
    }
    return;
  }
  let source;
  try {
    source = await lstat(from);
  } catch {
    return;
  }
  if (source.isDirectory() && target.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(from)).sort();
    } catch (error) {
      result.failed.push({ path: from, reason: messageOf(error) });
      return;
    }
    for (const name of names) await moveEntry(join(from, name), join(to, name), result);
    await removeIfEmpty(from);
    return;
  }
  result.kept.push({ from, to });
}

/** The folders (not files, not symbolic links) in `dir`, by name; none when `dir` does not exist. */
async function folders(dir: string, result: MigrationResult): Promise<Dirent[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  } catch (error) {
    if (codeOf(error) !== 'ENOENT' && codeOf(error) !== 'ENOTDIR') result.failed.push({ path: dir, reason: messageOf(error) });
    return [];
  }
}

async function removeIfEmpty(dir: string): Promise<void> {
  // rmdir refuses a folder that is not empty: an unknown entry keeps its folder.
  await rmdir(dir).catch(() => undefined);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
