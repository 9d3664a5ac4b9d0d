import { formatDuration } from '../pipeline/duration.js';
import { describeTriggerTiming } from '../pipeline/trigger-timing.js';
import type { RoundPlan } from '../pipeline/plan.js';
import type { ModelReport, RunReport } from '../pipeline/report.js';
import { OFFLINE_ROUND } from './offline.js';
import { formatBytes } from '../pipeline/bytes.js';

/** Columns padded to their widest cell; the last column is left free so long messages are not cut. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function figure(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(4);
}

function seconds(model: ModelReport): string {
  const total = Object.values(model.durations).reduce((sum, ms) => sum + (ms ?? 0), 0);
  return `${(total / 1000).toFixed(1)}s`;
}

function detail(model: ModelReport): string {
  switch (model.status) {
    case 'submitted':
      return `submission ${model.submissionId}${model.uploadAttempts && model.uploadAttempts > 1 ? ` (after ${model.uploadAttempts} attempts)` : ''}`;
    case 'skipped':
      return model.reason ?? '';
    case 'dry-run':
      return model.csvPath ?? '';
    case 'failed':
      return `${model.errorClass}: ${model.message}`;
  }
}

/** The readable summary of a run: a headline, one row per model, the datasets used, and the totals. */
export function renderRunReport(report: RunReport): string {
  const lines: string[] = [];
  if (report.round === null) {
    lines.push(report.error ? 'The run failed before the round was known.' : 'No round is open: nothing was done.');
  } else if (report.round === OFFLINE_ROUND) {
    lines.push('Offline dry run (local files, no round)');
  } else {
    lines.push(`Round ${report.round}${report.late ? ' (late window)' : ''}${report.dryRun ? ', dry run' : ''}`);
  }
  if (report.models.length > 0) {
    lines.push('');
    lines.push(
      renderTable(
        ['MODEL', 'STATUS', 'STAGE', 'ROWS', 'MEAN', 'STD', 'MIN', 'MAX', 'TIME', 'DETAIL'],
        report.models.map((model) => [
          model.model,
          model.status,
          model.stage,
          model.rows === undefined ? '-' : String(model.rows),
          figure(model.stats?.mean),
          figure(model.stats?.std),
          figure(model.stats?.min),
          figure(model.stats?.max),
          seconds(model),
          detail(model),
        ]),
      ),
    );
  }
  const timing = report.trigger ? describeTriggerTiming(report.trigger) : null;
  if (timing) lines.push('', `Timing: ${timing}${report.trigger!.waitedSeconds > 0 ? `; waited ${formatDuration(report.trigger!.waitedSeconds * 1000)} for the round` : ''}.`);
  const recent = report.recentRounds;
  if (recent?.error) lines.push('', `Rounds missed: unknown (${recent.error}).`);
  else if (recent) {
    const behind = recent.models.filter((m) => m.missed.length > 0 || m.late.length > 0);
    const scope = `last ${recent.rounds.length} ${recent.expect === 'weekend' ? 'Saturday ' : ''}rounds (expect-rounds ${recent.expect})`;
    if (behind.length === 0) lines.push('', `Rounds missed: none in the ${scope}.`);
    else {
      lines.push('', `Rounds missed or late, ${scope}:`);
      lines.push(renderTable(['MODEL', 'MISSED', 'LATE'], behind.map((m) => [m.model, m.missed.join(', ') || '-', m.late.join(', ') || '-'])));
    }
  }
  if (report.datasets.length > 0) {
    lines.push('');
    lines.push(`Data: ${report.datasets.map((use) => `${use.file} (${use.source}, ${formatBytes(use.bytes)}${use.storeFailure === undefined ? '' : `; the store failed: ${use.storeFailure}`})`).join(', ')}`);
  }
  lines.push('');
  const { submitted, skipped, failed } = report.totals;
  lines.push(`${submitted} submitted, ${skipped} skipped, ${report.totals['dry-run']} dry-run, ${failed} failed.`);
  if (report.error) lines.push(`Run failed (${report.error.errorClass} at ${report.error.stage}): ${report.error.message}`);
  return `${lines.join('\n')}\n`;
}

/** What `plan --json` prints: the plan without the loaded models, plus the name lists a workflow matrix needs. */
export function planJson(plan: RoundPlan): Record<string, unknown> {
  const names = (status: string) => plan.models.filter((entry) => entry.status === status).map((entry) => entry.name);
  return {
    tournament: plan.tournament,
    round: plan.round?.number ?? null,
    late: plan.late,
    pending: names('pending'),
    skipped: names('skipped'),
    failed: names('failed'),
    // The plan stopped before deciding these (see error): a matrix built from `pending` runs none of them.
    notPlanned: names('not-planned'),
    models: plan.models.map(({ model: _model, durations: _durations, ...entry }) => entry),
    ...(plan.error ? { error: plan.error } : {}),
  };
}

export function renderPlan(plan: RoundPlan): string {
  const lines: string[] = [];
  if (!plan.round) {
    lines.push(plan.error ? 'Could not plan the round.' : 'No round is open: nothing would run.');
  } else {
    lines.push(`Round ${plan.round.number}${plan.late ? ' (late window)' : ''}`);
    if (plan.models.length > 0) {
      lines.push('');
      lines.push(
        renderTable(
          ['MODEL', 'PLAN', 'DATASET', 'DETAIL'],
          plan.models.map((entry) => [
            entry.name,
            entry.status === 'pending' ? 'submit' : entry.status === 'not-planned' ? 'not planned' : entry.status,
            entry.dataset ?? '-',
            entry.status === 'failed' ? `${entry.errorClass}: ${entry.message}` : entry.status === 'pending' ? '' : (entry.reason ?? ''),
          ]),
        ),
      );
    }
  }
  if (plan.error) lines.push(`Failed (${plan.error.errorClass} at ${plan.error.stage}): ${plan.error.message}`);
  return `${lines.join('\n')}\n`;
}
