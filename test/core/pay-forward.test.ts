// A forwarding node (BOLT 4 "Requirements for intermediate nodes", "Failure Messages"; BOLT 7
// "HTLC Fees"): each failure with its data, and an onion peeled and forwarded as built.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey } from '../../src/core/crypto/primitives.ts';
import { checkHopPayload, decodeHopPayload, encodeFailure, peelOnion } from '../../src/core/onion/index.ts';
import { buildPartOnion, checkForward, forwardFee, forwardPayload, type OutgoingChannel } from '../../src/core/pay/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const update = fromHex('0102' + 'ab'.repeat(10));
const channel = (over: Partial<OutgoingChannel> = {}): OutgoingChannel => ({
  fee_base_msat: 1000,
  fee_proportional_millionths: 100,
  cltv_expiry_delta: 34,
  htlc_minimum_msat: 1000n,
  htlc_maximum_msat: 1_000_000_000n,
  enabled: true,
  spendable_msat: 500_000_000n,
  channel_update: update,
  ...over,
});
// fee for 10,000,000 msat: 1000 + 10,000,000 * 100 / 1,000,000 = 2000.
const payload = { short_channel_id: 0x0102030000010000n, amt_to_forward: 10_000_000n, outgoing_cltv_value: 900 };
const htlc = { amount_msat: 10_002_000n, cltv_expiry: 934 };
const opts = { blockheight: 800 };

function failureOf(v: ReturnType<typeof checkForward>) {
  ok(!v.ok, 'expected a failure');
  return v.failure;
}

describe('forwarding checks (BOLT 4 intermediate node)', () => {
  it('forwards an HTLC that pays exactly the fee and leaves exactly cltv_expiry_delta', () => {
    equal(forwardFee(10_000_000n, 1000, 100), 2000n);
    deepEqual(checkForward(htlc, payload, channel(), opts), {
      ok: true,
      short_channel_id: payload.short_channel_id,
      amount_msat: 10_000_000n,
      cltv_expiry: 900,
      fee_msat: 2000n,
    });
  });

  it('rounds the proportional fee down (BOLT 7)', () => {
    equal(forwardFee(9_999n, 0, 100), 0n);
    ok(checkForward({ amount_msat: 9_999n + 1000n, cltv_expiry: 934 }, { ...payload, amt_to_forward: 9_999n }, channel(), opts).ok);
  });

  it('fails one msat short of the fee with fee_insufficient, carrying the HTLC amount and our channel_update', () => {
    const f = failureOf(checkForward({ ...htlc, amount_msat: 10_001_999n }, payload, channel(), opts));
    deepEqual(f, { name: 'fee_insufficient', htlc_msat: 10_001_999n, channel_update: update });
    equal(toHex(encodeFailure(f)), '100c' + '0000000000989e4f' + '000c' + toHex(update));
  });

  it('fails one block short of the delta with incorrect_cltv_expiry, carrying the HTLC expiry', () => {
    deepEqual(failureOf(checkForward({ ...htlc, cltv_expiry: 933 }, payload, channel(), opts)), {
      name: 'incorrect_cltv_expiry',
      cltv_expiry: 933,
      channel_update: update,
    });
  });

  it('names every other refusal as BOLT 4 does', () => {
    equal(failureOf(checkForward(htlc, payload, undefined, opts)).name, 'unknown_next_peer');
    deepEqual(failureOf(checkForward(htlc, payload, channel({ enabled: false }), opts)), {
      name: 'channel_disabled',
      disabled_flags: 0,
      channel_update: update,
    });
    deepEqual(failureOf(checkForward(htlc, payload, channel({ htlc_minimum_msat: 10_000_001n }), opts)), {
      name: 'amount_below_minimum',
      htlc_msat: 10_000_000n,
      channel_update: update,
    });
    deepEqual(failureOf(checkForward(htlc, payload, channel({ htlc_maximum_msat: 9_999_999n }), opts)), {
      name: 'temporary_channel_failure',
      channel_update: update,
    });
    deepEqual(failureOf(checkForward(htlc, payload, channel({ spendable_msat: 9_999_999n }), opts)), {
      name: 'temporary_channel_failure',
      channel_update: update,
    });
    // expiry_too_soon: outgoing 900 at or within 3 blocks of the tip (897), not at 896.
    ok(checkForward(htlc, payload, channel(), { blockheight: 896 }).ok);
    deepEqual(failureOf(checkForward(htlc, payload, channel(), { blockheight: 897 })), { name: 'expiry_too_soon', channel_update: update });
    deepEqual(failureOf(checkForward({ ...htlc, cltv_expiry: 2_817 }, payload, channel(), opts)), { name: 'expiry_too_far' });
    ok(checkForward({ ...htlc, cltv_expiry: 2_816 }, payload, channel(), opts).ok);
  });

  it('peels a payer-built onion and forwards what the payload says', () => {
    const key = new Uint8Array(32).fill(11);
    const last = new Uint8Array(32).fill(12);
    const hash = new Uint8Array(32).fill(13);
    const route = [
      { id: toHex(getPublicKey(key)), channel: '1x1x0', direction: 0 as const, amount_msat: 10_002_000n, delay: 134 },
      { id: toHex(getPublicKey(last)), channel: '258x3x1', direction: 1 as const, amount_msat: 10_000_000n, delay: 100 },
    ];
    const built = buildPartOnion(route, 800, { payment_secret: new Uint8Array(32) }, hash, new Uint8Array(32).fill(5));
    const peeled = peelOnion(key, built.onion, hash);
    ok(peeled.next);
    const p = decodeHopPayload(peeled.payload);
    checkHopPayload(p, { final: false, pathKeyInHtlc: false });
    const fp = forwardPayload(p);
    deepEqual(fp, { short_channel_id: (258n << 40n) | (3n << 16n) | 1n, amt_to_forward: 10_000_000n, outgoing_cltv_value: 900 });
    const v = checkForward({ amount_msat: built.amount_msat, cltv_expiry: built.cltv_expiry }, fp, channel(), opts);
    ok(v.ok);
    equal(v.cltv_expiry, 900);
  });
});
