// The wallet's JSON-RPC through lightningd, against Core Lightning's documented shapes and codes:
// feerates reproduces doc/schemas/feerates.json's example from the same backend estimates;
// newaddr's address types; withdraw's 301, 302 and -32602; listfunds' `channels`.
import { Transaction } from '@scure/btc-signer';
import type { FeeEstimates, SendResult } from '../../src/core/chain/backend.ts';
import { LightningdDb, MemoryLightningdStorage } from '../../src/core/daemons/lightningd/db.ts';
import { RpcError } from '../../src/core/daemons/lightningd/jsonrpc.ts';
import { Lightningd } from '../../src/core/daemons/lightningd/lightningd.ts';
import { parseSatOrAll } from '../../src/core/daemons/lightningd/wallet-rpc.ts';
import { FeerateError, feerateForBlocks, parseFeerate } from '../../src/core/wallet/fees.ts';
import { fromHex } from '../../src/core/base/bytes.ts';
import { MemoryWalletStorage } from '../../src/core/wallet/state.ts';
import { Wallet } from '../../src/core/wallet/wallet.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { block, payTx, SINK_ADDRESS } from '../support/wallet-blocks.ts';
import { TestWalletSigner, testSeed } from '../support/wallet-signer.ts';

/** Core Lightning's feerates example, as a backend reports it (sat/kvB = 4 x perkw). */
const CLN_EXAMPLE: FeeEstimates = {
  feerate_floor: 1000,
  feerates: [
    { blocks: 2, feerate: 60_000 },
    { blocks: 6, feerate: 44_000 },
    { blocks: 12, feerate: 30_000 },
    { blocks: 100, feerate: 15_000 },
  ],
};

async function node(est: FeeEstimates = CLN_EXAMPLE, emergencySat?: () => number) {
  const wallet = await Wallet.open({
    network: 'regtest',
    signer: new TestWalletSigner(testSeed('rpc')),
    storage: new MemoryWalletStorage(),
  });
  const sent: Uint8Array[] = [];
  const chain = {
    estimatefees: async () => est,
    sendrawtransaction: async (tx: Uint8Array): Promise<SendResult> => {
      sent.push(tx);
      return { success: true };
    },
  };
  const ld = new Lightningd({
    network: 'regtest',
    version: 'test',
    nodeId: '02'.padEnd(66, '1'),
    alias: 'test',
    color: '000000',
    ourFeatures: { init: '', node: '', channel: '', invoice: '' },
    connectd: {
      connectToPeer: async () => ({}) as never,
      listPeers: () => [],
      ping: async () => ({}) as never,
      disconnect: () => undefined,
    },
    db: new LightningdDb(new MemoryLightningdStorage()),
    caps: { tcp: true, websocket: false },
    wallet: { wallet, chain, ...(emergencySat ? { emergencySat } : {}) },
  });
  for (let h = 0; h <= 100; h++) await wallet.blockConnected(block(h, []));
  return { ld, wallet, sent };
}

async function rpcFails(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    ok(e instanceof RpcError, String(e));
    equal((e as RpcError).code, code, (e as Error).message);
    if (pattern) ok(pattern.test((e as Error).message), (e as Error).message);
    return;
  }
  throw new Error(`expected RPC error ${code}`);
}

