/** Plain-HTTP helpers for the sandbox tests: no client code of the project, only fetch. */
import type { Sandbox } from '../../src/sandbox/server.js';

export interface Key {
  publicId: string;
  secretKey: string;
}

export interface GqlResult {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; locations?: { line: number; column: number }[]; path?: (string | number)[] }[] };
}

/** POST a GraphQL document the way numerapi does: {query, variables}, JSON, `Authorization: Token pub$secret`. */
export async function gql(sandbox: Sandbox, query: string, variables: Record<string, unknown> | null = null, key: Key | null = sandbox.credentials): Promise<GqlResult> {
  const headers: Record<string, string> = { 'Content-type': 'application/json', Accept: 'application/json' };
  if (key) headers.Authorization = `Token ${key.publicId}$${key.secretKey}`;
  const res = await fetch(sandbox.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

/** The data of a successful response; fails with the error messages otherwise. */
export async function data<T = Record<string, unknown>>(sandbox: Sandbox, query: string, variables: Record<string, unknown> | null = null, key: Key | null = sandbox.credentials): Promise<T> {
  const r = await gql(sandbox, query, variables, key);
  if (r.status !== 200 || r.body.errors) throw new Error(`GraphQL failed (${r.status}): ${JSON.stringify(r.body.errors)}`);
  return r.body.data as T;
}

/** The first error message of a response (and checks it came with HTTP 200). */
export async function errorOf(sandbox: Sandbox, query: string, variables: Record<string, unknown> | null = null, key: Key | null = sandbox.credentials): Promise<string> {
  const r = await gql(sandbox, query, variables, key);
  if (!r.body.errors || r.body.errors.length === 0) throw new Error(`expected an error, got ${JSON.stringify(r.body)}`);
  if (r.status !== 200) throw new Error(`expected HTTP 200 with errors, got ${r.status}`);
  return r.body.errors[0].message;
}

export const UPLOAD_AUTH = `query($filename: String! $tournament: Int! $modelId: String) {
  submission_upload_auth(filename: $filename tournament: $tournament modelId: $modelId) { filename url }
}`;

export const CREATE = `mutation($filename: String! $tournament: Int! $modelId: String $triggerId: String $dataDatestamp: Int) {
  create_submission(filename: $filename tournament: $tournament modelId: $modelId triggerId: $triggerId source: "numerapi" dataDatestamp: $dataDatestamp) { id }
}`;

/** Upload auth → PUT (no Content-Type) → create_submission. Returns the create_submission response. */
export async function submit(sandbox: Sandbox, model: string, file: string | Uint8Array, opts: { tournament?: number; filename?: string; key?: Key; triggerId?: string } = {}): Promise<GqlResult> {
  const tournament = opts.tournament ?? 8;
  const modelId = sandbox.modelId(model);
  const auth = await data<{ submission_upload_auth: { filename: string; url: string } }>(sandbox, UPLOAD_AUTH, { filename: opts.filename ?? 'predictions.csv', tournament, modelId }, opts.key);
  const body = typeof file === 'string' ? new TextEncoder().encode(file) : file;
  const put = await fetch(auth.submission_upload_auth.url, { method: 'PUT', body });
  if (put.status !== 200) throw new Error(`PUT failed: ${put.status} ${await put.text()}`);
  return gql(sandbox, CREATE, { filename: auth.submission_upload_auth.filename, tournament, modelId, triggerId: opts.triggerId ?? null, dataDatestamp: null }, opts.key);
}

/** A valid classic CSV for the live ids: ranked values in (0, 1). */
export function validCsv(ids: readonly string[]): string {
  return `id,prediction\n${ids.map((id, i) => `${id},${(i + 0.5) / ids.length}`).join('\n')}\n`;
}

export interface ReceivedCall {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A webhook server on loopback, standing in for what a participant registers: it records each POST and answers
 * with `answer` (200 "ok" by default; change it between calls).
 */
export async function webhookReceiver(): Promise<{ url: string; calls: ReceivedCall[]; answer: { status: number; body: string }; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const calls: ReceivedCall[] = [];
  const answer = { status: 200, body: 'ok' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    answer,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
