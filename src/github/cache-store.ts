/**
 * The action's DatasetStore: dataset files kept between runs in the GitHub Actions cache (@actions/cache, v2
 * service). One cache entry per file and round, keyed by tournament, dataset version, round and file name.
 *
 * The cache only ever saves time. Whatever goes wrong with it — service down, rate limited, a reservation race
 * with a parallel job, a write-denied token, tar failing — becomes a warning through the injected logger and a
 * miss, so the pipeline downloads the file instead. Nothing here throws on a service failure.
 *
 * Nor does anything here wait forever: @actions/cache sets no deadline over a whole restore or save (its Twirp
 * client never settles on a connection cut mid-body, and a service that accepts a connection and never answers is
 * waited for), so each call is raced against a deadline whose expiry is the same warning and miss / not-saved.
 */
import { rm } from 'node:fs/promises';
import { isFile } from './files.js';
import path from 'node:path';
import * as actionsCache from '@actions/cache';
import type { DatasetKey, DatasetStore, Reporter } from '../pipeline/ports.js';
import { withDeadline } from './deadline.js';

/** The part of @actions/cache this store uses (the real module by default; injectable for other runtimes). */
export interface CacheClient {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], primaryKey: string, restoreKeys?: string[]): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

export interface ActionsCacheStoreOptions {
  /** The folder dataset files are read from and written to (the pipeline's `dataDir`). */
  dataDir: string;
  logger: Pick<Reporter, 'log'>;
  /** Prepended to every cache key, so entries are easy to find and never collide with other caches. */
  keyPrefix?: string;
  cache?: CacheClient;
  /** How long one restore may take before it counts as a miss, milliseconds. */
  restoreDeadlineMs?: number;
  /** How long one save may take before the store gives up on it, milliseconds. */
  saveDeadlineMs?: number;
}

export const DEFAULT_CACHE_KEY_PREFIX = 'numerai-autopilot-';

/**
 * A dataset file of a few hundred MB restores or saves in well under a minute on a runner; two minutes leaves room
 * for a slow service and still bounds the run if the cache hangs (downloading the file instead is the fallback).
 */
export const DEFAULT_RESTORE_DEADLINE_MS = 120_000;
export const DEFAULT_SAVE_DEADLINE_MS = 120_000;

/** Dataset versions and file names become path segments and cache keys: keep them to a safe alphabet. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The cache key of one dataset file of one round, e.g. `numerai-autopilot-8-v5.2-1234-live.parquet`.
 * Round is part of the key because live data changes every round; a new round never restores last round's file.
 */
export function datasetCacheKey(key: DatasetKey, prefix: string = DEFAULT_CACHE_KEY_PREFIX): string {
  checkKey(key);
  return `${prefix}${key.tournament}-${key.version}-${key.round}-${key.file}`;
}

/**
 * Where a dataset file lives under `dataDir`: `<dataDir>/<tournament>/<version>/<round>/<file>`, absolute.
 * The cache entry's version is derived from this path, so it must be the same string in every run: runners give
 * each repository the same workspace path, and the path is resolved once here.
 */
export function datasetPath(dataDir: string, key: DatasetKey): string {
  checkKey(key);
  return path.resolve(dataDir, String(key.tournament), key.version, String(key.round), ...key.file.split('/'));
}

