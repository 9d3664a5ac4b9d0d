/**
 * examples/export/compare.mjs, the check every export recipe ends with: it must pass a file that matches the
 * library's predictions, and fail one that does not. Run on a committed fixture and its recorded predictions.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES, reference } from '../models/helpers.js';
import { ROOT } from '../pipeline/sandbox-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'compare-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function compare(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'examples', 'export', 'compare.mjs'), ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

async function referenceFile(name: string, library: (values: number[]) => number[]): Promise<string> {
  const ref = await reference();
  const file = join(dir, `${name}.json`);
  const body = { model: name, onnx: join(FIXTURES, 'ridge.onnx'), output: 'variable', column: null, tolerance: 1e-5 };
  writeFileSync(file, JSON.stringify({ ...body, rows: ref.input, library: library(ref.predictions.ridge) }));
  return file;
}

test('prints the largest difference and passes a file that matches the library', async () => {
  const result = await compare(await referenceFile('same', (values) => values));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^same: largest difference between the library and the ONNX file over 200 rows: \S+ \(row \d+; tolerance 0\.00001\): ok\n$/);
});

test('fails when one prediction is off, naming the row', async () => {
  const result = await compare(await referenceFile('off', (values) => values.map((v, i) => (i === 17 ? v + 0.01 : v))));
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^off: largest difference .*: 1\.00e-2 \(row 17; tolerance 0\.00001\): TOO FAR APART\n$/);
});

test('says how to use it when given no file', async () => {
  const result = await compare();
  assert.equal(result.code, 2);
  assert.match(result.stderr, /usage: node compare\.mjs <reference\.json/);
});
