/**
 * Keeping the schedule on. In a public repository GitHub switches scheduled workflows off after 60 days without
 * repository activity, and the participant finds out when rounds have been missed. Two ways this helps:
 * - with `keep-schedule-alive`, each run re-enables its own workflow (PUT …/actions/workflows/{file}/enable, which
 *   needs `permissions: actions: write`); a refusal is a warning, never a failed run;
 * - without it, when the repository is public and its last push is more than 45 days old, the run warns, with the
 *   date, that GitHub will switch the schedule off.
 * The repository's visibility and last push come from the event payload when it carries them (no request), else
 * from one REST call. What is known about the re-enable call and GitHub's clock is in docs/action.md.
 */
import { readFile } from 'node:fs/promises';
import { messageOf } from '../data/errors.js';
import type { Reporter } from '../pipeline/ports.js';
import type { GitHubClient } from './rest-client.js';

/** GitHub's limit: scheduled workflows of a public repository stop after this long without activity. */
export const SCHEDULE_OFF_AFTER_DAYS = 60;
/** Warn this long after the last push (15 days before the switch-off; GitHub's own notice comes later). */
export const WARN_AFTER_DAYS = 45;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RepositoryActivity {
  visibility: 'public' | 'private' | 'internal';
  /** The repository's last push (any branch), GitHub's `pushed_at`. */
  pushedAt: Date;
  /** Where it was read: the event payload, or the REST API. */
  source: 'event' | 'api';
}

export type KeepaliveOutcome =
  | { kind: 'enabled'; workflow: string }
  | { kind: 'refused'; workflow: string; status: number; message: string }
  | { kind: 'failed'; workflow: string | null; message: string };

/** What the job summary says about the schedule (nothing when both parts are absent). */
export interface ScheduleNote {
  keepalive?: KeepaliveOutcome;
  /** Set when the schedule will be switched off: the day GitHub does it, and the last push it counts from. */
  switchOff?: SwitchOff;
}

export interface SwitchOff {
  on: Date;
  lastPush: Date;
  /** The day is past: GitHub has probably switched the schedule off already (this run was started another way). */
  passed: boolean;
}

export interface ScheduleCheckOptions {
  keepAlive: boolean;
  client: GitHubClient | null;
  repository: { owner: string; repo: string } | null;
  /** GITHUB_WORKFLOW_REF, e.g. "octo/models/.github/workflows/submit.yml@refs/heads/main". */
  workflowRef: string;
  /** GITHUB_EVENT_PATH: the event payload's file ('' when unknown). */
  eventPath: string;
  logger: Pick<Reporter, 'log'>;
  now?: Date;
}

/**
 * Re-enables the workflow (keep-schedule-alive), or else checks how long the public repository has been quiet.
 * Never throws: every GitHub failure is a warning.
 */
export async function checkSchedule(options: ScheduleCheckOptions): Promise<ScheduleNote> {
  const { client, repository, logger } = options;
  if (!client || !repository) {
    if (options.keepAlive) logger.log('warning', 'keep-schedule-alive is on, but GITHUB_REPOSITORY or the github-token input is empty: the workflow was not re-enabled.');
    return {};
  }
  const note: ScheduleNote = {};
  if (options.keepAlive) {
    note.keepalive = await reenableWorkflow(client, repository, options.workflowRef, logger);
    if (note.keepalive.kind === 'enabled') return note;
  }
  const activity = await repositoryActivity(options.eventPath, client, repository, logger);
  const now = options.now ?? new Date();
  const switchOff = activity && switchOffDate(activity, now);
  if (switchOff) {
    note.switchOff = { on: switchOff, lastPush: activity.pushedAt, passed: switchOff.getTime() <= now.getTime() };
    logger.log('warning', switchOffWarning(note.switchOff));
  }
  return note;
}

/** The warning (and summary line) for a schedule GitHub is about to switch off. */
export function switchOffWarning(switchOff: SwitchOff): string {
  const why =
    `in a public repository, scheduled workflows stop after ${SCHEDULE_OFF_AFTER_DAYS} days without activity, and ` +
    `the last push was on ${day(switchOff.lastPush)}`;
  const keepAlive = 'set keep-schedule-alive: true (with `permissions: actions: write`)';
  return switchOff.passed
    ? `GitHub has probably switched this workflow's schedule off on ${day(switchOff.on)}: ${why}. Re-enable the ` +
        `workflow under Actions (or push a commit), and ${keepAlive} to keep it on.`
    : `GitHub will switch this workflow's schedule off on ${day(switchOff.on)}: ${why}. Push a commit before then, ` +
        `or ${keepAlive}.`;
}

