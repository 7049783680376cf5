// gossipd answering other nodes' queries, at a size where it matters and behind a slow transport:
// what one peer's queries make gossipd hand to its connection at once (issue 9 finding 2: 20
// query_channel_range of 45 bytes queued 24 MB, 5 query_short_channel_ids of 8,000 ids 120,005
// messages), the cap on queries waiting (warning, then disconnect), answers read back from the
// store whole and in order, and two BOLT 7 rules on what is sent: no node_announcement with two DNS
// names (finding 4), and range replies that stay within a u32 and end with sync_complete (finding 12).
import { concat, fromHex, toHex, u32be } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import type { PeerLink } from '../../src/core/daemons/gossipd/types.ts';
import { decodeShortChannelIds, encodeShortChannelIds, QUERY_OPTION } from '../../src/core/gossip/encoding.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/core/gossip/sign.ts';
import { channelUpdateKey, type GossipRecord } from '../../src/core/gossip/store.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { decodeMessage, encodeMessage } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { CountingVerifier } from '../support/counting-verifier.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_700_000_000;
const PEER = '02' + 'ab'.repeat(32);
const SIG = new Uint8Array(64);
const quiet = { debug() {}, info() {}, warn() {} };

/** A node id of the right shape (the store is trusted on load: nothing here is signed). */
const nodeKey = (i: number): Uint8Array => fromHex(`02${toHex(sha256(u32be(i)))}`);

/**
 * A store holding `channels` channels among `nodes` nodes, each with both updates, and every
 * node's announcement: unsigned (gossipd trusts its store on load), mainnet-sized messages.
 */
async function bigStore(channels: number, nodes: number): Promise<{ store: MemoryGossipStore; scids: bigint[] }> {
  const store = new MemoryGossipStore();
  await store.load(() => {});
  const records: GossipRecord[] = [];
  const scids: bigint[] = [];
  const ids = Array.from({ length: nodes }, (_, i) => nodeKey(i));
  for (let k = 0; k < channels; k++) {
    const s = scidFromParts({ block: 600_000 + Math.floor(k / 4), txindex: k % 4, outnum: 0 });
    scids.push(s);
    const [a, b] = [ids[k % nodes]!, ids[(k * 7 + 1) % nodes]!];
    const ann = encodeMessage({
      name: 'channel_announcement',
      node_signature_1: SIG,
      node_signature_2: SIG,
      bitcoin_signature_1: SIG,
      bitcoin_signature_2: SIG,
      features: new Uint8Array(0),
      chain_hash: CHAIN,
      short_channel_id: s,
      node_id_1: a,
      node_id_2: b,
      bitcoin_key_1: a,
      bitcoin_key_2: b,
    });
    records.push({ type: 256, key: s, timestamp: 0, raw: ann });
    for (const d of [0, 1] as const) {
      const upd = encodeMessage({
        name: 'channel_update',
        signature: SIG,
        chain_hash: CHAIN,
        short_channel_id: s,
        timestamp: NOW - k,
        message_flags: 1,
        channel_flags: d,
        cltv_expiry_delta: 40,
        htlc_minimum_msat: 1000n,
        fee_base_msat: 1000,
        fee_proportional_millionths: 1,
        htlc_maximum_msat: 1_000_000_000n,
      });
      records.push({ type: 258, key: channelUpdateKey(s, d), timestamp: NOW - k, raw: upd });
    }
  }
  ids.forEach((id, i) => {
    const na = encodeMessage({
      name: 'node_announcement',
      signature: SIG,
      features: new Uint8Array(0),
      timestamp: NOW - i,
      node_id: id,
      rgb_color: new Uint8Array(3),
      alias: new Uint8Array(32),
      addresses: new Uint8Array([1, 10, 0, 0, 1, 0x26, 0x07]),
    });
    records.push({ type: 257, key: toHex(id), timestamp: NOW - i, raw: na });
  });
  for (let i = 0; i < records.length; i += 5000) await store.writeBatch(records.slice(i, i + 5000));
  return { store, scids };
}

/**
 * The peer's connection as gossipd sees it: a send resolves only when the test lets the
 * transport take those bytes (`drain`), as connectd resolves one once the socket has drained.
 * `outstanding` is what gossipd has handed over and the transport has not taken: its peak is what
 * the peer's queries made gossipd hold at once.
 */
class SlowLink implements PeerLink {
  readonly sent: Uint8Array[] = [];
  readonly warnings: { text: string; disconnect: boolean }[] = [];
  outstanding = 0;
  peak = 0;
  gone = false;
  private queue: { bytes: number; resolve: () => void }[] = [];
  onDisconnect: () => void = () => {};

