// gossipd's maintenance, driven by a fake clock: stale channels pruned from the graph and the store
// on the timer (BOLT 7 "Recommendation on Pruning Stale Entries"), the store compacted when dead
// records outnumber live ones, runs never overlapping, close() stopping it all; and spent funding
// outputs (BOLT 7 "Pruning the Network View") learnt from raw blocks built here (legacy and segwit
// transactions, real header hashes) and served by a fake Esplora: the channel is marked spent at
// the spending block's height and forgotten 12 blocks later, not before. Also the raw block parser
// and the block follower's reorganisation handling on their own.
import { toHex } from '../../src/core/base/bytes.ts';
import { parseTx } from '../../src/core/chain/block.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { FundingIndex } from '../../src/core/daemons/gossipd/maintain.ts';
import type { ChainLink, GossipdConfig, Log } from '../../src/core/daemons/gossipd/types.ts';
import { fundingScriptPubKey } from '../../src/core/gossip/funding.ts';
import { signChannelAnnouncement, signChannelUpdate, type ChannelParty } from '../../src/core/gossip/sign.ts';
import {
  GossipStoreError,
  channelUpdateKey,
  type GossipLoadResult,
  type GossipRecord,
  type GossipStoreStats,
} from '../../src/core/gossip/store.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { STALE_SECONDS } from '../../src/core/gossip/validate.ts';
import { InlineVerifier } from '../../src/core/gossip/verify-pool.ts';
import { decodeShortChannelIds, encodeShortChannelIds } from '../../src/core/gossip/encoding.ts';
import { RouteError } from '../../src/core/gossip/errors.ts';
import { decodeMessage, encodeMessage } from '../../src/core/wire/messages.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryChain } from '../support/memory-chain.ts';
import { ChainService } from '../../src/core/daemons/lightningd/chain.ts';
import { rawTx as tx } from '../support/raw-block.ts';

const CHAIN = chainHash('regtest');
const NOW = 1_700_000_000;
const enc = new TextEncoder();
const party = (i: number): ChannelParty => ({
  nodeSecret: sha256(enc.encode(`maintain node ${i}`)),
  bitcoinSecret: sha256(enc.encode(`maintain funding ${i}`)),
});
const PARTIES = [0, 1, 2, 3, 4, 5, 6].map(party);
const quiet: Log = { debug() {}, info() {}, warn() {} };

/** Channel k joins party k and k+1; its two updates are `age(k)` seconds old at NOW. */
function channel(k: number, scid: bigint, age: number): { ann: Uint8Array; updates: Uint8Array[] } {
  const a = PARTIES[k]!;
  const b = PARTIES[k + 1]!;
  const ann = signChannelAnnouncement({ chainHash: CHAIN, short_channel_id: scid, parties: [a, b] });
  const updates = [a, b].map((x, i) =>
    signChannelUpdate({
      secret: x.nodeSecret,
      chainHash: CHAIN,
      short_channel_id: scid,
      timestamp: NOW - age,
      peer: getPublicKey((i === 0 ? b : a).nodeSecret),
      htlc_maximum_msat: 100_000_000n,
    }),
  );
  return { ann, updates };
}

function records(scid: bigint, c: { ann: Uint8Array; updates: Uint8Array[] }, age: number): GossipRecord[] {
  return [
    { type: 256, key: scid, timestamp: 0, raw: c.ann },
    ...c.updates.map((u): GossipRecord => ({
      type: 258,
      key: channelUpdateKey(scid, (u[2 + 64 + 32 + 8 + 4 + 1]! & 1) as 0 | 1),
      timestamp: NOW - age,
      raw: u,
    })),
  ];
}

/** A memory store whose stats can claim dead records, counting compactions (each may be held). */
class CountingStore extends MemoryGossipStore {
  compactions = 0;
  dead = 0;
  failStats = false;
  hold: Promise<void> | undefined;
  override async stats(): Promise<GossipStoreStats> {
    if (this.failStats) throw new Error('stats broke');
    return { ...(await super.stats()), dead: this.dead };
  }
  override async compact(): Promise<void> {
    this.compactions++;
    await this.hold;
  }
}

