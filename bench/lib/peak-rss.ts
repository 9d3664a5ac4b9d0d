import { readFileSync } from 'node:fs';

/**
 * This process's own peak RSS in bytes: VmHWM of /proc/self/status. `process.resourceUsage().maxRSS` is not usable
 * in a forked child on Linux: the kernel carries the pre-exec high-water mark over exec, so a child of a large parent
 * reports the parent's size. Falls back to maxRSS where /proc is missing.
 */
export function peakRssBytes(): number {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // not Linux: fall through to maxRSS
  }
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return (match ? Number(match[1]) : process.resourceUsage().maxRSS) * 1024;
}
