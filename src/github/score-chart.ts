/**
 * A Mermaid `xychart-beta` chart of one model's payout score by round. GitHub renders Mermaid blocks in job
 * summaries (they cannot embed `data:` images). One chart per model: xychart has no legend, so several models'
 * lines in one chart could not be told apart.
 */
import type { ModelScores, RoundScores } from '../pipeline/report.js';

export interface ScoreChart {
  /** The Mermaid source (without the ```mermaid fence). */
  mermaid: string;
  /** The rounds plotted, oldest first. */
  rounds: number[];
  /** Rounds of the window left out because they have no payout score, and why. */
  omitted: { round: number; why: string }[];
}

const CHART_CONFIG = {
  xyChart: { width: 960, height: 360, xAxis: { labelFontSize: 12 } },
  themeVariables: { xyChart: { plotColorPalette: '#0969da' } },
};

/** The chart of a model's scored rounds, or null when none of them has a payout score. */
export function scoreChart(scores: Pick<ModelScores, 'model' | 'rounds'>): ScoreChart | null {
  const oldestFirst = [...scores.rounds].sort((a, b) => a.round - b.round);
  const plotted = oldestFirst.filter((r) => r.payoutScore !== null);
  const omitted = oldestFirst.filter((r) => r.payoutScore === null).map((r) => ({ round: r.round, why: whyNoPayoutScore(r) }));
  if (plotted.length === 0) return null;
  const values = plotted.map((r) => r.payoutScore!);
  const [low, high] = axisRange(values);
  const lines = [
    // Wide enough for 20 round labels side by side, and a line colour that reads on a white page.
    `%%{init: ${JSON.stringify(CHART_CONFIG)}}%%`,
    'xychart-beta',
    `  title "${quoteSafe(scores.model)}: payout score by round"`,
    `  x-axis "round" [${plotted.map((r) => `"${r.round}"`).join(', ')}]`,
    `  y-axis "payout score" ${formatNumber(low)} --> ${formatNumber(high)}`,
    `  line [${values.map(formatNumber).join(', ')}]`,
  ];
  return { mermaid: lines.join('\n'), rounds: plotted.map((r) => r.round), omitted };
}

export function whyNoPayoutScore(round: RoundScores): string {
  if (round.config === 'none') return 'no payout configuration listed';
  if (round.config === 'unread') return 'round configuration not read';
  const missing = round.payout.filter((p) => p.value === null).map((p) => p.metric);
  if (missing.length > 0) return `no ${missing.join(', ')} score yet`;
  return 'a multiplier is missing';
}

/** A range that holds every value and zero, with a little room above and below. */
function axisRange(values: readonly number[]): [number, number] {
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const pad = (max - min || Math.abs(max) || 1) * 0.1;
  return [min - pad, max + pad];
}

/** Mermaid's number syntax: plain decimals (no exponent), at most 6 significant digits. */
function formatNumber(x: number): string {
  const text = Number(x.toPrecision(6)).toFixed(8).replace(/\.?0+$/, '');
  return text === '-0' || text === '' ? '0' : text;
}

/** Mermaid strings end at a double quote; model names never hold one, but a title must not break the chart. */
function quoteSafe(text: string): string {
  return text.replace(/["\n\r]/g, "'");
}
