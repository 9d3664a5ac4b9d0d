import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { generateSyntheticDataset, writeSyntheticDataset } from '../../src/sandbox/synthetic/generate.js';
import {
  syntheticFeatureNames,
  syntheticFeatureSets,
  syntheticFeaturesJson,
  syntheticSetSizes,
} from '../../src/sandbox/synthetic/feature-names.js';

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function readAll(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: arrayBufferOf(bytes), compressors });
}

test('same options give byte-identical files; another seed changes values and ids but not names or sets', async () => {
  const a = await generateSyntheticDataset({ seed: 7, rows: 40, features: 25 });
  const b = await generateSyntheticDataset({ seed: 7, rows: 40, features: 25 });
  const c = await generateSyntheticDataset({ seed: 8, rows: 40, features: 25 });
  assert.deepEqual(a.live, b.live);
  assert.deepEqual(a.ids, b.ids);
  assert.notDeepEqual(a.live, c.live);
  assert.notDeepEqual(a.ids, c.ids);
  assert.deepEqual(a.featureNames, c.featureNames);
  assert.deepEqual(a.featuresJson, c.featuresJson);
  assert.deepEqual(a.featuresJson, syntheticFeaturesJson(25));
});

test('ZSTD output is deterministic too and differs from SNAPPY only in its codec', async () => {
  const z1 = await generateSyntheticDataset({ seed: 3, rows: 30, features: 12, compression: 'ZSTD' });
  const z2 = await generateSyntheticDataset({ seed: 3, rows: 30, features: 12, compression: 'ZSTD' });
  const s = await generateSyntheticDataset({ seed: 3, rows: 30, features: 12 });
  assert.deepEqual(z1.live, z2.live);
  const codecs = (bytes: Uint8Array) =>
    new Set(parquetMetadata(arrayBufferOf(bytes)).row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
  assert.deepEqual(codecs(z1.live), new Set(['ZSTD']));
  assert.deepEqual(codecs(s.live), new Set(['SNAPPY']));
  assert.deepEqual(await readAll(z1.live), await readAll(s.live));
});

test('live.parquet has the real file layout: strings, nullable INT_8 features 0–4 with nulls, null/NaN targets, id last', async () => {
  const rows = 60;
  const features = 20;
  const { live, ids, featureNames, featuresJson } = await generateSyntheticDataset({ seed: 11, rows, features, nullRate: 0.05 });
  const metadata = parquetMetadata(arrayBufferOf(live));
  assert.equal(metadata.num_rows, BigInt(rows));
  const schema = parquetSchema(metadata).children.map((c) => c.element);
  assert.deepEqual(
    schema.map((e) => e.name),
    ['era', 'data_type', ...featureNames, ...featuresJson.targets, 'id'],
  );
  for (const element of schema.filter((e) => e.name.startsWith('feature_'))) {
    assert.equal(element.type, 'INT32');
    assert.equal(element.converted_type, 'INT_8');
    assert.equal(element.logical_type, undefined, 'a logical type would make DuckDB reject the file');
    assert.equal(element.repetition_type, 'OPTIONAL');
  }
  assert.equal(schema.find((e) => e.name === 'id')?.type, 'BYTE_ARRAY');

  const records = await readAll(live);
  assert.deepEqual(records.map((r) => r.id), ids);
  assert.equal(new Set(ids).size, rows);
  for (const id of ids) assert.match(id, /^n[0-9a-f]{15}$/);
  let nulls = 0;
  const seen = new Set<unknown>();
  for (const record of records) {
    assert.equal(record.era, 'X');
    assert.equal(record.data_type, 'live');
    assert.ok(Number.isNaN(record.target));
    for (const target of featuresJson.targets.slice(1)) assert.equal(record[target], null);
    for (const name of featureNames) {
      const value = record[name];
      if (value === null) nulls++;
      else seen.add(value);
    }
  }
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
  assert.ok(nulls > 0 && nulls < (rows * features) / 5, `a few nulls expected, got ${nulls}`);
});

test('values do not depend on the row-group size', async () => {
  const one = await generateSyntheticDataset({ seed: 5, rows: 50, features: 9 });
  const many = await generateSyntheticDataset({ seed: 5, rows: 50, features: 9, rowGroupSize: 7 });
  assert.equal(parquetMetadata(arrayBufferOf(many.live)).row_groups.length, 8);
  assert.deepEqual(await readAll(one.live), await readAll(many.live));
});

test('feature names are unique, real-looking, and a wider dataset extends a narrower one', () => {
  const names = syntheticFeatureNames(2748);
  assert.equal(new Set(names).size, 2748);
  for (const name of names) assert.match(name, /^feature_[a-z]+_[a-z]+_[a-z]+$/);
  assert.deepEqual(syntheticFeatureNames(100), names.slice(0, 100));
  assert.throws(() => syntheticFeatureNames(0), /feature count must be an integer from 1/);
});

test('feature sets: real sizes at full width, scaled for narrow datasets, small ⊂ medium ⊂ all, fixed order', () => {
  const full = syntheticFeatureSets(2748);
  assert.equal(full.small.length, 42);
  assert.equal(full.medium.length, 780);
  assert.equal(full.all.length, 2748);
  assert.deepEqual(syntheticFeatureSets(2748), full);
  const all = new Set(full.all);
  const medium = new Set(full.medium);
  assert.equal(medium.size, 780);
  for (const name of full.medium) assert.ok(all.has(name));
  for (const name of full.small) assert.ok(medium.has(name));
  // Not file order: consumers must select by name.
  const fileOrder = full.medium.map((name) => full.all.indexOf(name));
  assert.notDeepEqual(fileOrder, [...fileOrder].sort((x, y) => x - y));
  // Named groups partition all.
  const groups = Object.entries(full).filter(([name]) => !['small', 'medium', 'all'].includes(name));
  assert.ok(groups.length >= 3);
  assert.equal(groups.reduce((n, [, members]) => n + members.length, 0), 2748);

  assert.deepEqual(syntheticSetSizes(5000), { small: 42, medium: 780 });
  assert.deepEqual(syntheticSetSizes(274), { small: 4, medium: 78 });
  assert.deepEqual(syntheticSetSizes(3), { small: 1, medium: 1 });
  assert.deepEqual(syntheticSetSizes(1), { small: 1, medium: 1 });
  assert.equal(syntheticFeatureSets(1).small.length, 1);
});

test('writeSyntheticDataset writes the same bytes as generateSyntheticDataset, and features.json', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'synthetic-'));
  try {
    const options = { seed: 21, rows: 33, features: 14, compression: 'ZSTD' as const };
    const written = await writeSyntheticDataset(path.join(dir, 'v5.2'), options);
    const generated = await generateSyntheticDataset(options);
    assert.deepEqual(new Uint8Array(await readFile(written.livePath)), generated.live);
    assert.deepEqual(JSON.parse(await readFile(written.featuresJsonPath, 'utf8')), generated.featuresJson);
    assert.deepEqual(written.ids, generated.ids);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('invalid options are refused with the option named', async () => {
  await assert.rejects(generateSyntheticDataset({ seed: 1, rows: 0 }), /rows must be a positive integer/);
  await assert.rejects(generateSyntheticDataset({ seed: 1.5 }), /seed must be an integer/);
  await assert.rejects(generateSyntheticDataset({ seed: 1, nullRate: 1 }), /nullRate/);
});
