// The wallet against `boltworker regtest` over HTTP (Esplora's API): coins sent by the chain are
// seen unconfirmed, then confirmed; withdrawals spending P2WPKH and P2TR inputs are accepted by the
// chain (it evaluates every input's script as Bitcoin Core would); a reorganisation sends a
// confirmed receive back to unconfirmed; the wallet restarts from its file and a wallet restored
// from the same seed finds the same coins by rescanning; a double spend the chain refuses
// releases the inputs; bad parameters get Core Lightning's errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import { RpcDispatcher, RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { registerWalletCommands } from '../../src/core/daemons/lightningd/wallet-rpc.ts';
import { MemoryWalletStorage, type WalletStorage } from '../../src/core/wallet/state.ts';
import { Wallet, type FundsOutput } from '../../src/core/wallet/wallet.ts';
import { FileWalletStorage } from '../../src/node/lightningd-storage.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { TestFollower } from '../support/chain-follower.ts';
import { TestEsploraBackend } from '../support/esplora-backend.ts';
import { SINK_ADDRESS } from '../support/wallet-blocks.ts';
import { postJson } from '../support/regtest-client.ts';
import { TestWalletSigner, testSeed } from '../support/wallet-signer.ts';

const SEED = testSeed('wallet regtest seed');

describe('wallet on boltworker regtest', () => {
  let h: RegtestHandle;
  let backend: TestEsploraBackend;
  let dir: string;

  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  async function getJson(path: string): Promise<any> {
    const r = await fetch(`${h.url}${path}`);
    equal(r.status, 200, path);
    return r.json();
  }

  async function node(storage: WalletStorage) {
    const wallet = await Wallet.open({ network: 'regtest', signer: new TestWalletSigner(SEED), storage });
    const follower = new TestFollower(backend, wallet, wallet.recentBlocks(), 0);
    const rpc = new RpcDispatcher();
    registerWalletCommands(rpc, { wallet, chain: backend });
    /** Follows the chain to its tip and shows the wallet what is in the mempool. */
    const sync = async () => {
      const n = await follower.sync();
      for (const txid of (await getJson('/mempool/txids')) as string[]) {
        const r = await fetch(`${h.url}/tx/${txid}/raw`);
        await wallet.txSeen(new Uint8Array(await r.arrayBuffer()));
      }
      return n;
    };
    return { wallet, rpc, sync };
  }
  const mine = (blocks = 1) => control('/regtest/mine', { blocks });
  const unspent = (w: Wallet) =>
    w
      .listfunds()
      .map((o: FundsOutput) => `${o.txid}:${o.output}:${o.amount_msat}:${o.status}`)
      .sort();

  let a: Awaited<ReturnType<typeof node>>;

  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
    backend = new TestEsploraBackend(h.url);
    dir = mkdtempSync(join(tmpdir(), 'bw-wallet-'));
    a = await node(new FileWalletStorage(dir));
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives to P2TR and P2WPKH addresses: unconfirmed in the mempool, confirmed in a block', async () => {
    await a.sync();
    const { p2tr, bech32 } = (await a.rpc.call('newaddr', { addresstype: 'all' })) as { p2tr: string; bech32: string };
    const t1 = (await control('/regtest/send', { address: p2tr, amount_sat: 200_000 })).txid;
    const t2 = (await control('/regtest/send', { address: bech32, amount_sat: 150_000 })).txid;
    await a.sync();
    const seen = a.wallet.listfunds();
    equal(seen.length, 2);
    ok(seen.every(o => o.status === 'unconfirmed' && o.blockheight === undefined));
    deepEqual(seen.map(o => o.txid).sort(), [t1, t2].sort());
    await mine();
    await a.sync();
    const conf = a.wallet.listfunds();
    ok(
      conf.every(o => o.status === 'confirmed' && o.blockheight === h.chain.height),
      JSON.stringify(conf),
    );
    deepEqual(conf.map(o => o.address).sort(), [p2tr, bech32].sort());
  });

  it('withdraws with a P2TR and a P2WPKH input in one transaction the chain accepts, then confirms', async () => {
    const r = (await a.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 300_000, feerate: 'urgent' })) as {
      txid: string;
      tx: string;
    };
    const tx = Transaction.fromRaw(fromHex(r.tx));
    equal(tx.inputsLength, 2, 'both coins are needed');
    // In the chain's mempool: it evaluated both inputs' scripts.
    equal((await getJson(`/tx/${r.txid}/status`)).confirmed, false);
    await mine();
    await a.sync();
    equal((await getJson(`/tx/${r.txid}/status`)).confirmed, true);
    const funds = a.wallet.listfunds();
    equal(funds.length, 1, 'only the change is left');
    equal(funds[0]!.txid, r.txid);
    equal(funds[0]!.status, 'confirmed');
    ok(funds[0]!.address!.startsWith('bcrt1p'));
    equal(a.wallet.listfunds(true).filter(o => o.status === 'spent').length, 2);
  });

  it('sends a confirmed receive back to unconfirmed when a reorganisation removes its block', async () => {
    const { p2tr } = (await a.rpc.call('newaddr', {})) as { p2tr: string };
    const txid = (await control('/regtest/send', { address: p2tr, amount_sat: 70_000 })).txid;
    await mine();
    await a.sync();
    const height = h.chain.height;
    equal(a.wallet.listfunds().find(o => o.txid === txid)!.blockheight, height);
    await control('/regtest/reorg', { depth: 1 });
    await a.sync();
    const o = a.wallet.listfunds().find(o => o.txid === txid)!;
    equal(o.status, 'unconfirmed', 'the receive is back in the mempool');
    equal(o.blockheight, undefined);
    equal(a.wallet.tip()!.height, height + 1);
    await mine();
    await a.sync();
    equal(a.wallet.listfunds().find(o => o.txid === txid)!.blockheight, height + 2);
  });

  it('restarts from its file, resuming at its tip', async () => {
    const before = unspent(a.wallet);
    const again = await node(new FileWalletStorage(dir));
    deepEqual(unspent(again.wallet), before);
    await mine();
    equal(await again.sync(), 1, 'one new block, not a rescan');
    a = again;
  });

  it('restores from the seed: an empty store rescanning the chain finds the same coins', async () => {
    const restored = await node(new MemoryWalletStorage());
    await restored.sync();
    ok(unspent(a.wallet).length >= 2);
    deepEqual(unspent(restored.wallet), unspent(a.wallet));
    // Its next address is past every key used.
    const used = new Set(a.wallet.listfunds(true).map(o => o.address));
    const { p2tr } = (await restored.rpc.call('newaddr', {})) as { p2tr: string };
    ok(!used.has(p2tr));
  });

  it('a double spend the chain refuses is a -1 with its reason, and releases the inputs', async () => {
    const twin = await node(new MemoryWalletStorage());
    await twin.sync();
    const r = (await a.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'all' })) as { txid: string };
    equal((await getJson(`/tx/${r.txid}/status`)).confirmed, false);
    // The twin has not looked at the mempool since: it spends the same coins elsewhere at the same feerate.
    const { bech32 } = (await twin.rpc.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    let err: RpcError | undefined;
    await twin.rpc.call('withdraw', { destination: bech32, satoshi: 'all' }).catch(e => (err = e as RpcError));
    ok(err, 'refused');
    equal(err!.code, -1);
    ok(/Error broadcasting transaction: .*(insufficient fee|conflict)/.test(err!.message), err!.message);
    ok(
      twin.wallet.listfunds().every(o => !o.reserved),
      'released',
    );
    await mine();
    await a.sync();
    await twin.sync();
    deepEqual(unspent(a.wallet), []);
    deepEqual(unspent(twin.wallet), []);
  });

  it('holds a coinbase output immature for 100 confirmations, then spends it as the chain allows', async () => {
    const { bech32 } = (await a.rpc.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
    await control('/regtest/mine', { blocks: 1, address: bech32 });
    await a.sync();
    const [cb] = a.wallet.listfunds();
    equal(cb!.status, 'immature');
    await mine(98);
    await a.sync();
    equal(a.wallet.listfunds()[0]!.status, 'immature', '99 confirmations');
    let e: RpcError | undefined;
    await a.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'all' }).catch(x => (e = x as RpcError));
    equal(e?.code, 301, 'an immature coinbase is not spendable');
    await mine(1);
    await a.sync();
    equal(a.wallet.listfunds()[0]!.status, 'confirmed', '100 confirmations');
    const r = (await a.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'all' })) as { txid: string };
    equal((await getJson(`/tx/${r.txid}/status`)).confirmed, false, 'the chain accepted the spend into its mempool');
    await mine();
    await a.sync();
    deepEqual(unspent(a.wallet), []);
  });

  it('answers bad parameters with Core Lightning’s codes', async () => {
    const fails = async (params: Record<string, unknown>, code: number) => {
      let e: RpcError | undefined;
      await a.rpc.call('withdraw', params).catch(x => (e = x as RpcError));
      equal(e?.code, code, JSON.stringify(params));
    };
    await fails({ destination: SINK_ADDRESS, satoshi: 1000 }, 301);
    await fails({ destination: SINK_ADDRESS, satoshi: 100 }, 302);
    await fails({ destination: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', satoshi: 1000 }, -32602);
    await fails({ destination: SINK_ADDRESS, satoshi: 1000, feerate: 'soon' }, -32602);
  });
});
