/**
 * An in-process emulator of the GitHub REST endpoints the failure-issue manager uses: issues (list with
 * labels/state/pagination and Link headers, create, get, update), issue comments, and labels; and the workflow
 * dispatch endpoint the webhook relay calls (204, or 200 with run details; 404 for an unknown workflow; 422 for an
 * unknown ref, a workflow without `workflow_dispatch`, or inputs the workflow does not declare); re-enabling a
 * workflow (`PUT …/actions/workflows/{id}/enable`: 204, 404 for an unknown one); and the repository itself
 * (`GET /repos/{owner}/{repo}`: visibility, last push). It honours the Authorization header and the token's
 * permissions — a token without write access to issues (or to actions) gets GitHub's 403 "Resource not accessible
 * by integration" on such a write — records every request, and serves injected faults (5xx, 403, secondary rate limits with Retry-After,
 * connection resets). Limits and validation messages follow GitHub's answers.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Emulator, parseJson, readBody, type RecordedRequest } from './http-kit.js';

/** 'write' and 'read' cover every scope; an object gives a job token's `permissions:` scope by scope. */
export type TokenMode = 'write' | 'read' | TokenPermissions;
export interface TokenPermissions {
  issues?: 'read' | 'write';
  actions?: 'read' | 'write';
}

/** How GitHub reports a workflow's state (`disabled_inactivity`: switched off after 60 quiet days). */
export type WorkflowState = 'active' | 'disabled_inactivity' | 'disabled_manually' | 'disabled_fork';

export interface GitHubRestOptions {
  owner?: string;
  repo?: string;
  /** Tokens the emulator accepts and what they may do. */
  tokens?: Record<string, TokenMode>;
  /** The repository's workflows by file name (default: none). */
  workflows?: Record<string, WorkflowSpec>;
  /** The repository's branches and tags, for a dispatch's `ref` (default: main). */
  refs?: string[];
  /** What `GET /repos/{owner}/{repo}` says (default: public, last push on 2026-11-20). */
  repository?: { visibility?: 'public' | 'private'; pushedAt?: string };
}

/** One `on.workflow_dispatch.inputs` entry, as a workflow file declares it. */
export interface WorkflowInputSpec {
  type?: 'string' | 'boolean' | 'choice' | 'number' | 'environment';
  required?: boolean;
  default?: string | boolean | number;
  options?: string[];
}

/** A workflow file: `dispatch` is its `on.workflow_dispatch` (null when the workflow has no such trigger). */
export interface WorkflowSpec {
  id?: number;
  dispatch: { inputs?: Record<string, WorkflowInputSpec> } | null;
  /** Default 'active'. */
  state?: WorkflowState;
}

/** A workflow_dispatch event the emulator accepted, as the started run would see it. */
export interface Dispatch {
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  runId: number;
}

export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface Issue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: Label[];
  comments: number;
  html_url: string;
  url: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  user: { login: string };
  pull_request?: { url: string };
}

export interface Comment {
  id: number;
  issueNumber: number;
  body: string;
  html_url: string;
  created_at: string;
  user: { login: string };
}

export const WRITE_TOKEN = 'ghs_emulatorWriteToken0000000000000000';
export const READ_TOKEN = 'ghs_emulatorReadOnlyToken000000000000';
/** The job token of the shipped workflows (`permissions: contents: read, issues: write`): no `actions: write`. */
export const ISSUES_WRITE_TOKEN = 'ghs_emulatorIssuesWriteToken00000000';

const DISPATCH_DOCS = 'https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event';

