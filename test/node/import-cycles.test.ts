// No import cycles in src/ (issue 11): every relative import, `import type` and `export ... from`
// included (a type-only cycle still ties two files' contracts together), must form a graph
// without a loop. Walks the files on disk, so a new cycle anywhere in src/ fails this test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { deepEqual } from '../support/assert.ts';

const ROOT = resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|mjs|js)$/.test(n) && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** `from '...'`, `import '...'` and `import('...')` specifiers that start with a dot. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(root)) {
    const deps: string[] = [];
    for (const m of stripComments(readFileSync(file, 'utf8')).matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[1]!);
      if (target.startsWith(root)) deps.push(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Every cycle's files, each found once from its first file in a depth-first walk. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      const s = state.get(d);
      if (s === 'open') cycles.push(stack.slice(stack.indexOf(d)).concat(d));
      else if (s === undefined && graph.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle when there is one (the walker can fail)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    deepEqual(findCycles(g), [['a', 'b', 'c', 'a']]);
    deepEqual(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
      [],
    );
  });

  it('src/ has none', () => {
    const cycles = findCycles(importGraph(ROOT)).map(c => c.map(f => relative(ROOT, f)).join(' -> '));
    deepEqual(cycles, []);
  });
});
