// Our payer against LDK's blinded path (BOLT 4 "Route Blinding"), on `boltworker regtest`: LDK
// (npm lightningdevkit) builds a one-hop BlindedPaymentPath to itself for an inbound payment of
// its own (its ReceiveTlvs authenticated with its inbound key), we read it with LDK's getters and
// `xpayblinded` it: our onion's last hop carries LDK's encrypted_recipient_data, current_path_key and
// total_amount_msat; LDK decrypts them, sees PaymentClaimable and claims. The other direction (LDK
// paying a path of ours) is not possible with these bindings: BlindedPaymentPath has no reader from
// bytes, only LDK's own constructors.
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { equal, ok } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';
import type { LdkPeer } from './ldk/peer.ts';
import { startRegtestWithLdk, type RegtestWithLdk } from './ldk/regtest-node.ts';

const FUNDING_SAT = 200_000;
const PAY_MSAT = 7_000_000n;

describe('we pay a blinded path LDK made to itself', () => {
  let env: RegtestWithLdk | undefined;
  let peer: LdkPeer;
  let pump: ReturnType<typeof setInterval> | undefined;
  const seed = new Uint8Array(randomBytes(32));
  const claimable: { hash: string; amount: bigint; blinded: boolean }[] = [];

  /** LDK's loop: its events (a blinded receive is a BOLT 12 purpose, its preimage LDK's own), then its queue. */
  function ldkLoop(): void {
    const cm = peer.channelManager!;
    for (const e of peer.takeEvents()) {
      if (!(e instanceof ldk.Event_PaymentClaimable)) continue;
      const p = e.purpose;
      const blinded = p instanceof ldk.PaymentPurpose_Bolt12RefundPayment || p instanceof ldk.PaymentPurpose_Bolt12OfferPayment;
      claimable.push({ hash: toHex(e.payment_hash), amount: e.amount_msat, blinded });
      const pre = (p as { payment_preimage?: ldk.Option_ThirtyTwoBytesZ }).payment_preimage;
      if (pre instanceof ldk.Option_ThirtyTwoBytesZ_Some) cm.claim_funds(pre.some);
      else cm.fail_htlc_backwards(e.payment_hash);
    }
    peer.processEvents();
  }

  before(async () => {
    env = await startRegtestWithLdk('ldk-blinded', { seed });
    peer = env.peer;
    const n = env.node;
    await env.fundAndConnect(1_000_000);
    const r = (await n.call('fundchannel', { id: peer.nodeId, amount: FUNDING_SAT, feerate: '253perkw', announce: false })) as {
      txid: string;
      mindepth: number;
    };
    await env.confirmFunding(r.txid, r.mindepth);
    await fundsWhen(
      () => n.call('listpeerchannels', {}) as Promise<{ channels: { status: string[] }[] }>,
      l => /^CHANNELD_NORMAL:channeld normal/.test(l.channels[0]?.status[0] ?? ''),
      'a channeld in normal operation with LDK',
    );
    await fundsWhen(
      async () => ((await n.call('getinfo', {})) as { blockheight: number }).blockheight,
      height => height === env!.h.chain.height,
      'our node at the tip',
    );
    pump = setInterval(ldkLoop, 20);
  });
  after(async () => {
    if (pump) clearInterval(pump);
    await env?.stop();
  });

  it('xpayblinded pays it: LDK reads its blinded payload and claims, we have the preimage', async () => {
    const cm = peer.channelManager!;
    const inbound = cm.create_inbound_payment(ldk.Option_u64Z.constructor_some(PAY_MSAT), 3600, ldk.Option_u16Z.constructor_none());
    ok(inbound instanceof ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK, 'LDK made an inbound payment');
    const hash = inbound.res.get_a();
    const secret = inbound.res.get_b();
    // LDK's key for its inbound payments, from the same seed (the starting time does not enter it).
    const keys = ldk.KeysManager.constructor_new(seed, 1n, 0);
    const tlvs = ldk.UnauthenticatedReceiveTlvs.constructor_new(
      secret,
      ldk.PaymentConstraints.constructor_new(env!.h.chain.height + 1000, 1n),
      ldk.PaymentContext.constructor_bolt12_refund(ldk.Bolt12RefundContext.constructor_new()),
    ).authenticate(ldk.Nonce.constructor_from_entropy_source(keys.as_EntropySource()), keys.as_NodeSigner().get_inbound_payment_key());
    // min_final_cltv_expiry_delta 40: LDK refuses a final expiry within its own claim buffer ("The
    // final CLTV expiry is too soon to handle") at 18.
    const made = ldk.BlindedPaymentPath.constructor_one_hop(fromHex(peer.nodeId), tlvs, 40, keys.as_EntropySource());
    ok(made instanceof ldk.Result_BlindedPaymentPathNoneZ_OK, 'LDK made a blinded path');
    const path = made.res;
    const intro = path.introduction_node();
    ok(intro instanceof ldk.IntroductionNode_NodeId);
    const info = path.get_payinfo();
    const invoice_paths = [
      {
        first_node_id: toHex(intro.node_id),
        first_path_key: toHex(path.blinding_point()),
        path: path
          .blinded_hops()
          .map(h => ({ blinded_node_id: toHex(h.get_blinded_node_id()), encrypted_recipient_data: toHex(h.get_encrypted_payload()) })),
        payinfo: {
          fee_base_msat: info.get_fee_base_msat(),
          fee_proportional_millionths: info.get_fee_proportional_millionths(),
          cltv_expiry_delta: info.get_cltv_expiry_delta(),
          htlc_minimum_msat: info.get_htlc_minimum_msat().toString(),
          htlc_maximum_msat: info.get_htlc_maximum_msat().toString(),
        },
      },
    ];
    equal(invoice_paths[0]!.first_node_id, peer.nodeId, 'one hop: LDK is its own introduction node');
    const r = (await env!.node.call('xpayblinded', { payment_hash: toHex(hash), amount_msat: PAY_MSAT.toString(), invoice_paths })) as {
      payment_preimage: string;
      amount_msat: number;
      amount_sent_msat: number;
    };
    equal(toHex(sha256(fromHex(r.payment_preimage))), toHex(hash), "LDK's preimage");
    equal(Number(r.amount_sent_msat), Number(PAY_MSAT), 'a one-hop path: no fee');
    const seen = claimable.find(c => c.hash === toHex(hash));
    ok(seen, 'LDK saw PaymentClaimable');
    ok(seen.blinded, 'as a payment over its blinded path');
    equal(seen.amount, PAY_MSAT);
  });
});
