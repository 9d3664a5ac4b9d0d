import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TOURNAMENTS, type DatasetKey, type DatasetStore } from '../pipeline/ports.js';

/**
 * The local-folder dataset store, an adapter of the pipeline's DatasetStore port used by both shells: the CLI, and the
 * action when its cache is off. A plain folder, laid out as <dataDir>/<tournament>/<version>/round-<n>/<file>. The
 * path the pipeline downloads to is the stored copy itself, so `save` has nothing to copy; it prunes the version's
 * older rounds instead, which keeps the folder to one round's files per dataset version.
 */
export class LocalDatasetStore implements DatasetStore {
  constructor(readonly dataDir: string) {}

  pathFor(key: DatasetKey): string {
    return join(this.versionDir(key), `round-${key.round}`, key.file);
  }

  async restore(key: DatasetKey): Promise<boolean> {
    try {
      const info = await stat(this.pathFor(key));
      // An empty file is what an interrupted copy leaves behind; never a real dataset file.
      return info.isFile() && info.size > 0;
    } catch {
      return false;
    }
  }

  async save(key: DatasetKey): Promise<void> {
    for (const { round, dir } of await this.roundDirs(key)) {
      if (round < key.round) await rm(dir, { recursive: true, force: true });
    }
  }

  async discard(key: DatasetKey): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  /** The dataset versions that have a folder in the store for this tournament. */
  async versions(tournament: number): Promise<string[]> {
    return readdir(this.tournamentDir(tournament)).catch(() => []);
  }

  /** Every stored round's path for one file of a dataset version, newest round first (whether the file is there or not). */
  async roundPaths(tournament: number, version: string, file: string): Promise<string[]> {
    return (await this.roundDirs({ tournament, version })).map(({ dir }) => join(dir, file));
  }

  /** The version's round folders, newest first. */
  private async roundDirs(key: Pick<DatasetKey, 'tournament' | 'version'>): Promise<{ round: number; dir: string }[]> {
    const versionDir = this.versionDir(key);
    const rounds: { round: number; dir: string }[] = [];
    for (const entry of await readdir(versionDir).catch(() => [] as string[])) {
      const match = /^round-(\d+)$/.exec(entry);
      if (match) rounds.push({ round: Number(match[1]), dir: join(versionDir, entry) });
    }
    return rounds.sort((a, b) => b.round - a.round);
  }

  private versionDir(key: Pick<DatasetKey, 'tournament' | 'version'>): string {
    return join(this.tournamentDir(key.tournament), key.version);
  }

  private tournamentDir(tournament: number): string {
    return join(this.dataDir, tournamentFolder(tournament));
  }
}

function tournamentFolder(id: number): string {
  const entry = Object.entries(TOURNAMENTS).find(([, value]) => value === id);
  return entry ? entry[0] : `tournament-${id}`;
}
