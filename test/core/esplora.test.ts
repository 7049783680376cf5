// EsploraBackend (src/platform/esplora.ts), lightningd's ChainBackend over Esplora's REST API, against
// a fake fetch serving a MemoryChain of real blocks from one or more "servers": the backend contract
// path by path, failures typed, failing servers left for the next URL, rounds with a growing wait,
// timeouts. The same client against `boltworker regtest` over HTTP: test/node/esplora-regtest.test.ts.
import { toHex } from '../../src/core/base/bytes.ts';
import { parseBlock } from '../../src/core/chain/block.ts';
import { BlockFollower } from '../../src/core/chain/follow.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import {
  ChainSourceError,
  EsploraBackend,
  type EsploraOptions,
  type FetchInitLike,
  type FetchResponseLike,
} from '../../src/platform/esplora.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryChain } from '../support/memory-chain.ts';
import { settle } from '../support/memory-stream.ts';
import { rawTx } from '../support/raw-block.ts';

const enc = new TextEncoder();
const h = (tag: string) => toHex(sha256(enc.encode(tag)));
const REGTEST_GENESIS = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';
const A = 'https://a.invalid/api';
const B = 'https://b.invalid/api';

function text(status: number, body: string): FetchResponseLike {
  return { status, text: async () => body };
}

/** Esplora servers (by base URL) over one MemoryChain; each can fail its next requests or hang. */
class FakeEsplora {
  readonly chain = new MemoryChain(20);
  /** Requests as `BASE PATH`. */
  readonly log: string[] = [];
  /** The next this-many requests to a server get this status (or a network failure: 0). */
  readonly failing = new Map<string, { n: number; status: number }>();
  readonly posted: string[] = [];
  spent = new Set<string>();
  hang = false;
  refuse: string | undefined;

  constructor() {
    this.chain.utxos.set(`${h('funding')}:1`, { amount_sat: 2_000_000, script: new Uint8Array(34).fill(7) });
  }

  readonly fetch = async (url: string, init?: FetchInitLike): Promise<FetchResponseLike> => {
    const base = [A, B].find(b => url.startsWith(b + '/'));
    ok(base, `unexpected URL ${url}`);
    const path = url.slice(base.length);
    this.log.push(`${base === A ? 'A' : 'B'} ${path}`);
    const f = this.failing.get(base);
    if (f && f.n > 0) {
      f.n--;
      if (f.status === 0) throw new Error('ECONNREFUSED');
      return text(f.status, 'busy');
    }
    if (this.hang) return new Promise<FetchResponseLike>(() => {});
    return this.answer(path, init);
  };

  private answer(path: string, init?: FetchInitLike): FetchResponseLike {
    const c = this.chain;
    const p = path.split('/').slice(1);
    if (init?.method === 'POST' && path === '/tx') {
      this.posted.push(init.body!);
      return this.refuse ? text(400, this.refuse) : text(200, h('sent'));
    }
    if (path === '/blocks/tip/height') return text(200, String(c.tip));
    if (path === '/fee-estimates') return text(200, JSON.stringify({ '1': 20.5, '6': 3, '144': 1, x: 9 }));
    if (p[0] === 'block-height') {
      const n = Number(p[1]);
      if (n === 0) return text(200, REGTEST_GENESIS);
      return c.blocks[n] ? text(200, c.blocks[n]!.hash) : text(404, 'Block not found');
    }
    if (p[0] === 'block') {
      const b = c.blocks.find(x => x.hash === p[1]);
      if (!b) return text(404, 'Block not found');
      if (p[2] === 'raw') return { ...text(200, ''), arrayBuffer: async () => b.raw.slice().buffer };
      if (p[2] === 'txid') {
        const t = parseBlock(b.raw).txs[Number(p[3])];
        return t ? text(200, t.txid) : text(404, 'not found');
      }
    }
    if (p[0] === 'tx') {
      const outs = [...c.utxos].filter(([k]) => k.startsWith(p[1]! + ':'));
      if (!outs.length) return text(404, 'Transaction not found');
      if (p.length === 2)
        return text(
          200,
          JSON.stringify({
            vout: [0, 1].map(i => {
              const o = c.utxos.get(`${p[1]}:${i}`);
              return { scriptpubkey: o ? toHex(o.script) : '0014' + '11'.repeat(20), value: o?.amount_sat ?? 1 };
            }),
          }),
        );
      if (p[2] === 'outspend') return text(200, JSON.stringify({ spent: this.spent.has(`${p[1]}:${p[3]}`) }));
    }
    return text(404, 'not found');
  }
}

