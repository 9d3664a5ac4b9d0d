import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ActionStep, Job } from '@actions/workflow-parser/model/workflow-template';
import { Inputs } from '../../src/github/constants.js';
import { cronTimes, insideRoundWindow, parseActionFile, parseWorkflowFile, ROOT, waitsByCron } from './workflow-helpers.js';

const WORKFLOWS = fs.readdirSync(path.join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`);
const TEMPLATES = fs.readdirSync(path.join(ROOT, '.github/workflow-templates')).filter((f) => f.endsWith('.yml')).map((f) => `.github/workflow-templates/${f}`);
const CHECK_TEMPLATE = '.github/workflow-templates/check-models.yml';
const SUBMITTING = ['.github/workflows/submit.yml', ...TEMPLATES.filter((file) => file !== CHECK_TEMPLATE)];
const declaredInputs = new Set(parseActionFile('action.yml').template.inputs?.map((input) => input.id));

type RawJob = { steps?: { uses?: string; with?: Record<string, unknown>; run?: string; env?: Record<string, string> }[] };
const rawJobs = (raw: Record<string, unknown>) => raw.jobs as Record<string, RawJob>;
const isAutopilot = (uses: string | undefined) => uses === './' || /\/numerai-autopilot@v\d+$/.test(uses ?? '');

function autopilotSteps(raw: Record<string, unknown>) {
  return Object.values(rawJobs(raw)).flatMap((job) => (job.steps ?? []).filter((step) => isAutopilot(step.uses)));
}

describe('every workflow and template parses with GitHub\'s workflow parser', () => {
  for (const file of [...WORKFLOWS, ...TEMPLATES]) {
    it(file, async () => {
      await parseWorkflowFile(file);
    });
  }

  it('and the parser does catch mistakes (the check can fail)', async () => {
    const scratch = path.join(ROOT, '.github/workflows');
    const { parseWorkflow, NoOperationTraceWriter } = await import('@actions/workflow-parser');
    const broken = fs.readFileSync(path.join(scratch, 'submit.yml'), 'utf8').replace('runs-on:', 'runs_on:');
    const result = parseWorkflow({ name: 'broken.yml', content: broken }, new NoOperationTraceWriter());
    assert.ok(result.context.errors.getErrors().length > 0);
  });
});

describe('the submitting workflows', () => {
  for (const file of SUBMITTING) {
    describe(file, () => {
      it('run only while a round takes submissions, never on the hour', async () => {
        const { template } = await parseWorkflowFile(file);
        const crons = (template.events.schedule ?? []).map((s) => s.cron);
        assert.ok(crons.length > 0, 'has a schedule');
        for (const cron of crons) {
          for (const time of cronTimes(cron)) {
            assert.notEqual(time.minute, 0, `${cron}: GitHub delays or drops scheduled runs most at minute 0`);
            assert.ok(insideRoundWindow(time), `${cron} fires at day ${time.day} ${time.hour}:${time.minute} UTC, outside every round window`);
          }
        }
        const saturday = crons.flatMap(cronTimes).filter((t) => t.day === 6);
        assert.ok(saturday.length > 0, 'runs on Saturday, the weekly round');
      });

      it('can be started by hand, with models / force / dry-run where the template offers them', async () => {
        const { template } = await parseWorkflowFile(file);
        const inputs = template.events.workflow_dispatch?.inputs ?? {};
        assert.ok(template.events.workflow_dispatch, 'has workflow_dispatch');
        if (inputs.force) assert.equal(inputs.force.type, 'boolean');
        if (inputs['dry-run']) assert.equal(inputs['dry-run'].type, 'boolean');
        if (inputs.models) assert.equal(inputs.models.type, 'string');
      });

      it('never overlaps itself and never cancels a run in progress', async () => {
        const { template, raw } = await parseWorkflowFile(file);
        assert.ok(template.concurrency, 'the parser sees a concurrency setting');
        const { group, 'cancel-in-progress': cancel } = raw.concurrency as Record<string, unknown>;
        assert.match(String(group), /numerai-submit/);
        assert.equal(cancel, false);
      });

      it('asks for the least permissions: read the code, write issues', async () => {
        const { raw } = await parseWorkflowFile(file);
        assert.deepEqual(raw.permissions, { contents: 'read', issues: 'write' });
      });

      it('passes the keys from secrets and only inputs the action declares', async () => {
        const { raw } = await parseWorkflowFile(file);
        const steps = autopilotSteps(raw);
        assert.equal(steps.length, 1);
        const given = steps[0].with ?? {};
        assert.equal(given[Inputs.PublicId], '${{ secrets.NUMERAI_PUBLIC_ID }}');
        assert.equal(given[Inputs.SecretKey], '${{ secrets.NUMERAI_SECRET_KEY }}');
        for (const name of Object.keys(given)) assert.ok(declaredInputs.has(name), `${name} is not an input of action.yml`);
      });
    });
  }

  it('submit.yml runs this repository\'s action with every dispatch input', async () => {
    const { template, raw } = await parseWorkflowFile('.github/workflows/submit.yml');
    assert.deepEqual(Object.keys(template.events.workflow_dispatch?.inputs ?? {}).sort(), ['dry-run', 'force', 'models', 'reason', 'trigger-id']);
    const [step] = autopilotSteps(raw);
    assert.equal(step.uses, './');
    assert.equal(step.with?.models, '${{ inputs.models }}');
    assert.equal(step.with?.force, '${{ inputs.force }}');
    assert.equal(step.with?.['dry-run'], '${{ inputs.dry-run }}');
    const first = cronTimes(template.events.schedule![0].cron);
    assert.ok(first.every((t) => t.day === 6 && t.hour === 12), 'the first run starts in the hour the round may open, and waits');
  });

  for (const file of ['.github/workflows/submit.yml', '.github/workflow-templates/daily-rounds.yml', '.github/workflow-templates/sharded.yml']) {
    it(`${file} takes the webhook relay's dispatch (trigger-id and reason) and passes the trigger id to the action`, async () => {
      const { template, raw } = await parseWorkflowFile(file);
      const inputs = template.events.workflow_dispatch?.inputs ?? {};
      for (const name of ['trigger-id', 'reason']) {
        assert.equal(inputs[name]?.type, 'string', `${file}: input ${name}`);
        assert.equal(inputs[name]?.required ?? false, false, `${file}: input ${name} is optional (runs started by hand leave it empty)`);
      }
      for (const step of autopilotSteps(raw)) assert.equal(step.with?.['trigger-id'], '${{ inputs.trigger-id }}');
    });
  }

  it('the daily-rounds template runs every round day, Tuesday to Saturday, plus a Sunday backup for Saturday\'s round', async () => {
    const { template } = await parseWorkflowFile('.github/workflow-templates/daily-rounds.yml');
    const days = new Set((template.events.schedule ?? []).flatMap((s) => cronTimes(s.cron)).map((t) => t.day));
    assert.deepEqual([...days].sort(), [0, 2, 3, 4, 5, 6]);
  });

  /**
   * Rounds open at 12:00 or 13:00 UTC and GitHub starts scheduled runs late or drops them: each round day needs
   * several runs across the window, early ones that wait for the round (long enough to see a 13:00 opening), and
   * a job timeout that lets the longest wait finish.
   */
  for (const [file, expectRounds, roundDays] of [
    ['.github/workflows/submit.yml', 'weekend', [6]],
    ['.github/workflow-templates/daily-rounds.yml', 'all', [2, 3, 4, 5, 6]],
  ] as const) {
    it(`${file}: several runs per round day, the early ones wait past a 13:00 opening, expect-rounds ${expectRounds}`, async () => {
      const { template, raw } = await parseWorkflowFile(file);
      const crons = (template.events.schedule ?? []).map((s) => s.cron);
      const [step] = autopilotSteps(raw);
      assert.equal(step.with?.[Inputs.ExpectRounds], expectRounds);
      const { waits, otherwise } = waitsByCron(String(step.with?.[Inputs.WaitForRound]));
      assert.equal(otherwise, 0, 'backups and runs started by hand do not wait');
      for (const cron of waits.keys()) assert.ok(crons.includes(cron), `the wait names a cron the workflow has: ${cron}`);
      for (const day of roundDays) {
        const runs = crons.flatMap((cron) => cronTimes(cron).filter((t) => t.day === day).map((t) => ({ cron, at: t.hour * 60 + t.minute })));
        runs.sort((a, b) => a.at - b.at);
        assert.ok(runs.length >= 3, `day ${day}: ${runs.length} runs; a dropped run needs a backup`);
        const waiting = runs.filter((run) => waits.has(run.cron));
        assert.ok(waiting.length >= 1 && waiting.every((run, i) => run === runs[i]), `day ${day}: the earliest runs wait, not later ones`);
        assert.ok(waiting.some((run) => run.at + waits.get(run.cron)! > 13 * 60), `day ${day}: a wait reaches past a 13:00 opening`);
        assert.ok(runs.some((run) => run.at >= 13 * 60), `day ${day}: a run after a 13:00 opening`);
      }
      const job = Object.values(raw.jobs as Record<string, { 'timeout-minutes'?: number }>)[0];
      const longest = Math.max(...waits.values());
      assert.ok((job['timeout-minutes'] ?? 360) >= longest + 15, `timeout-minutes ${job['timeout-minutes']} leaves a submission after the ${longest} min wait`);
    });
  }

  it('the sharded template feeds each matrix leg a JSON list of models', async () => {
    const { raw } = await parseWorkflowFile('.github/workflow-templates/sharded.yml');
    const [step] = autopilotSteps(raw);
    assert.equal(step.with?.models, '${{ toJSON(matrix.models) }}');
  });
});