function gossipd(
  clock: FakeClock,
  store: MemoryGossipStore,
  now: () => number,
  config: Partial<GossipdConfig>,
  chain?: ChainLink,
  log = quiet,
  send: (raw: Uint8Array) => void = () => {},
): Gossipd {
  return new Gossipd({
    chainHash: CHAIN,
    store,
    verifier: new InlineVerifier(),
    peers: { send: (_id, raw) => send(raw), warn() {} },
    clock,
    log,
    now,
    config,
    ...(chain ? { chain } : {}),
  });
}

/** What `g` tells `peer` about `scid` when asked: the ids in its reply_channel_range, the gossip for query_short_channel_ids, and for a gossip_timestamp_filter from 0. */
async function offered(
  g: Gossipd,
  clock: FakeClock,
  sent: Uint8Array[],
  peer: string,
  scid: bigint,
): Promise<{ range: bigint[]; gossip: string[]; filtered: string[] }> {
  g.newPeer(peer, '');
  sent.length = 0;
  g.gossip(peer, encodeMessage({ name: 'query_channel_range', chain_hash: CHAIN, first_blocknum: 0, number_of_blocks: 1_000_000 }));
  g.gossip(peer, encodeMessage({ name: 'query_short_channel_ids', chain_hash: CHAIN, encoded_short_ids: encodeShortChannelIds([scid]) }));
  await clock.tick(1);
  const replies = sent.map(r => decodeMessage(r));
  const range = replies.flatMap(m => (m.name === 'reply_channel_range' ? decodeShortChannelIds(m.encoded_short_ids) : []));
  const gossip = replies.filter(m => m.name === 'channel_announcement' || m.name === 'channel_update').map(m => m.name);
  sent.length = 0;
  g.gossip(peer, encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }));
  await clock.tick(2_000);
  const filtered = sent.map(r => decodeMessage(r).name).filter(n => n === 'channel_announcement' || n === 'channel_update');
  return { range, gossip, filtered };
}

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('gossipd maintenance: stale channels and compaction', () => {
  it('prunes stale channels from the graph and the store on the timer, first a little after start, then every interval', async () => {
    const clock = new FakeClock();
    const store = new CountingStore();
    await store.load(() => {});
    const scids = [0, 1, 2].map(k => scidFromParts({ block: 500 + k, txindex: 1, outnum: 0 }));
    // Channel 0 is fresh; channel 1 goes stale in one hour; channel 2 in two hours.
    const ages = [100, STALE_SECONDS - 3_600 + 60, STALE_SECONDS - 7_200 + 60];
    for (let k = 0; k < 3; k++) await store.writeBatch(records(scids[k]!, channel(k, scids[k]!, ages[k]!), ages[k]!));
    const g = gossipd(clock, store, () => NOW + Math.floor(clock.now() / 1000), {
      maintenanceFirstMs: 2 * MIN,
      maintenanceIntervalMs: HOUR,
    });
    await g.load();
    equal(g.graph.channelCount, 3);
    await clock.tick(2 * MIN - 1);
    equal(g.stats.pruned_stale, 0, 'not before the first run');
    await clock.tick(1);
    equal(g.graph.channelCount, 3, 'nothing stale yet at the first run');
    await clock.tick(HOUR);
    // NOW + 1h02: channel 1's updates are older than two weeks.
    equal(g.graph.findChannel(scids[1]!), -1);
    equal(g.graph.channelCount, 2);
    equal(g.stats.pruned_stale, 1);
    equal((await store.stats()).live, 2 * 3, 'two channels left, each an announcement and two updates');
    await clock.tick(HOUR);
    equal(g.graph.channelCount, 1);
    equal(g.graph.findChannel(scids[0]!) >= 0, true);
    equal((await store.stats()).live, 3);
    // Reloading the store gives the same graph.
    const again = gossipd(new FakeClock(), store, () => NOW, { maintenanceIntervalMs: 0 });
    deepEqual((await again.load()).channels, 1);
    equal(store.compactions, 0, 'no dead records: no compaction');
    await g.close();
    await again.close();
  });

  it('compacts the store only when dead records outnumber live ones, never two runs at once, and stops on close', async () => {
    const clock = new FakeClock();
    const store = new CountingStore();
    await store.load(() => {});
    const s = scidFromParts({ block: 600, txindex: 1, outnum: 0 });
    await store.writeBatch(records(s, channel(0, s, 100), 100));
    const warnings: string[] = [];
    const g = gossipd(clock, store, () => NOW, { maintenanceFirstMs: MIN, maintenanceIntervalMs: HOUR }, undefined, {
      ...quiet,
      warn: (m: string) => void warnings.push(m),
    });
    await g.load();
    store.dead = 5; // fewer than live... and below shouldCompact's minimum
    await clock.tick(MIN);
    equal(store.compactions, 0);
    store.dead = 20_000;
    await clock.tick(HOUR);
    equal(store.compactions, 1);
    equal(g.stats.compactions, 1);
    // A compaction that takes hours: no second run starts meanwhile.
    let release!: () => void;
    store.hold = new Promise<void>(r => (release = r));
    await clock.tick(HOUR);
    equal(store.compactions, 2);
    await clock.tick(5 * HOUR);
    equal(store.compactions, 2, 'no run while one is under way');
    release();
    store.hold = undefined;
    await clock.tick(1);
    equal(g.stats.compactions, 2);
    await clock.tick(HOUR);
    equal(store.compactions, 3, 'the next run an interval after the long one ended');
    // A failing run is logged and counted; the timer goes on.
    store.failStats = true;
    await clock.tick(HOUR);
    equal(g.stats.maintenance_errors, 1);
    ok(
      warnings.some(w => w.includes('stats broke')),
      warnings.join('\n'),
    );
    store.failStats = false;
    await clock.tick(HOUR);
    equal(store.compactions, 4);
    await g.close();
    equal(clock.pending, 0, 'close() leaves no timer');
    await clock.tick(10 * HOUR);
    equal(store.compactions, 4);
  });

  it('says in getinfo that there is no spent pruning when announcements are trusted', async () => {
    const g = gossipd(new FakeClock(), new MemoryGossipStore(), () => NOW, {});
    await g.load();
    const info = g.info() as { chain_source: string; spent_pruning: string };
    equal(info.chain_source, 'trust announcements');
    equal(info.spent_pruning, 'off (trust announcements)');
    await g.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Raw blocks

const txidOf = (tag: string) => toHex(sha256(enc.encode(tag)));

describe('FundingIndex', () => {
  it("keeps each channel's funding txid, lists them for lightningd, and forgets what is not kept", () => {
    const x = new FundingIndex();
    const t = txidOf('batch');
    const s0 = scidFromParts({ block: 5, txindex: 1, outnum: 0 });
    const s2 = scidFromParts({ block: 5, txindex: 1, outnum: 2 });
    x.add(s0, t);
    x.add(s2, t);
    x.add(s2, t);
    equal(x.size, 2);
    equal(x.txidOf(s2), t);
    equal(x.txidOf(scidFromParts({ block: 5, txindex: 1, outnum: 1 })), undefined);
    deepEqual(x.entries(), [
      { short_channel_id: s0, txid: t },
      { short_channel_id: s2, txid: t },
    ]);
    x.retain(s => s !== s0);
    equal(x.size, 1);
    equal(x.txidOf(s0), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// Spent funding outputs, end to end: lightningd's chain service following a chain of real blocks,
// gossipd told through its link (gossipd_get_txout, gossipd_outpoints_spent)

const FUNDING_HEIGHT = 300;

/** A chain with the funding transaction at index 1 of block 300; its outputs as getutxout answers them. */
function fundedChain(fundingScript: Uint8Array): { chain: MemoryChain; fundingTxid: string } {
  const funding = tx([{ txid: txidOf('coins'), vout: 0 }], true);
  const chain = new MemoryChain(0);
  chain.txsAt.set(FUNDING_HEIGHT, [funding]);
  const fundingTxid = parseTx(funding).txid;
  chain.utxos.set(`${fundingTxid}:0`, { amount_sat: 2_500_000, script: fundingScript });
  return { chain, fundingTxid };
}

function chainService(chain: MemoryChain, clock: FakeClock, log: Log = quiet, pollIntervalMs = 10 * MIN): ChainService {
  return new ChainService({ backend: chain, network: 'regtest', clock, log, pollIntervalMs, description: 'memory chain' });
}

/** gossipd linked to lightningd's chain service, both ways. */
function linked(
  clock: FakeClock,
  store: MemoryGossipStore,
  config: Partial<GossipdConfig>,
  chain: ChainService,
  log = quiet,
  send?: (raw: Uint8Array) => void,
): Gossipd {
  const g = gossipd(clock, store, () => NOW, config, chain.gossipLink, log, send);
  chain.attachGossipd(g);
  return g;
}

describe('gossipd: a spend taken back by a reorganisation', () => {
  it('opens the channel again, in the graph and in the store', async () => {
    const clock = new FakeClock();
    const [a, b] = [PARTIES[2]!, PARTIES[3]!];
    const scid = scidFromParts({ block: FUNDING_HEIGHT, txindex: 1, outnum: 0 });
    const { chain, fundingTxid } = fundedChain(fundingScriptPubKey(getPublicKey(a.bitcoinSecret), getPublicKey(b.bitcoinSecret)));
    chain.mine(305);
    const service = chainService(chain, clock);
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const g = linked(clock, store, { maintenanceIntervalMs: 0, verifyBatchDelayMs: 1 }, service);
    await g.load();
    await service.sync();
    g.newPeer('peer', '');
    const c = channel(2, scid, 100);
    for (const m of [c.ann, ...c.updates]) g.gossip('peer', m);
    await clock.tick(10);
    await g.flush();
    ok(g.graph.findChannel(scid) >= 0);
    chain.txsAt.set(310, [tx([{ txid: fundingTxid, vout: 0 }], true)]);
    chain.mine(310);
    await service.sync();
    equal(g.graph.spentAt(g.graph.findChannel(scid)), 310);
    chain.txsAt.delete(310);
    chain.reorg(1, 311);
    await service.sync();
    equal(g.graph.spentAt(g.graph.findChannel(scid)), 0, 'open again');
    await g.flush();
    const restarted = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0 });
    await restarted.load();
    equal(restarted.graph.spentAt(restarted.graph.findChannel(scid)), 0, 'and so after a restart');
    await g.close();
    await restarted.close();
    service.stop();
  });
});

describe('gossipd: an unreadable store', () => {
  it('is cleared, and gossipd starts empty rather than not at all', async () => {
    class Damaged extends MemoryGossipStore {
      cleared = 0;
      override async load(onRecord: (r: GossipRecord) => void): Promise<GossipLoadResult> {
        if (this.cleared === 0) throw new GossipStoreError('corrupt', 'entry at 8 cannot be read');
        return super.load(onRecord);
      }
      override async clear(): Promise<void> {
        this.cleared++;
        await super.clear();
      }
    }
    const clock = new FakeClock();
    const store = new Damaged();
    const scid = scidFromParts({ block: 600, txindex: 1, outnum: 0 });
    await store.writeBatch(records(scid, channel(0, scid, 100), 100));
    const warnings: string[] = [];
    const g = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0 }, undefined, {
      ...quiet,
      warn: (m: string) => void warnings.push(m),
    });
    deepEqual(await g.load(), { channels: 0, nodes: 0, records: 0 });
    equal(store.cleared, 1);
    equal((await store.stats()).live, 0);
    equal(g.stats.load_errors, 1);
    ok(
      warnings.some(w => w.includes('unreadable')),
      warnings.join('\n'),
    );
    await g.close();
    // Any other failure is not papered over.
    class Broken extends MemoryGossipStore {
      override async load(): Promise<GossipLoadResult> {
        throw new GossipStoreError('io', 'disk gone');
      }
    }
    await rejects(gossipd(clock, new Broken(), () => NOW, { maintenanceIntervalMs: 0 }).load(), GossipStoreError, 'io');
  });
});

describe('gossipd maintenance: spent funding outputs', () => {
  it('does not pass on gossip queued for relay once its channel is marked spent', async () => {
    const relayed = async (spendFirst: boolean): Promise<string[]> => {
      const clock = new FakeClock();
      const store = new MemoryGossipStore();
      await store.load(() => {});
      const sent: Uint8Array[] = [];
      const g = gossipd(
        clock,
        store,
        () => NOW,
        { maintenanceIntervalMs: 0, relayIntervalMs: 1_000, verifyBatchDelayMs: 1 },
        undefined,
        quiet,
        raw => sent.push(raw),
      );
      await g.load();
      g.newPeer('listener', '');
      g.gossip(
        'listener',
        encodeMessage({ name: 'gossip_timestamp_filter', chain_hash: CHAIN, first_timestamp: 0, timestamp_range: 0xffffffff }),
      );
      g.newPeer('source', '');
      const scid = scidFromParts({ block: 700, txindex: 1, outnum: 0 });
      const c = channel(0, scid, 100);
      for (const m of [c.ann, ...c.updates]) g.gossip('source', m);
      await clock.tick(10);
      await g.flush();
      ok(g.graph.findChannel(scid) >= 0);
      sent.length = 0;
      if (spendFirst) g.graph.markSpent(scid, 800);
      await clock.tick(1_000);
      const names = sent.map(r => decodeMessage(r).name).filter(n => n === 'channel_announcement' || n === 'channel_update');
      await g.close();
      return names;
    };
    deepEqual(await relayed(false), ['channel_announcement', 'channel_update', 'channel_update'], 'relayed while unspent');
    deepEqual(await relayed(true), [], 'not once spent');
  });

  it('marks a channel spent at the height of the block spending its funding output, forgets it 12 blocks later, and not before', async () => {
    const clock = new FakeClock();
    const [a, b] = [PARTIES[0]!, PARTIES[1]!];
    const scid = scidFromParts({ block: FUNDING_HEIGHT, txindex: 1, outnum: 0 });
    const { chain, fundingTxid } = fundedChain(fundingScriptPubKey(getPublicKey(a.bitcoinSecret), getPublicKey(b.bitcoinSecret)));
    const SPEND = 310;
    // The closing transaction (segwit) spends output 0 of the funding transaction at 310; an
    // unrelated one at 309 spends output 1 (not ours).
    chain.txsAt.set(309, [tx([{ txid: fundingTxid, vout: 1 }], true)]);
    chain.txsAt.set(SPEND, [
      tx([{ txid: txidOf('other'), vout: 3 }], false),
      tx(
        [
          { txid: txidOf('z'), vout: 0 },
          { txid: fundingTxid, vout: 0 },
        ],
        true,
      ),
    ]);
    chain.txsAt.set(315, [tx([{ txid: txidOf('q'), vout: 0 }], true)]);
    chain.corrupt.add(315);
    chain.mine(306);
    const warnings: string[] = [];
    const log = { ...quiet, warn: (m: string) => void warnings.push(m) };
    const service = chainService(chain, clock, log);
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const config = { maintenanceFirstMs: MIN, maintenanceIntervalMs: HOUR, verifyBatchDelayMs: 1 };
    const sent: Uint8Array[] = [];
    const g = linked(clock, store, config, service, log, raw => sent.push(raw));
    await g.load();
    service.start();
    await clock.tick(0);
    g.newPeer('peer', '');
    const c = channel(0, scid, 100);
    for (const m of [c.ann, ...c.updates]) g.gossip('peer', m);
    await clock.tick(10);
    await g.flush();
    const ch = g.graph.findChannel(scid);
    ok(ch >= 0, 'the channel passed the chain check');
    // The funding txid went into the store with the record.
    const stored: GossipRecord[] = [];
    await store.load(r => stored.push(r));
    deepEqual(stored.find(r => r.type === 256)?.extra, { amount_sat: 2_500_000, funding_txid: fundingTxid });
    equal((g.info() as { funding_outputs_watched: number }).funding_outputs_watched, 1);
    equal(service.watches.outputCount, 1, 'lightningd watches the funding output');

    // The follower started at the tip (306); each poll reads the new blocks.
    chain.mine(309);
    await clock.tick(10 * MIN);
    equal((g.info() as { spent_check_height: number }).spent_check_height, 309);
    equal(g.graph.spentAt(ch), 0, 'output 1 of the funding transaction is not the channel');
    const route = { id: toHex(getPublicKey(b.nodeSecret)), amount_msat: 1000, riskfactor: 1, fromid: toHex(getPublicKey(a.nodeSecret)) };
    equal(((await g.rpc('getroute', route)) as { route: unknown[] }).route.length, 1);
    deepEqual(await offered(g, clock, sent, 'asker', scid), {
      range: [scid],
      gossip: ['channel_announcement', 'channel_update', 'channel_update'],
      filtered: ['channel_announcement', 'channel_update', 'channel_update'],
    });
    chain.mine(SPEND + 1);
    await clock.tick(10 * MIN);
    equal(g.graph.spentAt(g.graph.findChannel(scid)), SPEND);
    equal(g.stats.marked_spent, 1);
    // The spend went into the store with the announcement: a node restarted from it keeps the
    // channel spent (and forgets it on schedule) rather than bringing it back.
    await g.flush();
    const restarted = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0 });
    await restarted.load();
    const rc = restarted.graph.findChannel(scid);
    equal(restarted.graph.spentAt(rc), SPEND);
    // The announcement came back after its updates in the log (it was rewritten): they still apply.
    ok(restarted.graph.updateTimestampAt(rc, 0) > 0 && restarted.graph.updateTimestampAt(rc, 1) > 0, 'both channel_updates loaded');
    equal(restarted.stats.load_errors, 0);
    await restarted.close();
    // While spent: updates ignored, no route, not offered to peers.
    const { channels } = (await g.rpc('listchannels', {})) as { channels: { active: boolean }[] };
    ok(channels.length === 2 && channels.every(x => !x.active), 'listed as inactive');
    deepEqual(await offered(g, clock, sent, 'asker2', scid), { range: [], gossip: [], filtered: [] }, 'not offered to peers while spent');
    await rejects(g.rpc('getroute', route), RouteError, 'route_not_found');
    // A corrupt block at 315: logged, a typed error, the follower goes on once it is served whole.
    chain.mine(320);
    await clock.tick(10 * MIN);
    ok(
      warnings.some(w => w.includes('following blocks') && w.includes('does not fit')),
      warnings.join('\n'),
    );
    equal((g.info() as { spent_check_height: number }).spent_check_height, 314);
    chain.corrupt.delete(315);
    // 12 blocks after the spend minus one (321): still there.
    chain.mine(SPEND + 11);
    await clock.tick(10 * MIN);
    equal((g.info() as { spent_check_height: number }).spent_check_height, SPEND + 11);
    ok(g.graph.findChannel(scid) >= 0, 'kept until 12 blocks after the spend');
    equal((await store.stats()).live, 3);
    chain.mine(SPEND + 12);
    await clock.tick(10 * MIN);
    equal(g.graph.findChannel(scid), -1, 'forgotten 12 blocks after the spend (BOLT 7)');
    equal(g.stats.pruned_spent, 1);
    equal(g.graph.nodeCount, 0);
    equal((await store.stats()).live, 0, 'and gone from the store');
    equal((g.info() as { funding_outputs_watched: number }).funding_outputs_watched, 0);
    // One raw block per block, never one output lookup per channel per block.
    equal(chain.calls.filter(u => u.startsWith('getutxout')).length, 1, 'only the announcement check');
    const raws = chain.calls.filter(u => u.startsWith('getrawblockbyheight'));
    equal(raws.length, SPEND + 12 - 306 + 1, 'each block read once, 315 twice');
    equal(g.stats.maintenance_errors, 0);
    service.stop();
    await g.close();
    equal(clock.pending, 0);
  });

  it('hands lightningd the funding outputs recorded in the store after a restart, and hears of their spends', async () => {
    const clock = new FakeClock();
    const scid = scidFromParts({ block: FUNDING_HEIGHT, txindex: 1, outnum: 0 });
    const fundingTxid = txidOf('stored funding');
    const chain = new MemoryChain(400);
    chain.txsAt.set(402, [tx([{ txid: fundingTxid, vout: 0 }], true)]);
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const recs = records(scid, channel(1, scid, 100), 100);
    recs[0] = { ...recs[0]!, extra: { amount_sat: 1_000, funding_txid: fundingTxid } };
    await store.writeBatch(recs);
    const service = chainService(chain, clock);
    const g = linked(clock, store, { maintenanceFirstMs: MIN }, service);
    await g.load();
    equal((g.info() as { funding_outputs_watched: number }).funding_outputs_watched, 1);
    equal((g.info() as { spent_pruning: string }).spent_pruning, 'on');
    equal((g.info() as { chain_source: string }).chain_source, 'memory chain');
    equal(service.watches.outputCount, 1);
    await service.sync();
    chain.mine(403);
    await service.sync();
    equal(g.graph.spentAt(g.graph.findChannel(scid)), 402);
    await g.close();
  });
});

describe('gossipd: chain checks of channel_announcements', () => {
  it('runs several at once, and still applies each channel_update after its channel_announcement', async () => {
    const clock = new FakeClock();
    const scids = [0, 1, 2, 3, 4, 5].map(k => scidFromParts({ block: 700 + k, txindex: 2, outnum: 1 }));
    const chans = scids.map((s, k) => channel(k, s, 100));
    const waiting = new Map<bigint, () => void>();
    const source: ChainLink = {
      watchTxouts: () => {},
      getTxout(s) {
        const k = scids.indexOf(s);
        const m = decodeMessage(chans[k]!.ann);
        ok(m.name === 'channel_announcement');
        return new Promise(resolve =>
          waiting.set(s, () =>
            resolve({
              amount_sat: 1_000_000 + k,
              script: fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2),
              txid: txidOf(`f${k}`),
            }),
          ),
        );
      },
    };
    const g = gossipd(clock, new MemoryGossipStore(), () => NOW, { verifyBatchDelayMs: 1, maintenanceIntervalMs: 0 }, source);
    await g.load();
    g.newPeer('peer', '');
    // Each announcement followed by its updates, as a peer sends them.
    for (const c of chans) for (const m of [c.ann, ...c.updates]) g.gossip('peer', m);
    await clock.tick(5);
    equal(waiting.size, 6, 'every chain check started before the first one answered');
    equal(g.graph.channelCount, 0);
    // Answers come back in reverse order; messages are still applied in order.
    for (const s of [...scids].reverse()) waiting.get(s)!();
    await clock.tick(5);
    await g.flush();
    equal(g.graph.channelCount, 6);
    for (const s of scids) {
      const c = g.graph.findChannel(s);
      ok(g.graph.updateTimestampAt(c, 0) > 0 && g.graph.updateTimestampAt(c, 1) > 0, 'both updates applied');
    }
    equal((g.info() as { funding_outputs_watched: number }).funding_outputs_watched, 6);
    await g.close();
  });
});
