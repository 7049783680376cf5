// One Node wire run (bench/wire.node.bench.ts's path without the bare checks) with the CPU time of
// every thread of this process (the node's daemons and verify workers) and of the peer process,
// read from /proc (Linux): what a wall-clock ratio on a shared machine cannot show. Usage:
//   node --import tsx bench/wire-cpu.ts [--quick] [--adversarial] [--workers N]
// Run it under `perf record -e task-clock` (with NODE_OPTIONS=--perf-basic-prof) to name the functions.
// `--bare`: first the bare signature checks of the same messages on a pool like the node's, with
// their CPU time, and the run's CPU over theirs: on a machine shared with other work the wall-clock
// ratio moves with the load, the CPU one much less (with every core busy, wall ≈ CPU / cores).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../src/node/node.ts';
import { defaultVerifyWorkers } from '../src/node/verify-pool.ts';
import { loadSignedGossip } from './fixtures/signed-gossip-cache.ts';
import { startPeer, wireNow } from './wire.node.bench.ts';
import { bareChecks, describe, prefixMessages, s, wireRun } from './wire-shared.ts';
import { createNodeVerifyPool } from '../src/node/verify-pool.ts';
import { signatureItems } from './gossip.bench.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const adversarial = argv.includes('--adversarial');
const wi = argv.indexOf('--workers');
const workers = wi >= 0 ? Number(argv[wi + 1]) : defaultVerifyWorkers();
/** `--timeline`: one line per second of the run (accepted, stored, pending, duplicates). */
const timeline = argv.includes('--timeline');
const pi = argv.indexOf('--peer-prof');
/** `--peer-prof DIR`: the peer process writes a V8 CPU profile there. */
const peerExecArgv = pi >= 0 ? ['--cpu-prof', `--cpu-prof-dir=${argv[pi + 1]}`] : [];
process.env.BOLTWORKER_LOG ??= 'warn';

/** utime + stime of every thread of `pid`, in seconds, by thread id. */
function threadCpu(pid: number | 'self'): Map<number, number> {
  const out = new Map<number, number>();
  const hz = 100;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) / hz);
    } catch {
      // ended
    }
  }
  return out;
}

const now = wireNow();
const fx = await loadSignedGossip({ now, file: 'wire-signed-gossip.bin' });
const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
let bareCpu: number | undefined;
if (argv.includes('--bare')) {
  const items = signatureItems(prefixMessages(fx.gossip.messages, quick ? 2000 : undefined));
  const pool = createNodeVerifyPool({ size: workers, engine: 'libsecp256k1' });
  await pool.verifyBatch(items.slice(0, 256));
  const c0 = sum(threadCpu('self'));
  const ms = await bareChecks(pool, items);
  bareCpu = sum(threadCpu('self')) - c0;
  await pool.close();
  console.log(`bare checks: ${s(ms)} wall, ${bareCpu.toFixed(1)} s CPU (${items.length} signatures)`);
}
const { info, child } = await startPeer({ ...(quick ? { channels: 2000 } : {}), adversarial, now, execArgv: peerExecArgv });
const dir = mkdtempSync(join(tmpdir(), 'bw-wire-cpu-'));
const before = threadCpu('self');
const peerBefore = threadCpu(child.pid!);
const node = await startNode({ network: 'regtest', lightningDir: dir, verifyWorkers: workers });
try {
  const startCpu = threadCpu('self');
  let shown = -1;
  const r = await wireRun(node, info, `127.0.0.1:${info.tcp}`, (ms, st, pending) => {
    if (!timeline || Math.floor(ms / 1000) === shown) return;
    shown = Math.floor(ms / 1000);
    console.log(
      `  ${(ms / 1000).toFixed(1)} s: accepted ${st.accepted}, stored ${st.stored}, pending ${pending}, duplicates ${st.duplicates}`,
    );
  });
  const after = threadCpu('self');
  const g = ((await node.call('getinfo')) as { gossip: { stats: Record<string, number> } }).gossip;
  console.log(`gossipd stats: ${JSON.stringify(g.stats)}`);
  const peerAfter = threadCpu(child.pid!);
  console.log(
    `${adversarial ? 'adversarial' : 'clean'}${quick ? ' quick' : ''}, ${workers} verify workers: ${s(r.ms)}; ${describe(r, info)}`,
  );
  const rows: [string, number][] = [];
  for (const [t, c] of after) {
    const d = c - (startCpu.get(t) ?? before.get(t) ?? 0);
    if (d >= 0.05) rows.push([`node ${t}${before.has(t) ? '' : ' (new)'}`, d]);
  }
  for (const [t, c] of peerAfter) {
    const d = c - (peerBefore.get(t) ?? 0);
    if (d >= 0.05) rows.push([`peer ${t}`, d]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, r) => a + r[1], 0);
  console.log(
    `CPU during the run (s): total ${total.toFixed(1)}, node ${rows
      .filter(r => r[0].startsWith('node'))
      .reduce((a, r) => a + r[1], 0)
      .toFixed(1)}, peer ${rows
      .filter(r => r[0].startsWith('peer'))
      .reduce((a, r) => a + r[1], 0)
      .toFixed(1)}`,
  );
  if (bareCpu !== undefined) console.log(`run CPU / bare CPU = ${(total / bareCpu).toFixed(2)}x; wall ${s(r.ms)}`);
  for (const [name, c] of rows) console.log(`  ${name}: ${c.toFixed(2)}`);
} finally {
  await node.stop();
  child.stdin!.end();
  rmSync(dir, { recursive: true, force: true });
}
