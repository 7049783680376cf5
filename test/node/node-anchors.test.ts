// option_anchors between two whole Node nodes on `boltworker regtest` (whose mempool, like Bitcoin
// Core 28's, refuses a transaction below its rolling minimum feerate alone and takes a 1-parent-1-
// child package that pays it together): fundchannel opens with anchors when both inits offer it;
// the chain's feerate rises above what A's commitment pays; A force-closes, and its lightningd
// spends A's anchor with a wallet coin (hsmd signs the anchor) so that commitment and child enter
// the mempool together; while miners ask more the child is replaced (RBF); once mined, B sweeps its
// to_remote after the anchors' 1-block CSV, A its to_local after its delay, and listfunds shows it
// all. A commitment that pays enough gets no child; a node without a spare coin says so and bumps
// once it has one.
import { after, before, describe, it } from 'node:test';
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import type { MempoolEntry } from '../../src/regtest/mempool.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { regtestNodes, type Node, type RegtestNodes, until } from './regtest-nodes.ts';

type Funds = { outputs: { txid: string; output: number; amount_msat: number; status: string }[] };
type PeerChannel = { state: string; channel_id: string; status: string[] };
type EsploraTx = {
  txid: string;
  vin: { txid: string; vout: number; sequence: number }[];
  vout: { scriptpubkey_type: string; value: number }[];
};
type Outspend = { spent: boolean; txid?: string };

const FUNDING_SAT = 400_000;
const PUSH_MSAT = 50_000_000;
const TO_SELF_DELAY = 144;
/** The mempool's minimum once "full" (5 sat/vB), and the miners' floor later (10 sat/vB). */
const MIN_FEE = 5000;
const FLOOR = 10_000;

