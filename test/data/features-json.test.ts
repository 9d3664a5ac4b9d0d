import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { featureSet, readFeaturesJson } from '../../src/data/features-json.js';
import { DataError } from '../../src/data/errors.js';
import { syntheticFeaturesJson } from '../../src/sandbox/synthetic/feature-names.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'features-json-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

async function expectProblem(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readFeaturesJson(file), (error: unknown) => {
    assert.ok(error instanceof DataError, String(error));
    assert.equal(error.file, file);
    assert.ok(error.message.startsWith(`${file}: `));
    assert.match(error.message, pattern);
    return true;
  });
}

test('reads a features.json and keeps set order; extra keys are ignored', async () => {
  const document = { ...syntheticFeaturesJson(60), feature_stats: { anything: 1 } };
  const file = await fileWith('features.json', JSON.stringify(document));
  const read = await readFeaturesJson(file);
  assert.deepEqual(read, syntheticFeaturesJson(60));
  assert.deepEqual(featureSet(read, 'medium'), document.feature_sets.medium);
});

test('names the problem and where it is', async () => {
  await expectProblem(path.join(dir, 'missing.json'), /file not found/);
  await expectProblem(await fileWith('broken.json', '{"feature_sets": {'), /not valid JSON/);
  await expectProblem(await fileWith('array.json', '[]'), /\(top level\) must be object/);
  await expectProblem(await fileWith('no-targets.json', '{"feature_sets": {"small": ["f1"]}}'), /must have required property 'targets'/);
  await expectProblem(
    await fileWith('bad-member.json', '{"feature_sets": {"small": ["f1", 7]}, "targets": []}'),
    /feature_sets\.small\.1 must be string/,
  );
  await expectProblem(
    await fileWith('duplicate.json', '{"feature_sets": {"small": ["f1", "f2", "f1"]}, "targets": []}'),
    /feature_sets\.small lists the same name twice \(items 0 and 2\)/,
  );
  await expectProblem(await fileWith('empty-set.json', '{"feature_sets": {"small": []}, "targets": []}'), /feature_sets\.small must NOT have fewer than 1 items/);
  await expectProblem(await fileWith('no-sets.json', '{"feature_sets": {}, "targets": []}'), /feature_sets must NOT have fewer than 1 properties/);
});

test('featureSet names the sets that exist when asked for an unknown one', () => {
  const document = syntheticFeaturesJson(10);
  assert.throws(() => featureSet(document, 'large', '/d/v5.2/features.json'), /\/d\/v5.2\/features.json: has no feature set "large"; it has small, medium, all/);
  assert.throws(() => featureSet(document, 'constructor'), /has no feature set "constructor"/);
});
