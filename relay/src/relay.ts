/**
 * The webhook relay: Numerai's round-open call in, a GitHub `workflow_dispatch` out.
 *
 * Numerai POSTs a small JSON body (`{"roundNumber": …, "dataVersion": …, "triggerId": "…"}`, read by numerai-cli's
 * own receiving functions only for `triggerId`) to each model's registered webhook when a round opens, and takes an
 * HTTP 200 as "received". GitHub's dispatch endpoint needs a token and a `{ref, inputs}` body that Numerai does not
 * send, so this handler adds them.
 *
 * Written against web standards only (Request, Response, fetch, URL, TextDecoder, crypto.subtle, AbortSignal), and
 * served by index.ts as a module worker `export default { fetch(request, env) }`: Cloudflare Workers runs it as is
 * (see wrangler.toml), and so does any platform with the same fetch-handler shape. It imports nothing from the rest
 * of the project, so it deploys alone.
 *
 * Every webhook call makes one dispatch. Numerai calls once per model, and the relay does not coalesce those calls
 * (that would need shared state, which a stateless handler on any platform does not have): the submitting
 * workflow's concurrency group keeps one run going and one waiting, GitHub cancels the older waiting runs, and the
 * run that goes second finds every model already submitted and skips it (the server is asked, per model).
 */

/** What the relay reads from its environment: secrets (`wrangler secret put`) and plain variables (wrangler.toml). */
export interface RelayEnv {
  /** Secret: the URL path, `/<RELAY_SECRET>`, that Numerai calls. At least 32 characters of [A-Za-z0-9_-]. */
  RELAY_SECRET?: string;
  /** Secret: a fine-grained token with `Actions: read and write` on GITHUB_REPOSITORY only. */
  GITHUB_TOKEN?: string;
  /** `owner/repo` of the repository whose workflow is started. */
  GITHUB_REPOSITORY?: string;
  /** The workflow's file name (or numeric id); default `submit.yml`. */
  WORKFLOW?: string;
  /** The branch or tag the workflow runs on; default `main`. */
  REF?: string;
  /** GitHub's REST API root; default https://api.github.com (a GitHub Enterprise Server has its own). */
  GITHUB_API_URL?: string;
}

/** Timings, injectable so that tests of the failure paths do not wait for the real ones. */
export interface RelayTimings {
  /** The whole exchange with GitHub, retries included, ends within this (Numerai waits for our answer). */
  deadlineMs: number;
  /** One request to GitHub is abandoned after this. */
  attemptTimeoutMs: number;
  /** At most this many requests to GitHub per webhook call. */
  attempts: number;
  /** Waits before the 2nd, 3rd, … attempt (a Retry-After within the deadline is honoured instead). */
  backoffMs: number[];
}

export const DEFAULT_TIMINGS: RelayTimings = { deadlineMs: 8000, attemptTimeoutMs: 4000, attempts: 3, backoffMs: [300, 1200] };

