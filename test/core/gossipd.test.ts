// gossipd driven in-process: Gossipd instances linked in memory (each one's PeerLink delivers to
// the other's GossipLink), scripted peers that send what a test needs (LDK's silence, bad
// signatures, duplicates), a fake clock for every timer and a verifier that counts its checks.
// Covers sync (query_channel_range, query_short_channel_ids in chunks, gossip_timestamp_filter),
// the LDK fallback, answering queries, duplicates dropped before signature checks, bad peers,
// relay once to each filtering peer, and loading the store without a signature check.
import { CountingVerifier } from '../support/counting-verifier.ts';
import { packGossipBatch } from '../../src/core/daemons/connectd/batch.ts';
import { concat, fromHex, toHex, u32be } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { channelRangeReplies, scidReplies } from '../../src/core/daemons/gossipd/answer.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { RawGossip } from '../../src/core/daemons/gossipd/raw.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import type { GossipMessage } from '../../src/core/gossip/validate.ts';
import { Relay } from '../../src/core/daemons/gossipd/relay.ts';
import { parseMsat } from '../../src/core/daemons/gossipd/rpc.ts';
import type { ChainLink, GossipdConfig, SyncProgress } from '../../src/core/daemons/gossipd/types.ts';
import { decodeShortChannelIds, encodeShortChannelIds, type InflateAsync } from '../../src/core/gossip/encoding.ts';
import { QueryError } from '../../src/core/gossip/errors.ts';
import { fundingScriptPubKey } from '../../src/core/gossip/funding.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/core/gossip/sign.ts';
import { channelUpdateKey, type GossipRecord } from '../../src/core/gossip/store.ts';
import { STALE_SECONDS } from '../../src/core/gossip/validate.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';

/** A funding txid for the chain link's answers. */
const TXID = 'ab'.repeat(32);

// ---------------------------------------------------------------------------------------------
// A small signed graph

const CHAIN = chainHash('regtest');
const OTHER_CHAIN = chainHash('bitcoin');
const NOW = 1_700_000_000;
const enc = new TextEncoder();
const secret = (tag: string, i: number) => sha256(concat(enc.encode(tag), u32be(i)));

interface Fixture {
  nodeSecrets: Uint8Array[];
  nodeIds: string[];
  scids: bigint[];
  anns: Uint8Array[];
  /** Two per channel: [direction 0, direction 1] in channel order. */
  updates: Uint8Array[];
  nodeAnns: Uint8Array[];
  /** Every message in the order a peer would send them: per channel its announcement then updates, then the nodes. */
  all: Uint8Array[];
  records: GossipRecord[];
}

const N_CHANNELS = 30;
const N_NODES = 12;
let cached: Fixture | undefined;

function fixture(): Fixture {
  if (cached) return cached;
  const nodeSecrets = Array.from({ length: N_NODES }, (_, i) => secret('gossipd node', i));
  const btcSecrets = Array.from({ length: N_NODES }, (_, i) => secret('gossipd funding', i));
  const nodeIds = nodeSecrets.map(s => toHex(getPublicKey(s)));
  const f: Fixture = { nodeSecrets, nodeIds, scids: [], anns: [], updates: [], nodeAnns: [], all: [], records: [] };
  for (let k = 0; k < N_CHANNELS; k++) {
    const a = k % N_NODES;
    // A ring (so every node reaches every other), then chords.
    let b = k < N_NODES ? (k + 1) % N_NODES : (k * 5 + 3) % N_NODES;
    if (b === a) b = (a + 1) % N_NODES;
    const s = scidFromParts({ block: 100 + k * 3, txindex: k % 4, outnum: k % 2 });
    const ann = signChannelAnnouncement({
      chainHash: CHAIN,
      short_channel_id: s,
      parties: [
        { nodeSecret: nodeSecrets[a]!, bitcoinSecret: btcSecrets[a]! },
        { nodeSecret: nodeSecrets[b]!, bitcoinSecret: btcSecrets[b]! },
      ],
    });
    const upd = [a, b].map((x, side) =>
      signChannelUpdate({
        secret: nodeSecrets[x]!,
        chainHash: CHAIN,
        short_channel_id: s,
        timestamp: NOW - 100 - k,
        peer: getPublicKey(nodeSecrets[side === 0 ? b : a]!),
        fee_base_msat: 1000 + k,
        htlc_maximum_msat: 500_000_000n,
      }),
    );
    // Put the updates in direction order (0 first).
    upd.sort((x, y) => (x[2 + 64 + 32 + 8 + 4 + 1]! & 1) - (y[2 + 64 + 32 + 8 + 4 + 1]! & 1));
    f.scids.push(s);
    f.anns.push(ann);
    f.updates.push(...upd);
    f.all.push(ann, ...upd);
    f.records.push({ type: 256, key: s, timestamp: 0, raw: ann });
    upd.forEach((u, d) => f.records.push({ type: 258, key: channelUpdateKey(s, d as 0 | 1), timestamp: NOW - 100 - k, raw: u }));
  }
  nodeSecrets.forEach((sk, i) => {
    const na = signNodeAnnouncement({
      secret: sk,
      timestamp: NOW - 50 + i,
      alias: `node${i}`,
      addresses: [{ type: 'ipv4', address: `10.0.0.${i + 1}`, port: 9735 }],
    });
    f.nodeAnns.push(na);
    f.all.push(na);
    f.records.push({ type: 257, key: nodeIds[i]!, timestamp: NOW - 50 + i, raw: na });
  });
  cached = f;
  return f;
}

// ---------------------------------------------------------------------------------------------
// Harness

interface Sent {
  from: string;
  to: string;
  raw: Uint8Array;
  name: string;
}

interface Warning {
  from: string;
  to: string;
  text: string;
  disconnect: boolean;
  redialAfterMs?: number;
}

const QUERIES = '80'; // gossip_queries, optional (bit 7)
const quietLog = { debug() {}, info() {}, warn() {} };

/** A handful of Gossipd instances and scripted peers on one fake clock. */
class Net {
  readonly clock = new FakeClock();
  readonly nodes = new Map<string, Gossipd>();
  readonly verifiers = new Map<string, CountingVerifier>();
  readonly stores = new Map<string, MemoryGossipStore>();
  readonly scripted = new Map<string, (from: string, raw: Uint8Array) => void>();
  readonly sent: Sent[] = [];
  readonly warnings: Warning[] = [];
  readonly links = new Set<string>();
  readonly progress: [string, SyncProgress][] = [];
  /** What every Gossipd here takes as the time, in UNIX seconds. */
  nowSec = NOW;

  add(
    id: string,
    config: Partial<GossipdConfig> = {},
    store = new MemoryGossipStore(),
    nodeId?: string,
    inflate?: InflateAsync,
    chain?: ChainLink,
  ): Gossipd {
    const verifier = new CountingVerifier();
    const g = new Gossipd({
      chainHash: CHAIN,
      ...(nodeId ? { nodeId } : {}),
      ...(inflate ? { inflate } : {}),
      ...(chain ? { chain } : {}),
      store,
      verifier,
      peers: {
        send: (to, raw) => this.deliver(id, to, raw),
        warn: (to, text, disconnect, redialAfterMs) => {
          this.warnings.push({ from: id, to, text, disconnect, ...(redialAfterMs !== undefined ? { redialAfterMs } : {}) });
          if (disconnect) this.disconnect(id, to);
        },
      },
      clock: this.clock,
      log: quietLog,
      now: () => this.nowSec,
      onProgress: p => this.progress.push([id, p]),
      config: { relayIntervalMs: 1000, ...config },
    });
    this.nodes.set(id, g);
    this.verifiers.set(id, verifier);
    this.stores.set(id, store);
    return g;
  }

  /** A scripted peer: `on` sees each message sent to it. */
  script(id: string, on: (from: string, raw: Uint8Array) => void = () => {}): void {
    this.scripted.set(id, on);
  }

  connect(a: string, b: string, featuresA = QUERIES, featuresB = QUERIES): void {
    this.links.add(`${a}|${b}`);
    this.links.add(`${b}|${a}`);
    this.nodes.get(a)?.newPeer(b, featuresB);
    this.nodes.get(b)?.newPeer(a, featuresA);
  }

  disconnect(a: string, b: string): void {
    this.links.delete(`${a}|${b}`);
    this.links.delete(`${b}|${a}`);
    this.nodes.get(a)?.peerGone(b);
    this.nodes.get(b)?.peerGone(a);
  }

