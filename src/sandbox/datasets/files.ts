/**
 * The dataset files the sandbox serves, per round: generated lazily (on first use) and cached per round, from the
 * seed and the round number, so a new round has new live ids.
 *
 * Classic (tournament 8), for each version (default v5.2 and v5.3): `features.json`, `live.parquet`,
 * `live_example_preds.csv`, `live_example_preds.parquet`. Signals (11): `signals/v2.1/live.parquet` (a
 * `numerai_ticker` universe) and `signals/v2.1/live_example_preds.csv`. Crypto (12):
 * `crypto/v2.0/live_universe.parquet` (a `symbol` universe) and `crypto/v2.0/live_example_preds.csv`.
 */
import { createHash } from 'node:crypto';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { submissionCsv } from '../../submission/csv.js';
import { generateSyntheticDataset } from '../synthetic/generate.js';
import { nextUint32 } from '../synthetic/prng.js';
import type { SandboxDatasetFiles, SandboxDatasets } from '../types.js';

export type TournamentKey = 'classic' | 'signals' | 'crypto';

export function tournamentOfPath(path: string): TournamentKey {
  if (path.startsWith('signals/')) return 'signals';
  if (path.startsWith('crypto/')) return 'crypto';
  return 'classic';
}

export function tournamentKey(id: number): TournamentKey | null {
  if (id === 8) return 'classic';
  if (id === 11) return 'signals';
  if (id === 12) return 'crypto';
  return null;
}

/** Files that belong to the live period of a round (refused while no round is open). */
export function isLiveFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.startsWith('live');
}

export interface RoundData {
  round: number;
  files: Map<string, Uint8Array>;
  /** Classic live ids per version. */
  classicIds: Map<string, string[]>;
  signalsIds: string[];
  cryptoIds: string[];
}

export interface DataStoreOptions {
  seed: number;
  rows: number;
  features: number;
  versions: string[];
  custom?: SandboxDatasets;
}

/** Mix the seed and the round number into one 31-bit seed. */
export function roundSeed(seed: number, round: number): number {
  return createHash('sha256').update(`${seed}:${round}`).digest().readUInt32BE(0) >>> 1;
}

const SIGNALS_VERSION = 'signals/v2.1';
const CRYPTO_VERSION = 'crypto/v2.0';

export class DataStore {
  private readonly cache = new Map<number, Promise<RoundData>>();
  private readonly customCache = new Map<number, Promise<SandboxDatasetFiles | null>>();

  constructor(private readonly options: DataStoreOptions) {}

  /** Names of the default files of a tournament. */
  private defaultNames(t: TournamentKey): string[] {
    if (t === 'classic') {
      return this.options.versions.flatMap((v) => [
        `${v}/features.json`,
        `${v}/live.parquet`,
        `${v}/live_example_preds.csv`,
        `${v}/live_example_preds.parquet`,
      ]);
    }
    if (t === 'signals') return [`${SIGNALS_VERSION}/live.parquet`, `${SIGNALS_VERSION}/live_example_preds.csv`];
    return [`${CRYPTO_VERSION}/live_universe.parquet`, `${CRYPTO_VERSION}/live_example_preds.csv`];
  }

  private custom(round: number): Promise<SandboxDatasetFiles | null> {
    const c = this.options.custom;
    if (!c) return Promise.resolve(null);
    if (typeof c !== 'function') return Promise.resolve(c);
    let p = this.customCache.get(round);
    if (!p) {
      p = Promise.resolve(c(round));
      this.customCache.set(round, p);
    }
    return p;
  }

  /** Every file path of a round, all tournaments. */
  async list(round: number): Promise<string[]> {
    const custom = await this.custom(round);
    const customPaths = Object.keys(custom?.files ?? {});
    const overridden = new Set(customPaths.map(tournamentOfPath));
    const defaults = (['classic', 'signals', 'crypto'] as const).filter((t) => !overridden.has(t)).flatMap((t) => this.defaultNames(t));
    return [...defaults, ...customPaths];
  }

  /** The generated (or given) data of a round. */
  get(round: number): Promise<RoundData> {
    let p = this.cache.get(round);
    if (!p) {
      p = this.build(round);
      p.catch(() => this.cache.delete(round));
      this.cache.set(round, p);
    }
    return p;
  }

  /** The data of a round if it is already generated. */
  peek(round: number): RoundData | null {
    return this.ready.get(round) ?? null;
  }

  private readonly ready = new Map<number, RoundData>();

