// gossipd's maintenance, driven by a fake clock: stale channels pruned from the graph and the store
// on the timer (BOLT 7 "Recommendation on Pruning Stale Entries"), the store compacted when dead
// records outnumber live ones, runs never overlapping, close() stopping it all; and spent funding
// outputs (BOLT 7 "Pruning the Network View") learnt from raw blocks built here (legacy and segwit
// transactions, real header hashes) and served by a fake Esplora: the channel is marked spent at
// the spending block's height and forgotten 12 blocks later, not before. Also the raw block parser
// and the block follower's reorganisation handling on their own.
import { concat, toHex } from '../../src/core/base/bytes.ts';
import { parseBlock } from '../../src/core/chain/block.ts';
import { ChainSourceError, EsploraChainSource, type FetchResponseLike } from '../../src/core/chain/esplora.ts';
import { SpendFollower, type BlockSource } from '../../src/core/chain/spends.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { FundingIndex } from '../../src/core/daemons/gossipd/maintain.ts';
import type { ChainSource, GossipdConfig, Log } from '../../src/core/daemons/gossipd/types.ts';
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
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { rawBlock as block, rawTx as tx } from '../support/raw-block.ts';

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
  chainSource?: ChainSource,
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
    ...(chainSource ? { chainSource } : {}),
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

describe('raw block parser', () => {
  it('reads the inputs of legacy and segwit transactions, skipping the coinbase, and the header hashes', () => {
    const spends = [
      { txid: txidOf('a'), vout: 0 },
      { txid: txidOf('b'), vout: 7 },
    ];
    const b = block(txidOf('prev'), 800_000, [tx([spends[0]!], false), tx([spends[1]!, { txid: txidOf('c'), vout: 70_000 }], true)]);
    const p = parseBlock(b.raw);
    equal(p.hash, b.hash);
    equal(p.prevHash, txidOf('prev'));
    equal(p.txCount, 3);
    deepEqual(p.inputs, [...spends, { txid: txidOf('c'), vout: 70_000 }]);
  });

  it('a truncated block, bytes left over, a wild count or an unknown segwit flag is ChainSourceError bad_block', () => {
    const b = block(txidOf('prev'), 1, [tx([{ txid: txidOf('a'), vout: 1 }], true)]);
    for (const cut of [0, 50, 80, 81, 120, b.raw.length - 1])
      throws(() => parseBlock(b.raw.subarray(0, cut)), ChainSourceError, 'bad_block');
    throws(() => parseBlock(concat(b.raw, Uint8Array.of(0))), ChainSourceError, 'bad_block');
    const wild = b.raw.slice();
    wild[80] = 0xfe; // a transaction count of 2^32-ish
    throws(() => parseBlock(wild), ChainSourceError, 'bad_block');
    const flag = b.raw.slice();
    // The coinbase: version (4 bytes) then marker 0x00 and flag 0x01 at 85..86.
    equal(flag[85], 0);
    flag[86] = 2;
    throws(() => parseBlock(flag), ChainSourceError, 'bad_block');
    throws(() => parseBlock(new Uint8Array(200).fill(0xff)), ChainSourceError, 'bad_block');
  });
});

