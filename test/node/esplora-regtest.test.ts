// lightningd's chain over Esplora in Node, against `boltworker regtest` started in-process: the
// EsploraBackend (src/platform/esplora.ts) with Node's fetch, lightningd's chain service following
// blocks (a reorganisation included), answering gossipd_get_txout and telling gossipd of spends;
// an in-process Gossipd accepting a channel_announcement whose 2-of-2 funding output is on the
// chain; and a proxy in front of the chain that answers 500s and then recovers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Address, OutScript } from '@scure/btc-signer';
import { chainHash } from '../../src/core/chain/chains.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { ChainService } from '../../src/core/daemons/lightningd/chain.ts';
import { Gossipd } from '../../src/core/daemons/gossipd/gossipd.ts';
import { fundingScriptPubKey } from '../../src/core/gossip/funding.ts';
import { signChannelAnnouncement, type ChannelParty } from '../../src/core/gossip/sign.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { InlineVerifier } from '../../src/core/gossip/verify-pool.ts';
import { getPublicKey } from '../../src/core/crypto/primitives.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { EsploraBackend } from '../../src/platform/esplora.ts';
import { LightningdDb } from '../../src/core/daemons/lightningd/db.ts';
import { FileLightningdStorage } from '../../src/node/lightningd-storage.ts';
import { startNode } from '../../src/node/node.ts';
import { REGTEST_NETWORK } from '../../src/regtest/params.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { payment, spend, SINK } from '../regtest/helpers.ts';
import { postJson } from '../support/regtest-client.ts';

const quiet = { debug() {}, info() {}, warn() {} };
const timers = {
  now: () => Date.now(),
  setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
  clearTimeout: (t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>),
};

const control = postJson;

function esplora(urls: string[], o: Partial<ConstructorParameters<typeof EsploraBackend>[0]> = {}): EsploraBackend {
  return new EsploraBackend({ baseUrls: urls, fetch: (u, i) => fetch(u, i as RequestInit), clock: timers, backoffMs: 20, ...o });
}

/** What a gossipd hears from lightningd's chain service. */
function recorder(): { heard: string[]; outpointsSpent(s: bigint[], h: number): void; outpointsUnspent(s: bigint[], h: number): void } {
  const heard: string[] = [];
  return {
    heard,
    outpointsSpent: (s, h) => void (s.length && heard.push(`spent ${s.join(',')} at ${h}`)),
    outpointsUnspent: (s, h) => void (s.length && heard.push(`unspent ${s.join(',')} at ${h}`)),
  };
}

