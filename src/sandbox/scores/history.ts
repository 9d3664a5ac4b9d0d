/**
 * The sandbox's score history: `submissionScores` (numerapi ≥ 2.23 `submission_scores`) and the rounds'
 * `roundScoreConfigs` (numerapi 2.24 `list_rounds`), deterministic from the seed.
 *
 * What the real API does, and the sandbox copies:
 *  - a round is scored daily from its scoreTime on; each metric has its own number of scoring days (20 or 60) and
 *    its value is provisional (`resolved: false`) until the last one, then frozen (`resolved: true`, `resolveDate`);
 *  - every metric is reported on every scored round, also those a round does not pay on (corr60 on rounds paid on
 *    v2_corr20), and the round's `roundScoreConfigs` say which count (`isPayout`) and with which multipliers;
 *  - the payout formula changed at a round boundary: up to round 1342 `0.75·v2_corr20 + 2.25·mmc` (20 scoring
 *    days, resolving ~31 days after the round opened), from 1343 `3.0·corr60 + 15.0·mmc60` (60 days, ~90);
 *  - `submissionScores` needs no key (numerapi sends it without one); its `modelId` is an `ID!`.
 *
 * What the sandbox chooses (see SandboxScoreOptions): rounds are one day apart, so the real boundary (1343) lies in
 * the history only when the sandbox's round is near it; otherwise the change is placed 10 rounds before the round
 * the sandbox starts at, so a default history shows both formulas. Rounds older than `firstConfigRound` list no
 * `roundScoreConfigs`, so clients meet a round without one. A model that joined fewer rounds ago than scoring takes
 * to start (joinedRoundsAgo) has no scores yet.
 */
import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { derivedUuid, type SandboxModel } from '../accounts/keys.js';
import { iso, type RoundClock, type RoundTimes } from '../rounds/clock.js';
import { arg } from '../spellings.js';

const DAY = 86_400_000;

/** The real round at which the payout formula changed. */
export const REAL_FORMULA_CHANGE_ROUND = 1343;

export interface SandboxScoreOptions {
  /** First round paid on the second formula (default: 1343 when within the history, else 10 rounds before the start). */
  formulaChangeRound?: number;
  /** Rounds before this one list no roundScoreConfigs (default: 45 rounds before the start). */
  firstConfigRound?: number;
  /** How many rounds before the current one the models have scores for (default 60). */
  historyRounds?: number;
}

/** One metric of a score configuration, as the sandbox serves it. */
interface MetricSpec {
  name: string;
  version: string;
  displayName: string;
  totalScoreDays: number;
  /** Mean and spread of the metric's final value (per-model skill is added). */
  mean: number;
  spread: number;
}

const METRICS: Record<string, MetricSpec> = {
  v2_corr20: { name: 'correlation', version: '2', displayName: 'v2_corr20', totalScoreDays: 20, mean: 0.008, spread: 0.02 },
  mmc: { name: 'meta_model_contribution', version: '1', displayName: 'mmc', totalScoreDays: 20, mean: 0.001, spread: 0.008 },
  corr60: { name: 'correlation', version: '3', displayName: 'corr60', totalScoreDays: 60, mean: 0.01, spread: 0.015 },
  mmc60: { name: 'meta_model_contribution', version: '2', displayName: 'mmc60', totalScoreDays: 60, mean: 0.002, spread: 0.006 },
  fnc_v3: { name: 'feature_neutral_correlation', version: '3', displayName: 'fnc_v3', totalScoreDays: 20, mean: 0.006, spread: 0.015 },
  alpha: { name: 'alpha', version: '2', displayName: 'alpha', totalScoreDays: 20, mean: 0.002, spread: 0.01 },
  mpc: { name: 'meta_portfolio_contribution', version: '2', displayName: 'mpc', totalScoreDays: 20, mean: 0.001, spread: 0.008 },
};

interface Era {
  /** The payout metrics and their default multipliers. */
  payout: [metric: string, multiplier: number][];
  /** Metrics listed in the config without counting for payout. */
  other: string[];
}

export class SandboxScores {
  private readonly formulaChangeRound: number;
  private readonly firstConfigRound: number;
  private readonly historyRounds: number;

  constructor(
    private readonly seed: number,
    private readonly clock: RoundClock,
    private readonly now: () => number,
    options: SandboxScoreOptions = {},
  ) {
    const start = clock.number;
    this.historyRounds = options.historyRounds ?? 60;
    const realInHistory = REAL_FORMULA_CHANGE_ROUND <= start && REAL_FORMULA_CHANGE_ROUND > start - this.historyRounds;
    this.formulaChangeRound = options.formulaChangeRound ?? (realInHistory ? REAL_FORMULA_CHANGE_ROUND : start - 10);
    this.firstConfigRound = options.firstConfigRound ?? start - 45;
  }