describe('block follower', () => {
  it('reports spends of watched outputs once, follows a reorganisation, and catches up at most maxBlocksPerScan', async () => {
    const watched = { txid: txidOf('funding'), vout: 1 };
    const chain = new Map<number, { hash: string; raw: Uint8Array }>();
    let tip = 0;
    const grow = (to: number, spendAt?: number, salt = 0) => {
      for (let h = tip + 1; h <= to; h++) {
        const prev = chain.get(h - 1)?.hash ?? '00'.repeat(32);
        chain.set(
          h,
          block(
            prev,
            h,
            h === spendAt
              ? [tx([{ txid: txidOf(`x${h}`), vout: 0 }], false), tx([watched], true)]
              : [tx([{ txid: txidOf(`y${h}`), vout: 1 }], true)],
            salt,
          ),
        );
      }
      tip = to;
    };
    const asked: string[] = [];
    const src: BlockSource = {
      tipHeight: async () => tip,
      currentBlockHash: async h => chain.get(h)?.hash,
      rawBlock: async hash => {
        asked.push(hash);
        for (const b of chain.values()) if (b.hash === hash) return b.raw;
        throw new ChainSourceError('bad_block', 'no such block');
      },
    };
    const isWatched = (t: string, v: number) => t === watched.txid && v === watched.vout;
    // A follower told where an earlier run stopped reads from the next block.
    grow(100, 99);
    const resumed = new SpendFollower(src, { maxBlocksPerScan: 5 });
    const rr = await resumed.scan(isWatched, 97);
    deepEqual([rr.spent, rr.blocks, rr.height], [[{ ...watched, blockheight: 99 }], 3, 100]);
    asked.length = 0;
    const f = new SpendFollower(src, { maxBlocksPerScan: 5 });
    grow(100);
    let r = await f.scan(isWatched);
    deepEqual(
      { height: r.height, spent: r.spent, blocks: r.blocks },
      { height: 100, spent: [], blocks: 0 },
      'the first scan starts at the tip',
    );
    grow(103, 102);
    r = await f.scan(isWatched);
    deepEqual(r.spent, [{ ...watched, blockheight: 102 }]);
    equal(r.blocks, 3);
    r = await f.scan(isWatched);
    deepEqual([r.height, r.spent.length, r.blocks], [103, 0, 0], 'nothing new: nothing read');
    // A reorganisation: 102 and 103 replaced, the spend now in 104.
    tip = 101;
    grow(104, 104, 1);
    asked.length = 0;
    r = await f.scan(isWatched);
    deepEqual(r.spent, [{ ...watched, blockheight: 104 }]);
    deepEqual(r.unspent, [{ ...watched, blockheight: 102 }], 'the spend reported at 102 is taken back');
    equal(r.height, 104);
    // 104 (prev mismatch), 103' (mismatch), 102' (fits 101), 103', 104' read again.
    equal(asked.length, 5);
    // Another reorganisation moves the spend from 104 to 107: taken back there, reported here.
    tip = 103;
    grow(107, 107, 3);
    r = await f.scan(isWatched);
    deepEqual(r.spent, [{ ...watched, blockheight: 107 }]);
    deepEqual(r.unspent, [{ ...watched, blockheight: 104 }]);
    // and no spend at all in the new branch: only taken back.
    tip = 106;
    grow(108, undefined, 4);
    r = await f.scan(isWatched);
    deepEqual(r.spent, []);
    deepEqual(r.unspent, [{ ...watched, blockheight: 107 }]);
    // Far behind: only the last 5 blocks are read.
    grow(130);
    asked.length = 0;
    r = await f.scan(isWatched);
    equal(r.height, 130);
    equal(r.blocks, 5);
    equal(r.skipped, 17, 'blocks 109 to 125 passed over, and said so');
    deepEqual(
      asked,
      [126, 127, 128, 129, 130].map(h => chain.get(h)!.hash),
    );
  });

  it('a block that is not the one asked for, or does not parse, ends the scan with a typed error and what was found', async () => {
    const blocks = [block('00'.repeat(32), 1, [])];
    blocks.push(block(blocks[0]!.hash, 2, [tx([{ txid: txidOf('w'), vout: 0 }], true)]));
    blocks.push(block(blocks[1]!.hash, 3, []));
    let tip = 1;
    let corrupt = true;
    const src: BlockSource = {
      tipHeight: async () => tip,
      currentBlockHash: async h => blocks[h - 1]?.hash,
      rawBlock: async hash => {
        const b = blocks.find(x => x.hash === hash)!;
        return b === blocks[2] && corrupt ? b.raw.subarray(0, 100) : b.raw;
      },
    };
    const f = new SpendFollower(src);
    await f.scan(() => true);
    tip = 3;
    let r = await f.scan(t => t === txidOf('w'));
    equal(r.height, 2);
    deepEqual(r.spent, [{ txid: txidOf('w'), vout: 0, blockheight: 2 }]);
    ok(r.error instanceof ChainSourceError);
    equal(r.error.code, 'bad_block');
    corrupt = false;
    r = await f.scan(() => true);
    equal(r.height, 3);
    equal(r.error, undefined);
  });

  it('FundingIndex matches txid and output index, and forgets what is not kept', () => {
    const x = new FundingIndex();
    const t = txidOf('batch');
    const s0 = scidFromParts({ block: 5, txindex: 1, outnum: 0 });
    const s2 = scidFromParts({ block: 5, txindex: 1, outnum: 2 });
    x.add(s0, t);
    x.add(s2, t);
    x.add(s2, t);
    equal(x.size, 2);
    equal(x.match(t, 2), s2);
    equal(x.match(t, 0), s0);
    equal(x.match(t, 1), undefined);
    x.retain(s => s !== s0);
    equal(x.size, 1);
    equal(x.match(t, 0), undefined);
    equal(x.match(t, 2), s2);
  });
});

