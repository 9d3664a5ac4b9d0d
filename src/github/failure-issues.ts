/**
 * One GitHub issue per failing model: opened on the first failure, commented on when it fails again, commented
 * on and closed when it next succeeds. Issues are found by a label and a hidden marker in the body, listed
 * through the issues API (not search, whose index lags and whose rate limit is low).
 *
 * Issues are a notification, not the job: a read-only token, a rate limit or GitHub being down becomes a
 * warning and leaves the run's result as it was. Every title, body and comment is sanitized against the run's
 * secrets just before it is sent.
 */
import type { Reporter } from '../pipeline/ports.js';
import { messageOf } from '../data/errors.js';
import type { ErrorClass, ModelReport, RunReport } from '../pipeline/report.js';
import type { GitHubClient } from './rest-client.js';
import { createSanitizer, inlineText, truncate, type Sanitize } from './sanitize.js';

export const DEFAULT_ISSUE_LABEL = 'numerai-autopilot';
const LABEL_COLOR = 'd73a4a';
const LABEL_DESCRIPTION = 'A model failed to submit; opened and closed by Numerai Autopilot';
/** GitHub refuses titles over 256 characters and bodies over 65,536. */
const MAX_TITLE_CHARS = 256;
const MAX_BODY_CHARS = 60_000;
export const DEFAULT_MAX_MESSAGE_CHARS = 4000;

export interface WorkflowRun {
  /** Link to the run, e.g. https://github.com/o/r/actions/runs/123/attempts/2. */
  url: string;
  /** GITHUB_WORKFLOW, e.g. "Submit to Numerai": where to find the "Run workflow" button. */
  workflowName?: string;
  /** GITHUB_WORKFLOW_REF, e.g. "o/r/.github/workflows/submit.yml@refs/heads/main": for the `gh workflow run` line. */
  workflowRef?: string;
}

export interface FailureIssueOptions {
  client: GitHubClient;
  owner: string;
  repo: string;
  logger: Pick<Reporter, 'log'>;
  /** Every secret value of the run (Numerai public id and secret key, a custom GitHub token). */
  secrets: string[];
  run: WorkflowRun;
  label?: string;
  /** The error message is cut to this many characters in issue texts. */
  maxMessageChars?: number;
}

export interface IssueLink {
  number: number;
  url: string;
  /** What this run did to the issue. */
  action: 'opened' | 'commented' | 'closed';
}

export interface IssueSyncResult {
  /** Per model name, the issue this run opened, commented on or closed. */
  links: Record<string, IssueLink>;
  /** The issue about the run as a whole (report.error), when this run opened, commented on or closed one. */
  runIssue?: IssueLink;
  /** How many GitHub operations failed (each reported as a warning). */
  failures: number;
}

export interface OpenIssue {
  number: number;
  html_url: string;
}

/** The hidden marker that ties an issue to a model. */
export function issueMarker(model: string): string {
  return `<!-- numerai-autopilot:model=${encodeURIComponent(model)} -->`;
}

const MARKER_PATTERN = /<!-- numerai-autopilot:model=([^\s>]+) -->/;

/** The marker of the issue about a run that failed before reaching the models (wrong keys, no models folder…). */
export const RUN_ISSUE_MARKER = '<!-- numerai-autopilot:run -->';
/** The key of the run issue among the per-model ones (no model name can contain a NUL). */
const RUN_KEY = '\u0000run';

/** `submit.yml` from `owner/repo/.github/workflows/submit.yml@refs/heads/main`. */
export function workflowFileFromRef(ref: string | undefined): string | undefined {
  const match = ref ? /\/\.github\/workflows\/([^@/]+)@/.exec(ref) : null;
  return match?.[1];
}

/**
 * Brings the repository's failure issues in line with a run report. Never throws for a GitHub failure: each one
 * is a warning and counted in `failures`.
 */