  /** `from` (a scripted peer) sends `raw` to the Gossipd `to`. */
  inject(from: string, to: string, raw: Uint8Array): void {
    this.deliver(from, to, raw);
  }

  sentTo(to: string, from?: string): Sent[] {
    return this.sent.filter(s => s.to === to && (from === undefined || s.from === from));
  }

  private deliver(from: string, to: string, raw: Uint8Array): void {
    if (!this.links.has(`${from}|${to}`)) return;
    let name = 'unknown';
    try {
      name = decodeMessage(raw).name;
    } catch {
      name = 'undecodable';
    }
    this.sent.push({ from, to, raw, name });
    const copy = raw.slice();
    void Promise.resolve().then(() => {
      if (!this.links.has(`${from}|${to}`)) return;
      this.nodes.get(to)?.gossip(from, copy);
      this.scripted.get(to)?.(from, copy);
    });
  }

  /** Runs the clock in small steps until `done()` (or fails after `maxMs` of fake time). */
  async until(done: () => boolean, maxMs = 120_000, step = 50): Promise<void> {
    for (let t = 0; t < maxMs; t += step) {
      if (done()) return;
      await this.clock.tick(step);
    }
    ok(done(), `condition not reached within ${maxMs} ms of fake time`);
  }

  async run(ms: number, step = 50): Promise<void> {
    for (let t = 0; t < ms; t += step) await this.clock.tick(step);
  }
}

async function filledStore(): Promise<MemoryGossipStore> {
  const s = new MemoryGossipStore();
  await s.load(() => {});
  await s.writeBatch(fixture().records);
  return s;
}

async function storedCount(s: MemoryGossipStore): Promise<number> {
  return (await s.stats()).live;
}

const hexes = (xs: readonly Uint8Array[]) => xs.map(x => toHex(x));

/** `n` channel_announcements of channels nobody has, each with a broken node_signature_1 (four checks, one failing). */
function forgedAnnouncements(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const x = signChannelAnnouncement({
      chainHash: CHAIN,
      short_channel_id: scidFromParts({ block: 9000 + i, txindex: 0, outnum: 0 }),
      parties: [
        { nodeSecret: secret('forger node', 2 * i), bitcoinSecret: secret('forger btc', 2 * i) },
        { nodeSecret: secret('forger node', 2 * i + 1), bitcoinSecret: secret('forger btc', 2 * i + 1) },
      ],
    });
    x[10] = x[10]! ^ 1; // inside node_signature_1
    return x;
  });
}
const TOTAL_CHECKS = () => 4 * N_CHANNELS + 2 * N_CHANNELS + N_NODES;

// ---------------------------------------------------------------------------------------------

describe('gossipd: load', () => {
  it('fills the graph from the store without a signature check and answers the RPC from it', async () => {
    const f = fixture();
    const net = new Net();
    const g = net.add('a', {}, await filledStore(), f.nodeIds[0]);
    const r = await g.load();
    deepEqual(r, { channels: N_CHANNELS, nodes: N_NODES, records: f.records.length });
    equal(net.verifiers.get('a')!.calls, 0);
    const { channels } = (await g.rpc('listchannels', {})) as { channels: { short_channel_id: string; base_fee_millisatoshi: number }[] };
    equal(channels.length, 2 * N_CHANNELS);
    const { nodes } = (await g.rpc('listnodes', { id: f.nodeIds[3] })) as { nodes: { alias: string }[] };
    equal(nodes[0]!.alias, 'node3');
    deepEqual(g.nodeAddresses(f.nodeIds[3]!), [{ type: 'ipv4', address: '10.0.0.4', port: 9735 }]);
    deepEqual(g.nodeAddresses('02' + '11'.repeat(32)), []);
    // getroute: amount as a string, exclude as scid/direction; fromid defaults to our node id.
    const dest = f.nodeIds[6]!;
    const route = (await g.rpc('getroute', { id: dest, amount_msat: '1000msat', riskfactor: 1 })) as {
      route: { id: string; amount_msat: number }[];
    };
    ok(route.route.length >= 1);
    equal(route.route[route.route.length - 1]!.id, dest);
    equal(route.route[route.route.length - 1]!.amount_msat, 1000);
    await rejects(g.rpc('getroute', { id: dest, amount_msat: 'lots', riskfactor: 1 }), QueryError, 'bad_params');
    await rejects(g.rpc('getroute', { id: dest, amount_msat: 1000, riskfactor: 1, exclude: 5 }), QueryError, 'bad_params');
    equal(parseMsat(5), 5n);
    equal(parseMsat('2sat'), 2000n);
    equal(parseMsat('0.00000001btc'), 1000n);
    equal((g.info() as { chain_source: string }).chain_source, 'trust announcements');
  });

  it('prunes channels whose updates are all older than two weeks, from the graph and the store', async () => {
    const f = fixture();
    const net = new Net();
    const store = await filledStore();
    const g = net.add('a', {}, store);
    await g.load();
    deepEqual(await g.prune(), []);
    // Channel k's updates are at NOW-100-k: two weeks after NOW-110, channels 10.. are stale.
    net.nowSec = NOW - 110 + STALE_SECONDS;
    const gone = await g.prune();
    deepEqual(gone.sort(), f.scids.slice(11).sort());
    equal(g.graph.channelCount, 11);
    equal(await storedCount(store), 11 * 3 + g.graph.nodeCount);
    const reloaded = net.add('b', {}, store);
    deepEqual((await reloaded.load()).channels, 11);
  });
});

