// gossipd's sync with peers (sync.ts) between Gossipd instances linked in memory on a fake clock:
// BOLT 7 query_option (timestamps and checksums in reply_channel_range) and query_flags, so a node
// restarted from its store asks only for the channel_updates a peer holds newer and different
// versions of, and the node_announcements it lacks; the timestamp filter from shortly before the
// sync started; further query rounds that catch gossip a peer accepted (with past timestamps)
// after our sync; several peers, each channel asked of one; peers that answer without the TLVs.
import { encodeShortChannelIds } from '../../src/core/gossip/encoding.ts';
import { CountingVerifier } from '../support/counting-verifier.ts';
import { concat, toHex, u32be } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { FILTER_MARGIN_S, MAX_NODE_ASKS, MAX_RANGE_REPLIES, MAX_ROUNDS } from '../../src/core/daemons/gossipd/sync.ts';
import type { GossipdConfig } from '../../src/core/daemons/gossipd/types.ts';
import { decodeQueryFlags, decodeShortChannelIds, QUERY_FLAG, QUERY_FLAG_ALL } from '../../src/core/gossip/encoding.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/core/gossip/sign.ts';
import { channelUpdateKey, type GossipRecord } from '../../src/core/gossip/store.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { decodeMessage, encodeMessage, type Message, type MessageOf } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_700_000_000;
/** Older than the timestamp filter's start, so only queries bring these. */
const OLD = NOW - 10_000;
const NEWER = NOW - 5_000;
const N = 6; // nodes, and channels (a ring: channel k joins node k and node k+1)
const RESYNC_MS = 30_000;
const enc = new TextEncoder();
const key = (tag: string, i: number) => sha256(concat(enc.encode(tag), u32be(i)));

// ---------------------------------------------------------------------------------------------
// Signed gossip

const nodeSecrets = Array.from({ length: N }, (_, i) => key('sync node', i));
const btcSecrets = Array.from({ length: N }, (_, i) => key('sync funding', i));
const nodeIds = nodeSecrets.map(s => toHex(getPublicKey(s)));
const scids = Array.from({ length: N }, (_, k) => scidFromParts({ block: 500 + k, txindex: 1, outnum: 0 }));
/** Channel k's ends as [node_id_1, node_id_2] (BOLT 7: node_id_1 is the lesser). */
const ends = (k: number): [number, number] => {
  const a = k;
  const b = (k + 1) % N;
  return nodeIds[a]! < nodeIds[b]! ? [a, b] : [b, a];
};
const announcement = (k: number) =>
  signChannelAnnouncement({
    chainHash: CHAIN,
    short_channel_id: scids[k]!,
    parties: [
      { nodeSecret: nodeSecrets[k]!, bitcoinSecret: btcSecrets[k]! },
      { nodeSecret: nodeSecrets[(k + 1) % N]!, bitcoinSecret: btcSecrets[(k + 1) % N]! },
    ],
  });
const update = (k: number, direction: 0 | 1, timestamp: number, fee_base_msat = 1000) =>
  signChannelUpdate({
    secret: nodeSecrets[ends(k)[direction]]!,
    chainHash: CHAIN,
    short_channel_id: scids[k]!,
    timestamp,
    direction,
    fee_base_msat,
    htlc_maximum_msat: 100_000_000n,
  });
const nodeAnn = (i: number) => signNodeAnnouncement({ secret: nodeSecrets[i]!, timestamp: OLD, alias: `n${i}` });

/** The store records of a graph: channels `ks` with both updates at OLD (unless `upd` says otherwise), and the nodes `nodes`. */
function records(
  ks: number[],
  nodes: number[],
  upd: (k: number, d: 0 | 1) => Uint8Array | undefined = (k, d) => update(k, d, OLD),
): GossipRecord[] {
  const out: GossipRecord[] = [];
  for (const k of ks) {
    out.push({ type: 256, key: scids[k]!, timestamp: 0, raw: announcement(k) });
    for (const d of [0, 1] as const) {
      const u = upd(k, d);
      if (u) out.push({ type: 258, key: channelUpdateKey(scids[k]!, d), timestamp: decodeUpdateTs(u), raw: u });
    }
  }
  for (const i of nodes) out.push({ type: 257, key: nodeIds[i]!, timestamp: OLD, raw: nodeAnn(i) });
  return out;
}

