/**
 * The GraphQL endpoint (`POST /`, and queries by `GET`): reads the request the way Absinthe.Plug does, validates and
 * executes it with graphql-js over the parts' resolvers (api.ts), and words errors the way Absinthe does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
} from 'graphql';
import { API_PARTS } from './api.js';
import { jsonReply, readBody, type Reply, type Served } from './http.js';
import type { Ctx, Resolver } from './part.js';
import { ADDED_SPELLINGS, buildSandboxSchema, canonicalOperation } from './schema.js';
import { otherSpelling } from './spellings.js';
import type { SandboxWorld } from './world.js';

const schema = buildSandboxSchema();
const ROOT_TYPES = new Set([schema.getQueryType(), schema.getMutationType()]);

/**
 * graphql-js words some validation errors differently from Absinthe (the real server). Rewrite those to Absinthe's
 * wording, e.g. `Unknown argument "take" on field "rounds" of type "RootQueryType".` (seen in a real response).
 */
export function absintheMessage(message: string): string {
  let m = /^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"\./.exec(message);
  if (m) return `Unknown argument "${m[1]}" on field "${m[3]}" of type "${m[2]}".`;
  m = /^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required, but it was not provided\.$/.exec(message);
  if (m) return `In argument "${m[2]}": Expected type "${m[3]}", found null.`;
  return withoutAddedSpellings(message);
}

/** Drop the added other spellings from graphql-js' "Did you mean" suggestions, as Absinthe lists one name each. */
function withoutAddedSpellings(message: string): string {
  const m = / Did you mean (.+)\?$/.exec(message);
  if (!m) return message;
  const names = [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]).filter((n) => !ADDED_SPELLINGS.has(n));
  const head = message.slice(0, m.index);
  if (names.length === 0) return head;
  const quoted = names.map((n) => `"${n}"`);
  const list = quoted.length === 1 ? quoted[0] : quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `${quoted.slice(0, -1).join(', ')}, or ${quoted.at(-1)}`;
  return `${head} Did you mean ${list}?`;
}

function formatError(e: GraphQLError): GraphQLFormattedError {
  const out: { message: string; locations?: readonly { line: number; column: number }[]; path?: readonly (string | number)[] } = {
    message: absintheMessage(e.message),
  };
  if (e.locations) out.locations = e.locations;
  if (e.path) out.path = e.path;
  return out;
}

function rootFieldNames(document: DocumentNode, operationName: string | undefined): string[] {
  const op = getOperationAST(document, operationName);
  if (!op) return [];
  return op.selectionSet.selections.filter((s) => s.kind === Kind.FIELD).map((s) => (s.kind === Kind.FIELD ? s.name.value : ''));
}

const OTHER_SPELLINGS = new Map<string, string>();

/** The other spelling of a field name (itself when it has none), remembered: fields resolve many times per answer. */
function spellingOf(name: string): string {
  let other = OTHER_SPELLINGS.get(name);
  if (other === undefined) {
    other = otherSpelling(name) ?? name;
    OTHER_SPELLINGS.set(name, other);
  }
  return other;
}

/**
 * The field resolver over the parts' resolvers: a root field by its canonical name, another type's field by either
 * spelling; a field no part resolves is the view object's property of that name (in either spelling).
 */
export function partsResolver(world: SandboxWorld): GraphQLFieldResolver<unknown, Ctx> {
  const table = new Map<string, Map<string, Resolver>>();
  for (const part of API_PARTS) {
    for (const [type, fields] of Object.entries(part.resolvers(world))) {
      const byField = table.get(type) ?? new Map<string, Resolver>();
      for (const [field, resolver] of Object.entries(fields)) {
        if (byField.has(field)) throw new Error(`sandbox: two parts resolve ${type}.${field}`);
        byField.set(field, resolver);
      }
      table.set(type, byField);
    }
  }
  return (source, args, ctx, info) => {
    const byField = table.get(info.parentType.name);
    if (ROOT_TYPES.has(info.parentType)) {
      const name = canonicalOperation(info.fieldName);
      const resolver = name ? byField?.get(name) : undefined;
      if (!resolver) throw new GraphQLError(`sandbox: ${info.fieldName} is not implemented`);
      return (resolver as (s: unknown, a: Record<string, unknown>, c: Ctx) => unknown)(source, args, ctx);
    }
    const resolver = byField?.get(info.fieldName) ?? (byField ? byField.get(spellingOf(info.fieldName)) : undefined);
    if (resolver) return (resolver as (s: unknown, a: Record<string, unknown>, c: Ctx) => unknown)(source, args, ctx);
    if (source === null || typeof source !== 'object') return null;
    const obj = source as Record<string, unknown>;
    let value = obj[info.fieldName];
    if (value === undefined) value = obj[spellingOf(info.fieldName)];
    return value ?? null;
  };
}