/** GitHub's limits on issue and comment text. */
const MAX_BODY_CHARS = 65536;
const MAX_TITLE_CHARS = 256;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class GitHubRestEmulator extends Emulator {
  readonly owner: string;
  readonly repo: string;
  private readonly tokens: Record<string, TokenMode>;
  private readonly issueList: Issue[] = [];
  private readonly commentList: Comment[] = [];
  private readonly labelList: Label[] = [];
  private readonly workflows: Map<string, WorkflowSpec & { id: number }>;
  private readonly refs: string[];
  private readonly dispatchList: Dispatch[] = [];
  private readonly repository: { visibility: 'public' | 'private'; pushedAt: string };
  private nextId = 1000;
  private clock = Date.UTC(2026, 10, 28, 13, 0, 0);

  private constructor(options: GitHubRestOptions) {
    super();
    this.owner = options.owner ?? 'octo';
    this.repo = options.repo ?? 'numerai-models';
    this.tokens = options.tokens ?? { [WRITE_TOKEN]: 'write', [READ_TOKEN]: 'read', [ISSUES_WRITE_TOKEN]: { issues: 'write', actions: 'read' } };
    this.workflows = new Map(Object.entries(options.workflows ?? {}).map(([file, spec], i) => [file, { ...spec, id: spec.id ?? 161_000 + i }]));
    this.refs = options.refs ?? ['main'];
    this.repository = { visibility: options.repository?.visibility ?? 'public', pushedAt: options.repository?.pushedAt ?? '2026-11-20T09:00:00Z' };
  }

  static async start(options: GitHubRestOptions = {}): Promise<GitHubRestEmulator> {
    const emulator = new GitHubRestEmulator(options);
    await emulator.server.listen();
    return emulator;
  }

  /** The value for GITHUB_API_URL / Octokit's baseUrl. */
  get apiUrl(): string {
    return this.server.origin;
  }

  /** Requests that change something (anything but GET/HEAD). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  issues(): Issue[] {
    return structuredClone(this.issueList);
  }

  comments(issueNumber?: number): Comment[] {
    return structuredClone(this.commentList.filter((c) => issueNumber === undefined || c.issueNumber === issueNumber));
  }

  labels(): Label[] {
    return structuredClone(this.labelList);
  }

  /** A workflow's state (by file name), e.g. 'active' after a re-enable. */
  workflowState(file: string): WorkflowState | undefined {
    const spec = this.workflows.get(file);
    return spec && (spec.state ?? 'active');
  }

  /** The workflow_dispatch events accepted, oldest first. */
  dispatches(): Dispatch[] {
    return structuredClone(this.dispatchList);
  }

  /** Put an issue (or, with `pullRequest`, a pull request) in the repository, as if someone had opened it. */
  seedIssue(fields: { title: string; body?: string; labels?: string[]; state?: 'open' | 'closed'; pullRequest?: boolean }): Issue {
    const issue = this.newIssue(fields.title, fields.body ?? null, fields.labels ?? []);
    if (fields.pullRequest) issue.pull_request = { url: `${this.apiUrl}/repos/${this.owner}/${this.repo}/pulls/${issue.number}` };
    if (fields.state === 'closed') {
      issue.state = 'closed';
      issue.closed_at = issue.updated_at;
    }
    return structuredClone(issue);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.apiUrl);
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const json = parseJson(raw);
    const route = this.routeOf(method, url.pathname);
    const record: RecordedRequest = {
      method,
      url: req.url ?? '/',
      route: route.name,
      headers: req.headers,
      body: raw.toString('utf8'),
      bodyBytes: raw.length,
      json,
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
      record.status = status;
      res.writeHead(status, {
        // A 204 has no body, so GitHub sends no content type with it.
        ...(status === 204 ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
        'x-ratelimit-limit': '1000',
        'x-ratelimit-remaining': '999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        ...headers,
      });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };

    const fault = this.faults.take(route.name);
    if (fault) {
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'rate-limit') {
        send(
          fault.status ?? 403,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach ' +
              'out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            status: String(fault.status ?? 403),
          },
          { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
        );
        return;
      }
      if (fault.kind === 'status') {
        send(fault.status, {
          message: fault.message ?? (fault.status >= 500 ? 'Server Error' : 'Forbidden'),
          documentation_url: 'https://docs.github.com/rest',
          status: String(fault.status),
        });
        return;
      }
    }

    try {
      const mode = this.authenticate(req.headers.authorization);
      if (route.name === 'unknown') throw new HttpError(404, 'Not Found');
      if (route.owner !== this.owner || route.repo !== this.repo) throw new HttpError(404, 'Not Found');
      const scope = route.name.startsWith('actions.') ? 'actions' : 'issues';
      if (method !== 'GET' && method !== 'HEAD' && !mayWrite(mode, scope)) {
        throw new HttpError(403, 'Resource not accessible by integration', {
          documentation_url: scope === 'actions' ? 'https://docs.github.com/rest/actions/workflows' : 'https://docs.github.com/rest/issues',
        });
      }
      const body = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
      const { status, payload, headers } = this.dispatch(route, url, body);
      send(status, payload, headers);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      send(error.status, {
        message: error.message,
        documentation_url: 'https://docs.github.com/rest',
        status: String(error.status),
        ...error.extra,
      });
    }
  }

  private routeOf(
    method: string,
    pathname: string,
  ): { name: string; owner?: string; repo?: string; number?: number; label?: string; workflow?: string } {
    const repository = /^\/repos\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
    if (repository) {
      return method === 'GET' ? { name: 'repos.get', owner: decodeURIComponent(repository[1]), repo: decodeURIComponent(repository[2]) } : { name: 'unknown' };
    }
    const enable = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/enable\/?$/.exec(pathname);
    if (enable) {
      if (method !== 'PUT') return { name: 'unknown' };
      return { name: 'actions.enableWorkflow', owner: decodeURIComponent(enable[1]), repo: decodeURIComponent(enable[2]), workflow: decodeURIComponent(enable[3]) };
    }
    const dispatch = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/dispatches\/?$/.exec(pathname);
    if (dispatch) {
      if (method !== 'POST') return { name: 'unknown' };
      const [, owner, repo, workflow] = dispatch;
      return { name: 'actions.createWorkflowDispatch', owner: decodeURIComponent(owner), repo: decodeURIComponent(repo), workflow: decodeURIComponent(workflow) };
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)\/(issues|labels)(?:\/([^/]+))?(?:\/(comments))?\/?$/.exec(pathname);
    if (!m) return { name: 'unknown' };
    const [, owner, repo, collection, item, sub] = m;
    const base = { owner: decodeURIComponent(owner), repo: decodeURIComponent(repo) };
    if (collection === 'labels') {
      if (!item && !sub && method === 'POST') return { name: 'issues.createLabel', ...base };
      if (item && !sub && method === 'GET') return { name: 'issues.getLabel', ...base, label: decodeURIComponent(item) };
      return { name: 'unknown' };
    }
    if (!item) {
      if (method === 'GET') return { name: 'issues.listForRepo', ...base };
      if (method === 'POST') return { name: 'issues.create', ...base };
      return { name: 'unknown' };
    }
    const number = Number(item);
    if (!Number.isInteger(number)) return { name: 'unknown' };
    if (sub === 'comments') {
      if (method === 'POST') return { name: 'issues.createComment', ...base, number };
      if (method === 'GET') return { name: 'issues.listComments', ...base, number };
      return { name: 'unknown' };
    }
    if (method === 'GET') return { name: 'issues.get', ...base, number };
    if (method === 'PATCH') return { name: 'issues.update', ...base, number };
    return { name: 'unknown' };
  }

  private authenticate(header: string | undefined): TokenMode {
    if (!header) throw new HttpError(401, 'Requires authentication');
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
    const mode = m ? this.tokens[m[1]] : undefined;
    if (!mode) throw new HttpError(401, 'Bad credentials');
    return mode;
  }

  private dispatch(
    route: ReturnType<GitHubRestEmulator['routeOf']>,
    url: URL,
    body: Record<string, unknown>,
  ): { status: number; payload: unknown; headers?: http.OutgoingHttpHeaders } {
    switch (route.name) {
      case 'issues.listForRepo':
        return this.listIssues(url);
      case 'issues.create':
        return { status: 201, payload: this.createIssue(body) };
      case 'issues.get':
        return { status: 200, payload: this.issue(route.number) };
      case 'issues.update':
        return { status: 200, payload: this.updateIssue(route.number, body) };
      case 'issues.createComment':
        return { status: 201, payload: this.createComment(route.number, body) };
      case 'issues.listComments':
        return this.page(
          url,
          this.commentList.filter((c) => c.issueNumber === route.number).map(({ issueNumber: _n, ...c }) => c),
        );
      case 'issues.createLabel':
        return { status: 201, payload: this.createLabel(body) };
      case 'actions.createWorkflowDispatch':
        return this.createDispatch(route.workflow ?? '', body);
      case 'actions.enableWorkflow': {
        // The workflow's file name or numeric id; re-enabling an active workflow is a no-op, also 204.
        const found = [...this.workflows.entries()].find(([file, spec]) => file === route.workflow || String(spec.id) === route.workflow);
        if (!found) throw new HttpError(404, 'Not Found', { documentation_url: 'https://docs.github.com/rest/actions/workflows#enable-a-workflow' });
        found[1].state = 'active';
        return { status: 204, payload: undefined };
      }
      case 'repos.get':
        return { status: 200, payload: this.repositoryPayload() };
      case 'issues.getLabel': {
        const label = this.findLabel(route.label ?? '');
        if (!label) throw new HttpError(404, 'Not Found');
        return { status: 200, payload: label };
      }
      default:
        throw new HttpError(404, 'Not Found');
    }
  }

  /**
   * POST …/actions/workflows/{workflow_id}/dispatches: `workflow_id` is the file name or the numeric id. GitHub
   * checks, in this order, the workflow, the body's shape, the ref, the trigger, then the inputs (each input's value
   * is a string, a boolean or a number; the run receives them as strings).
   */
  private createDispatch(workflowId: string, body: Record<string, unknown>): { status: number; payload: unknown } {
    const found = [...this.workflows.entries()].find(([file, spec]) => file === workflowId || String(spec.id) === workflowId);
    if (!found) throw new HttpError(404, 'Not Found', { documentation_url: DISPATCH_DOCS });
    const [file, spec] = found;
    if (typeof body.ref !== 'string') throw new HttpError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', { documentation_url: DISPATCH_DOCS });
    const given = body.inputs ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new HttpError(422, 'Invalid request.\n\nFor \'properties/inputs\', "' + String(given) + '" is not an object.', { documentation_url: DISPATCH_DOCS });
    }
    const ref = body.ref.replace(/^refs\/(heads|tags)\//, '');
    if (!this.refs.includes(ref)) throw new HttpError(422, `No ref found for: ${body.ref}`, { documentation_url: DISPATCH_DOCS });
    if (!spec.dispatch) throw new HttpError(422, "Workflow does not have 'workflow_dispatch' trigger", { documentation_url: DISPATCH_DOCS });
    const declared = spec.dispatch.inputs ?? {};
    const values = given as Record<string, unknown>;
    const unexpected = Object.keys(values).filter((name) => !(name in declared));
    if (unexpected.length > 0) {
      throw new HttpError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`, { documentation_url: DISPATCH_DOCS });
    }
    const inputs: Record<string, string> = {};
    for (const [name, input] of Object.entries(declared)) {
      const value = values[name];
      if (value !== undefined && !['string', 'boolean', 'number'].includes(typeof value)) {
        throw new HttpError(422, `Invalid request.\n\nFor 'properties/${name}', ${JSON.stringify(value)} is not a string.`, { documentation_url: DISPATCH_DOCS });
      }
      const text = value === undefined ? (input.default === undefined ? '' : String(input.default)) : String(value);
      if (input.required && text === '') throw new HttpError(422, `Required input '${name}' not provided`, { documentation_url: DISPATCH_DOCS });
      if (input.type === 'choice' && !(input.options ?? []).includes(text)) {
        throw new HttpError(422, `Provided value '${text}' for input '${name}' not in the list of allowed values`, { documentation_url: DISPATCH_DOCS });
      }
      if (input.type === 'boolean' && text !== '' && text !== 'true' && text !== 'false') {
        throw new HttpError(422, `Provided value '${text}' for input '${name}' not in the list of allowed values`, { documentation_url: DISPATCH_DOCS });
      }
      inputs[name] = text;
    }
    const runId = this.nextId++;
    this.dispatchList.push({ workflow: file, ref, inputs, runId });
    if (body.return_run_details !== true) return { status: 204, payload: undefined };
    return {
      status: 200,
      payload: {
        workflow_run_id: runId,
        run_url: `${this.apiUrl}/repos/${this.owner}/${this.repo}/actions/runs/${runId}`,
        html_url: `https://github.com/${this.owner}/${this.repo}/actions/runs/${runId}`,
      },
    };
  }

  private repositoryPayload() {
    const { visibility, pushedAt } = this.repository;
    return {
      id: 707_070,
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      owner: { login: this.owner, type: 'User' },
      private: visibility === 'private',
      visibility,
      html_url: `https://github.com/${this.owner}/${this.repo}`,
      default_branch: 'main',
      created_at: '2026-01-15T10:00:00Z',
      updated_at: pushedAt,
      pushed_at: pushedAt,
    };
  }

  private listIssues(url: URL) {
    const state = url.searchParams.get('state') ?? 'open';
    if (!['open', 'closed', 'all'].includes(state)) throw validation('Issue', 'state', 'invalid');
    const wanted = (url.searchParams.get('labels') ?? '')
      .split(',')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean);
    const direction = url.searchParams.get('direction') ?? 'desc';
    const matching = this.issueList
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => wanted.every((w) => i.labels.some((l) => l.name.toLowerCase() === w)))
      .sort((a, b) => (direction === 'asc' ? a.number - b.number : b.number - a.number));
    return this.page(url, matching);
  }

  /** One page of `items`, with GitHub's Link header (first/prev/next/last) when there is more than one page. */
  private page<T>(url: URL, items: T[]): { status: number; payload: T[]; headers: http.OutgoingHttpHeaders } {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string) => {
      const target = new URL(url.toString());
      target.searchParams.set('page', String(n));
      target.searchParams.set('per_page', String(perPage));
      return `<${target.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    return {
      status: 200,
      payload: items.slice((page - 1) * perPage, page * perPage),
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }

  private createIssue(body: Record<string, unknown>): Issue {
    const title = body.title;
    if (typeof title !== 'string' && typeof title !== 'number') throw validation('Issue', 'title', 'missing_field');
    if (String(title).length > MAX_TITLE_CHARS) throw tooLong('Issue', 'title', MAX_TITLE_CHARS);
    const text = typeof body.body === 'string' ? body.body : null;
    if (text !== null && text.length > MAX_BODY_CHARS) throw tooLong('Issue', 'body', MAX_BODY_CHARS);
    const labels = Array.isArray(body.labels)
      ? body.labels.map((l) => (typeof l === 'string' ? l : String((l as { name?: unknown }).name ?? '')))
      : [];
    return structuredClone(this.newIssue(String(title), text, labels));
  }

  private newIssue(title: string, body: string | null, labelNames: string[]): Issue {
    const number = this.issueList.length + 1;
    const now = this.tick();
    const issue: Issue = {
      id: this.nextId++,
      number,
      title,
      body,
      state: 'open',
      state_reason: null,
      // GitHub creates labels that do not exist yet when an issue is created with them.
      labels: labelNames.map((name) => this.findLabel(name) ?? this.addLabel(name, 'ededed', null)),
      comments: 0,
      html_url: `https://github.com/${this.owner}/${this.repo}/issues/${number}`,
      url: `${this.apiUrl}/repos/${this.owner}/${this.repo}/issues/${number}`,
      created_at: now,
      updated_at: now,
      closed_at: null,
      user: { login: 'github-actions[bot]' },
    };
    this.issueList.push(issue);
    return issue;
  }

  private issue(number: number | undefined): Issue {
    const issue = this.issueList.find((i) => i.number === number);
    if (!issue) throw new HttpError(404, 'Not Found');
    return issue;
  }

  private updateIssue(number: number | undefined, body: Record<string, unknown>): Issue {
    const issue = this.issue(number);
    if (body.state !== undefined) {
      if (body.state !== 'open' && body.state !== 'closed') throw validation('Issue', 'state', 'invalid');
      issue.state = body.state;
      issue.closed_at = body.state === 'closed' ? this.tick() : null;
      issue.state_reason = body.state === 'closed' ? 'completed' : 'reopened';
    }
    if (body.state_reason !== undefined) {
      if (body.state_reason !== null && !['completed', 'not_planned', 'reopened', 'duplicate'].includes(String(body.state_reason))) {
        throw validation('Issue', 'state_reason', 'invalid');
      }
      issue.state_reason = body.state_reason as string | null;
    }
    if (typeof body.title === 'string') {
      if (body.title.length > MAX_TITLE_CHARS) throw tooLong('Issue', 'title', MAX_TITLE_CHARS);
      issue.title = body.title;
    }
    if (typeof body.body === 'string') {
      if (body.body.length > MAX_BODY_CHARS) throw tooLong('Issue', 'body', MAX_BODY_CHARS);
      issue.body = body.body;
    }
    issue.updated_at = this.tick();
    return structuredClone(issue);
  }

  private createComment(number: number | undefined, body: Record<string, unknown>): Omit<Comment, 'issueNumber'> {
    const issue = this.issue(number);
    if (typeof body.body !== 'string' || body.body === '') throw validation('IssueComment', 'body', 'missing_field');
    if (body.body.length > MAX_BODY_CHARS) throw tooLong('IssueComment', 'body', MAX_BODY_CHARS);
    const id = this.nextId++;
    const comment: Comment = {
      id,
      issueNumber: issue.number,
      body: body.body,
      html_url: `${issue.html_url}#issuecomment-${id}`,
      created_at: this.tick(),
      user: { login: 'github-actions[bot]' },
    };
    this.commentList.push(comment);
    issue.comments += 1;
    issue.updated_at = comment.created_at;
    const { issueNumber: _n, ...payload } = comment;
    return payload;
  }

  private createLabel(body: Record<string, unknown>): Label {
    if (typeof body.name !== 'string' || body.name === '') throw validation('Label', 'name', 'missing_field');
    const color = typeof body.color === 'string' ? body.color : 'ededed';
    if (!/^[0-9a-fA-F]{6}$/.test(color)) throw validation('Label', 'color', 'invalid');
    if (this.findLabel(body.name)) throw validation('Label', 'name', 'already_exists');
    return structuredClone(this.addLabel(body.name, color, typeof body.description === 'string' ? body.description : null));
  }

  private findLabel(name: string): Label | undefined {
    return this.labelList.find((l) => l.name.toLowerCase() === name.toLowerCase());
  }

  private addLabel(name: string, color: string, description: string | null): Label {
    const label = { id: this.nextId++, name, color: color.toLowerCase(), description };
    this.labelList.push(label);
    return label;
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

function mayWrite(mode: TokenMode, scope: keyof TokenPermissions): boolean {
  return mode === 'write' || (typeof mode === 'object' && mode[scope] === 'write');
}

function validation(resource: string, field: string, code: string): HttpError {
  return new HttpError(422, 'Validation Failed', { errors: [{ resource, code, field }] });
}

function tooLong(resource: string, field: string, max: number): HttpError {
  return new HttpError(422, 'Validation Failed', {
    errors: [{ resource, code: 'custom', field, message: `${field} is too long (maximum is ${max} characters)` }],
  });
}
