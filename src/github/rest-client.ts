/**
 * The GitHub REST client the action uses for failure issues: @octokit/rest with the retry plugin (transient 5xx)
 * and the throttling plugin (primary and secondary rate limits, and GitHub's advice to space out requests that
 * create content). Its own log lines go through the run's logger, sanitized.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Reporter } from '../pipeline/ports.js';
import type { Sanitize } from './sanitize.js';

const GitHubOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export interface GitHubClientOptions {
  token: string;
  /** The REST API root: GITHUB_API_URL on a runner (GHES has its own). */
  baseUrl: string;
  logger: Pick<Reporter, 'log'>;
  sanitize: Sanitize;
  /**
   * Milliseconds per second of every wait the plugins compute (Retry-After, backoff). 1000 in production;
   * tests shrink it so rate-limit paths run in milliseconds.
   */
  waitUnitMs?: number;
  /**
   * Space content-creating requests as GitHub asks (writes 1 s apart, issue and comment creation 3 s apart).
   * On by default; tests against an emulator turn it off.
   */
  paceWrites?: boolean;
}

/** How long a rate-limit wait may be before the client gives up on it (a scheduled run should not idle for long). */
const MAX_RATE_LIMIT_WAIT_SECONDS = 120;
const RATE_LIMIT_RETRIES = 2;

/** A throttling group that schedules at once: what `paceWrites: false` puts in place of the pacing groups. */
const UNPACED = { key: () => ({ schedule: <T>(_options: unknown, job: () => Promise<T>) => job() }) };

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const { logger, sanitize } = options;
  const unit = options.waitUnitMs ?? 1000;
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const retrying = retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
    logger.log(
      retrying ? 'info' : 'warning',
      `GitHub ${kind} rate limit hit on ${request.method} ${sanitize(request.url)}; ` +
        (retrying ? `retrying in ${retryAfter} s.` : 'giving up on this request.'),
    );
    return retrying;
  };
  const pacing = options.paceWrites === false ? { write: UNPACED, notifications: UNPACED } : {};
  return new GitHubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'numerai-autopilot',
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => logger.log('warning', sanitize(String(message))),
      // Failed requests are logged here too; their callers report them with context, so keep this to debug.
      error: (message: string) => logger.log('debug', sanitize(String(message))),
    },
    retry: { retryAfterBaseValue: unit, retries: 3 },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: unit,
      ...(pacing as object),
    },
  });
}
