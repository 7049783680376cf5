// The wallet core on synthetic blocks (Node and Chromium): receive, confirm, reorg, replay, coin
// selection, change, dust, reservations that lapse, minconf, named utxos, a refused broadcast, a
// store that fails mid-block, restart and restore from the seed.
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import type { SendResult } from '../../src/core/chain/backend.ts';
import { WalletError } from '../../src/core/wallet/errors.ts';
import { DUST_LIMIT_SAT } from '../../src/core/wallet/fees.ts';
import {
  cloneWalletState,
  keyValueWalletStorage,
  MemoryWalletStorage,
  type WalletState,
  type WalletStorage,
} from '../../src/core/wallet/state.ts';
import { RESERVATION_BLOCKS, Wallet, type WithdrawRequest } from '../../src/core/wallet/wallet.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { block, payTx, scriptOf, SINK_ADDRESS } from '../support/wallet-blocks.ts';
import { TestWalletSigner, testSeed } from '../support/wallet-signer.ts';

const SEED = testSeed('wallet core test seed');

async function open<S extends WalletStorage = MemoryWalletStorage>(
  storage: S = new MemoryWalletStorage() as WalletStorage as S,
  seed = SEED,
) {
  const signer = new TestWalletSigner(seed);
  const wallet = await Wallet.open({ network: 'regtest', signer, storage });
  return { wallet, signer, storage };
}

/** Connects empty blocks from..to (inclusive). */
async function mineEmpty(w: Wallet, from: number, to: number) {
  for (let h = from; h <= to; h++) await w.blockConnected(block(h, []));
}

/** A wallet at height 101 whose coins of `amounts` confirmed in block 101. */
async function funded(amounts: number[], type: 'p2tr' | 'p2wpkh' = 'p2tr') {
  const o = await open();
  await mineEmpty(o.wallet, 0, 100);
  const txs = [];
  for (const sat of amounts) txs.push(payTx([{ address: await o.wallet.newaddr(type), sat }]));
  await o.wallet.blockConnected(block(101, txs));
  return o;
}

function accept(sent: Uint8Array[] = []) {
  return async (tx: Uint8Array): Promise<SendResult> => {
    sent.push(tx);
    return { success: true };
  };
}

async function rejects(p: Promise<unknown>, code: string): Promise<WalletError> {
  try {
    await p;
  } catch (e) {
    ok(e instanceof WalletError, `expected a WalletError, got ${String(e)}`);
    equal((e as WalletError).code, code);
    return e as WalletError;
  }
  throw new Error(`expected a ${code} failure`);
}

const req = (o: Partial<WithdrawRequest>): WithdrawRequest => ({ destination: SINK_ADDRESS, amount: 10_000, perkw: 253, minconf: 1, ...o });