function backend(fake: FakeEsplora, clock = new FakeClock(), o: Partial<EsploraOptions> = {}): EsploraBackend {
  return new EsploraBackend({ baseUrls: [A, B], fetch: fake.fetch, clock, retries: 0, ...o });
}

describe('esplora backend: the chain backend contract', () => {
  it("answers getchaininfo, getrawblockbyheight, getblockhash, gettxidbyposition from Esplora's paths", async () => {
    const fake = new FakeEsplora();
    const c = backend(fake);
    deepEqual(await c.getchaininfo(), { chain: 'regtest', headercount: 20, blockcount: 20, ibd: false });
    const b = await c.getrawblockbyheight(7);
    equal(b?.blockhash, fake.chain.blocks[7]!.hash);
    deepEqual(b?.block, fake.chain.blocks[7]!.raw);
    equal(await c.getrawblockbyheight(21), undefined, 'past the tip');
    equal(await c.getblockhash(3), fake.chain.blocks[3]!.hash);
    equal(await c.gettxidbyposition(3, 0), parseBlock(fake.chain.blocks[3]!.raw).txs[0]!.txid);
    equal(await c.gettxidbyposition(3, 5), undefined);
    equal(c.description, `esplora ${A}, ${B}`);
  });

  it('getutxout: the output while unspent; undefined when spent (mempool included), missing, or past the outputs', async () => {
    const fake = new FakeEsplora();
    const c = backend(fake);
    deepEqual(await c.getutxout(h('funding'), 1), { amount_sat: 2_000_000, script: new Uint8Array(34).fill(7) });
    equal(await c.getutxout(h('funding'), 5), undefined);
    equal(await c.getutxout(h('nothing'), 0), undefined);
    equal(await c.getutxout('not a txid', 0), undefined);
    fake.spent.add(`${h('funding')}:1`);
    equal(await c.getutxout(h('funding'), 1), undefined);
  });

  it('estimatefees in sat/kvB with the 1 sat/vB relay floor; sendrawtransaction posts hex, a refusal is its reason', async () => {
    const fake = new FakeEsplora();
    const c = backend(fake);
    deepEqual(await c.estimatefees(), {
      feerate_floor: 1000,
      feerates: [
        { blocks: 1, feerate: 20_500 },
        { blocks: 6, feerate: 3000 },
        { blocks: 144, feerate: 1000 },
      ],
    });
    const tx = rawTx([{ txid: h('in'), vout: 0 }], true);
    deepEqual(await c.sendrawtransaction(tx), { success: true });
    deepEqual(fake.posted, [toHex(tx)]);
    fake.refuse = 'sendrawtransaction RPC error: {"code":-25,"message":"bad-txns-inputs-missingorspent"}';
    const r = await c.sendrawtransaction(tx);
    equal(r.success, false);
    ok(r.errmsg?.includes('bad-txns-inputs-missingorspent'), r.errmsg);
    equal(fake.log.filter(l => l.endsWith('/tx')).length, 2, 'a refusal is not asked again');
  });

  it('drives the block follower, through a reorganisation', async () => {
    const fake = new FakeEsplora();
    const f = new BlockFollower({ backend: backend(fake) });
    const seen: string[] = [];
    f.addListener({ blockConnected: b => void seen.push(`+${b.height}`), blockDisconnected: b => void seen.push(`-${b.height}`) });
    await f.poll();
    fake.chain.mine(22);
    await f.poll();
    fake.chain.reorg(1, 23);
    await f.poll();
    deepEqual(seen, ['+21', '+22', '-22', '+22', '+23']);
  });
});

describe('esplora backend: concurrency and cache', () => {
  it('never has more than maxConcurrent requests in flight, shares a lookup in flight, and caches only buried block hashes', async () => {
    const fake = new FakeEsplora();
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const gated = async (url: string, init?: FetchInitLike) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>(r => held.push(r));
      inFlight--;
      return fake.fetch(url, init);
    };
    const c = new EsploraBackend({ baseUrls: [A], fetch: gated, clock: new FakeClock(), maxConcurrent: 2 });
    const all = Promise.all([1, 2, 3, 4, 5, 5, 5].map(n => c.getblockhash(n)));
    for (let i = 0; i < 10; i++) {
      await settle();
      held.splice(0).forEach(r => r());
    }
    deepEqual(
      await all,
      [1, 2, 3, 4, 5, 5, 5].map(n => fake.chain.blocks[n]!.hash),
    );
    equal(most, 2);
    equal(fake.log.length, 5, 'height 5 asked once for three askers');
    // Block hashes 6 or more below the tip seen are kept; recent ones may yet be replaced.
    const d = backend(fake);
    await d.getchaininfo();
    fake.log.length = 0;
    await d.getblockhash(14);
    await d.getblockhash(14);
    await d.getblockhash(15);
    await d.getblockhash(15);
    deepEqual(fake.log, ['A /block-height/14', 'A /block-height/15', 'A /block-height/15']);
  });
});

