/**
 * The Actions-cache dataset store against the real @actions/cache client and the results-service emulator.
 * This file sets the runner environment for its whole process (node:test runs each file in its own process).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createActionsCacheStore, datasetCacheKey, datasetPath, type CacheClient } from '../../src/github/cache-store.js';
import type { DatasetKey } from '../../src/pipeline/ports.js';
import { ActionsResultsEmulator } from '../emulators/actions-results.js';
import { FaultProxy } from '../reliability/fault-proxy.js';
import { captureStdout, recordingLogger } from '../emulators/capture.js';
import { setEnv } from '../emulators/env.js';

const LIVE: DatasetKey = { tournament: 8, version: 'v5.2', round: 1234, file: 'live.parquet' };

let emulator: ActionsResultsEmulator;
let root: string;
let workspace: string;
let restoreEnv: () => void;

before(async () => {
  emulator = await ActionsResultsEmulator.start();
  root = await mkdtemp(path.join(os.tmpdir(), 'cache-store-'));
  workspace = path.join(root, 'workspace');
  await mkdir(path.join(root, 'runner-temp'), { recursive: true });
  await mkdir(workspace, { recursive: true });
  restoreEnv = setEnv(emulator.runnerEnv({ workspace, runnerTemp: path.join(root, 'runner-temp') }));
});

after(async () => {
  restoreEnv();
  await emulator.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  emulator.faults.clear();
  await rm(path.join(workspace, 'data'), { recursive: true, force: true });
});

/** Runs a cache call with the client's own workflow commands captured, so they do not clutter the test log. */
function quietly<T>(action: () => Promise<T>) {
  return captureStdout(action);
}