describe('wallet: following the chain', () => {
  it('sees a receive unconfirmed, then confirmed, and lists it as Core Lightning does', async () => {
    const { wallet } = await open();
    await mineEmpty(wallet, 0, 100);
    const addr = await wallet.newaddr('p2tr');
    ok(addr.startsWith('bcrt1p'), addr);
    const tx = payTx([
      { address: addr, sat: 50_000 },
      { address: SINK_ADDRESS, sat: 1000 },
    ]);
    await wallet.txSeen(tx);
    let [o, ...rest] = wallet.listfunds();
    equal(rest.length, 0, 'only our output is ours');
    equal(o!.status, 'unconfirmed');
    equal(o!.blockheight, undefined);
    equal(o!.amount_msat, 50_000_000);
    equal(o!.address, addr);
    equal(o!.scriptpubkey, toHex(scriptOf(addr)));
    equal(o!.reserved, false);
    await wallet.blockConnected(block(101, [payTx([]), tx]));
    [o] = wallet.listfunds();
    equal(o!.status, 'confirmed');
    equal(o!.blockheight, 101);
    const [t] = wallet.listtransactions();
    equal(t!.hash, o!.txid);
    equal(t!.blockheight, 101);
    equal(t!.txindex, 1);
    equal(t!.outputs[0]!.amount_msat, 50_000_000);
    equal(t!.rawtx, toHex(tx));
  });

  it('sends a confirmed receive back to unconfirmed when its block is disconnected, and a replayed block changes nothing', async () => {
    const { wallet } = await open();
    await mineEmpty(wallet, 0, 10);
    const addr = await wallet.newaddr('p2wpkh');
    ok(addr.startsWith('bcrt1q'), addr);
    const tx = payTx([{ address: addr, sat: 20_000 }]);
    await wallet.blockConnected(block(11, [tx]));
    await wallet.blockConnected(block(11, [tx]));
    equal(wallet.listfunds().length, 1, 'a replayed block adds nothing');
    equal(wallet.listfunds()[0]!.status, 'confirmed');
    await wallet.blockDisconnected({ height: 11, hash: block(11, []).hash });
    equal(wallet.listfunds()[0]!.status, 'unconfirmed');
    equal(wallet.listfunds()[0]!.blockheight, undefined);
    equal(wallet.listtransactions()[0]!.blockheight, 0);
    equal(wallet.tip()!.height, 10);
    // The other branch confirms it one block later.
    await wallet.blockConnected(block(11, [], 'b', 'a'));
    await wallet.blockConnected(block(12, [tx], 'b'));
    equal(wallet.listfunds()[0]!.status, 'confirmed');
    equal(wallet.listfunds()[0]!.blockheight, 12);
  });

  it('a block at a height already applied with another hash replaces the stale ones', async () => {
    const { wallet } = await open();
    await mineEmpty(wallet, 0, 5);
    const addr = await wallet.newaddr('p2tr');
    await wallet.blockConnected(block(6, [payTx([{ address: addr, sat: 9000 }])]));
    await wallet.blockConnected(block(6, [], 'b', 'a'));
    equal(wallet.listfunds()[0]!.status, 'unconfirmed');
    equal(wallet.tip()!.hash, block(6, [], 'b').hash);
  });

  it('refuses a block that skips heights, keeping its state', async () => {
    const { wallet } = await open();
    await mineEmpty(wallet, 0, 3);
    let failed = false;
    await wallet.blockConnected(block(5, [])).catch(() => (failed = true));
    ok(failed, 'a gap is an error');
    equal(wallet.tip()!.height, 3);
  });

  it('drops an unconfirmed receive whose inputs a block spends in another transaction', async () => {
    const { wallet } = await open();
    await mineEmpty(wallet, 0, 10);
    const receive = payTx([{ address: await wallet.newaddr('p2tr'), sat: 20_000 }]);
    await wallet.txSeen(receive);
    equal(wallet.listfunds().length, 1);
    // The conflicting transaction spends the receive's (made-up) input and pays someone else.
    const t = Transaction.fromRaw(receive, { allowUnknownInputs: true, allowUnknownOutputs: true });
    const conflict = new Transaction({ allowUnknownInputs: true, allowUnknownOutputs: true });
    conflict.addInput({ txid: t.getInput(0).txid!, index: 0 });
    conflict.addOutput({ script: scriptOf(SINK_ADDRESS), amount: 19_000n });
    await wallet.blockConnected(block(11, [conflict.unsignedTx]));
    equal(wallet.listfunds().length, 0, 'the receive can never confirm');
    equal(wallet.listtransactions().length, 0);
  });

  it('skips an undecodable transaction in a block, saying so, and follows the rest', async () => {
    const logs: string[] = [];
    const signer = new TestWalletSigner(SEED);
    const wallet = await Wallet.open({ network: 'regtest', signer, storage: new MemoryWalletStorage(), log: m => logs.push(m) });
    const addr = await wallet.newaddr('p2tr');
    await wallet.blockConnected(block(0, [Uint8Array.of(1, 2, 3), payTx([{ address: addr, sat: 5000 }])]));
    equal(wallet.listfunds().length, 1);
    equal(logs.length, 1);
    ok(/block 0 transaction 0/.test(logs[0]!), logs[0]);
  });

  it('finds payments to keys beyond those handed out, within the gap, and moves newaddr past them', async () => {
    const { wallet } = await open();
    // The address of key 7 is what newaddr would give after seven calls: derive it from a twin wallet.
    const twin = (await open(new MemoryWalletStorage())).wallet;
    let addr7 = '';
    for (let i = 0; i <= 7; i++) addr7 = await twin.newaddr('p2tr');
    await wallet.blockConnected(block(0, [payTx([{ address: addr7, sat: 7777 }])]));
    equal(wallet.listfunds()[0]!.amount_msat, 7_777_000);
    const next = await wallet.newaddr('p2tr');
    ok(next !== addr7);
    equal(next, await twin.newaddr('p2tr'), 'newaddr continues at key 8');
  });
});