describe('gossipd: sync', () => {
  it('syncs a whole graph with query_channel_range and query_short_channel_ids in chunks, then sets a filter', async () => {
    const f = fixture();
    const net = new Net();
    const b = net.add('b', {}, await filledStore());
    await b.load();
    const a = net.add('a', { scidsPerQuery: 7 });
    net.connect('a', 'b');
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES && a.progress().state === 'synced');
    await a.flush();
    // Every message arrived once and was checked once.
    equal(net.verifiers.get('a')!.items, TOTAL_CHECKS());
    equal(await storedCount(net.stores.get('a')!), f.records.length);
    const { channels } = (await a.rpc('listchannels', {})) as { channels: unknown[] };
    equal(channels.length, 2 * N_CHANNELS);
    const { nodes } = (await a.rpc('listnodes', {})) as { nodes: { alias?: string }[] };
    equal(nodes.filter(n => n.alias?.startsWith('node')).length, N_NODES);

    // What a sent b: one range query for the whole chain, ceil(30/7) = 5 id queries, each only
    // after the previous one's reply_short_channel_ids_end, then the timestamp filter from now.
    const log = net.sent.filter(
      s => (s.from === 'a' && s.to === 'b') || (s.from === 'b' && s.to === 'a' && s.name === 'reply_short_channel_ids_end'),
    );
    const fromA = log.filter(s => s.from === 'a').map(s => decodeMessage(s.raw) as Message);
    const range = fromA.filter(m => m.name === 'query_channel_range');
    equal(range.length, 1);
    const q0 = range[0]!;
    ok(q0.name === 'query_channel_range' && q0.first_blocknum === 0 && q0.number_of_blocks === 0xffffffff);
    const idQueries = fromA.filter(m => m.name === 'query_short_channel_ids');
    equal(idQueries.length, 5);
    const asked = idQueries.flatMap(m => (m.name === 'query_short_channel_ids' ? decodeShortChannelIds(m.encoded_short_ids) : []));
    deepEqual(asked.sort(), [...f.scids].sort());
    let outstanding = 0;
    for (const s of log) {
      if (s.name === 'query_short_channel_ids') outstanding++;
      if (s.name === 'reply_short_channel_ids_end') outstanding--;
      ok(outstanding <= 1, 'one query_short_channel_ids outstanding at a time');
    }
    const filter = fromA[fromA.length - 1]!;
    ok(filter.name === 'gossip_timestamp_filter' && filter.first_timestamp === NOW - 600 && filter.timestamp_range === 0xffffffff);
    // Progress was reported along the way (throttled), the last report with the final counts.
    await net.run(500);
    const reports = net.progress.filter(([id]) => id === 'a').map(([, p]) => p);
    ok(reports.some(p => p.state === 'syncing'));
    ok(reports.length < 20, `progress reports are throttled (${reports.length})`);
    deepEqual(a.progress(), {
      state: 'synced',
      peers_syncing: 0,
      channels_known: N_CHANNELS,
      channels_expected: N_CHANNELS,
      nodes_known: N_NODES,
    });
    deepEqual(reports[reports.length - 1], a.progress());
    // A listed channel forgotten later is expected again (graph.onChannel keeps the count).
    a.graph.removeChannel(f.scids[0]!);
    deepEqual(a.progress(), {
      state: 'synced',
      peers_syncing: 0,
      channels_known: N_CHANNELS - 1,
      channels_expected: N_CHANNELS,
      nodes_known: a.graph.nodeCount,
    });
  });

  it('asks each missing channel of one peer only when syncing from two', async () => {
    const net = new Net();
    for (const id of ['b', 'c']) await net.add(id, {}, await filledStore()).load();
    const a = net.add('a', { scidsPerQuery: 8 });
    net.connect('a', 'b');
    net.connect('a', 'c');
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.progress().state === 'synced');
    await a.flush();
    const asked = net.sent.filter(s => s.from === 'a' && s.name === 'query_short_channel_ids');
    const ids = asked.flatMap(s => {
      const m = decodeMessage(s.raw);
      return m.name === 'query_short_channel_ids' ? decodeShortChannelIds(m.encoded_short_ids) : [];
    });
    // Never one channel of both; c's backfill (the answer to a's filter, sent as fast as a takes
    // it) may bring some before they are asked for.
    ok(ids.length > 0);
    equal(new Set(ids).size, ids.length);
    equal(net.verifiers.get('a')!.items, TOTAL_CHECKS());
  });

  it('recognises a peer that never answers query_short_channel_ids (LDK) from its behaviour, and asks for everything with a timestamp filter from 0', async () => {
    const f = fixture();
    const net = new Net();
    // A day: only recognising the peer, not a timeout, can end the wait within until()'s 60 s.
    const a = net.add('a', { scidTimeoutMs: 86_400_000 });
    // The LDK-like peer: answers query_channel_range (in order, without timestamps), never
    // query_short_channel_ids, and sends everything on any gossip_timestamp_filter.
    const ranges: { first: number; blocks: number }[] = [];
    net.script('ldk', (from, raw) => {
      const m = decodeMessage(raw);
      if (m.name === 'query_channel_range') {
        ranges.push({ first: m.first_blocknum, blocks: m.number_of_blocks });
        const end = m.first_blocknum + m.number_of_blocks;
        const sorted = [...f.scids]
          .filter(s => Number(s >> 40n) >= m.first_blocknum && Number(s >> 40n) < end)
          .sort((x, y) => (x < y ? -1 : 1));
        net.inject(
          'ldk',
          from,
          encodeMessage({
            name: 'reply_channel_range',
            chain_hash: CHAIN,
            first_blocknum: m.first_blocknum,
            number_of_blocks: m.number_of_blocks,
            sync_complete: 1,
            encoded_short_ids: encodeShortChannelIds(sorted),
          }),
        );
      } else if (m.name === 'gossip_timestamp_filter') {
        for (const r of f.all) net.inject('ldk', from, r);
      }
    });
    net.connect('a', 'ldk');
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES, 60_000);
    // The probe: a query_channel_range for block 0 right behind the first query_short_channel_ids.
    deepEqual(ranges, [
      { first: 0, blocks: 0xffffffff },
      { first: 0, blocks: 1 },
    ]);
    deepEqual((a.info() as { sync_fallbacks: unknown }).sync_fallbacks, { silent: 1, timeout: 0 });
    const filters = net
      .sentTo('ldk', 'a')
      .filter(s => s.name === 'gossip_timestamp_filter')
      .map(s => decodeMessage(s.raw));
    equal(filters.length, 1);
    const fl = filters[0]!;
    ok(fl.name === 'gossip_timestamp_filter' && fl.first_timestamp === 0 && fl.timestamp_range === 0xffffffff);
    await a.flush();
    equal(await storedCount(net.stores.get('a')!), f.records.length);
    equal(a.progress().state, 'synced');
  });

  it('a peer that answers the probe before the query (out of order) is not warned for its late reply_short_channel_ids_end', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { scidTimeoutMs: 86_400_000 });
    const sorted = [...f.scids].sort((x, y) => (x < y ? -1 : 1));
    net.script('ooo', (from, raw) => {
      const m = decodeMessage(raw);
      if (m.name === 'query_channel_range') {
        const ids = m.number_of_blocks === 1 ? [] : sorted;
        net.inject(
          'ooo',
          from,
          encodeMessage({
            name: 'reply_channel_range',
            chain_hash: CHAIN,
            first_blocknum: m.first_blocknum,
            number_of_blocks: m.number_of_blocks,
            sync_complete: 1,
            encoded_short_ids: encodeShortChannelIds(ids),
          }),
        );
      } else if (m.name === 'query_short_channel_ids') {
        // Answered a second later, after the probe.
        net.clock.setTimeout(() => {
          for (const r of f.all) net.inject('ooo', from, r);
          net.inject('ooo', from, encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: CHAIN, full_information: 1 }));
        }, 1000);
      }
    });
    net.connect('a', 'ooo');
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES);
    await net.run(2000);
    deepEqual(
      net.warnings.filter(w => w.to === 'ooo'),
      [],
    );
    deepEqual((a.info() as { sync_fallbacks: unknown }).sync_fallbacks, { silent: 1, timeout: 0 });
  });

  it('asks another peer that listed them for the channels a silent peer was asked for', async () => {
    const f = fixture();
    const net = new Net();
    // An hour on: the gossip is older than b's timestamp filter (which starts ten minutes before the sync), so only queries bring it.
    net.nowSec = NOW + 3600;
    const a = net.add('a', { scidTimeoutMs: 10_000 });
    // Lists every channel first, then never answers anything and sends nothing on the filter either.
    let listed = false;
    net.script('silent', (from, raw) => {
      const m = decodeMessage(raw);
      if (m.name !== 'query_channel_range' || listed) return;
      listed = true;
      const sorted = [...f.scids].sort((x, y) => (x < y ? -1 : 1));
      net.inject(
        'silent',
        from,
        encodeMessage({
          name: 'reply_channel_range',
          chain_hash: CHAIN,
          first_blocknum: 0,
          number_of_blocks: 0xffffffff,
          sync_complete: 1,
          encoded_short_ids: encodeShortChannelIds(sorted),
        }),
      );
    });
    net.connect('a', 'silent');
    await net.until(() => a.peerSyncState('silent') === 'scids');
    await net.add('b', {}, await filledStore()).load();
    net.connect('a', 'b');
    // b lists the same channels, but silent was asked for them first: b is asked for nothing yet.
    await net.until(() => a.peerSyncState('b') === 'done');
    equal(net.sentTo('b', 'a').filter(s => s.name === 'query_short_channel_ids').length, 0);
    // silent times out; its channels go to b.
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES, 60_000);
    ok(net.sentTo('b', 'a').filter(s => s.name === 'query_short_channel_ids').length > 0);
    await a.flush();
    equal(net.verifiers.get('a')!.items, TOTAL_CHECKS());
  });

  it('reads zlib-encoded (encoding 1) short_channel_id arrays through the injected inflate', async () => {
    const f = fixture();
    const net = new Net();
    // A stand-in "zlib": the test's deflate prefixes 0x78 and the inflate strips it.
    const inflated: number[] = [];
    const a = net.add('a', {}, undefined, undefined, (z, max) => {
      ok(z[0] === 0x78 && z.length - 1 <= max);
      inflated.push(z.length - 1);
      return z.subarray(1);
    });
    await net.add('b', {}, await filledStore()).load();
    let listed = false;
    net.script('z', (from, raw) => {
      const m = decodeMessage(raw);
      if (m.name !== 'query_channel_range' || listed) return;
      listed = true;
      const ids = encodeShortChannelIds([...f.scids].sort((x, y) => (x < y ? -1 : 1)));
      const zlib = concat(new Uint8Array([1, 0x78]), ids.subarray(1));
      net.inject(
        'z',
        from,
        encodeMessage({
          name: 'reply_channel_range',
          chain_hash: CHAIN,
          first_blocknum: 0,
          number_of_blocks: 0xffffffff,
          sync_complete: 1,
          encoded_short_ids: zlib,
        }),
      );
    });
    net.connect('a', 'z');
    await net.until(() => a.peerSyncState('z') === 'scids');
    deepEqual(inflated, [8 * N_CHANNELS]);
    const q = net.sentTo('z', 'a').find(s => s.name === 'query_short_channel_ids');
    ok(q);
    // Our own queries always use encoding 0.
    const m = decodeMessage(q.raw);
    ok(m.name === 'query_short_channel_ids' && m.encoded_short_ids[0] === 0);
  });

  it('gives up on a stalled query_channel_range and moves on', async () => {
    const net = new Net();
    const a = net.add('a', { rangeTimeoutMs: 5_000 });
    net.script('mute');
    net.connect('a', 'mute');
    equal(a.peerSyncState('mute'), 'range');
    equal(a.progress().state, 'syncing');
    await net.run(5_100);
    equal(a.peerSyncState('mute'), 'done');
    const last = net.sentTo('mute', 'a').map(s => decodeMessage(s.raw));
    ok(last[last.length - 1]!.name === 'gossip_timestamp_filter');
  });

  it('sends a peer without gossip_queries a filter that asks for nothing, and no query', async () => {
    const net = new Net();
    net.add('a');
    net.script('old');
    net.connect('a', 'old', QUERIES, '');
    await net.run(100);
    const got = net.sentTo('old', 'a').map(s => decodeMessage(s.raw));
    equal(got.length, 1);
    const m = got[0]!;
    ok(m.name === 'gossip_timestamp_filter' && m.first_timestamp === 0xffffffff && m.timestamp_range === 0);
  });
});