describe('esplora backend: failing servers', () => {
  it('a 5xx, 429 or network failure moves to the next URL, which is then asked first', async () => {
    const fake = new FakeEsplora();
    const c = backend(fake);
    fake.failing.set(A, { n: 1, status: 503 });
    equal(await c.getblockhash(2), fake.chain.blocks[2]!.hash);
    deepEqual(fake.log, ['A /block-height/2', 'B /block-height/2']);
    await c.getblockhash(4);
    equal(fake.log.at(-1), 'B /block-height/4', 'B answered last: asked first');
    fake.failing.set(B, { n: 1, status: 0 });
    await c.getblockhash(5);
    deepEqual(fake.log.slice(-2), ['B /block-height/5', 'A /block-height/5']);
    fake.failing.set(A, { n: 1, status: 429 });
    await c.getblockhash(6);
    deepEqual(fake.log.slice(-2), ['A /block-height/6', 'B /block-height/6']);
    equal(c.stats.retries, 3);
  });

  it('when every URL fails, waits and asks again, twice as long each round; after the last round the failure is typed', async () => {
    const fake = new FakeEsplora();
    const clock = new FakeClock();
    const c = backend(fake, clock, { retries: 2, backoffMs: 1000 });
    fake.failing.set(A, { n: 2, status: 500 });
    fake.failing.set(B, { n: 2, status: 502 });
    let got: string | undefined;
    const p = c.getblockhash(9).then(x => (got = x));
    await settle();
    equal(fake.log.length, 2, 'both servers asked once');
    await clock.tick(999);
    equal(fake.log.length, 2, 'nothing more before the first wait is over');
    await clock.tick(1);
    equal(fake.log.length, 4, 'the second round');
    await clock.tick(1999);
    equal(got, undefined);
    await clock.tick(1);
    await p;
    equal(got, fake.chain.blocks[9]!.hash, 'recovered in the third round');
    // Down for good: the last failure, typed, with its status.
    fake.failing.set(A, { n: 100, status: 500 });
    fake.failing.set(B, { n: 100, status: 503 });
    const q = c.getblockhash(9);
    q.catch(() => {});
    await settle();
    await clock.tick(3000);
    const e = await rejects<ChainSourceError>(q, ChainSourceError, 'http_status');
    equal(e.status, 503);
  });

  it('a 404 is "none", asked once; a garbage body is bad_response', async () => {
    const fake = new FakeEsplora();
    const c = backend(fake);
    equal(await c.getblockhash(99), undefined);
    equal(fake.log.length, 1);
    const bad = new EsploraBackend({ baseUrls: [A], clock: new FakeClock(), retries: 0, fetch: async () => text(200, '<html>') });
    await rejects(bad.getblockhash(1), ChainSourceError, 'bad_response');
    await rejects(bad.estimatefees(), ChainSourceError, 'bad_response');
  });

  it('a request with no answer times out, is aborted, and is asked of the next URL', async () => {
    const fake = new FakeEsplora();
    const clock = new FakeClock();
    const aborted: number[] = [];
    let n = 0;
    const c = backend(fake, clock, {
      timeoutMs: 1000,
      maxConcurrent: 1,
      abortController: () => {
        const id = n++;
        return { signal: id, abort: () => aborted.push(id) };
      },
    });
    fake.hang = true;
    const p = c.getblockhash(3);
    p.catch(() => {});
    await settle();
    await clock.tick(999);
    deepEqual(aborted, []);
    await clock.tick(1);
    deepEqual(aborted, [0]);
    fake.hang = false;
    // B was asked once A's slot was given back (maxConcurrent 1), and hung too; then it answers.
    await clock.tick(1000);
    await rejects(p, ChainSourceError, 'timeout');
    equal(await c.getblockhash(3), fake.chain.blocks[3]!.hash, 'the only slot was given back');
  });

  it('refuses no URL or one that is not http(s)', () => {
    const fetch = new FakeEsplora().fetch;
    throws(() => new EsploraBackend({ baseUrls: [], fetch, clock: new FakeClock() }), ChainSourceError, 'bad_url');
    throws(() => new EsploraBackend({ baseUrls: [A, 'ftp://x'], fetch, clock: new FakeClock() }), ChainSourceError, 'bad_url');
  });
});
