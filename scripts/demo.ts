/**
 * `npm run demo`: a whole round against the local Numerai sandbox, with the example models in models/.
 *
 * 1. starts the sandbox on a free loopback port with fresh synthetic round data (a new seed each time);
 * 2. runs `numerai-autopilot submit` with the example models and prints the JSON report;
 * 3. runs `submit` again: every model is skipped, because the server already has its submission;
 * 4. stops the sandbox. The CSVs and the report stay in a temp folder, printed at the end.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/main.js';
import { startSandbox } from '../src/sandbox/server.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const work = mkdtempSync(join(tmpdir(), 'numerai-autopilot-demo-'));
const seed = Math.floor(Math.random() * 1_000_000);
const round = 1000 + Math.floor(Math.random() * 500);

const heading = (text: string) => process.stdout.write(`\n=== ${text} ===\n\n`);

heading(`Starting the Numerai sandbox (round ${round}, synthetic data seed ${seed})`);
const sandbox = await startSandbox({ seed, round: { number: round, state: 'open' } });
try {
  await sandbox.ready();
  process.stdout.write(`Sandbox listening at ${sandbox.url}\n`);

  const argv = (command: string) => [
    command,
    '--api-url',
    sandbox.url,
    '--models-dir',
    join(root, 'models'),
    '--data-dir',
    join(work, 'data'),
    '--output-dir',
    join(work, 'output'),
  ];
  // Only the sandbox's keys: a developer's own NUMERAI_* variables or .env never reach the demo.
  const io = {
    env: { NUMERAI_PUBLIC_ID: sandbox.credentials.publicId, NUMERAI_SECRET_KEY: sandbox.credentials.secretKey },
    cwd: work,
    stdout: process.stdout,
    stderr: process.stderr,
  };

  heading('numerai-autopilot submit');
  const first = await runCli(argv('submit'), io);
  heading('The JSON report');
  process.stdout.write(readFileSync(join(work, 'output', 'report.json'), 'utf8'));

  heading('numerai-autopilot submit, again: every model already has its submission');
  const second = await runCli(argv('submit'), io);

  const recorded = sandbox.submissions().filter((submission) => submission.round === round);
  heading('Done');
  process.stdout.write(`The sandbox recorded ${recorded.length} submissions for round ${round}: ${recorded.map((s) => s.modelName).join(', ')}.\n`);
  process.stdout.write(`CSVs and report: ${join(work, 'output')}\n`);
  process.exitCode = first === 0 && second === 0 ? 0 : 1;
} finally {
  await sandbox.close();
}