describe('gossipd: nothing dropped, nothing claimed early', () => {
  it('says synced only once every answer to its queries is applied, not when the last reply_short_channel_ids_end arrives', async () => {
    const net = new Net();
    await net.add('b', {}, await filledStore()).load();
    const a = net.add('a', { scidsPerQuery: 7 });
    let open!: () => void;
    net.verifiers.get('a')!.gate = new Promise<void>(r => (open = r));
    net.connect('a', 'b');
    // Every query answered (the syncer is done with b), none of it checked yet.
    await net.until(() => a.peerSyncState('b') === 'done');
    equal(a.graph.channelCount, 0);
    equal(a.progress().state, 'syncing');
    open();
    net.verifiers.get('a')!.gate = undefined;
    await net.until(() => a.progress().state === 'synced');
    equal(a.graph.channelCount, N_CHANNELS);
    equal(a.graph.nodeCount, N_NODES);
    const synced = net.progress.filter(([id, p]) => id === 'a' && p.state === 'synced');
    ok(synced.length >= 1, 'onProgress reported synced');
    ok(synced.every(([, p]) => p.channels_known === N_CHANNELS));
  });

  it('takes gossip in batches; while more than ingestMax wait, a batch is answered only once there is room, and nothing is dropped', async () => {
    const f = fixture();
    const net = new Net();
    const g = net.add('a', { ingestMax: 10 });
    net.script('p');
    net.connect('a', 'p');
    let open!: () => void;
    net.verifiers.get('a')!.gate = new Promise<void>(r => (open = r));
    const first = g.gossipBatch('p', packGossipBatch(f.all.slice(0, 8)));
    equal(first, undefined); // room: connectd goes on reading
    let roomAgain = false;
    const second = g.gossipBatch('p', packGossipBatch(f.all.slice(8)));
    ok(second, 'behind: a promise');
    void second!.then(() => (roomAgain = true));
    await net.run(200);
    equal(roomAgain, false);
    open();
    net.verifiers.get('a')!.gate = undefined;
    await net.until(() => roomAgain);
    await g.flush();
    equal(g.graph.channelCount, N_CHANNELS);
    equal(g.graph.nodeCount, N_NODES);
    equal(g.stats.accepted, f.all.length);
  });
  it('updates and node_announcements held for an announcement being checked count as pending: the peer is slowed before the hold caps drop any', async () => {
    const f = fixture();
    const net = new Net();
    // Each announcement then its two updates, as a peer answers a query: the updates wait for an
    // announcement still being checked. Counting only the announcements, 8 of them in flight let 16
    // updates be held, past holdMax, and the oldest were dropped though the sync asked for them.
    const g = net.add('a', { ingestMax: 8, holdMax: 12 });
    net.script('p');
    net.connect('a', 'p');
    let open: (() => void) | undefined;
    net.verifiers.get('a')!.gate = new Promise<void>(r => (open = r));
    let slowed = 0;
    const order = f.anns.flatMap((ann, i) => [ann, f.updates[2 * i]!, f.updates[2 * i + 1]!]).concat(f.nodeAnns);
    for (const m of order) {
      const wait = g.gossipBatch('p', packGossipBatch([m]));
      // Time for the batch timer: the announcements leave the queue for the (gated) verifier.
      await net.run(10);
      if (!wait) continue;
      // As connectd does: no more reading until gossipd has room again.
      slowed++;
      let room = false;
      void wait.then(() => (room = true));
      open?.();
      open = undefined;
      net.verifiers.get('a')!.gate = undefined;
      await net.until(() => room);
    }
    ok(slowed > 0, 'the peer was slowed down');
    await g.flush();
    equal(g.stats.held_dropped, 0, 'nothing held was dropped');
    equal(g.graph.channelCount, N_CHANNELS);
    equal(g.graph.nodeCount, N_NODES);
    equal(g.stats.accepted, f.all.length);
  });
});

describe('gossipd: held messages expire', () => {
  it('an update held for a channel that never comes is dropped after holdMs and counted; its channel arriving later does not bring it back', async () => {
    const f = fixture();
    const net = new Net();
    const g = net.add('a', { holdMs: 5_000 });
    net.script('p');
    net.connect('a', 'p');
    g.gossipBatch('p', packGossipBatch([f.updates[0]!]));
    await net.run(100);
    equal(g.stats.held, 1, 'held for its channel');
    equal(g.stats.held_dropped, 0);
    await net.run(6_000, 500);
    equal(g.stats.held, 0, 'gone after holdMs');
    equal(g.stats.held_dropped, 1, 'counted as dropped');
    g.gossipBatch('p', packGossipBatch([f.anns[0]!]));
    await g.flush();
    equal(g.graph.channelCount, 1);
    equal(g.stats.accepted, 1, 'only the announcement: the expired update was not kept');
  });
});

