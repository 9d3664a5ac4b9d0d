import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, NUMERAI_API_URL, parseThreads } from '../../src/pipeline/settings.js';
import { DEFAULT_OUTPUT_SUBDIR, InputDefaults, Inputs, type InputName } from '../../src/github/constants.js';
import { artifactSuffix, InputError, parseApiUrl, parseModelList, parseTriggerId, readActionSettings, runnerInputs, type InputSource } from '../../src/github/inputs.js';

const CANARY_SECRET = 'canary-secret-9f8e7d6c5b4a';
const ENV = { GITHUB_WORKSPACE: '/runner/work/repo', RUNNER_TEMP: '/runner/temp', GITHUB_REPOSITORY: 'octo/models', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1' };

/** Inputs as the runner passes them: every declared input, defaults filled in, '' for unset optional ones. */
function source(values: Partial<Record<InputName, string>>, env: NodeJS.ProcessEnv = ENV) {
  const masked: string[] = [];
  const inputs: Partial<Record<InputName, string>> = { [Inputs.PublicId]: 'PUBLICID123', [Inputs.SecretKey]: CANARY_SECRET, ...values };
  const src: InputSource = { get: (name) => inputs[name] ?? '', mask: (value) => masked.push(value), env };
  return { src, masked };
}

describe('readActionSettings', () => {
  it('gives the documented defaults when only the keys are set', () => {
    const { src } = source({});
    const settings = readActionSettings(src);
    assert.deepEqual(settings.pipeline, {
      ...DEFAULT_SETTINGS,
      publicId: 'PUBLICID123',
      secretKey: CANARY_SECRET,
      apiUrl: NUMERAI_API_URL,
      modelsDir: '/runner/work/repo/models',
      dataDir: '/runner/work/repo/.numerai-data',
      outputDir: path.join('/runner/temp', DEFAULT_OUTPUT_SUBDIR),
    });
    assert.equal(settings.cache, true);
    assert.equal(settings.openIssues, true);
    assert.equal(settings.uploadArtifacts, true);
    assert.equal(settings.failOnError, true);
    assert.deepEqual(settings.runner.repository, { owner: 'octo', repo: 'models' });
    assert.equal(settings.runner.runId, '42');
    assert.equal(settings.runner.apiUrl, 'https://api.github.com');
    assert.equal(settings.runner.runUrl, 'https://github.com/octo/models/actions/runs/42');
  });

  it('links to the attempt of a rerun', () => {
    const { src } = source({}, { ...ENV, GITHUB_RUN_ATTEMPT: '3', GITHUB_SERVER_URL: 'https://ghe.example.com/' });
    assert.equal(readActionSettings(src).runner.runUrl, 'https://ghe.example.com/octo/models/actions/runs/42/attempts/3');
  });

  it('reads every input', () => {
    const { src } = source({
      [Inputs.ModelsDir]: 'ml/onnx',
      [Inputs.Models]: 'alpha, beta\ngamma',
      [Inputs.DryRun]: 'true',
      [Inputs.Force]: 'TRUE',
      [Inputs.Cache]: 'false',
      [Inputs.DataDir]: '/data/numerai',
      [Inputs.OutputDir]: 'out',
      [Inputs.OpenIssues]: 'False',
      [Inputs.GithubToken]: 'ghs_token',
      [Inputs.UploadArtifacts]: 'false',
      [Inputs.FailOnError]: 'false',
      [Inputs.ApiUrl]: 'http://127.0.0.1:4000/graphql/',
      [Inputs.Threads]: '3',
    });
    const settings = readActionSettings(src);
    assert.equal(settings.pipeline.modelsDir, '/runner/work/repo/ml/onnx');
    assert.deepEqual(settings.pipeline.models, ['alpha', 'beta', 'gamma']);
    assert.equal(settings.pipeline.dryRun, true);
    assert.equal(settings.pipeline.force, true);
    assert.equal(settings.pipeline.dataDir, '/data/numerai');
    assert.equal(settings.pipeline.outputDir, '/runner/work/repo/out');
    assert.equal(settings.pipeline.apiUrl, 'http://127.0.0.1:4000/graphql');
    assert.equal(settings.pipeline.threads, 3);
    assert.equal(settings.cache, false);
    assert.equal(settings.openIssues, false);
    assert.equal(settings.githubToken, 'ghs_token');
    assert.equal(settings.uploadArtifacts, false);
    assert.equal(settings.failOnError, false);
  });

  it('treats an empty boolean as its default (dispatch inputs are empty on scheduled runs)', () => {
    const { src } = source({ [Inputs.Force]: '', [Inputs.Cache]: '', [Inputs.DryRun]: '  ' });
    const settings = readActionSettings(src);
    assert.equal(settings.pipeline.force, false);
    assert.equal(settings.pipeline.dryRun, false);
    assert.equal(settings.cache, true);
  });

  it('rejects a boolean it cannot read, naming the input and the valid values', () => {
    const { src } = source({ [Inputs.DryRun]: 'yes' });
    assert.throws(() => readActionSettings(src), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.input, 'dry-run');
      assert.match(error.message, /Input "dry-run": "yes" is not a boolean\. Valid: true \| True \| TRUE \| false/);
      return true;
    });
  });

  it('reads threads as auto (every core: 0) or a whole number, and names the valid values otherwise', () => {
    for (const [text, threads] of [['auto', 0], ['', 0], ['0', 0], [' 4 ', 4]] as const) {
      assert.equal(readActionSettings(source({ [Inputs.Threads]: text }).src).pipeline.threads, threads, JSON.stringify(text));
    }
    for (const text of ['two', '-1', '1.5', '257']) {
      assert.throws(() => readActionSettings(source({ [Inputs.Threads]: text }).src), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.input, 'threads');
        assert.match(error.message, /is not a thread count\. Valid: auto \(every core, the default\) or a whole number 1–256/);
        return true;
      });
    }
  });

  it('reads show-scores and score-rounds, and refuses a number of rounds it cannot use', () => {
    const settings = readActionSettings(source({ [Inputs.ShowScores]: 'false', [Inputs.ScoreRounds]: '35' }).src).pipeline;
    assert.deepEqual([settings.showScores, settings.scoreRounds], [false, 35]);
    for (const bad of ['0', '201', '2.5', 'ten']) {
      assert.throws(() => readActionSettings(source({ [Inputs.ScoreRounds]: bad }).src), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.message, `Input "score-rounds": "${bad}" is not a number of rounds. Valid: a whole number from 1 to 200 (default 20).`);
        return true;
      });
    }
  });

  it('masks the secret key, the public id and the token before anything can fail', () => {
    const { src, masked } = source({ [Inputs.GithubToken]: 'ghs_abc', [Inputs.ApiUrl]: 'ftp://nope' });
    assert.throws(() => readActionSettings(src), InputError);
    assert.deepEqual(masked.sort(), ['PUBLICID123', 'ghs_abc', CANARY_SECRET].sort());
  });

  it('removes surrounding whitespace from the keys (a newline pasted into a secret) and masks what is sent', () => {
    const { src, masked } = source({ [Inputs.PublicId]: ' PUBLICID123\n', [Inputs.SecretKey]: `\t${CANARY_SECRET}\r\n` });
    const settings = readActionSettings(src);
    assert.equal(settings.pipeline.publicId, 'PUBLICID123');
    assert.equal(settings.pipeline.secretKey, CANARY_SECRET);
    assert.ok(masked.includes(CANARY_SECRET) && masked.includes('PUBLICID123'));
  });

  it('reports missing keys with how to pass them, never echoing other values', () => {
    const { src } = source({ [Inputs.SecretKey]: '   ' });
    assert.throws(() => readActionSettings(src), /Input "secret-key": required but empty\. Pass it from a secret: secret-key: \$\{\{ secrets\.NUMERAI_SECRET_KEY \}\}/);
    const noId = source({ [Inputs.PublicId]: '' });
    assert.throws(() => readActionSettings(noId.src), /Input "public-id": required but empty/);
  });

  it('never puts the secret into any error it throws', () => {
    const pasted = [{ [Inputs.ApiUrl]: `http://numerai.example/${CANARY_SECRET}` }, { [Inputs.Force]: CANARY_SECRET }, { [Inputs.Models]: `["${CANARY_SECRET}",` }];
    for (const bad of [{ [Inputs.ApiUrl]: 'not a url' }, { [Inputs.Models]: '[1,2]' }, { [Inputs.Force]: 'maybe' }, ...pasted]) {
      const { src } = source(bad);
      assert.throws(() => readActionSettings(src), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.ok(!JSON.stringify({ ...error, message: error.message, stack: error.stack }).includes(CANARY_SECRET));
        return true;
      });
    }
  });

  it('falls back sensibly outside a runner', () => {
    const { src } = source({}, {});
    const settings = readActionSettings(src);
    assert.equal(settings.runner.repository, null);
    assert.equal(settings.runner.runAttempt, 1);
    assert.equal(settings.runner.runUrl, '');
    assert.equal(settings.pipeline.modelsDir, path.resolve('models'));
  });

  it('reads inputs from INPUT_* variables through @actions/core, hyphens kept', () => {
    const names = { 'INPUT_PUBLIC-ID': ' id-from-env ', 'INPUT_SECRET-KEY': CANARY_SECRET, 'INPUT_DRY-RUN': 'true', INPUT_MODELS: '["a","b"]' };
    const saved = { ...process.env };
    Object.assign(process.env, names);
    try {
      const settings = readActionSettings({ ...runnerInputs, mask: () => {}, env: ENV });
      assert.equal(settings.pipeline.publicId, 'id-from-env');
      assert.equal(settings.pipeline.dryRun, true);
      assert.deepEqual(settings.pipeline.models, ['a', 'b']);
    } finally {
      for (const key of Object.keys(names)) if (!(key in saved)) delete process.env[key];
    }
  });
});

