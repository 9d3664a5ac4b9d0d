/**
 * Runs the reliability suites (the full matrices, including the slow cells npm test leaves out) and renders their
 * results as docs/reliability.md: one table per matrix, the counts of scenarios tried and passed, the product bugs
 * the todo cells stand for, and the soak figures of the last `npm run soak` (docs/reliability-soak.json).
 *
 *   npm run reliability:report                       # run the suites, write docs/reliability.md
 *   npm run reliability:report -- --from results.jsonl   # render results written earlier (RELIABILITY_RESULTS=...)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Matrix, ScenarioResult } from '../test/reliability/results.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const OUTPUT = join(ROOT, 'docs', 'reliability.md');
const SOAK = join(ROOT, 'docs', 'reliability-soak.json');

const MATRICES: { matrix: Matrix; title: string; about: string }[] = [
  {
    matrix: 'numerai-faults',
    title: 'Numerai fault matrix',
    about:
      'Every network step of a run × every fault, once (transient) and persistently (the fault outlives the retry ' +
      'budget: every request of a run-wide step, or exactly the requests one model makes at a per-model step). Three ' +
      'models, real client (2 retries, 750 ms timeout), real sandbox. Every cell also asserts: no duplicate submission ' +
      '(server-side count), no partial or corrupt file in the data folder (a resumable `.part` is allowed only after a ' +
      'download that finally failed), the canary secret nowhere, and the bound.',
  },
  {
    matrix: 'github-faults',
    title: 'GitHub fault matrix',
    about:
      'The action\'s GitHub-side steps through the real adapters (Actions cache store, artifact upload, failure issues) ' +
      'and the unmodified @actions/cache, @actions/artifact and Octokit clients, against the results-service and REST ' +
      'emulators (5xx and 429 from the emulators; hangs, mid-body resets and malformed bodies from a fault proxy). Each ' +
      'cell: a submitting run saving the data to the cache, its artifact, its failure issue, then a dry run on a fresh ' +
      'runner restoring from the cache. Asserted: submissions unchanged, recovered or a warning, no partial file in the ' +
      'data folder or the cache (the fresh runner\'s files are byte-identical to the server\'s), at most one issue, the ' +
      'canary nowhere (log, artifact files, issue bodies and comments), and the bound.',
  },
  {
    matrix: 'bad-input',
    title: 'Bad-input matrix',
    about: 'One broken input among three models. The error names what and where; the other models are submitted; nothing is lost.',
  },
  {
    matrix: 'concurrency',
    title: 'Concurrency',
    about: 'Two runs for the same round: each model must be submitted exactly once (counted on the server).',
  },
  {
    matrix: 'canary',
    title: 'Canary secret',
    about: 'A hostile server echoes the secret key in its error at every step; the key must appear nowhere.',
  },
  {
    matrix: 'rounds',
    title: 'Rounds matrix',
    about:
      'The round\'s timing through the real pipeline and client against the sandbox\'s round clock and round history, ' +
      'on a clock that moves only when the run sleeps (nothing sleeps for real): a round that opens during the wait, ' +
      'a wait that runs out, a round that changes during the run, and a missed-round issue\'s whole life through ' +
      'Octokit against the REST emulator. Asserted: what was submitted into which round (counted on the server), ' +
      'the issue\'s state, and the bound.',
  },
];

const STATUS_TEXT: Record<ScenarioResult['status'], string> = {
  passed: 'pass',
  failed: '**FAIL**',
  'todo-failing': 'todo (bug)',
  'todo-passing': 'todo (now passes)',
};

function runSuites(resultsFile: string): number {
  const files = MATRICES.map(({ matrix }) => `test/reliability/${matrix}.test.ts`);
  console.log(`Running the reliability suites (full matrices): ${files.join(', ')}`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=dot', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, RELIABILITY_RESULTS: resultsFile, RELIABILITY_FULL: '1' },
  });
  return child.status ?? 1;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function render(results: ScenarioResult[]): string {
  const lines: string[] = [];
  const counted = (list: ScenarioResult[]) => ({
    tried: list.length,
    passed: list.filter((r) => r.status === 'passed' || r.status === 'todo-passing').length,
    bugs: list.filter((r) => r.status === 'todo-failing').length,
    failed: list.filter((r) => r.status === 'failed').length,
  });
  const total = counted(results);
  lines.push('# Reliability', '');
  lines.push(
    '<!-- Generated by `npm run reliability:report` from the results of the suites in test/reliability/. Do not edit. -->',
    '',
    'What Numerai Autopilot promises when the network, the services or the inputs misbehave, and the proof: each row ' +
      'is one scenario of the suites in `test/reliability/`, run against the sandbox and the emulators. The fast part ' +
      'runs in `npm test`; `npm run reliability:report` runs every cell and regenerates this page; `npm run soak` runs ' +
      'the soak.',
    '',
    'The suites inject, at every network step of a run (round, models, submission status, dataset URL, dataset ' +
      'download, upload auth, the signed PUT, `create_submission`, the Actions cache service, the blob store, the ' +
      'artifact service and the GitHub issues API), a 5xx, a 429 with Retry-After, a hang, a connection reset mid-body ' +
      'and a malformed body, once and persistently. Each cell asserts that the run recovered, or that only the model ' +
      'that met the fault failed, with a classified error, while the others were submitted; that no model was ' +
      'submitted twice (counted on the server); that no partial file was left in the data folder or the cache; that ' +
      'the run finished within its bound; and that the secret key appears in no log line, report, CSV, artifact, ' +
      'issue or error message. A bad-input matrix does the same for broken `model.yml` files, wrong feature names, ' +
      'mismatched or corrupt ONNX files, models that predict NaN or constants, corrupt cached parquet files, wrong or ' +
      'under-scoped keys and models the account cannot submit through the API.',
    '',
    'The soak runs 200 whole submissions in one process and fails if the heap grows, a handle or file descriptor is ' +
      'left open, RSS keeps growing over the second half, a temporary file is left behind or a model is submitted ' +
      'twice (`SOAK_RUNS=50 npm run soak` for a shorter one). Its figures are written to `docs/reliability-soak.json` ' +
      'and shown below.',
    '',
    `**${total.tried} scenarios tried, ${total.passed} passed, ${total.bugs} expose a known product bug (marked todo), ${total.failed} failed.**`,
    '',
    '| Matrix | Tried | Passed | Known bug (todo) | Failed |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const { matrix, title } of MATRICES) {
    const c = counted(results.filter((r) => r.matrix === matrix));
    lines.push(`| [${title}](#${title.toLowerCase().replaceAll(' ', '-')}) | ${c.tried} | ${c.passed} | ${c.bugs} | ${c.failed} |`);
  }
  lines.push('');

  const bugs = new Map<string, string[]>();
  for (const r of results) {
    if (r.status !== 'todo-failing' || !r.todo) continue;
    bugs.set(r.todo, [...(bugs.get(r.todo) ?? []), `${r.step} × ${r.fault}`]);
  }
  if (bugs.size > 0) {
    lines.push('## Known bugs', '', 'Scenarios that fail today; they are marked todo so `npm test` stays green until the fix lands.', '');
    for (const [bug, where] of bugs) lines.push(`- ${bug}. Scenarios: ${where.join('; ')}.`);
    lines.push('');
  }

  for (const { matrix, title, about } of MATRICES) {
    const rows = results.filter((r) => r.matrix === matrix);
    if (rows.length === 0) continue;
    const c = counted(rows);
    lines.push(`## ${title}`, '', about, '', `${c.tried} tried, ${c.passed} passed, ${c.bugs} known bug, ${c.failed} failed.`, '');
    lines.push('| Step | Fault | Expected | Result | Observed | ms (bound) |', '| --- | --- | --- | --- | --- | ---: |');
    for (const r of rows) {
      lines.push(`| ${cell(r.step)} | ${cell(r.fault)} | ${cell(r.expected)} | ${STATUS_TEXT[r.status]} | ${cell(r.observed)} | ${r.ms} (${r.boundMs}) |`);
    }
    lines.push('');
  }

  lines.push('## Soak', '');
  if (existsSync(SOAK)) {
    const soak = JSON.parse(readFileSync(SOAK, 'utf8')) as {
      runs: number;
      seconds: number;
      msPerRun: number;
      submitted: number;
      duplicates: number;
      datasetReadsFromStore: number;
      faultsInjected: number;
      samples: { run: number; rssMb: number; heapMb: number; handles: number; fds: number; tmpEntries: number }[];
      growth: { heapMb: number; rssMb: number; handles: number; fds: number };
      rssSecondHalf: { from: number; to: number; mb: number };
      tmpLeft: string[];
      tmpPerProcess: string[];
      node: string;
      ok: boolean;
      failures: string[];
    };
    lines.push(
      `\`npm run soak\`: ${soak.runs} consecutive whole runs in one process (${soak.node}), each submitting three models to the ` +
        `sandbox; ${soak.faultsInjected} runs met a transient 503; runs alternate between a fresh data folder and the stored copy. ` +
        `${soak.runs} runs took ${soak.seconds} s (${soak.msPerRun} ms per run): ${soak.submitted} submissions, ${soak.duplicates} duplicates, ` +
        `${soak.datasetReadsFromStore} dataset reads from the stored copy. Result: **${soak.ok ? 'stable' : 'FAILED'}**` +
        (soak.failures.length ? ` (${soak.failures.join('; ')})` : '') +
        '.',
      '',
      `Growth from run ${soak.samples.find((s) => s.run === 20)?.run ?? soak.samples[0].run} to run ${soak.samples[soak.samples.length - 1].run}: ` +
        `heap ${soak.growth.heapMb} MB, RSS ${soak.growth.rssMb} MB, active handles ${soak.growth.handles}, open file descriptors ` +
        `${soak.growth.fds}; RSS over the second half (run ${soak.rssSecondHalf.from} to ${soak.rssSecondHalf.to}): ${soak.rssSecondHalf.mb} MB; ` +
        `temporary entries left behind by the runs: ${soak.tmpLeft.length}` +
        (soak.tmpPerProcess.length
          ? `; left once per process by onnxruntime-node (not per run): ${soak.tmpPerProcess.map((entry) => `\`${entry}\``).join(', ')}.`
          : '.'),
      '',
      '| After run | RSS (MB) | Heap used (MB) | Active handles | Open fds | Entries in the (private) temp folder |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...soak.samples.map((s) => `| ${s.run} | ${s.rssMb} | ${s.heapMb} | ${s.handles} | ${s.fds} | ${s.tmpEntries} |`),
      '',
    );
  } else {
    lines.push('No soak figures yet: run `npm run soak`.', '');
  }
  return `${lines.join('\n')}`;
}

function main(): void {
  const fromIndex = process.argv.indexOf('--from');
  let resultsFile: string;
  let scratch: string | undefined;
  if (fromIndex >= 0) {
    resultsFile = resolve(process.argv[fromIndex + 1]);
  } else {
    scratch = mkdtempSync(join(tmpdir(), 'autopilot-report-'));
    resultsFile = join(scratch, 'results.jsonl');
    const status = runSuites(resultsFile);
    console.log(`The suites exited with ${status}.`);
  }
  const results = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ScenarioResult)
    : [];
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (results.length === 0) {
    console.error('No results were recorded: nothing to render.');
    process.exitCode = 1;
    return;
  }
  const order = new Map(MATRICES.map((m, i) => [m.matrix, i]));
  results.sort((a, b) => (order.get(a.matrix) ?? 9) - (order.get(b.matrix) ?? 9));
  writeFileSync(OUTPUT, render(results));
  const failed = results.filter((r) => r.status === 'failed').length;
  console.log(`Wrote ${OUTPUT}: ${results.length} scenarios, ${failed} failed.`);
  if (failed > 0) process.exitCode = 1;
}

main();
