// `boltworker regtest` over HTTP: Esplora's paths, the /regtest controls, persistence across a
// restart, loopback only. The project's own Esplora client reading it: test/node/esplora-regtest.test.ts.
import { describe, it, before, after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256, sha256d } from '../../src/core/crypto/primitives.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { parseRegtestArgs, regtestMain } from '../../src/regtest/main.ts';
import { decodeBlock } from '../../src/regtest/block.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { payment, spend, SINK, type Coin } from './helpers.ts';

async function get(url: string): Promise<{ status: number; text: string; bytes: Uint8Array }> {
  const r = await fetch(url);
  const bytes = new Uint8Array(await r.arrayBuffer());
  return { status: r.status, text: new TextDecoder().decode(bytes), bytes };
}
async function getJson(url: string): Promise<any> {
  const r = await get(url);
  equal(r.status, 200, `GET ${url}: ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text);
}
async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const json = typeof body !== 'string';
  const r = await fetch(url, {
    method: 'POST',
    body: json ? JSON.stringify(body) : body,
    headers: json ? { 'content-type': 'application/json' } : {},
  });
  return { status: r.status, text: await r.text() };
}
async function control(url: string, body: unknown): Promise<any> {
  const r = await post(url, body);
  equal(r.status, 200, `POST ${url}: ${r.text}`);
  return JSON.parse(r.text);
}

describe('boltworker regtest over HTTP', () => {
  let h: RegtestHandle;
  let u: string;
  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    u = h.url;
  });
  after(() => h.close());

  it('serves blocks as Esplora does', async () => {
    equal((await get(`${u}/blocks/tip/height`)).text, '101');
    const tip = (await get(`${u}/blocks/tip/hash`)).text;
    equal((await get(`${u}/block-height/101`)).text, tip);
    equal((await get(`${u}/block-height/0`)).text, '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    equal((await get(`${u}/block-height/102`)).status, 404);
    const header = (await get(`${u}/block/${tip}/header`)).text;
    equal(toHex(sha256d(fromHex(header)).reverse()), tip, 'the header hashes to the block hash');
    const raw = (await get(`${u}/block/${tip}/raw`)).bytes;
    const block = decodeBlock(raw);
    equal(block.hash, tip);
    const j = await getJson(`${u}/block/${tip}`);
    equal(j.id, tip);
    equal(j.height, 101);
    equal(j.tx_count, 1);
    equal(j.size, raw.length);
    equal(j.merkle_root, block.header.merkleRoot);
    equal(j.bits, 0x207fffff);
    deepEqual(await getJson(`${u}/block/${tip}/txids`), [block.txs[0]!.txid]);
    deepEqual(await getJson(`${u}/block/${tip}/status`), { in_best_chain: true, height: 101, next_best: null });
    equal((await get(`${u}/block/${'00'.repeat(32)}`)).status, 404);
  });

  it('accepts POST /tx, serves the transaction and its spends, and refuses with Core reasons', async () => {
    const pay = payment('wpkh');
    const { txid: fundTxid } = await control(`${u}/regtest/send`, { address: pay.address, amount_sat: 70_000 });
    const funded = await getJson(`${u}/tx/${fundTxid}`);
    equal(funded.status.confirmed, false);
    const vout = funded.vout.findIndex((o: any) => o.scriptpubkey_address === pay.address);
    equal(funded.vout[vout].value, 70_000);
    equal(funded.vout[vout].scriptpubkey_type, 'v0_p2wpkh');
    ok(funded.fee > 0, 'fee from the prevouts');
    const { hashes } = await control(`${u}/regtest/mine`, { blocks: 1 });
    equal(hashes.length, 1);
    deepEqual(await getJson(`${u}/tx/${fundTxid}/status`), {
      confirmed: true,
      block_height: 102,
      block_hash: hashes[0],
      block_time: (await getJson(`${u}/block/${hashes[0]}`)).timestamp,
    });
    const coin: Coin = { txid: fundTxid, vout, value: 70_000n, kind: 'wpkh' };

    // Refusals come back as electrs passes bitcoind's on: 400 with the reject reason.
    const low = await post(`${u}/tx`, toHex(spend([coin], [{ script: SINK.script, value: 70_000n }])));
    equal(low.status, 400);
    ok(low.text.startsWith('sendrawtransaction RPC error: {"code":-26,"message":"min relay fee not met, 0 < '), low.text);
    const bad = await post(`${u}/tx`, toHex(spend([coin], [{ script: SINK.script, value: 69_000n }], { badSig: true })));
    equal(bad.status, 400);
    ok(bad.text.includes('mandatory-script-verify-flag-failed ('), bad.text);

    const raw = spend([coin], [{ script: SINK.script, value: 69_000n }]);
    const sent = await post(`${u}/tx`, toHex(raw));
    equal(sent.status, 200, sent.text);
    const txid = decodeTx(raw).txid;
    equal(sent.text, txid);
    equal((await get(`${u}/tx/${txid}/hex`)).text, toHex(raw));
    deepEqual((await get(`${u}/tx/${txid}/raw`)).bytes, raw);
    const out = await getJson(`${u}/tx/${fundTxid}/outspend/${vout}`);
    deepEqual(out, { spent: true, txid, vin: 0, status: { confirmed: false } });
    const outs = await getJson(`${u}/tx/${fundTxid}/outspends`);
    equal(outs.length, funded.vout.length);
    equal(outs[1 - vout].spent, false);
    equal((await get(`${u}/tx/${fundTxid}/outspend/9`)).status, 404);
    const utxo = await getJson(`${u}/address/${SINK.address}/utxo`);
    deepEqual(utxo, [{ txid, vout: 0, status: { confirmed: false }, value: 69_000 }]);
    const pool = await getJson(`${u}/mempool`);
    equal(pool.count, 1);
    equal(pool.total_fee, 1000);
    equal(pool.vsize, decodeTx(raw).vsize);
    deepEqual(
      (await getJson(`${u}/mempool/recent`)).map((t: any) => t.txid),
      [txid],
    );
    deepEqual(
      (await getJson(`${u}/address/${pay.address}/txs/mempool`)).map((t: any) => t.txid),
      [txid],
    );
    const [mined] = (await control(`${u}/regtest/mine`, { blocks: 1 })).hashes;
    const proof = await getJson(`${u}/tx/${txid}/merkle-proof`);
    equal(proof.block_height, 103);
    equal(proof.pos, 1);
    equal(proof.merkle.length, 1);
    equal((await getJson(`${u}/tx/${fundTxid}/outspend/${vout}`)).status.block_hash, mined);
    const txs = await getJson(`${u}/address/${pay.address}/txs`);
    deepEqual(
      txs.map((t: any) => t.txid),
      [txid, fundTxid],
      'newest first',
    );
    deepEqual(
      (await getJson(`${u}/address/${pay.address}/txs/chain`)).map((t: any) => t.txid),
      [txid, fundTxid],
    );
    deepEqual(
      (await getJson(`${u}/address/${pay.address}/txs/chain/${txid}`)).map((t: any) => t.txid),
      [fundTxid],
      'paged after the last seen',
    );
    deepEqual(await getJson(`${u}/address/${pay.address}/txs/mempool`), []);
    const stats = await getJson(`${u}/address/${pay.address}`);
    deepEqual(stats.chain_stats, { funded_txo_count: 1, funded_txo_sum: 70_000, spent_txo_count: 1, spent_txo_sum: 70_000, tx_count: 2 });
    equal(stats.mempool_stats.tx_count, 0);
    // The same history by scripthash: SHA-256 of the output script, hex as electrs takes it.
    const sh = toHex(sha256(pay.script));
    deepEqual(
      (await getJson(`${u}/scripthash/${sh}/txs`)).map((t: any) => t.txid),
      [txid, fundTxid],
    );
    deepEqual((await getJson(`${u}/scripthash/${sh}`)).chain_stats, stats.chain_stats);
    deepEqual(await getJson(`${u}/scripthash/${sh}/utxo`), []);
    equal((await get(`${u}/scripthash/xyz/utxo`)).status, 400);
    equal((await get(`${u}/address/bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4/utxo`)).status, 400, 'a mainnet address');
    const fees = await getJson(`${u}/fee-estimates`);
    equal(fees['1'], 1);
    equal(fees['1008'], 1);
    equal((await get(`${u}/tx/${'00'.repeat(32)}`)).status, 404);
  });

  it('mines to an address, and reorganises: the old blocks leave, their transactions return to the mempool', async () => {
    const pay = payment('tr-key');
    const { hashes } = await control(`${u}/regtest/mine`, { blocks: 2, address: pay.address });
    const cb = (await getJson(`${u}/block/${hashes[1]}/txids`))[0];
    equal((await getJson(`${u}/tx/${cb}`)).vout[0].scriptpubkey_address, pay.address);
    const height = Number((await get(`${u}/blocks/tip/height`)).text);
    const { txid } = await control(`${u}/regtest/send`, { address: SINK.address, amount_sat: 12_345 });
    const [inBlock] = (await control(`${u}/regtest/mine`, { blocks: 1 })).hashes;
    equal((await getJson(`${u}/tx/${txid}/status`)).block_hash, inBlock);
    const re = await control(`${u}/regtest/reorg`, { depth: 2 });
    equal(re.hashes.length, 3);
    equal((await get(`${u}/blocks/tip/height`)).text, String(height + 2));
    equal((await get(`${u}/blocks/tip/hash`)).text, re.hashes[2]);
    equal((await getJson(`${u}/block/${inBlock}/status`)).in_best_chain, false);
    deepEqual(await getJson(`${u}/tx/${txid}/status`), { confirmed: false }, 'back in the mempool');
    // The coinbase of a replaced block is gone for good.
    equal((await get(`${u}/tx/${cb}`)).status, 404);
    const bad = await post(`${u}/regtest/reorg`, { depth: 100000 });
    equal(bad.status, 400);
    equal((await post(`${u}/regtest/mine`, { blocks: 0 })).status, 400);
  });
});

describe('boltworker regtest persistence and limits', () => {
  it('reloads its blocks (a reorg included) from the data directory, cutting a torn last record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtest-'));
    try {
      const a = await startRegtest({ dataDir: dir, premine: 101 });
      const { txid } = await control(`${a.url}/regtest/send`, { address: SINK.address, amount_sat: 5000 });
      await control(`${a.url}/regtest/mine`, { blocks: 3 });
      await control(`${a.url}/regtest/reorg`, { depth: 1 });
      const tip = a.chain.tip.block.hash;
      const height = a.chain.height;
      await a.close();
      const size = statSync(join(dir, 'blocks.dat')).size;
      appendFileSync(join(dir, 'blocks.dat'), Uint8Array.of(200, 1, 0, 0, 1, 2, 3)); // a record cut short
      const b = await startRegtest({ dataDir: dir, premine: 101 });
      equal(b.chain.height, height);
      equal(b.chain.tip.block.hash, tip);
      equal(b.chain.findTx(txid)?.location?.entry.height, 102, 'the send is still confirmed');
      equal(statSync(join(dir, 'blocks.dat')).size, size, 'the torn record was cut off');
      // The chain's own coins survive the restart.
      const { txid: again } = await control(`${b.url}/regtest/send`, { address: SINK.address, amount_sat: 6000 });
      ok(b.chain.mempool.get(again));
      await b.close();
      ok(readFileSync(join(dir, 'blocks.dat')).length === size, 'nothing mined: nothing appended');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps its mempool in the data directory: a restart accepts it again, in order; once mined it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtest-'));
    try {
      const a = await startRegtest({ dataDir: dir, premine: 101 });
      const { txid: kept } = await control(`${a.url}/regtest/send`, { address: SINK.address, amount_sat: 7000 });
      const { txid: second } = await control(`${a.url}/regtest/send`, { address: SINK.address, amount_sat: 8000 });
      ok(a.chain.mempool.get(kept) && a.chain.mempool.get(second));
      await a.close();
      const b = await startRegtest({ dataDir: dir, premine: 101 });
      deepEqual(
        b.chain.mempool.list().map(e => e.tx.txid),
        [kept, second],
        'both back, in the order they entered',
      );
      await control(`${b.url}/regtest/mine`, { blocks: 1 });
      equal(b.chain.mempool.size, 0);
      await b.close();
      const c = await startRegtest({ dataDir: dir, premine: 101 });
      equal(c.chain.mempool.size, 0, 'mined: the saved mempool was emptied');
      equal(c.chain.findTx(kept)?.location?.entry.height, c.chain.height);
      await c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to listen beyond loopback', async () => {
    let err: unknown;
    await startRegtest({ host: '0.0.0.0' }).catch(e => (err = e));
    ok(err instanceof Error && /loopback/.test(err.message), String(err));
    err = undefined;
    await regtestMain(['--listen', '192.168.1.2:9000'], () => {}).catch(e => (err = e));
    ok(err instanceof Error && /loopback/.test(err.message), String(err));
    deepEqual(parseRegtestArgs(['--listen', '127.0.0.1:7000', '--data-dir', '/x']), { host: '127.0.0.1', port: 7000, dataDir: '/x' });
    deepEqual(parseRegtestArgs(['--listen=[::1]:7001']), { host: '::1', port: 7001, dataDir: undefined });
  });

  it('prints one JSON line with its Esplora URL when ready', async () => {
    const lines: string[] = [];
    const h = await regtestMain(['--listen', '127.0.0.1:0'], l => lines.push(l));
    try {
      equal(lines.length, 1);
      const ready = JSON.parse(lines[0]!);
      equal(ready.esplora, h.url);
      equal(ready.height, 101);
      equal((await get(`${ready.esplora}/blocks/tip/height`)).text, '101');
    } finally {
      await h.close();
    }
  });
});

describe('boltworker regtest and bad clients', () => {
  it('survives a client that disconnects mid-body and refuses an oversized body', async () => {
    const { connect } = await import('node:net');
    const h = await startRegtest({});
    try {
      const port = Number(new URL(h.url).port);
      await new Promise<void>(resolve => {
        const s = connect(port, '127.0.0.1', () => {
          s.write('POST /tx HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0200');
          setImmediate(() => {
            s.destroy();
            resolve();
          });
        });
      });
      const big = await fetch(`${h.url}/tx`, { method: 'POST', body: 'a'.repeat(5 * 1024 * 1024) }).then(
        r => r.status,
        () => 413,
      );
      equal(big, 413);
      equal((await get(`${h.url}/blocks/tip/height`)).text, '0', 'still serving');
    } finally {
      await h.close();
    }
  });

  it('takes its test controls only as application/json (a cross-origin page cannot send them without a preflight)', async () => {
    const h = await startRegtest({ premine: 101 });
    try {
      const height = h.chain.height;
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await fetch(`${h.url}/regtest/mine`, { method: 'POST', body: '{"blocks":1}', headers: { 'content-type': type } });
        equal(r.status, 415, type);
      }
      equal(h.chain.height, height, 'nothing mined');
      const ok = await control(`${h.url}/regtest/mine`, { blocks: 1 });
      equal(ok.hashes.length, 1);
      equal(h.chain.height, height + 1);
    } finally {
      await h.close();
    }
  });
});