// ---------------------------------------------------------------------------------------------
// Spent funding outputs, end to end through Esplora

const BASE = 'https://esplora.invalid/api';
const FUNDING_HEIGHT = 300;

/** An Esplora over a chain of real blocks: heights 0..tip, the funding transaction in block 300. */
class FakeChain {
  readonly blocks: { hash: string; raw: Uint8Array }[] = [];
  readonly urls: string[] = [];
  /** Extra transactions for a height, and heights served corrupt. */
  readonly txsAt = new Map<number, Uint8Array[]>();
  readonly corrupt = new Set<number>();
  tip = -1;

  constructor(
    readonly fundingTxid: string,
    readonly fundingScript: string,
  ) {}

  mine(to: number): void {
    for (let h = this.tip + 1; h <= to; h++)
      this.blocks.push(block(this.blocks[h - 1]?.hash ?? '00'.repeat(32), h, this.txsAt.get(h) ?? []));
    this.tip = to;
  }

  readonly fetch = async (url: string): Promise<FetchResponseLike> => {
    ok(url.startsWith(BASE + '/'), url);
    const path = url.slice(BASE.length);
    this.urls.push(path);
    const p = path.split('/').slice(1);
    const text = (status: number, body: string): FetchResponseLike => ({
      status,
      text: async () => body,
      json: async () => JSON.parse(body) as unknown,
    });
    if (path === '/blocks/tip/height') return text(200, String(this.tip));
    if (p[0] === 'block-height') {
      const b = this.blocks[Number(p[1])];
      return b ? text(200, b.hash) : text(404, 'Block not found');
    }
    if (p[0] === 'block' && p[2] === 'txid')
      return p[1] === this.blocks[FUNDING_HEIGHT]?.hash && p[3] === '1' ? text(200, this.fundingTxid) : text(404, 'not found');
    if (p[0] === 'block' && p[2] === 'raw') {
      const h = this.blocks.findIndex(b => b.hash === p[1]);
      if (h < 0) return text(404, 'Block not found');
      const raw = this.corrupt.has(h) ? this.blocks[h]!.raw.subarray(0, 90) : this.blocks[h]!.raw;
      return { ...text(200, ''), arrayBuffer: async () => raw.slice().buffer };
    }
    if (p[0] === 'tx' && p[1] === this.fundingTxid) {
      if (p.length === 2) return text(200, JSON.stringify({ vout: [{ scriptpubkey: this.fundingScript, value: 2_500_000 }] }));
      if (p[2] === 'outspend') return text(200, JSON.stringify({ spent: false }));
    }
    return text(404, 'not found');
  };
}

describe('gossipd: a spend taken back by a reorganisation', () => {
  it('opens the channel again, in the graph and in the store', async () => {
    const clock = new FakeClock();
    const [a, b] = [PARTIES[2]!, PARTIES[3]!];
    const scid = scidFromParts({ block: 300, txindex: 4, outnum: 0 });
    const fundingTxid = txidOf('reorged funding');
    const script = fundingScriptPubKey(getPublicKey(a.bitcoinSecret), getPublicKey(b.bitcoinSecret));
    const answers = [
      { height: 310, spent: [{ txid: fundingTxid, vout: 0, blockheight: 310 }] },
      { height: 311, spent: [], unspent: [{ txid: fundingTxid, vout: 0, blockheight: 310 }] },
    ];
    const chain: ChainSource = {
      fundingOutput: async () => ({ amount_sat: 1_000_000, scriptPubKey: script, txid: fundingTxid }),
      newSpends: async () => answers.shift() ?? { height: 311, spent: [] },
    };
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const g = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0, verifyBatchDelayMs: 1 }, chain);
    await g.load();
    g.newPeer('peer', '');
    const c = channel(2, scid, 100);
    for (const m of [c.ann, ...c.updates]) g.gossip('peer', m);
    await clock.tick(10);
    await g.flush();
    await g.checkSpends();
    equal(g.graph.spentHeight[g.graph.findChannel(scid)], 310);
    await g.checkSpends();
    equal(g.graph.spentHeight[g.graph.findChannel(scid)], 0, 'open again');
    await g.flush();
    const restarted = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0 });
    await restarted.load();
    equal(restarted.graph.spentHeight[restarted.graph.findChannel(scid)], 0, 'and so after a restart');
    await g.close();
    await restarted.close();
  });
});