  send(_id: string, raw: Uint8Array): Promise<void> {
    if (this.gone) return Promise.reject(new Error('not connected'));
    this.sent.push(raw);
    this.outstanding += raw.length;
    this.peak = Math.max(this.peak, this.outstanding);
    return new Promise(resolve => this.queue.push({ bytes: raw.length, resolve }));
  }

  warn(_id: string, text: string, disconnect: boolean): void {
    this.warnings.push({ text, disconnect });
    if (disconnect) {
      this.gone = true;
      this.onDisconnect();
    }
  }

  /** The transport takes about `bytes` more. */
  drain(bytes: number): void {
    while (bytes > 0 && this.queue.length) {
      const q = this.queue.shift()!;
      bytes -= q.bytes;
      this.outstanding -= q.bytes;
      q.resolve();
    }
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }
}

async function daemon(store: MemoryGossipStore, link: PeerLink): Promise<{ g: Gossipd; clock: FakeClock }> {
  const clock = new FakeClock();
  const g = new Gossipd({
    chainHash: CHAIN,
    store,
    verifier: new CountingVerifier(),
    peers: link,
    clock,
    log: quiet,
    now: () => NOW,
    config: { answerWindowBytes: WINDOW },
  });
  await g.load();
  return { g, clock };
}

/** Lets the transport drain `step` bytes at a time until gossipd sends nothing more. */
async function drainAll(link: SlowLink, step = 64 * 1024): Promise<void> {
  for (let quiet = 0; quiet < 3;) {
    const before = link.sent.length;
    link.drain(step);
    await settle();
    quiet = link.idle && link.sent.length === before ? quiet + 1 : 0;
  }
}

const rangeQuery = (first: number, number: number, options = 0n): Uint8Array =>
  encodeMessage({
    name: 'query_channel_range',
    chain_hash: CHAIN,
    first_blocknum: first,
    number_of_blocks: number,
    ...(options ? { tlvs: { query_option: { query_option_flags: options } } } : {}),
  });
const scidQuery = (scids: readonly bigint[]): Uint8Array =>
  encodeMessage({ name: 'query_short_channel_ids', chain_hash: CHAIN, encoded_short_ids: encodeShortChannelIds(scids) });
const names = (xs: readonly Uint8Array[]) => xs.map(x => decodeMessage(x).name);
const WINDOW = 256 * 1024;
/** The window, and the one message that may cross it. */
const BOUND = WINDOW + 65_535;
const BOTH = BigInt(QUERY_OPTION.timestamps | QUERY_OPTION.checksums);