/**
 * The GraphQL request as Absinthe.Plug reads it: a JSON body (`application/json`), a raw document
 * (`application/graphql`), or, for queries, the URL's `query` / `variables` parameters. A body of another type is
 * not parsed, so the request has no query document.
 */
async function readGraphqlRequest(req: IncomingMessage, url: URL): Promise<{ query?: unknown; variables?: unknown; operationName?: unknown } | { error: string }> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const raw = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
  const fromUrl = {
    query: url.searchParams.get('query') ?? undefined,
    variables: url.searchParams.get('variables') ?? undefined,
    operationName: url.searchParams.get('operationName') ?? undefined,
  };
  if (typeof fromUrl.variables === 'string') {
    try {
      fromUrl.variables = JSON.parse(fromUrl.variables);
    } catch (error) {
      return { error: `Could not parse the variables: ${(error as Error).message}` };
    }
  }
  if (req.method === 'POST' && type === 'application/json') {
    try {
      const body = JSON.parse(raw.toString('utf8') || 'null');
      return body && typeof body === 'object' ? { ...fromUrl, ...body } : fromUrl;
    } catch (error) {
      return { error: `Could not parse the JSON body: ${(error as Error).message}` };
    }
  }
  if (req.method === 'POST' && type === 'application/graphql') return { ...fromUrl, query: raw.toString('utf8') };
  return fromUrl;
}

/** Answer one GraphQL request, applying the fault injected for its first root field that has one. */
export async function handleGraphql(served: Served, fieldResolver: GraphQLFieldResolver<unknown, Ctx>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { wire, faults, world } = served;
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const path = url.pathname;
  const base = { method: req.method ?? 'POST', path };
  const payload = await readGraphqlRequest(req, url);
  if ('error' in payload) {
    wire.send(res, jsonReply(req, 400, { errors: [{ message: payload.error }] }), { ...base, operation: 'graphql' });
    return;
  }
  if (typeof payload.query !== 'string' || payload.query.trim() === '') {
    wire.send(res, jsonReply(req, 400, { errors: [{ message: 'No query document supplied' }] }), { ...base, operation: 'graphql' });
    return;
  }
  const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    const e = error instanceof GraphQLError ? formatError(error) : { message: String(error) };
    wire.send(res, jsonReply(req, 200, { errors: [e] }), { ...base, operation: 'graphql' });
    return;
  }
  const fields = rootFieldNames(document, operationName).map((f) => canonicalOperation(f) ?? f);
  const entry = { ...base, operation: fields[0] ?? 'graphql', fields };
  const op = getOperationAST(document, operationName);
  if (req.method !== 'POST' && op?.operation === 'mutation') {
    wire.send(res, jsonReply(req, 405, { errors: [{ message: 'Can only perform a mutation from a POST request' }] }), entry);
    return;
  }
  const fault = faults.take(fields);
  if (await wire.preFault(req, res, fault, entry)) return;

  const validationErrors = validate(schema, document);
  let reply: Reply;
  if (validationErrors.length > 0) {
    reply = jsonReply(req, 200, { errors: validationErrors.map(formatError) });
  } else {
    const variables = payload.variables && typeof payload.variables === 'object' ? (payload.variables as Record<string, unknown>) : undefined;
    const ctx: Ctx = { auth: world.authenticate(req.headers.authorization), baseUrl: served.baseUrl };
    const result = await execute({ schema, document, variableValues: variables, operationName, contextValue: ctx, fieldResolver });
    const out: Record<string, unknown> = {};
    if (result.errors && result.errors.length > 0) out.errors = result.errors.map(formatError);
    if (result.data !== undefined) out.data = result.data;
    reply = jsonReply(req, 200, out);
  }
  if (fault?.kind === 'reset') return wire.sendHalfThenReset(res, reply, entry);
  if (fault?.kind === 'applied-response-lost') return wire.destroy(res, entry, fault.kind);
  wire.send(res, reply, fault ? { ...entry, fault: fault.kind } : entry);
}