export async function syncFailureIssues(report: RunReport, options: FailureIssueOptions): Promise<IssueSyncResult> {
  const { client, owner, repo, logger } = options;
  const label = options.label ?? DEFAULT_ISSUE_LABEL;
  const sanitize = createSanitizer(options.secrets);
  const texts = new IssueTexts(sanitize, options.run, options.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS);
  const result: IssueSyncResult = { links: {}, failures: 0 };

  if (report.dryRun) {
    logger.log('info', 'Dry run: failure issues are neither opened nor closed.');
    return result;
  }
  const failed = report.models.filter((m) => m.status === 'failed');
  const succeeded = report.models.filter((m) => m.status === 'submitted' || m.status === 'skipped');
  // A run that reached its models proves that whatever stopped an earlier run before them is fixed.
  const runRecovered = !report.error && report.models.length > 0;
  if (failed.length === 0 && succeeded.length === 0 && !report.error) return result;

  const writer = new IssueWriter(options, label, sanitize, result);

  let open: Map<string, OpenIssue[]>;
  try {
    open = await listOpenIssues(client, owner, repo, label);
  } catch (error) {
    writer.fail(`list the open "${label}" issues of ${owner}/${repo}`, error);
    return result;
  }
  if (report.error) {
    const existing = open.get(RUN_KEY)?.[0];
    try {
      if (existing) {
        result.runIssue = await writer.comment(existing, texts.runFailedAgain(report));
      } else {
        result.runIssue = await writer.open(texts.runTitle(report), texts.runFailed(report));
        logger.log('info', `Opened issue #${result.runIssue.number} because the run failed before reaching the models.`);
      }
    } catch (error) {
      writer.fail(existing ? `comment on issue #${existing.number} about the failed run` : 'open an issue about the failed run', error);
    }
  }

  if (runRecovered) {
    for (const issue of open.get(RUN_KEY) ?? []) {
      if (writer.writesBlocked) break;
      try {
        result.runIssue = await writer.close(issue, texts.runRecovered(report));
      } catch (error) {
        writer.fail(`close issue #${issue.number} about an earlier failed run`, error);
      }
    }
  }

  for (const model of failed) {
    if (writer.writesBlocked) break;
    const existing = open.get(model.model)?.[0];
    try {
      if (existing) {
        result.links[model.model] = await writer.comment(existing, texts.repeatedFailure(model));
        logger.log('info', `Commented on issue #${existing.number}: ${model.model} failed again.`, { model: model.model });
      } else {
        const opened = await writer.open(texts.title(model), texts.firstFailure(model));
        result.links[model.model] = opened;
        logger.log('info', `Opened issue #${opened.number} for the failure of ${model.model}.`, { model: model.model });
      }
    } catch (error) {
      writer.fail(existing ? `comment on issue #${existing.number} for ${model.model}` : `open an issue for ${model.model}`, error, model.model);
    }
  }

  for (const model of succeeded) {
    for (const issue of open.get(model.model) ?? []) {
      if (writer.writesBlocked) break;
      try {
        result.links[model.model] = await writer.close(issue, texts.recovered(model));
        logger.log('info', `Closed issue #${issue.number}: ${model.model} is submitting again.`, { model: model.model });
      } catch (error) {
        writer.fail(`close issue #${issue.number} for ${model.model}`, error, model.model);
      }
    }
  }
  return result;
}

/**
 * The three things a sync does to an issue (open, comment, close), with the label made on first use and every text
 * sanitized just before it is sent; and the one way a GitHub failure is reported: a warning, counted, and after a
 * 401/403 (a token without `issues: write`) one explanation and no further writes. Shared by the failure issues and
 * the missed-round issues.
 */
export class IssueWriter {
  writesBlocked = false;
  private labelReady = false;

  constructor(
    private readonly options: Pick<FailureIssueOptions, 'client' | 'owner' | 'repo' | 'logger'>,
    private readonly label: string,
    private readonly sanitize: Sanitize,
    private readonly result: { failures: number },
    private readonly labelDescription = LABEL_DESCRIPTION,
  ) {}

