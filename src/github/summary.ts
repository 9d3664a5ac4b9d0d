/**
 * The run as a GitHub user sees it: a job summary (one row per model, totals, datasets, the artifact) and an
 * error annotation per failed model, both built from the run report with @actions/core. Cell contents are
 * HTML-escaped (the summary table is HTML) and sanitized; a summary that cannot be written is a warning.
 */
import * as core from '@actions/core';
import { messageOf } from '../data/errors.js';
import { TOURNAMENTS, type Reporter } from '../pipeline/ports.js';
import { formatBytes } from '../pipeline/bytes.js';
import { formatDuration as formatWait } from '../pipeline/duration.js';
import type { ModelReport, ModelStatus, RecentRoundsReport, RunReport } from '../pipeline/report.js';
import { describeTriggerTiming, lateStartWarning } from '../pipeline/trigger-timing.js';
import type { IssueLink } from './failure-issues.js';
import { escapeHtml, truncate, type Sanitize } from './sanitize.js';
import { switchOffWarning, type ScheduleNote } from './schedule-keepalive.js';
import { addScoresSection } from './scores-summary.js';

export interface JobSummaryOptions {
  logger: Pick<Reporter, 'log'>;
  /** Issues the run opened, commented on or closed, by model (from syncFailureIssues). */
  issues?: Record<string, IssueLink>;
  /** The issue about the run as a whole, when report.error opened or commented on one. */
  runIssue?: IssueLink;
  /** Missed-round issues the run opened, commented on or closed, by model (from syncMissedRoundIssues). */
  missedIssues?: Record<string, IssueLink>;
  /** The artifact holding the CSVs and report, when one was uploaded. */
  artifact?: { name: string } | null;
  /** Link to this run; the artifact is listed on its page. */
  runUrl?: string;
  /** keep-schedule-alive's outcome, and the date GitHub will switch a quiet public repository's schedule off. */
  schedule?: ScheduleNote;
  sanitize?: Sanitize;
}

/** The schedule's lines of the summary (HTML): what keep-schedule-alive did, and the switch-off date. */
function scheduleLines(note: ScheduleNote, sanitize: Sanitize): string[] {
  const lines: string[] = [];
  const keepalive = note.keepalive;
  if (keepalive?.kind === 'enabled') {
    lines.push(`🔁 <b>Schedule kept alive:</b> re-enabled the workflow <code>${escapeHtml(keepalive.workflow)}</code>.`);
  } else if (keepalive?.kind === 'refused') {
    lines.push(
      `⚠️ <b>keep-schedule-alive:</b> GitHub refused to re-enable <code>${escapeHtml(keepalive.workflow)}</code> ` +
        `(${keepalive.status} ${escapeHtml(sanitize(keepalive.message))})` +
        (keepalive.status === 403 ? '. The job needs <code>permissions: actions: write</code>.' : '.'),
    );
  } else if (keepalive?.kind === 'failed') {
    lines.push(`⚠️ <b>keep-schedule-alive:</b> the workflow was not re-enabled: ${escapeHtml(sanitize(keepalive.message))}.`);
  }
  if (note.switchOff) lines.push(`⚠️ <b>Schedule:</b> ${escapeHtml(switchOffWarning(note.switchOff))}`);
  return lines;
}

/** GitHub shows at most 10 error annotations per step; the last one is kept for "and N more". */
const MAX_ERROR_ANNOTATIONS = 10;
const MAX_CELL_MESSAGE_CHARS = 300;
const MAX_ANNOTATION_MESSAGE_CHARS = 2000;

/** core.summary renders an empty cell as an unclosed tag, so empty cells get a space and missing values a dash. */
const EMPTY = ' ';
const NONE = '—';

/** A row of core.summary.addTable (the type itself is not exported by @actions/core). */
type SummaryTableRow = Parameters<typeof core.summary.addTable>[0][number];

const STATUS_LABEL: Record<ModelStatus, string> = {
  submitted: '✅ submitted',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  'dry-run': '🧪 dry run',
};

