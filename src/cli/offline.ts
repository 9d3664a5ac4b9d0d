/**
 * `predict --offline`: the whole pipeline with no API at all, no keys and no account. Two adapters stand in for
 * Numerai and the dataset store: the round is a placeholder (number 0), and every dataset version's live.parquet
 * and features.json are the files given (--live, --features-json), or synthetic files of the real live file's shape
 * (the sandbox's generator) when none are given.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { modelFolderNames } from '../models/folders.js';
import { PipelineError } from '../pipeline/errors.js';
import { FEATURES_FILE, LIVE_FILE } from '../pipeline/data.js';
import type { DatasetKey, DatasetStore, NumeraiPort, Round } from '../pipeline/ports.js';

export interface OfflineFiles {
  live: string;
  featuresJson: string;
}

/** The round number an offline run reports and names its CSV folder by: no real round is ever 0. */
export const OFFLINE_ROUND = 0;

/** Numerai as an offline run sees it: one open placeholder round, and no way to fetch or upload anything. */
export function offlineNumerai(now: () => Date): NumeraiPort {
  const refuse = (what: string) => () => Promise.reject(new PipelineError('InternalError', `an offline run does not ${what}`));
  return {
    currentRound: async (): Promise<Round> => ({ number: OFFLINE_ROUND, openTime: now(), closeStakingTime: null, closeTime: null }),
    accountModels: refuse('read the account'),
    submissionForRound: refuse('ask for submissions'),
    // Only reached when a given file is unreadable: the store found it, the reader refused it.
    datasetUrl: async (filename) => {
      throw new PipelineError('DataError', `${filename} is unreadable, and an offline run has nothing else to read`);
    },
    download: refuse('download'),
    uploadPredictions: refuse('upload'),
  };
}

/** The given files for every dataset version; never deletes or replaces them. */
export class OfflineDatasetStore implements DatasetStore {
  constructor(private readonly files: OfflineFiles) {}

  pathFor(key: DatasetKey): string {
    if (key.file === LIVE_FILE) return this.files.live;
    if (key.file === FEATURES_FILE) return this.files.featuresJson;
    throw new PipelineError('InternalError', `an offline run has no ${key.file}`);
  }

  async restore(key: DatasetKey): Promise<boolean> {
    return access(this.pathFor(key)).then(
      () => true,
      () => false,
    );
  }

  async save(): Promise<void> {}

  async discard(): Promise<void> {}
}

/**
 * Synthetic live data in `dir`: the real v5.2 live file's width, row count and feature sets, so a model that names a
 * feature set (small, medium, all) finds its columns. Feature names a model lists one by one are added to the file.
 */
export async function syntheticFiles(dir: string, extraFeatures: readonly string[]): Promise<OfflineFiles> {
  const { writeSyntheticDataset } = await import('../sandbox/synthetic/generate.js');
  const written = await writeSyntheticDataset(join(dir, 'synthetic'), { seed: 1, extraFeatures });
  return { live: written.livePath, featuresJson: written.featuresJsonPath };
}

/**
 * The feature names the models of a folder list one by one in model.yml (`features: [...]`). Only read to shape the
 * synthetic data: a model.yml that cannot be read is left to the pipeline, which reports it with the model.
 */
export async function listedFeatures(modelsDir: string): Promise<string[]> {
  const names = new Set<string>();
  const folders = await modelFolderNames(modelsDir).catch(() => [] as string[]);
  for (const folder of folders) {
    try {
      const manifest = parseYaml(await readFile(join(modelsDir, folder, 'model.yml'), 'utf8')) as { features?: unknown };
      if (Array.isArray(manifest?.features)) for (const name of manifest.features) if (typeof name === 'string') names.add(name);
    } catch {
      // Not readable or not YAML: the pipeline says so for that model.
    }
  }
  return [...names];
}