describe('parseModelList', () => {
  it('splits on commas, spaces and new lines, keeps order, drops duplicates', () => {
    assert.deepEqual(parseModelList(' a,b  c\n\nd,a '), ['a', 'b', 'c', 'd']);
    assert.deepEqual(parseModelList(''), []);
  });
  it('reads a JSON list (a plan job output or toJSON(matrix.models))', () => {
    assert.deepEqual(parseModelList('["m1", "m2", "m1"]'), ['m1', 'm2']);
    assert.deepEqual(parseModelList('[]'), []);
  });
  it('explains a malformed JSON list', () => {
    assert.throws(() => parseModelList('["a",'), /Input "models": looks like a JSON list but does not parse/);
    assert.throws(() => parseModelList('[1]'), /must be a list of model name strings/);
  });
});

describe('parseTriggerId', () => {
  it('takes an id, empty as none, and refuses anything else naming the input', () => {
    assert.equal(parseTriggerId(''), null);
    assert.equal(parseTriggerId('0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01'), '0b8f0c57-3a4e-4a43-9d55-1c1f3f6f5e01');
    assert.throws(() => parseTriggerId('$(curl x)'), /trigger-id.*is not a trigger id: expected 1-128 characters/);
  });
});

describe('parseApiUrl', () => {
  it('accepts https anywhere and http only on loopback', () => {
    assert.equal(parseApiUrl('https://api-tournament.numer.ai'), 'https://api-tournament.numer.ai');
    assert.equal(parseApiUrl('http://localhost:8080/'), 'http://localhost:8080');
    assert.equal(parseApiUrl('http://[::1]:8080'), 'http://[::1]:8080');
    assert.throws(() => parseApiUrl('http://api-tournament.numer.ai'), /would send the secret key unencrypted/);
    assert.throws(() => parseApiUrl('numer.ai'), /is not a URL/);
  });
});

