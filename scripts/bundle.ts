/**
 * Builds the committed action bundle: `npm run bundle` writes action/ (index.js, its lazily loaded chunks, a
 * package.json marking them ESM, and a trimmed linux-x64 copy of onnxruntime-node under action/node_modules).
 *
 * onnxruntime-node cannot be bundled (it loads a native binding that sits beside libonnxruntime.so.1), so it stays
 * external and is vendored. Code splitting keeps the pipeline, which imports onnxruntime-node, in a chunk that
 * index.js imports only after the runner-platform check; without it esbuild would hoist the external import to
 * the top of index.js and the native library would load before the check could explain an unsupported runner.
 *
 * `npm test` (test/action/bundle.test.ts) rebuilds into memory and compares with the committed files, so the
 * output must be deterministic: no timestamps, no absolute paths, files copied byte for byte.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ACTION_DIR = path.join(ROOT, 'action');
export const ENTRY = 'src/github/index.ts';
/**
 * The parquet decode worker, started by src/data/parquet-parallel.ts as `./parquet-worker.js` beside its own module.
 * That module is in the pipeline's lazily loaded chunk, so the worker entry is written into chunks/ beside it
 * (test/action/bundle.test.ts checks that they stay side by side).
 */
export const WORKER_ENTRY = 'src/data/parquet-worker.ts';
export const WORKER_OUTPUT = 'chunks/parquet-worker';

/** Packages loaded from action/node_modules at run time instead of being bundled. */
export const EXTERNAL_PACKAGES = ['onnxruntime-node', 'onnxruntime-common'];

/**
 * Optional packages a bundled dependency tries to require and does without (debug asks for supports-color inside a
 * try/catch). Kept out of the bundle, so that the bundle does not change with whether a dev dependency happened to
 * install them.
 */
const OPTIONAL_PACKAGES = ['supports-color'];

/** Marks the bundle as ESM even where no package.json of the repository sits above it. */
const PACKAGE_JSON = `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`;

// Bundled CommonJS dependencies call require() and read __dirname; an ESM file has neither, so define them. The
// file and folder get private names (see `define`): a bundled ES module may declare its own __filename.
const BANNER = [
  '// Built by `npm run bundle` from src/github/index.ts. Do not edit: CI fails when this differs from a fresh build.',
  "import { createRequire as __nap_createRequire } from 'node:module';",
  "import { fileURLToPath as __nap_fileURLToPath } from 'node:url';",
  "import { dirname as __nap_dirname } from 'node:path';",
  'const require = __nap_createRequire(import.meta.url);',
  'const __nap_filename = __nap_fileURLToPath(import.meta.url);',
  'const __nap_dirname_value = __nap_dirname(__nap_filename);',
].join('\n');

export interface BuiltFile {
  /** Path relative to the action folder, with forward slashes. */
  relative: string;
  contents: Uint8Array;
}

/** The JavaScript part of the bundle, built in memory. */
export async function buildJavaScript(): Promise<BuiltFile[]> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { index: ENTRY, [WORKER_OUTPUT]: WORKER_ENTRY },
    outdir: 'action',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: [...EXTERNAL_PACKAGES, ...OPTIONAL_PACKAGES],
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: BANNER },
    define: { __filename: '__nap_filename', __dirname: '__nap_dirname_value' },
    legalComments: 'eof',
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
  });
  const files = result.outputFiles.map((file) => ({
    relative: path.relative(path.join(ROOT, 'action'), file.path).split(path.sep).join('/'),
    contents: file.contents,
  }));
  files.push({ relative: 'package.json', contents: new TextEncoder().encode(PACKAGE_JSON) });
  return files.sort((a, b) => a.relative.localeCompare(b.relative));
}

/** One file of the vendored onnxruntime-node copy: where it comes from and where it goes. */
export interface VendoredFile {
  source: string;
  relative: string;
}

/**
 * The trimmed onnxruntime-node for linux/x64: what `require('onnxruntime-node')` loads at run time and nothing else
 * (no other platforms, no install scripts, no type declarations or source maps).
 */
export function vendoredFiles(): VendoredFile[] {
  const nodeModules = path.join(ROOT, 'node_modules');
  const files: VendoredFile[] = [];
  const add = (packageRelative: string, keep: (file: string) => boolean) => {
    const source = path.join(nodeModules, packageRelative);
    if (!fs.existsSync(source)) throw new Error(`Cannot vendor ${packageRelative}: ${source} is missing. Run \`ONNXRUNTIME_NODE_INSTALL=skip npm ci\` first.`);
    const stat = fs.statSync(source);
    const entries = stat.isDirectory() ? (fs.readdirSync(source, { recursive: true }) as string[]).map((entry) => path.join(packageRelative, entry)) : [packageRelative];
    for (const entry of entries) {
      const absolute = path.join(nodeModules, entry);
      if (fs.statSync(absolute).isFile() && keep(entry)) files.push({ source: absolute, relative: `node_modules/${entry.split(path.sep).join('/')}` });
    }
  };
  const runtimeJs = (file: string) => file.endsWith('.js') || path.basename(file) === 'package.json';
  add('onnxruntime-node/package.json', () => true);
  add('onnxruntime-node/dist', runtimeJs);
  add('onnxruntime-node/bin/napi-v6/linux/x64', () => true);
  add('onnxruntime-common/package.json', () => true);
  add('onnxruntime-common/dist', runtimeJs);
  return files.sort((a, b) => a.relative.localeCompare(b.relative));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every file below a folder, relative to it, with forward slashes. */
export function listFiles(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return (fs.readdirSync(folder, { recursive: true }) as string[])
    .filter((entry) => fs.statSync(path.join(folder, entry)).isFile())
    .map((entry) => entry.split(path.sep).join('/'))
    .sort();
}

/** Replaces `outDir` with a fresh bundle. Returns the files written. */
export async function writeBundle(outDir: string = ACTION_DIR): Promise<string[]> {
  const javascript = await buildJavaScript();
  const vendored = vendoredFiles();
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const file of javascript) {
    const target = path.join(outDir, file.relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.contents);
  }
  for (const file of vendored) {
    const target = path.join(outDir, file.relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file.source, target);
  }
  return [...javascript.map((f) => f.relative), ...vendored.map((f) => f.relative)];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : ACTION_DIR;
  const written = await writeBundle(outDir);
  let total = 0;
  for (const file of written) total += fs.statSync(path.join(outDir, file)).size;
  const jsBytes = written.filter((f) => f.endsWith('.js') && !f.startsWith('node_modules/')).reduce((sum, f) => sum + fs.statSync(path.join(outDir, f)).size, 0);
  console.log(`Wrote ${written.length} files to ${path.relative(ROOT, outDir) || '.'}: ${(jsBytes / 1e6).toFixed(2)} MB of bundled JavaScript, ${(total / 1e6).toFixed(1)} MB in all.`);
}