/** Appends the run's summary to $GITHUB_STEP_SUMMARY. Never throws: a failure to write is a warning. */
export async function writeJobSummary(report: RunReport, options: JobSummaryOptions): Promise<void> {
  const sanitize = options.sanitize ?? ((text: string) => text);
  const summary = core.summary;
  summary.addHeading(escapeHtml(headline(report)), 2);
  summary.addRaw(`<p>${escapeHtml(runFacts(report))}</p>`, true);
  const timing = triggerLine(report);
  if (timing) summary.addRaw(`<p>${escapeHtml(timing)}</p>`, true);
  if (report.error) {
    const message = escapeHtml(truncate(sanitize(report.error.message), MAX_ANNOTATION_MESSAGE_CHARS));
    const issue = options.runIssue ? ` Issue: ${issueCell(options.runIssue)}.` : '';
    summary.addRaw(
      `<p>❌ <b>The run stopped before the models</b> (${escapeHtml(report.error.errorClass)} at the ${escapeHtml(report.error.stage)} stage): ${message}${issue}</p>`,
      true,
    );
  } else if (report.round === null) {
    summary.addRaw('<p>No round is open for submissions, so nothing was done. The next scheduled run will try again.</p>', true);
  } else {
    if (report.late) {
      summary.addRaw(
        '<p>⚠️ <b>Late:</b> this run was after the round\'s staking close time; Numerai counts late submissions for the next round.</p>',
        true,
      );
    }
    if (report.dryRun) summary.addRaw('<p>🧪 <b>Dry run:</b> predictions were made and checked; nothing was uploaded.</p>', true);
    summary.addRaw(`<p>${escapeHtml(totalsLine(report))}</p>`, true);
    if (report.models.length > 0) summary.addTable(modelTable(report, options.issues ?? {}, sanitize));
  }
  if (report.recentRounds) addRoundsMissed(report.recentRounds, options.missedIssues ?? {});
  if (report.scores && report.scores.models.length > 0) addScoresSection(summary, report.scores, sanitize);
  if (report.datasets.length > 0) {
    summary.addHeading('Datasets', 3);
    summary.addList(
      report.datasets.map(
        (d) =>
          `<code>${escapeHtml(d.file)}</code> — ${formatBytes(d.bytes)}, ` +
          (d.source === 'store'
            ? 'restored from the cache'
            : d.storeFailure === undefined
              ? 'downloaded'
              : `downloaded: ⚠️ the cache failed (${escapeHtml(sanitize(d.storeFailure))})`),
      ),
    );
  }
  for (const line of scheduleLines(options.schedule ?? {}, sanitize)) summary.addRaw(`<p>${line}</p>`, true);
  if (options.artifact) {
    const where = options.runUrl ? ` (listed under <a href="${escapeAttribute(`${options.runUrl}#artifacts`)}">Artifacts</a> on the run page)` : '';
    summary.addRaw(
      `<p>The submission CSVs and the JSON report are in the artifact <code>${escapeHtml(options.artifact.name)}</code>${where}.</p>`,
      true,
    );
  }
  try {
    await summary.write();
  } catch (error) {
    summary.emptyBuffer();
    options.logger.log('warning', `Could not write the job summary: ${messageOf(error)}`);
  }
}

/**
 * One error annotation per failed model, titled with the model, so failures show on the run page and in the
 * checks list. GitHub keeps 10 per step: past that, the last annotation names the rest.
 */
export function annotateFailures(report: RunReport, options: { sanitize?: Sanitize } = {}): void {
  const sanitize = options.sanitize ?? ((text: string) => text);
  const failed = report.models.filter((m) => m.status === 'failed');
  const shown = failed.length > MAX_ERROR_ANNOTATIONS ? failed.slice(0, MAX_ERROR_ANNOTATIONS - 1) : failed;
  for (const model of shown) {
    const message = truncate(sanitize(model.message ?? '(no message)'), MAX_ANNOTATION_MESSAGE_CHARS);
    core.error(`${model.errorClass ?? 'InternalError'} at the ${model.stage} stage: ${message}`, {
      title: `Numerai model ${model.model} failed (round ${model.round})`,
    });
  }
  const rest = failed.slice(shown.length);
  if (rest.length > 0) {
    core.error(`Also failed: ${rest.map((m) => m.model).join(', ')}. See the job summary for each model's error.`, {
      title: `${rest.length} more Numerai models failed`,
    });
  }
}

