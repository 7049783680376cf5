// LDK pays our node, on `boltworker regtest`: we open a channel to LDK with `fundchannel`, pushing
// it half, and once the channel is ready on both sides LDK pays our BOLT 11 invoice (parsed by
// LDK, hinting our private channel, routed over it): our lightningd peels the onion with hsmd's
// ECDH, marks the invoice paid durably, then fulfills; LDK reports PaymentSent with our preimage and
// `waitinvoice` answers paid. Then a keysend from LDK (the preimage LDK chose, recorded as a
// `keysend-…` invoice), and a payment of too little, failed back with
// incorrect_or_unknown_payment_details, which LDK decodes from our error onion and reports.
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { decodeInvoice } from '../../src/core/bolt11/invoice.ts';
import { formatScid } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import type { LdkPeer } from './ldk/peer.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';

const FUNDING_SAT = 200_000;
const PUSH_MSAT = 100_000_000;

interface Paid {
  label: string;
  status: string;
  pay_index: number;
  /** A bigint in process (the RPC's JSON writes it as a number). */
  amount_received_msat: bigint | number;
  payment_preimage: string;
}

describe('LDK pays our node on boltworker regtest', () => {
  let env: RegtestWithLdk;
  let node: RegtestWithLdk['node'] | undefined;
  let peer: LdkPeer | undefined;
  const events: ldk.Event[] = [];

  before(async () => {
    env = await startRegtestWithLdk('ldk-receive');
    ({ node, peer } = env);
  });
  after(async () => {
    await env?.stop();
  });

  /** LDK's pending work: HTLC forwards, messages out, and its events (kept in `events`). */
  function pumpLdk(): void {
    events.push(...peer!.takeEvents());
    peer!.processEvents();
  }

  /** Polls LDK (at most 600 times, 20 ms apart) until `pred` finds an event. */
  async function ldkEvent<E extends ldk.Event>(pred: (e: ldk.Event) => e is E, what: string): Promise<E> {
    for (let i = 0; i < 600; i++) {
      pumpLdk();
      const e = events.find(pred);
      if (e) return e;
      await new Promise(r => setTimeout(r, 20));
    }
    throw new Error(`LDK never reported ${what}`);
  }

  const paymentId = (s: string) => sha256(new TextEncoder().encode(s));
  const retry = () => ldk.Retry.constructor_attempts(0);

  it('opens a channel to LDK, pushing it half; ready on both sides', async () => {
    const n = node!;
    await env.fundAndConnect(1_000_000);
    const r = (await n.call('fundchannel', {
      id: peer!.nodeId,
      amount: FUNDING_SAT,
      feerate: '253perkw',
      announce: false,
      push_msat: PUSH_MSAT,
    })) as { txid: string; mindepth: number };
    await env.confirmFunding(r.txid, r.mindepth);
    await fundsWhen(
      () => n.call('listpeerchannels', {}) as Promise<{ channels: { state: string }[] }>,
      l => l.channels[0]?.state === 'CHANNELD_NORMAL',
      'CHANNELD_NORMAL with LDK',
    );
    for (let i = 0; i < 300 && !peer!.channelManager!.list_usable_channels().length; i++) {
      pumpLdk();
      await new Promise(r => setTimeout(r, 20));
    }
    equal(peer!.channelManager!.list_usable_channels().length, 1, 'LDK can pay over the channel');
  });

  it('LDK pays our invoice: paid durably, LDK gets our preimage (PaymentSent), waitinvoice answers paid', async () => {
    const n = node!;
    const inv = (await n.call('invoice', { amount_msat: 10_000_000, label: 'ldk-1', description: 'from LDK' })) as {
      bolt11: string;
      payment_hash: string;
    };
    const waiting = n.call('waitinvoice', { label: 'ldk-1' }) as Promise<Paid>;
    // Our channel is private: the invoice hints it, from LDK over the alias LDK sent in channel_ready
    // (as Core Lightning hints a private channel; LDK recognizes its alias for HTLCs to the channel).
    const { channels } = (await n.call('listpeerchannels', {})) as {
      channels: { short_channel_id: string; alias?: { remote?: string } }[];
    };
    const hints = decodeInvoice(inv.bolt11).routes.map(r => r.map(hop => [toHex(hop.pubkey), formatScid(hop.shortChannelId)]));
    ok(channels[0]!.alias?.remote && channels[0]!.alias.remote !== channels[0]!.short_channel_id, 'LDK sent an alias');
    deepEqual(hints, [[[peer!.nodeId, channels[0]!.alias!.remote!]]]);
    const parsed = ldk.Bolt11Invoice.constructor_from_str(inv.bolt11);
    ok(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK, 'LDK parses our invoice');
    const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
    ok(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK);
    const [hash, onion, route] = [params.res.get_a(), params.res.get_b(), params.res.get_c()];
    equal(toHex(hash), inv.payment_hash);
    const sent = peer!.channelManager!.send_payment(hash, onion, paymentId('ldk-1'), route, retry());
    ok(sent.is_ok(), 'LDK sends');
    const done = await ldkEvent((e): e is ldk.Event_PaymentSent => e instanceof ldk.Event_PaymentSent, 'PaymentSent');
    equal(toHex(sha256(done.payment_preimage)), inv.payment_hash);
    const paid = await waiting;
    equal(paid.status, 'paid');
    equal(paid.pay_index, 1);
    equal(BigInt(paid.amount_received_msat), 10_000_000n);
    equal(paid.payment_preimage, toHex(done.payment_preimage), 'the preimage LDK got is the invoice’s');
  });

  it('LDK keysends to us: fulfilled with LDK’s preimage, recorded as a paid keysend-… invoice', async () => {
    const n = node!;
    const preimage = sha256(new TextEncoder().encode(`keysend ${Date.now()}`));
    const route = ldk.RouteParameters.constructor_from_payment_params_and_value(
      ldk.PaymentParameters.constructor_for_keysend(fromHex(n.id), 40, false),
      3_000_000n,
    );
    const sent = peer!.channelManager!.send_spontaneous_payment(
      ldk.Option_ThirtyTwoBytesZ.constructor_some(preimage),
      ldk.RecipientOnionFields.constructor_spontaneous_empty(),
      paymentId('keysend'),
      route,
      retry(),
    );
    ok(sent.is_ok(), 'LDK sends the keysend');
    const done = await ldkEvent(
      (e): e is ldk.Event_PaymentSent => e instanceof ldk.Event_PaymentSent && toHex(e.payment_preimage) === toHex(preimage),
      'PaymentSent for the keysend',
    );
    ok(done);
    const { invoices } = (await n.call('listinvoices', { payment_hash: toHex(sha256(preimage)) })) as { invoices: Paid[] };
    equal(invoices.length, 1);
    ok(invoices[0]!.label.startsWith('keysend-'), invoices[0]!.label);
    equal(invoices[0]!.status, 'paid');
    equal(BigInt(invoices[0]!.amount_received_msat), 3_000_000n);
    equal(invoices[0]!.pay_index, 2);
  });

  it('LDK pays too little: failed back with incorrect_or_unknown_payment_details, which LDK decodes; the invoice stays unpaid', async () => {
    const n = node!;
    const inv = (await n.call('invoice', { amount_msat: 5_000_000, label: 'short', description: 'x' })) as {
      payment_hash: string;
      payment_secret: string;
    };
    const route = ldk.RouteParameters.constructor_from_payment_params_and_value(
      ldk.PaymentParameters.constructor_from_node_id(fromHex(n.id), 40),
      4_000_000n,
    );
    const logsBefore = peer!.logs.length;
    const sent = peer!.channelManager!.send_payment(
      fromHex(inv.payment_hash),
      ldk.RecipientOnionFields.constructor_secret_only(fromHex(inv.payment_secret)),
      paymentId('short'),
      route,
      retry(),
    );
    ok(sent.is_ok());
    const failed = await ldkEvent(
      (e): e is ldk.Event_PaymentFailed => e instanceof ldk.Event_PaymentFailed && toHex(e.payment_id) === toHex(paymentId('short')),
      'PaymentFailed',
    );
    const reason = failed.reason;
    ok(reason instanceof ldk.Option_PaymentFailureReasonZ_Some);
    equal(reason.some, ldk.PaymentFailureReason.LDKPaymentFailureReason_RecipientRejected, 'the recipient rejected it');
    const path = events.find(
      (e): e is ldk.Event_PaymentPathFailed => e instanceof ldk.Event_PaymentPathFailed && toHex(e.payment_hash) === inv.payment_hash,
    );
    ok(path?.payment_failed_permanently, 'a permanent failure from the final node');
    // LDK's onion_utils logs the failure it decoded from our error onion: the erring node (us), name and code.
    const decoded = peer!.logs
      .slice(logsBefore)
      .find(l => l.text.includes(`Onion Error[from ${n.id}: incorrect_or_unknown_payment_details(0x400f)]`));
    ok(
      decoded,
      `LDK decoded our failure: ${peer!.logs
        .slice(logsBefore)
        .map(l => l.text)
        .filter(t => /rror/.test(t))
        .join(' | ')}`,
    );
    const { invoices } = (await n.call('listinvoices', { label: 'short' })) as { invoices: Paid[] };
    equal(invoices[0]!.status, 'unpaid');
  });
});
