/**
 * LocalDatasetStore over the data folder's one layout (src/store/layout.ts), and its move of folders left in the
 * old local layout, <dataDir>/<tournament name>/<version>/round-<n>/<file>, into it (src/store/migrate.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import type { Level } from '../../src/pipeline/ports.js';
import { datasetPath } from '../../src/store/layout.js';
import { LocalDatasetStore } from '../../src/store/local.js';

const key = (round: number, file = 'live.parquet', version = 'v5.2') => ({ tournament: 8, version, round, file });

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'store-layout-'));
}

function put(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function recorder() {
  const lines: { level: Level; message: string }[] = [];
  return { lines, logger: { log: (level: Level, message: string) => void lines.push({ level, message }) } };
}

describe('LocalDatasetStore layout', () => {
  test('files live where the Actions cache store keeps them: <dataDir>/<tournament>/<version>/<round>/<file>', () => {
    const dir = dataDir();
    const store = new LocalDatasetStore(dir);
    assert.equal(store.pathFor(key(1234)), join(dir, '8', 'v5.2', '1234', 'live.parquet'));
    assert.equal(store.pathFor(key(1234)), datasetPath(dir, key(1234)));
    assert.throws(() => store.pathFor(key(1, '../live.parquet')), /is not a relative file name/);
  });

  test('versions() lists version folders only; roundPaths() lists round folders newest first', async () => {
    const dir = dataDir();
    put(join(dir, '8', 'v5.2', '9', 'features.json'), '{}');
    put(join(dir, '8', 'v5.2', '11', 'features.json'), '{}');
    mkdirSync(join(dir, '8', 'v5.2', '10'));
    mkdirSync(join(dir, '8', 'v5.2', 'notes'));
    put(join(dir, '8', 'v5.1', '3', 'features.json'), '{}');
    put(join(dir, '8', '.DS_Store'), '');
    const store = new LocalDatasetStore(dir);
    assert.deepEqual((await store.versions(8)).sort(), ['v5.1', 'v5.2']);
    assert.deepEqual(await store.versions(11), []);
    assert.deepEqual(await store.roundPaths(8, 'v5.2', 'features.json'), [11, 10, 9].map((round) => join(dir, '8', 'v5.2', String(round), 'features.json')));
  });
});

describe('LocalDatasetStore moves the old layout into the new one', () => {
  test('old round folders are renamed into the new layout, once, and the empty old folders are removed', async () => {
    const dir = dataDir();
    put(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet'), 'LIVE 10');
    put(join(dir, 'classic', 'v5.2', 'round-10', 'features.json'), '{"10": true}');
    put(join(dir, 'classic', 'v5.2', 'round-9', 'live.parquet'), 'LIVE 9');
    put(join(dir, 'classic', 'v5.1', 'round-10', 'features.json'), '{"v5.1": true}');
    put(join(dir, 'tournament-99', 'v1', 'round-4', 'live.parquet'), 'OTHER');
    const inode = statSync(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet')).ino;
    const { lines, logger } = recorder();
    const store = new LocalDatasetStore(dir, { logger });

    assert.equal(await store.restore(key(10)), true);
    assert.equal(readFileSync(store.pathFor(key(10)), 'utf8'), 'LIVE 10');
    assert.equal(statSync(store.pathFor(key(10))).ino, inode, 'moved by a rename, not copied');
    assert.equal(readFileSync(store.pathFor(key(10, 'features.json')), 'utf8'), '{"10": true}');
    assert.equal(readFileSync(store.pathFor(key(9)), 'utf8'), 'LIVE 9');
    assert.equal(readFileSync(store.pathFor(key(10, 'features.json', 'v5.1')), 'utf8'), '{"v5.1": true}');
    assert.equal(readFileSync(join(dir, '99', 'v1', '4', 'live.parquet'), 'utf8'), 'OTHER');
    assert.deepEqual(readdirSync(dir).sort(), ['8', '99'], 'the old folders are gone');

    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0].level, 'notice');
    for (const move of ['classic/v5.2/round-10 -> 8/v5.2/10', 'classic/v5.2/round-9 -> 8/v5.2/9', 'classic/v5.1/round-10 -> 8/v5.1/10', 'tournament-99/v1/round-4 -> 99/v1/4']) {
      assert.ok(lines[0].message.includes(move), `${move} in: ${lines[0].message}`);
    }

    await store.restore(key(10, 'features.json'));
    await new LocalDatasetStore(dir, { logger }).restore(key(10));
    assert.equal(lines.length, 1, 'a folder already in the new layout is not moved again, nor reported');

    await store.save(key(10));
    assert.equal(existsSync(join(dir, '8', 'v5.2', '9')), false, 'save prunes the older rounds of the version, as before');
    assert.equal(existsSync(join(dir, '8', 'v5.1', '10')), true);
  });

  test('a file already in the new layout is kept; the old copy stays where it is and a warning says so', async () => {
    const dir = dataDir();
    put(join(dir, '8', 'v5.2', '10', 'live.parquet'), 'NEW');
    put(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet'), 'OLD');
    put(join(dir, 'classic', 'v5.2', 'round-10', 'features.json'), '{}');
    const { lines, logger } = recorder();
    const store = new LocalDatasetStore(dir, { logger });

    assert.deepEqual(await store.roundPaths(8, 'v5.2', 'live.parquet'), [join(dir, '8', 'v5.2', '10', 'live.parquet')]);
    assert.equal(readFileSync(store.pathFor(key(10)), 'utf8'), 'NEW', 'never overwritten');
    assert.equal(readFileSync(store.pathFor(key(10, 'features.json')), 'utf8'), '{}', 'the rest of the round is moved');
    assert.equal(readFileSync(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet'), 'utf8'), 'OLD', 'the old copy is left');
    assert.deepEqual(readdirSync(join(dir, 'classic', 'v5.2', 'round-10')), ['live.parquet']);

    assert.deepEqual(lines.map((line) => line.level), ['notice', 'warning']);
    assert.match(lines[0].message, /classic\/v5\.2\/round-10\/features\.json -> 8\/v5\.2\/10\/features\.json/);
    assert.match(lines[1].message, /Did not move classic\/v5\.2\/round-10\/live\.parquet of .* to the new layout: 8\/v5\.2\/10\/live\.parquet is already there, and is kept/);

    // Said again on every run until the old copy is deleted; nothing else changes.
    const again = recorder();
    await new LocalDatasetStore(dir, { logger: again.logger }).restore(key(10));
    assert.deepEqual(again.lines.map((line) => line.level), ['warning']);
    assert.equal(readFileSync(store.pathFor(key(10)), 'utf8'), 'NEW');
  });

  test('a folder that cannot be moved stays where it is, a warning says why, and the store still works', async () => {
    const dir = dataDir();
    // A file where the new layout needs the tournament's folder: nothing of classic/ can be moved under it.
    put(join(dir, '8'), 'not a folder');
    put(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet'), 'OLD');
    const { lines, logger } = recorder();
    const store = new LocalDatasetStore(dir, { logger });

    assert.equal(await store.restore(key(10)), false, 'the file is not in the new layout, so it is downloaded again');
    assert.equal(readFileSync(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet'), 'utf8'), 'OLD', 'nothing is lost');
    assert.equal(readFileSync(join(dir, '8'), 'utf8'), 'not a folder', 'nothing is overwritten');
    assert.deepEqual(lines.map((line) => line.level), ['warning']);
    assert.match(lines[0].message, /Could not move classic\/v5\.2\/round-10 of .* to the new layout: .*ENOTDIR.*It stays where it is; a run downloads the files it needs again\./);
  });

  test('a migration cut short finishes on the next run', async () => {
    const dir = dataDir();
    // Left by a run stopped mid-way: one file of round 10 moved, the other not; round 9 moved but its old folder,
    // and the v5.1 version folder, not removed yet.
    put(join(dir, '8', 'v5.2', '10', 'live.parquet'), 'LIVE 10');
    put(join(dir, 'classic', 'v5.2', 'round-10', 'features.json'), '{}');
    put(join(dir, '8', 'v5.2', '9', 'live.parquet'), 'LIVE 9');
    mkdirSync(join(dir, 'classic', 'v5.2', 'round-9'));
    mkdirSync(join(dir, 'classic', 'v5.1'));
    const { lines, logger } = recorder();
    const store = new LocalDatasetStore(dir, { logger });

    assert.equal(await store.restore(key(10, 'features.json')), true);
    assert.equal(readFileSync(store.pathFor(key(10)), 'utf8'), 'LIVE 10');
    assert.equal(readFileSync(store.pathFor(key(9)), 'utf8'), 'LIVE 9');
    assert.deepEqual(readdirSync(dir), ['8'], 'nothing of the old layout is left');
    assert.deepEqual(lines.map((line) => line.level), ['notice']);
    assert.match(lines[0].message, /classic\/v5\.2\/round-10\/features\.json -> 8\/v5\.2\/10\/features\.json/);
  });

  test('entries that are not the old layout are left alone', async () => {
    const dir = dataDir();
    put(join(dir, 'locks', 'dataset-8-v5.2-10-live.parquet.lock'), '{}');
    put(join(dir, 'synthetic', 'live.parquet'), 'SYNTHETIC');
    put(join(dir, 'mine', 'v5.2', 'round-10', 'live.parquet'), 'MINE');
    put(join(dir, 'classic', 'README.txt'), 'notes');
    put(join(dir, 'classic', 'v5.2', 'backup', 'live.parquet'), 'BACKUP');
    put(join(dir, 'classic', 'v5.2', 'round-latest', 'live.parquet'), 'LATEST');
    put(join(dir, 'classic', 'v5.2', 'round-10.txt'), 'A FILE');
    put(join(dir, 'classic', 'v5.2', 'round-10', 'live.parquet'), 'LIVE 10');
    const before = listing(dir).filter((path) => !path.startsWith('classic/v5.2/round-10/'));
    const { lines, logger } = recorder();
    const store = new LocalDatasetStore(dir, { logger });

    assert.equal(await store.restore(key(10)), true);
    assert.deepEqual(listing(dir).filter((path) => !path.startsWith('8/')), before);
    assert.equal(readFileSync(join(dir, 'mine', 'v5.2', 'round-10', 'live.parquet'), 'utf8'), 'MINE');
    assert.deepEqual(lines.map((line) => line.level), ['notice']);
  });

  test('without a logger the move is done all the same; a fresh or missing data folder is no trouble', async () => {
    const dir = dataDir();
    put(join(dir, 'classic', 'v5.2', 'round-3', 'features.json'), '{}');
    const store = new LocalDatasetStore(dir);
    assert.deepEqual(await store.versions(8), ['v5.2']);
    assert.deepEqual(await store.roundPaths(8, 'v5.2', 'features.json'), [join(dir, '8', 'v5.2', '3', 'features.json')]);
    assert.equal(existsSync(join(dir, 'classic')), false);

    const { lines, logger } = recorder();
    assert.equal(await new LocalDatasetStore(join(dir, 'missing'), { logger }).restore(key(3)), false);
    assert.deepEqual(lines, []);
  });
});

/** Every file under `dir`, relative, with forward slashes, sorted. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}