  fail(what: string, error: unknown, model?: string): void {
    const logger = {
      log: (level: 'warning', message: string, context?: { model: string }) =>
        this.options.logger.log(level, this.sanitize(message), context && { model: this.sanitize(context.model) }),
    };
    this.result.failures += 1;
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      if (this.writesBlocked) return;
      this.writesBlocked = true;
      logger.log(
        'warning',
        `Could not ${what}: GitHub answered ${status} (${this.sanitize(messageOf(error))}). The token needs the ` +
          '`issues: write` permission: add `permissions: { contents: read, issues: write }` to the workflow, or set ' +
          'open-issues: false. The run result is not affected.',
        model ? { model } : undefined,
      );
      return;
    }
    logger.log('warning', `Could not ${what}: ${this.sanitize(messageOf(error))}. The run result is not affected.`, model ? { model } : undefined);
  }

  async open(title: string, body: string): Promise<IssueLink> {
    const { client, owner, repo } = this.options;
    await this.ensureLabel();
    const { data } = await client.rest.issues.create({
      owner,
      repo,
      title: truncate(this.sanitize(title), MAX_TITLE_CHARS),
      body: this.sanitize(body),
      labels: [this.label],
    });
    return { number: data.number, url: data.html_url, action: 'opened' };
  }

  async comment(issue: OpenIssue, body: string): Promise<IssueLink> {
    const { client, owner, repo } = this.options;
    await client.rest.issues.createComment({ owner, repo, issue_number: issue.number, body: this.sanitize(body) });
    return { number: issue.number, url: issue.html_url, action: 'commented' };
  }

  async close(issue: OpenIssue, body: string): Promise<IssueLink> {
    const { client, owner, repo } = this.options;
    await this.comment(issue, body);
    await client.rest.issues.update({ owner, repo, issue_number: issue.number, state: 'closed', state_reason: 'completed' });
    return { number: issue.number, url: issue.html_url, action: 'closed' };
  }

  /** Replace an issue's body (kept in step with what the issue has reported so far). */
  async editBody(issue: OpenIssue, body: string): Promise<void> {
    const { client, owner, repo } = this.options;
    await client.rest.issues.update({ owner, repo, issue_number: issue.number, body: truncate(this.sanitize(body), MAX_BODY_CHARS) });
  }

  private async ensureLabel(): Promise<void> {
    const { client, owner, repo } = this.options;
    if (this.labelReady) return;
    this.labelReady = true;
    try {
      await client.rest.issues.getLabel({ owner, repo, name: this.label });
      return;
    } catch (error) {
      if (statusOf(error) !== 404) return; // Creating the issue will tell whether labels work at all.
    }
    try {
      await client.rest.issues.createLabel({ owner, repo, name: this.label, color: LABEL_COLOR, description: this.labelDescription });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }
}

/** Open issues carrying the label, by the model their marker names, oldest first; pull requests left out. */
async function listOpenIssues(client: GitHubClient, owner: string, repo: string, label: string): Promise<Map<string, OpenIssue[]>> {
  const issues = await client.paginate(client.rest.issues.listForRepo, { owner, repo, state: 'open', labels: label, per_page: 100 });
  const byModel = new Map<string, OpenIssue[]>();
  for (const issue of issues) {
    if (issue.pull_request) continue;
    const body = issue.body ?? '';
    const match = MARKER_PATTERN.exec(body);
    const model = match ? decodeMarkerName(match[1]) : body.startsWith(RUN_ISSUE_MARKER) ? RUN_KEY : undefined;
    if (model === undefined) continue;
    const list = byModel.get(model) ?? [];
    list.push({ number: issue.number, html_url: issue.html_url });
    byModel.set(model, list);
  }
  for (const list of byModel.values()) list.sort((a, b) => a.number - b.number);
  return byModel;
}

/** What to look at first, per error class. */
const HINTS: Record<ErrorClass, string> = {
  ConfigError: 'The model\'s folder or `model.yml` is invalid. Run `numerai-autopilot check` locally; the message names the file and field.',
  AccountError:
    'Numerai did not accept the account or model: check that the model name matches a model of the account, and that the ' +
    '`NUMERAI_PUBLIC_ID` / `NUMERAI_SECRET_KEY` secrets hold a key with the "upload submissions" scope.',
  DataError: 'A dataset file was missing, corrupt or unreadable. A rerun downloads it again; if it persists, check the `dataset` version in `model.yml`.',
  ModelError: 'The ONNX file could not be loaded or run with the features given. Check the export (input width, output name) with `numerai-autopilot check`.',
  PredictionError: 'The predictions break Numerai\'s rules (NaN, constant, out of range or missing ids). Check the model\'s output and `postprocess` setting.',
  SubmissionRejected: 'Numerai refused the upload; its message above says why.',
  NetworkError: 'Numerai or the network failed repeatedly. This is usually transient: rerun the workflow.',
  InternalError: 'An unexpected error inside Numerai Autopilot. Rerun once; if it repeats, please report it with this message.',
};

/** Builds the texts of issues and comments. Everything it returns is sanitized again before sending. */
class IssueTexts {
  constructor(
    private readonly sanitize: Sanitize,
    private readonly run: WorkflowRun,
    private readonly maxMessageChars: number,
  ) {}

  title(model: ModelReport): string {
    return `Numerai Autopilot: model ${model.model} failed in round ${model.round}`;
  }

  firstFailure(model: ModelReport): string {
    const body = [
      issueMarker(model.model),
      `The Numerai submission of model **${inlineText(model.model)}** failed in round **${model.round}**.`,
      '',
      this.facts(model),
      '',
      this.message(model),
      '',
      '### What to check',
      '',
      HINTS[model.errorClass ?? 'InternalError'],
      '',
      '### Rerun',
      '',
      this.rerun(model),
      '',
      'This issue gets a comment if the model fails again and is closed automatically when it next submits.',
    ].join('\n');
    return truncate(body, MAX_BODY_CHARS);
  }

