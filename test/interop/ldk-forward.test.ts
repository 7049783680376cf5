// Two hops with LDK (npm lightningdevkit) on `boltworker regtest`, one network for the file: our
// node with private channels to LDK nodes A and B, and LDK's own channel from A to a third LDK
// node C (its funding paid to LDK's script by the chain's wallet).
// - Through us: A pays B's invoice over us. A has no channel to B: B's invoice hints our channel,
//   at the fee and cltv_expiry_delta our channel_update (sent to B for the private channel) says,
//   and we check the forward against exactly those (a route paying one msat less, or one block
//   less, is refused with BOLT 4's failure). listforwards shows it settled with the in and out
//   amounts and our fee. A payment B refuses (an unknown hash, too little for its invoice) comes
//   back to A with B's reason decoded, and listforwards records it failed.
// - Through LDK: our xpay pays C's invoice over A, from the route hint in C's invoice (A's
//   channel_update to C for their private channel); C pays our invoice over A, from our hint,
//   which says what A's own channel_update to us says.
// - On chain: B holds our forward, force-closes and claims it with the preimage on chain (its
//   commitment, then its HTLC-success); we take the preimage from the chain and A gets it from us.
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { DEFAULT_CLTV_DELTA } from '../../src/core/daemons/lightningd/forward-store.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { invoiceParts, routeHint, type LdkDriver } from './ldk/driver.ts';
import { LdkNetwork, type OurChannel } from './ldk/network.ts';

const FUNDING_SAT = 200_000;
const AMOUNT = 10_000_000n;

interface Forward {
  in_channel: string;
  out_channel?: string;
  in_msat: number;
  out_msat?: number;
  fee_msat?: number;
  status: string;
  failcode?: number;
}

interface Policy {
  fee_base_msat: number;
  fee_proportional_millionths: number;
}

