/**
 * The one part of jsdom the tests use (a window for Mermaid's parser). @types/jsdom is not installed: it brings the
 * DOM's global types with it, which change what `fetch` and `Uint8Array` accept in the whole project.
 */
declare module 'jsdom' {
  export class JSDOM {
    constructor(html: string);
    readonly window: { document: unknown } & Record<string, unknown>;
  }
}
