/**
 * The synthetic Numerai dataset: a `features.json` and a `live.parquet` shaped like the real v5.2 files, for the
 * sandbox server, the tests, the benchmark and the demo.
 *
 * Shape of live.parquet (what pyarrow writes from Numerai's pandas frame):
 * - `era` ("X" for live), `data_type` ("live"): UTF8 strings;
 * - one column per feature: physical INT32 annotated with the INT_8 converted type (no logical type: see the
 *   comment at FEATURE_COLUMN), OPTIONAL, values 0–4 in Numerai's quantile-bin proportions, a few nulls;
 * - the targets: DOUBLE, OPTIONAL; unknown in live, so `target` holds NaN and the auxiliary targets are null;
 * - `id` last (pyarrow writes a named pandas index after the data columns): "n" + 15 lowercase hex digits.
 *
 * Determinism: the same options give byte-identical files. Each feature column draws from its own seeded stream,
 * so values do not depend on the row-group size, and names/sets depend only on the feature count.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ByteWriter, fileWriter, ParquetWriter } from 'hyparquet-writer';
import { REAL_FEATURE_COUNT, SYNTHETIC_TARGETS, syntheticFeatureNames, syntheticFeaturesJson } from './feature-names.js';
import { mixSeed, nextUint32, Prng } from './prng.js';
import { zstdCompressor } from './zstd.js';

/** Rows of the real v5.2 live file. */
export const REAL_LIVE_ROWS = 6720;

export type SyntheticCompression = 'SNAPPY' | 'ZSTD';

export interface SyntheticDatasetOptions {
  /** Changes ids and values, never names or feature sets. */
  seed: number;
  /** Default 6,720 (the real v5.2 live file). */
  rows?: number;
  /** Default 2,748 (the real v5.2 live file). */
  features?: number;
  /** Page codec. Default SNAPPY (pyarrow's default). */
  compression?: SyntheticCompression;
  /** The live era label. Default "X". */
  era?: string;
  /** Share of feature values that are null. Default 0.0005 (a few per column at full size). */
  nullRate?: number;
  /**
   * Rows per row group. Default 10,000: the real live file fits one row group; larger files are split so that
   * writing them needs memory for one group only.
   */
  rowGroupSize?: number;
  /**
   * Feature columns to add after the synthetic ones (and to the `all` set): the names a model lists one by one, so
   * an offline dry run of that model finds its columns. Default none.
   */
  extraFeatures?: readonly string[];
}

export interface SyntheticFeaturesJson {
  feature_sets: Record<string, string[]>;
  targets: string[];
}

export interface SyntheticDataset {
  featuresJson: SyntheticFeaturesJson;
  live: Uint8Array;
  ids: string[];
  featureNames: string[];
}

// The writer's own types: hyparquet-writer pins an older hyparquet whose SchemaElement differs slightly.
type WriterOptions = ConstructorParameters<typeof ParquetWriter>[0];
type Writer = WriterOptions['writer'];
type SchemaElement = WriterOptions['schema'][number];

/** Cumulative shares of Numerai's 5 quantile bins (5% / 20% / 50% / 20% / 5%). */
const BIN_CUMULATIVE_SHARES = [0.05, 0.25, 0.75, 0.95];
const UINT32_RANGE = 0x1_0000_0000;

/**
 * INT32 + converted_type INT_8, deliberately without `logical_type`: hyparquet-writer 0.17 writes the logical
 * type's bitWidth (a thrift i8) as an i32, which strict readers (DuckDB, Arrow) reject as invalid data.
 */
const FEATURE_COLUMN: Omit<SchemaElement, 'name'> = { type: 'INT32', converted_type: 'INT_8', repetition_type: 'OPTIONAL' };
const STRING_COLUMN: Omit<SchemaElement, 'name'> = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' };
const TARGET_COLUMN: Omit<SchemaElement, 'name'> = { type: 'DOUBLE', repetition_type: 'OPTIONAL' };

interface ResolvedOptions {
  seed: number;
  rows: number;
  features: number;
  compression: SyntheticCompression;
  era: string;
  nullRate: number;
  rowGroupSize: number;
}

