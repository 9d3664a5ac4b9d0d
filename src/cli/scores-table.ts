/**
 * `scores` as text: one table per model of its last scored rounds, with each payout metric the rounds' own
 * configurations name, resolved or provisional, the round's payout score, and the mean and trend.
 */
import type { ModelScores, RoundScores, ScoresReport } from '../pipeline/report.js';
import { renderTable } from './format.js';

export function renderScores(report: ScoresReport): string {
  const blocks = report.models.map(renderModel);
  if (report.warning) blocks.push(`warning: ${report.warning}`);
  return `${blocks.join('\n\n')}\n`;
}

function renderModel(m: ModelScores): string {
  const title = `${m.model} — last ${m.rounds.length} scored round${m.rounds.length === 1 ? '' : 's'}`;
  if (m.error) return `${m.model}: scores could not be read: ${m.error}`;
  if (m.rounds.length === 0) return `${m.model}: no scores yet (Numerai starts scoring a round a few days after it closes).`;
  // The payout metrics of every round shown, in the order the newest rounds name them.
  const metrics = [...new Set(m.rounds.flatMap((r) => r.payout.map((p) => p.metric)))];
  const rows = m.rounds.map((r) => [
    String(r.round),
    r.resolved ? 'resolved' : 'provisional',
    r.formula ?? (r.config === 'unread' ? '(configuration not read)' : '(no payout configuration)'),
    ...metrics.map((name) => figure(r.payout.find((p) => p.metric === name)?.value ?? r.metrics[name]?.value)),
    figure(r.payoutScore),
  ]);
  const lines = [title, '', renderTable(['ROUND', 'STATUS', 'FORMULA', ...metrics.map((n) => n.toUpperCase()), 'PAYOUT SCORE'], rows)];
  for (const r of m.rounds.filter((x) => x.payout.length === 0)) lines.push(`Round ${r.round} lists no payout configuration; raw metrics: ${rawMetrics(r)}.`);
  const s = m.summary;
  if (s) {
    const trend = s.trendPerRound === null ? 'trend: too few rounds' : `trend ${s.trendPerRound >= 0 ? '+' : ''}${s.trendPerRound.toFixed(4)} per round`;
    lines.push(`Mean payout score ${figure(s.mean)} over ${s.rounds} round${s.rounds === 1 ? '' : 's'} of ${s.formula}; ${trend}.`);
  }
  if (m.latestResolved && !m.rounds.some((r) => r.round === m.latestResolved!.round)) {
    lines.push(`Latest resolved: round ${m.latestResolved.round}, payout score ${figure(m.latestResolved.payoutScore)}${m.latestResolved.formula ? ` (${m.latestResolved.formula})` : ''}.`);
  }
  return lines.join('\n');
}

function rawMetrics(r: RoundScores): string {
  return Object.entries(r.metrics).map(([name, s]) => `${name} ${figure(s.value)}`).join(', ') || 'none';
}

function figure(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(4);
}