export function createActionsCacheStore(options: ActionsCacheStoreOptions): DatasetStore {
  const { dataDir, logger } = options;
  const prefix = options.keyPrefix ?? DEFAULT_CACHE_KEY_PREFIX;
  const cache = options.cache ?? actionsCache;
  const restoreDeadlineMs = options.restoreDeadlineMs ?? DEFAULT_RESTORE_DEADLINE_MS;
  const saveDeadlineMs = options.saveDeadlineMs ?? DEFAULT_SAVE_DEADLINE_MS;
  /** Keys whose restored copy was corrupt: their entry is immutable, so saving again under the key would fail. */
  const discarded = new Set<string>();
  let availability: boolean | undefined;

  const available = (): boolean => {
    if (availability === undefined) {
      availability = safeAvailability(cache);
      if (!availability) {
        logger.log(
          'warning',
          'The GitHub Actions cache service is not available to this job (ACTIONS_RESULTS_URL is not set, or the ' +
            'runner does not support the cache): dataset files will be downloaded every run.',
        );
      }
    }
    return availability;
  };

  const describe = (key: DatasetKey): string => `${key.version}/${key.file} for round ${key.round}`;

  return {
    pathFor: (key) => datasetPath(dataDir, key),

    async restore(key) {
      const cacheKey = datasetCacheKey(key, prefix);
      const file = datasetPath(dataDir, key);
      if (!available()) return false;
      let matched: string | null | undefined;
      try {
        matched = await withDeadline(
          `Restoring ${describe(key)} from the Actions cache (key ${cacheKey})`,
          cache.restoreCache([file], cacheKey),
          logger,
          restoreDeadlineMs,
          'downloading it instead.',
        );
      } catch (error) {
        logger.log('warning', `Could not restore ${describe(key)} from the Actions cache (key ${cacheKey}): ${messageOf(error)}. Downloading it instead.`);
        return false;
      }
      if (matched === null) {
        // The restore may have stopped while extracting: whatever it left at the path is not the file, and the
        // download that follows must start from nothing.
        await rm(file, { force: true }).catch(() => undefined);
        return false;
      }
      if (matched === undefined) {
        // A miss, or a service failure the cache client has already reported as a warning of its own.
        logger.log('info', `${describe(key)} is not in the Actions cache (key ${cacheKey}); downloading it.`);
        return false;
      }
      if (matched !== cacheKey) {
        // The service also matches keys by prefix; another entry's archive is not this file.
        logger.log('info', `The Actions cache matched ${matched}, not ${cacheKey}; downloading ${describe(key)}.`);
        return false;
      }
      if (!(await isFile(file))) {
        logger.log('warning', `The Actions cache entry ${cacheKey} did not contain ${file}; downloading ${describe(key)}.`);
        return false;
      }
      logger.log('info', `Restored ${describe(key)} from the Actions cache (key ${cacheKey}).`);
      return true;
    },

    async save(key) {
      const cacheKey = datasetCacheKey(key, prefix);
      const file = datasetPath(dataDir, key);
      if (discarded.has(cacheKey)) {
        logger.log(
          'info',
          `Not saving ${describe(key)} to the Actions cache: entry ${cacheKey} holds a corrupt copy and cache entries ` +
            'cannot be replaced. The key changes next round.',
        );
        return;
      }
      if (!available()) return;
      if (!(await isFile(file))) {
        logger.log('warning', `Not saving ${describe(key)} to the Actions cache: ${file} does not exist.`);
        return;
      }
      let id: number | null;
      try {
        id = await withDeadline(
          `Saving ${describe(key)} to the Actions cache (key ${cacheKey})`,
          cache.saveCache([file], cacheKey),
          logger,
          saveDeadlineMs,
          'going on without it. The next run downloads it again if no copy was saved.',
        );
      } catch (error) {
        logger.log('warning', `Could not save ${describe(key)} to the Actions cache (key ${cacheKey}): ${messageOf(error)}. The next run downloads it again.`);
        return;
      }
      if (id === null) return;
      if (id === -1) {
        logger.log(
          'warning',
          `Could not save ${describe(key)} to the Actions cache (key ${cacheKey}): another job may be saving the same ` +
            'entry, the token may not allow cache writes, or the cache service failed (see the messages above). ' +
            'The next run downloads it again if no copy was saved.',
        );
        return;
      }
      logger.log('info', `Saved ${describe(key)} to the Actions cache (key ${cacheKey}).`);
    },

    async discard(key) {
      const cacheKey = datasetCacheKey(key, prefix);
      discarded.add(cacheKey);
      await rm(datasetPath(dataDir, key), { force: true });
      logger.log('warning', `Discarded a corrupt copy of ${describe(key)} restored from the Actions cache (key ${cacheKey}).`);
    },
  };
}

function checkKey(key: DatasetKey): void {
  const problems: string[] = [];
  if (!Number.isInteger(key.tournament) || key.tournament <= 0) problems.push(`tournament ${key.tournament} is not a positive integer`);
  if (!Number.isInteger(key.round) || key.round < 0) problems.push(`round ${key.round} is not a non-negative integer`);
  if (!SAFE_SEGMENT.test(key.version)) problems.push(`version "${key.version}" is not like "v5.2"`);
  if (!key.file.split('/').every((segment) => SAFE_SEGMENT.test(segment))) {
    problems.push(`file "${key.file}" is not a relative file name like "live.parquet"`);
  }
  if (problems.length > 0) throw new Error(`Invalid dataset key: ${problems.join('; ')}.`);
}

function safeAvailability(cache: CacheClient): boolean {
  try {
    return cache.isFeatureAvailable();
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
