// EsploraChainSource against a fake fetch serving canned Esplora answers: a real-looking chain with
// a P2WSH funding output built by fundingScriptPubKey for two funding keys, a spent one, a P2WPKH
// one, and failures (404s, 5xx, 429, a dead network, garbage bodies, a request that never ends).
import { concat, toHex, u32be } from '../../src/core/base/bytes.ts';
import { ChainSourceError, EsploraChainSource, type FetchResponseLike, type EsploraOptions } from '../../src/core/chain/esplora.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { fundingScriptPubKey } from '../../src/core/gossip/funding.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { rawBlock, rawTx } from '../support/raw-block.ts';
import { settle } from '../support/memory-stream.ts';

const BASE = 'https://esplora.invalid/api';
const enc = new TextEncoder();
const h = (tag: string, i = 0) => toHex(sha256(concat(enc.encode(tag), u32be(i))));

const KEY_1 = getPublicKey(sha256(enc.encode('funding key 1')));
const KEY_2 = getPublicKey(sha256(enc.encode('funding key 2')));
const FUNDING = fundingScriptPubKey(KEY_1, KEY_2);
const P2WPKH = '0014' + h('p2wpkh').slice(0, 40);

interface Tx {
  vout: { scriptpubkey: string; value: number }[];
  spent?: number[];
}

/** A little chain: heights 700,000..700,009 exist; block 700,000 holds three transactions. */
class FakeEsplora {
  readonly urls: string[] = [];
  readonly blocks = new Map<number, string>();
  readonly txids = new Map<string, string[]>();
  readonly txs = new Map<string, Tx>();
  /** Paths answered with this status instead. */
  readonly status = new Map<string, number>();
  /** Paths answered with this text body instead. */
  readonly body = new Map<string, string>();
  /** Paths answered with these bytes (`/block/:hash/raw`). */
  readonly bytes = new Map<string, Uint8Array>();
  /** When set, each request waits for `release()`. */
  gate = false;
  inFlight = 0;
  maxInFlight = 0;
  private readonly held: (() => void)[] = [];

  constructor() {
    for (let i = 0; i < 10; i++) this.blocks.set(700_000 + i, h('block', i));
    const b0 = h('block', 0);
    this.txids.set(b0, [h('coinbase'), h('funding tx'), h('other tx')]);
    this.txs.set(h('funding tx'), {
      vout: [
        { scriptpubkey: P2WPKH, value: 12_345 },
        { scriptpubkey: toHex(FUNDING), value: 2_000_000 },
        { scriptpubkey: toHex(FUNDING), value: 3_000_000 },
      ],
      spent: [2],
    });
    this.txs.set(h('other tx'), { vout: [{ scriptpubkey: toHex(FUNDING), value: 500_000 }] });
    for (let i = 1; i < 10; i++) {
      const b = h('block', i);
      this.txids.set(b, [h('coinbase', i), h('tx', i)]);
      this.txs.set(h('tx', i), { vout: [{ scriptpubkey: toHex(FUNDING), value: 1_000 * i }] });
    }
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  get heldCount(): number {
    return this.held.length;
  }

  readonly fetch = async (url: string): Promise<FetchResponseLike> => {
    ok(url.startsWith(BASE + '/'), `unexpected URL ${url}`);
    const path = url.slice(BASE.length);
    this.urls.push(path);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await new Promise<void>(r => this.held.push(r));
      return this.answer(path);
    } finally {
      this.inFlight--;
    }
  };

  private answer(path: string): FetchResponseLike {
    const s = this.status.get(path);
    if (s !== undefined) return text(s, 'error');
    const b = this.body.get(path);
    if (b !== undefined) return text(200, b);
    const bytes = this.bytes.get(path);
    if (bytes !== undefined) return { ...text(200, ''), arrayBuffer: async () => bytes.slice().buffer };
    const p = path.split('/').slice(1);
    if (p[0] === 'blocks' && p[1] === 'tip' && p[2] === 'height') return text(200, '700009');
    if (p[0] === 'block-height') {
      const hash = this.blocks.get(Number(p[1]));
      return hash ? text(200, hash) : text(404, 'Block not found');
    }
    if (p[0] === 'block' && p[2] === 'txid') {
      const ids = this.txids.get(p[1]!);
      if (!ids) return text(404, 'Block not found');
      const id = ids[Number(p[3])];
      return id ? text(200, id) : text(404, 'tx index out of range');
    }
    if (p[0] === 'tx') {
      const tx = this.txs.get(p[1]!);
      if (!tx) return text(404, 'Transaction not found');
      if (p.length === 2)
        return json({
          txid: p[1],
          vout: tx.vout.map(o => ({ ...o, scriptpubkey_type: o.scriptpubkey.startsWith('0020') ? 'v0_p2wsh' : 'v0_p2wpkh' })),
        });
      // Esplora answers {spent:false} for an output that does not exist, too.
      if (p[2] === 'outspend')
        return json(
          tx.spent?.includes(Number(p[3])) ? { spent: true, txid: h('spender'), vin: 0, status: { confirmed: true } } : { spent: false },
        );
    }
    return text(404, 'not found');
  }
}