async function writeDataset(key: DatasetKey, content: Buffer, dataDir = path.join(workspace, 'data')): Promise<string> {
  const file = datasetPath(dataDir, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

describe('datasetCacheKey and datasetPath', () => {
  it('name the tournament, dataset version, round and file behind a fixed prefix', () => {
    assert.equal(datasetCacheKey(LIVE), 'numerai-autopilot-8-v5.2-1234-live.parquet');
    assert.equal(datasetPath('/data', LIVE), path.resolve('/data/8/v5.2/1234/live.parquet'));
  });

  it('reject versions and file names that would escape the data folder or break a cache key', () => {
    assert.throws(() => datasetCacheKey({ ...LIVE, version: '../etc' }), /version "\.\.\/etc" is not like "v5\.2"/);
    assert.throws(() => datasetPath('/data', { ...LIVE, file: 'a,b.parquet' }), /file "a,b\.parquet"/);
    assert.throws(() => datasetPath('/data', { ...LIVE, file: '../live.parquet' }), /is not a relative file name/);
  });
});

describe('createActionsCacheStore with the real @actions/cache client', () => {
  it('saves a file and restores it byte for byte into a fresh data folder', async () => {
    const content = randomBytes(300_000);
    const logger = recordingLogger();
    const dataDir = path.join(workspace, 'data');
    const store = createActionsCacheStore({ dataDir, logger });
    await writeDataset(LIVE, content);
    await quietly(() => store.save(LIVE));

    const entries = emulator.cacheEntries();
    assert.deepEqual(
      entries.map((e) => [e.key, e.finalized]),
      [['numerai-autopilot-8-v5.2-1234-live.parquet', true]],
    );
    assert.deepEqual(logger.at('warning'), []);

    await rm(dataDir, { recursive: true, force: true });
    const fresh = createActionsCacheStore({ dataDir, logger: recordingLogger() });
    const { result: hit } = await quietly(() => fresh.restore(LIVE));
    assert.equal(hit, true);
    assert.deepEqual(await readFile(fresh.pathFor(LIVE)), content);
  });

  it('reports a miss for a round that was never saved, without a warning', async () => {
    const logger = recordingLogger();
    const store = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger });
    const { result } = await quietly(() => store.restore({ ...LIVE, round: 999 }));
    assert.equal(result, false);
    assert.deepEqual(logger.at('warning'), []);
    assert.match(logger.at('info').join('\n'), /not in the Actions cache \(key numerai-autopilot-8-v5\.2-999-live\.parquet\)/);
    const lookup = emulator.requestsTo('CacheService/GetCacheEntryDownloadURL').at(-1);
    assert.equal((lookup?.json as { key: string }).key, 'numerai-autopilot-8-v5.2-999-live.parquet');
  });

  it('misses for another dataset version of the same round', async () => {
    const store = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger: recordingLogger() });
    const v51 = { ...LIVE, version: 'v5.1', round: 2000 };
    await writeDataset(v51, Buffer.from('v5.1 data'));
    await quietly(() => store.save(v51));
    const { result } = await quietly(() => store.restore({ ...LIVE, round: 2000 }));
    assert.equal(result, false);
  });

  it('turns a reservation race into a warning and carries on', async () => {
    const key = { ...LIVE, round: 3000 };
    const first = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger: recordingLogger() });
    await writeDataset(key, Buffer.from('first'));
    await quietly(() => first.save(key));

    const logger = recordingLogger();
    const second = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger });
    await quietly(() => second.save(key));
    assert.match(logger.at('warning').join('\n'), /Could not save v5\.2\/live\.parquet for round 3000 to the Actions cache \(key numerai-autopilot-8-v5\.2-3000-live\.parquet\): another job/);
    assert.equal(emulator.cacheEntries().filter((e) => e.key.endsWith('-3000-live.parquet')).length, 1);
  });

  it('turns an {ok:false} reservation answer into a warning', async () => {
    emulator.fault('CacheService/CreateCacheEntry', { kind: 'ok-false', times: 1 });
    const logger = recordingLogger();
    const store = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger });
    await writeDataset({ ...LIVE, round: 3100 }, Buffer.from('x'));
    await quietly(() => store.save({ ...LIVE, round: 3100 }));
    assert.equal(logger.at('warning').length, 1);
    assert.equal(emulator.cacheEntries().some((e) => e.key.endsWith('-3100-live.parquet')), false);
  });

  it('a restore from a service that is down is a failure, not a miss, and the store asks it nothing more this run', async () => {
    const key = { ...LIVE, round: 4000 };
    const logger = recordingLogger();
    const store = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger });
    await emulator.down();
    try {
      const { result, output } = await quietly(() => store.restore(key));
      assert.deepEqual(result, { failure: 'Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNREFUSED' });
      assert.doesNotMatch(output, /::(warning|error)::/, 'the client\'s own warning is routed to the store, not printed');
      assert.equal(logger.at('warning').length, 1);
      assert.match(logger.at('warning')[0], /^The Actions cache failed restoring v5\.2\/live\.parquet for round 4000 \(key [^)]+\): .*ECONNREFUSED\. Not using the cache for the rest of this run/);
    } finally {
      await emulator.up();
    }
    // The service is back, but this run no longer calls it: each failed call would cost the client's retries.
    const requests = emulator.requests.length;
    const again = await quietly(() => store.restore({ ...key, file: 'features.json' }));
    assert.match((again.result as { failure: string }).failure, /failed earlier in this run .*ECONNREFUSED/);
    await writeDataset(key, Buffer.from('downloaded'));
    await quietly(() => store.save(key));
    assert.equal(emulator.requests.length, requests, 'no request after the first failure');
    assert.equal(logger.at('warning').length, 1, logger.at('warning').join('\n'));
    assert.match(logger.at('info').join('\n'), /Not saving v5\.2\/live\.parquet for round 4000 to the Actions cache: it failed earlier in this run/);
    // The next run (a new store) tries the service again.
    const next = await quietly(() => createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger: recordingLogger() }).restore({ ...key, round: 4001 }));
    assert.equal(next.result, false);
  });

  it('a rate-limited or reset restore is a failure naming what happened', async () => {
    emulator.fault('CacheService/GetCacheEntryDownloadURL', { kind: 'rate-limit', times: 1 });
    emulator.fault('CacheService/GetCacheEntryDownloadURL', { kind: 'reset', times: 1 });
    const limitedLogger = recordingLogger();
    const limited = await quietly(() => createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger: limitedLogger }).restore(LIVE));
    assert.match((limited.result as { failure: string }).failure, /rate limit will reset in 1 seconds; .*\(429\) Too Many Requests/);
    assert.equal(limitedLogger.at('warning').length, 1);
    const reset = await quietly(() => createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger: recordingLogger() }).restore(LIVE));
    assert.match((reset.result as { failure: string }).failure, /ECONNRESET/);
    assert.doesNotMatch(limited.output + reset.output, /::(warning|error)::/);
  });

  it('a save that fails warns once, in the store\'s words (the client\'s warning is not printed beside it)', async () => {
    const key = { ...LIVE, round: 4100 };
    await writeDataset(key, randomBytes(1000));
    emulator.fault('blob.put', { kind: 'status', status: 403, message: 'signature expired' });
    const logger = recordingLogger();
    const { output } = await quietly(() => createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger }).save(key));
    assert.doesNotMatch(output, /::(warning|error)::/, output);
    assert.equal(logger.at('warning').length, 1, logger.at('warning').join('\n'));
    assert.match(logger.at('warning')[0], /^The Actions cache failed saving v5\.2\/live\.parquet for round 4100 .*: uploadCacheArchiveSDK: .*signature expired/);
    assert.equal(emulator.cacheEntries().some((e) => e.key.endsWith('-4100-live.parquet') && e.finalized), false);
  });

  it('a write the service denies stops the saves of the run, not the restores', async () => {
    const key = { ...LIVE, round: 4300 };
    await writeDataset(key, Buffer.from('x'));
    emulator.fault('CacheService/CreateCacheEntry', { kind: 'ok-false', message: 'cache write denied: the token of this run is read-only', times: 1 });
    const logger = recordingLogger();
    const store = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger });
    const { output } = await quietly(() => store.save(key));
    assert.doesNotMatch(output, /::(warning|error)::/, output);
    assert.equal(logger.at('warning').length, 1);
    assert.match(logger.at('warning')[0], /^The Actions cache refused saving v5\.2\/live\.parquet for round 4300 .*cache write denied: the token of this run is read-only/);
    const creates = emulator.requestsTo('CacheService/CreateCacheEntry').length;
    await quietly(() => store.save({ ...key, file: 'features.json' }));
    assert.equal(emulator.requestsTo('CacheService/CreateCacheEntry').length, creates, 'no second save');
    assert.equal((await quietly(() => store.restore({ ...key, round: 4301 }))).result, false, 'restores still ask the service');
  });

  it('one failed attempt that the client\'s retry recovers from is no failure', async () => {
    const key = { ...LIVE, round: 4200 };
    const content = randomBytes(1000);
    await writeDataset(key, content);
    await quietly(() => createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger: recordingLogger() }).save(key));
    await rm(path.join(workspace, 'data'), { recursive: true });
    emulator.fault('CacheService/GetCacheEntryDownloadURL', { kind: 'status', status: 503, times: 1 });
    const logger = recordingLogger();
    const { result } = await quietly(() => createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger }).restore(key));
    assert.equal(result, true);
    assert.deepEqual(logger.at('warning'), []);
    assert.deepEqual(await readFile(datasetPath(path.join(workspace, 'data'), key)), content);
  });

  it('warns once and makes no request when the runner offers no cache service', async () => {
    const unset = setEnv({ ACTIONS_RESULTS_URL: undefined });
    try {
      const before = emulator.requests.length;
      const logger = recordingLogger();
      const store = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger });
      assert.equal(await store.restore(LIVE), false);
      await writeDataset(LIVE, Buffer.from('x'));
      await store.save(LIVE);
      assert.equal(logger.at('warning').length, 1);
      assert.match(logger.at('warning')[0], /cache service is not available/);
      assert.equal(emulator.requests.length, before);
    } finally {
      unset();
    }
  });

  it('discards a corrupt restored copy and does not try to overwrite the immutable entry', async () => {
    const key = { ...LIVE, round: 5000 };
    const dataDir = path.join(workspace, 'data');
    const seed = createActionsCacheStore({ dataDir, logger: recordingLogger() });
    await writeDataset(key, Buffer.from('truncated parquet'));
    await quietly(() => seed.save(key));
    await rm(dataDir, { recursive: true });

    const logger = recordingLogger();
    const store = createActionsCacheStore({ dataDir, logger });
    assert.equal((await quietly(() => store.restore(key))).result, true);
    await store.discard(key);
    await assert.rejects(readFile(store.pathFor(key)), { code: 'ENOENT' });

    const creates = emulator.requestsTo('CacheService/CreateCacheEntry').length;
    await writeDataset(key, Buffer.from('good parquet'));
    await store.save(key);
    assert.equal(emulator.requestsTo('CacheService/CreateCacheEntry').length, creates);
    assert.match(logger.at('info').join('\n'), /holds a corrupt copy/);
  });
});

