/**
 * The ZSTD page compressor for synthetic parquet files.
 *
 * Why this package: hyparquet-writer compresses pages through a caller-supplied `compressors` map (it ships only
 * SNAPPY), and needs a synchronous function. Node 20 — the project's development and test runtime — has no zstd
 * in zlib (it arrived in 22.15), and DuckDB is a dev-only native dependency that would make the sandbox unusable
 * from an installed CLI and its output depend on DuckDB's writer. @bokuweb/zstd-wasm is the reference zstd C
 * library compiled to WebAssembly, with no dependencies: after a one-time async init, `compress` is synchronous,
 * and the same wasm gives byte-identical pages on every Node version, which keeps the generator deterministic.
 */
import { compress, init } from '@bokuweb/zstd-wasm';

/** zstd's own default level; what pyarrow uses when asked for zstd without a level. */
const DEFAULT_LEVEL = 3;

let initialised: Promise<void> | undefined;

export async function zstdCompressor(level = DEFAULT_LEVEL): Promise<(input: Uint8Array) => Uint8Array> {
  initialised ??= init();
  await initialised;
  return (input) => compress(input, level);
}
