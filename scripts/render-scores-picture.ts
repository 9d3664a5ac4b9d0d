/**
 * Renders docs/scores-section.png: the job summary's Scores section for the sandbox's models, as a browser shows it.
 *
 *   npx tsx scripts/render-scores-picture.ts [path/to/chromium]
 *
 * 1. starts the sandbox at round 1350 (past the formula change of 1343) and reads the models' scores with the client;
 * 2. builds the section with the action's own code (addScoresSection) into a small local page that loads the Mermaid
 *    package from node_modules, each ```mermaid block becoming a <pre class="mermaid"> as GitHub renders it;
 * 3. screenshots the page with headless Chromium (default /usr/bin/chromium, a fresh empty profile, no network).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as core from '@actions/core';
import { addScoresSection } from '../src/github/scores-summary.js';
import { NumeraiClient } from '../src/numerai/client.js';
import { readScores } from '../src/pipeline/scores.js';
import { startSandbox } from '../src/sandbox/server.js';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const chromium = process.argv[2] ?? '/usr/bin/chromium';
const output = join(root, 'docs', 'scores-section.png');
const work = mkdtempSync(join(tmpdir(), 'scores-picture-'));

const sandbox = await startSandbox({ rows: 50, features: 5, round: { number: 1350, state: 'open' } });
let html: string;
try {
  const client = new NumeraiClient({ apiUrl: sandbox.url });
  const models = ['example_gbt', 'example_linear', 'example_ensemble'].map((name) => ({ name, id: sandbox.modelId(name) }));
  const scores = await readScores(client, { tournament: 8, models, rounds: 20 }, { log: (level, message) => process.stderr.write(`${level}: ${message}\n`) });
  addScoresSection(core.summary, scores, (text) => text);
  html = core.summary.stringify();
  core.summary.emptyBuffer();
} finally {
  await sandbox.close();
}

const body = html.replace(/```mermaid\n([\s\S]*?)\n```/g, (_m, chart: string) => `<pre class="mermaid">${chart}</pre>`);
const mermaid = pathToFileURL(join(root, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js')).href;
const page = `<!doctype html>
<html><head><meta charset="utf-8">
<style>
  body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; margin: 24px; width: 1060px; }
  table { border-collapse: collapse; margin: 12px 0; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 12px; text-align: left; vertical-align: top; }
  th { background: #f6f8fa; }
  code { font: 12px ui-monospace, monospace; background: #eff1f3; padding: 2px 4px; border-radius: 4px; }
  h3 { border-bottom: 1px solid #d1d9e0; padding-bottom: 4px; }
</style>
<script src="${mermaid}"></script>
</head><body>
${body}
<script>mermaid.initialize({ startOnLoad: true, theme: 'default' });</script>
</body></html>`;
const pagePath = join(work, 'scores.html');
writeFileSync(pagePath, page);

try {
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(work, 'profile')}`,
      '--hide-scrollbars',
      '--window-size=1110,1290',
      '--virtual-time-budget=10000',
      `--screenshot=${output}`,
      pathToFileURL(pagePath).href,
    ],
    { stdio: 'inherit', timeout: 120_000 },
  );
  process.stdout.write(`Wrote ${output}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