describe('wallet RPC', () => {
  it('feerates answers Core Lightning’s documented example from the same estimates, perkw and perkb', async () => {
    const { ld } = await node();
    const r = (await ld.rpc.call('feerates', { style: 'perkw' })) as Record<string, any>;
    deepEqual(r.perkw, {
      opening: 7500,
      mutual_close: 3750,
      unilateral_close: 11000,
      unilateral_anchor_close: 3750,
      penalty: 7500,
      min_acceptable: 1875,
      max_acceptable: 150000,
      floor: 253,
      estimates: [
        { blockcount: 2, feerate: 15000, smoothed_feerate: 15000 },
        { blockcount: 6, feerate: 11000, smoothed_feerate: 11000 },
        { blockcount: 12, feerate: 7500, smoothed_feerate: 7500 },
        { blockcount: 100, feerate: 3750, smoothed_feerate: 3750 },
      ],
    });
    deepEqual(r.onchain_fee_estimates, {
      opening_channel_satoshis: 5265,
      mutual_close_satoshis: 2523,
      unilateral_close_satoshis: 4170,
      unilateral_close_nonanchor_satoshis: 6578,
      htlc_timeout_satoshis: 7293,
      htlc_success_satoshis: 7733,
    });
    const kb = (await ld.rpc.call('feerates', ['perkb'])) as Record<string, any>;
    equal(kb.perkb.opening, 30000);
    equal(kb.perkb.floor, 1012);
    equal(kb.perkw, undefined);
    await rpcFails(ld.rpc.call('feerates', { style: 'sat/vB' }), -32602);
    await rpcFails(ld.rpc.call('feerates', {}), -32602);
  });

  it('feerates without estimates warns and still gives the floor', async () => {
    const { ld } = await node({ feerate_floor: 5000, feerates: [] });
    const r = (await ld.rpc.call('feerates', { style: 'perkw' })) as Record<string, any>;
    ok(typeof r.warning_missing_feerates === 'string');
    equal(r.perkw.floor, 1250);
    deepEqual(r.perkw.estimates, []);
    equal(r.onchain_fee_estimates, undefined);
  });

  it('newaddr gives p2tr by default, bech32 or both on request, and refuses other types', async () => {
    const { ld } = await node();
    const a = (await ld.rpc.call('newaddr', {})) as Record<string, string>;
    deepEqual(Object.keys(a), ['p2tr']);
    ok(a.p2tr!.startsWith('bcrt1p'));
    const b = (await ld.rpc.call('newaddr', ['bech32'])) as Record<string, string>;
    deepEqual(Object.keys(b), ['bech32']);
    ok(b.bech32!.startsWith('bcrt1q'));
    const c = (await ld.rpc.call('newaddr', { addresstype: 'all' })) as Record<string, string>;
    ok(c.p2tr!.startsWith('bcrt1p') && c.bech32!.startsWith('bcrt1q'));
    ok(c.p2tr !== a.p2tr, 'every call is a fresh address');
    await rpcFails(ld.rpc.call('newaddr', { addresstype: 'p2sh-segwit' }), -32602);
  });

  it('listfunds and withdraw in Core Lightning’s shapes, feerate by name or number', async () => {
    const { ld, wallet, sent } = await node();
    const { p2tr } = (await ld.rpc.call('newaddr', {})) as { p2tr: string };
    await wallet.blockConnected(block(101, [payTx([{ address: p2tr, sat: 100_000 }])]));
    const funds = (await ld.rpc.call('listfunds', {})) as { outputs: any[]; channels: unknown[] };
    deepEqual(funds.channels, []);
    equal(funds.outputs.length, 1);
    deepEqual(Object.keys(funds.outputs[0]).sort(), [
      'address',
      'amount_msat',
      'blockheight',
      'output',
      'reserved',
      'scriptpubkey',
      'status',
      'txid',
    ]);
    const w = (await ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: '20000sat', feerate: '2000perkw' })) as Record<
      string,
      string
    >;
    deepEqual(Object.keys(w).sort(), ['psbt', 'tx', 'txid']);
    equal(sent.length, 1);
    const tx = Transaction.fromRaw(fromHex(w.tx!));
    equal(tx.id, w.txid);
    const fee = 100_000n - tx.getOutput(0).amount! - tx.getOutput(1).amount!;
    ok(fee >= BigInt(Math.ceil((2000 * tx.weight) / 1000)), `fee ${fee} at 2000perkw for weight ${tx.weight}`);
    // `normal` is the 12-block estimate, 7500 perkw here.
    await wallet.blockConnected(block(102, [fromHex(w.tx!)]));
    const w2 = (await ld.rpc.call('withdraw', [SINK_ADDRESS, 'all', 'normal', 1])) as Record<string, string>;
    const t2 = Transaction.fromRaw(fromHex(w2.tx!));
    const fee2 = Number(BigInt(tx.getOutput(1).amount!) - t2.getOutput(0).amount!);
    ok(fee2 >= Math.ceil((7500 * t2.weight) / 1000) && fee2 < Math.ceil((7600 * t2.weight) / 1000), `fee ${fee2} at 7500perkw`);
  });

  it('withdraw refusals carry Core Lightning’s codes', async () => {
    const { ld, wallet } = await node();
    const { p2tr } = (await ld.rpc.call('newaddr', {})) as { p2tr: string };
    await wallet.blockConnected(block(101, [payTx([{ address: p2tr, sat: 10_000 }])]));
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 20_000 }), 301);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 545 }), 302);
    await rpcFails(ld.rpc.call('withdraw', { destination: 'not-an-address', satoshi: 1000 }), -32602, /destination/);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'lots' }), -32602, /satoshi/);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: -5 }), -32602);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 1000, feerate: 'fast' }), -32602, /feerate/);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 1000, minconf: -1 }), -32602, /minconf/);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 1000, utxos: 'x' }), -32602, /utxos/);
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS }), -32602, /satoshi/);
    await rpcFails(ld.rpc.call('listfunds', { spent: 'maybe' }), -32602);
    const { ld: noEst } = await node({ feerate_floor: 1000, feerates: [] });
    await rpcFails(noEst.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 1000 }), -1, /estimate/);
  });

  it('withdraw keeps min-emergency-msat while lightningd asks for it: 313, or "all" less the reserve', async () => {
    let keep = 25_000;
    const { ld, wallet } = await node(CLN_EXAMPLE, () => keep);
    const { p2tr } = (await ld.rpc.call('newaddr', {})) as { p2tr: string };
    await wallet.blockConnected(block(101, [payTx([{ address: p2tr, sat: 100_000 }])]));
    const message = /^We would not have enough left for min-emergency-msat 25000sat$/;
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 90_000 }), 313, message);
    const all = (await ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'all' })) as { tx: string };
    equal(Transaction.fromRaw(fromHex(all.tx)).getOutput(1).amount, 25_000n, 'the reserve stays as change');
    await wallet.blockConnected(block(102, [fromHex(all.tx)]));
    await rpcFails(ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'all' }), 313, message);
    keep = 0; // No anchors channel any more: everything may go.
    await ld.rpc.call('withdraw', { destination: SINK_ADDRESS, satoshi: 'all' });
  });

  it('reads amounts as Core Lightning’s sat_or_all', () => {
    equal(parseSatOrAll(1000), 1000);
    equal(parseSatOrAll('1000'), 1000);
    equal(parseSatOrAll('1000sat'), 1000);
    equal(parseSatOrAll('1000000msat'), 1000);
    equal(parseSatOrAll('0.001btc'), 100_000);
    equal(parseSatOrAll('1btc'), 100_000_000);
    equal(parseSatOrAll('all'), 'all');
    for (const bad of ['1001msat', '1.5', '0.000000001btc', 'ALL', 1.5, -1, null, '22000000btc'])
      try {
        parseSatOrAll(bad);
        throw new Error(`accepted ${String(bad)}`);
      } catch (e) {
        ok(e instanceof RpcError && e.code === -32602, String(e));
      }
  });

  it('reads feerates as Core Lightning does: names, blocks (interpolated), perkw, perkb, never below the floor', () => {
    const est = CLN_EXAMPLE;
    equal(parseFeerate('urgent', est), 11000);
    equal(parseFeerate('normal', est), 7500);
    equal(parseFeerate('slow', est), 3750);
    equal(parseFeerate('minimum', est), 253);
    // 9 blocks: halfway between 6 (44,000 perkb) and 12 (30,000 perkb).
    equal(parseFeerate('9blocks', est), 37000 / 4);
    equal(feerateForBlocks(est, 1), 15000, 'before the first target: the first');
    equal(feerateForBlocks(est, 1000), 3750, 'past the last: the last, no extrapolation');
    equal(parseFeerate('2000perkw', est), 2000);
    equal(parseFeerate('8000perkb', est), 2000);
    equal(parseFeerate(8000, est), 2000, 'a bare number is perkb');
    equal(parseFeerate('100perkw', est), 253, 'raised to the floor');
    equal(parseFeerate('minimum', { feerate_floor: 5000, feerates: [] }), 1250, "the backend's floor when higher");
    for (const bad of ['fast', '1.5perkw', '-1', '0blocks', '', true])
      try {
        parseFeerate(bad, est);
        throw new Error(`accepted ${String(bad)}`);
      } catch (e) {
        ok(e instanceof FeerateError, String(e));
      }
  });
});