  private async build(round: number): Promise<RoundData> {
    const custom = await this.custom(round);
    const customPaths = Object.keys(custom?.files ?? {});
    const overridden = new Set(customPaths.map(tournamentOfPath));
    const files = new Map<string, Uint8Array>();
    const data: RoundData = { round, files, classicIds: new Map(), signalsIds: [], cryptoIds: [] };
    const seed = roundSeed(this.options.seed, round);

    if (!overridden.has('classic')) {
      const generated = await generateSyntheticDataset({ seed, rows: this.options.rows, features: this.options.features });
      const preds = examplePredictions(generated.ids, seed);
      const featuresJson = new TextEncoder().encode(JSON.stringify(generated.featuresJson));
      const predsCsv = new TextEncoder().encode(submissionCsv(generated.ids, preds));
      const predsParquet = new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: generated.ids, type: 'STRING' },
            { name: 'prediction', data: Array.from(preds), type: 'DOUBLE' },
          ],
        }),
      );
      for (const v of this.options.versions) {
        files.set(`${v}/features.json`, featuresJson);
        files.set(`${v}/live.parquet`, generated.live);
        files.set(`${v}/live_example_preds.csv`, predsCsv);
        files.set(`${v}/live_example_preds.parquet`, predsParquet);
        data.classicIds.set(v, generated.ids);
      }
    }
    if (!overridden.has('signals')) {
      const tickers = universe(seed, 400, 3, ' US');
      data.signalsIds = tickers;
      files.set(
        `${SIGNALS_VERSION}/live.parquet`,
        new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'numerai_ticker', data: tickers, type: 'STRING' }] })),
      );
      files.set(`${SIGNALS_VERSION}/live_example_preds.csv`, tableCsv(['numerai_ticker', 'signal'], tickers, examplePredictions(tickers, seed)));
    }
    if (!overridden.has('crypto')) {
      const symbols = universe(seed, 300, 4);
      data.cryptoIds = symbols;
      files.set(
        `${CRYPTO_VERSION}/live_universe.parquet`,
        new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'symbol', data: symbols, type: 'STRING' }] })),
      );
      files.set(`${CRYPTO_VERSION}/live_example_preds.csv`, tableCsv(['symbol', 'signal'], symbols, examplePredictions(symbols, seed)));
    }

    if (custom) {
      for (const [path, value] of Object.entries(custom.files)) {
        files.set(path, typeof value === 'string' ? new TextEncoder().encode(value) : value);
      }
      const given = custom.liveIds ?? {};
      if (overridden.has('classic')) {
        const versions = [...new Set(customPaths.filter((p) => tournamentOfPath(p) === 'classic' && p.includes('/')).map((p) => p.split('/')[0]))];
        for (const v of versions) {
          const live = files.get(`${v}/live.parquet`);
          const ids = given.classic ?? (live ? await readColumn(live, 'id') : null);
          if (ids) data.classicIds.set(v, ids);
        }
        if (versions.length === 0 && given.classic) data.classicIds.set('', given.classic);
      }
      if (overridden.has('signals')) {
        const live = customPaths.find((p) => tournamentOfPath(p) === 'signals' && /\/live\.parquet$/.test(p));
        data.signalsIds = given.signals ?? (live ? await readColumn(files.get(live)!, 'numerai_ticker') : []);
      }
      if (overridden.has('crypto')) {
        const live = customPaths.find((p) => tournamentOfPath(p) === 'crypto' && /\/live(_universe)?\.parquet$/.test(p));
        data.cryptoIds = given.crypto ?? (live ? await readColumn(files.get(live)!, 'symbol') : []);
      }
    }
    this.ready.set(round, data);
    return data;
  }
}

/** The live ids used to validate a classic submission: the first version's (all versions share one universe). */
export function classicLiveIds(data: RoundData, version?: string): string[] {
  if (version !== undefined) {
    const ids = data.classicIds.get(version);
    if (!ids) throw new Error(`sandbox: no classic live file for version ${version} (versions: ${[...data.classicIds.keys()].join(', ')})`);
    return ids;
  }
  const first = data.classicIds.values().next();
  return first.done ? [] : first.value;
}

/** The live ids of a tournament's submissions: a classic version (the first when absent), 'signals' or 'crypto'. */
export function liveIdsOf(data: RoundData, version?: string): string[] {
  if (version === 'signals') return data.signalsIds;
  if (version === 'crypto') return data.cryptoIds;
  return classicLiveIds(data, version);
}

async function readColumn(bytes: Uint8Array, column: string): Promise<string[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({ file, columns: [column], compressors });
  return rows.map((r) => String(r[column]));
}

function tableCsv(header: [string, string], ids: string[], values: ArrayLike<number>): Uint8Array {
  const csv = submissionCsv(ids, values).replace(/^id,prediction/, header.join(','));
  return new TextEncoder().encode(csv);
}

/** Deterministic pseudo-random numbers in [0, 1): the synthetic data's mulberry32 stream, seeded with `seed` as is. */
export function rng(seed: number): () => number {
  const state = Uint32Array.of(seed >>> 0);
  return () => nextUint32(state, 0) / 0x1_0000_0000;
}

/** A sorted universe of distinct upper-case tickers of `length` letters (plus `suffix`). */
function universe(seed: number, size: number, length: number, suffix = ''): string[] {
  const r = rng(seed ^ (length * 7919));
  const out = new Set<string>();
  let guard = 0;
  while (out.size < size && guard++ < size * 50) {
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(65 + Math.floor(r() * 26));
    out.add(s + suffix);
  }
  return [...out].sort();
}

/** Ranked predictions in (0, 1) in a seed-dependent order: what the example model would submit. */
export function examplePredictions(ids: readonly string[], seed: number): Float64Array {
  const r = rng(seed ^ 0x5eed);
  const order = ids.map((_, i) => ({ i, k: r() }));
  order.sort((a, b) => a.k - b.k);
  const out = new Float64Array(ids.length);
  order.forEach((o, rank) => {
    out[o.i] = (rank + 0.5) / ids.length;
  });
  return out;
}
