// The wallet core in Chromium with its IndexedDB store: a receive, a withdrawal signed through the
// WalletSigner and its confirmation survive closing the database and opening the wallet again; the
// wallet's record lives beside lightningd's own in one database without touching it.
import { Transaction } from '@scure/btc-signer';
import { LIGHTNINGD_DB, IdbLightningdStorage, IdbWalletStorage } from '../../src/web/lightningd-storage-idb.ts';
import { Wallet } from '../../src/core/wallet/wallet.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { block, payTx, SINK_ADDRESS } from '../support/wallet-blocks.ts';
import { TestWalletSigner, testSeed } from '../support/wallet-signer.ts';

const dataName = `wallet-idb-${Date.now()}`;
const SEED = testSeed('wallet idb seed');

async function open(storage: IdbWalletStorage) {
  return Wallet.open({ network: 'regtest', signer: new TestWalletSigner(SEED), storage });
}

describe('wallet with IndexedDB storage', () => {
  after(async () => {
    await new Promise(r => {
      const req = indexedDB.deleteDatabase(LIGHTNINGD_DB.name(dataName));
      req.onsuccess = req.onerror = req.onblocked = () => r(undefined);
    });
  });

  it('survives a reopen with its funds, transactions, reservations and tip', async () => {
    const storage = new IdbWalletStorage(dataName);
    const wallet = await open(storage);
    for (let h = 0; h <= 100; h++) await wallet.blockConnected(block(h, []));
    const addr = await wallet.newaddr('p2tr');
    const bech = await wallet.newaddr('p2wpkh');
    await wallet.blockConnected(
      block(101, [
        payTx([
          { address: addr, sat: 40_000 },
          { address: bech, sat: 30_000 },
        ]),
      ]),
    );
    const sent: Uint8Array[] = [];
    const r = await wallet.withdraw({ destination: SINK_ADDRESS, amount: 60_000, perkw: 500, minconf: 1 }, async tx => {
      sent.push(tx);
      return { success: true };
    });
    const tx = Transaction.fromRaw(sent[0]!);
    equal(tx.id, r.txid);
    equal(tx.inputsLength, 2);
    ok(
      wallet.listfunds().some(o => o.reserved),
      'inputs reserved while unconfirmed',
    );
    await storage.close();

    const storage2 = new IdbWalletStorage(dataName);
    const again = await open(storage2);
    deepEqual(again.listfunds(true), wallet.listfunds(true));
    deepEqual(again.listtransactions(), wallet.listtransactions());
    deepEqual(again.tip(), { height: 101, hash: block(101, []).hash });
    await again.blockConnected(block(102, [sent[0]!]));
    await storage2.close();

    const third = await open(new IdbWalletStorage(dataName));
    const funds = third.listfunds();
    equal(funds.length, 1, 'the change alone is left');
    equal(funds[0]!.txid, r.txid);
    equal(funds[0]!.status, 'confirmed');
    equal(funds[0]!.blockheight, 102);
    ok((await third.newaddr('p2tr')) !== addr);
  });

  it("keeps lightningd's own records apart from the wallet's", async () => {
    const ld = new IdbLightningdStorage(dataName);
    await ld.write([['meta', '{"alias":"kept"}']], []);
    const w = new IdbWalletStorage(dataName);
    const before = await w.load();
    ok(before && before.tip?.height === 102, 'the wallet record is still there');
    deepEqual([...(await ld.load())], [['meta', '{"alias":"kept"}']]);
    await ld.close();
    await w.close();
  });
});
