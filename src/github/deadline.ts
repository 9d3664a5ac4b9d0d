/**
 * A deadline for GitHub-side work. The GitHub clients (@actions/artifact, @actions/cache, Octokit) set no request
 * timeout that covers every step, and @actions/http-client's readBody never settles on a connection cut mid-body:
 * a service that accepts the connection and never answers would hold the job until its 6-hour limit, long after the
 * submissions were done. The abandoned work is not cancelled (the clients take no signal); the action's entry point
 * ends the process when the step is over, so a socket it still holds does not keep the job alive.
 */
import type { Reporter } from '../pipeline/ports.js';

/** How long the artifact upload and the failure-issue sync may take. */
export const REPORTING_DEADLINE_MS = 120_000;

const AFTER_REPORTING = 'going on without it. The submissions are not affected.';

/**
 * `work`'s result, or null with a warning when it has not settled within the deadline (the run goes on). The warning
 * reads "<what> did not finish within <n> s; <consequence>".
 */
export async function withDeadline<T>(
  what: string,
  work: Promise<T>,
  reporter: Pick<Reporter, 'log'>,
  deadlineMs = REPORTING_DEADLINE_MS,
  consequence = AFTER_REPORTING,
): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      reporter.log('warning', `${what} did not finish within ${Math.round(deadlineMs / 1000)} s; ${consequence}`);
      resolve(null);
    }, deadlineMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

