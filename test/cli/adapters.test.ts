import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { LocalDatasetStore } from '../../src/store/local.js';
import { TerminalReporter } from '../../src/cli/terminal-reporter.js';
import { predictionStats } from '../../src/pipeline/stats.js';

test('the local store keeps one round per dataset version and treats empty files as missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  const store = new LocalDatasetStore(dir);
  const key = (round: number) => ({ tournament: 8, version: 'v5.2', round, file: 'live.parquet' });
  assert.equal(store.pathFor(key(10)), join(dir, '8', 'v5.2', '10', 'live.parquet'));
  assert.equal(await store.restore(key(10)), false);
  mkdirSync(dirname(store.pathFor(key(10))), { recursive: true });
  writeFileSync(store.pathFor(key(10)), '');
  assert.equal(await store.restore(key(10)), false, 'an empty file is not a stored dataset');
  writeFileSync(store.pathFor(key(10)), 'PAR1');
  assert.equal(await store.restore(key(10)), true);
  mkdirSync(dirname(store.pathFor(key(11))), { recursive: true });
  writeFileSync(store.pathFor(key(11)), 'PAR1');
  await store.save(key(11));
  assert.equal(existsSync(join(dir, '8', 'v5.2', '10')), false, 'older rounds are pruned');
  await store.discard(key(11));
  assert.equal(await store.restore(key(11)), false);
});

test('download progress: a live line on a terminal, nothing but whole lines otherwise', () => {
  let tty = '';
  let now = 0;
  const terminal = new TerminalReporter({ isTTY: true, write: (text: string) => (tty += text) }, { now: () => now });
  terminal.downloadProgress('v5.2/live.parquet', 0, 2 * 1024 * 1024);
  now += 10;
  terminal.downloadProgress('v5.2/live.parquet', 1024 * 1024, 2 * 1024 * 1024); // throttled
  now += 200;
  terminal.downloadProgress('v5.2/live.parquet', 1024 * 1024, 2 * 1024 * 1024);
  terminal.log('info', 'next line');
  assert.equal(
    tty,
    '\r\x1b[K  v5.2/live.parquet  0 B / 2.0 MiB (0%)\r\x1b[K  v5.2/live.parquet  1.0 MiB / 2.0 MiB (50%)\r\x1b[Knext line\n',
  );
  let plain = '';
  const log = new TerminalReporter({ write: (text: string) => (plain += text) });
  log.downloadProgress('v5.2/live.parquet', 5, 10);
  log.log('warning', 'careful');
  log.log('debug', 'hidden');
  assert.equal(plain, 'warning: careful\n');
});

test('prediction stats: population std, and non-finite values counted apart', () => {
  assert.deepEqual(predictionStats([0.25, 0.75]), { mean: 0.5, std: 0.25, min: 0.25, max: 0.75 });
  assert.deepEqual(predictionStats([0.5, Number.NaN, 0.5]), { mean: 0.5, std: 0, min: 0.5, max: 0.5, nonFinite: 1 });
  const none = predictionStats([Number.NaN]);
  assert.ok(Number.isNaN(none.mean) && none.nonFinite === 1);
});
