/**
 * Mermaid's own parser in Node: mermaid needs a DOM's `window` and `document` on globalThis before it is imported
 * (without them even a valid chart fails with "DOMPurify.addHook is not a function"). A chart this parser refuses is
 * one GitHub cannot render.
 */
import { JSDOM } from 'jsdom';

let parser: Promise<(text: string) => Promise<unknown>> | undefined;

export function mermaidParse(text: string): Promise<unknown> {
  parser ??= (async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = await import('mermaid');
    return (t: string) => mermaid.parse(t);
  })();
  return parser.then((parse) => parse(text));
}

/** The ```mermaid blocks of a Markdown text. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
}
