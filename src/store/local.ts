import { readdir, rm, stat } from 'node:fs/promises';
import { messageOf } from '../data/errors.js';
import type { DatasetKey, DatasetStore, Reporter } from '../pipeline/ports.js';
import { datasetPath, isVersionName, roundFolder, roundOfFolder, tournamentFolder, versionFolder } from './layout.js';
import { describeMigration, migrateOldLayout } from './migrate.js';

export interface LocalDatasetStoreOptions {
  /** Where the store says what it did to the folder (the move from the old layout); nothing is said without it. */
  logger?: Pick<Reporter, 'log'>;
}

/**
 * The local-folder dataset store, an adapter of the pipeline's DatasetStore port used by both shells: the CLI, and the
 * action when its cache is off. A plain folder, in the layout of src/store/layout.ts (the Actions cache store's):
 * <dataDir>/<tournament>/<version>/<round>/<file>. The path the pipeline downloads to is the stored copy itself, so
 * `save` has nothing to copy; it prunes the version's older rounds instead, which keeps the folder to one round's
 * files per dataset version.
 *
 * Before its first use the store moves what an earlier version of it left in the old layout,
 * <dataDir>/<tournament name>/<version>/round-<n>/<file>, into this one (see migrate.ts).
 */
export class LocalDatasetStore implements DatasetStore {
  private migration: Promise<void> | undefined;

  constructor(
    readonly dataDir: string,
    private readonly options: LocalDatasetStoreOptions = {},
  ) {}

  pathFor(key: DatasetKey): string {
    return datasetPath(this.dataDir, key);
  }

  async restore(key: DatasetKey): Promise<boolean> {
    await this.migrated();
    try {
      const info = await stat(this.pathFor(key));
      // An empty file is what an interrupted copy leaves behind; never a real dataset file.
      return info.isFile() && info.size > 0;
    } catch {
      return false;
    }
  }

  async save(key: DatasetKey): Promise<void> {
    await this.migrated();
    for (const { round, dir } of await this.roundDirs(key)) {
      if (round < key.round) await rm(dir, { recursive: true, force: true });
    }
  }

  async discard(key: DatasetKey): Promise<void> {
    await this.migrated();
    await rm(this.pathFor(key), { force: true });
  }

  /** The dataset versions that have a folder in the store for this tournament. */
  async versions(tournament: number): Promise<string[]> {
    await this.migrated();
    const entries = await readdir(tournamentFolder(this.dataDir, tournament), { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory() && isVersionName(entry.name)).map((entry) => entry.name);
  }

  /** Every stored round's path for one file of a dataset version, newest round first (whether the file is there or not). */
  async roundPaths(tournament: number, version: string, file: string): Promise<string[]> {
    await this.migrated();
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

  /** The move from the old layout, done once per store, before anything else reads or writes the folder. */
  private migrated(): Promise<void> {
    this.migration ??= migrateOldLayout(this.dataDir)
      .then((result) => {
        for (const { level, message } of describeMigration(this.dataDir, result)) this.options.logger?.log(level, message);
      })
      // The move only tidies the folder: a store that could not finish it still works, over the new layout.
      .catch((error: unknown) => this.options.logger?.log('warning', `Could not move ${this.dataDir} to the new layout: ${messageOf(error)}.`));
    return this.migration;
  }
}