describe('wallet: withdraw', () => {
  it('selects coins, pays change to a fresh P2TR address, signs every input and reserves them', async () => {
    const { wallet, signer } = await funded([30_000, 20_000, 5_000]);
    const before = new Set(wallet.listfunds().map(o => o.address));
    const sent: Uint8Array[] = [];
    const r = await wallet.withdraw(req({ amount: 40_000, perkw: 1000 }), accept(sent));
    equal(sent.length, 1);
    equal(r.tx, toHex(sent[0]!));
    const tx = Transaction.fromRaw(sent[0]!);
    equal(tx.id, r.txid);
    equal(tx.inputsLength, 2, 'the two largest outputs cover 40,000 sat and the fee');
    equal(tx.outputsLength, 2);
    equal(toHex(tx.getOutput(0).script!), toHex(scriptOf(SINK_ADDRESS)));
    equal(tx.getOutput(0).amount, 40_000n);
    const change = tx.getOutput(1);
    const fee = 50_000n - 40_000n - change.amount!;
    // At 1000 perkw the fee is at least weight/1000*1000 sat: our estimate is an upper bound of the weight.
    ok(fee >= BigInt(Math.ceil(tx.weight)), `fee ${fee} for weight ${tx.weight}`);
    ok(fee <= BigInt(tx.weight) + 10n, `fee ${fee} not far above weight ${tx.weight}`);
    // The change output is ours, to an address never handed out, and shows unconfirmed.
    const mine = wallet.listfunds();
    const ch = mine.find(o => o.txid === r.txid)!;
    ok(ch, 'change is tracked');
    equal(ch.status, 'unconfirmed');
    ok(ch.address!.startsWith('bcrt1p') && !before.has(ch.address), 'change goes to a fresh p2tr address');
    // The spent inputs are reserved until the spend confirms.
    const spentKeys = new Set(Array.from({ length: tx.inputsLength }, (_, i) => `${toHex(tx.getInput(i).txid!)}:${tx.getInput(i).index}`));
    for (const o of mine.filter(o => spentKeys.has(`${o.txid}:${o.output}`))) {
      equal(o.reserved, true);
      equal(o.reserved_to_block, 101 + RESERVATION_BLOCKS);
      equal(o.status, 'confirmed');
    }
    equal(signer.asked.length, 1);
    equal(signer.asked[0]!.inputs.length, 2);
    // The psbt returned is the unsigned one, with a witnessUtxo on every input.
    const psbt = Transaction.fromPSBT(base64.decode(r.psbt));
    for (let i = 0; i < psbt.inputsLength; i++) ok(psbt.getInput(i).witnessUtxo, `input ${i} has a witnessUtxo`);
    // Confirmed: the inputs are spent (hidden unless asked), the change confirmed.
    await wallet.blockConnected(block(102, [sent[0]!]));
    equal(wallet.listfunds().filter(o => spentKeys.has(`${o.txid}:${o.output}`)).length, 0);
    equal(wallet.listfunds(true).filter(o => o.status === 'spent').length, 2);
    equal(wallet.listfunds().find(o => o.txid === r.txid)!.status, 'confirmed');
    equal(wallet.listtransactions().length, 4);
  });

  it('leaves no dust change: an excess below the dust limit goes to the fee', async () => {
    const { wallet } = await funded([10_500]);
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ amount: 10_000 }), accept(sent));
    const tx = Transaction.fromRaw(sent[0]!);
    equal(tx.outputsLength, 1);
    equal(tx.getOutput(0).amount, 10_000n);
  });

  it('sweeps everything with "all" into one output', async () => {
    const { wallet } = await funded([10_000, 20_000]);
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ amount: 'all', perkw: 253 }), accept(sent));
    const tx = Transaction.fromRaw(sent[0]!);
    equal(tx.inputsLength, 2);
    equal(tx.outputsLength, 1);
    const fee = 30_000 - Number(tx.getOutput(0).amount);
    ok(fee >= Math.ceil((253 * tx.weight) / 1000), `fee ${fee}`);
  });

  it('refuses dust (302), what it cannot afford (301) and a bad destination', async () => {
    const { wallet } = await funded([10_000]);
    await rejects(wallet.withdraw(req({ amount: DUST_LIMIT_SAT - 1 }), accept()), 'dust');
    const e = await rejects(wallet.withdraw(req({ amount: 10_000 }), accept()), 'cannot_afford');
    ok(/short/.test(e.message), e.message);
    await rejects(wallet.withdraw(req({ destination: 'bc1qnotregtest' }), accept()), 'bad_params');
    // Nothing was reserved by the refusals.
    equal(wallet.listfunds()[0]!.reserved, false);
  });

  it('spends unconfirmed outputs only with minconf 0, and honours minconf depth', async () => {
    const { wallet } = await open();
    await mineEmpty(wallet, 0, 100);
    await wallet.txSeen(payTx([{ address: await wallet.newaddr('p2tr'), sat: 30_000 }]));
    await rejects(wallet.withdraw(req({}), accept()), 'cannot_afford');
    await wallet.withdraw(req({ minconf: 0 }), accept());
    const { wallet: w2 } = await funded([30_000]);
    await rejects(w2.withdraw(req({ minconf: 2 }), accept()), 'cannot_afford');
    await w2.blockConnected(block(102, []));
    await w2.withdraw(req({ minconf: 2 }), accept());
  });

  it('reservations lapse at reserved_to_block when the spend never confirms', async () => {
    const { wallet } = await funded([30_000]);
    await wallet.withdraw(req({}), accept());
    await rejects(wallet.withdraw(req({}), accept()), 'cannot_afford');
    // Seen again in the mempool at every block: the reservation does not move.
    const [spend] = wallet.listtransactions().filter(t => t.blockheight === 0);
    for (let h = 102; h <= 101 + RESERVATION_BLOCKS - 1; h++) {
      await wallet.blockConnected(block(h, []));
      await wallet.txSeen(fromHex(spend!.rawtx));
    }
    equal(wallet.listfunds().find(o => o.status === 'confirmed')!.reserved, true);
    await wallet.blockConnected(block(101 + RESERVATION_BLOCKS, []));
    const o = wallet.listfunds().find(o => o.status === 'confirmed')!;
    equal(o.reserved, false);
    equal(o.reserved_to_block, undefined);
    await wallet.withdraw(req({}), accept());
  });

  it('spends exactly the named utxos, and refuses unknown, reserved or malformed ones', async () => {
    const { wallet } = await funded([30_000, 40_000]);
    const small = wallet.listfunds().find(o => o.amount_msat === 30_000_000)!;
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ utxos: [`${small.txid}:${small.output}`], amount: 'all' }), accept(sent));
    const tx = Transaction.fromRaw(sent[0]!);
    equal(tx.inputsLength, 1);
    equal(toHex(tx.getInput(0).txid!), small.txid);
    await rejects(wallet.withdraw(req({ utxos: [`${small.txid}:${small.output}`] }), accept()), 'reserved');
    await rejects(wallet.withdraw(req({ utxos: [`${'ab'.repeat(32)}:0`] }), accept()), 'bad_params');
    await rejects(wallet.withdraw(req({ utxos: ['nonsense'] }), accept()), 'bad_params');
  });

  it('a refused broadcast releases the inputs and reports the reason', async () => {
    const { wallet } = await funded([30_000]);
    const e = await rejects(
      wallet.withdraw(req({}), async () => ({ success: false, errmsg: 'bad-txns-inputs-missingorspent' })),
      'broadcast_failed',
    );
    ok(e.message.includes('bad-txns-inputs-missingorspent'), e.message);
    equal(wallet.listfunds().length, 1, 'no change was recorded');
    equal(wallet.listfunds()[0]!.reserved, false);
  });

  it('a conflicting spend confirmed elsewhere drops our unconfirmed withdrawal and its change', async () => {
    const { wallet, storage } = await funded([30_000]);
    const sent: Uint8Array[] = [];
    const ours = await wallet.withdraw(req({}), accept(sent));
    equal(wallet.listfunds().length, 2, 'the coin (reserved) and the change');
    // A twin of this wallet (the same seed, the store as it was before) spends the coin elsewhere.
    const twinStore = new MemoryWalletStorage();
    twinStore.state = cloneWalletState(storage.state!);
    for (const o of Object.values(twinStore.state.outputs)) delete o.reserved_to_block;
    delete twinStore.state.txs[ours.txid];
    for (const k of Object.keys(twinStore.state.outputs)) if (k.startsWith(ours.txid)) delete twinStore.state.outputs[k];
    const twin = (await open(twinStore)).wallet;
    const theirs: Uint8Array[] = [];
    await twin.withdraw(req({ amount: 'all' }), accept(theirs));
    await wallet.blockConnected(block(102, [theirs[0]!]));
    equal(wallet.listfunds().length, 0, 'no phantom change');
    const spent = wallet.listfunds(true);
    equal(spent.length, 1);
    equal(spent[0]!.status, 'spent');
    ok(!wallet.listtransactions().some(t => t.hash === ours.txid), 'our withdrawal is gone');
  });

  it('refuses a signed PSBT of another transaction', async () => {
    const { wallet, signer } = await funded([30_000]);
    signer.signWithdrawal = (psbt: Uint8Array) => {
      const t = Transaction.fromPSBT(psbt);
      t.updateOutput(0, { amount: 1000n });
      return t.toPSBT();
    };
    await rejects(wallet.withdraw(req({}), accept()), 'signer');
    equal(wallet.listfunds()[0]!.reserved, false);
  });
});

