import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';
import { CHECK_WORKFLOW, SUBMIT_WORKFLOW, withActionAddress } from '../../src/cli/init.js';
import { runCli } from '../../src/cli/main.js';
import { packageInfo } from '../../src/cli/package-info.js';
import { ROOT } from '../action/workflow-helpers.js';

async function init(root: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['init', ...argv], {
    env: {},
    cwd: root,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const read = (root: string, relative: string) => readFileSync(join(root, relative), 'utf8');
const usesOf = (text: string) => [...text.matchAll(/uses:\s*(\S+)/g)].map((match) => match[1]).filter((uses) => !uses.startsWith('actions/'));

function parsesAsWorkflow(name: string, content: string): void {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  assert.deepEqual(result.context.errors.getErrors().map((error) => error.message), [], `${name} parses`);
}

describe('numerai-autopilot init', () => {
  test('writes the weekly workflow, the model check, models/README.md and .gitignore, then the next steps', async () => {
    const root = mkdtempSync(join(tmpdir(), 'init-'));
    const result = await init(root);
    assert.equal(result.code, 0, result.stderr);
    for (const file of [SUBMIT_WORKFLOW, CHECK_WORKFLOW, 'models/README.md', '.gitignore']) assert.match(result.stdout, new RegExp(`created\\s+${file.replaceAll('.', '\\.')}`));
    assert.equal(existsSync(join(root, '.gitattributes')), false, 'Git LFS only on request');

    // The shipped template, with only the action's address changed.
    const weekly = read(root, SUBMIT_WORKFLOW);
    assert.deepEqual(usesOf(weekly), [packageInfo().actionAddress]);
    assert.equal(weekly.replace(packageInfo().actionAddress, './'), read(ROOT, '.github/workflows/submit.yml'));
    assert.equal(read(root, CHECK_WORKFLOW), read(ROOT, '.github/workflow-templates/check-models.yml'));
    parsesAsWorkflow(SUBMIT_WORKFLOW, weekly);

    assert.deepEqual(read(root, '.gitignore').split('\n').filter((line) => line && !line.startsWith('#')), ['/.numerai-data/', '/numerai-output/', '.env']);
    const readme = read(root, 'models/README.md');
    const skeleton = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.deepEqual(parseYaml(skeleton!), { dataset: 'v5.2', features: 'medium', onnx: 'model.onnx' });
    assert.match(result.stdout, /gh secret set NUMERAI_PUBLIC_ID\n\s+gh secret set NUMERAI_SECRET_KEY/);
    assert.match(result.stdout, /gh workflow run submit\.yml -f dry-run=true/);
  });

  test('never overwrites without --force; a second run changes nothing; the participant\'s lines stay', async () => {
    const root = mkdtempSync(join(tmpdir(), 'init-'));
    writeFileSync(join(root, '.gitignore'), 'node_modules/\n/numerai-output/');
    assert.equal((await init(root)).code, 0);
    assert.equal(read(root, '.gitignore'), 'node_modules/\n/numerai-output/\n\n# numerai-autopilot: downloaded round data, predictions and reports, API keys\n/.numerai-data/\n.env\n');

    const again = await init(root);
    assert.equal(again.code, 0);
    assert.equal(again.stdout.match(/unchanged/g)?.length, 4);

    writeFileSync(join(root, SUBMIT_WORKFLOW), '# my own\n');
    const kept = await init(root, '--daily');
    assert.equal(kept.code, 1);
    assert.match(kept.stdout, /kept\s+\.github\/workflows\/submit\.yml \(exists with other content; --force replaces it\)/);
    assert.match(kept.stderr, /run again with --force/);
    assert.equal(read(root, SUBMIT_WORKFLOW), '# my own\n');

    const forced = await init(root, '--daily', '--force', '--action', 'me/my-fork@main', '--lfs');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /replaced\s+\.github\/workflows\/submit\.yml/);
    const daily = read(root, SUBMIT_WORKFLOW);
    assert.deepEqual(usesOf(daily), ['me/my-fork@main']);
    assert.equal(withActionAddress(read(ROOT, '.github/workflow-templates/daily-rounds.yml'), 'me/my-fork@main', 'daily'), daily);
    parsesAsWorkflow(SUBMIT_WORKFLOW, daily);
    assert.equal(read(root, '.gitattributes'), '# ONNX models are kept in Git LFS\n*.onnx filter=lfs diff=lfs merge=lfs -text\n');
  });

  test('--action must be an action address', async () => {
    const result = await init(mkdtempSync(join(tmpdir(), 'init-')), '--action', 'numerai-autopilot');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--action "numerai-autopilot" is not an action address: expected OWNER\/REPO@REF/);
  });

  test('a template without a uses: line for the action is refused, not copied half-done', () => {
    assert.throws(() => withActionAddress('jobs: {}\n', 'a/b@v1', 'x.yml'), /x\.yml has no uses: line naming numerai-autopilot/);
  });
});
