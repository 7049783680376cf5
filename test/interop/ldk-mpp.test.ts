// Multi-part payments with LDK (npm lightningdevkit) on `boltworker regtest`: our node has two
// private channels to one LDK node, and neither can carry the whole amount.
// - LDK pays our invoice (basic_mpp) for more than its side of either channel: LDK's router splits
//   it over both, we hold the parts until total_msat arrived, then fulfill them all; paid once.
// - Our xpay pays LDK's invoice for more than LDK lets either channel carry in flight (its
//   max_htlc_value_in_flight_msat, 10% of the channel by LDK's default): split over both channels,
//   LDK claims once.
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import { invoiceParts, type LdkDriver } from './ldk/driver.ts';
import { LdkNetwork } from './ldk/network.ts';

const FUNDING_SAT = 200_000;
/** LDK's side of each channel at the start. */
const PUSH_MSAT = 40_000_000;

interface Chan {
  short_channel_id: string;
  to_us_msat: number;
  spendable_msat: number;
  receivable_msat: number;
}

describe('multi-part payments with LDK over two channels on boltworker regtest', () => {
  let net: LdkNetwork;
  let l: LdkDriver;

  before(async () => {
    net = await LdkNetwork.start('ldk-mpp', 1, 2);
    l = net.ldks[0]!;
    await net.open(l, FUNDING_SAT, PUSH_MSAT);
    await net.open(l, FUNDING_SAT, PUSH_MSAT);
    await net.confirmAll();
  });
  after(async () => {
    await net?.stop();
  });

  const ours = async () =>
    ((await net.node.call('listpeerchannels', {})) as { channels: Chan[] }).channels.sort((x, y) =>
      x.short_channel_id < y.short_channel_id ? -1 : 1,
    );

  it('LDK pays our invoice in parts over both channels: held until whole, paid once', async () => {
    const amount = 50_000_000;
    const before = await ours();
    equal(before.length, 2);
    for (const c of before) ok(c.receivable_msat < amount, `LDK cannot send it all over ${c.short_channel_id}`);
    // No route hints: LDK is our channels' peer. With a hint naming LDK itself over one channel,
    // LDK 0.1's router takes the hint's capacity as unbounded and sends the whole amount over that
    // channel (then fails it locally: "Cannot send more than our next-HTLC maximum").
    const inv = (await net.node.call('invoice', {
      amount_msat: amount,
      label: 'mpp-in',
      description: 'in parts',
      exposeprivatechannels: false,
    })) as {
      bolt11: string;
      payment_hash: string;
    };
    const from = l.events.length;
    const id = l.payInvoice(inv.bolt11, 'mpp-in');
    const out = await l.outcome(id);
    ok(out instanceof ldk.Event_PaymentSent, 'LDK: PaymentSent');
    equal(toHex(sha256(out.payment_preimage)), inv.payment_hash);
    // LDK reports each part's success once its HTLC is gone from both commitments.
    const parts = () => l.events.slice(from).filter(e => e instanceof ldk.Event_PaymentPathSuccessful).length;
    await l.until(() => parts() >= 2, 'reported two successful parts');
    const { invoices } = (await net.node.call('listinvoices', { label: 'mpp-in' })) as {
      invoices: { status: string; amount_received_msat: number | bigint; pay_index: number }[];
    };
    equal(invoices[0]!.status, 'paid');
    equal(BigInt(invoices[0]!.amount_received_msat), BigInt(amount));
    equal(invoices[0]!.pay_index, 1);
    const after = await fundsWhen(
      ours,
      l => l.reduce((s, c) => s + c.to_us_msat, 0) - before.reduce((s, c) => s + c.to_us_msat, 0) === amount,
      'the amount on our side',
    );
    for (let i = 0; i < 2; i++) ok(after[i]!.to_us_msat > before[i]!.to_us_msat, `a part came over ${after[i]!.short_channel_id}`);
    equal(l.events.filter(e => e instanceof ldk.Event_PaymentSent).length, 1, 'one PaymentSent');
  });

  it('our xpay pays LDK’s invoice in parts over both channels (each under LDK’s in-flight limit): claimed once', async () => {
    const amount = 30_000_000n; // LDK's max_htlc_value_in_flight_msat: 20,000,000 on each channel
    const before = await ours();
    const bolt11 = l.invoice(amount, 'in parts');
    const hash = toHex(invoiceParts(bolt11).hash);
    const r = (await net.node.call('xpay', { invstring: bolt11 })) as {
      payment_preimage: string;
      successful_parts: number;
      amount_msat: number | bigint;
      amount_sent_msat: number | bigint;
    };
    equal(toHex(sha256(fromHex(r.payment_preimage))), hash);
    ok(r.successful_parts >= 2, `${r.successful_parts} parts`);
    equal(BigInt(r.amount_sent_msat), amount, 'one hop: no fee');
    const claimable = l.claimable.filter(c => c.hash === hash);
    equal(claimable.length, 1, 'LDK saw the whole payment claimable once');
    equal(claimable[0]!.amount, amount);
    await l.event(
      (e): e is ldk.Event_PaymentClaimed => e instanceof ldk.Event_PaymentClaimed && toHex(e.payment_hash) === hash,
      'PaymentClaimed',
    );
    equal(l.events.filter(e => e instanceof ldk.Event_PaymentClaimed && toHex(e.payment_hash) === hash).length, 1);
    const sp = (await net.node.call('listsendpays', { payment_hash: hash })) as { payments: { status: string; amount_msat: number }[] };
    const done = sp.payments.filter(p => p.status === 'complete');
    ok(done.length >= 2, `${done.length} complete parts`);
    for (const p of done) ok(BigInt(p.amount_msat) <= 20_000_000n, `a part of ${p.amount_msat} within LDK's in-flight limit`);
    equal(
      done.reduce((s, p) => s + BigInt(p.amount_msat), 0n),
      amount,
    );
    const after = await fundsWhen(
      ours,
      l => before.reduce((s, c) => s + c.to_us_msat, 0) - l.reduce((s, c) => s + c.to_us_msat, 0) === Number(amount),
      'the amount gone from our side',
    );
    for (let i = 0; i < 2; i++) ok(after[i]!.to_us_msat < before[i]!.to_us_msat, `a part went over ${after[i]!.short_channel_id}`);
  });
});
