/**
 * The GraphQL schema of the sandbox: the part of Numerai's API (an Elixir/Absinthe server, root types
 * `RootQueryType` and `RootMutationType`) that numerapi and this project use, with the real field and argument names.
 * Each part of the API (api.ts) brings the schema text of its concern; this module joins them into one schema.
 *
 * Absinthe's default naming adapter turns incoming camelCase names into snake_case, so the real API takes both
 * spellings of a field or argument (numerapi itself sends `submission_upload_auth` and `public_id` next to
 * `listDatasets` and `modelId`). graphql-js has no adapter, so `buildSandboxSchema` adds the other spelling of every
 * field and of every optional argument. Required arguments keep their one spelling, so that graphql-js still
 * rejects a query that omits them.
 */
import {
  buildASTSchema,
  Kind,
  parse,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  type InputValueDefinitionNode,
  type ObjectTypeDefinitionNode,
} from 'graphql';
import { API_PARTS } from './api.js';
import { otherSpelling } from './spellings.js';

export { arg, toCamel, toSnake } from './spellings.js';

/** The root types; their fields come from the parts' `extend type RootQueryType` / `RootMutationType` blocks. */
const ROOT_SDL = /* GraphQL */ `
schema { query: RootQueryType mutation: RootMutationType }
type RootQueryType
type RootMutationType
`;

/** The whole schema text: the root types, then each part's, with root fields as numerapi spells them. */
export const SDL = [ROOT_SDL, ...API_PARTS.map((p) => p.sdl)].join('\n');

/**
 * One document with every `extend type` folded into its type's definition (fields appended in part order), so that
 * each type is one definition, as a schema written in one piece would have it.
 */
function foldExtensions(doc: DocumentNode): DocumentNode {
  const types = new Map<string, ObjectTypeDefinitionNode>();
  for (const def of doc.definitions) if (def.kind === Kind.OBJECT_TYPE_DEFINITION) types.set(def.name.value, def);
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const base = types.get(def.name.value);
    if (!base) throw new Error(`sandbox schema: extend type ${def.name.value}, but no part defines type ${def.name.value}`);
    types.set(def.name.value, { ...base, fields: [...(base.fields ?? []), ...(def.fields ?? [])] });
  }
  const definitions: DefinitionNode[] = [];
  for (const def of doc.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_EXTENSION) continue;
    definitions.push(def.kind === Kind.OBJECT_TYPE_DEFINITION ? types.get(def.name.value)! : def);
  }
  return { ...doc, definitions };
}

const DOCUMENT = foldExtensions(parse(SDL));

/** Names that exist only as the added other spelling (kept out of "Did you mean" suggestions). */
export const ADDED_SPELLINGS = new Set<string>();
const DECLARED = new Set<string>();

/** Add the other spelling of every field and optional argument, as Absinthe's naming adapter accepts both. */
function withBothSpellings(doc: DocumentNode): DocumentNode {
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const f of def.fields ?? []) {
      DECLARED.add(f.name.value);
      for (const a of f.arguments ?? []) DECLARED.add(a.name.value);
    }
  }
  const definitions = doc.definitions.map((def) => {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !def.fields) return def;
    const fields: FieldDefinitionNode[] = [];
    const names = new Set(def.fields.map((f) => f.name.value));
    for (const field of def.fields) {
      const args = withArgumentSpellings(field.arguments ?? []);
      const f: FieldDefinitionNode = { ...field, arguments: args };
      fields.push(f);
      const other = otherSpelling(field.name.value);
      if (other && !names.has(other)) {
        names.add(other);
        if (!DECLARED.has(other)) ADDED_SPELLINGS.add(other);
        fields.push({ ...f, name: { ...f.name, value: other } });
      }
    }
    return { ...def, fields } as ObjectTypeDefinitionNode;
  });
  return { ...doc, definitions };
}

function withArgumentSpellings(args: readonly InputValueDefinitionNode[]): InputValueDefinitionNode[] {
  const out: InputValueDefinitionNode[] = [...args];
  const names = new Set(args.map((a) => a.name.value));
  for (const arg of args) {
    if (arg.type.kind === Kind.NON_NULL_TYPE) continue;
    const other = otherSpelling(arg.name.value);
    if (other && !names.has(other)) {
      names.add(other);
      if (!DECLARED.has(other)) ADDED_SPELLINGS.add(other);
      out.push({ ...arg, name: { ...arg.name, value: other } });
    }
  }
  return out;
}

/** The root fields by their canonical (numerapi) spelling. */
export const ROOT_FIELDS: readonly string[] = (() => {
  const names: string[] = [];
  for (const def of DOCUMENT.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION && (def.name.value === 'RootQueryType' || def.name.value === 'RootMutationType')) {
      for (const f of def.fields ?? []) names.push(f.name.value);
    }
  }
  return names;
})();

const CANONICAL = new Map<string, string>();
for (const name of ROOT_FIELDS) {
  CANONICAL.set(name, name);
  const other = otherSpelling(name);
  if (other) CANONICAL.set(other, name);
}

/**
 * The canonical operation name of a root field as a client spells it (createSubmission → create_submission,
 * list_datasets → listDatasets), or null when the API has no such field.
 */
export function canonicalOperation(name: string): string | null {
  return CANONICAL.get(name) ?? null;
}

export function buildSandboxSchema(): GraphQLSchema {
  return buildASTSchema(withBothSpellings(DOCUMENT));
}
