/**
 * Shared test material: the committed fixtures (real models + the training libraries' reference predictions),
 * throw-away models folders, and feature tables built from the reference input.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureTable } from '../../src/data/table.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/models');

export interface Reference {
  features: string[];
  files: Record<string, string>;
  input: number[][];
  input_with_nan: (number | null)[][];
  predictions: {
    xgb_regressor: number[];
    xgb_regressor_with_nan: number[];
    xgb_classifier_probability: number[];
    xgb_classifier_label: number[];
    ridge: number[];
    logistic_probability: number[];
    logistic_label: number[];
  };
}

let cached: Reference | undefined;
export async function reference(): Promise<Reference> {
  cached ??= JSON.parse(await readFile(path.join(FIXTURES, 'reference.json'), 'utf8')) as Reference;
  return cached;
}

/** The features.json of a dataset whose `small` set is the fixtures' features, plus a few other columns. */
export function fixtureFeaturesJson(ref: Reference): { feature_sets: Record<string, string[]>; targets: string[] } {
  const extra = ['feature_extra_one', 'feature_extra_two', 'feature_extra_three'];
  return {
    feature_sets: { small: ref.features, all: [...extra, ...ref.features].sort() },
    targets: ['target'],
  };
}

/** A table of `rows` (null → NaN) with `columns` in the given order; `features` names the rows' columns. */
export function tableFrom(rows: (number | null)[][], features: string[], columns = features, ids?: string[]): FeatureTable {
  const position = new Map(features.map((name, j) => [name, j]));
  const values = new Float32Array(rows.length * columns.length);
  rows.forEach((row, r) => {
    columns.forEach((name, c) => {
      const j = position.get(name);
      const v = j === undefined ? (r * 7 + c) % 5 : row[j];
      values[r * columns.length + c] = v === null ? NaN : v;
    });
  });
  return { ids: ids ?? rows.map((_, r) => `n${r.toString(16).padStart(15, '0')}`), columns, rows: rows.length, values };
}

/** A fresh models folder under the system temp dir; `dispose` removes it. */
export async function tempModelsDir(): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'models-test-'));
  const dir = path.join(root, 'models');
  await mkdir(dir);
  return { dir, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** Writes models/<name>/model.yml and copies fixture ONNX files into the folder (as `[target, fixture]`). */
export async function addModel(
  modelsDir: string,
  name: string,
  manifest: string,
  files: Record<string, string> = {},
): Promise<string> {
  const folder = path.join(modelsDir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'model.yml'), manifest);
  for (const [target, fixture] of Object.entries(files)) await copyFile(path.join(FIXTURES, fixture), path.join(folder, target));
  return folder;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * An independent rank transform for the tests: for each value, count the values below it and equal to it
 * (O(n²), no sorting), and place it at (below + (equal + 1) / 2 − 0.5) / n.
 */
export function naiveRank(values: ArrayLike<number>): number[] {
  const n = values.length;
  const result: number[] = [];
  for (let i = 0; i < n; i++) {
    let below = 0;
    let equal = 0;
    for (let j = 0; j < n; j++) {
      if (values[j] < values[i]) below++;
      else if (values[j] === values[i]) equal++;
    }
    result.push((below + (equal + 1) / 2 - 0.5) / n);
  }
  return result;
}