describe('gossipd: answers bounded by the peer’s transport', () => {
  it('hands a slow peer at most one window of its answers, and answers every query whole', async () => {
    const { store, scids } = await bigStore(20_000, 2_000);
    const link = new SlowLink();
    const { g } = await daemon(store, link);
    g.newPeer(PEER, '80');
    await settle();
    const first = link.sent.length; // our own sync's query_channel_range
    // As many queries as a peer may have waiting: 2 ranges with timestamps and checksums (about
    // 0.5 MB of replies each) and 2 query_short_channel_ids of 8,000 ids (about 7 MB each).
    const wanted = [scids.slice(0, 8000), scids.slice(8000, 16_000)];
    for (const m of [rangeQuery(0, 0xffffffff, BOTH), scidQuery(wanted[0]!), rangeQuery(600_000, 1000, BOTH), scidQuery(wanted[1]!)])
      g.gossip(PEER, m);
    await drainAll(link);
    ok(link.peak <= BOUND, `at most ${BOUND} bytes in flight, saw ${link.peak}`);
    const got = link.sent.slice(first);
    const total = got.reduce((n, m) => n + m.length, 0);
    ok(total > 10 * BOUND, `the answers (${total} bytes) are far larger than what was in flight`);
    equal(link.warnings.length, 0);

    // In order, each whole: range 1, scid query 1, range 2, scid query 2.
    const msgs = got.map(m => decodeMessage(m));
    const ends = msgs.flatMap((m, i) =>
      m.name === 'reply_short_channel_ids_end' || (m.name === 'reply_channel_range' && m.sync_complete) ? [i] : [],
    );
    equal(ends.length, 4);
    const part = (k: number) => msgs.slice(k ? ends[k - 1]! + 1 : 0, ends[k]! + 1);
    const listed = (ms: ReturnType<typeof decodeMessage>[]) =>
      ms.flatMap(m => (m.name === 'reply_channel_range' ? decodeShortChannelIds(m.encoded_short_ids) : []));
    deepEqual(listed(part(0)), scids);
    deepEqual(
      listed(part(2)),
      scids.filter(s => s >> 40n < 601_000n),
    );
    for (const k of [1, 3]) {
      const ms = part(k);
      const anns = ms.filter(m => m.name === 'channel_announcement');
      deepEqual(
        anns.map(m => (m.name === 'channel_announcement' ? m.short_channel_id : 0n)),
        wanted[(k - 1) / 2]!,
      );
      equal(ms.filter(m => m.name === 'channel_update').length, 2 * 8000);
      // Each node once per query: all 2,000 appear among 8,000 channels.
      equal(ms.filter(m => m.name === 'node_announcement').length, 2000);
      equal(ms[ms.length - 1]!.name, 'reply_short_channel_ids_end');
    }
    await g.close();
  });

  it('warns a peer that piles up queries, then disconnects it, and sends nothing after', async () => {
    const { store, scids } = await bigStore(20_000, 2_000);
    const link = new SlowLink();
    const { g } = await daemon(store, link);
    link.onDisconnect = () => g.peerGone(PEER);
    g.newPeer(PEER, '80');
    await settle();
    // Finding 2's attack: 20 query_channel_range and 5 query_short_channel_ids of 8,000 ids at once.
    for (let i = 0; i < 20; i++) g.gossip(PEER, rangeQuery(0, 0xffffffff, BOTH));
    for (let i = 0; i < 5; i++) g.gossip(PEER, scidQuery(scids.slice(i * 4000, i * 4000 + 8000)));
    await settle();
    deepEqual(
      link.warnings.map(w => w.disconnect),
      [false, true],
    );
    ok(link.gone);
    const sent = link.sent.length;
    link.gone = false; // whatever gossipd would still send, let it through to be counted
    await drainAll(link);
    ok(link.peak <= BOUND, `at most ${BOUND} bytes in flight, saw ${link.peak}`);
    equal(link.sent.length, sent, 'nothing more once the peer is gone');
    await g.close();
  });
});

describe('gossipd: backfill for a gossip_timestamp_filter', () => {
  it('sends one backfill per peer at a time, turning to the latest filter, read from the store as it goes', async () => {
    const { store, scids } = await bigStore(3_000, 100);
    let reads = 0;
    const read = store.read.bind(store);
    store.read = keys => {
      reads++;
      return read(keys);
    };
    const link = new SlowLink();
    const { g } = await daemon(store, link);
    g.newPeer(PEER, '80');
    await settle();
    const from = link.sent.length;
    const filter = (first: number) =>
      encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: first, timestamp_range: 0xffffffff });
    // 50 filters at once: 49 asking for the newest 1,000 channels' updates, the last for everything.
    for (let i = 0; i < 49; i++) g.gossip(PEER, filter(NOW - 999));
    g.gossip(PEER, filter(0));
    await drainAll(link);
    ok(link.peak <= BOUND);
    const got = link.sent.slice(from).map(m => decodeMessage(m));
    const chans = got.flatMap(m => (m.name === 'channel_announcement' ? [m.short_channel_id] : []));
    // The last filter's backfill, whole: every channel (a gossipd that kept to an earlier filter sends only k < 1000).
    deepEqual([...new Set(chans)].sort(), [...scids].sort());
    equal(got.filter(m => m.name === 'node_announcement').length >= 100, true);
    // One backfill at a time: its reads (a chunk of 1,000 channels each), not one per filter.
    ok(reads >= 1 && reads <= 5, `${reads} reads of the store for 50 filters`);
    await g.close();
  });
});

// ------------------------------------------------------------------------------------------------
// What is sent (signed gossip: the same messages come back byte for byte)

const enc = new TextEncoder();
const secret = (tag: string, i: number) => sha256(concat(enc.encode(tag), u32be(i)));

/** A DNS address descriptor (BOLT 7 type 5). */
function dns(host: string, port: number): Uint8Array {
  const h = enc.encode(host);
  return new Uint8Array([5, h.length, ...h, port >> 8, port & 0xff]);
}

