// Runs every Node test file (the shared core tests and the Node-only ones) with node's test runner
// through tsx. Node 20's --test does not expand globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  let out = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (n.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length ? only : ['test/core', 'test/node', 'test/interop', 'test/e2e', 'test/regtest'].flatMap(walk).sort();
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/support/node-globals.mjs', '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