function decodeUpdateTs(raw: Uint8Array): number {
  const m = decodeMessage(raw);
  if (m.name !== 'channel_update') throw new Error('not a channel_update');
  return m.timestamp;
}

async function store(recs: GossipRecord[]): Promise<MemoryGossipStore> {
  const s = new MemoryGossipStore();
  await s.load(() => {});
  await s.writeBatch(recs);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Gossipd instances linked in memory

interface Wire {
  from: string;
  to: string;
  m: Message;
  /** The fake clock's time when it was sent (ms). */
  at: number;
}

const QUERIES = '80'; // gossip_queries, optional
const quiet = { debug() {}, info() {}, warn() {} };

class Mesh {
  readonly clock = new FakeClock();
  readonly nodes = new Map<string, Gossipd>();
  readonly verifiers = new Map<string, CountingVerifier>();
  /** Scripted peers: they see what is sent to them. */
  readonly scripts = new Map<string, (from: string, m: Message, raw: Uint8Array) => void>();
  readonly wire: Wire[] = [];
  /** Warnings sent, by whom to whom. */
  readonly warnings: { from: string; to: string; text: string }[] = [];
  private readonly up = new Set<string>();
  nowSec = NOW;

  async node(id: string, recs: GossipRecord[] = [], config: Partial<GossipdConfig> = {}): Promise<Gossipd> {
    const verifier = new CountingVerifier();
    const g = new Gossipd({
      chainHash: CHAIN,
      store: await store(recs),
      verifier,
      peers: { send: (to, raw) => this.send(id, to, raw), warn: (to, text) => void this.warnings.push({ from: id, to, text }) },
      clock: this.clock,
      log: quiet,
      now: () => this.nowSec,
      config: { relayIntervalMs: 1000, resyncMs: RESYNC_MS, ...config },
    });
    await g.load();
    this.nodes.set(id, g);
    this.verifiers.set(id, verifier);
    return g;
  }

  link(a: string, b: string, featuresOfB = QUERIES): void {
    this.up.add(`${a}>${b}`).add(`${b}>${a}`);
    this.nodes.get(a)?.newPeer(b, featuresOfB);
    this.nodes.get(b)?.newPeer(a, QUERIES);
  }

  /** `from` sends `raw` to `to`. */
  send(from: string, to: string, raw: Uint8Array): void {
    if (!this.up.has(`${from}>${to}`)) return;
    const copy = raw.slice();
    this.wire.push({ from, to, m: decodeMessage(copy) as Message, at: this.clock.now() });
    void Promise.resolve().then(() => {
      this.nodes.get(to)?.gossip(from, copy);
      this.scripts.get(to)?.(from, decodeMessage(copy) as Message, copy);
    });
  }

  sent<K extends Message['name']>(name: K, from: string, to?: string): MessageOf<K>[] {
    return this.wire
      .filter(w => w.m.name === name && w.from === from && (to === undefined || w.to === to))
      .map(w => w.m as unknown as MessageOf<K>);
  }

  async until(done: () => boolean, maxMs = 300_000): Promise<void> {
    for (let t = 0; t < maxMs && !done(); t += 100) await this.clock.tick(100);
    ok(done(), `not reached within ${maxMs} ms of fake time`);
  }

  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 100) await this.clock.tick(100);
  }
}

/** What `query_short_channel_ids` asked, as scid → query flag (31, everything, without query_flags). */
function asked(qs: readonly MessageOf<'query_short_channel_ids'>[]): Map<bigint, number> {
  const out = new Map<bigint, number>();
  for (const q of qs) {
    const ids = decodeShortChannelIds(q.encoded_short_ids);
    const flags = q.tlvs?.query_flags ? decodeQueryFlags(q.tlvs.query_flags) : ids.map(() => BigInt(QUERY_FLAG_ALL));
    equal(flags.length, ids.length);
    ids.forEach((s, i) => {
      ok(!out.has(s), `short_channel_id ${s} asked twice`);
      out.set(s, Number(flags[i]!));
    });
  }
  return out;
}

const updTs = (g: Gossipd, k: number, d: 0 | 1) => g.raw.update(scids[k]!, d)?.timestamp;
const announced = (g: Gossipd, node_id_hex: string) => g.graph.nodeTimestampAt(g.graph.findNode(node_id_hex)) >= 0;

const sideOf = (k: number, node: number) =>
  ends(k)[0] === node ? QUERY_FLAG.node_announcement_node_1 : QUERY_FLAG.node_announcement_node_2;

