/**
 * The models' recent round scores, joined with each round's score configuration: which metrics count for payout
 * in that round and with which multiplier. Nothing here knows a metric name or a multiplier; every round says its
 * own (the formula changed at round 1343 and may change again). Reading scores never fails a run or a model:
 * whatever goes wrong becomes one warning and the rest is kept.
 */

import type { Reporter, RoundScoring, ScoresPort, SubmissionScore } from './ports.js';
import type { MetricScore, ModelScores, PayoutMetric, RoundScores, ScoreSummary, ScoresReport } from './report.js';
import { messageOf } from '../data/errors.js';

export interface ScoresRequest {
  tournament: number;
  /** Models to read, by name and Numerai id. */
  models: readonly { name: string; id: string }[];
  /** How many recent scored rounds per model. */
  rounds: number;
}

/** Reads the scores of every model; logs at most one warning, and never throws. */
export async function readScores(port: ScoresPort, request: ScoresRequest, reporter: Pick<Reporter, 'log'>): Promise<ScoresReport> {
  const problems: string[] = [];
  const fetched = await Promise.all(
    request.models.map(async (model) => {
      try {
        const recent = await port.submissionScores(model.id, request.tournament, { lastNRounds: request.rounds });
        const resolvedInWindow = groupByRound(recent).some((round) => round.every((s) => s.resolved));
        // The newest resolved round may be older than the window: rounds take weeks to resolve.
        const resolved = resolvedInWindow ? [] : await port.submissionScores(model.id, request.tournament, { lastNRounds: 1, resolved: true });
        return { model, recent, resolved };
      } catch (error) {
        const message = messageOf(error);
        problems.push(`${model.name}: ${message}`);
        return { model, recent: [], resolved: [], error: message };
      }
    }),
  );

  const numbers = [...new Set(fetched.flatMap((f) => [...f.recent, ...f.resolved].map((s) => s.roundNumber)))];
  let scoring: Map<number, RoundScoring> | null = new Map();
  if (numbers.length > 0) {
    try {
      scoring = new Map((await port.roundScoring(request.tournament, numbers)).map((r) => [r.number, r]));
    } catch (error) {
      problems.push(`round score configurations: ${messageOf(error)} (raw metrics are shown instead)`);
      scoring = null;
    }
  }

  const models = fetched.map(({ model, recent, resolved, error }): ModelScores => {
    const rounds = groupByRound(recent).map((scores) => roundScores(scores, scoring));
    const olderResolved = groupByRound(resolved).map((scores) => roundScores(scores, scoring))[0] ?? null;
    return {
      model: model.name,
      modelId: model.id,
      rounds,
      latestResolved: rounds.find((r) => r.resolved) ?? olderResolved,
      latestUnresolved: rounds.find((r) => !r.resolved) ?? null,
      summary: summarize(rounds),
      ...(error === undefined ? {} : { error }),
    };
  });

  const report: ScoresReport = { rounds: request.rounds, models };
  if (problems.length > 0) {
    report.warning = `Some scores could not be read; the rest of the summary is complete. ${problems.join('; ')}`;
    reporter.log('warning', report.warning);
  }
  return report;
}

/** A model's scores grouped by round, newest round first. */
function groupByRound(scores: readonly SubmissionScore[]): SubmissionScore[][] {
  const byRound = new Map<number, SubmissionScore[]>();
  for (const s of scores) byRound.set(s.roundNumber, [...(byRound.get(s.roundNumber) ?? []), s]);
  return [...byRound.entries()].sort((a, b) => b[0] - a[0]).map(([, list]) => list);
}

/** One round of one model: its metrics, and what its configuration says counts. */
export function roundScores(scores: readonly SubmissionScore[], scoring: Map<number, RoundScoring> | null): RoundScores {
  const round = scores[0].roundNumber;
  const metrics: Record<string, MetricScore> = {};
  for (const s of [...scores].sort((a, b) => a.displayName.localeCompare(b.displayName))) {
    metrics[s.displayName] = { value: s.value, percentile: s.percentile, resolved: s.resolved, day: s.day };
  }
  const configs = scoring?.get(round)?.configs ?? [];
  const payoutConfigs = configs.filter((c) => c.isPayout);
  const config: RoundScores['config'] = scoring === null ? 'unread' : payoutConfigs.length > 0 ? 'listed' : 'none';
  const payout: PayoutMetric[] = payoutConfigs.map((c) => {
    // submissionScores names a metric by the config's display name; prefer the score of the same version.
    const matches = scores.filter((s) => s.displayName === c.displayName);
    const score = matches.find((s) => c.version !== null && s.version === c.version) ?? matches[0];
    return {
      metric: c.displayName,
      multiplier: c.defaultMultiplier,
      value: score?.value ?? null,
      percentile: score?.percentile ?? null,
      resolved: score?.resolved ?? false,
    };
  });
  const complete = payout.length > 0 && payout.every((p) => p.multiplier !== null && p.value !== null);
  return {
    round,
    resolved: payout.length > 0 ? payout.every((p) => p.resolved) : scores.every((s) => s.resolved),
    config,
    payout,
    formula: payout.length > 0 ? formulaOf(payout) : null,
    payoutScore: complete ? roundTo(payout.reduce((sum, p) => sum + p.multiplier! * p.value!, 0), 8) : null,
    metrics,
  };
}

/** "3×corr60 + 15×mmc60" (a missing multiplier shows as "?"). */
export function formulaOf(payout: readonly Pick<PayoutMetric, 'metric' | 'multiplier'>[]): string {
  return payout.map((p) => `${p.multiplier === null ? '?' : formatMultiplier(p.multiplier)}×${p.metric}`).join(' + ');
}

function formatMultiplier(m: number): string {
  return String(Number(m.toPrecision(6)));
}

/**
 * Mean and trend over the rounds paid on the newest scored round's formula only: scores of different formulas are
 * on different scales (a 60-day score times 15 against a 20-day one times 2.25), so one mean over both would say
 * nothing.
 */
export function summarize(rounds: readonly RoundScores[]): ScoreSummary | null {
  const latest = rounds.find((r) => r.payoutScore !== null);
  if (!latest || latest.formula === null) return null;
  const same = rounds.filter((r) => r.formula === latest.formula && r.payoutScore !== null);
  const values = same.map((r) => r.payoutScore!);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { formula: latest.formula, rounds: same.length, mean: roundTo(mean, 8), trendPerRound: slope(same.map((r) => [r.round, r.payoutScore!])) };
}

/** Least-squares slope of y over x; null with fewer than 3 points. */
function slope(points: readonly [number, number][]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return roundTo(points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx, 8);
}

function roundTo(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

