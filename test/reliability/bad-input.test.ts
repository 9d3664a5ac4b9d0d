/**
 * The bad-input matrix: a broken models folder, a model that predicts garbage, a corrupt dataset file in the data
 * folder, wrong or restricted keys, a model the account does not have or cannot submit to through the API. Each
 * case breaks one model (or the keys) among three; the error names what and where, nothing already done is lost,
 * the other models go on, and no secret leaks.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { ErrorClass } from '../../src/pipeline/report.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { linearOnnx } from '../pipeline/onnx-builder.js';
import {
  assertDataFolderClean,
  assertNoDuplicates,
  assertRunHasNoCanary,
  CANARY_SECRET,
  describeOutcome,
  FEATURES,
  MANAGED_MODEL,
  MODELS,
  modelReport,
  sandboxWithReferenceData,
  removeWorkspace,
  resetSandbox,
  ROOT_DIR,
  ROUND,
  runRound,
  statuses,
  weightsFor,
  workspace,
  writeModel,
  type RunOptions,
  type Workspace,
} from './kit.js';
import { scenario } from './results.js';

const BAD = MODELS[0];
const FIXTURES = join(ROOT_DIR, 'test/fixtures/models');
const LINEAR_YML = 'dataset: v5.2\nfeatures: all\nonnx: model.onnx\nfill_missing: 2\n';

type Expected =
  /** The one model fails like this; the others are submitted. */
  | { kind: 'model'; model: string; errorClass: ErrorClass | ErrorClass[]; stage?: string; message: RegExp }
  /** The run stops before the models, naming why. */
  | { kind: 'run'; errorClass: ErrorClass; message: RegExp }
  /** Every model fails like this (the keys cannot do it), and says why. */
  | { kind: 'all'; errorClass: ErrorClass; stage: string; message: RegExp }
  /** The bad input is repaired (a corrupt stored file is fetched again) and every model is submitted. */
  | { kind: 'recovered'; log: RegExp };

interface Case {
  step: string;
  fault: string;
  setup?: (ws: Workspace, sandbox: Sandbox) => void;
  options?: (sandbox: Sandbox) => RunOptions;
  /** Extra models in the folder (beyond MODELS) */
  expected: Expected;
  todo?: string;
}

const manifest = (ws: Workspace, text: string, model = BAD) => writeFileSync(join(ws.modelsDir, model, 'model.yml'), text);
const onnx = (ws: Workspace, bytes: Uint8Array, model = BAD) => writeFileSync(join(ws.modelsDir, model, 'model.onnx'), bytes);
const livePath = (ws: Workspace) => join(ws.dataDir, '8', 'v5.2', `${ROUND}`, 'live.parquet');

