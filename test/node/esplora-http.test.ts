// EsploraChainSource over real HTTP: a tiny Esplora-like server on 127.0.0.1 (node:http) serving
// /block-height, /block/:hash/txid/:index, /tx/:txid, /tx/:txid/outspend/:vout and
// /blocks/tip/height for a made-up chain, the ChainSource using Node's global fetch against it, and
// an in-process Gossipd (memory store, InlineVerifier) that accepts a signed channel_announcement
// whose funding output exists and is unspent, and ignores one whose output is spent (BOLT 7).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { concat, toHex, u32be } from '../../src/core/base/bytes.ts';
import { ChainSourceError, EsploraChainSource } from '../../src/core/chain/esplora.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { fundingScriptPubKey } from '../../src/core/gossip/funding.ts';
import { signChannelAnnouncement, type ChannelParty } from '../../src/core/gossip/sign.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { InlineVerifier } from '../../src/core/gossip/verify-pool.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { rawBlock, rawTx } from '../support/raw-block.ts';

const CHAIN = chainHash('regtest');
const enc = new TextEncoder();
const hash = (tag: string, i = 0) => toHex(sha256(concat(enc.encode(tag), u32be(i))));
const party = (i: number): ChannelParty => ({
  nodeSecret: sha256(enc.encode(`esplora node ${i}`)),
  bitcoinSecret: sha256(enc.encode(`esplora funding ${i}`)),
});
const script = (a: ChannelParty, b: ChannelParty) =>
  toHex(fundingScriptPubKey(getPublicKey(a.bitcoinSecret), getPublicKey(b.bitcoinSecret)));

const [P0, P1, P2, P3, P4, P5] = [0, 1, 2, 3, 4, 5].map(party) as [
  ChannelParty,
  ChannelParty,
  ChannelParty,
  ChannelParty,
  ChannelParty,
  ChannelParty,
];
const OPEN = scidFromParts({ block: 300, txindex: 1, outnum: 0 });
const SPENT = scidFromParts({ block: 301, txindex: 1, outnum: 1 });
const BROKEN = scidFromParts({ block: 302, txindex: 1, outnum: 0 });

/** height -> block hash; block hash -> txids; txid -> outputs and which are spent. */
const blocks = new Map<number, string>([300, 301, 302].map(n => [n, hash('block', n)]));
const txids = new Map<string, string[]>([300, 301, 302].map(n => [hash('block', n), [hash('coinbase', n), hash('funding', n)]]));
const txs = new Map<string, { vout: { scriptpubkey: string; value: number }[]; spent: number[] }>([
  [hash('funding', 300), { vout: [{ scriptpubkey: script(P0, P1), value: 1_500_000 }], spent: [] }],
  [
    hash('funding', 301),
    {
      vout: [
        { scriptpubkey: '0014' + hash('change').slice(0, 40), value: 10_000 },
        { scriptpubkey: script(P2, P3), value: 700_000 },
      ],
      spent: [1],
    },
  ],
  [hash('funding', 302), { vout: [{ scriptpubkey: script(P4, P5), value: 900_000 }], spent: [] }],
]);
/** The tip, 305, is a real block spending the SPENT channel's funding output (for the spend watch). */
const TIP = rawBlock(hash('block', 304), 305, [rawTx([{ txid: hash('funding', 301), vout: 1 }], true)]);
blocks.set(305, TIP.hash);
/** The server fails these paths with HTTP 503. */
const failing = new Set<string>([`/api/tx/${hash('funding', 302)}`]);
const requests: string[] = [];

function esplora(path: string): [number, string, string | Uint8Array] {
  requests.push(path);
  if (failing.has(path)) return [503, 'text/plain', 'backend unavailable'];
  const p = path.split('/').slice(2); // '', 'api', ...
  if (p[0] === 'blocks' && p[1] === 'tip' && p[2] === 'height' && p.length === 3) return [200, 'text/plain', '305'];
  if (p[0] === 'block-height' && p.length === 2) {
    const h = blocks.get(Number(p[1]));
    return h ? [200, 'text/plain', h] : [404, 'text/plain', 'Block not found'];
  }
  if (p[0] === 'block' && p[2] === 'raw' && p.length === 3)
    return p[1] === TIP.hash ? [200, 'application/octet-stream', TIP.raw] : [404, 'text/plain', 'Block not found'];
  if (p[0] === 'block' && p[2] === 'txid' && p.length === 4) {
    const ids = txids.get(p[1]!);
    if (!ids) return [404, 'text/plain', 'Block not found'];
    const id = ids[Number(p[3])];
    return id ? [200, 'text/plain', id] : [404, 'text/plain', 'tx index out of range'];
  }
  if (p[0] === 'tx') {
    const tx = txs.get(p[1]!);
    if (!tx) return [404, 'text/plain', 'Transaction not found'];
    if (p.length === 2) return [200, 'application/json', JSON.stringify({ txid: p[1], vout: tx.vout })];
    if (p[2] === 'outspend' && p.length === 4) {
      const spent = tx.spent.includes(Number(p[3]));
      return [
        200,
        'application/json',
        JSON.stringify(
          spent ? { spent: true, txid: hash('closing'), vin: 0, status: { confirmed: true, block_height: 304 } } : { spent: false },
        ),
      ];
    }
  }
  return [404, 'text/plain', 'not found'];
}

const realClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
};

describe('esplora over HTTP', () => {
  let server: Server;
  let base = '';

  before(async () => {
    server = createServer((req, res) => {
      const [status, type, body] = esplora(req.url ?? '/');
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>(r => server.close(() => r()));
  });

  const source = () => new EsploraChainSource({ baseUrl: base, fetch, clock: realClock, timeoutMs: 10_000 });

  it('answers funding outputs, spends and the tip with the global fetch', async () => {
    const c = source();
    const out = await c.fundingOutput(OPEN);
    ok(out);
    equal(out.amount_sat, 1_500_000);
    equal(toHex(out.scriptPubKey), script(P0, P1));
    equal(await c.fundingOutput(SPENT), undefined);
    equal(await c.isSpent(SPENT), true);
    equal(await c.isSpent(OPEN), false);
    equal(await c.fundingOutput(scidFromParts({ block: 999, txindex: 1, outnum: 0 })), undefined);
    equal(await c.tipHeight(), 305);
    // The spend watch reads the raw block through the global fetch's arrayBuffer().
    const follow = new EsploraChainSource({ baseUrl: base, fetch, clock: realClock, timeoutMs: 10_000, spends: { lookbackBlocks: 1 } });
    deepEqual(await follow.newSpends(t => t === hash('funding', 301)), {
      height: 305,
      blocks: 1,
      spent: [{ txid: hash('funding', 301), vout: 1, blockheight: 305 }],
    });
    const e = await rejects<ChainSourceError>(c.fundingOutput(BROKEN), ChainSourceError, 'http_status');
    equal(e.status, 503);
  });

  it('a Gossipd accepts the announcement whose output is unspent and ignores the spent one', async () => {
    const warnings: string[] = [];
    const g = new Gossipd({
      chainHash: CHAIN,
      store: new MemoryGossipStore(),
      verifier: new InlineVerifier(),
      peers: { send() {}, warn() {} },
      clock: realClock,
      log: { debug() {}, info() {}, warn: m => warnings.push(m) },
      chainSource: source(),
      config: { verifyBatchDelayMs: 1 },
    });
    await g.load();
    g.newPeer('peer', '');
    requests.length = 0;
    for (const [s, a, b] of [
      [OPEN, P0, P1],
      [SPENT, P2, P3],
      [BROKEN, P4, P5],
    ] as const) {
      g.gossip('peer', signChannelAnnouncement({ chainHash: CHAIN, short_channel_id: s, parties: [a, b] }));
    }
    await g.flush();
    ok(g.graph.findChannel(OPEN) >= 0, 'the unspent channel is in the graph');
    equal(g.graph.capacitySat[g.graph.findChannel(OPEN)], 1_500_000, 'with the output amount as capacity');
    equal(g.graph.findChannel(SPENT), -1, 'the spent channel is not');
    equal(g.graph.findChannel(BROKEN), -1, 'nor the one the backend could not answer for');
    equal(g.graph.channelCount, 1);
    equal(g.stats.accepted, 1);
    equal(g.stats.ignored, 1, 'spent: ignored (BOLT 7)');
    // A ChainSource error is not the peer's fault: gossipd logs it and drops the message unpunished.
    equal(warnings.length, 1);
    ok(warnings[0]!.includes('HTTP 503'), warnings[0]);
    deepEqual(requests.filter(r => r.startsWith('/api/block-height/')).sort(), [
      '/api/block-height/300',
      '/api/block-height/301',
      '/api/block-height/302',
    ]);
    equal((g.info() as { chain_source: string }).chain_source, `esplora ${base.replace(/\/$/, '')}`);
    await g.close();
  });
});
