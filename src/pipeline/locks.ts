import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

/**
 * Exclusive lock files in the data folder, so that two runs sharing a machine (or a data folder) never submit the same
 * model for a round twice, nor write the same dataset file at once. A lock is a file created with O_EXCL ('wx'),
 * holding who took it; it is removed when released. A lock left by a run that died (SIGKILL, power loss) is taken
 * over: its process is gone on this host, or it has not been refreshed for `staleMs`. Runs on different machines
 * that do not share the folder are not covered: the server re-check before each upload is what narrows that case.
 */
export interface Locks {
  /** Takes the lock now, or says who holds it. */
  tryAcquire(name: string): Promise<LockAttempt>;
  /** Waits (polling, bounded by `maxWaitMs`) until the lock can be taken; throws LockTimeoutError past the bound. */
  acquire(name: string, options?: { maxWaitMs?: number; onWait?: (holder: LockHolder | null) => void }): Promise<HeldLock>;
}

/** What a lock file says about the run holding it. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  acquiredAt: string;
  /** Tells this holder from a later one, so a release never removes a lock another run took over. */
  token: string;
}

export interface HeldLock {
  readonly path: string;
  /** The stale lock this one replaced, if any. */
  readonly tookOver: LockHolder | null;
  release(): Promise<void>;
}

export type LockAttempt = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockHolder | null };

export class LockTimeoutError extends Error {
  constructor(
    readonly lockName: string,
    readonly holder: LockHolder | null,
    waitedMs: number,
  ) {
    super(`the lock ${lockName} was still held${holder ? ` by pid ${holder.pid} on ${holder.hostname}` : ''} after ${Math.round(waitedMs / 1000)} s`);
    this.name = 'LockTimeoutError';
  }
}

