/**
 * Modules of dist/, the compiled JavaScript that the action bundle and the installed CLI are made of (`npm run bench`
 * builds it first, through `prebench`). Cases that time or weigh our own code import it from here rather than from
 * src/, so that they measure what a runner runs: from source, tsx compiles every module on load, and a parallel
 * parquet read first bundles its worker with esbuild (100–150 ms; see src/data/parquet-parallel.ts).
 *
 * `path` is relative to src/ (e.g. 'data/parquet.js'); the type parameter is the source module's type.
 */
export async function importBuilt<T>(path: string): Promise<T> {
  return (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
}