describe('wallet: storage', () => {
  it('restarts from its store with the same funds, addresses and tip', async () => {
    const { wallet, storage } = await open();
    await mineEmpty(wallet, 0, 100);
    const a = await wallet.newaddr('p2tr');
    await wallet.blockConnected(block(101, [payTx([{ address: a, sat: 12_345 }])]));
    await wallet.withdraw(req({ amount: 5000 }), accept());
    const again = (await open(storage)).wallet;
    deepEqual(again.listfunds(), wallet.listfunds());
    deepEqual(again.listtransactions(), wallet.listtransactions());
    deepEqual(again.tip(), wallet.tip());
    ok((await again.newaddr('p2tr')) !== a, 'a restarted wallet does not hand out a used address');
  });

  it('a failed save leaves the state as it was before the block, and the block can be applied again', async () => {
    const { wallet, storage } = await open();
    await mineEmpty(wallet, 0, 10);
    const a = await wallet.newaddr('p2tr');
    const saved: WalletState = cloneWalletState(storage.state!);
    const realSave = storage.save.bind(storage);
    storage.save = async () => {
      throw new Error('disk full');
    };
    const b = block(11, [payTx([{ address: a, sat: 9_999 }])]);
    let failed = false;
    await wallet.blockConnected(b).catch(() => (failed = true));
    ok(failed);
    equal(wallet.listfunds().length, 0, 'the in-memory state did not move ahead of the store');
    equal(wallet.tip()!.height, 10);
    deepEqual(storage.state, saved);
    storage.save = realSave;
    await wallet.blockConnected(b);
    equal(wallet.listfunds().length, 1);
  });

  it('refuses a store written for another seed', async () => {
    const { storage, wallet } = await open();
    await wallet.newaddr('p2tr');
    let err = '';
    await open(storage, testSeed('another seed')).catch(e => (err = (e as Error).message));
    ok(/another seed/.test(err), err);
  });

  it('restores from the seed: a fresh store rescanning the same blocks finds the same coins', async () => {
    const { wallet } = await open();
    const blocks = [];
    for (let h = 0; h <= 100; h++) blocks.push(block(h, []));
    // Keys 0..29 of each type: beyond one gap, found because each payment moves the window.
    const txs = [];
    for (let i = 0; i < 30; i++) txs.push(payTx([{ address: await wallet.newaddr(i % 2 ? 'p2tr' : 'p2wpkh'), sat: 1000 + i }]));
    blocks.push(block(101, txs.slice(0, 15)), block(102, txs.slice(15)));
    for (const b of blocks) await wallet.blockConnected(b);
    await wallet.withdraw(req({ amount: 5000 }), accept());
    const restored = (await open(new MemoryWalletStorage())).wallet;
    for (const b of blocks) await restored.blockConnected(b);
    const key = (w: Wallet) =>
      w
        .listfunds()
        .filter(o => o.status === 'confirmed')
        .map(o => `${o.txid}:${o.output}:${o.amount_msat}`)
        .sort();
    equal(key(restored).length, 30);
    deepEqual(key(restored), key(wallet));
  });

  it('keeps its state as one value of a key-value store (the edge: a Durable Object)', async () => {
    const values = new Map<string, unknown>();
    let puts = 0;
    const kv = {
      get: async <T>(k: string) => values.get(k) as T | undefined,
      put: async <T>(k: string, v: T) => {
        puts++;
        values.set(k, JSON.parse(JSON.stringify(v)));
      },
    };
    const wallet = (await open(keyValueWalletStorage(kv))).wallet;
    const a = await wallet.newaddr('p2tr');
    await wallet.blockConnected(
      block(0, [
        payTx([
          { address: a, sat: 5000 },
          { address: a, sat: 6000 },
        ]),
      ]),
    );
    equal(puts, 2, 'one write per action, one per block');
    deepEqual([...values.keys()], ['wallet']);
    const again = (await open(keyValueWalletStorage(kv))).wallet;
    deepEqual(again.listfunds(), wallet.listfunds());
  });
});

