import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { messageOf } from '../data/errors.js';
import { PipelineError, classifyError, numeraiErrorKind } from './errors.js';
import { LockTimeoutError, describeHolder, lockName, type Locks } from './locks.js';
import type { DatasetKey, DatasetStore, NumeraiPort, Reporter, StoreFailure } from './ports.js';
import type { DatasetUse } from './report.js';

export const FEATURES_FILE = 'features.json';
export const LIVE_FILE = 'live.parquet';

export interface DataPorts {
  numerai: NumeraiPort;
  store: DatasetStore;
  reporter: Reporter;
  /** Serializes runs sharing the data folder, so two never write the same file (absent: no locking). */
  locks?: Locks;
}

/** The part of the run context (context.ts) that obtaining a dataset file uses. */
export interface DataContext {
  readonly ports: DataPorts;
  /** Every file obtained is recorded here, for the report. */
  readonly datasets: DatasetUse[];
}

/**
 * Gets one dataset file of the round and reads it: from the store when it has it, else by download (then saved to
 * the store). A file the reader refuses (DataError: truncated, corrupt) is discarded and fetched again, once; a file
 * that still cannot be read is discarded too and fails with the reader's error. Every use is recorded in
 * `run.datasets` for the report. With `ports.locks`, another run working on the same file is waited for first
 * (bounded), after which the file it left is found in the store and read, which validates it.
 */
export async function obtainDataset<T>(run: DataContext, key: DatasetKey, read: (path: string) => Promise<T>): Promise<T> {
  const { ports } = run;
  if (!ports.locks) return obtainUnlocked(run, key, read);
  const name = `${key.version}/${key.file}`;
  let lock;
  try {
    lock = await ports.locks.acquire(lockName('dataset', key.tournament, key.version, key.round, key.file), {
      onWait: (holder) => ports.reporter.log('info', `Waiting for another run on this machine (${describeHolder(holder)}) to finish with ${name}.`),
    });
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      throw new PipelineError('DataError', `another run on this machine kept ${name} locked too long: ${messageOf(error)}`);
    }
    throw error;
  }
  if (lock.tookOver) ports.reporter.log('warning', `Took over the lock on ${name} left by a run that is gone (${describeHolder(lock.tookOver)}).`);
  try {
    return await obtainUnlocked(run, key, read);
  } finally {
    await lock.release();
  }
}

async function obtainUnlocked<T>(run: DataContext, key: DatasetKey, read: (path: string) => Promise<T>): Promise<T> {
  const { ports } = run;
  const { store, reporter } = ports;
  const name = `${key.version}/${key.file}`;
  const path = store.pathFor(key);
  const restored = await restoreQuietly(ports, key);
  const storeFailure = typeof restored === 'object' ? restored.failure : undefined;
  let source: DatasetUse['source'] = restored === true ? 'store' : 'download';
  if (source === 'download') await download(ports, key, path);
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await read(path);
      if (source === 'download') await saveQuietly(ports, key);
      run.datasets.push({ file: name, source, bytes: (await stat(path)).size, ...(storeFailure === undefined ? {} : { storeFailure }) });
      return value;
    } catch (error) {
      if (classifyError(error, 'InternalError', ports.numerai) !== 'DataError') throw error;
      // An unreadable file is never kept, the second time either: a later run would trust it.
      await store.discard(key).catch((discardError: unknown) => {
        reporter.log('warning', `could not discard the stored ${name}: ${messageOf(discardError)}`);
      });
      if (attempt > 1) throw error;
      reporter.log('warning', `${name} (${source === 'store' ? 'stored copy' : 'download'}) is unreadable: ${messageOf(error)}. Fetching it again.`);
      await download(ports, key, path);
      source = 'download';
    }
  }
}

async function download(ports: DataPorts, key: DatasetKey, path: string): Promise<void> {
  const { numerai, reporter } = ports;
  const name = `${key.version}/${key.file}`;
  await mkdir(dirname(path), { recursive: true });
  let url: string;
  try {
    url = await numerai.datasetUrl(name, key.round, key.tournament);
  } catch (error) {
    if (numeraiErrorKind(error) !== 'not-found') throw error;
    throw new PipelineError('DataError', `${messageOf(error)}. ${await servedVersions(key, numerai)}`, { cause: error });
  }
  reporter.log('info', `Downloading ${name} for round ${key.round}.`);
  const progress = reporter.downloadProgress?.bind(reporter);
  await numerai.download(url, path, progress ? (received, total) => progress(name, received, total) : undefined);
  reporter.log('info', `Downloaded ${name} (${(await stat(path)).size} bytes).`);
}

/** "Numerai serves v5.0, v5.1, v5.2 …": what a model's `dataset:` can be instead of a version that is not served. */
async function servedVersions(key: DatasetKey, numerai: NumeraiPort): Promise<string> {
  const advice = `set dataset: in model.yml to a version Numerai serves`;
  if (!numerai.listDatasets) return `Is ${key.version} a dataset version? ${advice}`;
  try {
    const files = await numerai.listDatasets(key.tournament, key.round);
    const versions = [...new Set(files.filter((file) => file.endsWith(`/${key.file}`)).map((file) => file.split('/')[0]))];
    versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (versions.includes(key.version)) return `Numerai lists ${key.version}/${key.file} for round ${key.round}, yet did not serve it`;
    return `Numerai serves ${key.file} for round ${key.round} in ${versions.join(', ') || 'no version'}: ${advice}`;
  } catch (error) {
    return `${advice} (the list of versions could not be read: ${messageOf(error)})`;
  }
}

/** A store that fails to restore means a download (and a note in the report), not a failed run. */
async function restoreQuietly(ports: DataPorts, key: DatasetKey): Promise<boolean | StoreFailure> {
  try {
    return await ports.store.restore(key);
  } catch (error) {
    ports.reporter.log('warning', `dataset store: could not restore ${key.version}/${key.file}: ${messageOf(error)}`);
    return { failure: messageOf(error) };
  }
}

async function saveQuietly(ports: DataPorts, key: DatasetKey): Promise<void> {
  try {
    await ports.store.save(key);
  } catch (error) {
    ports.reporter.log('warning', `dataset store: could not save ${key.version}/${key.file}: ${messageOf(error)}`);
  }
}

/** The union of several ordered column lists, in first-seen order. */
export function unionColumns(lists: readonly (readonly string[])[]): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const column of list) seen.add(column);
  return [...seen];
}
