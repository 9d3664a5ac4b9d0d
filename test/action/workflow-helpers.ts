/** Parsing helpers shared by the action.yml and workflow tests: GitHub's own parser, plus the raw YAML. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow, type WorkflowTemplate } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction, type ActionTemplate } from '@actions/workflow-parser/actions/index';
import { parse as parseYaml } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Parsed<T> {
  template: T;
  /** The plain YAML document, for what the template model leaves out (permissions, step inputs). */
  raw: Record<string, unknown>;
}

/** Parses a workflow with GitHub's workflow parser; throws with every schema error it finds. */
export async function parseWorkflowFile(relative: string): Promise<Parsed<WorkflowTemplate>> {
  const content = fs.readFileSync(path.join(ROOT, relative), 'utf8');
  const result = parseWorkflow({ name: relative, content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || !result.value) throw new Error(`${relative} is not a valid workflow:\n${errors.join('\n')}`);
  const template = await convertWorkflowTemplate(result.context, result.value);
  if (template.errors?.length) throw new Error(`${relative}: ${template.errors.map((e) => e.Message).join('\n')}`);
  return { template, raw: parseYaml(content) as Record<string, unknown> };
}

/** Parses an action metadata file with GitHub's action schema; throws with every error it finds. */
export function parseActionFile(relative: string): Parsed<ActionTemplate> {
  const content = fs.readFileSync(path.join(ROOT, relative), 'utf8');
  const result = parseAction({ name: relative, content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || !result.value) throw new Error(`${relative} is not valid action metadata:\n${errors.join('\n')}`);
  return { template: convertActionTemplate(result.context, result.value), raw: parseYaml(content) as Record<string, unknown> };
}

/**
 * The waits of a `wait-for-round` expression that picks one per cron, e.g.
 * `${{ github.event.schedule == '13 12 * * 6' && '55m' || '0' }}` → { '13 12 * * 6': 55 } (minutes) and the
 * fallback's minutes (for every other cron and for runs started by hand).
 */
export function waitsByCron(expression: string): { waits: Map<string, number>; otherwise: number } {
  const body = /^\$\{\{\s*(.*?)\s*\}\}$/s.exec(expression.trim());
  if (!body) throw new Error(`wait-for-round "${expression}" is not an expression`);
  const waits = new Map<string, number>();
  const parts = body[1].split('||').map((part) => part.trim());
  const fallback = parts.pop()!;
  for (const part of parts) {
    const m = /^github\.event\.schedule == '([^']+)' && '([^']+)'$/.exec(part);
    if (!m) throw new Error(`wait-for-round: cannot read "${part}"`);
    waits.set(m[1], minutesOf(m[2]));
  }
  const last = /^'([^']+)'$/.exec(fallback);
  if (!last) throw new Error(`wait-for-round: the fallback "${fallback}" is not a quoted duration`);
  return { waits, otherwise: minutesOf(last[1]) };
}

function minutesOf(duration: string): number {
  const m = /^(\d+)(m|h)?$/.exec(duration);
  if (!m) throw new Error(`"${duration}" is not a duration like 45m`);
  return Number(m[1]) * (m[2] === 'h' ? 60 : m[2] === 'm' ? 1 : 0);
}

/** Expands one cron field (numbers, `*`, lists, ranges, steps) into the values it matches. */
export function cronField(field: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    const [from, to] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(Number) : [Number(range), stepText ? max : Number(range)];
    if (![from, to, step].every(Number.isInteger) || from < min || to > max || from > to || step < 1) throw new Error(`bad cron field "${field}"`);
    for (let value = from; value <= to; value += step) values.add(value === 7 && max === 7 ? 0 : value);
  }
  return [...values].sort((a, b) => a - b);
}

/** Every (day of week, hour, minute) a 5-field cron expression fires at. Day of month and month must be `*`. */
export function cronTimes(expression: string): { day: number; hour: number; minute: number }[] {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expression}" needs 5 fields`);
  const [minutes, hours, dayOfMonth, month, days] = fields;
  if (dayOfMonth !== '*' || month !== '*') throw new Error(`cron "${expression}": a round schedule is weekly`);
  const times = [];
  for (const day of cronField(days, 0, 7)) for (const hour of cronField(hours, 0, 23)) for (const minute of cronField(minutes, 0, 59)) times.push({ day, hour, minute });
  return times;
}

/**
 * Whether a Classic round may take submissions at this UTC time, by the published schedules (reference
 * numerai-api.md §7, triggers-scores-platforms.md §2): rounds open at 12:00 or 13:00 UTC, Tue–Fri for one hour,
 * Saturday until Sunday 14:00. The action itself reads the window from the API; this only keeps the shipped
 * schedules sensible.
 */
export function insideRoundWindow({ day, hour, minute }: { day: number; hour: number; minute: number }): boolean {
  const minutes = hour * 60 + minute;
  if (day >= 2 && day <= 5) return minutes >= 12 * 60 && minutes < 14 * 60;
  if (day === 6) return minutes >= 12 * 60;
  if (day === 0) return minutes < 14 * 60;
  return false;
}
