// gossip over the wire into the Node daemon: a peer in a process of its own (bench/wire-peer.ts:
// our connectd and a query answerer serving the signed set) and our node (src/node/node.ts: every
// daemon in its worker thread, the file store), over loopback TCP. Timed from `connect` until the
// last message is applied and durable (gossipd's `accepted` and `stored` both reach the count the
// set prescribes, nothing pending), beside the bare signature checks of the same messages on a
// verify pool like the node's (same engine, same worker count) in the same run. Twice: the clean
// set, and the set with about 1% of bad messages (bench/wire-slice.ts), which must end with exactly
// the clean graph. `--quick`: the first 2,000 channels.
//
// The signed set is the mainnet-size fixture signed with `now` at noon of the current day
// (the node runs on the real clock: gossip older than two weeks would be stale), cached in
// bench/out/wire-signed-gossip.bin.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Reporter } from './harness.ts';
import type { VerifyItem, VerifyPool } from '../src/core/gossip/verify-pool.ts';
import { createNodeVerifyPool, defaultVerifyWorkers } from '../src/node/verify-pool.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { loadSignedGossip } from './fixtures/signed-gossip-cache.ts';
import { signatureItems } from './gossip.bench.ts';

export const title = 'gossip over the wire: a peer process → the Node daemon (worker threads, file store), loopback TCP';
export const runtimes = ['node'];

const QUICK_CHANNELS = 2000;
const WIRE_FILE = 'wire-signed-gossip.bin';
/** Give up on a run when nothing moved for this long. */
const STALL_MS = 30_000;
const POLL_MS = 50;

interface PeerInfo {
  nodeId: string;
  tcp: number;
  ws: number;
  expected: { channels: number; nodes: number; accepted: number };
  bad: Record<string, number>;
  badTotal: number;
  reordered: number;
  goodMessages: number;
  channels: number;
}

export interface WireRun {
  ms: number;
  complete: boolean;
  /** Counts at the end. */
  accepted: number;
  stored: number;
  channels: number;
  nodes: number;
  /** When getinfo first said `synced`, and the counts then. */
  syncedAt?: number;
  syncedAccepted?: number;
  rejected: number;
  ignored: number;
  duplicates: number;
  peerConnected: boolean;
}

/**
 * Noon (UTC) of the current day: within 12 hours of the real clock, so the set's oldest update
 * (13 days before it) is not yet stale and its newest is not "too far in the future" (BOLT 7: one
 * day); the set is rebuilt once a day.
 */
export function wireNow(): number {
  return Math.floor(Date.now() / 86_400_000) * 86_400 + 43_200;
}

export async function startPeer(a: { channels?: number; adversarial: boolean; now: number }): Promise<{ info: PeerInfo; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/wire-peer.ts', JSON.stringify({ ...a, file: WIRE_FILE })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const info = await new Promise<PeerInfo>((resolve, reject) => {
    rl.once('line', (l) => resolve(JSON.parse(l) as PeerInfo));
    child.once('exit', (code) => reject(new Error(`wire peer exited with ${code}`)));
  });
  return { info, child };
}

type GossipInfo = { state: string; channels_known: number; nodes_known: number; pending: number; stats: { accepted: number; stored: number; rejected: number; ignored: number; duplicates: number } };