describe('two hops with LDK on boltworker regtest', () => {
  let net: LdkNetwork;
  let a: LdkDriver, b: LdkDriver, c: LdkDriver;
  let toA: OurChannel, toB: OurChannel;
  let policyB: Policy;

  before(async () => {
    net = await LdkNetwork.start('ldk-forward', 3, 2);
    [a, b, c] = net.ldks as [LdkDriver, LdkDriver, LdkDriver];
    await net.open(a, FUNDING_SAT, FUNDING_SAT * 500); // A can pay: half of it is A's
    await net.open(b, FUNDING_SAT);
    await net.ldkOpen(a, c, FUNDING_SAT, BigInt(FUNDING_SAT) * 500n); // C can pay over A: half of it is C's
    await net.confirmAll();
    const chans = await net.channels();
    toA = chans.find(x => x.peer === a.nodeId)!;
    toB = chans.find(x => x.peer === b.nodeId)!;
    const { channels } = (await net.node.call('listpeerchannels', { id: b.nodeId })) as { channels: Policy[] };
    policyB = channels[0]!;
  });
  after(async () => {
    await net?.stop();
  });

  const forwards = async () => ((await net.node.call('listforwards', {})) as { forwards: Forward[] }).forwards;
  /** The fee our channel_update towards B asks for forwarding `amount`. */
  const ourFee = (amount: bigint) => BigInt(policyB.fee_base_msat) + (amount * BigInt(policyB.fee_proportional_millionths)) / 1_000_000n;
  /** The hint A is given for B: our channel to B at our channel_update's fee and delta, or `tweak`ed. */
  const hintViaUs = (tweak: { fee?: number; cltv?: number } = {}) =>
    routeHint(
      net.node.id,
      toB.scid64,
      policyB.fee_base_msat + (tweak.fee ?? 0),
      policyB.fee_proportional_millionths,
      DEFAULT_CLTV_DELTA + (tweak.cltv ?? 0),
    );

  /** A's failure of payment `id`: PaymentFailed, and the error LDK decoded from the onion (its log). */
  async function failedAt(id: Uint8Array, logsFrom: number, from: string, name: string) {
    const out = await a.outcome(id);
    ok(out instanceof ldk.Event_PaymentFailed, 'A: the payment failed');
    const line = a.logText(logsFrom).find(t => t.includes(`Onion Error[from ${from}: ${name}`));
    ok(
      line,
      `A decoded ${name} from ${from}: ${a
        .logText(logsFrom)
        .filter(t => /Onion Error/.test(t))
        .join(' | ')}`,
    );
    return out;
  }

  it('A pays B’s invoice through us (its hint from our channel_update): forwarded at our fee and delta; listforwards shows it settled', async () => {
    const bolt11 = b.invoice(AMOUNT, 'through boltworker');
    const inv = invoiceParts(bolt11);
    // LDK hints a private channel only once the peer sent its channel_update for it: ours, to B; by
    // the alias we sent in channel_ready (BOLT 2 "MAY use any of the `alias` it received, in BOLT 11 `r` fields").
    const { routes } = (await net.node.call('decode', { string: bolt11 })) as { routes?: Record<string, unknown>[][] };
    ok(toB.alias.local, 'we sent B an alias');
    deepEqual(routes, [
      [
        {
          pubkey: net.node.id,
          short_channel_id: toB.alias.local,
          fee_base_msat: policyB.fee_base_msat,
          fee_proportional_millionths: policyB.fee_proportional_millionths,
          cltv_expiry_delta: DEFAULT_CLTV_DELTA,
        },
      ],
    ]);
    const id = a.payInvoice(bolt11, 'via-us');
    const sent = await a.outcome(id);
    ok(sent instanceof ldk.Event_PaymentSent, 'A: PaymentSent');
    equal(toHex(sha256(sent.payment_preimage)), toHex(inv.hash));
    const fee = ourFee(AMOUNT);
    ok(sent.fee_paid_msat instanceof ldk.Option_u64Z_Some);
    equal(sent.fee_paid_msat.some, fee, 'A paid exactly our fee');
    const claimed = b.claimable.find(x => x.hash === toHex(inv.hash));
    equal(claimed?.amount, AMOUNT, 'B got the amount');
    const list = await fundsWhen(forwards, l => l.some(f => f.status === 'settled'), 'a settled forward');
    const f = list.find(x => x.status === 'settled')!;
    equal(f.in_channel, toA.scid);
    equal(f.out_channel, toB.scid);
    equal(BigInt(f.in_msat), AMOUNT + fee);
    equal(BigInt(f.out_msat!), AMOUNT);
    equal(BigInt(f.fee_msat!), fee);
  });

  it('a route that pays us one msat less than our fee, or one block less than our delta, is refused with our channel_update', async () => {
    const before = (await forwards()).length;
    for (const [tweak, name] of [
      [{ fee: -1 }, 'fee_insufficient(0x100c)'],
      [{ cltv: -1 }, 'incorrect_cltv_expiry(0x100d)'],
    ] as const) {
      const inv = invoiceParts(b.invoice(AMOUNT));
      const logs = a.peer.logs.length;
      const id = a.send({ payee: b.nodeId, ...inv, amountMsat: AMOUNT, hints: [hintViaUs(tweak)], label: `short-${name}` });
      await failedAt(id, logs, net.node.id, name);
      equal(
        b.claimable.some(x => x.hash === toHex(inv.hash)),
        false,
        'B never saw it',
      );
    }
    const list = await forwards();
    equal(list.length, before + 2);
    for (const f of list.slice(before)) equal(f.status, 'local_failed');
  });

  it('B refuses (an unknown hash, too little for its invoice): A gets B’s reason decoded; listforwards records it failed', async () => {
    const before = (await forwards()).length;
    const inv = invoiceParts(b.invoice(AMOUNT));
    const cases = [
      { label: 'unknown-hash', hash: sha256(new TextEncoder().encode('nobody knows this preimage')), amount: AMOUNT },
      { label: 'too-little', hash: inv.hash, amount: AMOUNT - 1_000n },
    ];
    for (const k of cases) {
      const logs = a.peer.logs.length;
      const id = a.send({ payee: b.nodeId, ...inv, hash: k.hash, amountMsat: k.amount, hints: [hintViaUs()], label: k.label });
      const failed = await failedAt(id, logs, b.nodeId, 'incorrect_or_unknown_payment_details(0x400f)');
      const reason = failed.reason;
      ok(reason instanceof ldk.Option_PaymentFailureReasonZ_Some);
      equal(reason.some, ldk.PaymentFailureReason.LDKPaymentFailureReason_RecipientRejected, `${k.label}: the recipient rejected it`);
    }
    const list = await fundsWhen(
      forwards,
      l => l.length === before + 2 && l.slice(before).every(f => f.status !== 'offered'),
      'both forwards resolved',
    );
    for (const f of list.slice(before)) {
      equal(f.status, 'failed');
      equal(f.in_channel, toA.scid);
      equal(f.out_channel, toB.scid);
    }
    equal(BigInt(list[before + 1]!.out_msat!), AMOUNT - 1_000n);
  });

  it('our xpay pays C over A, from the route hint in C’s invoice', async () => {
    const bolt11 = c.invoice(AMOUNT, 'over LDK');
    const r = (await net.node.call('xpay', { invstring: bolt11 })) as {
      payment_preimage: string;
      amount_msat: number | bigint;
      amount_sent_msat: number | bigint;
    };
    const hash = toHex(sha256(fromHex(r.payment_preimage)));
    equal(hash, toHex(invoiceParts(bolt11).hash));
    equal(c.claimable.find(x => x.hash === hash)?.amount, AMOUNT, 'C got the amount');
    // A's fee: LDK's default ChannelConfig (1000 msat base, 0 ppm), as its channel_update to C says.
    equal(BigInt(r.amount_sent_msat) - BigInt(r.amount_msat), 1000n);
    const pays = (await net.node.call('listpays', { bolt11 })) as { pays: { status: string }[] };
    equal(pays.pays[0]?.status, 'complete');
  });

  // Our invoice's hint for the channel with A says what A's own channel_update (sent to us for the
  // private channel) says: LDK's cltv_expiry_delta of 72, not Core Lightning's default 34, which A
  // would refuse with incorrect_cltv_expiry (gossipd kept no such update before).
  it('C pays our invoice over A, from our invoice’s route hint (A’s own fee and delta)', async () => {
    const inv = (await net.node.call('invoice', { amount_msat: Number(AMOUNT), label: 'from-c', description: 'over LDK' })) as {
      bolt11: string;
      payment_hash: string;
    };
    const toA = (await net.channels()).find(x => x.peer === a.nodeId)!;
    const hints = (await net.node.call('decode', { string: inv.bolt11 })) as {
      routes: {
        pubkey: string;
        short_channel_id: string;
        fee_base_msat: number;
        fee_proportional_millionths: number;
        cltv_expiry_delta: number;
      }[][];
    };
    deepEqual(
      hints.routes.find(r => r[0]?.pubkey === a.nodeId),
      // by the alias A sent in channel_ready (our private channel: as Core Lightning hints it)
      [
        {
          pubkey: a.nodeId,
          short_channel_id: toA.alias.remote,
          fee_base_msat: 1000,
          fee_proportional_millionths: 0,
          cltv_expiry_delta: 72,
        },
      ],
    );
    const logs = c.peer.logs.length;
    const id = c.payInvoice(inv.bolt11, 'c-to-us');
    const out = await c.outcome(id);
    ok(
      out instanceof ldk.Event_PaymentSent,
      `C: PaymentSent: ${c
        .logText(logs)
        .filter(t => /Onion Error/.test(t))
        .join(' | ')}`,
    );
    equal(toHex(sha256(out.payment_preimage)), inv.payment_hash);
    const { invoices } = (await net.node.call('listinvoices', { label: 'from-c' })) as { invoices: { status: string }[] };
    equal(invoices[0]?.status, 'paid');
  });

  // Last: it closes our channel with B.
  it('B holds our forward, force-closes and claims it on chain with the preimage: we claim it from A with that preimage', async () => {
    const bolt11 = b.invoice(AMOUNT, 'on chain');
    const inv = invoiceParts(bolt11);
    const hash = toHex(inv.hash);
    b.hold.add(hash);
    const id = a.send({ payee: b.nodeId, ...inv, amountMsat: AMOUNT, hints: [hintViaUs()], label: 'on-chain' });
    await b.until(() => b.claimable.some(x => x.hash === hash), 'held our forward');
    const held = b.claimable.find(x => x.hash === hash)!;
    // B's loop paused: its commitment is in the mempool before its error reaches us (we would
    // broadcast ours otherwise).
    b.stop();
    const chan = b.cm.list_channels().find(x => toHex(x.get_counterparty().get_node_id()) === net.node.id)!;
    ok(b.cm.force_close_broadcasting_latest_txn(chan.get_channel_id(), fromHex(net.node.id), 'test: on chain').is_ok());
    const commitment = await net.publish(b);
    equal(commitment.txids.length, 1, `B's commitment in the mempool (${commitment.refused.join(' | ')})`);
    b.cm.claim_funds(held.preimage!);
    b.pump();
    b.start();
    // B's ChainMonitor sees its commitment confirmed and claims our HTLC with the preimage.
    await net.mine(1);
    await net.showMonitor(b, net.h.chain.height, commitment.txids);
    const success = await net.publish(b);
    ok(success.txids.length >= 1, `B's HTLC-success in the mempool (${success.refused.join(' | ')})`);
    await net.mine(1);
    const spends = JSON.parse(await net.get(`/tx/${commitment.txids[0]}/outspends`)) as { spent: boolean; txid?: string }[];
    ok(
      spends.some(o => o.spent && success.txids.includes(o.txid!)),
      'B claimed an output of its commitment on chain',
    );
    const sent = await a.outcome(id);
    ok(sent instanceof ldk.Event_PaymentSent, 'A: PaymentSent, from the preimage we took from the chain');
    equal(toHex(sent.payment_preimage), toHex(held.preimage!));
    const f = await fundsWhen(
      forwards,
      l =>
        l.some(x => x.out_channel === toB.scid && x.status === 'settled' && BigInt(x.out_msat!) === AMOUNT && x.in_channel === toA.scid) &&
        l.length > 0,
      'the forward settled',
    );
    ok(f);
  });
});
