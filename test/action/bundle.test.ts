/**
 * The committed action/ folder must be exactly what `npm run bundle` builds from the current sources: the action
 * runs action/, never src/, so a stale bundle would ship old code. Rebuilds the JavaScript in memory and compares
 * byte for byte (which also shows the build is deterministic: the committed files were built at another time);
 * compares the vendored onnxruntime-node files by hash.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ACTION_DIR, WORKER_OUTPUT, buildJavaScript, listFiles, sha256, vendoredFiles, type BuiltFile } from '../../scripts/bundle.js';

const STALE = 'action/ is not a fresh build of the sources: run `npm run bundle` and commit action/.';

describe('the committed bundle', async () => {
  const built: BuiltFile[] = await buildJavaScript();
  const vendored = vendoredFiles();

  it('holds exactly the files a fresh build produces', () => {
    const expected = [...built.map((f) => f.relative), ...vendored.map((f) => f.relative)].sort();
    const committed = listFiles(ACTION_DIR);
    const missing = expected.filter((f) => !committed.includes(f));
    const extra = committed.filter((f) => !expected.includes(f));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, STALE);
  });

  it('has the JavaScript a fresh build produces, byte for byte', () => {
    const differing = built.filter((file) => {
      const target = path.join(ACTION_DIR, file.relative);
      return !fs.existsSync(target) || !Buffer.from(file.contents).equals(fs.readFileSync(target));
    });
    assert.deepEqual(
      differing.map((f) => f.relative),
      [],
      STALE,
    );
  });

  it('vendors the installed onnxruntime-node for linux/x64, unchanged', () => {
    const differing = vendored.filter((file) => {
      const target = path.join(ACTION_DIR, file.relative);
      if (!fs.existsSync(target) || fs.statSync(target).size !== fs.statSync(file.source).size) return true;
      return sha256(fs.readFileSync(target)) !== sha256(fs.readFileSync(file.source));
    });
    assert.deepEqual(
      differing.map((f) => f.relative),
      [],
      STALE,
    );
    const names = vendored.map((f) => f.relative);
    assert.ok(names.includes('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
    assert.ok(names.includes('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1'));
    assert.ok(!names.some((name) => /darwin|win32|arm64/.test(name)), 'no other platform is vendored');
  });

  it('has the parquet decode worker beside the chunk that starts it', () => {
    const worker = `${WORKER_OUTPUT}.js`;
    assert.ok(built.some((f) => f.relative === worker), `${worker} is built`);
    const starters = built.filter((f) => Buffer.from(f.contents).toString('utf8').includes('"./parquet-worker.js"'));
    assert.ok(starters.length > 0, 'some chunk starts the worker');
    for (const starter of starters) {
      assert.equal(path.posix.dirname(starter.relative), path.posix.dirname(worker), `${starter.relative} resolves ./parquet-worker.js beside itself`);
    }
  });

  it('loads onnxruntime-node only from a chunk imported after the platform check', () => {
    const index = built.find((f) => f.relative === 'index.js');
    assert.ok(index);
    const text = Buffer.from(index.contents).toString('utf8');
    assert.doesNotMatch(text, /from\s*["']onnxruntime-(node|common)["']|require\(["']onnxruntime/, 'index.js must not import onnxruntime statically');
    assert.match(text, /import\(["']\.\/chunks\//, 'index.js loads the pipeline lazily');
    assert.ok(text.includes('unsupportedPlatformMessage') || text.includes('runners only'), 'index.js carries the platform check');
  });
});