/** Numerai's body is under 200 bytes; anything past this is not Numerai. */
export const MAX_BODY_BYTES = 16 * 1024;
/** How much of an oversized body is read (and dropped) before answering 413. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;
const MIN_SECRET_CHARS = 32;
const TRIGGER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const USER_AGENT = 'numerai-autopilot-relay';

export function createRelay(timings: RelayTimings = DEFAULT_TIMINGS): { fetch(request: Request, env: RelayEnv): Promise<Response> } {
  return { fetch: (request, env) => handle(request, env, timings) };
}

async function handle(request: Request, env: RelayEnv, timings: RelayTimings): Promise<Response> {
  const started = Date.now();
  const secret = env.RELAY_SECRET ?? '';
  if (secret.length < MIN_SECRET_CHARS || !/^[A-Za-z0-9_-]+$/.test(secret)) {
    // Without a usable secret every path is the wrong path; say why in the platform's log, never to the caller.
    console.error(`relay: RELAY_SECRET is ${secret ? 'too short or has characters other than A-Z a-z 0-9 _ -' : 'not set'}; answering 404 to everything`);
    return notFound();
  }
  const pathMatches = await sameText(new URL(request.url).pathname, `/${secret}`);
  if (!pathMatches || request.method !== 'POST') {
    // The path is a secret: never log it, and answer a GET on the right path exactly like any wrong path.
    console.log(`relay: 404 for a ${request.method.slice(0, 10)} request (${pathMatches ? 'not a POST' : 'not the relay path'})`);
    return notFound();
  }

  const config = readConfig(env);
  if (typeof config === 'string') {
    console.error(`relay: not configured: ${config}`);
    return answer(500, { ok: false, error: `relay not configured: ${config}` });
  }

  const body = await readBody(request);
  if (!body.ok) {
    console.log(`relay: ${body.status} ${body.error}`);
    return answer(body.status, { ok: false, error: body.error });
  }
  const call = parseNumeraiCall(body.text);
  if (typeof call === 'string') {
    console.log(`relay: 400 ${call}`);
    return answer(400, { ok: false, error: call });
  }

  const outcome = await dispatch(config, call, timings);
  const ms = Date.now() - started;
  if (outcome.ok) {
    console.log(`relay: dispatched ${config.workflow}@${config.ref} for trigger ${call.triggerId}${call.round ? ` (round ${call.round})` : ''} in ${ms} ms, ${outcome.attempts} attempt(s)`);
    return answer(200, { ok: true, triggerId: call.triggerId, workflow: config.workflow, ref: config.ref });
  }
  const error = redact(outcome.error, config.token);
  console.error(`relay: ${outcome.status} ${error} (trigger ${call.triggerId}, ${ms} ms, ${outcome.attempts} attempt(s))`);
  return answer(outcome.status, { ok: false, error });
}

interface Config {
  token: string;
  owner: string;
  repo: string;
  workflow: string;
  ref: string;
  apiUrl: string;
}

/** The settings, or what is missing or malformed. */
function readConfig(env: RelayEnv): Config | string {
  const token = (env.GITHUB_TOKEN ?? '').trim();
  if (!token) return 'the GITHUB_TOKEN secret is not set';
  const repository = (env.GITHUB_REPOSITORY ?? '').trim();
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repository);
  if (!m) return `GITHUB_REPOSITORY must be "owner/repo", got ${repository ? JSON.stringify(repository.slice(0, 100)) : 'nothing'}`;
  const apiUrl = (env.GITHUB_API_URL ?? '').trim() || 'https://api.github.com';
  if (!/^https?:\/\//.test(apiUrl)) return `GITHUB_API_URL must be an http(s) URL, got ${JSON.stringify(apiUrl.slice(0, 100))}`;
  return {
    token,
    owner: m[1],
    repo: m[2],
    workflow: (env.WORKFLOW ?? '').trim() || 'submit.yml',
    ref: (env.REF ?? '').trim() || 'main',
    apiUrl: apiUrl.replace(/\/+$/, ''),
  };
}

/**
 * Compares two strings in time that does not depend on where they differ: both are hashed to 32 bytes, and every
 * byte of the hashes is compared. (Hashing also hides the secret's length.)
 */
async function sameText(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
}

type BodyResult = { ok: true; text: string } | { ok: false; status: 400 | 413; error: string };

/**
 * The body as text, kept no further than MAX_BODY_BYTES (a declared or an actual excess is 413). An oversized body
 * is still read to its end, up to DRAIN_LIMIT_BYTES, before the answer: a client still sending when the answer comes
 * may see its connection reset instead of the 413.
 */
async function readBody(request: Request): Promise<BodyResult> {
  const tooLarge: BodyResult = { ok: false, status: 413, error: `body too large: more than ${MAX_BODY_BYTES} bytes` };
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > DRAIN_LIMIT_BYTES) return tooLarge;
  if (!request.body) return { ok: true, text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > DRAIN_LIMIT_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
    if (size <= MAX_BODY_BYTES) chunks.push(value);
  }
  if (size > MAX_BODY_BYTES) return tooLarge;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, status: 400, error: 'invalid body: not UTF-8 text' };
  }
}

export interface NumeraiCall {
  triggerId: string;
  round: number | null;
}

/**
 * Numerai's body: a JSON object with a `triggerId` string. Whatever else it carries is ignored (it has carried
 * `roundNumber` and `dataVersion`, and may gain fields); the content type is not checked, since it is not
 * documented. The trigger id becomes a workflow input, so only the characters of an id pass.
 */
export function parseNumeraiCall(text: string): NumeraiCall | string {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return text.trim() === '' ? 'invalid body: empty, expected JSON with a triggerId' : 'invalid body: not JSON, expected JSON with a triggerId';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid body: expected a JSON object with a triggerId';
  const fields = value as Record<string, unknown>;
  const triggerId = fields.triggerId;
  if (triggerId === undefined || triggerId === null) return 'invalid body: no triggerId';
  if (typeof triggerId !== 'string' || !TRIGGER_ID.test(triggerId)) {
    return 'invalid body: triggerId must be 1-128 characters of A-Z a-z 0-9 . _ : -';
  }
  const round = fields.roundNumber;
  return { triggerId, round: typeof round === 'number' && Number.isInteger(round) && round > 0 ? round : null };
}

