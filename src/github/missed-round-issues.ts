/**
 * One GitHub issue per model that is missing rounds, separate from the failure issues (its own marker): opened when
 * the model's latest expected round was missed, commented on when a newer round is missed, closed once the model has
 * submitted on time again. It is driven by the report's `recentRounds` (Numerai's own records), so it also tells about
 * rounds in which no run started at all, which no failure issue can. GitHub failures are warnings, as for the
 * failure issues (IssueWriter).
 */
import type { ModelRoundsReport, RecentRoundsReport, RunReport } from '../pipeline/report.js';
import { listRounds } from '../pipeline/lookback.js';
import { DEFAULT_ISSUE_LABEL, IssueWriter, decodeMarkerName, type FailureIssueOptions, type IssueLink, type OpenIssue } from './failure-issues.js';
import { createSanitizer, inlineText } from './sanitize.js';

const MARKER_PATTERN = /<!-- numerai-autopilot:missed-rounds=([^\s>]+) last=(\d+) -->/;

/** The hidden marker of a model's missed-round issue; `last` is the newest missed round the issue has told about. */
export function missedRoundsMarker(model: string, last: number): string {
  return `<!-- numerai-autopilot:missed-rounds=${encodeURIComponent(model)} last=${last} -->`;
}

export interface MissedIssueSyncResult {
  links: Record<string, IssueLink>;
  failures: number;
}

interface MissedIssue extends OpenIssue {
  last: number;
}

/** Where the model stands: the newest missed round, and whether an on-time submission came after it. */
export function missedState(model: ModelRoundsReport): { latestMiss: number | null; latestOnTime: number | null; behind: boolean } {
  const latestMiss = model.missed.length > 0 ? Math.max(...model.missed) : null;
  const onTime = model.rounds.filter((r) => r.outcome === 'on-time').map((r) => r.number);
  if (model.current?.outcome === 'on-time') onTime.push(model.current.number);
  const latestOnTime = onTime.length > 0 ? Math.max(...onTime) : null;
  return { latestMiss, latestOnTime, behind: latestMiss !== null && (latestOnTime === null || latestMiss > latestOnTime) };
}

export async function syncMissedRoundIssues(report: RunReport, options: FailureIssueOptions): Promise<MissedIssueSyncResult> {
  const { owner, repo, logger } = options;
  const label = options.label ?? DEFAULT_ISSUE_LABEL;
  const result: MissedIssueSyncResult = { links: {}, failures: 0 };
  const recent = report.recentRounds;
  if (report.dryRun || !recent || recent.error || recent.models.length === 0) return result;
  const sanitize = createSanitizer(options.secrets);
  const writer = new IssueWriter(options, label, sanitize, result);

  let open: Map<string, MissedIssue>;
  try {
    open = await listMissedIssues(options, label);
  } catch (error) {
    writer.fail(`list the open missed-round issues of ${owner}/${repo}`, error);
    return result;
  }

  for (const model of recent.models) {
    if (writer.writesBlocked) break;
    const state = missedState(model);
    const existing = open.get(model.model);
    try {
      if (state.behind && !existing) {
        result.links[model.model] = await writer.open(title(model), body(model, recent, options.run.url));
        logger.log('info', `Opened issue #${result.links[model.model].number}: ${model.model} missed ${listRounds(model.missed)}.`, { model: model.model });
      } else if (state.behind && existing && state.latestMiss! > existing.last) {
        const fresh = model.missed.filter((n) => n > existing.last);
        result.links[model.model] = await writer.comment(existing, `Missed ${listRounds(fresh)} too (no on-time submission in Numerai's records). [Run](${options.run.url})`);
        await writer.editBody(existing, body(model, recent, options.run.url));
        logger.log('info', `Commented on issue #${existing.number}: ${model.model} missed ${listRounds(fresh)}.`, { model: model.model });
      } else if (!state.behind && existing) {
        result.links[model.model] = await writer.close(
          existing,
          `Model **${inlineText(model.model)}** submitted on time in round **${state.latestOnTime}**. Closing this issue. [Run](${options.run.url})`,
        );
        logger.log('info', `Closed issue #${existing.number}: ${model.model} is on time again.`, { model: model.model });
      }
    } catch (error) {
      writer.fail(`update the missed-round issue of ${model.model}`, error, model.model);
    }
  }
  return result;
}

async function listMissedIssues(options: Pick<FailureIssueOptions, 'client' | 'owner' | 'repo'>, label: string): Promise<Map<string, MissedIssue>> {
  const { client, owner, repo } = options;
  const issues = await client.paginate(client.rest.issues.listForRepo, { owner, repo, state: 'open', labels: label, per_page: 100 });
  const byModel = new Map<string, MissedIssue>();
  for (const issue of [...issues].sort((a, b) => a.number - b.number)) {
    if (issue.pull_request) continue;
    const match = MARKER_PATTERN.exec(issue.body ?? '');
    if (!match) continue;
    const model = decodeMarkerName(match[1]);
    if (!byModel.has(model)) byModel.set(model, { number: issue.number, html_url: issue.html_url, last: Number(match[2]) });
  }
  return byModel;
}

function title(model: ModelRoundsReport): string {
  return `Numerai Autopilot: model ${model.model} missed ${listRounds(model.missed)}`;
}

const OUTCOME_TEXT = { 'on-time': '✅ on time', late: '⚠️ late (after closeStakingTime: not staked)', missed: '❌ missed (no submission)' } as const;

function body(model: ModelRoundsReport, recent: RecentRoundsReport, runUrl: string): string {
  const which = recent.expect === 'weekend' ? 'rounds opening on Saturday (`expect-rounds: weekend`)' : 'every round, Tuesday to Saturday (`expect-rounds: all`)';
  const latest = Math.max(...model.missed);
  return [
    missedRoundsMarker(model.model, latest),
    `Model **${inlineText(model.model)}** has no on-time submission for ${listRounds(model.missed)}, according to Numerai's own records of ` +
      `its submissions. It is expected to answer ${which}.`,
    '',
    '| Round | What Numerai has |',
    '|---|---|',
    ...model.rounds.map((r) => `| ${r.number} | ${OUTCOME_TEXT[r.outcome]} |`),
    '',
    '### What to check',
    '',
    '- **Did a run start for the round?** GitHub starts scheduled runs minutes to hours late and sometimes drops them; in a public ' +
      'repository it switches schedules off after 60 days without activity. Look at the workflow\'s runs under **Actions**.',
    '- **Did the run fail?** A failing model has its own issue, labelled like this one.',
    '- A missed round cannot be submitted afterwards: an upload after the deadline is late and not staked.',
    '- To start runs on time: several schedule times with `wait-for-round`, or the round-open webhook (see the README, "Weekly or daily").',
    '',
    `Last checked by [this run](${runUrl}). This issue gets a comment when a newer round is missed and is closed automatically once the model submits on time again.`,
  ].join('\n');
}
