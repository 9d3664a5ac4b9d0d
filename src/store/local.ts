import { readdir, rm, stat } from 'node:fs/promises';
import type { DatasetKey, DatasetStore } from '../pipeline/ports.js';
import { datasetPath, isVersionName, roundFolder, roundOfFolder, tournamentFolder, versionFolder } from './layout.js';

/**
 * The local-folder dataset store, an adapter of the pipeline's DatasetStore port used by both shells: the CLI, and the
 * action when its cache is off. A plain folder, in the layout of src/store/layout.ts (the Actions cache store's):
 * <dataDir>/<tournament>/<version>/<round>/<file>. The path the pipeline downloads to is the stored copy itself, so
 * `save` has nothing to copy; it prunes the version's older rounds instead, which keeps the folder to one round's
 * files per dataset version.
 */
export class LocalDatasetStore implements DatasetStore {
  constructor(readonly dataDir: string) {}

  pathFor(key: DatasetKey): string {
    return datasetPath(this.dataDir, key);
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
    const entries = await readdir(tournamentFolder(this.dataDir, tournament), { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory() && isVersionName(entry.name)).map((entry) => entry.name);
  }

  /** Every stored round's path for one file of a dataset version, newest round first (whether the file is there or not). */
  async roundPaths(tournament: number, version: string, file: string): Promise<string[]> {
    return (await this.roundDirs({ tournament, version })).map(({ round }) => this.pathFor({ tournament, version, round, file }));
  }

  /** The version's round folders, newest first. */
  private async roundDirs(key: Pick<DatasetKey, 'tournament' | 'version'>): Promise<{ round: number; dir: string }[]> {
    const rounds: { round: number; dir: string }[] = [];
    for (const entry of await readdir(versionFolder(this.dataDir, key)).catch(() => [] as string[])) {
      const round = roundOfFolder(entry);
      if (round !== null) rounds.push({ round, dir: roundFolder(this.dataDir, { ...key, round }) });
    }
    return rounds.sort((a, b) => b.round - a.round);
  }
}