  /** The formula a round of a tournament pays on (Signals pays on alpha and mpc throughout). */
  private era(tournament: number, round: number): Era {
    if (tournament === 11) return { payout: [['alpha', 0.3], ['mpc', 0.8]], other: [] };
    if (round < this.formulaChangeRound) return { payout: [['v2_corr20', 0.75], ['mmc', 2.25]], other: ['fnc_v3'] };
    return { payout: [['corr60', 3.0], ['mmc60', 15.0]], other: ['fnc_v3'] };
  }

  /** Every metric reported on a round of the tournament (both formulas' metrics on Classic and Crypto). */
  private reportedMetrics(tournament: number): MetricSpec[] {
    const names = tournament === 11 ? ['alpha', 'mpc'] : ['v2_corr20', 'mmc', 'corr60', 'mmc60', 'fnc_v3'];
    return names.map((n) => METRICS[n]);
  }

  /** When the round's payout resolves: after its longest payout metric's scoring days (5 scoring days a week). */
  resolveTime(tournament: number, times: RoundTimes): number {
    const days = Math.max(...this.era(tournament, times.number).payout.map(([m]) => METRICS[m].totalScoreDays));
    return metricResolveTime(times, days);
  }

  /** A multiplier of the payout configuration with this name (numerapi 2.23.1's Corr/Mmc fields), or null. */
  legacyMultiplier(tournament: number, times: RoundTimes, name: string, field: 'minMultiplier' | 'maxMultiplier' | 'defaultMultiplier'): number | null {
    const config = this.configs(tournament, times).find((c) => c.isPayout && c.name === name);
    return (config?.[field] as number | null | undefined) ?? null;
  }

  /** The round's roundScoreConfigs, with numerapi 2.24's fields ([] before firstConfigRound). */
  configs(tournament: number, times: RoundTimes): Record<string, unknown>[] {
    if (times.number < this.firstConfigRound) return [];
    const era = this.era(tournament, times.number);
    const start = times.number < this.formulaChangeRound ? this.firstConfigRound : this.formulaChangeRound;
    const end = times.number < this.formulaChangeRound ? this.formulaChangeRound - 1 : null;
    const entries: [string, number | null][] = [...era.payout, ...era.other.map((m): [string, null] => [m, null])];
    return entries.map(([metric, multiplier]) => {
      const spec = METRICS[metric];
      return {
        id: `${tournament}-${times.number}-${spec.displayName}`,
        scoreConfigId: `${spec.name}-v${spec.version}`,
        roundNumberStart: start,
        roundNumberEnd: end,
        name: spec.name,
        version: spec.version,
        displayName: spec.displayName,
        totalScoreDays: spec.totalScoreDays,
        returnsLagDays: 2,
        dataDelayDays: 1,
        universe: tournament === 8 ? 'classic' : tournament === 11 ? 'signals' : 'crypto',
        isCanonScore: multiplier !== null,
        isPayout: multiplier !== null,
        scoringStart: iso(times.scoreTime),
        scoringEnd: iso(metricResolveTime(times, spec.totalScoreDays)),
        minMultiplier: multiplier,
        maxMultiplier: multiplier,
        defaultMultiplier: multiplier,
        clipThreshold: multiplier === null ? null : 0.05,
        stakeThreshold: multiplier === null ? null : '0.0',
        payoutFactor: multiplier === null ? null : '1.0',
      };
    });
  }

  /**
   * The rounds a model has scores for: the rounds it took part in whose scoring has started. Until the sandbox
   * keeps a history of every model's submissions, a model took part in every round of the last `historyRounds`
   * since it joined (a model managed by Model Uploads submits no predictions through the API, so it has none).
   */
  scoredRounds(model: SandboxModel): number[] {
    if (model.managedByModelUploads) return [];
    const current = this.clock.number;
    const joined = current - (model.joinedRoundsAgo ?? Number.POSITIVE_INFINITY);
    const out: number[] = [];
    for (let round = current; round >= Math.max(1, current - this.historyRounds, joined); round--) {
      const times = this.clock.times(round);
      if (times && times.scoreTime <= this.now()) out.push(round);
    }
    return out;
  }