  repeatedFailure(model: ModelReport): string {
    return truncate(
      [`Failed again in round **${model.round}**.`, '', this.facts(model), '', this.message(model)].join('\n'),
      MAX_BODY_CHARS,
    );
  }

  recovered(model: ModelReport): string {
    const what =
      model.status === 'submitted'
        ? `Model **${inlineText(model.model)}** submitted for round **${model.round}**${model.submissionId ? ` (submission \`${inlineText(model.submissionId)}\`)` : ''}.`
        : `Model **${inlineText(model.model)}** has a submission for round **${model.round}**${model.reason ? ` (${model.reason})` : ''}.`;
    return `${what} Closing this issue. [Run](${this.run.url})`;
  }

  runTitle(report: RunReport): string {
    return `Numerai Autopilot: the run failed before reaching the models (${report.error?.errorClass ?? 'InternalError'})`;
  }

  runFailed(report: RunReport): string {
    const error = report.error;
    return truncate(
      [
        RUN_ISSUE_MARKER,
        'A Numerai Autopilot run stopped before it could submit any model, so **no model was submitted** by it.',
        '',
        this.runFacts(report),
        '',
        this.fenced(error?.message),
        '',
        '### What to check',
        '',
        HINTS[error?.errorClass ?? 'InternalError'],
        '',
        `After fixing the cause, run the workflow again (**Actions → ${inlineText(this.run.workflowName ?? '(this workflow)')} → Run workflow**, or **Re-run all jobs** on [the run](${this.run.url})).`,
        '',
        'This issue gets a comment if a run fails this way again and is closed automatically by the next run that reaches the models.',
      ].join('\n'),
      MAX_BODY_CHARS,
    );
  }

  runFailedAgain(report: RunReport): string {
    return truncate([`The run failed again before reaching the models.`, '', this.runFacts(report), '', this.fenced(report.error?.message)].join('\n'), MAX_BODY_CHARS);
  }

  runRecovered(report: RunReport): string {
    const round = report.round === null ? '' : ` in round **${report.round}**`;
    return `A run reached the models again${round}. Closing this issue. [Run](${this.run.url})`;
  }

  private runFacts(report: RunReport): string {
    return [
      '| | |',
      '|---|---|',
      `| Round | ${report.round ?? '—'} |`,
      `| Stage | ${report.error?.stage ?? '—'} |`,
      `| Error | \`${report.error?.errorClass ?? 'InternalError'}\` |`,
      `| Run | [${this.run.url}](${this.run.url}) |`,
    ].join('\n');
  }

  private facts(model: ModelReport): string {
    return [
      '| | |',
      '|---|---|',
      `| Model | \`${inlineText(model.model)}\` |`,
      `| Round | ${model.round} |`,
      `| Stage | ${model.stage} |`,
      `| Error | \`${model.errorClass ?? 'InternalError'}\` |`,
      `| Run | [${this.run.url}](${this.run.url}) |`,
    ].join('\n');
  }

  private message(model: ModelReport): string {
    return this.fenced(model.message);
  }

  /** An error message, sanitized, then cut to length, in a fence it cannot close early. */
  private fenced(message: string | undefined): string {
    const text = truncate(this.sanitize(message ?? '(no message)'), this.maxMessageChars);
    const longestRun = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = '`'.repeat(Math.max(3, longestRun + 1));
    return `${fence}text\n${text}\n${fence}`;
  }

  private rerun(model: ModelReport): string {
    const file = workflowFileFromRef(this.run.workflowRef);
    const where = this.run.workflowName ? `**Actions → ${inlineText(this.run.workflowName)} → Run workflow**` : '**Actions → (this workflow) → Run workflow**';
    const lines = [
      `After fixing the cause, submit just this model from ${where} with \`models\` set to \`${inlineText(model.model)}\``,
      `(the run skips models that already have a submission for the round unless \`force\` is set).`,
    ];
    if (file) lines.push('', 'From a terminal:', '', '```sh', `gh workflow run ${file} -f models=${model.model}`, '```');
    lines.push('', `A transient failure can also be retried with **Re-run failed jobs** on [the run](${this.run.url}).`);
    return lines.join('\n');
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isAlreadyExists(error: unknown): boolean {
  if (statusOf(error) !== 422) return false;
  const errors = (error as { response?: { data?: { errors?: { code?: string }[] } } }).response?.data?.errors ?? [];
  return errors.some((e) => e.code === 'already_exists');
}

/** The model name a marker carries (URI-encoded, so that any name fits); a malformed one is taken as written. */
export function decodeMarkerName(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
