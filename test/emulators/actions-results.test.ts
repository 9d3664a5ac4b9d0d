/**
 * The results-service emulator's own semantics, exercised through the unmodified @actions/cache and
 * @actions/artifact clients, so the adapters' tests stand on a faithful service.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as cache from '@actions/cache';
import { DefaultArtifactClient } from '@actions/artifact';
import { ActionsResultsEmulator } from './actions-results.js';
import { captureStdout } from './capture.js';
import { setEnv } from './env.js';

let emulator: ActionsResultsEmulator;
let root: string;
let workspace: string;
let restoreEnv: () => void;

before(async () => {
  emulator = await ActionsResultsEmulator.start();
  root = await mkdtemp(path.join(os.tmpdir(), 'results-emulator-'));
  workspace = path.join(root, 'ws');
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  await mkdir(workspace, { recursive: true });
  restoreEnv = setEnv(emulator.runnerEnv({ workspace, runnerTemp: path.join(root, 'tmp') }));
});

after(async () => {
  restoreEnv();
  await emulator.close();
  await rm(root, { recursive: true, force: true });
});

async function file(relative: string, content: Buffer | string): Promise<string> {
  const target = path.join(workspace, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  return target;
}

describe('CacheService', () => {
  it('restores by exact key, then by the newest prefix match of a restore key, only for the same version', async () => {
    const target = await file('c/a.bin', 'one');
    await captureStdout(() => cache.saveCache([target], 'deps-linux-1'));
    await file('c/a.bin', 'two');
    await captureStdout(() => cache.saveCache([target], 'deps-linux-2'));
    await rm(target);

    const exact = await captureStdout(() => cache.restoreCache([target], 'deps-linux-1'));
    assert.equal(exact.result, 'deps-linux-1');
    assert.equal(await readFile(target, 'utf8'), 'one');

    const prefix = await captureStdout(() => cache.restoreCache([target], 'deps-linux-9', ['deps-linux-']));
    assert.equal(prefix.result, 'deps-linux-2');
    assert.equal(await readFile(target, 'utf8'), 'two');

    const otherPaths = await captureStdout(() => cache.restoreCache([path.join(workspace, 'c')], 'deps-linux-1'));
    assert.equal(otherPaths.result, undefined, 'a different paths list is a different version');
  });

  it('answers {ok:false} to a second reservation of the same key and version', async () => {
    const target = await file('c/b.bin', 'b');
    assert.notEqual((await captureStdout(() => cache.saveCache([target], 'dup'))).result, -1);
    const second = await captureStdout(() => cache.saveCache([target], 'dup'));
    assert.equal(second.result, -1);
    const creates = emulator.requestsTo('CacheService/CreateCacheEntry');
    assert.equal(creates.at(-1)?.status, 200);
    assert.equal(emulator.cacheEntries().filter((e) => e.key === 'dup').length, 1);
  });

  it('rejects requests without the runtime token and blob requests with a forged signature', async () => {
    const twirp = await fetch(new URL('/twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry', emulator.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'k', version: 'v' }),
    });
    assert.equal(twirp.status, 401);
    assert.equal(((await twirp.json()) as { code: string }).code, 'unauthenticated');
    const blob = await fetch(new URL('/devstoreaccount1/actions-cache/1-dup?sp=r&se=x&sig=forged', emulator.url));
    assert.equal(blob.status, 403);
    assert.equal(blob.headers.get('x-ms-error-code'), 'AuthenticationFailed');
  });
});

describe('ArtifactService', () => {
  const client = new DefaultArtifactClient();

  it('stores the uploaded zip, assembling out-of-order blocks in block-list order, and serves it back', async () => {
    // Larger than the client's 8 MiB block size, so several blocks are staged concurrently.
    const big = randomBytes(20 * 1024 * 1024);
    const files = [await file('out/big.bin', big), await file('out/report.json', '{"ok":true}')];
    const { result: upload } = await captureStdout(() => client.uploadArtifact('bundle', files, path.join(workspace, 'out'), { compressionLevel: 0 }));
    assert.ok(upload.id);
    const blockPuts = emulator.requestsTo('blob.put').filter((r) => r.url.includes('comp=block&'));
    assert.ok(blockPuts.length >= 3, `expected several blocks, saw ${blockPuts.length}`);

    const stored = emulator.artifactFiles('bundle');
    assert.deepEqual(stored.map((f) => f.path).sort(), ['big.bin', 'report.json']);
    const bigEntry = stored.find((f) => f.path === 'big.bin');
    assert.equal(createHash('sha256').update(bigEntry?.content ?? '').digest('hex'), createHash('sha256').update(big).digest('hex'));

    const downloadDir = path.join(root, 'download');
    const { result: download } = await captureStdout(() => client.downloadArtifact(upload.id as number, { path: downloadDir }));
    assert.equal(download.digestMismatch, false);
    assert.equal(await readFile(path.join(downloadDir, 'report.json'), 'utf8'), '{"ok":true}');
  });

  it('refuses a second artifact with the same name in the run with 409, and deletes by name', async () => {
    const files = [await file('dup/a.txt', 'a')];
    await captureStdout(() => client.uploadArtifact('same-name', files, path.join(workspace, 'dup')));
    await assert.rejects(
      captureStdout(() => client.uploadArtifact('same-name', files, path.join(workspace, 'dup'))),
      /\(409\) Conflict: an artifact with this name already exists on the workflow run/,
    );
    const { result: listed } = await captureStdout(() => client.listArtifacts());
    assert.ok(listed.artifacts.some((a) => a.name === 'same-name'));
    await captureStdout(() => client.deleteArtifact('same-name'));
    assert.equal(emulator.artifacts().some((a) => a.name === 'same-name'), false);
  });

  it('serves injected faults per route', async () => {
    emulator.fault('ArtifactService/CreateArtifact', { kind: 'status', status: 403, message: 'artifacts are disabled', times: 1 });
    const files = [await file('f/a.txt', 'a')];
    await assert.rejects(
      captureStdout(() => client.uploadArtifact('faulty', files, path.join(workspace, 'f'))),
      /\(403\) Forbidden: artifacts are disabled/,
    );
    const last = emulator.requestsTo('ArtifactService/CreateArtifact').at(-1);
    assert.equal(last?.status, 403);
  });
});
