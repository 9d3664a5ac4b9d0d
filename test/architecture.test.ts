/**
 * The rules of docs/architecture.md, checked on the source as the TypeScript compiler parses it: the two shells do
 * not import each other, imports between the top-level folders of src/ form no cycle, and no function in
 * src/pipeline/ takes more than 4 parameters.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const MAX_PIPELINE_PARAMETERS = 4;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

/** Every module a file names: import and export declarations (types included) and dynamic import() calls. */
function importedSpecifiers(source: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) specifiers.push(argument.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** The top-level folder of src/ a path is in ('cli', 'pipeline', ...), or null outside src/ or at its root. */
function folderOf(path: string): string | null {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(/[\\/]/);
  return parts.length > 1 ? parts[0] : null;
}

interface Edge {
  from: string;
  to: string;
  /** The file and the specifier, for the failure message. */
  where: string;
}

/** Imports that cross from one top-level folder of src/ to another. */
function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (!from) continue;
    for (const specifier of importedSpecifiers(parse(file))) {
      if (!specifier.startsWith('.')) continue;
      const to = folderOf(resolve(dirname(file), specifier));
      if (to && to !== from) edges.push({ from, to, where: `${relative(SRC, file)} imports ${specifier}` });
    }
  }
  return edges;
}

/** A cycle in the graph, as the list of its folders (first repeated at the end), or null. */
function findCycle(edges: readonly Edge[]): string[] | null {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    path.push(node);
    for (const target of next.get(node) ?? []) {
      if (state.get(target) === 'open') return [...path.slice(path.indexOf(target)), target];
      if (!state.has(target)) {
        const cycle = visit(target);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...next.keys()].sort()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

test('the shells do not import each other: nothing in src/github/ imports src/cli/, nor the other way', () => {
  const crossing = folderEdges().filter((e) => (e.from === 'github' && e.to === 'cli') || (e.from === 'cli' && e.to === 'github'));
  assert.deepEqual(crossing.map((e) => e.where), []);
});

test('imports between the top-level folders of src/ form no cycle', () => {
  const edges = folderEdges();
  assert.ok(edges.length > 0, 'the folders import each other somewhere: the scan found no import at all');
  const cycle = findCycle(edges);
  const explain = cycle
    ? `${cycle.join(' -> ')}\n${cycle
        .slice(0, -1)
        .map((from, i) => edges.find((e) => e.from === from && e.to === cycle[i + 1])!.where)
        .join('\n')}`
    : '';
  assert.equal(cycle, null, explain);
});

test('the cycle check finds a cycle when there is one', () => {
  assert.deepEqual(findCycle([{ from: 'a', to: 'b', where: '' }, { from: 'b', to: 'c', where: '' }, { from: 'c', to: 'a', where: '' }]), ['a', 'b', 'c', 'a']);
  assert.equal(findCycle([{ from: 'a', to: 'b', where: '' }, { from: 'a', to: 'c', where: '' }, { from: 'b', to: 'c', where: '' }]), null);
});

test(`no function in src/pipeline/ takes more than ${MAX_PIPELINE_PARAMETERS} parameters`, () => {
  const wide: string[] = [];
  let functions = 0;
  for (const file of sourceFiles(join(SRC, 'pipeline'))) {
    const source = parse(file);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && node.parameters !== undefined) {
        functions++;
        if (node.parameters.length > MAX_PIPELINE_PARAMETERS) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          const name = 'name' in node && node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
          wide.push(`${relative(SRC, file)}:${line + 1} ${name} takes ${node.parameters.length}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  assert.ok(functions > 50, `the scan found only ${functions} functions in src/pipeline/`);
  assert.deepEqual(wide, []);
});