// ---------------------------------------------------------------------------------------------

describe('gossipd sync: query_option and query_flags', () => {
  it('after a restart from the store, asks only for the newer, different updates and what it lacks', async () => {
    const mesh = new Mesh();
    const all = [...Array(N).keys()];
    // b holds: channel 0 direction 0 newer with other fees; channel 1 direction 1 newer with the
    // same content (a keep-alive); channel 2 both directions newer and different; channel 3
    // direction 0 older than a's; every node_announcement.
    const bUpd = (k: number, d: 0 | 1) => {
      if (k === 0 && d === 0) return update(k, d, NEWER, 2000);
      if (k === 1 && d === 1) return update(k, d, NEWER);
      if (k === 2) return update(k, d, NEWER, 3000 + d);
      if (k === 3 && d === 0) return update(k, d, OLD - 100, 999);
      return update(k, d, OLD);
    };
    await mesh.node('b', records(all, all, bUpd));
    // a (restarted): channel 5 unknown, node 3's node_announcement missing, the rest at OLD.
    const a = await mesh.node('a', records([0, 1, 2, 3, 4], [0, 1, 2, 4, 5]));
    equal(a.graph.channelCount, 5);
    mesh.link('a', 'b');
    await mesh.until(() => a.peerSyncState('b') === 'done' && a.graph.channelCount === N);
    await a.flush();

    // One round: the range query asks for timestamps and checksums; b answers with them.
    const ranges = mesh.sent('query_channel_range', 'a', 'b');
    equal(ranges.length, 1);
    equal(ranges[0]!.tlvs?.query_option?.query_option_flags, 3n);
    const replies = mesh.sent('reply_channel_range', 'b', 'a');
    ok(replies.every(r => r.tlvs?.timestamps_tlv && r.tlvs.checksums_tlv));

    // Node 3 sits on channels 2 and 3: asked once, on channel 2 (the first), beside its updates.
    const queries = mesh.sent('query_short_channel_ids', 'a', 'b');
    ok(
      queries.every(q => q.tlvs?.query_flags),
      'query_flags with every query to a peer that gave timestamps',
    );
    deepEqual(
      [...asked(queries)].sort((x, y) => (x[0] < y[0] ? -1 : 1)),
      [
        [scids[0]!, QUERY_FLAG.channel_update_node_1],
        [scids[2]!, QUERY_FLAG.channel_update_node_1 | QUERY_FLAG.channel_update_node_2 | sideOf(2, 3)],
        [scids[5]!, QUERY_FLAG_ALL],
      ],
    );
    // The newer updates arrived; the same-content one and b's older one were not fetched.
    equal(updTs(a, 0, 0), NEWER);
    equal(updTs(a, 2, 0), NEWER);
    equal(updTs(a, 2, 1), NEWER);
    equal(updTs(a, 1, 1), OLD);
    equal(updTs(a, 3, 0), OLD);
    ok(announced(a, nodeIds[3]!), 'the missing node_announcement arrived');
    ok(a.graph.findChannel(scids[5]!) >= 0 && updTs(a, 5, 0) === OLD && updTs(a, 5, 1) === OLD);
    // Signatures checked: 3 updates, 1 node_announcement, channel 5's announcement (4) and
    // updates (2). Its ends' node_announcements came too and were dropped unchecked.
    equal(mesh.verifiers.get('a')!.items, 3 + 1 + 4 + 2);

    // That round fetched something: one more round later, which finds nothing and is the last.
    await mesh.run(RESYNC_MS + 1000);
    equal(mesh.sent('query_channel_range', 'a', 'b').length, 2);
    equal(mesh.sent('query_short_channel_ids', 'a', 'b').length, queries.length);
    await mesh.run(3 * RESYNC_MS);
    equal(mesh.sent('query_channel_range', 'a', 'b').length, 2);
    // The filter starts before the sync did.
    const filters = mesh.sent('gossip_timestamp_filter', 'a', 'b');
    equal(filters.length, 1);
    equal(filters[0]!.first_timestamp, NOW - FILTER_MARGIN_S);
    equal(filters[0]!.timestamp_range, 0xffffffff);
  });

  it('gets the gossip a peer accepts after our sync finished, old timestamps by query and fresh ones by the filter', async () => {
    const mesh = new Mesh();
    const all = [...Array(N).keys()];
    // b is still catching up: it holds channels 0-2 and nodes 0-2 when a syncs from it.
    const b = await mesh.node('b', records([0, 1, 2], [0, 1, 2]));
    const a = await mesh.node('a');
    mesh.link('a', 'b');
    await mesh.until(() => a.peerSyncState('b') === 'done');
    await a.flush();
    equal(a.graph.channelCount, 3);
    const rounds = mesh.sent('query_channel_range', 'a', 'b').length;
    equal(rounds, 1);

    // Now b accepts the rest from a source peer (no gossip_queries: nothing is asked of it), with
    // timestamps from before a's filter: b relays them, a's filter keeps them out.
    mesh.scripts.set('src', () => {});
    mesh.link('b', 'src', '');
    for (const r of records([3, 4, 5], all)) mesh.send('src', 'b', r.raw);
    // A fresh one too: signed shortly before a's sync started, accepted by b after it (inside the
    // filter's margin; a filter from the sync's start would keep it out).
    mesh.nowSec = NOW + 60;
    const fresh = update(0, 1, NOW - 100, 4242);
    mesh.send('src', 'b', fresh);
    await mesh.until(() => b.graph.channelCount === N && updTs(b, 0, 1) === NOW - 100);
    // The fresh one is relayed within a flush, before any new query round.
    await mesh.until(() => updTs(a, 0, 1) === NOW - 100, 5_000);
    equal(mesh.sent('query_channel_range', 'a', 'b').length, 1);
    equal(a.graph.channelCount, 3);

    // The next round (resyncMs after the first) asks for what b has gained: channels 3-5, and
    // node 3's announcement on channel 2 (joining nodes 2 and 3).
    await mesh.until(
      () =>
        a.graph.channelCount === N &&
        all.every(k => updTs(a, k, 0) !== undefined && updTs(a, k, 1) !== undefined && announced(a, nodeIds[k]!)),
    );
    equal(mesh.sent('query_channel_range', 'a', 'b').length, 2);
    const second = asked(mesh.sent('query_short_channel_ids', 'a', 'b').slice(-1));
    deepEqual(
      [...second],
      [
        [scids[2]!, sideOf(2, 3)],
        [scids[3]!, QUERY_FLAG_ALL],
        [scids[4]!, QUERY_FLAG_ALL],
        [scids[5]!, QUERY_FLAG_ALL],
      ],
    );
  });

  it('asks again for a node_announcement nobody has, but a round that got nothing starts no further round', async () => {
    const mesh = new Mesh();
    await mesh.node('b', records([...Array(N).keys()], [0, 1, 2, 3, 4]));
    const a = await mesh.node('a');
    mesh.link('a', 'b');
    await mesh.until(() => a.peerSyncState('b') === 'done' && mesh.sent('query_channel_range', 'a', 'b').length === 2);
    await mesh.run(5 * RESYNC_MS);
    // Round 1: every channel. Round 2: node 5 for the first time (on channel 4, the first with it);
    // b has no node_announcement for it, nothing of round 2 was accepted: no round 3.
    equal(mesh.sent('query_channel_range', 'a', 'b').length, 2);
    const qs = mesh.sent('query_short_channel_ids', 'a', 'b');
    deepEqual([...asked(qs.slice(-1))], [[scids[4]!, sideOf(4, 5)]]);
    equal(a.graph.channelCount, N);
  });

  it('asks a peer still catching up for a node_announcement again later, spaced in time, not once a round', async () => {
    // The demo's case: b is still validating and keeps finding something each round (resyncMs
    // apart), but accepts node 5's announcement only after several rounds, with a timestamp from
    // before a's filter (so b never relays it to a). Asked once a round, node 5 was asked in
    // rounds 2-4 and never again: a ended synced without it until a reconnect.
    const mesh = new Mesh();
    const all = [...Array(N).keys()];
    const b = await mesh.node('b', records(all, [0, 1, 2, 3, 4]));
    const R = 5_000; // a's resyncMs (short: fewer fake-clock ticks)
    const a = await mesh.node('a', [], { resyncMs: R });
    mesh.link('a', 'b');
    mesh.scripts.set('src', () => {});
    mesh.link('b', 'src', '');
    const LATE_ROUND = 6;
    for (let r = 1; r <= LATE_ROUND; r++) {
      await mesh.until(() => mesh.sent('query_channel_range', 'a', 'b').length >= r && a.peerSyncState('b') === 'done');
      mesh.send('src', 'b', update(0, 0, OLD + r, 1000 + r));
      await mesh.run(R + 1000);
    }
    ok(!announced(a, nodeIds[5]!), 'node 5 is not announced yet anywhere');
    mesh.send('src', 'b', nodeAnn(5));
    await mesh.until(() => announced(b, nodeIds[5]!));
    await mesh.until(() => announced(a, nodeIds[5]!), 40 * R);
    equal(a.progress().state, 'synced');
    // Each ask for node 5 came later than the one before by resyncMs, then twice that, and so on.
    const side = sideOf(4, 5) | sideOf(5, 5);
    const asks = mesh.wire
      .filter(w => w.from === 'a' && w.m.name === 'query_short_channel_ids')
      .filter(w =>
        [...asked([w.m as MessageOf<'query_short_channel_ids'>])].some(
          ([s, f]) => (s === scids[4] || s === scids[5]) && f & side && f !== QUERY_FLAG_ALL,
        ),
      )
      .map(w => w.at);
    ok(asks.length >= 2 && asks.length <= MAX_NODE_ASKS, `asked ${asks.length} times`);
    for (let i = 1; i < asks.length; i++) ok(asks[i]! - asks[i - 1]! >= R * 2 ** (i - 1), `ask ${i + 1} too soon: ${asks}`);
  });

  it('asks for a node_announcement nobody has MAX_NODE_ASKS times in all, spaced, then never again', async () => {
    const mesh = new Mesh();
    await mesh.node('b', records([...Array(N).keys()], [0, 1, 2, 3, 4]));
    await mesh.node('c', records([...Array(N).keys()], [0, 1, 2, 3, 4]));
    const R = 2_000; // a's resyncMs (short: fewer fake-clock ticks)
    const a = await mesh.node('a', [], { resyncMs: R });
    mesh.link('a', 'b');
    mesh.link('a', 'c');
    await mesh.run(40 * R);
    const nodeAsks = (to: string) =>
      mesh.wire
        .filter(w => w.from === 'a' && w.to === to && w.m.name === 'query_short_channel_ids')
        .filter(w => [...asked([w.m as MessageOf<'query_short_channel_ids'>])].some(([, f]) => f !== QUERY_FLAG_ALL));
    const all = [...nodeAsks('b'), ...nodeAsks('c')].sort((x, y) => x.at - y.at);
    // Over both peers: MAX_NODE_ASKS asks, each for node 5 alone, resyncMs × 1, 2, 4, 8 apart.
    equal(all.length, MAX_NODE_ASKS);
    for (const w of all) {
      const q = [...asked([w.m as MessageOf<'query_short_channel_ids'>])];
      equal(q.length, 1);
      ok(q[0]![1] === sideOf(4, 5) || q[0]![1] === sideOf(5, 5), `asked ${q}`);
    }
    for (let i = 1; i < all.length; i++) ok(all[i]!.at - all[i - 1]!.at >= R * 2 ** (i - 1), `ask ${i + 1} too soon`);
    // Nothing more, however long it runs.
    const queries = () => mesh.wire.filter(w => w.from === 'a' && w.m.name.startsWith('query')).length;
    const before = queries();
    await mesh.run(40 * R);
    equal(queries(), before);
    equal(a.progress().state, 'synced');
  });

  it('stops after MAX_ROUNDS even when every round finds something', async () => {
    const mesh = new Mesh();
    const b = await mesh.node('b', records([0], [0, 1]));
    const a = await mesh.node('a');
    mesh.link('a', 'b');
    mesh.scripts.set('src', () => {});
    mesh.link('b', 'src', '');
    // Each round, b has accepted a newer update for channel 0 (older than the filter's start).
    for (let r = 1; r <= MAX_ROUNDS + 2; r++) {
      await mesh.until(
        () => mesh.sent('query_channel_range', 'a', 'b').length >= Math.min(r, MAX_ROUNDS) && a.peerSyncState('b') === 'done',
      );
      mesh.send('src', 'b', update(0, 0, OLD + r, 1000 + r));
      await mesh.run(RESYNC_MS + 1000);
    }
    equal(mesh.sent('query_channel_range', 'a', 'b').length, MAX_ROUNDS);
    equal(updTs(a, 0, 0), OLD + MAX_ROUNDS - 1);
  });
});