function text(status: number, body: string): FetchResponseLike {
  return { status, text: async () => body, json: async () => JSON.parse(body) as unknown };
}

function json(v: unknown): FetchResponseLike {
  return text(200, JSON.stringify(v));
}

function source(fake: FakeEsplora, o: Partial<EsploraOptions> = {}): EsploraChainSource {
  return new EsploraChainSource({ baseUrl: BASE + '/', fetch: fake.fetch, clock: new FakeClock(), ...o });
}

const scid = (block: number, txindex: number, outnum: number) => scidFromParts({ block, txindex, outnum });

describe('esplora: funding outputs', () => {
  it('returns the unspent P2WSH output a short_channel_id names, walking block, txid, tx and outspend', async () => {
    const fake = new FakeEsplora();
    const c = source(fake);
    const out = await c.fundingOutput(scid(700_000, 1, 1));
    ok(out);
    equal(out.amount_sat, 2_000_000);
    deepEqual(out.scriptPubKey, FUNDING);
    equal(out.txid, h('funding tx'), 'the funding txid, for the spend watch');
    // The same script gossipd compares against (keys in either order).
    deepEqual(out.scriptPubKey, fundingScriptPubKey(KEY_2, KEY_1));
    deepEqual(fake.urls.slice(0, 2), [`/block-height/700000`, `/block/${h('block', 0)}/txid/1`]);
    deepEqual(fake.urls.slice(2).sort(), [`/tx/${h('funding tx')}`, `/tx/${h('funding tx')}/outspend/1`]);
  });

  it('says undefined for a missing block, transaction index, transaction or output', async () => {
    const fake = new FakeEsplora();
    const c = source(fake);
    equal(await c.fundingOutput(scid(800_000, 1, 0)), undefined, 'block past the tip');
    equal(await c.fundingOutput(scid(700_000, 7, 0)), undefined, 'tx index out of range');
    equal(await c.fundingOutput(scid(700_000, 1, 3)), undefined, 'output index out of range');
    fake.txs.delete(h('other tx'));
    equal(await c.fundingOutput(scid(700_000, 2, 0)), undefined, 'transaction not found');
  });

  it('says undefined for a spent output (BOLT 7: MUST ignore) and isSpent agrees', async () => {
    const fake = new FakeEsplora();
    const c = source(fake);
    equal(await c.fundingOutput(scid(700_000, 1, 2)), undefined);
    equal(await c.isSpent(scid(700_000, 1, 2)), true);
    equal(await c.isSpent(scid(700_000, 1, 1)), false);
    equal(await c.isSpent(scid(800_000, 1, 1)), true, 'a block that is gone: the channel is gone');
    equal(await c.isSpent(scid(700_000, 9, 0)), true, 'a transaction that is gone');
  });

  it('says undefined for an output that is not P2WSH', async () => {
    const fake = new FakeEsplora();
    const c = source(fake);
    equal(await c.fundingOutput(scid(700_000, 1, 0)), undefined);
    const other = await c.fundingOutput(scid(700_000, 2, 0));
    equal(other?.amount_sat, 500_000, 'a P2WSH output in the same block is still found');
  });

  it('reports the tip height', async () => {
    const fake = new FakeEsplora();
    equal(await source(fake).tipHeight(), 700_009);
    fake.body.set('/blocks/tip/height', '70x');
    await rejects(source(fake).tipHeight(), ChainSourceError, 'bad_response');
  });
});

