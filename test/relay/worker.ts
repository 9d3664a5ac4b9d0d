/** The relay as `wrangler deploy` builds it, for the tests that run it in workerd (miniflare). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../e2e/harness.js';

/** One ES module built from relay/src/index.ts (esbuild, as wrangler does), and wrangler.toml's compatibility date. */
export async function relayWorkerScript(): Promise<{ script: string; compatibilityDate: string }> {
  const result = await build({ entryPoints: [path.join(ROOT, 'relay/src/index.ts')], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
  const toml = fs.readFileSync(path.join(ROOT, 'relay/wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml);
  assert.ok(date, 'wrangler.toml has a compatibility_date');
  return { script: result.outputFiles[0].text, compatibilityDate: date[1] };
}