describe('the model check for pull requests (check-models.yml)', () => {
  type Step = { id?: string; name?: string; if?: string; run?: string; env?: Record<string, string> };
  const steps = async () => {
    const { raw } = await parseWorkflowFile(CHECK_TEMPLATE);
    const jobs = Object.values(raw.jobs as Record<string, { steps: Step[]; env: Record<string, string> }>);
    assert.equal(jobs.length, 1);
    return { raw, job: jobs[0], byId: (id: string) => jobs[0].steps.find((step) => step.id === id)! };
  };

  it('runs on pull requests that change models/, can comment, and never submits', async () => {
    const { template, raw } = await parseWorkflowFile(CHECK_TEMPLATE);
    assert.deepEqual((raw.on as { pull_request: { paths: string[] } }).pull_request.paths, ['models/**']);
    assert.ok(template.events.pull_request);
    assert.equal(template.events.schedule, undefined);
    assert.deepEqual(raw.permissions, { contents: 'read', 'pull-requests': 'write' });
    const script = (await steps()).job.steps.map((step) => step.run ?? '').join('\n');
    assert.doesNotMatch(script, /numerai-autopilot submit/);
    assert.equal(autopilotSteps(raw).length, 0, 'the dry run is the CLI, which can predict models numer.ai does not know yet');
  });

  it('checks offline first, then a dry run on live data with keys or on synthetic data without', async () => {
    const { job, byId } = await steps();
    assert.equal(job.env.NUMERAI_SECRET_KEY, '${{ secrets.NUMERAI_SECRET_KEY }}');
    assert.equal(job.env.ONNXRUNTIME_NODE_INSTALL, 'skip');
    assert.match(byId('check').run!, /numerai-autopilot check/);
    assert.match(byId('live').if!, /env\.NUMERAI_SECRET_KEY != ''/);
    assert.match(byId('live').run!, /numerai-autopilot predict 2>&1/);
    assert.match(byId('synthetic').if!, /env\.NUMERAI_SECRET_KEY == ''/);
    assert.match(byId('synthetic').run!, /numerai-autopilot predict --offline/);
    for (const id of ['check', 'live', 'synthetic']) assert.match(byId(id).run!, /set -o pipefail/, `${id} fails when the CLI fails, not tee`);
  });

  it('reports in the job summary and comments on the pull request when the token allows', async () => {
    const { job } = await steps();
    const report = job.steps.at(-1)!;
    assert.equal(report.if, 'always()');
    assert.match(report.run!, />> "\$GITHUB_STEP_SUMMARY"/);
    assert.match(report.run!, /gh pr comment "\$PR" --body-file "\$REPORT" \|\|/);
    assert.equal(report.env?.GH_TOKEN, '${{ github.token }}');
  });
});

