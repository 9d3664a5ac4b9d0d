/**
 * The action: read the settings, plug the GitHub adapters into the pipeline, run it, report. Everything specific
 * to one concern lives in its own module; this file only wires them (like actions/checkout's main.ts).
 */
import * as core from '@actions/core';
import { messageOf } from '../data/errors.js';
import { LocalDatasetStore } from '../store/local.js';
import { createNumeraiClient, describeRetry } from '../numerai/index.js';
import { systemClock, type Reporter } from '../pipeline/ports.js';
import { exitCodeFor, modelsWithStatus, type RunReport } from '../pipeline/report.js';
import { reportPath, runPipeline } from '../pipeline/run.js';
import { uploadRunArtifacts } from './artifacts.js';
import { createActionsCacheStore } from './cache-store.js';
import { withDeadline } from './deadline.js';
import { syncFailureIssues, type FailureIssueOptions } from './failure-issues.js';
import { syncMissedRoundIssues } from './missed-round-issues.js';
import { Outputs } from './constants.js';
import { artifactSuffix, readActionSettings, type ActionSettings } from './inputs.js';
import { createGitHubClient } from './rest-client.js';
import { createSanitizer, type Sanitize } from './sanitize.js';
import { checkSchedule, type ScheduleNote } from './schedule-keepalive.js';
import { annotateFailures, annotateLateStart, writeJobSummary } from './summary.js';

// Re-exported: tests and callers that knew the helper from here keep working.
export { REPORTING_DEADLINE_MS, withDeadline } from './deadline.js';

export async function run(): Promise<void> {
  // Until the settings are read no secret is known to the sanitizer; readActionSettings masks them first thing.
  let sanitize: Sanitize = createSanitizer([]);
  try {
    const settings = readActionSettings();
    sanitize = createSanitizer([settings.pipeline.secretKey, settings.pipeline.publicId, settings.githubToken]);
    const reporter = actionsReporter(sanitize);
    const numerai = createNumeraiClient(settings.pipeline, { onRetry: (event) => reporter.log('info', describeRetry(event)) });
    const store = settings.cache
      ? createActionsCacheStore({ dataDir: settings.pipeline.dataDir, logger: reporter })
      : new LocalDatasetStore(settings.pipeline.dataDir, { logger: reporter });

    const report = await runPipeline(settings.pipeline, { numerai, store, clock: systemClock, reporter, scores: numerai });

    setOutputs(report, settings);
    const issueOptions = issueSyncOptions(settings, reporter, sanitize);
    const issues = issueOptions ? await withDeadline('Updating the failure issues', syncFailureIssues(report, issueOptions), reporter) : null;
    const missed = issueOptions ? await withDeadline('Updating the missed-round issues', syncMissedRoundIssues(report, issueOptions), reporter) : null;
    const schedule = await withDeadline('Checking the schedule', checkRepositorySchedule(settings, reporter, sanitize), reporter);
    const { runId, runAttempt, runUrl } = settings.runner;
    const artifact = settings.uploadArtifacts
      ? await withDeadline(
          'Uploading the artifact',
          uploadRunArtifacts({ report, reportPath: reportPath(settings.pipeline), runId, runAttempt: String(runAttempt), suffix: artifactSuffix(settings), logger: reporter }),
          reporter,
        )
      : null;
    annotateFailures(report, { sanitize });
    annotateLateStart(report, settings.runner);
    await writeJobSummary(report, {
      logger: reporter,
      issues: issues?.links,
      runIssue: issues?.runIssue,
      missedIssues: missed?.links,
      artifact,
      runUrl: runUrl || undefined,
      schedule: schedule ?? undefined,
      sanitize,
    });
    finish(report, settings, sanitize);
  } catch (error) {
    core.setFailed(sanitize(messageOf(error)));
  }
}

function setOutputs(report: RunReport, settings: ActionSettings): void {
  core.setOutput(Outputs.Round, report.round === null ? '' : String(report.round));
  core.setOutput(Outputs.Submitted, JSON.stringify(modelsWithStatus(report, 'submitted')));
  core.setOutput(Outputs.Skipped, JSON.stringify(modelsWithStatus(report, 'skipped')));
  core.setOutput(Outputs.Failed, JSON.stringify(modelsWithStatus(report, 'failed')));
  core.setOutput(Outputs.Report, reportPath(settings.pipeline));
}

/** How the issues are reached (failure and missed-round issues alike); null when issues are off for this run. */
function issueSyncOptions(settings: ActionSettings, reporter: Reporter, sanitize: Sanitize): FailureIssueOptions | null {
  const { repository, apiUrl, runUrl, workflow, workflowRef } = settings.runner;
  if (!settings.openIssues) return null;
  if (!repository || !settings.githubToken) {
    reporter.log('warning', 'Failure issues are off for this run: GITHUB_REPOSITORY or the github-token input is empty.');
    return null;
  }
  const client = createGitHubClient({ token: settings.githubToken, baseUrl: apiUrl, logger: reporter, sanitize });
  return {
    client,
    ...repository,
    logger: reporter,
    secrets: [settings.pipeline.secretKey, settings.pipeline.publicId, settings.githubToken],
    run: { url: runUrl, workflowName: workflow || undefined, workflowRef: workflowRef || undefined },
  };
}

/** keep-schedule-alive, or else the warning that GitHub will switch a quiet public repository's schedule off. */
function checkRepositorySchedule(settings: ActionSettings, reporter: Reporter, sanitize: Sanitize): Promise<ScheduleNote> {
  const { repository, apiUrl, workflowRef, eventPath } = settings.runner;
  const client = repository && settings.githubToken ? createGitHubClient({ token: settings.githubToken, baseUrl: apiUrl, logger: reporter, sanitize }) : null;
  return checkSchedule({ keepAlive: settings.keepScheduleAlive, client, repository, workflowRef, eventPath, logger: reporter });
}

/** fail-on-error decides whether failures fail the step; either way they were reported above. */
function finish(report: RunReport, settings: ActionSettings, sanitize: Sanitize): void {
  if (exitCodeFor(report) === 0) return;
  const failed = modelsWithStatus(report, 'failed');
  const what = report.error
    ? `The run stopped before the models: ${sanitize(report.error.message)}`
    : `${failed.length} of ${report.models.length} models failed: ${failed.join(', ')}. See the job summary for each error.`;
  if (settings.failOnError) core.setFailed(what);
  else core.warning(`${what} (fail-on-error is false, so this step succeeds.)`);
}

/**
 * The pipeline's progress as runner log lines and annotations; every line passes the sanitizer. Errors are logged
 * as plain lines: each failed model gets one titled annotation from annotateFailures and a failed run one from
 * setFailed, and GitHub shows only 10 error annotations per step.
 */
export function actionsReporter(sanitize: Sanitize): Reporter {
  return {
    log(level, message, context) {
      const text = sanitize(context?.model && !message.startsWith(context.model) ? `${context.model}: ${message}` : message);
      if (level === 'debug') core.debug(text);
      else if (level === 'info') core.info(text);
      else if (level === 'notice') core.notice(text);
      else if (level === 'warning') core.warning(text);
      else core.info(`Error: ${text}`);
    },
  };
}