/** connect → every expected message applied and stored (or STALL_MS without progress). */
export async function wireRun(node: RunningNode, peer: PeerInfo, target: string): Promise<WireRun> {
  const t0 = performance.now();
  await node.call('connect', { id: `${peer.nodeId}@${target}` });
  let last = -1;
  let lastMove = performance.now();
  let syncedAt: number | undefined;
  let syncedAccepted: number | undefined;
  for (;;) {
    const info = (await node.call('getinfo')) as { gossip: GossipInfo };
    const g = info.gossip;
    const now = performance.now();
    if (g.state === 'synced' && syncedAt === undefined) {
      syncedAt = now - t0;
      syncedAccepted = g.stats.accepted;
    }
    const done = g.stats.accepted >= peer.expected.accepted && g.stats.stored >= g.stats.accepted && g.pending === 0;
    const moved = g.stats.accepted + g.stats.stored + g.stats.duplicates + g.stats.ignored + g.stats.rejected;
    if (moved !== last) {
      last = moved;
      lastMove = now;
    }
    if (done || now - lastMove > STALL_MS) {
      const peers = (await node.call('listpeers')) as { peers: { id: string; connected: boolean }[] };
      return {
        ms: (done ? now : lastMove) - t0, complete: done, accepted: g.stats.accepted, stored: g.stats.stored, channels: g.channels_known, nodes: g.nodes_known,
        ...(syncedAt !== undefined ? { syncedAt, syncedAccepted } : {}),
        rejected: g.stats.rejected, ignored: g.stats.ignored, duplicates: g.stats.duplicates,
        peerConnected: peers.peers.some((p) => p.id === peer.nodeId && p.connected),
      };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The bare checks: batches of 1000, 4 in flight (as gossip.bench.ts). */
export async function bareChecks(pool: VerifyPool, all: VerifyItem[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let bad = 0;
  const lane = async () => {
    while (next < all.length) {
      const from = next;
      next += 1000;
      const v = await pool.verifyBatch(all.slice(from, from + 1000));
      bad += v.filter((x) => x !== 1).length;
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  if (bad) throw new Error(`${bad} fixture signatures failed the bare check`);
  return performance.now() - t0;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const k = (n: number) => n.toLocaleString('en-US');

/** The messages of the first `channels` channels of the set (all when undefined). */
export function prefixMessages(messages: readonly Uint8Array[], channels: number | undefined): Uint8Array[] {
  if (channels === undefined) return [...messages];
  let seen = 0;
  for (let i = 0; i < messages.length; i++) if (messages[i]![0] === 1 && messages[i]![1] === 0 && seen++ === channels) return messages.slice(0, i);
  return [...messages];
}

export function describe(r: WireRun, peer: PeerInfo): string {
  const e = peer.expected;
  const exact = r.complete && r.accepted === e.accepted && r.channels === e.channels && r.nodes === e.nodes && r.stored === r.accepted;
  const early = r.syncedAt !== undefined && r.syncedAccepted! < e.accepted ? `; **said synced early** (at ${s(r.syncedAt)} with ${k(r.syncedAccepted!)} accepted)` : '';
  return `${exact ? 'exact' : '**NOT exact**'}: ${k(r.channels)}/${k(e.channels)} channels, ${k(r.nodes)}/${k(e.nodes)} nodes, accepted ${k(r.accepted)}/${k(e.accepted)}, stored ${k(r.stored)}; rejected ${k(r.rejected)}, ignored ${k(r.ignored)}, duplicates ${k(r.duplicates)}; peer ${r.peerConnected ? 'still connected' : 'disconnected'}${early}`;
}

export async function run(report: Reporter): Promise<void> {
  process.env.BOLTWORKER_LOG ??= 'warn';
  const channels = report.quick ? QUICK_CHANNELS : undefined;
  const now = wireNow();
  const fx = await loadSignedGossip({ now, file: WIRE_FILE, log: (l) => process.stderr.write(`  ${l}\n`) });
  const msgs = prefixMessages(fx.gossip.messages, channels);
  const items = signatureItems(msgs);
  const workers = defaultVerifyWorkers();
  const pool = createNodeVerifyPool({ size: workers, engine: 'libsecp256k1' });
  report.note(`set: ${k(msgs.length)} messages (${channels ? `first ${k(channels)} channels` : 'all'} of the ${fx.topology.source} fixture), ${k(items.length)} signatures; node: ${workers} verify workers (libsecp256k1 WASM), FileGossipStore; the machine may be shared (figures noisy)`);
  const dirs: string[] = [];
  try {
    await pool.verifyBatch(items.slice(0, 256));
    for (const adversarial of [false, true]) {
      const bare1 = await bareChecks(pool, items);
      const { info, child } = await startPeer({ ...(channels ? { channels } : {}), adversarial, now });
      const dir = mkdtempSync(join(tmpdir(), 'bw-wire-bench-'));
      dirs.push(dir);
      const node = await startNode({ network: 'regtest', lightningDir: dir, verifyWorkers: workers });
      let r: WireRun;
      try {
        r = await wireRun(node, info, `127.0.0.1:${info.tcp}`);
      } finally {
        await node.stop();
        child.stdin!.end();
      }
      const bare2 = await bareChecks(pool, items);
      const bare = (bare1 + bare2) / 2;
      const what = adversarial ? `adversarial (${k(info.badTotal)} bad messages: ${Object.entries(info.bad).map(([n, c]) => `${n} ${c}`).join(', ')}; ${k(info.reordered)} updates sent before their announcement)` : 'clean';
      report.note(`${what}: connect → last message applied and stored **${s(r.ms)}**${r.complete ? '' : ' (stalled: gave up)'}; bare checks of the good set's signatures ${s(bare)} (before ${s(bare1)}, after ${s(bare2)}); wire / bare = **${(r.ms / bare).toFixed(2)}x**; ${describe(r, info)}`);
    }
  } finally {
    await pool.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