/** "⏱️ Started 2 h 41 min after round 1234 opened, 19 min before the on-time deadline (event: schedule)." */
function triggerLine(report: RunReport): string | null {
  if (!report.trigger) return null;
  const timing = describeTriggerTiming(report.trigger);
  const waited = report.trigger.waitedSeconds > 0 ? ` It waited ${formatWait(report.trigger.waitedSeconds * 1000)} for the round to open.` : '';
  if (!timing) return waited ? `⏱️${waited}` : null;
  return `⏱️ ${timing[0].toUpperCase()}${timing.slice(1)}.${waited}`;
}

/** The "Rounds missed" section: per model, the expected rounds it missed or answered late, with its issue. */
function addRoundsMissed(recent: RecentRoundsReport, issues: Record<string, IssueLink>): void {
  const summary = core.summary;
  summary.addHeading('Rounds missed', 3);
  const which = recent.expect === 'weekend' ? 'Saturday rounds' : 'rounds (Tuesday to Saturday)';
  if (recent.error) {
    summary.addRaw(`<p>⚠️ Unknown for this run: ${escapeHtml(recent.error)}</p>`, true);
    return;
  }
  const behind = recent.models.filter((m) => m.missed.length > 0 || m.late.length > 0 || issues[m.model]);
  const scope = `the last ${recent.rounds.length} ${which} that closed (expect-rounds: ${recent.expect}), from Numerai's records`;
  if (behind.length === 0) {
    summary.addRaw(`<p>✅ No model missed or was late for any of ${escapeHtml(scope)}.</p>`, true);
    return;
  }
  summary.addRaw(`<p>Of ${escapeHtml(scope)}:</p>`, true);
  const header = ['Model', 'Missed', 'Late', 'Issue'].map((data) => ({ data, header: true }));
  const rows = behind.map((m) => [
    `<code>${escapeHtml(m.model)}</code>`,
    m.missed.length > 0 ? m.missed.join(', ') : NONE,
    m.late.length > 0 ? m.late.join(', ') : NONE,
    issueCell(issues[m.model]) || EMPTY,
  ]);
  summary.addTable([header, ...rows]);
}

/**
 * The README section on starting runs on time, in the action's repository (GITHUB_ACTION_REPOSITORY), or in the
 * repository of the run when the action is used from it (`uses: ./`).
 */
export function triggersHelpUrl(runner: { serverUrl: string; actionRepository: string; repository: { owner: string; repo: string } | null }): string {
  const repository = runner.actionRepository || (runner.repository ? `${runner.repository.owner}/${runner.repository.repo}` : '');
  return repository ? `${runner.serverUrl}/${repository}/blob/HEAD/README.md#${TRIGGERS_ANCHOR}` : `README.md#${TRIGGERS_ANCHOR}`;
}

/** The README heading (§3 "Weekly or daily") that explains triggers, schedules and waiting. */
export const TRIGGERS_ANCHOR = '3-weekly-or-daily';

/**
 * A warning annotation when the run started after the on-time deadline while models of the round had no
 * submission yet: their uploads are late, and a scheduled run starting that late is GitHub's scheduling delay.
 */
export function annotateLateStart(report: RunReport, runner: Parameters<typeof triggersHelpUrl>[0]): void {
  const pending = report.models.filter((m) => m.status !== 'skipped').map((m) => m.model);
  const warning = lateStartWarning(report.trigger, pending, triggersHelpUrl(runner));
  if (warning) core.warning(warning, { title: `The run started after round ${report.round}'s on-time deadline` });
}

function headline(report: RunReport): string {
  const round = report.round === null ? 'no open round' : `round ${report.round}`;
  return `Numerai Autopilot — ${round}${report.dryRun ? ' (dry run)' : ''}`;
}