describe('ci.yml', () => {
  it('installs without the onnxruntime CUDA download, then typechecks, lints, tests and checks the bundle', async () => {
    const { template, raw } = await parseWorkflowFile('.github/workflows/ci.yml');
    assert.deepEqual(raw.permissions, { contents: 'read' });
    assert.equal((raw.env as Record<string, string>).ONNXRUNTIME_NODE_INSTALL, 'skip');
    const runs = Object.values(rawJobs(raw)).flatMap((job) => (job.steps ?? []).map((step) => step.run ?? ''));
    const script = runs.join('\n');
    for (const command of ['npm ci', 'npm run typecheck', 'npm run lint', 'npm test', 'npm run bundle', 'git diff --quiet']) {
      assert.ok(script.includes(command), `ci.yml runs ${command}`);
    }
    assert.ok(template.events.pull_request && template.events.push, 'runs on pushes and pull requests');
    for (const job of template.jobs as Job[]) {
      const checkout = job.steps.find((step) => 'uses' in step && String((step as ActionStep).uses).startsWith('actions/checkout@'));
      assert.ok(checkout, `${String(job.id)} checks out the code`);
    }
  });
});

describe('release.yml', () => {
  it('moves the major tag on a published release, with write access to contents only', async () => {
    const { template, raw } = await parseWorkflowFile('.github/workflows/release.yml');
    assert.deepEqual(template.events.release?.types, ['published']);
    assert.deepEqual(raw.permissions, { contents: 'write' });
    const script = Object.values(rawJobs(raw)).flatMap((job) => (job.steps ?? []).map((s) => s.run ?? '')).join('\n');
    assert.match(script, /git tag --force "\$MAJOR"/);
    assert.match(script, /git push --force origin "refs\/tags\/\$MAJOR"/);
    assert.match(script, /npm run bundle/);
  });

  it('derives the major tag the way the workflow\'s pattern does', () => {
    const pattern = /^v([0-9]+)\.[0-9]+\.[0-9]+$/;
    assert.equal('v1.4.2'.match(pattern)?.[1], '1');
    assert.equal('v12.0.0'.match(pattern)?.[1], '12');
    assert.equal('1.4.2'.match(pattern), null);
    assert.equal('v1.4'.match(pattern), null);
  });
});
