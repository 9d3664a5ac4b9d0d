/**
 * Feature names and feature sets of the synthetic dataset. They depend only on the number of features, never on
 * the dataset seed: example models trained against one synthetic dataset must find their columns in every other
 * one of the same width (the seed changes ids and values only).
 */
import { Prng } from './prng.js';

/** Width of the real v5.2 live file, and the set sizes it ships with (features.json of v5.2). */
export const REAL_FEATURE_COUNT = 2748;
export const REAL_SMALL_COUNT = 42;
export const REAL_MEDIUM_COUNT = 780;

const ADJECTIVES = [
  'ablest', 'acrid', 'adagio', 'aery', 'agile', 'amber', 'ample', 'antic', 'arcane', 'ashen',
  'balmy', 'bitter', 'brisk', 'burly', 'calm', 'chary', 'civic', 'coral', 'covert', 'crisp',
  'dainty', 'dapper', 'deft', 'dewy', 'dusky', 'eerie', 'elfin', 'fallow', 'feral', 'fickle',
  'gilded', 'glassy', 'hardy', 'hazel', 'jaunty', 'limber', 'lucid', 'mellow', 'murky', 'nimble',
] as const;

const NOUNS = [
  'anvil', 'arbor', 'aspen', 'badger', 'basin', 'beacon', 'bramble', 'canyon', 'cedar', 'cinder',
  'comet', 'cove', 'delta', 'ember', 'falcon', 'fern', 'fjord', 'flint', 'garnet', 'glacier',
  'harbor', 'heron', 'isle', 'juniper', 'kestrel', 'lagoon', 'lantern', 'marsh', 'meadow', 'mesa',
  'nettle', 'orchard', 'otter', 'pebble', 'quarry', 'raven', 'sable', 'thistle', 'tundra', 'willow',
] as const;

const COMBINATIONS = ADJECTIVES.length * NOUNS.length * NOUNS.length;
/** A step coprime to COMBINATIONS (64,000 = 2^9 · 5^3): walking by it visits every combination once. */
const STEP = 7919;
const OFFSET = 12_345;

/** The largest feature count for which unique names exist. */
export const MAX_FEATURES = COMBINATIONS;

/** Named groups like the real features.json has besides small/medium/all. */
const GROUP_SETS = ['intelligence', 'charisma', 'strength', 'dexterity', 'constitution', 'wisdom', 'agility', 'serenity'] as const;

/** Fixed seed for set ordering: set order must not depend on the dataset seed. */
const SET_ORDER_SEED = 0x0f3a7;

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_FEATURES) {
    throw new RangeError(`feature count must be an integer from 1 to ${MAX_FEATURES}, got ${count}`);
  }
}

/** The name of the i-th feature column (file order), e.g. "feature_dusky_heron_flint". */
export function syntheticFeatureName(index: number): string {
  const p = (index * STEP + OFFSET) % COMBINATIONS;
  const adjective = ADJECTIVES[p % ADJECTIVES.length];
  const first = NOUNS[Math.floor(p / ADJECTIVES.length) % NOUNS.length];
  const second = NOUNS[Math.floor(p / (ADJECTIVES.length * NOUNS.length))];
  return `feature_${adjective}_${first}_${second}`;
}

/** All feature names of a dataset with `count` features, in file order. A wider dataset extends a narrower one. */
export function syntheticFeatureNames(count: number): string[] {
  checkCount(count);
  return Array.from({ length: count }, (_, i) => syntheticFeatureName(i));
}

/** Set sizes: the real ones at full width, scaled down proportionally (at least 1) for narrower datasets. */
export function syntheticSetSizes(count: number): { small: number; medium: number } {
  checkCount(count);
  if (count >= REAL_FEATURE_COUNT) return { small: REAL_SMALL_COUNT, medium: REAL_MEDIUM_COUNT };
  const medium = Math.max(1, Math.round((REAL_MEDIUM_COUNT * count) / REAL_FEATURE_COUNT));
  const small = Math.min(medium, Math.max(1, Math.round((REAL_SMALL_COUNT * count) / REAL_FEATURE_COUNT)));
  return { small, medium };
}

/**
 * The feature sets of features.json for `count` features: `small` ⊂ `medium` ⊂ `all`, plus named groups that
 * partition `all`. `all` is in file order; the other sets have their own fixed order (as in the real file, a
 * set's order is not the file's column order, so consumers must select columns by name).
 */
export function syntheticFeatureSets(count: number): Record<string, string[]> {
  const names = syntheticFeatureNames(count);
  const { small, medium } = syntheticSetSizes(count);
  const order = new Prng(SET_ORDER_SEED);
  // Evenly spaced members, so the medium set samples the whole width of the file.
  const mediumIndexes = order.shuffle(Array.from({ length: medium }, (_, k) => Math.floor((k * count) / medium)));
  const sets: Record<string, string[]> = {
    small: mediumIndexes.slice(0, small).map((i) => names[i]),
    medium: mediumIndexes.map((i) => names[i]),
    all: names,
  };
  GROUP_SETS.forEach((group, g) => {
    const members = names.filter((_, i) => i % GROUP_SETS.length === g);
    if (members.length > 0) sets[group] = members;
  });
  return sets;
}

/** Target columns of the synthetic dataset; `target` is the main one, as in the real files. */
export const SYNTHETIC_TARGETS: readonly string[] = [
  'target',
  'target_cyrus_v4_20',
  'target_cyrus_v4_60',
  'target_teager2b_20',
  'target_teager2b_60',
  'target_agnes_20',
  'target_claudia_20',
  'target_ralph_20',
];

/** The whole features.json document for `count` features, without generating any data. */
export function syntheticFeaturesJson(count: number): { feature_sets: Record<string, string[]>; targets: string[] } {
  return { feature_sets: syntheticFeatureSets(count), targets: [...SYNTHETIC_TARGETS] };
}
