// What both halves of the wire bench share (bench/wire.node.bench.ts in Node, bench/wire-browser.ts
// in Chromium): the peer's description, a run's result, the bare signature checks, the report line.
import type { VerifyItem, VerifyPool } from '../src/core/gossip/verify-pool.ts';

export interface PeerInfo {
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
  /** Signatures gossipd's verifier was given (where getinfo says: the browser's gossipd Worker). */
  checks?: number;
}

/** The bare signature checks of `all` on `pool`: batches of 1000, 4 in flight (gossip.bench.ts uses it too). Milliseconds. */
export async function bareChecks(pool: VerifyPool, all: VerifyItem[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let bad = 0;
  const lane = async () => {
    while (next < all.length) {
      const from = next;
      next += 1000;
      const v = await pool.verifyBatch(all.slice(from, from + 1000));
      bad += v.filter(x => x !== 1).length;
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  if (bad) throw new Error(`${bad} fixture signatures failed the bare check`);
  return performance.now() - t0;
}

export const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const k = (n: number) => n.toLocaleString('en-US');
/** Give up on a run when nothing moved for this long. */
const STALL_MS = 30_000;
/** getinfo this often: each call walks the channels a sync expects, so not too often. */
const POLL_MS = 200;

type GossipInfo = {
  verifier_checks?: number;
  state: string;
  channels_known: number;
  nodes_known: number;
  pending: number;
  stats: { accepted: number; stored: number; rejected: number; ignored: number; duplicates: number };
};

/** connect → every expected message applied and stored (or STALL_MS without progress). */
export async function wireRun(
  node: { call(method: string, params?: unknown): Promise<unknown> },
  peer: PeerInfo,
  target: string,
  /** Sees each poll: milliseconds since `connect` and gossipd's stats (bench/wire-cpu.ts --timeline). */
  onPoll?: (ms: number, stats: GossipInfo['stats'], pending: number) => void,
): Promise<WireRun> {
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
    onPoll?.(now - t0, g.stats, g.pending);
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
        ms: (done ? now : lastMove) - t0,
        complete: done,
        accepted: g.stats.accepted,
        stored: g.stats.stored,
        channels: g.channels_known,
        nodes: g.nodes_known,
        ...(syncedAt !== undefined ? { syncedAt, syncedAccepted } : {}),
        rejected: g.stats.rejected,
        ignored: g.stats.ignored,
        duplicates: g.stats.duplicates,
        peerConnected: peers.peers.some(p => p.id === peer.nodeId && p.connected),
        ...(g.verifier_checks !== undefined ? { checks: g.verifier_checks } : {}),
      };
    }
    await new Promise(r => setTimeout(r, POLL_MS));
  }
}

/** The messages of the first `channels` channels of the set (all when undefined). */
export function prefixMessages(messages: readonly Uint8Array[], channels: number | undefined): Uint8Array[] {
  if (channels === undefined) return [...messages];
  let seen = 0;
  for (let i = 0; i < messages.length; i++)
    if (messages[i]![0] === 1 && messages[i]![1] === 0 && seen++ === channels) return messages.slice(0, i);
  return [...messages];
}

export function describe(r: WireRun, peer: PeerInfo): string {
  const e = peer.expected;
  const exact = r.complete && r.accepted === e.accepted && r.channels === e.channels && r.nodes === e.nodes && r.stored === r.accepted;
  const early =
    r.syncedAt !== undefined && r.syncedAccepted! < e.accepted
      ? `; **said synced early** (at ${s(r.syncedAt)} with ${k(r.syncedAccepted!)} accepted)`
      : '';
  return `${exact ? 'exact' : '**NOT exact**'}: ${k(r.channels)}/${k(e.channels)} channels, ${k(r.nodes)}/${k(e.nodes)} nodes, accepted ${k(r.accepted)}/${k(e.accepted)}, stored ${k(r.stored)}; rejected ${k(r.rejected)}, ignored ${k(r.ignored)}, duplicates ${k(r.duplicates)}; peer ${r.peerConnected ? 'still connected' : 'disconnected'}${r.checks !== undefined ? `; signatures checked ${k(r.checks)}` : ''}${early}`;
}