/** The day GitHub switches the schedule off, when the repository is public and quiet for more than 45 days. */
export function switchOffDate(activity: RepositoryActivity, now: Date): Date | null {
  if (activity.visibility !== 'public') return null;
  if (now.getTime() - activity.pushedAt.getTime() <= WARN_AFTER_DAYS * DAY_MS) return null;
  return new Date(activity.pushedAt.getTime() + SCHEDULE_OFF_AFTER_DAYS * DAY_MS);
}

/** "submit.yml" from "octo/models/.github/workflows/submit.yml@refs/heads/main"; null when it is not one of them. */
export function workflowFileOf(workflowRef: string, repository: { owner: string; repo: string }): string | null {
  const prefix = `${repository.owner}/${repository.repo}/.github/workflows/`;
  const at = workflowRef.lastIndexOf('@');
  const path = at < 0 ? workflowRef : workflowRef.slice(0, at);
  if (!path.toLowerCase().startsWith(prefix.toLowerCase())) return null;
  const file = path.slice(prefix.length);
  return /^[^/]+\.ya?ml$/.test(file) ? file : null;
}

async function reenableWorkflow(
  client: GitHubClient,
  repository: { owner: string; repo: string },
  workflowRef: string,
  logger: Pick<Reporter, 'log'>,
): Promise<KeepaliveOutcome> {
  const workflow = workflowFileOf(workflowRef, repository);
  if (!workflow) {
    const message = `cannot tell this run's workflow file from GITHUB_WORKFLOW_REF ("${workflowRef}")`;
    logger.log('warning', `keep-schedule-alive: ${message}; the workflow was not re-enabled.`);
    return { kind: 'failed', workflow: null, message };
  }
  try {
    await client.rest.actions.enableWorkflow({ ...repository, workflow_id: workflow });
    logger.log('info', `keep-schedule-alive: re-enabled the workflow ${workflow}.`);
    return { kind: 'enabled', workflow };
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const message = messageOf(error);
    if (typeof status === 'number' && (status === 403 || status === 404)) {
      const hint = status === 403 ? 'the job token needs `permissions: actions: write`' : 'GitHub does not know this workflow file';
      logger.log('warning', `keep-schedule-alive: GitHub refused to re-enable ${workflow} (${status} ${message}): ${hint}.`);
      return { kind: 'refused', workflow, status, message };
    }
    logger.log('warning', `keep-schedule-alive: could not re-enable ${workflow}: ${message}.`);
    return { kind: 'failed', workflow, message };
  }
}

/**
 * The repository's visibility and last push: from the event payload (free) when it has both, else one
 * `GET /repos/{owner}/{repo}`. Null (with a debug line) when neither says.
 */
export async function repositoryActivity(
  eventPath: string,
  client: GitHubClient,
  repository: { owner: string; repo: string },
  logger: Pick<Reporter, 'log'>,
): Promise<RepositoryActivity | null> {
  const fromEvent = activityOf((await readPayload(eventPath))?.repository, 'event');
  if (fromEvent) return fromEvent;
  try {
    const { data } = await client.rest.repos.get(repository);
    const fromApi = activityOf(data, 'api');
    if (!fromApi) logger.log('debug', 'The repository answer names no visibility or last push: the schedule age is not checked.');
    return fromApi;
  } catch (error) {
    logger.log('debug', `Could not read the repository's visibility and last push (${messageOf(error)}): the schedule age is not checked.`);
    return null;
  }
}

async function readPayload(eventPath: string): Promise<{ repository?: unknown } | null> {
  if (!eventPath) return null;
  try {
    const payload: unknown = JSON.parse(await readFile(eventPath, 'utf8'));
    return payload && typeof payload === 'object' ? (payload as { repository?: unknown }) : null;
  } catch {
    return null;
  }
}

/** A repository object of a payload or of the REST API; `pushed_at` is ISO text, or Unix seconds in push events. */
function activityOf(repository: unknown, source: RepositoryActivity['source']): RepositoryActivity | null {
  if (!repository || typeof repository !== 'object') return null;
  const { visibility, private: isPrivate, pushed_at: pushed } = repository as Record<string, unknown>;
  const seen =
    visibility === 'public' || visibility === 'private' || visibility === 'internal'
      ? visibility
      : typeof isPrivate === 'boolean'
        ? isPrivate
          ? 'private'
          : 'public'
        : null;
  const pushedAt = typeof pushed === 'number' ? new Date(pushed * 1000) : typeof pushed === 'string' ? new Date(pushed) : null;
  if (!seen || !pushedAt || Number.isNaN(pushedAt.getTime())) return null;
  return { visibility: seen, pushedAt, source };
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