type Outcome = { ok: true; attempts: number } | { ok: false; status: 502 | 504; error: string; attempts: number };

/** POSTs the dispatch, retrying what may pass on a second try (5xx, 429, rate limits, no answer) within the deadline. */
async function dispatch(config: Config, call: NumeraiCall, timings: RelayTimings): Promise<Outcome> {
  const url = `${config.apiUrl}/repos/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.repo)}/actions/workflows/${encodeURIComponent(config.workflow)}/dispatches`;
  const reason = call.round ? `Numerai webhook: round ${call.round} is open` : 'Numerai webhook';
  const payload = JSON.stringify({ ref: config.ref, inputs: { 'trigger-id': call.triggerId, reason } });
  const deadline = Date.now() + timings.deadlineMs;
  let last: Outcome = { ok: false, status: 504, error: `github did not answer within ${timings.deadlineMs} ms`, attempts: 0 };
  for (let attempt = 1; attempt <= timings.attempts; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let retryAfterMs: number | null = null;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.token}`,
          accept: 'application/vnd.github+json',
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-github-api-version': '2022-11-28',
        },
        body: payload,
        signal: AbortSignal.timeout(Math.min(left, timings.attemptTimeoutMs)),
      });
      if (response.status === 204 || response.status === 200) {
        await response.body?.cancel();
        return { ok: true, attempts: attempt };
      }
      const message = await githubMessage(response);
      const verdict = classify(response.status, message, response.headers, config);
      last = { ok: false, status: 502, error: verdict.error, attempts: attempt };
      if (!verdict.retry) return last;
      retryAfterMs = verdict.retryAfterMs;
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      last = timedOut
        ? { ok: false, status: 504, error: `github did not answer within ${Math.min(left, timings.attemptTimeoutMs)} ms`, attempts: attempt }
        : { ok: false, status: 502, error: `could not reach github: ${error instanceof Error ? error.message : String(error)}`, attempts: attempt };
    }
    if (attempt === timings.attempts) break;
    const wait = retryAfterMs ?? timings.backoffMs[Math.min(attempt - 1, timings.backoffMs.length - 1)] ?? 0;
    if (Date.now() + wait >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  if (last.attempts > 1) last = { ...last, error: `${last.error} (after ${last.attempts} attempts)` };
  return last;
}

/** What a refusal from GitHub means for the participant, and whether another attempt may pass. */
function classify(status: number, message: string, headers: Headers, config: Config): { error: string; retry: boolean; retryAfterMs: number | null } {
  const where = `${config.owner}/${config.repo}`;
  const said = message ? `: ${message}` : '';
  const retryAfter = Number(headers.get('retry-after'));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null;
  if (status === 401) return { error: `github rejected the token (401${said}); set a valid GITHUB_TOKEN secret`, retry: false, retryAfterMs };
  if (status === 429 || (status === 403 && (retryAfterMs !== null || /rate limit/i.test(message)))) {
    return { error: `github rate-limited the dispatch (${status}${said})`, retry: true, retryAfterMs };
  }
  if (status === 403) {
    return { error: `github refused the dispatch (403${said}); the token needs Actions: read and write on ${where}`, retry: false, retryAfterMs };
  }
  if (status === 404) {
    return {
      error: `github found no workflow ${config.workflow} in ${where} (404${said}); check GITHUB_REPOSITORY and WORKFLOW, and that the token may see the repository`,
      retry: false,
      retryAfterMs,
    };
  }
  if (status === 422) return { error: `github refused the dispatch of ${config.workflow}@${config.ref} (422${said})`, retry: false, retryAfterMs };
  if (status >= 500) return { error: `github is unavailable (${status}${said})`, retry: true, retryAfterMs };
  return { error: `github answered ${status}${said}`, retry: false, retryAfterMs };
}

/** GitHub's `message`, on one line and short: it goes into our answer to Numerai and into the log. */
async function githubMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  let message = '';
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    message = '';
  }
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** The token never leaves the relay, even if an answer were to quote it. */
function redact(text: string, token: string): string {
  return token ? text.split(token).join('***') : text;
}

function notFound(): Response {
  return new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function answer(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