describe('gossipd: answering queries', () => {
  it('answers query_short_channel_ids with the raw gossip, and other chains with full_information 0', async () => {
    const f = fixture();
    const net = new Net();
    await net.add('b', {}, await filledStore()).load();
    net.script('q');
    net.connect('q', 'b');
    await net.run(100);
    const before = net.sentTo('q', 'b').length;
    net.inject(
      'q',
      'b',
      encodeMessage({ name: 'query_short_channel_ids', chain_hash: CHAIN, encoded_short_ids: encodeShortChannelIds([1n, f.scids[0]!]) }),
    );
    await net.run(100);
    const got = net.sentTo('q', 'b').slice(before);
    deepEqual(
      got.map(s => s.name),
      ['channel_announcement', 'channel_update', 'channel_update', 'node_announcement', 'node_announcement', 'reply_short_channel_ids_end'],
    );
    deepEqual(hexes(got.slice(0, 3).map(s => s.raw)), hexes([f.anns[0]!, f.updates[0]!, f.updates[1]!]));
    const end = decodeMessage(got[5]!.raw);
    ok(end.name === 'reply_short_channel_ids_end' && end.full_information === 1);

    const n2 = net.sentTo('q', 'b').length;
    net.inject(
      'q',
      'b',
      encodeMessage({ name: 'query_short_channel_ids', chain_hash: OTHER_CHAIN, encoded_short_ids: encodeShortChannelIds([f.scids[0]!]) }),
    );
    net.inject(
      'q',
      'b',
      encodeMessage({ name: 'query_channel_range', chain_hash: OTHER_CHAIN, first_blocknum: 0, number_of_blocks: 1000 }),
    );
    await net.run(100);
    const other = net
      .sentTo('q', 'b')
      .slice(n2)
      .map(s => decodeMessage(s.raw));
    equal(other.length, 2);
    ok(other[0]!.name === 'reply_short_channel_ids_end' && other[0]!.full_information === 0);
    // BOLT 7 since lightning/bolts#826: the final reply_channel_range "MUST set sync_complete to true", for any chain.
    ok(
      other[1]!.name === 'reply_channel_range' &&
        other[1]!.sync_complete === 1 &&
        decodeShortChannelIds(other[1]!.encoded_short_ids).length === 0,
    );
  });

  it('answers query_channel_range with the channels in the range, with timestamps when asked', async () => {
    const f = fixture();
    const net = new Net();
    await net.add('b', {}, await filledStore()).load();
    net.script('q');
    net.connect('q', 'b');
    await net.run(100);
    const before = net.sentTo('q', 'b').length;
    // Blocks 100..129: channels k = 0..9 (block 100 + 3k).
    net.inject(
      'q',
      'b',
      encodeMessage({
        name: 'query_channel_range',
        chain_hash: CHAIN,
        first_blocknum: 100,
        number_of_blocks: 30,
        tlvs: { query_option: { query_option_flags: 1n } },
      }),
    );
    await net.run(100);
    const replies = net
      .sentTo('q', 'b')
      .slice(before)
      .map(s => decodeMessage(s.raw));
    equal(replies.length, 1);
    const r = replies[0]!;
    ok(r.name === 'reply_channel_range');
    equal(r.first_blocknum, 100);
    equal(r.number_of_blocks, 30);
    equal(r.sync_complete, 1);
    deepEqual(decodeShortChannelIds(r.encoded_short_ids), f.scids.slice(0, 10));
    ok(r.tlvs?.timestamps_tlv !== undefined);
    equal(r.tlvs!.timestamps_tlv!.encoded_timestamps.length, 8 * 10);
  });

  it('splits a large reply_channel_range into messages that fit and cover the range contiguously', () => {
    const scids: bigint[] = [];
    for (let i = 0; i < 20_000; i++) scids.push(scidFromParts({ block: 500_000 + Math.floor(i / 3), txindex: i % 3, outnum: 0 }));
    const replies = [
      ...channelRangeReplies(
        CHAIN,
        { first_blocknum: 0, number_of_blocks: 0xffffffff, options: 0n },
        BigUint64Array.from(scids),
        () => undefined,
      ),
    ];
    ok(replies.length >= 3);
    let covered = 0;
    const got: bigint[] = [];
    replies.forEach((r, i) => {
      ok(encodeMessage(r).length <= 65535);
      ok(r.first_blocknum <= covered, 'contiguous');
      ok(r.first_blocknum >= (i ? replies[i - 1]!.first_blocknum : 0));
      covered = r.first_blocknum + r.number_of_blocks;
      equal(r.sync_complete, i === replies.length - 1 ? 1 : 0);
      const ids = decodeShortChannelIds(r.encoded_short_ids);
      for (const s of ids) ok(Number(s >> 40n) >= r.first_blocknum && Number(s >> 40n) < covered, 'ids inside their reply');
      got.push(...ids);
    });
    equal(covered, 0xffffffff);
    equal(got.length, scids.length);
    // An empty graph still answers, once, with the whole range.
    const empty = [
      ...channelRangeReplies(CHAIN, { first_blocknum: 7, number_of_blocks: 10, options: 0n }, new BigUint64Array(0), () => undefined),
    ];
    equal(empty.length, 1);
    ok(empty[0]!.first_blocknum === 7 && empty[0]!.number_of_blocks === 10 && empty[0]!.sync_complete === 1);
  });

  it('follows query_flags in query_short_channel_ids', async () => {
    const f = fixture();
    const store = await filledStore();
    const g = new Graph();
    for (const m of f.all) g.applyGossip(decodeMessage(m) as GossipMessage);
    const raw = new RawGossip(g, keys => store.read(keys));
    const out: Uint8Array[] = [];
    for await (const m of scidReplies(
      [f.scids[0]!],
      [4n],
      raw,
      () => ['x', 'y'],
      () => true,
    ))
      out.push(m);
    deepEqual(hexes(out), hexes([f.updates[1]!]));
  });
});

describe('gossipd: relay', () => {
  it('sends at most relayPerTick per flush, skips the origin and what the filter excludes, and trims its log', () => {
    const r = new Relay(2);
    r.addPeer('x');
    r.addPeer('y');
    r.setFilter('x', { first_timestamp: 10, timestamp_range: 100 });
    for (let i = 0; i < 6; i++) r.push(new Uint8Array([i]), i === 5 ? 200 : 50, i === 0 ? 'x' : 'z');
    const got: string[] = [];
    const send = (id: string, raw: Uint8Array) => got.push(`${id}:${raw[0]}`);
    r.tick(send);
    deepEqual(got, ['x:1', 'x:2']);
    r.tick(send);
    r.tick(send);
    deepEqual(got, ['x:1', 'x:2', 'x:3', 'x:4']);
    ok(!r.logBusy, 'log trimmed once every peer is past it');
    equal(r.relayed, 4);
  });

  it('holds nothing while no peer but the origin has a filter (a sync from a quiet peer is not kept until the flush)', () => {
    const r = new Relay(10);
    r.addPeer('x');
    r.addPeer('y');
    r.setFilter('x', { first_timestamp: 0, timestamp_range: 1000 });
    // From x, the only peer with a filter: no one would get it.
    for (let i = 0; i < 3; i++) r.push(new Uint8Array([i]), 50, 'x');
    ok(!r.logBusy, 'nothing held for a peer without a filter');
    ok(!r.wanted('x') && r.wanted('y'));
    r.push(new Uint8Array([9]), 50, 'y');
    ok(r.logBusy);
    const got: string[] = [];
    r.tick((id, raw) => got.push(`${id}:${raw[0]}`));
    deepEqual(got, ['x:9']);
  });

  it('leaves out what `keep` refuses at send time, without spending the budget on it', () => {
    const r = new Relay(2);
    r.addPeer('x');
    r.setFilter('x', { first_timestamp: 0, timestamp_range: 1000 });
    for (let i = 0; i < 5; i++) r.push(new Uint8Array([i === 1 || i === 2 ? 66 : i]), 50, 'z');
    const got: number[] = [];
    const keep = (raw: Uint8Array) => raw[0] !== 66;
    r.tick((_id, raw) => got.push(raw[0]!), keep);
    deepEqual(got, [0, 3]);
    r.tick((_id, raw) => got.push(raw[0]!), keep);
    deepEqual(got, [0, 3, 4]);
    equal(r.relayed, 3);
  });

  it("keeps each peer's latest filter, the one record gossipd backfills from", () => {
    const r = new Relay(2);
    r.addPeer('x');
    equal(r.filterOf('x'), undefined, 'none before its first gossip_timestamp_filter');
    r.setFilter('x', { first_timestamp: 10, timestamp_range: 100 });
    r.setFilter('x', { first_timestamp: 20, timestamp_range: 5 });
    deepEqual(r.filterOf('x'), { first_timestamp: 20, timestamp_range: 5 }, 'replaced by the newer one');
    r.removePeer('x');
    equal(r.filterOf('x'), undefined, 'gone with the peer');
  });
});