describe('gossipd: what answers may carry', () => {
  it('never sends a node_announcement with two DNS hostnames, in query replies or backfill (BOLT 7 "MUST not forward")', async () => {
    const [sa, sb] = [secret('dns node', 1), secret('dns node', 2)];
    const s = scidFromParts({ block: 700, txindex: 1, outnum: 0 });
    const ann = signChannelAnnouncement({
      chainHash: CHAIN,
      short_channel_id: s,
      parties: [
        { nodeSecret: sa, bitcoinSecret: secret('btc', 1) },
        { nodeSecret: sb, bitcoinSecret: secret('btc', 2) },
      ],
    });
    const upd = [sa, sb].map((sk, i) =>
      signChannelUpdate({
        secret: sk,
        chainHash: CHAIN,
        short_channel_id: s,
        timestamp: NOW - 10,
        peer: getPublicKey(i ? sa : sb),
        htlc_maximum_msat: 1_000_000n,
      }),
    );
    const twoNames = signNodeAnnouncement({
      secret: sa,
      timestamp: NOW - 5,
      alias: 'two',
      addresses: concat(dns('a.example.com', 9735), dns('b.example.com', 9735)),
    });
    const oneName = signNodeAnnouncement({ secret: sb, timestamp: NOW - 5, alias: 'one', addresses: dns('c.example.com', 9735) });
    const link = new SlowLink();
    const clock = new FakeClock();
    const g = new Gossipd({
      chainHash: CHAIN,
      store: new MemoryGossipStore(),
      verifier: new CountingVerifier(),
      peers: link,
      clock,
      log: quiet,
      now: () => NOW,
    });
    await g.load();
    // Learnt from a peer (validated, kept in the graph, not relayed)...
    g.newPeer('03' + '01'.repeat(32), '');
    for (const m of [ann, ...upd, twoNames, oneName]) g.gossip('03' + '01'.repeat(32), m);
    await g.flush();
    const announced = (sk: Uint8Array) => g.graph.nodeTimestampAt(g.graph.findNode(toHex(getPublicKey(sk)))) >= 0;
    ok(announced(sa), 'the graph holds the two-name announcement');
    ok(announced(sb));
    // ...then asked for by another.
    g.newPeer(PEER, '80');
    await settle();
    const from = link.sent.length;
    g.gossip(PEER, scidQuery([s]));
    await drainAll(link);
    const reply = link.sent.slice(from);
    deepEqual(names(reply), [
      'channel_announcement',
      'channel_update',
      'channel_update',
      'node_announcement',
      'reply_short_channel_ids_end',
    ]);
    equal(toHex(reply[3]!), toHex(oneName));
    const from2 = link.sent.length;
    g.gossip(PEER, encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }));
    await drainAll(link);
    const backfill = link.sent.slice(from2).filter(m => decodeMessage(m).name === 'node_announcement');
    deepEqual(
      backfill.map(m => toHex(m)),
      [toHex(oneName)],
    );
    await g.close();
  });

  it('keeps every reply_channel_range within a u32 and ends the answer with sync_complete, for our chain and any other', async () => {
    const { store } = await bigStore(3_000, 100);
    const link = new SlowLink();
    const { g } = await daemon(store, link);
    g.newPeer(PEER, '80');
    await settle();
    const check = async (q: Uint8Array, chain: Uint8Array, first: number): Promise<void> => {
      const from = link.sent.length;
      g.gossip(PEER, q);
      await drainAll(link);
      const rs = link.sent.slice(from).map(m => decodeMessage(m));
      ok(rs.length >= 1);
      rs.forEach((r, i) => {
        ok(r.name === 'reply_channel_range');
        if (r.name !== 'reply_channel_range') return;
        deepEqual(r.chain_hash, chain);
        ok(r.first_blocknum + r.number_of_blocks <= 0xffffffff, `reply ${i}: ${r.first_blocknum} + ${r.number_of_blocks} overflows a u32`);
        ok(r.first_blocknum >= (i ? (rs[i - 1] as { first_blocknum: number }).first_blocknum : 0));
        // BOLT 7: "MUST set sync_complete to false if this is not the final reply_channel_range"; the final one "MUST set sync_complete to true".
        equal(r.sync_complete, i === rs.length - 1 ? 1 : 0);
      });
      const last = rs[rs.length - 1] as { first_blocknum: number; number_of_blocks: number };
      equal(last.first_blocknum + last.number_of_blocks, 0xffffffff, 'the last reply reaches as far as a u32 goes');
      equal((rs[0] as { first_blocknum: number }).first_blocknum, first);
    };
    // Finding 12: from block > 0 with number_of_blocks 0xffffffff.
    await check(rangeQuery(600_100, 0xffffffff, BOTH), CHAIN, 600_100);
    await check(rangeQuery(1, 0xffffffff), CHAIN, 1);
    // A chain we do not keep: one empty, final reply.
    const other = chainHash('bitcoin');
    await check(
      encodeMessage({ name: 'query_channel_range', chain_hash: other, first_blocknum: 5, number_of_blocks: 0xffffffff }),
      other,
      5,
    );
    await g.close();
  });
});