export interface FileLocksOptions {
  /** A lock not refreshed for this long is stale, whoever holds it. Default 30 minutes. */
  staleMs?: number;
  /** How often a held lock's time is refreshed, so a long download or upload does not go stale. Default staleMs / 3. */
  refreshMs?: number;
  /** Polling interval of `acquire`. Default 200 ms. */
  pollMs?: number;
  /** Default bound of `acquire`. Default staleMs plus a minute: by then a dead holder's lock is stale. */
  maxWaitMs?: number;
  pid?: number;
  hostname?: string;
  /** Whether a process of this host is running. */
  isAlive?: (pid: number) => boolean;
  now?: () => number;
  /** Real time, not the pipeline's clock: the wait is for another process, which a test clock does not advance. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_LOCK_STALE_MS = 30 * 60_000;

/** An empty or unreadable lock file younger than this is a lock being written, not a stale one. */
const UNREADABLE_GRACE_MS = 10_000;

/** The lock folder the pipeline uses: `<dataDir>/locks`. */
export function lockFolder(dataDir: string): string {
  return join(dataDir, 'locks');
}

/** A name safe as a file name: "8-1234-my_model" stays, "v5.2/live.parquet" becomes "v5.2_live.parquet". */
export function lockName(...parts: (string | number)[]): string {
  return parts.map((part) => String(part).replace(/[^A-Za-z0-9._-]/g, '_')).join('-');
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks as files in one folder (created on first use). */
export function fileLocks(dir: string, options: FileLocksOptions = {}): Locks {
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const refreshMs = options.refreshMs ?? Math.max(1, Math.floor(staleMs / 3));
  const pollMs = options.pollMs ?? 200;
  const defaultMaxWaitMs = options.maxWaitMs ?? staleMs + 60_000;
  const pid = options.pid ?? process.pid;
  const host = options.hostname ?? osHostname();
  const isAlive = options.isAlive ?? processIsAlive;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const pathOf = (name: string) => join(dir, `${name}.lock`);

  async function create(path: string, tookOver: LockHolder | null): Promise<HeldLock | null> {
    const holder: LockHolder = { pid, hostname: host, acquiredAt: new Date(now()).toISOString(), token: randomUUID() };
    let handle;
    try {
      handle = await open(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw error;
    }
    try {
      await handle.writeFile(`${JSON.stringify(holder)}\n`);
    } finally {
      await handle.close();
    }
    const timer = setInterval(() => {
      const time = new Date(now());
      utimes(path, time, time).catch(() => undefined);
    }, refreshMs);
    timer.unref();
    let released = false;
    return {
      path,
      tookOver,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        // Only our own lock: if it went stale and another run took it over, it is theirs now.
        const current = await readHolder(path);
        if (current.holder?.token === holder.token) await unlink(path).catch(() => undefined);
      },
    };
  }

  function isStale(holder: LockHolder | null, ageMs: number): boolean {
    if (!holder) return ageMs > UNREADABLE_GRACE_MS;
    if (ageMs > staleMs) return true;
    return holder.hostname === host && holder.pid !== pid && !isAlive(holder.pid);
  }

  /**
   * Removes a stale lock, guarded by a second lock file so that two runs taking over the same stale lock cannot
   * both succeed (one could otherwise remove the lock the other had just created).
   */
  async function removeStale(path: string, seen: LockHolder | null): Promise<boolean> {
    const guard = `${path}.takeover`;
    let handle;
    try {
      handle = await open(guard, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A guard left by a run killed in these few lines is itself removed once old.
      const info = await stat(guard).catch(() => null);
      if (info && now() - info.mtimeMs > UNREADABLE_GRACE_MS) await unlink(guard).catch(() => undefined);
      return false;
    }
    try {
      await handle.close();
      const current = await readHolder(path);
      if (current.missing) return true;
      if (current.holder?.token !== seen?.token) return false;
      await unlink(path).catch(() => undefined);
      return true;
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  }

  async function tryAcquire(name: string): Promise<LockAttempt> {
    await mkdir(dir, { recursive: true });
    const path = pathOf(name);
    for (let round = 0; round < 3; round++) {
      const lock = await create(path, null);
      if (lock) return { acquired: true, lock };
      const current = await readHolder(path);
      if (current.missing) continue;
      if (!isStale(current.holder, now() - current.mtimeMs)) return { acquired: false, holder: current.holder };
      if (await removeStale(path, current.holder)) {
        const taken = await create(path, current.holder);
        if (taken) return { acquired: true, lock: taken };
      }
    }
    const current = await readHolder(path);
    return { acquired: false, holder: current.holder };
  }

  async function acquire(name: string, waitOptions: { maxWaitMs?: number; onWait?: (holder: LockHolder | null) => void } = {}): Promise<HeldLock> {
    const maxWaitMs = waitOptions.maxWaitMs ?? defaultMaxWaitMs;
    const started = now();
    let told = false;
    for (;;) {
      const attempt = await tryAcquire(name);
      if (attempt.acquired) return attempt.lock;
      const waited = now() - started;
      if (waited >= maxWaitMs) throw new LockTimeoutError(name, attempt.holder, waited);
      if (!told) {
        told = true;
        waitOptions.onWait?.(attempt.holder);
      }
      await sleep(Math.min(pollMs, Math.max(1, maxWaitMs - waited)));
    }
  }

  return { tryAcquire, acquire };
}

async function readHolder(path: string): Promise<{ missing: boolean; holder: LockHolder | null; mtimeMs: number }> {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true, holder: null, mtimeMs: 0 };
    throw error;
  }
  return { missing: false, holder: parseHolder(text), mtimeMs };
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.hostname === 'string' && typeof value.acquiredAt === 'string' && typeof value.token === 'string') {
      return value as LockHolder;
    }
  } catch {
    // Falls through: an unreadable lock.
  }
  return null;
}

/** "pid 123 on host-a since 2026-01-01T00:00:00.000Z", for messages. */
export function describeHolder(holder: LockHolder | null): string {
  return holder ? `pid ${holder.pid} on ${holder.hostname} since ${holder.acquiredAt}` : 'an unknown run';
}
