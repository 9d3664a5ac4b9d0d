/**
 * How late the trigger was: when the run started relative to the round it found, and which event started it. The
 * weak link of a scheduled submitter is GitHub's scheduler (runs start minutes to hours late), so every run says it.
 */
import { formatDuration } from './duration.js';
import type { Round } from './ports.js';

/** The report's `trigger` block. */
export interface TriggerReport {
  /** What started the run: schedule, workflow_dispatch, repository_dispatch, … (GITHUB_EVENT_NAME); "cli" from the CLI; null when unknown. */
  event: string | null;
  /** The trigger id Numerai sent with its round-open webhook, when the run was started through it. */
  id?: string;
  /** When the run started (ISO-8601). */
  startedAt: string;
  /** The round the run found; null when none was open. */
  round: number | null;
  /** Seconds from the round's openTime to the start (negative: the run started before the round opened and waited). */
  secondsAfterOpen: number | null;
  /** Seconds from the start to closeStakingTime (negative: the run started after the on-time deadline). */
  secondsBeforeDeadline: number | null;
  /** How long the run waited for the round to open (wait-for-round), seconds. */
  waitedSeconds: number;
}

export function triggerReport(event: string | null, startedAt: Date, round: Round | null, waitedMs = 0): TriggerReport {
  const start = startedAt.getTime();
  return {
    waitedSeconds: Math.round(waitedMs / 1000),
    event,
    startedAt: startedAt.toISOString(),
    round: round?.number ?? null,
    secondsAfterOpen: round ? Math.round((start - round.openTime.getTime()) / 1000) : null,
    secondsBeforeDeadline: round?.closeStakingTime ? Math.round((round.closeStakingTime.getTime() - start) / 1000) : null,
  };
}

/**
 * "started 2 h 41 min after round 1234 opened, 19 min before the on-time deadline (event: schedule)"; null when no
 * round was found.
 */
export function describeTriggerTiming(trigger: TriggerReport): string | null {
  if (trigger.round === null || trigger.secondsAfterOpen === null) return null;
  const sinceOpen = trigger.secondsAfterOpen * 1000;
  const open = sinceOpen >= 0 ? `${formatDuration(sinceOpen)} after round ${trigger.round} opened` : `${formatDuration(sinceOpen)} before round ${trigger.round} opened`;
  let deadline = '';
  if (trigger.secondsBeforeDeadline !== null) {
    const untilDeadline = trigger.secondsBeforeDeadline * 1000;
    deadline = untilDeadline >= 0 ? `, ${formatDuration(untilDeadline)} before the on-time deadline` : `, ${formatDuration(untilDeadline)} after the on-time deadline`;
  }
  return `started ${open}${deadline}${trigger.event ? ` (event: ${trigger.event})` : ''}`;
}

/**
 * The warning for a run that started after the on-time deadline while models of that round still had no
 * submission (their uploads are late, unstaked); null otherwise. `late` names the models that were still pending.
 */
export function lateStartWarning(trigger: TriggerReport | undefined, pending: readonly string[], triggersHelp: string): string | null {
  if (!trigger || !startedLate(trigger) || pending.length === 0) return null;
  const timing = describeTriggerTiming(trigger);
  const scheduled = trigger.event === 'schedule' ? " GitHub's scheduler starts scheduled runs minutes to hours late, and that is the likely cause here." : '';
  return (
    `This run ${timing}, while ${pending.length === 1 ? 'model' : 'models'} ${pending.join(', ')} had no submission for round ${trigger.round}: ` +
    `${pending.length === 1 ? 'its upload is' : 'their uploads are'} late (not staked).${scheduled} See ${triggersHelp} for starting runs on time ` +
    '(several schedule times with wait-for-round, or the round-open webhook).'
  );
}

/** Whether the run started after the on-time deadline. */
export function startedLate(trigger: TriggerReport): boolean {
  return trigger.secondsBeforeDeadline !== null && trigger.secondsBeforeDeadline < 0;
}