function resolveOptions(opts: SyntheticDatasetOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    seed: opts.seed,
    rows: opts.rows ?? REAL_LIVE_ROWS,
    features: opts.features ?? REAL_FEATURE_COUNT,
    compression: opts.compression ?? 'SNAPPY',
    era: opts.era ?? 'X',
    nullRate: opts.nullRate ?? 0.0005,
    rowGroupSize: opts.rowGroupSize ?? 10_000,
  };
  if (!Number.isInteger(resolved.seed)) throw new RangeError(`seed must be an integer, got ${resolved.seed}`);
  if (!Number.isInteger(resolved.rows) || resolved.rows < 1) throw new RangeError(`rows must be a positive integer, got ${resolved.rows}`);
  if (!(resolved.nullRate >= 0 && resolved.nullRate < 1)) throw new RangeError(`nullRate must be in [0, 1), got ${resolved.nullRate}`);
  if (!Number.isInteger(resolved.rowGroupSize) || resolved.rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${resolved.rowGroupSize}`);
  }
  if (resolved.compression !== 'SNAPPY' && resolved.compression !== 'ZSTD') {
    throw new RangeError(`compression must be SNAPPY or ZSTD, got ${String(resolved.compression)}`);
  }
  return resolved;
}

/** Unique live ids like "n0005e01cd27dd7b": "n" + 15 hex digits (60 random bits). */
function syntheticIds(seed: number, rows: number): string[] {
  const prng = new Prng(mixSeed(seed, 1));
  const seen = new Set<string>();
  const ids: string[] = [];
  while (ids.length < rows) {
    const high = (prng.uint32() >>> 4).toString(16).padStart(7, '0'); // 28 bits
    const low = prng.uint32().toString(16).padStart(8, '0'); // 32 bits
    const id = `n${high}${low}`;
    if (seen.has(id)) continue; // a 60-bit collision is astronomically rare, but ids must be unique
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

function liveSchema(featureNames: readonly string[]): SchemaElement[] {
  const columns: SchemaElement[] = [
    { name: 'era', ...STRING_COLUMN },
    { name: 'data_type', ...STRING_COLUMN },
    ...featureNames.map((name) => ({ name, ...FEATURE_COLUMN })),
    ...SYNTHETIC_TARGETS.map((name) => ({ name, ...TARGET_COLUMN })),
    { name: 'id', ...STRING_COLUMN },
  ];
  return [{ name: 'schema', num_children: columns.length }, ...columns];
}

/** Writes live.parquet into `writer`, one row group at a time. Returns the ids in row order. */
async function writeLiveParquet(writer: Writer, options: ResolvedOptions, featureNames: readonly string[]): Promise<string[]> {
  const { seed, rows, era, nullRate, rowGroupSize, compression } = options;
  const ids = syntheticIds(seed, rows);
  const compressors = compression === 'ZSTD' ? { ZSTD: await zstdCompressor() } : undefined;
  const parquet = new ParquetWriter({ writer, schema: liveSchema(featureNames), codec: compression, compressors });

  const streams = new Uint32Array(featureNames.length);
  for (let j = 0; j < featureNames.length; j++) streams[j] = mixSeed(seed, j + 2);
  // One uniform 32-bit draw per value: below `nullBelow` it is null, and the rest of the range is split into
  // the five bins by thresholds, so a value costs one draw and a few comparisons.
  const nullBelow = Math.floor(nullRate * UINT32_RANGE);
  const [t0, t1, t2, t3] = BIN_CUMULATIVE_SHARES.map((share) => nullBelow + Math.floor(share * (UINT32_RANGE - nullBelow)));

  for (let start = 0; start < rows; start += rowGroupSize) {
    const size = Math.min(rowGroupSize, rows - start);
    const featureColumns = featureNames.map((name, j) => {
      const data = new Array<number | null>(size);
      for (let i = 0; i < size; i++) {
        const u = nextUint32(streams, j);
        data[i] = u < nullBelow ? null : u < t0 ? 0 : u < t1 ? 1 : u < t2 ? 2 : u < t3 ? 3 : 4;
      }
      return { name, data };
    });
    const targetColumns = SYNTHETIC_TARGETS.map((name) => ({
      name,
      data: new Array<number | null>(size).fill(name === 'target' ? NaN : null),
    }));
    await parquet.write({
      columnData: [
        { name: 'era', data: new Array<string>(size).fill(era) },
        { name: 'data_type', data: new Array<string>(size).fill('live') },
        ...featureColumns,
        ...targetColumns,
        { name: 'id', data: ids.slice(start, start + size) },
      ],
      rowGroupSize: size,
    });
  }
  parquet.finish();
  return ids;
}

/** The file's feature columns and features.json: the synthetic ones, then the extra names not among them. */
function namesAndSets(options: ResolvedOptions, extra: readonly string[] = []): { featureNames: string[]; featuresJson: SyntheticFeaturesJson } {
  const synthetic = syntheticFeatureNames(options.features);
  const known = new Set(synthetic);
  const featureNames = [...synthetic, ...new Set(extra.filter((name) => !known.has(name)))];
  const featuresJson = syntheticFeaturesJson(options.features);
  featuresJson.feature_sets.all = featureNames;
  return { featureNames, featuresJson };
}

/** Generates the dataset in memory. Same options → byte-identical `live`. */
export async function generateSyntheticDataset(opts: SyntheticDatasetOptions): Promise<SyntheticDataset> {
  const options = resolveOptions(opts);
  const { featureNames, featuresJson } = namesAndSets(options, opts.extraFeatures);
  const writer = new ByteWriter();
  const ids = await writeLiveParquet(writer, options, featureNames);
  return { featuresJson, live: writer.getBytes(), ids, featureNames };
}

export interface WrittenSyntheticDataset {
  featuresJsonPath: string;
  livePath: string;
  ids: string[];
  featureNames: string[];
  featuresJson: SyntheticFeaturesJson;
}

/**
 * Writes `features.json` and `live.parquet` into `dir` (created if missing), streaming the parquet file to disk so
 * large benchmark files never sit in memory whole. The bytes equal generateSyntheticDataset's for the same options.
 */
export async function writeSyntheticDataset(dir: string, opts: SyntheticDatasetOptions): Promise<WrittenSyntheticDataset> {
  const options = resolveOptions(opts);
  const { featureNames, featuresJson } = namesAndSets(options, opts.extraFeatures);
  await mkdir(dir, { recursive: true });
  const featuresJsonPath = path.join(dir, 'features.json');
  const livePath = path.join(dir, 'live.parquet');
  await writeFile(featuresJsonPath, `${JSON.stringify(featuresJson, null, 2)}\n`);
  const ids = await writeLiveParquet(fileWriter(livePath), options, featureNames);
  return { featuresJsonPath, livePath, ids, featureNames, featuresJson };
}
