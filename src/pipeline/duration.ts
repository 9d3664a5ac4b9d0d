/** Durations as participants write them in workflow inputs and flags (`45m`, `90s`, `1h30m`), and as the run prints them. */

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000 };

/** The longest wait that makes sense: a GitHub-hosted job is cancelled after 6 hours. */
export const MAX_WAIT_MS = 6 * 3_600_000;

/**
 * Milliseconds of a duration such as `45m`, `90s`, `1h30m` or `0`. `where` names the input or flag in the error,
 * e.g. `input "wait-for-round"`.
 */
export function parseDuration(text: string, where: string): number {
  const value = text.trim().toLowerCase();
  const valid = 'Valid: a duration such as 45m, 90s, 1h30m, or 0 (no wait)';
  if (value === '' || value === '0') return 0;
  const parts = /^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$/.exec(value);
  if (!parts || (parts[1] === undefined && parts[2] === undefined && parts[3] === undefined)) {
    const hint = /^\d+$/.test(value) ? ` (a number needs a unit: ${value}m or ${value}s)` : '';
    throw new RangeError(`${where}: "${text.trim()}" is not a duration${hint}. ${valid}.`);
  }
  const ms = Number(parts[1] ?? 0) * UNIT_MS.h + Number(parts[2] ?? 0) * UNIT_MS.m + Number(parts[3] ?? 0) * UNIT_MS.s;
  if (ms > MAX_WAIT_MS) {
    throw new RangeError(`${where}: "${text.trim()}" is longer than 6h, the longest a GitHub-hosted job may run. ${valid}.`);
  }
  return ms;
}

/** "2 h 41 min", "19 min", "45 s": minutes and hours rounded down, seconds only under a minute. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours === 0 ? `${days} d` : `${days} d ${restHours} h`;
}
