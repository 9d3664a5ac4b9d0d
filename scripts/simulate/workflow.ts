/**
 * The schedules of the shipped workflow files, read from the files themselves (never copied): each `on.schedule`
 * cron line, and how long a run started by it waits for the round (`wait-for-round` of the autopilot step: a plain
 * duration, or the `${{ github.event.schedule == '<cron>' && '<duration>' || '<duration>' }}` idiom that gives the
 * early crons a wait).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseDuration } from '../../src/pipeline/duration.js';

export interface ScheduledRun {
  cron: string;
  /** How long a run started by this cron waits for the round, ms. */
  waitMs: number;
}

export interface WorkflowSchedule {
  file: string;
  runs: ScheduledRun[];
  /** expect-rounds as the workflow sets it (weekend when not set). */
  expectRounds: 'weekend' | 'all';
}

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

export function readWorkflowSchedule(file: string): WorkflowSchedule {
  const doc = parse(readFileSync(file, 'utf8')) as { on?: { schedule?: { cron: string }[] }; jobs?: Record<string, { steps?: Step[] }> };
  const crons = (doc.on?.schedule ?? []).map((s) => s.cron);
  if (crons.length === 0) throw new Error(`${file}: no on.schedule cron lines`);
  const steps = Object.values(doc.jobs ?? {}).flatMap((job) => job.steps ?? []);
  const step = steps.find((s) => typeof s.with?.['public-id'] === 'string');
  if (!step) throw new Error(`${file}: no step with a public-id input (the autopilot step)`);
  const wait = String(step.with?.['wait-for-round'] ?? '0');
  const expect = String(step.with?.['expect-rounds'] ?? 'weekend');
  if (expect !== 'weekend' && expect !== 'all') throw new Error(`${file}: expect-rounds "${expect}" is neither weekend nor all`);
  return { file, runs: crons.map((cron) => ({ cron, waitMs: waitFor(wait, cron, file) })), expectRounds: expect };
}

/** The wait of one cron: a literal duration, or the schedule-comparison expression. */
export function waitFor(value: string, cron: string, file: string): number {
  const expression = /^\$\{\{(.*)\}\}$/s.exec(value.trim());
  if (!expression) return parseDuration(value, `${file}: wait-for-round`);
  const body = expression[1];
  for (const m of body.matchAll(/github\.event\.schedule\s*==\s*'([^']+)'\s*&&\s*'([^']*)'/g)) {
    if (m[1].trim() === cron.trim()) return parseDuration(m[2], `${file}: wait-for-round`);
  }
  const fallback = /\|\|\s*'([^']*)'\s*$/.exec(body.trim());
  if (!fallback) throw new Error(`${file}: wait-for-round "${value}" is an expression this simulator cannot read`);
  return parseDuration(fallback[1], `${file}: wait-for-round`);
}

/** The values one cron field allows: `*`, `5`, `1-5`, `2,4`, `*\/15`, `10-40/10`, within [min, max]. */
function fieldValues(field: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let [lo, hi] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(Number) : [Number(range), stepText ? max : Number(range)];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || !Number.isInteger(step) || step < 1) throw new Error(`cron field "${field}" is not understood`);
    lo = Math.max(lo, min);
    hi = Math.min(hi, max);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
}

function parseCron(cron: string): CronFields {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${cron}" does not have five fields`);
  const weekdays = fieldValues(fields[4], 0, 7);
  if (weekdays.has(7)) weekdays.add(0);
  return { minutes: fieldValues(fields[0], 0, 59), hours: fieldValues(fields[1], 0, 23), days: fieldValues(fields[2], 1, 31), months: fieldValues(fields[3], 1, 12), weekdays };
}

/** Whether a five-field cron line fires at this minute (UTC). Day of week 0 or 7 is Sunday. */
export function cronFires(cron: string, at: Date): boolean {
  const c = parseCron(cron);
  return c.minutes.has(at.getUTCMinutes()) && c.hours.has(at.getUTCHours()) && c.days.has(at.getUTCDate()) && c.months.has(at.getUTCMonth() + 1) && c.weekdays.has(at.getUTCDay());
}

/** Every time a cron fires between two instants (UTC), in order. */
export function cronTimes(cron: string, from: number, to: number): number[] {
  const c = parseCron(cron);
  const out: number[] = [];
  const DAY = 86_400_000;
  for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
    const d = new Date(day);
    if (!c.days.has(d.getUTCDate()) || !c.months.has(d.getUTCMonth() + 1) || !c.weekdays.has(d.getUTCDay())) continue;
    for (const h of [...c.hours].sort((a, b) => a - b)) {
      for (const m of [...c.minutes].sort((a, b) => a - b)) {
        const t = day + h * 3_600_000 + m * 60_000;
        if (t >= from && t < to) out.push(t);
      }
    }
  }
  return out;
}