describe('gossipd: the spend watch across a restart', () => {
  it('goes on from the last block the previous run read, kept beside the store', async () => {
    const clock = new FakeClock();
    const afters: (number | undefined)[] = [];
    let tip = 305;
    const chain: ChainSource = {
      fundingOutput: async () => undefined,
      newSpends: async (_watched, after) => {
        afters.push(after);
        return { height: tip, spent: [] };
      },
    };
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const config = { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0 };
    const g = gossipd(clock, store, () => NOW, config, chain);
    await g.load();
    await g.checkSpends();
    tip = 307;
    await g.checkSpends();
    deepEqual(afters, [undefined, 305], 'a fresh store: from the tip; then from where it was');
    equal(await store.getMeta('spent_check_height'), '307');
    await g.close();
    tip = 320;
    const again = gossipd(clock, store, () => NOW, config, chain);
    await again.load();
    await again.checkSpends();
    deepEqual(afters, [undefined, 305, 307], 'the restarted node goes on after 307');
    await again.close();
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
    const g = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0 }, undefined, {
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
    await rejects(
      gossipd(clock, new Broken(), () => NOW, { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0 }).load(),
      GossipStoreError,
      'io',
    );
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
        { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0, relayIntervalMs: 1_000, verifyBatchDelayMs: 1 },
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
    const fundingTxid = txidOf('funding tx');
    const chain = new FakeChain(fundingTxid, toHex(fundingScriptPubKey(getPublicKey(a.bitcoinSecret), getPublicKey(b.bitcoinSecret))));
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
    const esplora = new EsploraChainSource({ baseUrl: BASE, fetch: chain.fetch, clock });
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const warnings: string[] = [];
    const config = { maintenanceFirstMs: MIN, spendCheckIntervalMs: 10 * MIN, maintenanceIntervalMs: HOUR, verifyBatchDelayMs: 1 };
    const sent: Uint8Array[] = [];
    const g = gossipd(
      clock,
      store,
      () => NOW,
      config,
      esplora,
      { ...quiet, warn: (m: string) => void warnings.push(m) },
      raw => sent.push(raw),
    );
    await g.load();
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

    // The first check starts at the tip (306); then each check reads the new blocks.
    await clock.tick(MIN);
    equal((g.info() as { spent_check_height: number }).spent_check_height, 306);
    chain.mine(309);
    await clock.tick(10 * MIN);
    equal(g.graph.spentHeight[ch], 0, 'output 1 of the funding transaction is not the channel');
    const route = { id: toHex(getPublicKey(b.nodeSecret)), amount_msat: 1000, riskfactor: 1, fromid: toHex(getPublicKey(a.nodeSecret)) };
    equal(((await g.rpc('getroute', route)) as { route: unknown[] }).route.length, 1);
    deepEqual(await offered(g, clock, sent, 'asker', scid), {
      range: [scid],
      gossip: ['channel_announcement', 'channel_update', 'channel_update'],
      filtered: ['channel_announcement', 'channel_update', 'channel_update'],
    });
    chain.mine(SPEND + 1);
    await clock.tick(10 * MIN);
    equal(g.graph.spentHeight[g.graph.findChannel(scid)], SPEND);
    equal(g.stats.marked_spent, 1);
    // The spend went into the store with the announcement: a node restarted from it keeps the
    // channel spent (and forgets it on schedule) rather than bringing it back.
    await g.flush();
    const restarted = gossipd(clock, store, () => NOW, { maintenanceIntervalMs: 0, spendCheckIntervalMs: 0 });
    await restarted.load();
    const rc = restarted.graph.findChannel(scid);
    equal(restarted.graph.spentHeight[rc], SPEND);
    // The announcement came back after its updates in the log (it was rewritten): they still apply.
    ok(restarted.graph.updTimestamp[2 * rc]! > 0 && restarted.graph.updTimestamp[2 * rc + 1]! > 0, 'both channel_updates loaded');
    equal(restarted.stats.load_errors, 0);
    await restarted.close();
    // While spent: updates ignored, no route, not offered to peers.
    const { channels } = (await g.rpc('listchannels', {})) as { channels: { active: boolean }[] };
    ok(channels.length === 2 && channels.every(x => !x.active), 'listed as inactive');
    deepEqual(await offered(g, clock, sent, 'asker2', scid), { range: [], gossip: [], filtered: [] }, 'not offered to peers while spent');
    await rejects(g.rpc('getroute', route), RouteError, 'route_not_found');
    // A corrupt block at 315: logged, a typed error, the check goes on once it is served whole.
    chain.mine(320);
    await clock.tick(10 * MIN);
    ok(
      warnings.some(w => w.includes('stopped at 314')),
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
    // One raw block per block, never one outspend request per channel.
    equal(chain.urls.filter(u => u.includes('/outspend/')).length, 1, 'only the announcement check');
    const raws = chain.urls.filter(u => u.endsWith('/raw'));
    equal(raws.length, SPEND + 12 - 306 + 1, 'each block read once, 315 twice');
    equal(g.stats.maintenance_errors, 0);
    await g.close();
    equal(clock.pending, 0);
  });

  it('watches the funding outputs recorded in the store after a restart', async () => {
    const clock = new FakeClock();
    const scid = scidFromParts({ block: FUNDING_HEIGHT, txindex: 1, outnum: 0 });
    const fundingTxid = txidOf('stored funding');
    const chain = new FakeChain(fundingTxid, '00');
    chain.txsAt.set(402, [tx([{ txid: fundingTxid, vout: 0 }], true)]);
    chain.mine(400);
    const store = new MemoryGossipStore();
    await store.load(() => {});
    const recs = records(scid, channel(1, scid, 100), 100);
    recs[0] = { ...recs[0]!, extra: { amount_sat: 1_000, funding_txid: fundingTxid } };
    await store.writeBatch(recs);
    const esplora = new EsploraChainSource({ baseUrl: BASE, fetch: chain.fetch, clock });
    const g = gossipd(clock, store, () => NOW, { maintenanceFirstMs: MIN, spendCheckIntervalMs: MIN }, esplora);
    await g.load();
    equal((g.info() as { funding_outputs_watched: number }).funding_outputs_watched, 1);
    equal((g.info() as { spent_pruning: string }).spent_pruning, 'on');
    await clock.tick(MIN);
    chain.mine(403);
    await clock.tick(MIN);
    equal(g.graph.spentHeight[g.graph.findChannel(scid)], 402);
    await g.close();
  });
});

describe('gossipd: chain checks of channel_announcements', () => {
  it('runs several at once, and still applies each channel_update after its channel_announcement', async () => {
    const clock = new FakeClock();
    const scids = [0, 1, 2, 3, 4, 5].map(k => scidFromParts({ block: 700 + k, txindex: 2, outnum: 1 }));
    const chans = scids.map((s, k) => channel(k, s, 100));
    const waiting = new Map<bigint, () => void>();
    const source: ChainSource = {
      fundingOutput(s) {
        const k = scids.indexOf(s);
        const m = decodeMessage(chans[k]!.ann);
        ok(m.name === 'channel_announcement');
        return new Promise(resolve =>
          waiting.set(s, () =>
            resolve({
              amount_sat: 1_000_000 + k,
              scriptPubKey: fundingScriptPubKey(m.bitcoin_key_1, m.bitcoin_key_2),
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
      ok(g.graph.updTimestamp[2 * c]! > 0 && g.graph.updTimestamp[2 * c + 1]! > 0, 'both updates applied');
    }
    equal((g.info() as { funding_outputs_watched: number }).funding_outputs_watched, 6);
    await g.close();
  });
});
