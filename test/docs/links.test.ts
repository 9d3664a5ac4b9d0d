/**
 * Every relative link in README.md and docs/*.md must lead somewhere: the file must exist, and an anchor must name a
 * heading of the target page, slugged the way GitHub slugs headings. A moved or renamed section otherwise leaves
 * readers on a dead link that nothing else would notice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Page {
  links: string[];
  anchors: Set<string>;
}

/** The links and heading anchors of one Markdown text, from marked's tokens (code blocks and code spans hold no links). */
function readPage(markdown: string): Page {
  const slugger = new GithubSlugger();
  const links: string[] = [];
  const anchors = new Set<string>();
  const walk = (tokens: Token[] | undefined): void => {
    for (const token of tokens ?? []) {
      if (token.type === 'heading') anchors.add(slugger.slug(plainText((token as Tokens.Heading).tokens)));
      if (token.type === 'link' || token.type === 'image') links.push((token as Tokens.Link).href);
      if (token.type === 'html') for (const match of token.raw.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
      if (token.type === 'table') {
        const table = token as Tokens.Table;
        for (const cell of [...table.header, ...table.rows.flat()]) walk(cell.tokens);
      }
      if (token.type === 'list') for (const item of (token as Tokens.List).items) walk(item.tokens);
      if ('tokens' in token) walk(token.tokens);
    }
  };
  walk(new Lexer({ gfm: true }).lex(markdown));
  return { links, anchors };
}

/** A heading's text as GitHub slugs it: the visible characters, without Markdown syntax. */
function plainText(tokens: Token[] | undefined): string {
  return (tokens ?? []).map((token) => ('tokens' in token && token.tokens ? plainText(token.tokens) : 'text' in token ? token.text : '')).join('');
}

function markdownFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs];
}

/** The broken links of every page, as `file: link (why)`. */
function brokenLinks(): string[] {
  const pages = new Map<string, Page>();
  const page = (file: string): Page => {
    let found = pages.get(file);
    if (!found) pages.set(file, (found = readPage(readFileSync(path.join(ROOT, file), 'utf8'))));
    return found;
  };
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    for (const link of page(file).links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue; // http(s), mailto: not checked here
      const [target = '', anchor] = link.split('#', 2) as [string, string | undefined];
      const resolved = target === '' ? file : path.normalize(path.join(path.dirname(file), decodeURIComponent(target)));
      if (resolved.startsWith('..') || !existsSync(path.join(ROOT, resolved))) {
        broken.push(`${file}: ${link} (no file ${resolved})`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (!resolved.endsWith('.md') || statSync(path.join(ROOT, resolved)).isDirectory()) {
        broken.push(`${file}: ${link} (an anchor into ${resolved}, which is not a Markdown page)`);
        continue;
      }
      if (!page(resolved).anchors.has(decodeURIComponent(anchor))) {
        broken.push(`${file}: ${link} (${resolved} has no heading with the anchor #${anchor})`);
      }
    }
  }
  return broken;
}

test('every relative link and anchor in README.md and docs/*.md resolves', () => {
  assert.deepEqual(brokenLinks(), []);
});

test('headings are slugged as GitHub does: punctuation dropped, code spans kept as text, duplicates numbered', () => {
  const { anchors, links } = readPage(
    [
      '# The command line: `numerai-autopilot`',
      '## 2.1 `init`',
      '## The run report (`report.json`)',
      '## Options',
      '## Options',
      'See [x](other.md#a-b) and `[not](a-link.md)`.',
      '```',
      '[not a link](nowhere.md)',
      '```',
      '| a | b |',
      '|---|---|',
      '| [cell](cell.md) | c |',
    ].join('\n'),
  );
  assert.deepEqual([...anchors], ['the-command-line-numerai-autopilot', '21-init', 'the-run-report-reportjson', 'options', 'options-1']);
  assert.deepEqual(links, ['other.md#a-b', 'cell.md']);
});