describe('esplora: failures are typed', () => {
  it('a 5xx or 429 is ChainSourceError http_status with the status, not "missing"', async () => {
    const fake = new FakeEsplora();
    const c = source(fake);
    fake.status.set('/block-height/700001', 503);
    const e = await rejects<ChainSourceError>(c.fundingOutput(scid(700_001, 1, 0)), ChainSourceError, 'http_status');
    equal(e.status, 503);
    fake.status.set(`/tx/${h('tx', 2)}/outspend/0`, 500);
    await rejects(c.fundingOutput(scid(700_002, 1, 0)), ChainSourceError, 'http_status');
    fake.status.set('/block-height/700003', 429);
    equal((await rejects<ChainSourceError>(c.isSpent(scid(700_003, 1, 0)), ChainSourceError, 'http_status')).status, 429);
    // A failed height is not cached: it is asked again and now works.
    fake.status.delete('/block-height/700001');
    equal((await c.fundingOutput(scid(700_001, 1, 0)))?.amount_sat, 1_000);
  });

  it('a failing fetch is network, a garbage body bad_response', async () => {
    const fake = new FakeEsplora();
    const dead = new EsploraChainSource({ baseUrl: BASE, clock: new FakeClock(), fetch: () => Promise.reject(new Error('ECONNREFUSED')) });
    await rejects(dead.fundingOutput(scid(700_000, 1, 1)), ChainSourceError, 'network');
    await rejects(dead.tipHeight(), ChainSourceError, 'network');
    const c = source(fake);
    fake.body.set('/block-height/700004', '<html>oops</html>');
    await rejects(c.fundingOutput(scid(700_004, 1, 0)), ChainSourceError, 'bad_response');
    fake.body.set(`/tx/${h('tx', 5)}`, '{"vout": 3}');
    await rejects(c.fundingOutput(scid(700_005, 1, 0)), ChainSourceError, 'bad_response');
    fake.body.set(`/tx/${h('tx', 6)}`, '{"vout": [{"scriptpubkey": "zz", "value": 1}]}');
    await rejects(c.fundingOutput(scid(700_006, 1, 0)), ChainSourceError, 'bad_response');
    fake.body.set(`/tx/${h('tx', 7)}`, '{"vout": [{"scriptpubkey": "0020", "valuecommitment": "08aa"}]}');
    await rejects(c.fundingOutput(scid(700_007, 1, 0)), ChainSourceError, 'bad_response');
    fake.body.set(`/tx/${h('tx', 8)}/outspend/0`, 'not json');
    await rejects(c.fundingOutput(scid(700_008, 1, 0)), ChainSourceError, 'bad_response');
  });

  it('a request with no answer times out, is aborted and frees its slot', async () => {
    const clock = new FakeClock();
    const aborted: number[] = [];
    let n = 0;
    let hang = true;
    const fake = new FakeEsplora();
    const c = new EsploraChainSource({
      baseUrl: BASE,
      clock,
      timeoutMs: 1000,
      maxConcurrent: 1,
      abortController: () => {
        const id = n++;
        return { signal: id, abort: () => aborted.push(id) };
      },
      fetch: url => (hang ? new Promise<FetchResponseLike>(() => {}) : fake.fetch(url)),
    });
    const p = c.fundingOutput(scid(700_000, 1, 1));
    let failed = false;
    p.catch(() => (failed = true));
    await settle(); // the request has started and its timer is set
    await clock.tick(999);
    equal(failed, false, 'still waiting before the timeout');
    await clock.tick(1);
    await rejects(p, ChainSourceError, 'timeout');
    deepEqual(aborted, [0]);
    hang = false;
    equal((await c.fundingOutput(scid(700_000, 1, 1)))?.amount_sat, 2_000_000, 'the only slot was given back');
  });

  it('refuses a base URL that is not http(s)', () => {
    throws(
      () => new EsploraChainSource({ baseUrl: 'ftp://x', fetch: new FakeEsplora().fetch, clock: new FakeClock() }),
      ChainSourceError,
      'bad_url',
    );
  });
});