describe('createActionsCacheStore gives up at its deadline', () => {
  const TWIRP = '/twirp/github.actions.results.api.v1.';
  const routeOf = (method: string, urlPath: string): string =>
    urlPath.startsWith(TWIRP) ? urlPath.slice(TWIRP.length) : urlPath.startsWith('/devstoreaccount1/') ? `blob.${method.toLowerCase()}` : 'unknown';
  let proxy: FaultProxy;
  let unproxy: () => void;

  before(async () => {
    proxy = await FaultProxy.start(emulator.url, routeOf);
    unproxy = setEnv({ ACTIONS_RESULTS_URL: `${proxy.origin}/` });
  });
  after(async () => {
    unproxy();
    // Cuts the hung connections, so the abandoned cache calls fail and the process can exit.
    await proxy.close();
  });

  const DEADLINE_MS = 300;
  const store = (logger: ReturnType<typeof recordingLogger>) =>
    createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger, restoreDeadlineMs: DEADLINE_MS, saveDeadlineMs: DEADLINE_MS });

  // A connection cut in the middle of a cache service answer: @actions/http-client's readBody never settles, so the
  // real client hangs for good (and, unlike a request left unanswered, leaves no socket or retry timer behind).
  it('a restore whose cache service answer is cut off mid-body is a miss with a warning, at the deadline', async () => {
    proxy.inject('CacheService/GetCacheEntryDownloadURL', 'reset-mid-body');
    const logger = recordingLogger();
    const started = Date.now();
    const { result } = await quietly(() => store(logger).restore({ ...LIVE, round: 7000 }));
    assert.deepEqual(result, { failure: `no answer within ${DEADLINE_MS} ms` });
    assert.equal(proxy.served.at(-1)?.route, 'CacheService/GetCacheEntryDownloadURL');
    assert.ok(Date.now() - started < DEADLINE_MS + 2_000, `took ${Date.now() - started} ms`);
    assert.match(logger.at('warning').join('\n'), /The Actions cache failed restoring v5\.2\/live\.parquet for round 7000 .*: no answer within 300 ms\. Not using the cache/);
  });

  it('a save whose reservation answer is cut off mid-body gives up with a warning, at the deadline', async () => {
    const key = { ...LIVE, round: 7001 };
    await writeDataset(key, randomBytes(10_000));
    proxy.inject('CacheService/CreateCacheEntry', 'reset-mid-body');
    const logger = recordingLogger();
    const started = Date.now();
    await quietly(() => store(logger).save(key));
    assert.equal(proxy.served.at(-1)?.route, 'CacheService/CreateCacheEntry');
    assert.ok(Date.now() - started < DEADLINE_MS + 5_000, `took ${Date.now() - started} ms`);
    assert.match(logger.at('warning').join('\n'), /The Actions cache failed saving v5\.2\/live\.parquet for round 7001 .*: no answer within 300 ms\. Not using the cache/);
    assert.equal(emulator.cacheEntries().some((entry) => entry.key.endsWith('-7001-live.parquet') && entry.finalized), false);
  });

  it('a restore or save that never settles gives up at the deadline (any step of the client hanging)', async () => {
    const never: CacheClient = {
      isFeatureAvailable: () => true,
      restoreCache: () => new Promise(() => {}),
      saveCache: () => new Promise(() => {}),
    };
    const key = { ...LIVE, round: 7003 };
    const logger = recordingLogger();
    const hung = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger, cache: never, restoreDeadlineMs: 50, saveDeadlineMs: 50 });
    assert.deepEqual(await hung.restore(key), { failure: 'no answer within 50 ms' });
    await writeDataset(key, Buffer.from('x'));
    const saving = createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger, cache: never, restoreDeadlineMs: 50, saveDeadlineMs: 50 });
    await saving.save(key);
    assert.equal(logger.at('warning').length, 2);
    assert.match(logger.at('warning')[1], /failed saving .*no answer within 50 ms/);
  });

  it('a restore cut off at the deadline leaves nothing at the dataset path', async () => {
    const key = { ...LIVE, round: 7002 };
    const file = datasetPath(path.join(workspace, 'data'), key);
    // A client that gets as far as extracting part of the file, then stalls.
    const stalling: CacheClient = {
      isFeatureAvailable: () => true,
      restoreCache: async () => {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, 'half a parq');
        return new Promise<string | undefined>(() => {});
      },
      saveCache: async () => -1,
    };
    const logger = recordingLogger();
    const restored = await createActionsCacheStore({ dataDir: path.join(workspace, 'data'), logger, cache: stalling, restoreDeadlineMs: 50 }).restore(key);
    assert.deepEqual(restored, { failure: 'no answer within 50 ms' });
    await assert.rejects(readFile(file), { code: 'ENOENT' });
    assert.equal(logger.at('warning').length, 1);
  });
});
