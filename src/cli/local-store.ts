import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TOURNAMENTS, type DatasetKey, type DatasetStore } from '../pipeline/ports.js';

/**
 * The CLI's dataset store: a plain folder, laid out as <dataDir>/<tournament>/<version>/round-<n>/<file>. The path
 * the pipeline downloads to is the stored copy itself, so `save` has nothing to copy; it prunes the version's older
 * rounds instead, which keeps the folder to one round's files per dataset version.
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
    let entries: string[];
    try {
      entries = await readdir(this.versionDir(key));
    } catch {
      return;
    }
    for (const entry of entries) {
      const match = /^round-(\d+)$/.exec(entry);
      if (match && Number(match[1]) < key.round) await rm(join(this.versionDir(key), entry), { recursive: true, force: true });
    }
  }

  async discard(key: DatasetKey): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  private versionDir(key: DatasetKey): string {
    return join(this.dataDir, tournamentFolder(key.tournament), key.version);
  }
}

function tournamentFolder(id: number): string {
  const entry = Object.entries(TOURNAMENTS).find(([, value]) => value === id);
  return entry ? entry[0] : `tournament-${id}`;
}