describe('esplora: concurrency and cache', () => {
  it('never has more than maxConcurrent requests in flight', async () => {
    const fake = new FakeEsplora();
    fake.gate = true;
    const c = source(fake, { maxConcurrent: 3 });
    let finished = false;
    const all = Promise.all(Array.from({ length: 9 }, (_, i) => c.fundingOutput(scid(700_001 + i, 1, 0))));
    void all.then(
      () => (finished = true),
      () => (finished = true),
    );
    for (let rounds = 0; !finished; rounds++) {
      await settle();
      ok(fake.inFlight <= 3, `in flight ${fake.inFlight}`);
      ok(fake.heldCount <= 3, `held ${fake.heldCount}`);
      fake.release();
      ok(rounds < 500, 'lookups never finished');
    }
    const outs = await all;
    deepEqual(
      outs.map(o => o?.amount_sat),
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map(i => 1_000 * i),
    );
    equal(fake.maxInFlight, 3, 'the cap was reached and held');
    equal(c.stats.max_in_flight, 3);
    equal(fake.urls.length, 9 * 4);
  });

  it('asks for a block hash once per height, sharing a lookup already in flight', async () => {
    const fake = new FakeEsplora();
    const c = source(fake);
    const [a, b] = await Promise.all([c.fundingOutput(scid(700_000, 1, 1)), c.fundingOutput(scid(700_000, 2, 0))]);
    equal(a?.amount_sat, 2_000_000);
    equal(b?.amount_sat, 500_000);
    await c.fundingOutput(scid(700_000, 1, 1));
    equal(fake.urls.filter(u => u === '/block-height/700000').length, 1);
    equal(fake.urls.filter(u => u === `/block/${h('block', 0)}/txid/1`).length, 1, 'the txid is cached too');
    equal(c.stats.cache_hits, 3);
    // A height past the tip is not remembered: the block may be mined by the next question.
    equal(await c.blockHash(700_010), undefined);
    fake.blocks.set(700_010, h('block', 10));
    equal(await c.blockHash(700_010), h('block', 10));
  });

  it('keeps at most maxCached block hashes, dropping the oldest', async () => {
    const fake = new FakeEsplora();
    const c = source(fake, { maxCached: 2 });
    for (const height of [700_001, 700_002, 700_003, 700_003, 700_001]) await c.blockHash(height);
    deepEqual(fake.urls, ['/block-height/700001', '/block-height/700002', '/block-height/700003', '/block-height/700001']);
  });
});

describe('esplora: following blocks for spends', () => {
  it('reads each new block once with /block/:hash/raw and reports the watched outputs it spends', async () => {
    const fake = new FakeEsplora();
    const c = source(fake, { spends: { lookbackBlocks: 2 } });
    // Real blocks at 700,008 and 700,009 (their hashes are what /block-height answers).
    const b8 = rawBlock(h('block', 7), 700_008, [rawTx([{ txid: h('funding tx'), vout: 1 }], true)]);
    const b9 = rawBlock(b8.hash, 700_009, [
      rawTx(
        [
          { txid: h('funding tx'), vout: 2 },
          { txid: h('other tx'), vout: 0 },
        ],
        false,
      ),
    ]);
    fake.blocks.set(700_008, b8.hash);
    fake.blocks.set(700_009, b9.hash);
    fake.bytes.set(`/block/${b8.hash}/raw`, b8.raw);
    fake.bytes.set(`/block/${b9.hash}/raw`, b9.raw);
    const watched = (txid: string, vout: number) => txid === h('funding tx') && vout !== 2;
    const r = await c.newSpends(watched);
    deepEqual(r, { height: 700_009, blocks: 2, spent: [{ txid: h('funding tx'), vout: 1, blockheight: 700_008 }] });
    deepEqual(fake.urls, [
      '/blocks/tip/height',
      '/block-height/700008',
      `/block/${b8.hash}/raw`,
      '/block-height/700009',
      `/block/${b9.hash}/raw`,
    ]);
    fake.urls.length = 0;
    deepEqual(await c.newSpends(watched), { height: 700_009, blocks: 0, spent: [] });
    deepEqual(fake.urls, ['/blocks/tip/height'], 'no new block: one request');
    equal(fake.urls.filter(u => u.includes('outspend')).length, 0);
  });

  it('a garbage or wrong block is a typed error in the scan, a body without arrayBuffer bad_response, a missing block bad_block', async () => {
    const fake = new FakeEsplora();
    const c = source(fake, { spends: { lookbackBlocks: 1 } });
    // /block-height/700009 names h('block', 9); these bytes hash to something else.
    const other = rawBlock(h('block', 8), 700_009, []);
    fake.bytes.set(`/block/${h('block', 9)}/raw`, other.raw);
    let r = await c.newSpends(() => true);
    ok(r.error instanceof ChainSourceError);
    equal(r.error.code, 'bad_block');
    equal(r.height, 700_008, 'nothing read');
    fake.bytes.set(`/block/${h('block', 9)}/raw`, other.raw.subarray(0, 120));
    r = await c.newSpends(() => true);
    equal(r.error?.code, 'bad_block');
    await rejects(c.rawBlock(h('block', 3)), ChainSourceError, 'bad_block');
    await rejects(c.rawBlock('../tx/x'), ChainSourceError, 'bad_block');
    fake.body.set(`/block/${h('block', 4)}/raw`, 'binary?');
    await rejects(c.rawBlock(h('block', 4)), ChainSourceError, 'bad_response');
    fake.status.set('/blocks/tip/height', 503);
    await rejects(
      c.newSpends(() => true),
      ChainSourceError,
      'http_status',
    );
  });
});
