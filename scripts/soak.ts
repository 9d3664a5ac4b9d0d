/**
 * Soak: 200 consecutive whole runs (plan → data → predict → validate → upload → report) in one process against the
 * sandbox, with the real client and models, as a long-lived runner or a user's cron would. Every run submits (the
 * round's submissions are cleared between runs), every tenth run meets a transient fault, and the data folder is
 * shared so runs alternate between the stored copy and fresh downloads.
 *
 * Sampled every 20 runs: RSS, heap used (after a GC), active handles, open file descriptors, entries in the temp
 * folder. Fails (exit 1) when, between the first sample after warm-up (run 20) and the last, the heap grows by more
 * than 16 MB or a handle or file descriptor is left behind; when RSS grows by more than 32 MB over the second half;
 * when a run leaves a temporary folder or a partial download; or when a model is submitted twice.
 *
 *   npm run soak                       # 200 runs
 *   SOAK_RUNS=50 npm run soak          # fewer
 * Writes its figures to docs/reliability-soak.json (rendered by npm run reliability:report).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesUnder, MODELS, reliabilitySandbox, removeWorkspace, resetSandbox, ROOT_DIR, runRound, workspace } from '../test/reliability/kit.js';

const RUNS = Number(process.env.SOAK_RUNS ?? 200);
const SAMPLE_EVERY = 20;
const OUTPUT = join(ROOT_DIR, 'docs', 'reliability-soak.json');

interface Sample {
  run: number;
  rssMb: number;
  heapMb: number;
  handles: number;
  fds: number;
  tmpEntries: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function sample(run: number): Sample {
  gc?.();
  gc?.();
  const memory = process.memoryUsage();
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  let fds = -1;
  try {
    fds = readdirSync('/proc/self/fd').length;
  } catch {
    // not Linux
  }
  return { run, rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed), handles, fds, tmpEntries: readdirSync(tmpdir()).length };
}

async function main(): Promise<void> {
  // A private temp folder: what the runs leave there is theirs alone (the machine's /tmp is shared).
  const privateTmp = mkdtempSync(join(tmpdir(), 'autopilot-soak-'));
  process.env.TMPDIR = privateTmp;
  if (!gc) console.warn('soak: run with node --expose-gc for stable heap figures (npm run soak does).');
  const sandbox = await reliabilitySandbox();
  await sandbox.ready();
  const ws = workspace();
  const samples: Sample[] = [];
  const failures: string[] = [];
  let submitted = 0;
  let duplicates = 0;
  let fromStore = 0;
  const started = performance.now();
  const tmpBefore = new Set(readdirSync(tmpdir()));
  try {
    for (let run = 1; run <= RUNS; run++) {
      resetSandbox(sandbox);
      // Runs alternate between a fresh data folder (download) and the one the previous run filled (stored copy).
      if (run % 2 === 1) rmSync(ws.dataDir, { recursive: true, force: true });
      if (run % 10 === 0) sandbox.inject(['rounds', 'download', 'upload', 'create_submission'][(run / 10) % 4], { kind: 'http', status: 503, times: 1 });
      const output = join(ws.root, 'out');
      mkdirSync(output, { recursive: true });
      const result = await runRound(sandbox, ws);
      rmSync(output, { recursive: true, force: true });
      const { report } = result;
      if (report.totals.submitted !== MODELS.length) failures.push(`run ${run}: ${JSON.stringify(report.totals)} ${report.error?.message ?? ''}`);
      submitted += report.totals.submitted;
      fromStore += report.datasets.filter((use) => use.source === 'store').length;
      for (const model of MODELS) if (sandbox.submissions(model).filter((s) => s.round === report.round).length > 1) duplicates++;
      const parts = filesUnder(ws.dataDir).filter((file) => file.endsWith('.part'));
      if (parts.length > 0) failures.push(`run ${run}: partial files left: ${parts.join(', ')}`);
      // The sandbox keeps every request and submission in memory; keep the log short so it does not count as ours.
      sandbox.requests.length = 0;
      if (run === 1 || run % SAMPLE_EVERY === 0) {
        const s = sample(run);
        samples.push(s);
        console.log(`run ${String(run).padStart(3)}: rss ${s.rssMb} MB, heap ${s.heapMb} MB, handles ${s.handles}, fds ${s.fds}, tmp entries ${s.tmpEntries}`);
      }
    }
  } finally {
    removeWorkspace(ws);
    await sandbox.close();
  }
  const seconds = (performance.now() - started) / 1000;
  // onnxruntime-node writes `.ses` and `mat-debug-<pid>.log` to the temp folder once per process (not per run): listed
  // apart, so a file left per run still fails the soak.
  const newEntries = readdirSync(tmpdir()).filter((entry) => !tmpBefore.has(entry));
  const perProcess = newEntries.filter((entry) => entry === '.ses' || /^mat-debug-\d+\.log$/.test(entry));
  const tmpLeft = newEntries.filter((entry) => !perProcess.includes(entry));
  rmSync(privateTmp, { recursive: true, force: true });

  // Compare the first sample after warm-up (run 20) with the last.
  const base = samples.find((s) => s.run === SAMPLE_EVERY) ?? samples[0];
  const last = samples[samples.length - 1];
  const growth = {
    heapMb: Math.round((last.heapMb - base.heapMb) * 10) / 10,
    rssMb: Math.round((last.rssMb - base.rssMb) * 10) / 10,
    handles: last.handles - base.handles,
    fds: last.fds - base.fds,
  };
  if (growth.heapMb > 16) failures.push(`heap grew by ${growth.heapMb} MB between run ${base.run} and run ${last.run}`);
  // RSS settles higher over the first hundred runs (native allocator arenas of onnxruntime's threads) and must then stay
  // flat: the second half of the soak is what shows a leak.
  const half = samples.find((s) => s.run >= RUNS / 2) ?? base;
  const rssSecondHalf = Math.round((last.rssMb - half.rssMb) * 10) / 10;
  if (rssSecondHalf > 32) failures.push(`RSS grew by ${rssSecondHalf} MB between run ${half.run} and run ${last.run}`);
  if (growth.handles > 0) failures.push(`${growth.handles} active handle(s) more after run ${last.run} than after run ${base.run}`);
  if (growth.fds > 0) failures.push(`${growth.fds} open file descriptor(s) more after run ${last.run} than after run ${base.run}`);
  if (tmpLeft.length > 0) failures.push(`temporary entries left behind: ${tmpLeft.join(', ')}`);
  if (duplicates > 0) failures.push(`${duplicates} duplicate submission(s)`);

  const figures = {
    runs: RUNS,
    seconds: Math.round(seconds),
    msPerRun: Math.round((seconds * 1000) / RUNS),
    submitted,
    duplicates,
    datasetReadsFromStore: fromStore,
    faultsInjected: Math.floor(RUNS / 10),
    samples,
    growth,
    rssSecondHalf: { from: half.run, to: last.run, mb: rssSecondHalf },
    tmpLeft,
    tmpPerProcess: perProcess,
    node: process.version,
    failures,
    ok: failures.length === 0,
  };
  mkdirSync(join(ROOT_DIR, 'docs'), { recursive: true });
  writeFileSync(OUTPUT, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(
    `\n${RUNS} runs in ${figures.seconds} s (${figures.msPerRun} ms/run): ${submitted} submissions, ${duplicates} duplicates; ` +
      `heap ${growth.heapMb >= 0 ? '+' : ''}${growth.heapMb} MB, RSS ${growth.rssMb >= 0 ? '+' : ''}${growth.rssMb} MB, ` +
      `handles ${growth.handles >= 0 ? '+' : ''}${growth.handles}, fds ${growth.fds >= 0 ? '+' : ''}${growth.fds} (run ${base.run} → ${last.run}); ` +
      `temporary entries left: ${tmpLeft.length}. Figures: ${OUTPUT}`,
  );
  if (failures.length > 0) {
    console.error(`soak FAILED:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  }
}

await main();
