/** `numerai-autopilot scores`: a table per model, and --json, against the sandbox past the formula change of 1343. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import type { ScoresReport } from '../../src/pipeline/report.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rows: 50, features: 5, round: { number: 1350, state: 'open' } });
});
after(() => sandbox.close());

async function scores(args: string[], keys = sandbox.credentials) {
  let stdout = '';
  let stderr = '';
  const env = { NUMERAI_API_URL: sandbox.url, NUMERAI_PUBLIC_ID: keys.publicId, NUMERAI_SECRET_KEY: keys.secretKey };
  const code = await runCli(['scores', ...args], {
    env,
    cwd: '/nonexistent-scores-cwd',
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe('scores', () => {
  test('a table per model: each round, resolved or not, each payout metric, the payout score, mean and trend', async () => {
    const r = await scores(['--models', 'example_gbt,example_ensemble', '--rounds', '10']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'example_gbt — last 10 scored rounds');
    assert.match(lines[2], /^ROUND +STATUS +FORMULA +CORR60 +MMC60 +V2_CORR20 +MMC +PAYOUT SCORE$/);
    assert.match(lines[4], /^13[45]\d +provisional +3×corr60 \+ 15×mmc60 +-?\d\.\d{4} +-?\d\.\d{4} +-?\d\.\d{4} +-?\d\.\d{4} +-?\d\.\d{4}$/);
    assert.match(r.stdout, /\n1342 +provisional +0\.75×v2_corr20 \+ 2\.25×mmc /);
    assert.equal(lines.filter((l) => /^13\d\d /.test(l)).length, 10);
    assert.match(r.stdout, /Mean payout score -?\d\.\d{4} over \d rounds of 3×corr60 \+ 15×mmc60; trend [+-]\d\.\d{4} per round\./);
    assert.match(r.stdout, /Latest resolved: round \d+, payout score -?\d\.\d{4} \(0\.75×v2_corr20 \+ 2\.25×mmc\)\./);
    assert.match(r.stdout, /example_ensemble: no scores yet/);
  });

  test('--json: the scores as the report holds them', async () => {
    const r = await scores(['--models', 'example_linear', '--rounds', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ScoresReport;
    assert.equal(report.rounds, 3);
    assert.deepEqual(report.models.map((m) => m.model), ['example_linear']);
    const [m] = report.models;
    assert.equal(m.modelId, sandbox.modelId('example_linear'));
    const top = m.rounds[0].round;
    assert.deepEqual(m.rounds.map((x) => x.round), [top, top - 1, top - 2]);
    assert.deepEqual(m.rounds[0].payout.map((p) => [p.metric, p.multiplier]), [['corr60', 3], ['mmc60', 15]]);
    assert.equal(m.rounds[0].resolved, false);
    assert.equal(typeof m.summary?.mean, 'number');
  });

  test('wrong usage and unknown models are said clearly', async () => {
    const bad = await scores(['--rounds', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--rounds "0" is not a number of rounds; give a whole number from 1 to 200/);
    const unknown = await scores(['--models', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /--models: nope is not a model of this account in the classic tournament\. Its models: example_gbt, example_ensemble, example_linear/);
  });

  test('scores that cannot be read: a warning and exit 1, the other models still shown', async () => {
    sandbox.inject('submissionScores', { kind: 'graphql-400', message: 'boom', times: 1 });
    try {
      const r = await scores(['--models', 'example_gbt,example_linear', '--rounds', '2']);
      assert.equal(r.code, 1);
      // The models are read at the same time: the fault hits one of them, and the other is shown.
      const failed = /warning: Some scores could not be read; the rest of the summary is complete\. (example_gbt|example_linear): .*boom/.exec(r.stderr)?.[1];
      assert.ok(failed, r.stderr);
      const other = failed === 'example_gbt' ? 'example_linear' : 'example_gbt';
      assert.match(r.stdout, new RegExp(`${failed}: scores could not be read`));
      assert.match(r.stdout, new RegExp(`${other} — last 2 scored rounds`));
    } finally {
      sandbox.clearFaults();
    }
  });
});