describe('wallet: a signer with one chain for both types (as hsmd derives them)', () => {
  it('never shows one key in two address types, except both addresses of newaddr all, and spends both', async () => {
    const signer = new TestWalletSigner(SEED, { oneChain: true });
    equal(signer.walletXpub('p2wpkh'), signer.walletXpub('p2tr'));
    const wallet = await Wallet.open({ network: 'regtest', signer, storage: new MemoryWalletStorage() });
    await mineEmpty(wallet, 0, 100);
    const tr = await wallet.newaddr('p2tr');
    const wpkh = await wallet.newaddr('p2wpkh');
    const both = await wallet.newaddrs(['p2tr', 'p2wpkh']);
    await wallet.blockConnected(
      block(101, [
        payTx([
          { address: tr, sat: 20_000 },
          { address: wpkh, sat: 20_000 },
          { address: both.p2tr, sat: 20_000 },
          { address: both.p2wpkh, sat: 20_000 },
        ]),
      ]),
    );
    equal(wallet.listfunds().length, 4);
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ amount: 75_000 }), accept(sent));
    equal(Transaction.fromRaw(sent[0]!).inputsLength, 4);
    deepEqual(signer.asked[0]!.inputs.map(i => `${i.type}/${i.index}`).sort(), ['p2tr/0', 'p2tr/2', 'p2wpkh/1', 'p2wpkh/2']);
  });
});

