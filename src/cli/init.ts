/**
 * `numerai-autopilot init`: sets up the participant's repository. The workflows are the template files this package
 * ships (.github/workflows/submit.yml, .github/workflow-templates/*.yml), copied with the action's address put into
 * their `uses:` line, so there is one text of each workflow, not a second copy here that could drift from it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_SETTINGS } from '../pipeline/settings.js';
import { PACKAGE_ROOT, packageInfo } from './package-info.js';

export interface InitOptions {
  /** The repository's root folder. */
  root: string;
  daily: boolean;
  /** `owner/repo@ref` for the workflows' `uses:`; the package's own address when absent. */
  action?: string;
  /** Also write .gitattributes keeping *.onnx in Git LFS. */
  lfs: boolean;
  force: boolean;
}

export type FileOutcome = 'created' | 'replaced' | 'unchanged' | 'kept' | 'appended';

export interface InitResult {
  files: { path: string; outcome: FileOutcome; note?: string }[];
  action: string;
  /** Some file exists with other content and was left alone (no --force). */
  kept: boolean;
}

/** The workflow file names init writes, relative to the repository. */
export const SUBMIT_WORKFLOW = '.github/workflows/submit.yml';
export const CHECK_WORKFLOW = '.github/workflows/check-models.yml';

/** Template sources inside this package. */
export const TEMPLATES = {
  weekly: '.github/workflows/submit.yml',
  daily: '.github/workflow-templates/daily-rounds.yml',
  check: '.github/workflow-templates/check-models.yml',
} as const;

/** A `uses:` line that names this action: the local `./` of this repository's own workflow, or any `owner/repo@ref`. */
const ACTION_USES = /^(\s*(?:-\s+)?uses:\s*)(?:\.\/|[\w.-]+\/numerai-autopilot@[\w.-]+)\s*$/gm;

export const ACTION_PATTERN = /^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@[\w./-]+$/;

const GITIGNORE_ENTRIES = [
  `/${DEFAULT_SETTINGS.dataDir}/`,
  `/${DEFAULT_SETTINGS.outputDir}/`,
  '.env',
];
const GITIGNORE_COMMENT = '# numerai-autopilot: downloaded round data, predictions and reports, API keys';
const LFS_LINE = '*.onnx filter=lfs diff=lfs merge=lfs -text';

/** Puts the action's address into every `uses:` line that names it; a template without one is a packaging bug. */
export function withActionAddress(template: string, action: string, source: string): string {
  let count = 0;
  const text = template.replace(ACTION_USES, (_line, prefix: string) => {
    count++;
    return `${prefix}${action}`;
  });
  if (count === 0) throw new Error(`${source} has no uses: line naming numerai-autopilot to point at ${action}`);
  return text;
}

export async function initRepository(options: InitOptions): Promise<InitResult> {
  const action = options.action ?? packageInfo().actionAddress;
  const result: InitResult = { files: [], action, kept: false };
  const template = async (relative: string) => readFile(join(PACKAGE_ROOT, relative), 'utf8');

  const submitSource = options.daily ? TEMPLATES.daily : TEMPLATES.weekly;
  await writeWhole(result, options, SUBMIT_WORKFLOW, withActionAddress(await template(submitSource), action, submitSource));
  await writeWhole(result, options, CHECK_WORKFLOW, await template(TEMPLATES.check));
  await writeWhole(result, options, 'models/README.md', modelsReadme());
  await appendLines(result, options.root, '.gitignore', GITIGNORE_COMMENT, GITIGNORE_ENTRIES);
  if (options.lfs) await appendLines(result, options.root, '.gitattributes', '# ONNX models are kept in Git LFS', [LFS_LINE]);
  return result;
}

/** A file init owns entirely: written when absent, replaced only with --force. */
async function writeWhole(result: InitResult, options: InitOptions, relative: string, content: string): Promise<void> {
  const path = join(options.root, relative);
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing === content) {
    result.files.push({ path: relative, outcome: 'unchanged' });
    return;
  }
  if (existing !== undefined && !options.force) {
    result.kept = true;
    result.files.push({ path: relative, outcome: 'kept', note: 'exists with other content; --force replaces it' });
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  result.files.push({ path: relative, outcome: existing === undefined ? 'created' : 'replaced' });
}

/** A file the participant owns (.gitignore, .gitattributes): the missing lines are added at the end, nothing else. */
async function appendLines(result: InitResult, root: string, relative: string, comment: string, lines: readonly string[]): Promise<void> {
  const path = join(root, relative);
  const existing = existsSync(path) ? await readFile(path, 'utf8') : '';
  const present = new Set(existing.split(/\r?\n/).map((line) => line.trim()));
  const missing = lines.filter((line) => !present.has(line));
  if (missing.length === 0) {
    result.files.push({ path: relative, outcome: 'unchanged' });
    return;
  }
  const separator = existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  await writeFile(path, `${existing}${separator}${comment}\n${missing.join('\n')}\n`);
  result.files.push({ path: relative, outcome: existing === '' ? 'created' : 'appended', note: missing.join(', ') });
}

function modelsReadme(): string {
  return `# Models

One folder per model, named exactly like the model on numer.ai. Each folder holds the exported ONNX file(s) and a
\`model.yml\` that says how to feed them:

\`\`\`
models/
  my_model/          <- the model's name on numer.ai
    model.yml
    model.onnx
\`\`\`

## model.yml

\`\`\`yaml
# The dataset version the model was trained on (quote it: YAML reads 5.2 as a number).
dataset: v5.2
# A feature set of that version's features.json (small, medium, all, ...) or the ordered list of feature names.
features: medium
# The exported model, relative to this folder. An ensemble lists several: [{file: a.onnx, weight: 0.7}, ...]
onnx: model.onnx
# Optional:
# output: variable       # which ONNX output holds the predictions (when the model has several)
# postprocess: rank      # rank (default), clip or none: how predictions are brought into (0, 1)
# fill_missing: 2        # the value fed to the model for a missing feature (NaN when absent)
# engine: onnxruntime    # run every file in onnxruntime, even a tree ensemble the tree kernel could run (default auto)
# enabled: false         # skip this model unless it is asked for by name
\`\`\`

## Before you commit

\`\`\`
npx numerai-autopilot check                 # model.yml, ONNX shapes and feature names, offline
npx numerai-autopilot predict --offline     # a dry run on synthetic data, no keys needed
\`\`\`

A pull request that changes this folder is checked by .github/workflows/check-models.yml.
`;
}

/** What to do after init, printed below the list of files. */
export function nextSteps(result: InitResult): string {
  return [
    'Next steps:',
    '  1. Put each model in models/<name>/ (model.yml + ONNX file), named like the model on numer.ai, then run',
    '       npx numerai-autopilot check',
    '       npx numerai-autopilot predict --offline',
    '  2. Create a Numerai API key (numer.ai → Account → API keys; scopes upload_submission, read_user_info and',
    '     read_submission_info) and add it as two repository secrets:',
    '       gh secret set NUMERAI_PUBLIC_ID',
    '       gh secret set NUMERAI_SECRET_KEY',
    '  3. Commit and push, then start a first dry run (predicts and validates, uploads nothing):',
    `       gh workflow run ${SUBMIT_WORKFLOW.split('/').pop()} -f dry-run=true`,
    `  The workflows use ${result.action}; the schedule in ${SUBMIT_WORKFLOW} takes over from there.`,
    '',
  ].join('\n');
}