describe('gossipd: gossip in', () => {
  it('drops duplicates before any signature check, from one peer or several, in flight or applied', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a');
    for (const p of ['p1', 'p2']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    // The same gossip from two peers at once: checked once.
    for (const r of f.all) {
      net.inject('p1', 'a', r);
      net.inject('p2', 'a', r);
    }
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES);
    await a.flush();
    const v = net.verifiers.get('a')!;
    equal(v.items, TOTAL_CHECKS());
    const calls = v.calls;
    // And again, after it was applied: nothing reaches the verifier.
    for (const r of f.all) net.inject('p2', 'a', r);
    await net.run(500);
    await a.flush();
    equal(v.items, TOTAL_CHECKS());
    equal(v.calls, calls);
    ok(a.stats.duplicates >= f.all.length * 2);
    equal(await storedCount(net.stores.get('a')!), f.records.length);
    equal(net.warnings.length, 0);
  });

  it('warns on bad gossip at most once per warnIntervalMs, keeps a mostly valid peer and everything valid it sent', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { warnIntervalMs: 10_000 });
    net.script('mixed');
    net.connect('mixed', 'a');
    await net.run(100);
    // About 1 in 8 of what it sends is bad: forged announcements for other channels, undecodable bytes.
    const forged = forgedAnnouncements(6);
    f.all.forEach((r, i) => {
      net.inject('mixed', 'a', r);
      if (i % 8 === 7) net.inject('mixed', 'a', i % 16 === 7 ? forged[(i >> 4) % forged.length]! : f.updates[0]!.subarray(0, 40));
    });
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES);
    await a.flush();
    // BOLT 7: "SHOULD send a warning" — once here, the rest suppressed; "MAY close": it does not.
    equal(net.warnings.length, 1);
    ok(!net.warnings[0]!.disconnect);
    ok(net.links.has('mixed|a'));
    ok(a.stats.warnings_suppressed >= 5, `${a.stats.warnings_suppressed}`);
    equal(await storedCount(net.stores.get('a')!), f.records.length);
    // After the interval, the next bad message is warned about, with the count left out.
    await net.run(10_000, 1000);
    net.inject('mixed', 'a', forged[0]!);
    await net.run(200);
    await a.flush();
    equal(net.warnings.length, 2);
    ok(net.warnings[1]!.text.includes('more since the last warning'), net.warnings[1]!.text);
    ok(!net.warnings[1]!.disconnect);
  });

  it('disconnects a peer whose recent gossip is mostly invalid, does not serve it again for banMs, and spares other peers', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { badMinMessages: 5, banMs: 600_000 });
    for (const p of ['bad', 'good']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    const forged = forgedAnnouncements(6);
    for (const r of forged.slice(0, 4)) net.inject('bad', 'a', r);
    await net.run(200);
    await a.flush();
    ok(net.links.has('bad|a'), 'four bad messages: warned, still connected');
    equal(net.warnings.filter(w => w.to === 'bad').length, 1);
    net.inject('bad', 'a', forged[4]!);
    await net.run(200);
    await a.flush();
    const last = net.warnings[net.warnings.length - 1]!;
    deepEqual(
      { to: last.to, disconnect: last.disconnect, redialAfterMs: last.redialAfterMs },
      { to: 'bad', disconnect: true, redialAfterMs: 600_000 },
    );
    ok(last.text.includes('invalid'), last.text);
    ok(!net.links.has('bad|a'));
    equal(a.stats.peers_disconnected, 1);
    equal(a.graph.channelCount, 0);
    // It dials back in: nothing it sends is taken, nothing asked of it.
    const queries = () => net.sentTo('bad', 'a').filter(s => s.name === 'query_channel_range').length;
    const asked = queries();
    net.connect('bad', 'a');
    await net.run(100);
    const checks = net.verifiers.get('a')!.items;
    for (const r of f.all) net.inject('bad', 'a', r);
    await net.run(500);
    await a.flush();
    equal(a.graph.channelCount, 0);
    equal(net.verifiers.get('a')!.items, checks);
    equal(queries(), asked);
    // The good peer's gossip is all taken; nobody else was warned.
    for (const r of f.all) net.inject('good', 'a', r);
    await net.until(() => a.graph.channelCount === N_CHANNELS);
    await a.flush();
    equal(await storedCount(net.stores.get('a')!), f.records.length);
    ok(net.warnings.every(w => w.to === 'bad'));
    // After the ban, a new connection is served again.
    net.disconnect('bad', 'a');
    await net.run(600_000, 10_000);
    const before = queries();
    net.connect('bad', 'a');
    await net.run(100);
    equal(queries(), before + 1);
  });

  it('disconnects a peer that makes us check bad signatures faster than badSigsPerSecond, however much valid gossip it also sends', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { badSigsPerSecond: 1, badWindowMs: 10_000 });
    net.script('p');
    net.connect('p', 'a');
    await net.run(100);
    for (const r of f.all) net.inject('p', 'a', r);
    await net.until(() => a.graph.channelCount === N_CHANNELS);
    // Valid duplicates keep the ratio of bad messages low...
    for (let i = 0; i < 5; i++) for (const r of f.all) net.inject('p', 'a', r);
    // ...but two forged announcements cost 8 failed checks (under 10 in 10 s), a third 12.
    const forged = forgedAnnouncements(3);
    net.inject('p', 'a', forged[0]!);
    net.inject('p', 'a', forged[1]!);
    await net.run(200);
    await a.flush();
    ok(net.links.has('p|a'));
    net.inject('p', 'a', forged[2]!);
    await net.run(200);
    await a.flush();
    ok(!net.links.has('p|a'));
    ok(net.warnings[net.warnings.length - 1]!.text.includes('bad signatures'));
    equal(a.graph.channelCount, N_CHANNELS, 'what it sent that was valid stays');
  });

  it('stale, duplicate, wrong-chain and unknown-channel gossip is not held against a peer', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { badMinMessages: 1 });
    net.script('p');
    net.connect('p', 'a');
    await net.run(100);
    for (const r of f.all) net.inject('p', 'a', r);
    await net.until(() => a.graph.channelCount === N_CHANNELS);
    const stale = signChannelUpdate({
      secret: f.nodeSecrets[0]!,
      chainHash: CHAIN,
      short_channel_id: f.scids[0]!,
      timestamp: NOW - STALE_SECONDS - 10,
      direction: 0,
      htlc_maximum_msat: 1n,
    });
    const otherChain = signChannelUpdate({
      secret: f.nodeSecrets[0]!,
      chainHash: OTHER_CHAIN,
      short_channel_id: f.scids[0]!,
      timestamp: NOW,
      direction: 0,
      htlc_maximum_msat: 1n,
    });
    const unknown = signChannelUpdate({
      secret: f.nodeSecrets[0]!,
      chainHash: CHAIN,
      short_channel_id: 999n,
      timestamp: NOW,
      direction: 0,
      htlc_maximum_msat: 1n,
    });
    for (let i = 0; i < 20; i++) for (const r of [stale, otherChain, unknown, ...f.all]) net.inject('p', 'a', r);
    await net.run(500);
    await a.flush();
    equal(net.warnings.length, 0);
    ok(net.links.has('p|a'));
  });

  it('trust mode: a channel_update failing against an announcement no chain source checked blames nobody; with a chain source it counts', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { badMinMessages: 2 });
    net.script('p');
    net.connect('p', 'a');
    await net.run(100);
    net.inject('p', 'a', f.anns[0]!);
    await net.until(() => a.graph.channelCount === 1);
    // Signed by the other end of the channel: fails against the node id we hold.
    const wrongEnd = (t: number) =>
      signChannelUpdate({
        secret: f.nodeSecrets[1]!,
        chainHash: CHAIN,
        short_channel_id: f.scids[0]!,
        timestamp: t,
        direction: 0,
        htlc_maximum_msat: 1000n,
      });
    for (let i = 0; i < 10; i++) net.inject('p', 'a', wrongEnd(NOW - 10 - i));
    await net.run(200);
    await a.flush();
    equal(a.stats.unattributed, 10);
    equal(net.warnings.length, 0);
    ok(net.links.has('p|a'));

    // With a chain source the announcement's keys were checked on chain: the peer is to blame.
    const m = decodeMessage(f.anns[0]!);
    ok(m.name === 'channel_announcement');
    const b = net.add('b', { badMinMessages: 2 }, undefined, undefined, undefined, {
      getTxout: async () => ({ amount_sat: 1_000_000, script: fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2), txid: TXID }),
      watchTxouts: () => {},
    });
    net.script('q');
    net.connect('q', 'b');
    await net.run(100);
    net.inject('q', 'b', f.anns[0]!);
    await net.until(() => b.graph.channelCount === 1);
    net.inject('q', 'b', wrongEnd(NOW - 10));
    await net.run(200);
    await b.flush();
    equal(net.warnings.filter(w => w.from === 'b').length, 1);
    equal(b.stats.unattributed, 0);
  });
  it('checks channel_announcements against the chain source when there is one', async () => {
    const f = fixture();
    const net = new Net();
    const asked: bigint[] = [];
    const g = new Gossipd({
      chainHash: CHAIN,
      store: new MemoryGossipStore(),
      verifier: new CountingVerifier(),
      peers: { send: () => {}, warn: () => {} },
      clock: net.clock,
      log: quietLog,
      now: () => NOW,
      chain: {
        watchTxouts: () => {},
        async getTxout(scid) {
          asked.push(scid);
          const k = f.scids.indexOf(scid);
          // Channel 0: the right output; channel 1: spent (none); channel 2: another script.
          if (k === 1 || k < 0) return undefined;
          const m = decodeMessage(f.anns[k]!);
          if (m.name !== 'channel_announcement') return undefined;
          return {
            amount_sat: 1_000_000 + k,
            script: k === 2 ? new Uint8Array(34) : fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2),
            txid: TXID,
          };
        },
      },
    });
    g.newPeer('p', '');
    for (const r of f.all.slice(0, 9)) g.gossip('p', r);
    await net.run(200);
    await g.flush();
    deepEqual(asked, f.scids.slice(0, 3));
    equal(g.graph.channelCount, 1);
    const { channels } = (await g.rpc('listchannels', {})) as { channels: { amount_msat: number }[] };
    deepEqual(
      channels.map(c => c.amount_msat),
      [1_000_000_000, 1_000_000_000],
    );
    equal((g.info() as { chain_source: string }).chain_source, 'lightningd');
  });

  it('warns on a malformed query and on replies nobody asked for', async () => {
    const net = new Net();
    net.add('a', { warnIntervalMs: 0 });
    net.script('p');
    net.connect('p', 'a', '', '');
    await net.run(100);
    net.inject('p', 'a', new Uint8Array([0x01, 0x07, 1, 2, 3])); // query_channel_range, truncated
    net.inject('p', 'a', encodeMessage({ name: 'reply_short_channel_ids_end', chain_hash: CHAIN, full_information: 1 }));
    await net.run(100);
    equal(net.warnings.length, 2);
  });

  it('relays each accepted message once to every other peer that set a filter, in order, and backfills a new filter', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { relayIntervalMs: 1000 });
    for (const p of ['src', 'r1', 'nofilter']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    const filter = encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff });
    net.inject('src', 'a', filter);
    net.inject('r1', 'a', filter);
    await net.run(100);
    for (const r of f.all) net.inject('src', 'a', r);
    await net.until(() => a.graph.nodeCount === N_NODES && a.graph.channelCount === N_CHANNELS);
    await net.run(5_000);
    const gossipTo = (p: string) =>
      net.sentTo(p, 'a').filter(s => ['channel_announcement', 'channel_update', 'node_announcement'].includes(s.name));
    const r1 = gossipTo('r1');
    equal(r1.length, f.all.length);
    equal(new Set(hexes(r1.map(s => s.raw))).size, f.all.length);
    // Each channel_announcement before its channel_updates.
    const at = new Map(r1.map((s, i) => [toHex(s.raw), i]));
    f.scids.forEach((_, k) => ok(at.get(toHex(f.anns[k]!))! < at.get(toHex(f.updates[2 * k]!))!));
    equal(gossipTo('src').length, 0, 'nothing back to where it came from');
    equal(gossipTo('nofilter').length, 0, 'nothing without a gossip_timestamp_filter');
    // Later flushes send nothing again.
    await net.run(5_000);
    equal(gossipTo('r1').length, f.all.length);

    // A filter set now gets the stored gossip within its range: the 10 newest channels'
    // updates (timestamps NOW-109..NOW-100) with their announcements, and every node (NOW-50..).
    net.inject(
      'nofilter',
      'a',
      encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: NOW - 109, timestamp_range: 0xffffffff }),
    );
    await net.run(3_000);
    const late = gossipTo('nofilter');
    equal(late.length, 10 * 3 + N_NODES);
    deepEqual(hexes(late.slice(0, 3).map(s => s.raw)), hexes([f.anns[0]!, f.updates[0]!, f.updates[1]!]));
  });
});