describe('artifactSuffix', () => {
  const base = readActionSettings(source({}).src);
  it('tells matrix shards apart by their models, and is absent for a job that runs every model', () => {
    assert.equal(artifactSuffix(base), undefined);
    assert.equal(artifactSuffix({ ...base, pipeline: { ...base.pipeline, models: ['a', 'b'] } }), 'a-b');
    const big = artifactSuffix({ ...base, pipeline: { ...base.pipeline, models: ['a', 'b', 'c', 'd'] } });
    const other = artifactSuffix({ ...base, pipeline: { ...base.pipeline, models: ['e', 'f', 'g', 'h'] } });
    assert.match(big ?? '', /^models-[0-9a-f]{10}$/);
    assert.notEqual(big, other);
  });
});

describe('constants', () => {
  it('keep the defaults of the pipeline and the action in step', () => {
    assert.equal(InputDefaults[Inputs.ApiUrl], NUMERAI_API_URL);
    assert.equal(InputDefaults[Inputs.ModelsDir], DEFAULT_SETTINGS.modelsDir);
    assert.equal(InputDefaults[Inputs.DataDir], DEFAULT_SETTINGS.dataDir);
    assert.equal(parseThreads(InputDefaults[Inputs.Threads]), DEFAULT_SETTINGS.threads);
    assert.equal(InputDefaults[Inputs.ShowScores], String(DEFAULT_SETTINGS.showScores));
    assert.equal(InputDefaults[Inputs.ScoreRounds], String(DEFAULT_SETTINGS.scoreRounds));
  });
});
