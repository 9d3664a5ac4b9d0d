import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { LockTimeoutError, fileLocks, lockFolder, lockName, processIsAlive, type LockHolder } from '../../src/pipeline/locks.js';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'locks-')), 'locks');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(child.pid && !processIsAlive(child.pid));
  return child.pid;
}

function writeLock(name: string, holder: Partial<LockHolder>): string {
  const path = join(dir, `${name}.lock`);
  const full: LockHolder = { pid: process.pid, hostname: 'host-a', acquiredAt: new Date().toISOString(), token: 'theirs', ...holder };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify(full));
  return path;
}

describe('file locks', () => {
  test('take and release: the lock file holds who took it and is gone after release', async () => {
    const locks = fileLocks(dir, { hostname: 'host-a', pid: 4242 });
    const attempt = await locks.tryAcquire('8-500-alpha');
    assert.ok(attempt.acquired);
    const path = join(dir, '8-500-alpha.lock');
    assert.equal(attempt.lock.path, path);
    assert.equal(attempt.lock.tookOver, null);
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    assert.equal(holder.pid, 4242);
    assert.equal(holder.hostname, 'host-a');
    assert.ok(!Number.isNaN(Date.parse(holder.acquiredAt)));
    await attempt.lock.release();
    assert.equal(existsSync(path), false);
    await attempt.lock.release();
    assert.ok((await locks.tryAcquire('8-500-alpha')).acquired);
  });

  test('a lock held by a live process is refused, with who holds it', async () => {
    const first = fileLocks(dir, { hostname: 'host-a' });
    const second = fileLocks(dir, { hostname: 'host-a' });
    const held = await first.tryAcquire('m');
    assert.ok(held.acquired);
    const refused = await second.tryAcquire('m');
    assert.equal(refused.acquired, false);
    assert.equal(refused.acquired ? undefined : refused.holder?.pid, process.pid);
    await held.lock.release();
    assert.ok((await second.tryAcquire('m')).acquired);
  });

  test('a lock whose process is gone on this host is taken over', async () => {
    const pid = deadPid();
    writeLock('m', { pid, hostname: 'host-a' });
    const attempt = await fileLocks(dir, { hostname: 'host-a' }).tryAcquire('m');
    assert.ok(attempt.acquired);
    assert.equal(attempt.lock.tookOver?.pid, pid);
    assert.equal((JSON.parse(readFileSync(attempt.lock.path, 'utf8')) as LockHolder).pid, process.pid);
  });

  test("another host's lock is not judged by pid, only by age", async () => {
    const path = writeLock('m', { pid: deadPid(), hostname: 'host-b' });
    const locks = fileLocks(dir, { hostname: 'host-a', staleMs: 60_000 });
    assert.equal((await locks.tryAcquire('m')).acquired, false);
    const old = new Date(Date.now() - 120_000);
    utimesSync(path, old, old);
    const attempt = await locks.tryAcquire('m');
    assert.ok(attempt.acquired);
    assert.equal(attempt.lock.tookOver?.hostname, 'host-b');
  });

  test('a live holder that stopped refreshing is stale after the bound', async () => {
    const path = writeLock('m', { hostname: 'host-a' });
    const old = new Date(Date.now() - 31 * 60_000);
    utimesSync(path, old, old);
    assert.ok((await fileLocks(dir, { hostname: 'host-a' }).tryAcquire('m')).acquired);
  });

  test('an unreadable lock file is left alone while fresh, taken over once old', async () => {
    const path = writeLock('m', {});
    writeFileSync(path, '');
    const locks = fileLocks(dir, { hostname: 'host-a' });
    assert.equal((await locks.tryAcquire('m')).acquired, false);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    assert.ok((await locks.tryAcquire('m')).acquired);
  });

  test('releasing a lock another run took over does not remove theirs', async () => {
    const mine = await fileLocks(dir, { hostname: 'host-a' }).tryAcquire('m');
    assert.ok(mine.acquired);
    const path = writeLock('m', { token: 'newer' });
    await mine.lock.release();
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).token, 'newer');
  });

  test('acquire waits for the holder to release, then takes the lock', async () => {
    const locks = fileLocks(dir, { hostname: 'host-a', pollMs: 5 });
    const held = await locks.tryAcquire('dataset');
    assert.ok(held.acquired);
    const waits: (LockHolder | null)[] = [];
    const waiting = locks.acquire('dataset', { onWait: (holder) => waits.push(holder) });
    setTimeout(() => void held.lock.release(), 50);
    const lock = await waiting;
    assert.equal(waits.length, 1);
    assert.equal(waits[0]?.pid, process.pid);
    await lock.release();
  });

  test('acquire gives up past its bound', async () => {
    const locks = fileLocks(dir, { hostname: 'host-a', pollMs: 5 });
    const held = await locks.tryAcquire('dataset');
    assert.ok(held.acquired);
    await assert.rejects(locks.acquire('dataset', { maxWaitMs: 40 }), LockTimeoutError);
    await held.lock.release();
  });

  test('only one of many concurrent attempts on a stale lock wins', async () => {
    writeLock('m', { pid: deadPid(), hostname: 'host-a' });
    const attempts = await Promise.all(Array.from({ length: 8 }, () => fileLocks(dir, { hostname: 'host-a' }).tryAcquire('m')));
    assert.equal(attempts.filter((attempt) => attempt.acquired).length, 1);
  });

  test('names are safe file names; the folder is <dataDir>/locks', () => {
    assert.equal(lockName('dataset', 8, 'v5.2', 500, 'sub/live.parquet'), 'dataset-8-v5.2-500-sub_live.parquet');
    assert.equal(lockFolder('/data'), join('/data', 'locks'));
  });
});
