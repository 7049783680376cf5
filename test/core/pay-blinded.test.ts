// Paying over a blinded path and being paid over one (BOLT 4 "Route Blinding"): the payer's onion
// against bolt04/blinded-payment-onion-test.json byte for byte, the recipient's aggregated payinfo
// against the same vector, and a path we build to ourselves walked hop by hop as each node reads it.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey } from '../../src/core/crypto/primitives.ts';
import {
  OnionError,
  blindedNodeSecret,
  blindedOnionPoint,
  checkHopPayload,
  decodeEncryptedData,
  decodeHopPayload,
  peelOnion,
  unblindHop,
  unblindWithSharedSecret,
  type BlindedPath,
} from '../../src/core/onion/index.ts';
import { sharedSecret } from '../../src/core/onion/crypto.ts';
import {
  aggregateRelays,
  blindedFee,
  blindedFinal,
  blindedRelay,
  buildPartOnion,
  pathIdFor,
  receivePath,
  type PricedHop,
} from '../../src/core/pay/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { BLINDED_PAYMENT_ONION_TEST } from './onion-vector-blinded-payment.ts';

const g = BLINDED_PAYMENT_ONION_TEST.generate;
const relays = g.full_route.hops.slice(1, 4).map(h => {
  const r = (h.tlvs as { encrypted_recipient_data: { payment_relay: Record<string, number> } }).encrypted_recipient_data.payment_relay;
  return {
    cltv_expiry_delta: r.cltv_expiry_delta!,
    fee_proportional_millionths: r.fee_proportional_millionths ?? 0,
    fee_base_msat: r.fee_base_msat ?? 0,
  };
});

describe('BOLT 4 route blinding: the payer', () => {
  it('aggregates the relays of blinded-payment-onion-test.json into its blinded_payinfo', () => {
    deepEqual(aggregateRelays(relays, 0), {
      fee_base_msat: g.blinded_payinfo.fee_base_msat,
      fee_proportional_millionths: g.blinded_payinfo.fee_proportional_millionths,
      cltv_expiry_delta: g.blinded_payinfo.cltv_expiry_delta,
    });
    // the vector's Alice forwards the final amount plus the blinded fee
    equal(BigInt(g.final_amount_msat) + blindedFee(g.blinded_payinfo, BigInt(g.final_amount_msat)), 110125n);
  });

  it('builds the vector’s onion: a clear hop through Alice, then the blinded route from Bob', () => {
    const path: BlindedPath = {
      firstNodeId: fromHex(g.blinded_route.first_node_id),
      firstPathKey: fromHex(g.blinded_route.first_path_key),
      hops: g.blinded_route.hops.map(h => ({ blindedNodeId: fromHex(h.blinded_node_id), encryptedData: fromHex(h.encrypted_data) })),
    };
    const route: PricedHop[] = [
      { id: g.full_route.hops[0]!.pubkey, channel: '0x0x9', direction: 0, amount_msat: 110125n, delay: 150 },
      { id: g.blinded_route.first_node_id, channel: '0x0x10', direction: 0, amount_msat: 110125n, delay: 150 },
    ];
    const built = buildPartOnion(
      route,
      g.final_cltv,
      { blinded: { path, amount_msat: BigInt(g.final_amount_msat), total_msat: 150000n } },
      fromHex(g.associated_data),
      fromHex(g.session_key),
    );
    equal(toHex(built.onion), g.onion);
    equal(built.amount_msat, 110125n);
    equal(built.sharedSecrets.length, 5, 'Alice, Bob and the three blinded hops: the error onion reads any of them');
  });
});

