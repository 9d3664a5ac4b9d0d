/**
 * The job summary's "Scores" section: per model the latest resolved and the latest provisional round scores, the
 * mean and trend of the payout score, and a Mermaid chart of it by round. Every metric and multiplier shown is what
 * the round's own configuration names; a round without one shows its raw metrics and says so.
 */
import type * as core from '@actions/core';
import type { ModelScores, RoundScores, ScoresReport } from '../pipeline/report.js';
import { escapeHtml, truncate, type Sanitize } from './sanitize.js';
import { scoreChart } from './score-chart.js';

type Summary = typeof core.summary;

const NONE = '—';

/** Appends the section to the summary being built. */
export function addScoresSection(summary: Summary, scores: ScoresReport, sanitize: Sanitize): void {
  summary.addHeading('Scores', 3);
  summary.addRaw(
    `<p>Numerai's scores of each model's last ${scores.rounds} scored rounds. The payout score is each round's own formula ` +
      "(the metrics and default multipliers of its <code>roundScoreConfigs</code>); a round's scores are provisional until it resolves.</p>",
    true,
  );
  if (scores.warning) summary.addRaw(`<p>⚠️ ${escapeHtml(truncate(sanitize(scores.warning), 600))}</p>`, true);
  const header = ['Model', 'Latest resolved', 'Latest provisional', 'Mean payout score', 'Trend'].map((data) => ({ data, header: true }));
  summary.addTable([header, ...scores.models.map((m) => modelRow(m, sanitize))]);
  for (const model of scores.models) addChart(summary, model);
}

function modelRow(m: ModelScores, sanitize: Sanitize): string[] {
  const name = `<code>${escapeHtml(m.model)}</code>`;
  if (m.error) return [name, `could not be read: ${escapeHtml(truncate(sanitize(m.error), 200))}`, NONE, NONE, NONE];
  if (m.rounds.length === 0 && !m.latestResolved) return [name, 'no scores yet', NONE, NONE, NONE];
  const s = m.summary;
  return [
    name,
    m.latestResolved ? roundCell(m.latestResolved) : 'none resolved yet',
    m.latestUnresolved ? roundCell(m.latestUnresolved) : NONE,
    s?.mean == null ? NONE : `${fmt(s.mean)} <small>over ${s.rounds} round${s.rounds === 1 ? '' : 's'} of ${escapeHtml(s.formula)}</small>`,
    s?.trendPerRound == null ? NONE : trendText(s.trendPerRound),
  ];
}

/** "round 1343: <b>0.1976</b> = 3×corr60 + 15×mmc60 (corr60 0.0148, mmc60 0.0102)", or the raw metrics. */
export function roundCell(r: RoundScores): string {
  const head = `round ${r.round}: `;
  if (r.payout.length === 0) {
    const why = r.config === 'unread' ? 'round configuration not read' : 'no payout configuration listed';
    const raw = Object.entries(r.metrics).map(([name, s]) => `${escapeHtml(name)} ${s.value === null ? NONE : fmt(s.value)}`);
    return `${head}${why}; raw metrics: ${raw.join(', ') || NONE}`;
  }
  const parts = r.payout.map((p) => `${escapeHtml(p.metric)} ${p.value === null ? NONE : fmt(p.value)}`).join(', ');
  const score = r.payoutScore === null ? NONE : `<b>${fmt(r.payoutScore)}</b>`;
  return `${head}${score} = ${escapeHtml(r.formula ?? '')} (${parts})`;
}

function addChart(summary: Summary, m: ModelScores): void {
  const chart = scoreChart(m);
  if (!chart) return;
  summary.addHeading(`${escapeHtml(m.model)}: payout score`, 4);
  // A fenced block in the summary's Markdown: GitHub renders it as a chart.
  summary.addRaw(`\n\`\`\`mermaid\n${chart.mermaid}\n\`\`\`\n`, true);
  const notes = [formulaSpans(m.rounds.filter((r) => r.payoutScore !== null))];
  const provisional = m.rounds.filter((r) => !r.resolved && r.payoutScore !== null).map((r) => r.round);
  if (provisional.length > 0) notes.push(`Provisional (not resolved yet): ${ranges(provisional)}.`);
  if (chart.omitted.length > 0) notes.push(`Not plotted: ${chart.omitted.map((o) => `${o.round} (${escapeHtml(o.why)})`).join(', ')}.`);
  summary.addRaw(`<p><small>${notes.join(' ')}</small></p>`, true);
}

/** "Rounds 1161–1169: 0.75×v2_corr20 + 2.25×mmc; 1170–1175: 3×corr60 + 15×mmc60 (different scales)." */
function formulaSpans(rounds: readonly RoundScores[]): string {
  const oldestFirst = [...rounds].sort((a, b) => a.round - b.round);
  const spans: { from: number; to: number; formula: string }[] = [];
  for (const r of oldestFirst) {
    const last = spans.at(-1);
    if (last && last.formula === r.formula) last.to = r.round;
    else spans.push({ from: r.round, to: r.round, formula: r.formula ?? '' });
  }
  const text = spans.map((s) => `${s.from === s.to ? s.from : `${s.from}–${s.to}`}: ${escapeHtml(s.formula)}`).join('; ');
  return `Rounds ${text}${spans.length > 1 ? ' (the formula changed: values before and after are on different scales)' : ''}.`;
}

/** "1150–1155, 1160" */
function ranges(rounds: readonly number[]): string {
  const sorted = [...rounds].sort((a, b) => a - b);
  const out: string[] = [];
  let start = sorted[0];
  let prev = sorted[0];
  for (const n of [...sorted.slice(1), Number.NaN]) {
    if (n === prev + 1) {
      prev = n;
      continue;
    }
    out.push(start === prev ? String(start) : `${start}–${prev}`);
    start = n;
    prev = n;
  }
  return out.join(', ');
}

export function trendText(perRound: number): string {
  const arrow = perRound > 0 ? '↗' : perRound < 0 ? '↘' : '→';
  return `${arrow} ${perRound > 0 ? '+' : ''}${fmt(perRound)} per round`;
}

function fmt(x: number): string {
  return x.toFixed(4);
}