  /** The `submissionScores` resolver: numerapi's arguments, filters, then lastNRounds and distinctOnRound. */
  submissionScores(args: Record<string, unknown>, models: readonly SandboxModel[]): ScoreRow[] {
    const modelId = arg<string>(args, 'modelId');
    const model = models.find((m) => m.id === modelId);
    if (!model) throw new GraphQLError(`Model not found: ${modelId}`);
    const tournament = arg<number>(args, 'tournament');
    if (tournament !== undefined && tournament !== null && tournament !== model.tournament) return [];
    const displayName = arg<string>(args, 'displayName');
    const version = arg<string>(args, 'version');
    const day = arg<number>(args, 'day');
    const resolved = arg<boolean>(args, 'resolved');
    const lastNRounds = arg<number>(args, 'lastNRounds');
    const distinct = arg<boolean>(args, 'distinctOnRound') === true;

    let rows = this.scoredRounds(model).flatMap((round) => this.roundRows(model, round));
    rows = rows.filter(
      (r) =>
        (displayName == null || r.displayName === displayName) &&
        (version == null || r.version === version) &&
        (day == null || r.day === day) &&
        (resolved == null || r.resolved === resolved),
    );
    if (lastNRounds !== undefined && lastNRounds !== null) {
      const keep = new Set([...new Set(rows.map((r) => r.roundNumber))].sort((a, b) => b - a).slice(0, Math.max(0, lastNRounds)));
      rows = rows.filter((r) => keep.has(r.roundNumber));
    }
    if (distinct) {
      const latest = new Map<string, ScoreRow>();
      for (const r of rows) {
        const key = `${r.roundNumber}:${r.displayName}:${r.version}`;
        if ((latest.get(key)?.day ?? 0) < r.day) latest.set(key, r);
      }
      rows = [...latest.values()];
    }
    return rows.sort((a, b) => b.roundNumber - a.roundNumber || a.displayName.localeCompare(b.displayName) || b.day - a.day);
  }

  /** Every daily score of every reported metric of one round of a model, up to today. */
  private roundRows(model: SandboxModel, round: number): ScoreRow[] {
    const times = this.clock.times(round)!;
    const elapsedDays = Math.floor((this.now() - times.scoreTime) / DAY);
    // Five scoring days a week: the round's day count grows by 5 every 7 calendar days.
    const scoredDays = Math.floor((elapsedDays * 5) / 7) + 1;
    const roundResolveTime = iso(this.resolveTime(model.tournament, times));
    const rows: ScoreRow[] = [];
    for (const spec of this.reportedMetrics(model.tournament)) {
      const days = Math.min(scoredDays, spec.totalScoreDays);
      const final = this.finalValue(model, round, spec);
      const resolveAt = metricResolveTime(times, spec.totalScoreDays);
      for (let day = 1; day <= days; day++) {
        // The value wanders towards its final one as the days of the round are scored.
        const drift = this.gaussian(`${model.id}:${round}:${spec.displayName}:${day}`) * spec.spread * (1 - day / spec.totalScoreDays);
        const value = round6(final + drift);
        const isResolved = day === spec.totalScoreDays;
        rows.push({
          roundId: `${model.tournament}-${round}`,
          submissionId: derivedUuid(this.seed, `submission:${model.id}:${round}`),
          roundNumber: round,
          roundResolveTime,
          roundScoreTime: iso(times.scoreTime),
          roundCloseStakingTime: iso(times.closeStakingTime),
          value,
          percentile: round6(1 / (1 + Math.exp(-(value - spec.mean) / (spec.spread / 1.7)))),
          displayName: spec.displayName,
          version: spec.version,
          date: iso(times.scoreTime + Math.floor(((day - 1) * 7) / 5) * DAY),
          day,
          resolveDate: isResolved ? iso(resolveAt) : null,
          resolved: isResolved,
          payoutPending: null,
          payoutSettled: null,
        });
      }
    }
    return rows;
  }

  /** A model's final value of a metric in a round: its own level (from the seed) plus the round's luck. */
  private finalValue(model: SandboxModel, round: number, spec: MetricSpec): number {
    const skill = this.gaussian(`${model.id}:skill:${spec.displayName}`) * spec.spread * 0.5;
    return spec.mean + skill + this.gaussian(`${model.id}:${round}:${spec.displayName}:final`) * spec.spread;
  }

  /** A standard normal number determined by the seed and a label (Box–Muller over two hash-derived uniforms). */
  private gaussian(label: string): number {
    const h = createHash('sha256').update(`numerai-sandbox-scores:${this.seed}:${label}`).digest();
    const u1 = (h.readUInt32BE(0) + 1) / 0x1_0000_0001;
    const u2 = h.readUInt32BE(4) / 0x1_0000_0000;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

export interface ScoreRow {
  roundId: string;
  submissionId: string;
  roundNumber: number;
  roundResolveTime: string;
  roundScoreTime: string;
  roundCloseStakingTime: string;
  value: number;
  percentile: number;
  displayName: string;
  version: string;
  date: string;
  day: number;
  resolveDate: string | null;
  resolved: boolean;
  payoutPending: null;
  payoutSettled: null;
}

/** When a metric with this many scoring days resolves: its last scoring day (5 a week) after the round's scoreTime. */
function metricResolveTime(times: RoundTimes, totalScoreDays: number): number {
  return times.scoreTime + Math.floor(((totalScoreDays - 1) * 7) / 5) * DAY;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