describe('BOLT 4 route blinding: a path to us, read by each node', () => {
  const bobKey = fromHex('4141414141414141414141414141414141414141414141414141414141414141');
  const carolKey = fromHex('4242424242424242424242424242424242424242424242424242424242424242');
  const bob = getPublicKey(bobKey);
  const carol = getPublicKey(carolKey);
  const preimage = fromHex('0707070707070707070707070707070707070707070707070707070707070707');
  const relay = { cltv_expiry_delta: 40, fee_proportional_millionths: 1500, fee_base_msat: 1000 };
  const made = receivePath({
    sessionKey: fromHex('0909090909090909090909090909090909090909090909090909090909090909'),
    relays: [{ nodeId: bob, short_channel_id: (103n << 40n) | (1n << 16n) | 0n, relay, htlc_minimum_msat: 1000n }],
    ourNodeId: carol,
    path_id: pathIdFor(preimage),
    max_cltv_expiry: 1000,
    min_final_cltv_expiry_delta: 18,
    htlc_maximum_msat: 10_000_000n,
  });

  it('says the introduction node in clear, pads every hop’s data to one length, and tells the fees', () => {
    equal(toHex(made.path.firstNodeId), toHex(bob));
    equal(made.path.hops.length, 2);
    equal(made.path.hops[0]!.encryptedData.length, made.path.hops[1]!.encryptedData.length);
    deepEqual(made.payinfo, {
      fee_base_msat: 1000,
      fee_proportional_millionths: 1500,
      cltv_expiry_delta: 58,
      htlc_minimum_msat: 1000n,
      htlc_maximum_msat: 10_000_000n,
    });
  });

  it('carries a payment: Bob relays by payment_relay, Carol reads her path_id and the amount', () => {
    for (const amount of [1000n, 123_457n, 999_999n, 5_000_001n]) {
      const sent = amount + blindedFee(made.payinfo, amount);
      const height = 900;
      const route: PricedHop[] = [
        { id: toHex(bob), channel: '103x1x0', direction: 0, amount_msat: sent, delay: made.payinfo.cltv_expiry_delta + 1 },
      ];
      const part = buildPartOnion(
        route,
        height,
        { blinded: { path: made.path, amount_msat: amount, total_msat: amount } },
        new Uint8Array(32),
        fromHex('11'.repeat(32)),
      );
      // Bob: the onion is to his own key; his payload carries current_path_key (he is the introduction node)
      const atBob = peelOnion(bobKey, part.onion, new Uint8Array(32));
      const pb = decodeHopPayload(atBob.payload);
      checkHopPayload(pb, { final: false, pathKeyInHtlc: false });
      ok(pb.current_path_key);
      const ub = unblindHop(bobKey, pb.current_path_key.path_key, pb.encrypted_recipient_data!.encrypted_recipient_data);
      const fwd = blindedRelay(ub.decoded, { amount_msat: part.amount_msat, cltv_expiry: part.cltv_expiry });
      equal(fwd.short_channel_id, (103n << 40n) | (1n << 16n));
      equal(fwd.outgoing_cltv_value, part.cltv_expiry - 40);
      ok(fwd.amt_to_forward >= amount, `Bob forwards at least ${amount} (${fwd.amt_to_forward})`);
      ok(fwd.amt_to_forward - amount <= 1n, 'and not more than a rounding msat over it');
      // Carol: the HTLC carries Bob's next path_key; hsmd's plain ECDH of the tweaked onion key peels it
      const pathKey = ub.nextPathKey;
      const ssPath = sharedSecret(carolKey, pathKey);
      const tweaked = blindedOnionPoint(ssPath, atBob.next!.publicKey);
      deepEqual(sharedSecret(carolKey, tweaked), sharedSecret(blindedNodeSecret(carolKey, pathKey), atBob.next!.publicKey));
      const atCarol = peelOnion(blindedNodeSecret(carolKey, pathKey), atBob.nextBytes!, new Uint8Array(32));
      ok(!atCarol.next, 'Carol is final');
      const pc = decodeHopPayload(atCarol.payload);
      checkHopPayload(pc, { final: true, pathKeyInHtlc: true });
      equal(pc.amt_to_forward!.amt_to_forward, amount);
      equal(pc.total_amount_msat!.total_msat, amount);
      equal(pc.outgoing_cltv_value!.outgoing_cltv_value, height);
      const uc = unblindWithSharedSecret(ssPath, pathKey, pc.encrypted_recipient_data!.encrypted_recipient_data);
      const fin = blindedFinal(uc.decoded, { amount_msat: fwd.amt_to_forward, cltv_expiry: fwd.outgoing_cltv_value });
      equal(toHex(fin.path_id), toHex(pathIdFor(preimage)));
      ok(fwd.outgoing_cltv_value >= height + 18, 'Carol gets at least her min_final_cltv_expiry_delta');
    }
  });

  it('refuses with invalid_onion_blinding what breaks the constraints, a missing relay, or a feature bit', () => {
    const ub = unblindHop(bobKey, made.path.firstPathKey, made.path.hops[0]!.encryptedData);
    const max = ub.decoded.payment_constraints!.max_cltv_expiry;
    equal(max, 1000 + 18 + 40);
    const e = throws<OnionError>(() => blindedRelay(ub.decoded, { amount_msat: 50_000n, cltv_expiry: max + 1 }), OnionError);
    equal(e.failure, 'invalid_onion_blinding');
    throws(() => blindedRelay(ub.decoded, { amount_msat: 999n, cltv_expiry: max }), OnionError);
    blindedRelay(ub.decoded, { amount_msat: 50_000n, cltv_expiry: max });
    const { payment_relay: _r, ...noRelay } = ub.decoded;
    throws(() => blindedRelay(noRelay, { amount_msat: 50_000n, cltv_expiry: max }), OnionError);
    throws(
      () => blindedRelay({ ...ub.decoded, allowed_features: { features: fromHex('01') } }, { amount_msat: 50_000n, cltv_expiry: max }),
      OnionError,
    );
    blindedRelay({ ...ub.decoded, allowed_features: { features: new Uint8Array(0) } }, { amount_msat: 50_000n, cltv_expiry: max });
    // the final hop is told nothing to forward and must have a path_id
    const uc = decodeEncryptedData(unblindHop(carolKey, ub.nextPathKey, made.path.hops[1]!.encryptedData).data);
    throws(
      () => blindedFinal({ ...uc, short_channel_id: { short_channel_id: 1n } }, { amount_msat: 50_000n, cltv_expiry: 900 }),
      OnionError,
    );
    const { path_id: _p, ...noId } = uc;
    throws(() => blindedFinal(noId, { amount_msat: 50_000n, cltv_expiry: 900 }), OnionError);
  });
});