describe('gossipd: conflicts, held gossip, relay order, dont_forward, refused channels', () => {
  /** A channel_announcement for `scid` under keys of the hijacker's own, with a valid update from each of its ends. */
  function hijack(scid: bigint): { ann: Uint8Array; updates: Uint8Array[] } {
    const parties = [0, 1].map(i => ({ nodeSecret: secret('hijacker node', i), bitcoinSecret: secret('hijacker btc', i) }));
    const ann = signChannelAnnouncement({
      chainHash: CHAIN,
      short_channel_id: scid,
      parties: parties as [(typeof parties)[0], (typeof parties)[0]],
    });
    const updates = parties.map((p, i) =>
      signChannelUpdate({
        secret: p.nodeSecret,
        peer: getPublicKey(parties[1 - i]!.nodeSecret),
        chainHash: CHAIN,
        short_channel_id: scid,
        timestamp: NOW - 5,
        htlc_maximum_msat: 1_000_000n,
      }),
    );
    return { ann, updates };
  }
  const gossipScid = (raw: Uint8Array): bigint | undefined => {
    const m = decodeMessage(raw);
    return m.name === 'channel_announcement' || m.name === 'channel_update' ? m.short_channel_id : undefined;
  };

  for (const evilFirst of [false, true]) {
    it(`trust mode: a short_channel_id announced with two key sets is refused (${evilFirst ? 'the forgery first' : 'the real one first'}), counted, nobody blamed, and still refused after a restart`, async () => {
      const f = fixture();
      const net = new Net();
      const store = new MemoryGossipStore();
      await store.load(() => {});
      const a = net.add('a', {}, store);
      for (const p of ['honest', 'evil', 'r1']) {
        net.script(p);
        net.connect(p, 'a');
      }
      await net.run(100);
      net.inject(
        'r1',
        'a',
        encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }),
      );
      const s0 = f.scids[0]!;
      const evil = hijack(s0);
      const sendEvil = () => [evil.ann, ...evil.updates].forEach(r => net.inject('evil', 'a', r));
      if (evilFirst) {
        sendEvil();
        await net.until(() => a.graph.findChannel(s0) >= 0);
      }
      for (const r of f.all) net.inject('honest', 'a', r);
      await net.until(() => a.graph.channelCount >= N_CHANNELS - 1 && a.graph.nodeCount >= N_NODES - 2);
      if (!evilFirst) sendEvil();
      await net.run(3_000);
      await a.flush();
      equal(a.graph.findChannel(s0), -1, 'neither key set is routed');
      equal(a.graph.channelCount, N_CHANNELS - 1);
      equal(a.stats.conflicts, 1);
      equal((a.info() as { stats: { conflicts: number } }).stats.conflicts, 1);
      equal(net.warnings.length, 0);
      const { channels } = (await a.rpc('listchannels', {})) as { channels: { short_channel_id: string }[] };
      ok(!channels.some(c => c.short_channel_id === '100x0x0'));
      equal(net.sentTo('r1', 'a').filter(m => gossipScid(m.raw) === s0).length, 0, 'neither relayed');
      ok(!(await storeKeys(store)).includes(s0), 'nothing of it left in the store');
      // Whatever comes later for it is refused too, from anyone, before any signature check.
      const checks = net.verifiers.get('a')!.items;
      net.inject('honest', 'a', f.anns[0]!);
      net.inject('honest', 'a', f.updates[0]!);
      await net.run(200);
      await a.flush();
      equal(a.graph.findChannel(s0), -1);
      equal(net.verifiers.get('a')!.items, checks);
      // A restart from the store keeps refusing it.
      const b = net.add('b', {}, store);
      await b.load();
      ok(b.graph.conflicted(s0));
      equal((b.info() as { conflicted_channels: number }).conflicted_channels, 1);
      net.script('c');
      net.connect('c', 'b');
      await net.run(100);
      for (const r of f.all) net.inject('c', 'b', r);
      await net.run(1_000);
      await b.flush();
      equal(b.graph.findChannel(s0), -1);
      equal(b.graph.channelCount, N_CHANNELS - 1);
    });
  }

  it('with a chain source, the funding output decides: the forgery is ignored, the real channel kept', async () => {
    const f = fixture();
    const net = new Net();
    const m = decodeMessage(f.anns[0]!);
    ok(m.name === 'channel_announcement');
    const a = net.add('a', {}, undefined, undefined, undefined, {
      watchTxouts: () => {},
      getTxout: async s =>
        s === m.short_channel_id
          ? { amount_sat: 1_000_000, script: fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2), txid: TXID }
          : undefined,
    });
    for (const p of ['honest', 'evil']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    const evil = hijack(m.short_channel_id);
    net.inject('evil', 'a', evil.ann);
    await net.run(200);
    await a.flush();
    for (const r of [f.anns[0]!, f.updates[0]!, f.updates[1]!]) net.inject('honest', 'a', r);
    net.inject('evil', 'a', evil.ann);
    await net.until(() => a.graph.channelUpdate(m.short_channel_id, 1) !== undefined);
    await a.flush();
    const c = a.graph.channel(m.short_channel_id)!;
    equal(toHex(c.node_id_1), toHex(m.node_id_1));
    equal(a.stats.conflicts, 0);
    equal(net.warnings.length, 0);
  });

  it('holds only the newest updates per channel direction and peer: a flood for one unknown channel holds one message', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a');
    net.script('p');
    net.connect('p', 'a');
    await net.run(100);
    // The real update first, then 2,000 copies differing only in their last bytes (same timestamp).
    net.inject('p', 'a', f.updates[0]!);
    for (let i = 1; i <= 2000; i++) {
      const u = f.updates[0]!.slice();
      u[u.length - 1] = i & 0xff;
      u[u.length - 2] = i >> 8;
      net.inject('p', 'a', u);
    }
    await net.run(100);
    equal(a.stats.held, 1);
    ok(a.stats.held_dropped >= 2000, `${a.stats.held_dropped}`);
    ok(a.stats.held_bytes <= 200);
    // A newer forgery from the same peer is held beside it, and does not push the real one out.
    const forged = f.updates[0]!.slice();
    forged.set(u32be(NOW - 10), 2 + 64 + 32 + 8);
    net.inject('p', 'a', forged);
    await net.run(50);
    equal(a.stats.held, 2);
    // Its channel arrives: the held update (the real one) is applied, the forgery fails its check.
    net.inject('p', 'a', f.anns[0]!);
    await net.until(() => a.graph.channelUpdate(f.scids[0]!, 0) !== undefined);
    await a.flush();
    equal(a.graph.channelUpdate(f.scids[0]!, 0)!.timestamp, NOW - 100);
    equal(a.stats.held, 0);
    equal(a.stats.held_bytes, 0);
  });

  it('caps held gossip in bytes per peer and in total, and does not hold oversized messages for unknown channels', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { holdPeerBytes: 10_000, holdBytes: 15_000 });
    for (const p of ['p1', 'p2']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    // A channel_update of 60 kB for an unknown channel: not held.
    net.inject('p1', 'a', concat(f.updates[0]!, new Uint8Array(60_000)));
    await net.run(50);
    equal(a.stats.held, 0);
    // 500 updates for distinct unknown channels from each peer (138 bytes each).
    const forChannel = (i: number) => {
      const u = f.updates[0]!.slice();
      u.set(u32be(7_000_000 + i), 2 + 64 + 32 + 4);
      return u;
    };
    for (let i = 0; i < 500; i++) net.inject('p1', 'a', forChannel(i));
    await net.run(50);
    ok(a.stats.held_bytes <= 10_000 && a.stats.held_bytes > 9_000, `p1 alone: ${a.stats.held_bytes}`);
    for (let i = 500; i < 1000; i++) net.inject('p2', 'a', forChannel(i));
    await net.run(50);
    ok(a.stats.held_bytes <= 15_000 && a.stats.held_bytes > 14_000, `both: ${a.stats.held_bytes}`);
    ok(a.stats.held_dropped > 500);
    // Held gossip expires.
    await net.run(61_000, 1000);
    equal(a.stats.held, 0);
    equal(a.stats.held_bytes, 0);
  });

  it('relays a node_announcement only after one of its channel_announcements (BOLT 7)', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { relayIntervalMs: 1000 });
    for (const p of ['src', 'r1']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    net.inject(
      'r1',
      'a',
      encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }),
    );
    // Channel 0 (nodes 0 and 1), and its nodes' announcements, but no channel_update yet.
    for (const r of [f.anns[0]!, f.nodeAnns[0]!, f.nodeAnns[1]!]) net.inject('src', 'a', r);
    await net.until(() => a.graph.nodeAnnouncementTimestamp(fromHex(f.nodeIds[1]!)) !== undefined);
    await net.run(3_000);
    const names = () =>
      net
        .sentTo('r1', 'a')
        .map(s => s.name)
        .filter(n => n !== 'query_channel_range' && n !== 'gossip_timestamp_filter');
    deepEqual(names(), []);
    for (const r of [f.updates[0]!, f.updates[1]!]) net.inject('src', 'a', r);
    await net.run(3_000);
    // "MUST send channel_announcement prior to any corresponding channel_updates and node_announcements".
    const sent = names();
    equal(sent.length, 5);
    equal(sent[0], 'channel_announcement');
    equal(sent.filter(n => n === 'node_announcement').length, 2);
  });

  it('dont_forward updates: ignored for a channel not ours; for ours, used but never stored or relayed', async () => {
    const f = fixture();
    const net = new Net();
    const a = net.add('a', { relayIntervalMs: 1000 }, undefined, f.nodeIds[0]);
    for (const p of ['src', 'r1']) {
      net.script(p);
      net.connect(p, 'a');
    }
    await net.run(100);
    net.inject(
      'r1',
      'a',
      encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }),
    );
    for (const r of f.all) net.inject('src', 'a', r);
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.graph.nodeCount === N_NODES);
    await net.run(3_000);
    await a.flush();
    const relayed = net.sentTo('r1', 'a').length;
    // Channel 0 joins nodes 0 and 1 (ours is node 0); channel 5 joins nodes 5 and 6.
    const dontForward = (k: number, from: number, peer: number) =>
      signChannelUpdate({
        secret: f.nodeSecrets[from]!,
        peer: fromHex(f.nodeIds[peer]!),
        chainHash: CHAIN,
        short_channel_id: f.scids[k]!,
        timestamp: NOW - 1,
        message_flags: 3,
        fee_base_msat: 7,
        htlc_maximum_msat: 1_000_000n,
      });
    const ours = dontForward(0, 1, 0);
    const theirs = dontForward(5, 5, 6);
    net.inject('src', 'a', ours);
    net.inject('src', 'a', theirs);
    await net.run(3_000);
    await a.flush();
    const d = (k: number, from: number) => (compareHex(f.nodeIds[from]!, f.nodeIds[from === 1 && k === 0 ? 0 : 6]!) < 0 ? 0 : 1);
    equal(a.graph.channelUpdate(f.scids[0]!, d(0, 1))!.fee_base_msat, 7, 'ours: used');
    ok(a.graph.channelUpdate(f.scids[5]!, d(5, 5))!.fee_base_msat !== 7, 'theirs: ignored');
    equal(net.sentTo('r1', 'a').length, relayed, 'neither relayed');
    equal(await storedCount(net.stores.get('a')!), f.records.length);
    ok(!(await storedRaws(net.stores.get('a')!)).some(r => toHex(r) === toHex(ours)), 'not stored');
  });

  it('a channel refused (an unknown even feature bit) does not keep sync rounds going', async () => {
    const f = fixture();
    const net = new Net();
    const refused = signChannelAnnouncement({
      chainHash: CHAIN,
      short_channel_id: scidFromParts({ block: 4000, txindex: 0, outnum: 0 }),
      features: fromHex('01'),
      parties: [
        { nodeSecret: secret('refused node', 0), bitcoinSecret: secret('refused btc', 0) },
        { nodeSecret: secret('refused node', 1), bitcoinSecret: secret('refused btc', 1) },
      ],
    });
    const store = await filledStore();
    const m = decodeMessage(refused);
    ok(m.name === 'channel_announcement');
    await store.writeBatch([{ type: 256, key: m.short_channel_id, timestamp: 0, raw: refused }]);
    const b = net.add('b', {}, store);
    await b.load();
    equal(b.graph.channelCount, N_CHANNELS + 1);
    const a = net.add('a', { resyncMs: 60_000 });
    net.connect('a', 'b');
    await net.until(() => a.graph.channelCount === N_CHANNELS && a.progress().state === 'synced');
    await net.run(15 * 60_000, 1000);
    // Round 1 fetched the graph; round 2 asked for the refused channel again and took nothing: no round 3.
    equal(net.sentTo('b', 'a').filter(s => s.name === 'query_channel_range').length, 2);
    equal(a.graph.channelCount, N_CHANNELS);
  });
});

function compareHex(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

async function storedRaws(s: MemoryGossipStore): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  await s.load(r => void out.push(r.raw));
  return out;
}

async function storeKeys(s: MemoryGossipStore): Promise<bigint[]> {
  return (await storedRaws(s)).map(r => gossipScidOf(r)).filter((k): k is bigint => k !== undefined);
}

function gossipScidOf(raw: Uint8Array): bigint | undefined {
  const m = decodeMessage(raw);
  return m.name === 'channel_announcement' || m.name === 'channel_update' ? m.short_channel_id : undefined;
}