// Core Lightning's min-emergency-msat (wallet/reservation.c change_for_emergency): what a spend
// must leave while anchors channels may need wallet coins. lightningd passes 0 without them.
describe('wallet: the emergency reserve (min-emergency-msat)', () => {
  const KEEP = 25_000;
  const MESSAGE = 'We would not have enough left for min-emergency-msat 25000sat';
  const outputsOf = (raw: Uint8Array) => {
    const tx = Transaction.fromRaw(raw);
    return Array.from({ length: tx.outputsLength }, (_, i) => Number(tx.getOutput(i).amount));
  };

  it('refuses a fixed amount whose change would be under the reserve, reserving nothing', async () => {
    const { wallet } = await funded([100_000]);
    const e = await rejects(wallet.withdraw(req({ amount: 80_000, emergency_sat: KEEP }), accept()), 'emergency');
    equal(e.message, MESSAGE);
    equal(wallet.listfunds()[0]!.reserved, false);
    // The same spend without anchors channels (reserve 0) goes through.
    await wallet.withdraw(req({ amount: 80_000, emergency_sat: 0 }), accept());
  });

  it('takes a fixed amount whose change holds the reserve', async () => {
    const { wallet } = await funded([100_000]);
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ amount: 70_000, emergency_sat: KEEP }), accept(sent));
    const [paid, change] = outputsOf(sent[0]!);
    equal(paid, 70_000);
    ok(change! >= KEEP, `change ${change}`);
  });

  it("counts the wallet's other confirmed coins, not unconfirmed ones", async () => {
    const { wallet } = await funded([100_000, 30_000]);
    const sent: Uint8Array[] = [];
    // The largest coin pays; the 30,000 sat one left holds the reserve, so no change is needed.
    await wallet.withdraw(req({ amount: 99_000, emergency_sat: KEEP }), accept(sent));
    equal(Transaction.fromRaw(sent[0]!).inputsLength, 1);
    const { wallet: w2 } = await funded([100_000]);
    await w2.txSeen(payTx([{ address: await w2.newaddr('p2tr'), sat: 30_000 }]));
    await rejects(w2.withdraw(req({ amount: 99_000, emergency_sat: KEEP }), accept()), 'emergency');
  });

  it('"all" leaves the reserve as change to a wallet address, the rest to the output', async () => {
    const { wallet } = await funded([60_000, 40_000]);
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ amount: 'all', emergency_sat: KEEP, perkw: 1000 }), accept(sent));
    const tx = Transaction.fromRaw(sent[0]!);
    equal(tx.inputsLength, 2, 'every coin');
    const [paid, change] = outputsOf(sent[0]!);
    equal(change, KEEP);
    const fee = 100_000 - paid! - change!;
    ok(
      fee >= Math.ceil((1000 * tx.weight) / 1000) && fee < Math.ceil((1000 * tx.weight) / 1000) + 10,
      `fee ${fee} for weight ${tx.weight}`,
    );
    await wallet.txSeen(sent[0]!);
    deepEqual(
      wallet
        .listfunds()
        .filter(o => o.txid === tx.id)
        .map(o => o.amount_msat),
      [KEEP * 1000],
      'the change is ours',
    );
  });

  it('"all" of named coins keeps only what the other coins lack', async () => {
    const { wallet } = await funded([60_000, 10_000]);
    const big = wallet.listfunds().find(o => o.amount_msat === 60_000_000)!;
    const sent: Uint8Array[] = [];
    await wallet.withdraw(req({ amount: 'all', utxos: [`${big.txid}:${big.output}`], emergency_sat: KEEP }), accept(sent));
    equal(outputsOf(sent[0]!)[1], KEEP - 10_000);
  });

  it('"all" refuses when the coins cannot pay the reserve and an output', async () => {
    const { wallet } = await funded([25_500]);
    equal((await rejects(wallet.withdraw(req({ amount: 'all', emergency_sat: KEEP }), accept()), 'emergency')).message, MESSAGE);
    equal(wallet.listfunds()[0]!.reserved, false);
  });

  it('fundchannel\'s "all" keeps the reserve too', async () => {
    const { wallet } = await funded([300_000]);
    const r = await wallet.reserveFunding({ amount: 'all', perkw: 253, minconf: 1, emergency_sat: KEEP });
    equal(r.change_sat, KEEP);
    ok(r.amount_sat > 300_000 - KEEP - 1000 && r.amount_sat < 300_000 - KEEP, `funding ${r.amount_sat}`);
    await wallet.releaseFunding(r);
    const all = await wallet.reserveFunding({ amount: 'all', perkw: 253, minconf: 1 });
    equal(all.change_sat, 0, 'no reserve: everything funds the channel');
  });
});