describe('Node: option_anchors on boltworker regtest: anchor CPFP of a commitment that pays too little', () => {
  let env: RegtestNodes;
  let a: Node;
  let b: Node;
  const get = <T>(path: string) => env.get<T>(path);
  const newaddr = (n: Node) => n.call('newaddr', { addresstype: 'bech32' }) as Promise<{ bech32: string }>;
  const funds = (n: Node) => n.call('listfunds', {}) as Promise<Funds>;
  const channel = async (n: Node, id: string) =>
    ((await n.call('listpeerchannels', {})) as { channels: PeerChannel[] }).channels.find(c => c.channel_id === id);
  const stateIs = (n: Node, id: string, state: string) =>
    until(
      () => channel(n, id),
      c => c?.state === state,
      `${id} in ${state}`,
    );
  const dbidOf = (n: Node, id: string) => n.lightningd.channels!.list().find(c => c.record?.channel_id === id)!.record!.dbid;
  const synced = (n: Node) =>
    until(
      () => n.call('getinfo', {}) as Promise<{ blockheight: number }>,
      i => i.blockheight === env.h.chain.height,
      `height ${env.h.chain.height}`,
    );
  const setMinFee = (rate: number) => env.control('/regtest/mempoolminfee', { sat_per_kvb: rate });
  const setFloor = (rate: number) => env.control('/regtest/blockmintxfee', { sat_per_kvb: rate });
  /** The mempool's transaction spending an anchor (330 sat) of `txid`. */
  const childOf = (txid: string, commitment: Transaction): MempoolEntry | undefined =>
    env.h.chain.mempool.list().find(e => e.tx.inputs.some(i => i.txid === txid && commitment.getOutput(i.vout).amount === 330n));
  const feeOf = (raw: Uint8Array, spent: bigint) => {
    const t = Transaction.fromRaw(raw, TX_OPTS);
    const out = Array.from({ length: t.outputsLength }, (_, i) => t.getOutput(i).amount!).reduce((x, y) => x + y, 0n);
    return { fee: spent - out, vsize: t.vsize };
  };

  async function open(from: Node, amount: number | 'all', feerate: string): Promise<string> {
    const r = (await from.call('fundchannel', { id: b.id, amount, push_msat: PUSH_MSAT, feerate, announce: false })) as {
      channel_id: string;
      channel_type: { bits: number[]; names: string[] };
    };
    deepEqual(r.channel_type, { bits: [12, 22], names: ['static_remotekey/even', 'anchors/even'] }, 'anchors: both inits offer it');
    await env.mine(3);
    await stateIs(from, r.channel_id, 'CHANNELD_NORMAL');
    await stateIs(b, r.channel_id, 'CHANNELD_NORMAL');
    return r.channel_id;
  }

  /** Waits for `n`'s spend of `txid:vout`, mines it, and finds it confirmed in `n`'s listfunds. */
  async function swept(n: Node, txid: string, vout: number, what: string): Promise<EsploraTx> {
    const s = await until(
      () => get<Outspend>(`/tx/${txid}/outspend/${vout}`),
      o => o.spent,
      what,
    );
    await env.mine(1);
    await until(funds.bind(null, n), f => f.outputs.some(o => o.txid === s.txid && o.status === 'confirmed'), `${what} in listfunds`);
    return get<EsploraTx>(`/tx/${s.txid}`);
  }

  before(async () => {
    env = await regtestNodes('anchors');
    a = await env.start(env.tmp());
    b = await env.start(env.tmp(), { bindAddr: ['127.0.0.1:0'] });
    await env.fund(a, 1_000_000);
    await env.fund(a, 150_000);
    await env.connect(a, b);
  });
  after(async () => {
    await env?.stop();
  });

  it('the commitment, below the mempool minimum, enters with A’s anchor spend; replaced at a higher feerate while miners ask more; mined; every output swept to the wallets', async () => {
    const id = await open(a, FUNDING_SAT, '253perkw');
    await setMinFee(MIN_FEE);
    const r = await a.lightningd.channels!.forceClose(dbidOf(a, id), 'test');
    const parent = Transaction.fromRaw(fromHex(r.tx), TX_OPTS);
    const p = feeOf(fromHex(r.tx), BigInt(FUNDING_SAT));
    ok(p.fee * 1000n < BigInt(MIN_FEE * p.vsize), `the commitment alone pays ${p.fee} sat for ${p.vsize} vB: below the minimum`);
    // Sent with its child (forceClose answers once lightningd has sent them).
    const first = childOf(r.txid, parent);
    ok(first, 'a child spends our anchor');
    ok(env.h.chain.mempool.get(r.txid), 'the commitment is in the mempool with it');
    ok(first.tx.inputs.length >= 2, 'the anchor and a wallet coin');
    equal(first.tx.outputs.length, 1, 'one change output');
    ok((p.fee + first.fee) * 1000n >= BigInt(MIN_FEE * (p.vsize + first.tx.vsize)), 'together they pay the minimum');
    const st = (await channel(a, id))!;
    equal(st.state, 'AWAITING_UNILATERAL');
    ok(
      st.status.some(s => s.includes(`bumped by anchor spend ${first.tx.txid}`)),
      st.status.join('; '),
    );
    // The change pays A's wallet (seen unconfirmed).
    await until(
      () => funds(a),
      f => f.outputs.some(o => o.txid === first.tx.txid),
      'the change in listfunds',
    );

    // Miners now ask 10 sat/vB: the block leaves the two out, and A replaces the child.
    await setFloor(FLOOR);
    await env.mine(1);
    ok(env.h.chain.mempool.get(r.txid), 'not mined: below the floor');
    const second = await until(
      () => childOf(r.txid, parent),
      c => c !== undefined && c.tx.txid !== first.tx.txid,
      'a replacement child',
    );
    ok(!env.h.chain.mempool.get(first.tx.txid), 'the first child was replaced (BIP 125)');
    ok(second!.fee > first.fee, 'the replacement pays more');
    ok((p.fee + second!.fee) * 1000n >= BigInt(FLOOR * (p.vsize + second!.tx.vsize)), 'and the floor with the commitment');
    await env.mine(1);
    const mined = env.h.chain.height;
    equal(env.h.chain.txIndex.get(r.txid)?.entry.height, mined, 'the commitment is mined');
    equal(env.h.chain.txIndex.get(second!.tx.txid)?.entry.height, mined, 'with its child');
    await setFloor(1000);
    await setMinFee(0);
    for (const n of [a, b]) await stateIs(n, id, 'ONCHAIN');
    await until(
      () => funds(a),
      f => f.outputs.some(o => o.txid === second!.tx.txid && o.status === 'confirmed'),
      'the change confirmed',
    );

    // B's to_remote (BOLT 3 with anchors: `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`): swept with nSequence 1.
    const commitment = await get<EsploraTx>(`/tx/${r.txid}`);
    const toRemote = commitment.vout.findIndex(o => o.value === PUSH_MSAT / 1000);
    equal(commitment.vout[toRemote]!.scriptpubkey_type, 'v0_p2wsh');
    const bSweep = await swept(b, r.txid, toRemote, "B's sweep of to_remote");
    equal(bSweep.vin.find(i => i.txid === r.txid && i.vout === toRemote)!.sequence, 1, 'the 1-block CSV');

    // A's to_local after its delay.
    const toLocal = commitment.vout.findIndex((o, i) => i !== toRemote && o.value > 330);
    await env.mine(mined + TO_SELF_DELAY - 1 - env.h.chain.height);
    await swept(a, r.txid, toLocal, "A's sweep of to_local");
  });

  it('a commitment paying what the chain asks goes alone: no anchor spend', async () => {
    const id = await open(a, 200_000, '3000perkw');
    await setMinFee(MIN_FEE);
    const r = await a.lightningd.channels!.forceClose(dbidOf(a, id), 'test');
    ok(env.h.chain.mempool.get(r.txid), 'in the mempool alone');
    equal(childOf(r.txid, Transaction.fromRaw(fromHex(r.tx), TX_OPTS)), undefined, 'no child');
    const st = (await channel(a, id))!;
    ok(
      st.status.some(s => s.includes('no anchor spend needed')),
      st.status.join('; '),
    );
    await env.mine(1);
    await setMinFee(0);
    await stateIs(a, id, 'ONCHAIN');
  });

  it('without a spare wallet coin: a clear status, the node runs on, and bumps once a coin arrives', async () => {
    // min-emergency-msat at its least (the dust limit): what 'all' leaves cannot pay a bump.
    const c = await env.start(env.tmp(), { minEmergencySat: 546 });
    await env.fund(c, 300_000);
    await env.connect(c, b);
    const id = await open(c, 'all', '253perkw');
    await synced(c);
    deepEqual(
      (await funds(c)).outputs.filter(o => o.status === 'confirmed').map(o => o.amount_msat),
      [546_000],
      'C kept only its 546 sat reserve',
    );
    await setMinFee(MIN_FEE);
    const r = await c.lightningd.channels!.forceClose(dbidOf(c, id), 'test');
    equal(env.h.chain.mempool.get(r.txid), undefined, 'refused alone: below the mempool minimum');
    const st = (await channel(c, id))!;
    ok(
      st.status.some(s => s.includes('no wallet coin to bump our commitment')),
      st.status.join('; '),
    );
    await env.fund(c, 50_000);
    // C bumps at the block that confirmed the coin, or the next (its wallet and its channels follow a block in turn).
    for (let i = 0; i < 5 && !env.h.chain.txIndex.has(r.txid); i++) {
      await synced(c);
      await env.mine(1);
    }
    const at = env.h.chain.txIndex.get(r.txid)?.entry;
    ok(at, 'the commitment is mined');
    const commitment = Transaction.fromRaw(fromHex(r.tx), TX_OPTS);
    const child = at.block.txs.find(t => t.inputs.some(i => i.txid === r.txid && commitment.getOutput(i.vout).amount === 330n));
    ok(child, 'with our anchor spend in the same block');
    ok(child.inputs.length >= 2, 'and the new coin');
    await setMinFee(0);
    await stateIs(c, id, 'ONCHAIN');
  });

  it("fundchannel 'all' keeps min-emergency-msat; withdraw cannot take it (313); force-closed with an HTLC in flight, the zero-fee HTLC-timeout gets a wallet input", async () => {
    const d = await env.start(env.tmp());
    deepEqual(await d.call('listconfigs', { config: 'min-emergency-msat' }), {
      configs: { 'min-emergency-msat': { value_msat: 25_000_000, source: 'default' } },
    });
    await env.fund(d, 300_000);
    await env.connect(d, b);
    const id = await open(d, 'all', '253perkw');
    await synced(d);
    const kept = (await funds(d)).outputs.filter(o => o.status === 'confirmed');
    deepEqual(
      kept.map(o => o.amount_msat),
      [25_000_000],
      "the funding's change: the reserve",
    );
    const refused = await d.call('withdraw', { destination: (await newaddr(b)).bech32, satoshi: 'all' }).catch((e: unknown) => e);
    deepEqual(
      [(refused as { code?: number }).code, (refused as Error).message],
      [313, 'We would not have enough left for min-emergency-msat 25000sat'],
    );

    // An HTLC D offers, committed on both sides.
    const dbid = dbidOf(d, id);
    const amount = 20_000_000n;
    const cltv = env.h.chain.height + 12;
    const channeld = await until(
      async () => d.lightningd.channels!.channeldOf(dbid),
      x => x !== undefined,
      "D's channeld",
    );
    await channeld!.api.addHtlc({
      amountMsat: amount,
      paymentHash: new Uint8Array(32).fill(7),
      cltvExpiry: cltv,
      onion: new Uint8Array(1366),
    });
    const htlcs = (n: Node) =>
      until(
        () => n.call('listpeerchannels', {}) as Promise<{ channels: (PeerChannel & { htlcs: unknown[] })[] }>,
        r => r.channels.some(c => c.channel_id === id && c.htlcs.length === 1),
        'the HTLC committed',
      );
    await htlcs(d);
    await htlcs(b);
    const r = await d.lightningd.channels!.forceClose(dbid, 'test');
    await env.mine(1);
    await stateIs(d, id, 'ONCHAIN');
    const commitment = await get<EsploraTx>(`/tx/${r.txid}`);
    const htlc = commitment.vout.findIndex(o => o.scriptpubkey_type === 'v0_p2wsh' && o.value === Number(amount / 1000n));
    ok(htlc >= 0, 'the HTLC output');
    // What D's wallet holds now (the reserve, or the change of an anchor spend that used it).
    const wallet = new Set((await funds(d)).outputs.map(o => `${o.txid}:${o.output}`));
    // BOLT 3 (option_anchors): the HTLC-timeout pays no fee of its own; D adds a wallet coin to it.
    await env.mine(cltv - env.h.chain.height);
    const spend = await until(
      () => get<Outspend>(`/tx/${r.txid}/outspend/${htlc}`),
      o => o.spent,
      "D's HTLC-timeout",
    );
    const timeout = await get<EsploraTx>(`/tx/${spend.txid}`);
    ok(
      timeout.vin.some(i => i.txid === r.txid && i.vout === htlc),
      'it spends the HTLC output',
    );
    ok(
      timeout.vin.some(i => wallet.has(`${i.txid}:${i.vout}`)),
      `and a coin of D's wallet: ${timeout.vin.map(i => `${i.txid}:${i.vout}`).join(', ')} / ${[...wallet].join(', ')}`,
    );
    await env.mine(1);
    await until(
      () => get<Outspend>(`/tx/${r.txid}/outspend/${htlc}`),
      o => (o as { status?: { confirmed?: boolean } }).status?.confirmed === true,
      'the HTLC-timeout mined',
    );
  });
});