describe('lightningd chain over Esplora, against boltworker regtest', () => {
  let h: RegtestHandle;
  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
  });
  after(async () => {
    await h?.close();
  });

  it('finds a funding output (gossipd_get_txout), tells gossipd of its spend, and takes the spend back in a reorg', async () => {
    const u = h.url;
    const backend = esplora([u]);
    deepEqual(await backend.getchaininfo(), { chain: 'regtest', headercount: h.chain.height, blockcount: h.chain.height, ibd: false });
    const chain = new ChainService({ backend, network: 'regtest', clock: timers, log: quiet });
    const g = recorder();
    chain.attachGossipd(g);
    await chain.sync();
    equal(chain.blockheight, h.chain.height, 'follows from the tip');
    const pay = payment('wsh'); // a P2WSH output, as a funding output is
    const { txid } = await control(`${u}/regtest/send`, { address: pay.address, amount_sat: 80_000 });
    await control(`${u}/regtest/mine`, { blocks: 1 });
    const loc = h.chain.txIndex.get(txid)!;
    const vout = loc.entry.block.txs[loc.index]!.outputs.findIndex(o => o.value === 80_000n);
    const scid = scidFromParts({ block: loc.entry.height, txindex: loc.index, outnum: vout });
    deepEqual(await chain.getTxout(scid), { amount_sat: 80_000, script: pay.script, txid });
    equal(await chain.getTxout(scidFromParts({ block: loc.entry.height, txindex: 9, outnum: 0 })), undefined, 'no such transaction');
    equal(chain.watches.outputCount, 1);
    // The spend, broadcast through lightningd: listeners see it; in the mempool the output counts as spent.
    const seen: string[] = [];
    chain.addListener({ blockConnected() {}, blockDisconnected() {}, txSeen: t => void seen.push(decodeTx(t).txid) });
    const spendTx = spend([{ txid, vout, value: 80_000n, kind: 'wsh' }], [{ script: SINK.script, value: 79_000n }]);
    const spendId = decodeTx(spendTx).txid;
    deepEqual(await chain.sendrawtransaction(spendTx), { success: true });
    deepEqual(seen, [spendId]);
    equal(await chain.getTxout(scid), undefined, 'spent in the mempool');
    const again = await chain.sendrawtransaction(
      spend([{ txid, vout, value: 80_000n, kind: 'wsh' }], [{ script: SINK.script, value: 79_500n }]),
    );
    equal(again.success, false, 'a conflicting spend paying less is refused');
    ok(/insufficient fee/.test(again.errmsg ?? ''), again.errmsg);
    await control(`${u}/regtest/mine`, { blocks: 1 });
    const spentAt = h.chain.height;
    await chain.sync();
    deepEqual(g.heard, [`spent ${scid} at ${spentAt}`]);
    // A reorganisation replaces the spend's block (the spend goes back to the mempool), then its
    // next block confirms it again.
    await control(`${u}/regtest/reorg`, { depth: 1 });
    const r = await chain.sync();
    equal(r.disconnected, 1);
    equal(r.height, spentAt + 1);
    deepEqual(g.heard.slice(1), [`unspent ${scid} at ${spentAt}`]);
    await control(`${u}/regtest/mine`, { blocks: 1 });
    await chain.sync();
    deepEqual(g.heard.slice(2), [`spent ${scid} at ${spentAt + 2}`]);
    const fees = await chain.feerates();
    equal(fees.floor, 253);
    ok(fees.perkw.length > 0 && fees.perkw.every(f => f.feerate >= 253));
  });

  it('lets gossipd accept a channel_announcement whose 2-of-2 funding output is on the chain, and ignore one that is not', async () => {
    const u = h.url;
    const enc = new TextEncoder();
    const party = (i: number): ChannelParty => ({
      nodeSecret: sha256(enc.encode(`regtest node ${i}`)),
      bitcoinSecret: sha256(enc.encode(`regtest funding ${i}`)),
    });
    const [a, b] = [party(0), party(1)];
    const script = fundingScriptPubKey(getPublicKey(a.bitcoinSecret), getPublicKey(b.bitcoinSecret));
    const address = Address(REGTEST_NETWORK).encode(OutScript.decode(script));
    const { txid } = await control(`${u}/regtest/send`, { address, amount_sat: 250_000 });
    await control(`${u}/regtest/mine`, { blocks: 1 });
    const loc = h.chain.txIndex.get(txid)!;
    const outnum = loc.entry.block.txs[loc.index]!.outputs.findIndex(o => o.value === 250_000n);
    const scid = scidFromParts({ block: loc.entry.height, txindex: loc.index, outnum });
    const chain = new ChainService({ backend: esplora([u]), network: 'regtest', clock: timers, log: quiet, description: 'regtest' });
    const CHAIN = chainHash('regtest');
    const g = new Gossipd({
      chainHash: CHAIN,
      store: new MemoryGossipStore(),
      verifier: new InlineVerifier(),
      peers: { send() {}, warn() {} },
      clock: timers,
      log: quiet,
      chain: chain.gossipLink,
      config: { maintenanceIntervalMs: 0, verifyBatchDelayMs: 1 },
    });
    chain.attachGossipd(g);
    await g.load();
    g.newPeer('peer', '');
    g.gossip('peer', signChannelAnnouncement({ chainHash: CHAIN, short_channel_id: scid, parties: [a, b] }));
    const wrong = scidFromParts({ block: loc.entry.height, txindex: 0, outnum: 0 }); // the coinbase's output
    g.gossip('peer', signChannelAnnouncement({ chainHash: CHAIN, short_channel_id: wrong, parties: [party(2), party(3)] }));
    await g.flush();
    ok(g.graph.findChannel(scid) >= 0, 'accepted: lightningd found the output');
    equal(g.graph.findChannel(wrong), -1, 'ignored: not the P2WSH of its keys');
    equal(g.graph.capacityAt(g.graph.findChannel(scid)), 250_000);
    equal((g.info() as { chain_source: string }).chain_source, 'regtest');
    equal(chain.watches.outputCount, 1);
    await g.close();
  });

  it('rides out a server that answers 500s and then recovers, and a dead URL before a live one', async () => {
    let failures = 5;
    const proxy: Server = createServer((req, res) => {
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('internal error');
        return;
      }
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', async () => {
        const r = await fetch(h.url + req.url, { method: req.method, ...(req.method === 'POST' ? { body: Buffer.concat(parts) } : {}) });
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
    const dead = createServer();
    await new Promise<void>(r => dead.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>(r => dead.close(() => r())); // nothing listens there now
    try {
      const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const backend = esplora([via], { retries: 5 });
      const chain = new ChainService({ backend, network: 'regtest', clock: timers, log: quiet });
      const r = await chain.sync();
      equal(r.height, h.chain.height);
      equal(failures, 0);
      ok(backend.stats.retries >= 5, `retries ${backend.stats.retries}`);
      await control(`${h.url}/regtest/mine`, { blocks: 2 });
      equal((await chain.sync()).connected, 2);
      // Several URLs: the dead one is left for the next.
      const two = esplora([deadUrl, via], { retries: 0 });
      equal(await two.getblockhash(1), h.chain.at(1)!.block.hash);
      equal(await two.getblockhash(2), h.chain.at(2)!.block.hash);
      equal(two.stats.retries, 1, 'the dead URL was tried once, then the live one asked first');
    } finally {
      await new Promise<void>(r => proxy.close(() => r()));
    }
  });

  it('in `boltworker node`, lightningd follows the chain from --esplora (several URLs), and keeps its place across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-chain-'));
    const gone = 'http://127.0.0.1:9'; // nothing listens on the discard port: the next URL is used
    const info = async (n: Awaited<ReturnType<typeof startNode>>, height: number) => {
      for (let i = 0; i < 200; i++) {
        const got = (await n.call('getinfo')) as { blockheight: number; gossip: { chain_source: string } };
        if (got.blockheight === height) return got;
        await new Promise(r => setTimeout(r, 25));
      }
      throw new Error(`getinfo never reached block ${height}`);
    };
    try {
      const n = await startNode({ network: 'regtest', lightningDir: dir, esplora: [gone, h.url], verifyWorkers: 1 });
      const got = await info(n, h.chain.height);
      equal(got.gossip.chain_source, `esplora ${gone}, ${h.url}`);
      await n.stop();
      await control(`${h.url}/regtest/mine`, { blocks: 3 });
      const again = await startNode({ network: 'regtest', lightningDir: dir, esplora: [h.url], verifyWorkers: 1 });
      await info(again, h.chain.height);
      await again.stop();
      // The follower went on from the block it had recorded: the three blocks mined while it was down
      // were connected (a first start would have begun at the tip, knowing one hash).
      const db = new LightningdDb(new FileLightningdStorage(n.networkDir));
      await db.load();
      const chain = db.chainState()!;
      equal(chain.height, h.chain.height);
      deepEqual(
        chain.hashes.slice(-4),
        [3, 2, 1, 0].map(k => h.chain.at(h.chain.height - k)!.block.hash),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