function runFacts(report: RunReport): string {
  const tournament = Object.entries(TOURNAMENTS).find(([, id]) => id === report.tournament)?.[0] ?? `tournament ${report.tournament}`;
  const took = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  const by = report.trigger ? ` · started by ${report.trigger.event ?? 'an unknown event'}${report.trigger.id ? ` (Numerai's round-open webhook, trigger ${report.trigger.id})` : ''}` : '';
  return `Tournament: ${tournament} · started ${report.startedAt}${by} · took ${Number.isFinite(took) ? formatDuration(took) : '?'}`;
}

/** "3 submitted · 1 skipped · 0 failed" (and the dry-run count when there is one). */
function totalsCounts(report: RunReport): string {
  const t = report.totals;
  const parts = [`${t.submitted} submitted`, `${t.skipped} skipped`, `${t.failed} failed`];
  if (t['dry-run'] > 0 || report.dryRun) parts.push(`${t['dry-run']} dry run`);
  return parts.join(' · ');
}

function totalsLine(report: RunReport): string {
  return `Totals: ${totalsCounts(report)} (${report.models.length} model${report.models.length === 1 ? '' : 's'})`;
}

function modelTable(report: RunReport, issues: Record<string, IssueLink>, sanitize: Sanitize): SummaryTableRow[] {
  const header = ['Model', 'Status', 'Round', 'Rows', 'Mean', 'Std', 'Min – max', 'Time', 'Details', 'Issue'].map((data) => ({
    data,
    header: true,
  }));
  const rows = report.models.map((m) => [
    `<code>${escapeHtml(m.model)}</code>`,
    STATUS_LABEL[m.status],
    String(m.round),
    m.rows === undefined ? NONE : m.rows.toLocaleString('en-US'),
    m.stats ? m.stats.mean.toFixed(4) : NONE,
    m.stats ? m.stats.std.toFixed(4) : NONE,
    m.stats ? `${m.stats.min.toFixed(4)} – ${m.stats.max.toFixed(4)}` : NONE,
    formatDuration(totalDuration(m)),
    details(m, sanitize) || EMPTY,
    issueCell(issues[m.model]) || EMPTY,
  ]);
  const totalRows = report.models.reduce((sum, m) => sum + (m.rows ?? 0), 0);
  const footer = [
    '<b>Total</b>',
    escapeHtml(totalsCounts(report)),
    EMPTY,
    totalRows > 0 ? totalRows.toLocaleString('en-US') : NONE,
    EMPTY,
    EMPTY,
    EMPTY,
    // The run's own time: the models' times each include the data (and config) stages they share, so their sum
    // would count those once per model.
    formatDuration(Math.max(0, Date.parse(report.finishedAt) - Date.parse(report.startedAt))),
    EMPTY,
    EMPTY,
  ];
  return [header, ...rows, footer];
}

function details(model: ModelReport, sanitize: Sanitize): string {
  if (model.status === 'failed') {
    const message = escapeHtml(truncate(sanitize(model.message ?? ''), MAX_CELL_MESSAGE_CHARS));
    return `<b>${escapeHtml(model.errorClass ?? 'InternalError')}</b> (${escapeHtml(model.stage)}): ${message}`;
  }
  if (model.status === 'skipped') return escapeHtml(sanitize(model.reason ?? ''));
  const parts: string[] = [];
  if (model.submissionId) parts.push(`submission <code>${escapeHtml(sanitize(model.submissionId))}</code>`);
  if (model.uploadAttempts && model.uploadAttempts > 1) parts.push(`after ${model.uploadAttempts} upload attempts`);
  if (model.stats?.nonFinite) parts.push(`${model.stats.nonFinite} non-finite predictions`);
  return parts.join(', ');
}

function issueCell(link: IssueLink | undefined): string {
  if (!link) return '';
  const anchor = `<a href="${escapeAttribute(link.url)}">#${link.number}</a>`;
  if (link.action === 'opened') return `${anchor} (opened)`;
  if (link.action === 'commented') return `${anchor} (still open)`;
  return `${anchor} (closed)`;
}

function totalDuration(model: ModelReport): number {
  return Object.values(model.durations).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}
