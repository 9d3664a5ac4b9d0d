/**
 * One part of the sandbox's GraphQL API: the schema text of the types and root fields it serves, beside the
 * resolvers that answer them (as numerapi keeps each operation beside its query). `api.ts` lists the parts;
 * `schema.ts` joins their schema text; `graphql.ts` dispatches to their resolvers.
 */
import type { AuthResult } from './accounts/keys.js';
import type { SandboxWorld } from './world.js';

/** What every resolver gets besides its arguments: who is calling, and where the server is (for signed URLs). */
export interface Ctx {
  auth: AuthResult;
  baseUrl: string;
}

/**
 * A field's resolver: `source` is the parent object (undefined for a root field), `args` the arguments in the
 * client's spelling (read them with `arg`). `source` is typed `never` so that each resolver can name the view
 * shape of its own parent type.
 */
export type Resolver = (source: never, args: Record<string, unknown>, ctx: Ctx) => unknown;

/** Resolvers by type name (`RootQueryType`, `RootMutationType`, `Model`, ...), then by field name as declared. */
export type Resolvers = Record<string, Record<string, Resolver>>;

export interface ApiPart {
  /**
   * Schema text: the types this part owns, and `extend type` blocks for the root fields it serves
   * (`extend type RootQueryType { ... }`) and for the fields it adds to another part's type.
   */
  sdl: string;
  resolvers(world: SandboxWorld): Resolvers;
}
