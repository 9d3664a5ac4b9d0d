/**
 * The action's DatasetStore: dataset files kept between runs in the GitHub Actions cache (@actions/cache, v2
 * service). One cache entry per file and round, keyed by tournament, dataset version, round and file name.
 *
 * The cache only ever saves time. Whatever goes wrong with it — service down, rate limited, a reservation race
 * with a parallel job, a write-denied token, tar failing — becomes one warning through the injected logger, in the
 * store's words (the client's own warnings are routed here, not printed beside it), and the pipeline downloads the
 * file instead. A restore that failed answers as a failure, not as a miss, so the report can tell them apart.
 * Nothing here throws on a service failure.
 *
 * A failing service costs seconds, not minutes: after its first failure the store stops calling it for the rest
 * of the run, and it stops waiting for a failing call after the client's first retry has failed as well (the
 * client would retry for about 30 s). Nor does anything here wait forever: @actions/cache sets no deadline over a
 * whole restore or save (its Twirp client never settles on a connection cut mid-body, and a service that accepts
 * a connection and never answers is waited for), so each call is raced against a deadline whose expiry counts as
 * a failure of the service.
 */
import { rm } from 'node:fs/promises';
import { isFile } from './files.js';
import * as actionsCache from '@actions/cache';
import type { DatasetKey, DatasetStore, Reporter } from '../pipeline/ports.js';
import { messageOf } from '../data/errors.js';
import { checkDatasetKey, datasetPath } from '../store/layout.js';
import { withClientOutput, type ClientLine } from './cache-client-output.js';

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

/**
 * The cache key of one dataset file of one round, e.g. `numerai-autopilot-8-v5.2-1234-live.parquet`.
 * Round is part of the key because live data changes every round; a new round never restores last round's file.
 */
export function datasetCacheKey(key: DatasetKey, prefix: string = DEFAULT_CACHE_KEY_PREFIX): string {
  checkDatasetKey(key);
  return `${prefix}${key.tournament}-${key.version}-${key.round}-${key.file}`;
}

// Re-exported: the path of a file is where its cache entry is restored to (the layout is in src/store/layout.ts).
export { datasetPath };