const CASES: Case[] = [
  {
    step: 'model.yml',
    fault: 'required field missing (dataset)',
    setup: (ws) => manifest(ws, 'features: all\nonnx: model.onnx\n'),
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /rel_alpha\/model\.yml.*dataset/ },
  },
  {
    step: 'model.yml',
    fault: 'invalid value (postprocess: sigmoid)',
    setup: (ws) => manifest(ws, `${LINEAR_YML}postprocess: sigmoid\n`),
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /rel_alpha\/model\.yml.*postprocess.*rank.*clip.*none/ },
  },
  {
    step: 'model.yml',
    fault: 'not YAML',
    setup: (ws) => manifest(ws, 'dataset: [v5.2\nfeatures: : all\n  onnx\tmodel.onnx\n'),
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /rel_alpha\/model\.yml/ },
  },
  {
    step: 'model.yml',
    fault: 'missing file',
    setup: (ws) => rmSync(join(ws.modelsDir, BAD, 'model.yml')),
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /rel_alpha.*has no model\.yml/ },
  },
  {
    step: 'model.yml',
    fault: 'unknown feature set (features: huge)',
    setup: (ws) => manifest(ws, 'dataset: v5.2\nfeatures: huge\nonnx: model.onnx\n'),
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', message: /huge/ },
  },
  {
    step: 'model.yml',
    fault: 'wrong feature names (explicit list)',
    setup: (ws) => {
      const names = Array.from({ length: FEATURES }, (_, i) => `feature_does_not_exist_${i}`);
      manifest(ws, `dataset: v5.2\nfeatures: [${names.join(', ')}]\nonnx: model.onnx\n`);
    },
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', message: /feature_does_not_exist_0/ },
  },
  {
    step: 'model.yml',
    fault: 'onnx path escaping the models folder (../)',
    setup: (ws) => {
      writeFileSync(join(ws.root, 'outside.onnx'), linearOnnx(weightsFor(0)));
      manifest(ws, 'dataset: v5.2\nfeatures: all\nonnx: ../../outside.onnx\n');
    },
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /rel_alpha\/model\.yml.*onnx.*outside the models folder/ },
  },
  {
    step: 'model.yml',
    fault: 'onnx path escaping the models folder (absolute)',
    setup: (ws) => {
      writeFileSync(join(ws.root, 'outside.onnx'), linearOnnx(weightsFor(0)));
      manifest(ws, `dataset: v5.2\nfeatures: all\nonnx: ${join(ws.root, 'outside.onnx')}\n`);
    },
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /outside the models folder/ },
  },
  {
    step: 'model.onnx',
    fault: 'symbolic link escaping the models folder',
    setup: (ws) => {
      writeFileSync(join(ws.root, 'outside.onnx'), linearOnnx(weightsFor(0)));
      rmSync(join(ws.modelsDir, BAD, 'model.onnx'));
      symlinkSync(join(ws.root, 'outside.onnx'), join(ws.modelsDir, BAD, 'model.onnx'));
    },
    expected: { kind: 'model', model: BAD, errorClass: 'ConfigError', stage: 'config', message: /outside the models folder.*symbolic link/ },
  },
  {
    step: 'model.onnx',
    fault: 'input width mismatch (10 vs 16 features)',
    setup: (ws) => onnx(ws, linearOnnx(weightsFor(0, 10))),
    expected: { kind: 'model', model: BAD, errorClass: ['ModelError', 'ConfigError'], message: /10.*16|16.*10/ },
  },
  {
    step: 'model.onnx',
    fault: 'input dtype not supported (int32)',
    setup: (ws) => copyFileSync(join(FIXTURES, 'ridge_int32.onnx'), join(ws.modelsDir, BAD, 'model.onnx')),
    expected: { kind: 'model', model: BAD, errorClass: ['ModelError', 'ConfigError'], message: /int32.*supported: float32, float64, int8/ },
  },
  {
    step: 'model.onnx',
    fault: 'ZipMap output (classifier export)',
    setup: (ws) => copyFileSync(join(FIXTURES, 'logistic_zipmap.onnx'), join(ws.modelsDir, BAD, 'model.onnx')),
    expected: { kind: 'model', model: BAD, errorClass: ['ModelError', 'ConfigError'], message: /ZipMap.*zipmap/s },
  },
  {
    step: 'model.onnx',
    fault: 'corrupt file',
    setup: (ws) => onnx(ws, new Uint8Array(Buffer.from('this is not an ONNX protobuf \u0000\u0001\u0002 at all'))),
    expected: { kind: 'model', model: BAD, errorClass: ['ModelError', 'ConfigError'], message: /rel_alpha\/model\.onnx/ },
  },
  {
    step: 'model.onnx',
    fault: 'truncated file',
    setup: (ws) => onnx(ws, linearOnnx(weightsFor(0)).subarray(0, 60)),
    expected: { kind: 'model', model: BAD, errorClass: ['ModelError', 'ConfigError'], message: /rel_alpha\/model\.onnx/ },
  },
  {
    step: 'predictions',
    fault: 'NaN output',
    setup: (ws) => onnx(ws, linearOnnx(weightsFor(0).map((w, i) => (i === 3 ? Number.NaN : w)))),
    expected: { kind: 'model', model: BAD, errorClass: ['ModelError', 'PredictionError'], message: /NaN/ },
  },
  {
    step: 'predictions',
    fault: 'constant output',
    setup: (ws) => onnx(ws, linearOnnx(new Array<number>(FEATURES).fill(0))),
    expected: { kind: 'model', model: BAD, errorClass: 'PredictionError', stage: 'validate', message: /standard deviation/ },
  },
  {
    step: 'predictions',
    fault: 'out of range (postprocess: none)',
    setup: (ws) => {
      onnx(ws, linearOnnx(weightsFor(0).map((w) => w * 10)));
      manifest(ws, `${LINEAR_YML}postprocess: none\n`);
    },
    expected: { kind: 'model', model: BAD, errorClass: 'PredictionError', stage: 'validate', message: /\(0, ?1\)|between 0 and 1|range/ },
  },
  {
    step: 'live.parquet in the data folder',
    fault: 'empty file',
    setup: (ws) => storeLive(ws, new Uint8Array(0)),
    expected: { kind: 'recovered', log: /Downloading v5\.2\/live\.parquet/ },
  },
  {
    step: 'live.parquet in the data folder',
    fault: 'truncated file',
    setup: (ws) => storeLive(ws, REFERENCE.get('live.parquet')!.subarray(0, Math.floor(REFERENCE.get('live.parquet')!.length / 2))),
    expected: { kind: 'recovered', log: /live\.parquet \(stored copy\) is unreadable/ },
  },
  {
    step: 'live.parquet in the data folder',
    fault: 'corrupt bytes (same size)',
    setup: (ws) => {
      const bytes = Buffer.from(REFERENCE.get('live.parquet')!);
      for (let i = 8; i < bytes.length - 8; i += 7) bytes[i] ^= 0x5a;
      storeLive(ws, bytes);
    },
    expected: { kind: 'recovered', log: /live\.parquet \(stored copy\) is unreadable/ },
  },
  {
    step: 'live.parquet in the data folder',
    fault: 'another file (CSV text)',
    setup: (ws) => storeLive(ws, Buffer.from('id,feature_a\nn1,1\n')),
    expected: { kind: 'recovered', log: /live\.parquet \(stored copy\) is unreadable/ },
  },
  {
    step: 'API keys',
    fault: 'wrong secret key',
    options: () => ({ secretKey: `${CANARY_SECRET}X` }),
    expected: { kind: 'run', errorClass: 'AccountError', message: /key|token|auth/i },
  },
  {
    step: 'API keys',
    fault: 'wrong public id',
    options: () => ({ publicId: 'NOTAPUBLICIDNOTAPUBLICIDNOTAPUB0' }),
    expected: { kind: 'run', errorClass: 'AccountError', message: /key|token|auth/i },
  },
  {
    step: 'API keys',
    fault: 'key without the upload_submission scope',
    options: (sandbox) => sandbox.keyWithout('upload_submission'),
    expected: { kind: 'all', errorClass: 'AccountError', stage: 'upload', message: /upload_submission/ },
  },
  {
    step: 'API keys',
    fault: 'key without the read_submission_info scope',
    options: (sandbox) => sandbox.keyWithout('read_submission_info'),
    expected: { kind: 'all', errorClass: 'AccountError', stage: 'plan', message: /read_submission_info/ },
  },
  {
    step: 'models folder',
    fault: 'model name not in the account',
    setup: (ws) => writeModel(ws.modelsDir, 'rel_not_mine', { index: 5 }),
    expected: { kind: 'model', model: 'rel_not_mine', errorClass: 'AccountError', stage: 'plan', message: /rel_not_mine is not among this account's classic models: .*rel_alpha/ },
  },
  {
    step: 'models folder',
    fault: "another account's model name",
    setup: (ws) => writeModel(ws.modelsDir, 'someone_elses_model', { index: 5 }),
    expected: { kind: 'model', model: 'someone_elses_model', errorClass: 'AccountError', stage: 'plan', message: /not among this account's/ },
  },
  {
    step: 'models folder',
    fault: 'model managed by Numerai Model Uploads',
    setup: (ws) => writeModel(ws.modelsDir, MANAGED_MODEL, { index: 6 }),
    expected: { kind: 'model', model: MANAGED_MODEL, errorClass: ['SubmissionRejected', 'AccountError'], message: /Model Uploads/ },
  },
];

/** The dataset files as the server serves them (from a clean run). */
let REFERENCE = new Map<string, Buffer>();

function storeLive(ws: Workspace, bytes: Uint8Array): void {
  // The stored copy of an earlier run: features.json is fine, live.parquet is broken.
  const dir = join(ws.dataDir, '8', 'v5.2', `${ROUND}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'features.json'), REFERENCE.get('features.json')!);
  writeFileSync(livePath(ws), bytes);
}

const matches = (errorClass: ErrorClass | ErrorClass[], actual: ErrorClass | undefined) =>
  Array.isArray(errorClass) ? errorClass.includes(actual!) : errorClass === actual;

describe('bad-input matrix', { concurrency: false }, () => {
  let sandbox: Sandbox;

  before(async () => {
    ({ sandbox, reference: REFERENCE } = await sandboxWithReferenceData());
  });
  after(() => sandbox.close());

  for (const item of CASES) {
    const expected = item.expected;
    const text =
      expected.kind === 'model'
        ? `${expected.model} fails with ${[expected.errorClass].flat().join(' or ')}${expected.stage ? ` at ${expected.stage}` : ''}, naming what and where; the others submitted`
        : expected.kind === 'run'
          ? `run stops with ${expected.errorClass} before any model, saying why; nothing submitted`
          : expected.kind === 'all'
            ? `every model fails with ${expected.errorClass} at ${expected.stage}, naming the missing scope`
            : 'the broken copy is discarded and downloaded again; every model submitted';
    scenario({ matrix: 'bad-input', step: item.step, fault: item.fault, expected: text, boundMs: 15_000, todo: item.todo }, async () => {
      resetSandbox(sandbox, [...MODELS, MANAGED_MODEL]);
      const ws = workspace();
      try {
        item.setup?.(ws, sandbox);
        const options = item.options?.(sandbox) ?? {};
        const start = sandbox.requests.length;
        const run = await runRound(sandbox, ws, options);
        const { report } = run;
        const explain = `${describeOutcome(report)}\n${run.log}`;
        const served = sandbox.requests.slice(start);
        switch (expected.kind) {
          case 'model': {
            const bad = modelReport(report, expected.model);
            assert.equal(bad.status, 'failed', explain);
            assert.ok(matches(expected.errorClass, bad.errorClass), `${expected.model}: ${bad.errorClass} (${bad.message})`);
            if (expected.stage) assert.equal(bad.stage, expected.stage, explain);
            assert.match(bad.message ?? '', expected.message);
            assert.match(run.log, new RegExp(`error: .*${expected.model}`), 'the failure is in the log, with the model named');
            assert.equal(submissionsOf(sandbox, expected.model), 0, 'the bad model submitted nothing');
            for (const other of MODELS.filter((model) => model !== expected.model)) {
              const entry = modelReport(report, other);
              assert.equal(entry.status, 'submitted', `${other} did not go on: ${explain}`);
              assert.ok(entry.csvPath && readFileSync(entry.csvPath, 'utf8').startsWith('id,prediction'), `${other}'s CSV is kept`);
            }
            break;
          }
          case 'run':
            assert.equal(report.error?.errorClass, expected.errorClass, explain);
            assert.match(report.error!.message, expected.message);
            assert.ok(!served.some((r) => r.operation === 'create_submission' || r.operation === 'download'), 'nothing downloaded or submitted');
            break;
          case 'all':
            assert.equal(report.error, undefined, explain);
            for (const model of MODELS) {
              const entry = modelReport(report, model);
              assert.equal(entry.status, 'failed', explain);
              assert.equal(entry.errorClass, expected.errorClass, explain);
              assert.equal(entry.stage, expected.stage, explain);
              assert.match(entry.message ?? '', expected.message);
            }
            break;
          case 'recovered':
            assert.deepEqual(statuses(report), Object.fromEntries(MODELS.map((model) => [model, 'submitted'])), explain);
            assert.match(run.log, expected.log);
            break;
        }
        assertNoDuplicates(sandbox, report, [...MODELS, MANAGED_MODEL]);
        assertDataFolderClean(ws, REFERENCE);
        assertRunHasNoCanary(run, ws);
        const failed = report.models.find((model) => model.status === 'failed');
        return `${describeOutcome(report)}${failed ? ` — "${truncate(failed.message ?? '')}"` : report.error ? ` — "${truncate(report.error.message)}"` : ''}`;
      } finally {
        removeWorkspace(ws);
      }
    });
  }
});

/** The model's submissions this round; 0 for a name the account does not have. */
function submissionsOf(sandbox: Sandbox, model: string): number {
  if (!sandbox.credentials || ![...MODELS, MANAGED_MODEL, 'someone_elses_model'].includes(model)) return 0;
  return sandbox.submissions(model).filter((submission) => submission.round === ROUND).length;
}

function truncate(text: string): string {
  const line = text.replaceAll(/\s+/g, ' ').replaceAll('|', '/');
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}