describe('gossipd sync: several peers, and peers without the TLVs', () => {
  it('asks each stale update and each missing channel of one peer only', async () => {
    const mesh = new Mesh();
    const all = [...Array(N).keys()];
    const newer = (k: number, d: 0 | 1) => update(k, d, k < 4 ? NEWER : OLD, k < 4 ? 1500 : 1000);
    await mesh.node('b', records(all, all, newer));
    await mesh.node('c', records(all, all, newer));
    const a = await mesh.node('a', records([0, 1, 2], all));
    mesh.link('a', 'b');
    mesh.link('a', 'c');
    await mesh.until(() => a.progress().state === 'synced' && a.progress().peers_syncing === 0 && a.graph.channelCount === N);
    const fromB = asked(mesh.sent('query_short_channel_ids', 'a', 'b'));
    const fromC = asked(mesh.sent('query_short_channel_ids', 'a', 'c'));
    const both = [...fromB.keys(), ...fromC.keys()];
    equal(new Set(both).size, both.length, 'no short_channel_id asked of both peers');
    deepEqual(
      both.sort((x, y) => (x < y ? -1 : 1)),
      [scids[0]!, scids[1]!, scids[2]!, scids[3]!, scids[4]!, scids[5]!],
    );
    for (const k of [0, 1, 2])
      equal(fromB.get(scids[k]!) ?? fromC.get(scids[k]!), QUERY_FLAG.channel_update_node_1 | QUERY_FLAG.channel_update_node_2);
    for (const k of [0, 1, 2, 3]) equal(updTs(a, k, 1), NEWER);
  });

  it('ends the round of a peer whose reply_channel_range never ends, with a warning, and stays bounded', async () => {
    const mesh = new Mesh();
    // "endless" answers every query_channel_range with a reply that never reaches the end of the range.
    mesh.scripts.set('endless', (from, m) => {
      if (m.name !== 'query_channel_range') return;
      for (let i = 0; i < MAX_RANGE_REPLIES + 5; i++) {
        mesh.send(
          'endless',
          from,
          encodeMessage({
            name: 'reply_channel_range',
            chain_hash: CHAIN,
            first_blocknum: i,
            number_of_blocks: 1,
            sync_complete: 1,
            encoded_short_ids: encodeShortChannelIds([]),
          }),
        );
      }
    });
    const a = await mesh.node('a');
    mesh.link('a', 'endless');
    await mesh.until(() => a.peerSyncState('endless') === 'done');
    ok(
      mesh.warnings.some(w => w.from === 'a' && w.to === 'endless' && w.text.includes('range_too_long')),
      JSON.stringify(mesh.warnings),
    );
    equal(a.progress().state, 'synced');
  });

  it('asks a peer that answers without timestamps only for the channels it lacks, without query_flags', async () => {
    const mesh = new Mesh();
    const all = [...Array(N).keys()];
    const b = await mesh.node(
      'b',
      records(all, all, (k, d) => update(k, d, NEWER, 1777)),
    );
    // "old" stands between a and b and strips the TLVs from the range query and its replies, as
    // a peer without the query extensions answers.
    mesh.scripts.set('old', (from, m, raw) => {
      if (from === 'a') {
        if (m.name === 'query_channel_range') mesh.send('old', 'b', encodeMessage({ ...m, tlvs: {} }));
        else if (m.name === 'query_short_channel_ids' || m.name === 'gossip_timestamp_filter') mesh.send('old', 'b', raw);
      } else if (from === 'b') {
        if (m.name === 'reply_channel_range') mesh.send('old', 'a', encodeMessage({ ...m, tlvs: {} }));
        else mesh.send('old', 'a', raw);
      }
    });
    mesh.link('b', 'old', '');
    await mesh.run(2000);
    const a = await mesh.node('a', records([0, 1, 2, 3], all));
    mesh.link('a', 'old');
    await mesh.until(() => a.peerSyncState('old') === 'done' && a.graph.channelCount === N);
    const queries = mesh.sent('query_short_channel_ids', 'a', 'old');
    ok(queries.every(q => !q.tlvs?.query_flags));
    deepEqual([...asked(queries).keys()], [scids[4]!, scids[5]!]);
    equal(updTs(a, 0, 0), OLD);
    ok(mesh.sent('reply_channel_range', 'old', 'a').every(r => !r.tlvs?.timestamps_tlv));
    equal(b.graph.channelCount, N);
  });
});
