/**
 * `npm run build`: compiles src/ into dist/, the JavaScript the installed CLI runs with plain Node
 * (bin/numerai-autopilot.js imports dist/cli/index.js). Also runs as `prepare`, so `npm ci` in a clone and `npm pack`
 * leave a fresh dist/ behind.
 *
 * One file in, one file out, no bundling: the package's dependencies are installed beside it. esbuild only strips the
 * types (in well under a second, which matters because every `npm ci` runs this); `npm run typecheck` checks them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = path.join(ROOT, 'dist');

/** Every TypeScript source below src/, relative to the repository. */
export function sourceFiles(): string[] {
  return (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((entry) => entry.endsWith('.ts') && !entry.endsWith('.d.ts'))
    .map((entry) => path.join('src', entry))
    .sort();
}

/** Replaces dist/ with a fresh build, so a source deleted since the last build leaves no stale file behind. */
export async function build(outDir: string = DIST_DIR): Promise<number> {
  const entryPoints = sourceFiles();
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir: outDir,
    outbase: 'src',
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    charset: 'utf8',
    logLevel: 'warning',
  });
  return entryPoints.length;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const count = await build();
  // On stderr: `npm run --silent bench -- --json` builds first (prebench), and its stdout must stay one JSON object.
  console.error(`Built ${count} modules into ${path.relative(ROOT, DIST_DIR)}/.`);
}
