/**
 * `npm run simulate`: how many rounds a year each way of starting runs would miss or submit late, and what it costs.
 * Replays seasons of rounds (Tuesday to Saturday; weekday rounds open one hour for on-time submissions, Saturday's
 * until Sunday 14:00 UTC; one season opening at 12:00 UTC, one at 13:00) through each strategy under each set of
 * GitHub scheduling conditions, with the run's own round and wait logic (scripts/simulate/season.ts). The schedules
 * come from the workflow files themselves.
 *
 *   npm run simulate                      # the table
 *   npm run simulate -- --weeks 26 --webhook-failure 0.05 --seed 7
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/pipeline/duration.js';
import { CONDITIONS, simulateSeason, type Strategy } from './simulate/season.js';
import { readWorkflowSchedule } from './simulate/workflow.js';

const ROOT = join(import.meta.dirname, '..');
export const WEEKLY_FILE = join(ROOT, '.github/workflows/submit.yml');
export const DAILY_FILE = join(ROOT, '.github/workflow-templates/daily-rounds.yml');

/** mulberry32: a small seeded generator, so a table can be reproduced. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The strategies: the weekly workflow, the daily template with and without its waits, and the webhook. */
export function strategies(webhookFailure: number, defaultWait = '45m'): Strategy[] {
  const weekly = readWorkflowSchedule(WEEKLY_FILE);
  const daily = readWorkflowSchedule(DAILY_FILE);
  const noWait = daily.runs.map((run) => ({ ...run, waitMs: 0 }));
  // "With waiting": the template's own waits; a template without any gets one on its first cron of the day.
  const withWait = daily.runs.some((run) => run.waitMs > 0) ? daily.runs : daily.runs.map((run, i) => ({ ...run, waitMs: i === 0 ? parseDuration(defaultWait, 'wait') : 0 }));
  const pct = `${Math.round(webhookFailure * 100)}% of calls lost`;
  return [
    { name: 'weekly submit.yml', expect: weekly.expectRounds, schedule: weekly.runs },
    { name: 'daily, no wait-for-round', expect: 'all', schedule: noWait },
    { name: 'daily, wait-for-round', expect: 'all', schedule: withWait },
    { name: `webhook (${pct})`, expect: 'all', schedule: [], webhook: { failureRate: webhookFailure } },
    { name: `webhook (${pct}) + daily backup`, expect: 'all', schedule: withWait, webhook: { failureRate: webhookFailure } },
  ];
}

export interface Row {
  strategy: string;
  conditions: string;
  expect: string;
  missedPer100: number;
  latePer100: number;
  billedPerWeek: number;
}

export async function simulate(options: { weeks: number; seed: number; webhookFailure: number }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const strategy of strategies(options.webhookFailure)) {
    for (const conditions of CONDITIONS) {
      const random = seeded(options.seed);
      let expected = 0;
      let missed = 0;
      let late = 0;
      let minutes = 0;
      let weeks = 0;
      for (const openHour of [12, 13]) {
        const result = await simulateSeason(strategy, conditions, { weeks: options.weeks, openHour, random });
        expected += result.expected;
        missed += result.missed;
        late += result.late;
        minutes += result.billedMinutes;
        weeks += result.weeks;
      }
      rows.push({
        strategy: strategy.name,
        conditions: conditions.name,
        expect: strategy.expect,
        missedPer100: (100 * missed) / expected,
        latePer100: (100 * late) / expected,
        billedPerWeek: minutes / weeks,
      });
    }
  }
  return rows;
}

export function table(rows: Row[]): string {
  const lines = ['| strategy | GitHub | rounds | missed / 100 | late / 100 | billed min / week |', '|---|---|---|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.strategy} | ${r.conditions} | ${r.expect === 'weekend' ? 'Saturday' : 'Tue–Sat'} | ${r.missedPer100.toFixed(1)} | ${r.latePer100.toFixed(1)} | ${r.billedPerWeek.toFixed(0)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { weeks: { type: 'string' }, seed: { type: 'string' }, 'webhook-failure': { type: 'string' } } });
  const weeks = Number(values.weeks ?? 52);
  const seed = Number(values.seed ?? 1);
  const webhookFailure = Number(values['webhook-failure'] ?? 0.02);
  if (!Number.isInteger(weeks) || weeks < 1) throw new Error(`--weeks must be a positive integer, got ${values.weeks}`);
  if (!(webhookFailure >= 0 && webhookFailure <= 1)) throw new Error(`--webhook-failure must be between 0 and 1, got ${values['webhook-failure']}`);
  const rows = await simulate({ weeks, seed, webhookFailure });
  process.stdout.write(`${weeks} weeks at 12:00 UTC and ${weeks} at 13:00 UTC, seed ${seed}; schedules from ${'.github/workflows/submit.yml'} and ${'.github/workflow-templates/daily-rounds.yml'}\n\n`);
  process.stdout.write(`${table(rows)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`simulate: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
