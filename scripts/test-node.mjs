// Runs every Node test file (the shared core tests and the Node-only ones) with node's test runner
// through tsx, two files at a time, the longest first. Node 20's --test does not expand globs, so
// the files are listed here.
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

/**
 * The longest files, longest first (measured per file with node's test runner; README "Tests"):
 * with two files at a time, one of these starting last would leave a core idle while it runs.
 * The others follow in name order. A file named here that no longer exists is skipped.
 */
const LONGEST_FIRST = [
  'test/node/node-onchain.test.ts',
  'test/node/crash-pay.test.ts',
  'test/node/node-cli.test.ts',
  'test/core/channeld-crash.test.ts',
  'test/node/node-forward.test.ts',
  'test/node/node-close.test.ts',
  'test/e2e/demo.test.ts',
  'test/node/node-lockin.test.ts',
  'test/node/node-daemon.test.ts',
  'test/node/node-channels.test.ts',
  'test/node/node-pay.test.ts',
  'test/node/node-forward-onchain.test.ts',
  'test/node/node-anchors.test.ts',
  'test/node/node-peer-storage.test.ts',
  'test/node/node-announce.test.ts',
  'test/node/node-blinded.test.ts',
  'test/interop/ldk-forward.test.ts',
  'test/interop/ldk-mpp.test.ts',
  'test/node/edge-pay.test.ts',
  'test/node/gossip-store-crash.test.ts',
  'test/core/noise-fuzz.test.ts',
  'test/interop/ldk-close.test.ts',
  'test/interop/ldk-pay.test.ts',
  'test/interop/ldk-blinded.test.ts',
];

/** `files` with those of LONGEST_FIRST first, in its order. */
function longestFirst(files) {
  const rank = new Map(LONGEST_FIRST.map((f, i) => [f, i]));
  const first = files.filter(f => rank.has(f)).sort((a, b) => rank.get(a) - rank.get(b));
  return [...first, ...files.filter(f => !rank.has(f))];
}

const only = process.argv.slice(2);
const files = only.length
  ? only
  : longestFirst(['test/core', 'test/node', 'test/interop', 'test/e2e', 'test/regtest'].flatMap(walk).sort());
// --test-force-exit: a file whose tests have all ended exits even if a handle is left open. Seen on
// 2026-12-08: node-peer-storage passed, then its process stayed alive on two MessagePorts of the
// main thread (a channel daemon's link not closed at stop, not yet found), and CI waited on it.
// Remove the flag to find such leaks: the file then never exits.
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/support/node-globals.mjs', '--test', '--test-concurrency=2', '--test-force-exit', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