export function createActionsCacheStore(options: ActionsCacheStoreOptions): DatasetStore {
  const { dataDir, logger } = options;
  const prefix = options.keyPrefix ?? DEFAULT_CACHE_KEY_PREFIX;
  const cache = options.cache ?? actionsCache;
  const restoreDeadlineMs = options.restoreDeadlineMs ?? DEFAULT_RESTORE_DEADLINE_MS;
  const saveDeadlineMs = options.saveDeadlineMs ?? DEFAULT_SAVE_DEADLINE_MS;
  /** Keys whose restored copy was corrupt: their entry is immutable, so saving again under the key would fail. */
  const discarded = new Set<string>();
  let availability: boolean | undefined;
  /**
   * Set at the service's first failure, to what failed: from then on the store answers without calling it. A
   * failing service fails the next call too, and each failed call costs the client's retries (about 30 s).
   */
  let broken: string | undefined;
  /** Set when the service refused a write for this job's token: restores may still work, saves will not. */
  let writesDenied: string | undefined;

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

  /** The one warning of a run whose cache service failed; every later call is skipped. */
  const breakDown = (doing: string, failure: string): void => {
    broken = `${doing}: ${failure}`;
    logger.log(
      'warning',
      `The Actions cache failed ${doing}: ${failure}. Not using the cache for the rest of this run: dataset files ` +
        'are downloaded, and not saved for the next run.',
    );
  };

  return {
    pathFor: (key) => datasetPath(dataDir, key),

    async restore(key) {
      const cacheKey = datasetCacheKey(key, prefix);
      const file = datasetPath(dataDir, key);
      if (!available()) return false;
      if (broken) {
        logger.log('info', `Not asking the Actions cache for ${describe(key)}: it failed earlier in this run. Downloading it.`);
        return { failure: `the Actions cache failed earlier in this run (${broken})` };
      }
      const call = await callClient(() => cache.restoreCache([file], cacheKey), restoreDeadlineMs);
      if (!call.settled) {
        // The restore may have stopped while extracting: whatever it left at the path is not the file, and the
        // download that follows must start from nothing.
        await rm(file, { force: true }).catch(() => undefined);
      }
      if (call.failure !== undefined) {
        const doing = `restoring ${describe(key)} (key ${cacheKey})`;
        if (call.failure.includes(actionsCache.CACHE_READ_DENIED_PREFIX)) {
          logger.log('warning', `The Actions cache refused ${doing}: ${call.failure}. Downloading it instead.`);
        } else {
          breakDown(doing, call.failure);
        }
        return { failure: call.failure };
      }
      const matched = call.value;
      if (matched === undefined) {
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
        return { failure: `the cache entry ${cacheKey} did not contain the file` };
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
      if (broken || writesDenied) {
        logger.log('info', `Not saving ${describe(key)} to the Actions cache: ${broken ? 'it failed' : 'it refused a write'} earlier in this run.`);
        return;
      }
      if (!(await isFile(file))) {
        logger.log('warning', `Not saving ${describe(key)} to the Actions cache: ${file} does not exist.`);
        return;
      }
      const call = await callClient(() => cache.saveCache([file], cacheKey), saveDeadlineMs);
      const doing = `saving ${describe(key)} (key ${cacheKey})`;
      if (call.failure !== undefined) {
        if (call.failure.includes(actionsCache.CACHE_WRITE_DENIED_PREFIX)) {
          writesDenied = call.failure;
          logger.log('warning', `The Actions cache refused ${doing}: ${call.failure}. No dataset file is saved this run.`);
        } else {
          breakDown(doing, call.failure);
        }
        return;
      }
      if (call.value === undefined || call.value === -1) {
        logger.log(
          'warning',
          `Could not save ${describe(key)} to the Actions cache (key ${cacheKey}): ` +
            (call.raced ? 'another job saved or is saving the same entry.' : 'the cache client gave no reason.') +
            ' The next run downloads it again if no copy was saved.',
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

/** How one call to the cache client went. */
interface ClientCall<T> {
  /** False when the store stopped waiting (deadline, or a retry that failed as well): `value` is then absent. */
  settled: boolean;
  value?: T;
  /** What failed, in the client's words; absent when nothing did (a hit, a miss, a save). */
  failure?: string;
  /** A save whose reservation the service refused without a reason: another job holds the entry. */
  raced?: boolean;
}

/**
 * How many of one call's attempts may fail before the store stops waiting for the client's remaining retries. The
 * client retries a 5xx five times over about 30 s; one retry is enough to ride out a blip, and giving up after it
 * keeps a service that fails every call to a few seconds of the run.
 */
const FAILED_ATTEMPTS_BEFORE_GIVING_UP = 2;

/**
 * Runs one client call with its output routed (see cache-client-output.ts): the failures the client reports are
 * collected instead of printed, and the call is given up at the deadline or at its second failed attempt. A call
 * given up goes on in the background (the client takes no signal); what it prints later is kept to the debug log.
 */
function callClient<T>(operation: () => Promise<T>, deadlineMs: number): Promise<ClientCall<T>> {
  return new Promise((resolve) => {
    const failures: string[] = [];
    let failedAttempts = 0;
    let raced = false;
    let done = false;
    const finish = (call: ClientCall<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(call);
    };
    const timer = setTimeout(() => finish({ settled: false, failure: joined([...failures, `no answer within ${duration(deadlineMs)}`]) }), deadlineMs);
    const listen = (line: ClientLine): boolean => {
      if (done) return line.kind === 'debug';
      const seen = readClientLine(line);
      if (seen?.kind === 'failed-attempt') {
        failedAttempts += 1;
        if (failedAttempts >= FAILED_ATTEMPTS_BEFORE_GIVING_UP) {
          finish({ settled: false, failure: `${seen.message} (${failedAttempts} attempts in a row)` });
        }
        return !done;
      }
      if (seen?.kind === 'failure') failures.push(seen.message);
      if (seen?.kind === 'race') raced = true;
      return line.kind !== 'warning' && line.kind !== 'error';
    };
    withClientOutput(listen, operation).then(
      (value) => finish({ settled: true, value, failure: failures.length > 0 ? joined(failures) : undefined, raced }),
      (error: unknown) => finish({ settled: true, failure: joined([...failures, messageOf(error)]) }),
    );
  });
}

type ClientEvent = { kind: 'failed-attempt' | 'failure'; message: string } | { kind: 'race' };

/**
 * What one line of the client's output says, in @actions/cache 6's words: a failed attempt it is about to retry;
 * a failure it gave up on (its warnings and errors, and a failed reservation request, which it logs only at debug
 * level before reporting "another job may be creating this cache" at info level); or a reservation the service
 * refused ({ok: false}: the entry exists, or another job is creating it), which is not a failure of the service.
 */
function readClientLine(line: ClientLine): ClientEvent | undefined {
  const text = firstLine(line.text);
  if (line.kind === 'warning' || line.kind === 'error') {
    if (text.startsWith('Cache reservation failed: ')) return { kind: 'race' };
    return { kind: 'failure', message: text.replace(/^Failed to (?:restore|save): /, '') };
  }
  if (line.kind === 'info') {
    const attempt = /^Attempt \d+ of \d+ failed with error: (.*)\. Retrying request in \d+ ms\.\.\.$/.exec(text);
    return attempt ? { kind: 'failed-attempt', message: attempt[1] } : undefined;
  }
  if (line.kind === 'debug') {
    const reservation = /^Failed to reserve cache: (?:Error: )?(.*)$/.exec(text);
    if (!reservation) return undefined;
    const refusedByService = !reservation[1].startsWith('Failed to CreateCacheEntry') && !reservation[1].includes(actionsCache.CACHE_WRITE_DENIED_PREFIX);
    return refusedByService ? { kind: 'race' } : { kind: 'failure', message: reservation[1] };
  }
  return undefined;
}

/** The client appends multi-line hints (e.g. about self-hosted runners) to some errors; the first line names it. */
function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0];
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function joined(messages: readonly string[]): string {
  return [...new Set(messages)].join('; ');
}

function safeAvailability(cache: CacheClient): boolean {
  try {
    return cache.isFeatureAvailable();
  } catch {
    return false;
  }
}
