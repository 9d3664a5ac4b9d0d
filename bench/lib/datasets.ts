/**
 * The synthetic live files the benchmarks read, generated once and kept in a cache folder outside the repository
 * (they are 7.6 MB and 74 MB). A folder is reused only when its stamp matches the generator options, and is
 * written under a temporary name and renamed, so an interrupted run never leaves a half-written file behind.
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { writeSyntheticDataset, type SyntheticDatasetOptions, type SyntheticFeaturesJson } from '../../src/sandbox/synthetic/generate.js';

export interface PreparedDataset {
  /** Short name, e.g. "live" or "live×10". */
  name: string;
  rows: number;
  features: number;
  livePath: string;
  featuresJsonPath: string;
  featuresJson: SyntheticFeaturesJson;
}

/** Bump when the generator's output changes, so stale cached files are regenerated. */
const GENERATOR_STAMP = 'synthetic-v1';

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(tmpdir());
  return path.join(base, 'numerai-autopilot-bench');
}

export async function prepareDataset(
  cacheDir: string,
  name: string,
  options: SyntheticDatasetOptions & { rows: number; features: number },
  log: (message: string) => void,
): Promise<PreparedDataset> {
  const stamp = JSON.stringify({ GENERATOR_STAMP, ...options });
  const key = `${options.rows}x${options.features}-${options.compression ?? 'SNAPPY'}-seed${options.seed}`;
  const folder = path.join(cacheDir, key);
  const stampPath = path.join(folder, 'stamp.json');
  const existing = await readFile(stampPath, 'utf8').catch(() => null);
  if (existing !== stamp) {
    log(`generating ${name} (${options.rows} × ${options.features}) in ${folder} …`);
    const temporary = `${folder}.tmp-${process.pid}`;
    await rm(temporary, { recursive: true, force: true });
    await writeSyntheticDataset(temporary, options);
    await writeFile(path.join(temporary, 'stamp.json'), stamp);
    await rm(folder, { recursive: true, force: true });
    await mkdir(path.dirname(folder), { recursive: true });
    await rename(temporary, folder);
  }
  const featuresJsonPath = path.join(folder, 'features.json');
  return {
    name,
    rows: options.rows,
    features: options.features,
    livePath: path.join(folder, 'live.parquet'),
    featuresJsonPath,
    featuresJson: JSON.parse(await readFile(featuresJsonPath, 'utf8')) as SyntheticFeaturesJson,
  };
}
