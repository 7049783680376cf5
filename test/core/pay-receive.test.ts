// The final node (BOLT 4 "Requirements for the final node", "Basic Multi-Part Payments"): each
// failure with its data, an onion built by the payer read back at the payee, and the HTLC set.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { checkHopPayload, decodeHopPayload, encodeFailure, peelOnion } from '../../src/core/onion/index.ts';
import {
  HtlcSets,
  buildPartOnion,
  checkFinalHtlc,
  finalPayload,
  keysendPreimage,
  keysendFinal,
  checkKeysendHtlc,
  type FinalPayload,
  type InvoiceTerms,
} from '../../src/core/pay/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const secret = new Uint8Array(32).fill(7);
const invoice = (over: Partial<InvoiceTerms> = {}): InvoiceTerms => ({
  amount_msat: 100_000n,
  payment_secret: secret,
  min_final_cltv_expiry: 18,
  expires_at: 2_000,
  status: 'unpaid',
  ...over,
});
const payload = (over: Partial<FinalPayload> = {}): FinalPayload => ({
  amt_to_forward: 100_000n,
  outgoing_cltv_value: 830,
  total_msat: 100_000n,
  payment_secret: secret,
  ...over,
});
const ctx = { blockheight: 800, now: 1_000 };
const htlc = { amount_msat: 100_000n, cltv_expiry: 830 };

function failureOf(v: ReturnType<typeof checkFinalHtlc>) {
  ok(!v.ok, 'expected a failure');
  return v.failure;
}

describe('final node checks (BOLT 4)', () => {
  it('accepts an HTLC that pays the invoice', () => {
    const v = checkFinalHtlc(htlc, payload(), invoice(), ctx);
    ok(v.ok);
  });

  it('fails an HTLC below amt_to_forward with final_incorrect_htlc_amount, carrying the HTLC amount', () => {
    const f = failureOf(checkFinalHtlc({ ...htlc, amount_msat: 99_999n }, payload(), invoice(), ctx));
    deepEqual(f, { name: 'final_incorrect_htlc_amount', incoming_htlc_amt: 99_999n });
    equal(toHex(encodeFailure(f)), '0013' + '000000000001869f');
  });

  it('fails an HTLC expiring before outgoing_cltv_value with final_incorrect_cltv_expiry', () => {
    const f = failureOf(checkFinalHtlc({ ...htlc, cltv_expiry: 829 }, payload(), invoice(), ctx));
    deepEqual(f, { name: 'final_incorrect_cltv_expiry', cltv_expiry: 829 });
  });

  it('answers incorrect_or_unknown_payment_details with htlc_msat and height for every invoice mismatch', () => {
    const ipd = { name: 'incorrect_or_unknown_payment_details', htlc_msat: 100_000n, height: 800 };
    const cases: [string, ReturnType<typeof checkFinalHtlc>][] = [
      ['unknown hash', checkFinalHtlc(htlc, payload(), undefined, ctx)],
      ['paid', checkFinalHtlc(htlc, payload(), invoice({ status: 'paid' }), ctx)],
      ['expired', checkFinalHtlc(htlc, payload(), invoice(), { ...ctx, now: 2_000 })],
      ['cltv too soon', checkFinalHtlc({ ...htlc, cltv_expiry: 817 }, payload({ outgoing_cltv_value: 817 }), invoice(), ctx)],
      ['no secret', checkFinalHtlc(htlc, payload({ payment_secret: undefined as never }), invoice(), ctx)],
      ['wrong secret', checkFinalHtlc(htlc, payload({ payment_secret: new Uint8Array(32).fill(8) }), invoice(), ctx)],
      ['underpaid total', checkFinalHtlc(htlc, payload({ total_msat: 99_999n }), invoice(), ctx)],
      [
        'over twice',
        checkFinalHtlc({ ...htlc, amount_msat: 200_001n }, payload({ amt_to_forward: 200_001n, total_msat: 200_001n }), invoice(), ctx),
      ],
      ['metadata missing', checkFinalHtlc(htlc, payload(), invoice({ payment_metadata: fromHex('01fafaf0') }), ctx)],
    ];
    for (const [why, v] of cases) {
      const f = failureOf(v);
      if (why === 'over twice') deepEqual(f, { ...ipd, htlc_msat: 200_001n }, why);
      else deepEqual(f, ipd, why);
    }
    equal(toHex(encodeFailure(failureOf(cases[0]![1]))), '400f' + '00000000000186a0' + '00000320');
  });

  it('lets the cltv reach exactly blockheight + min_final_cltv_expiry, and twice the amount', () => {
    ok(checkFinalHtlc({ ...htlc, cltv_expiry: 818 }, payload({ outgoing_cltv_value: 818 }), invoice(), ctx).ok);
    ok(checkFinalHtlc({ ...htlc, amount_msat: 200_000n }, payload({ amt_to_forward: 200_000n, total_msat: 200_000n }), invoice(), ctx).ok);
  });

  it('takes any amount for an "any" invoice, and a part of a larger total', () => {
    ok(
      checkFinalHtlc(
        { ...htlc, amount_msat: 5n },
        payload({ amt_to_forward: 5n, total_msat: 5n }),
        invoice({ amount_msat: undefined }),
        ctx,
      ).ok,
    );
    ok(checkFinalHtlc({ ...htlc, amount_msat: 40_000n }, payload({ amt_to_forward: 40_000n }), invoice(), ctx).ok);
  });

  it('reads the payload the payer built: payment_data, payment_metadata, total_msat', () => {
    const nodeKey = new Uint8Array(32).fill(3);
    const hash = sha256(new Uint8Array(32).fill(9));
    const route = [{ id: toHex(getPublicKey(nodeKey)), channel: '1x1x0', direction: 0 as const, amount_msat: 40_000n, delay: 18 }];
    const built = buildPartOnion(
      route,
      800,
      { payment_secret: secret, total_msat: 100_000n, payment_metadata: fromHex('01fafaf0') },
      hash,
      new Uint8Array(32).fill(5),
    );
    equal(built.cltv_expiry, 818);
    const peeled = peelOnion(nodeKey, built.onion, hash);
    equal(peeled.next, undefined);
    const p = decodeHopPayload(peeled.payload);
    checkHopPayload(p, { final: true, pathKeyInHtlc: false });
    const fp = finalPayload(p);
    deepEqual(fp, {
      amt_to_forward: 40_000n,
      outgoing_cltv_value: 818,
      total_msat: 100_000n,
      payment_secret: secret,
      payment_metadata: fromHex('01fafaf0'),
    });
    ok(
      checkFinalHtlc(
        { amount_msat: built.amount_msat, cltv_expiry: built.cltv_expiry },
        fp,
        invoice({ payment_metadata: fromHex('01fafaf0') }),
        ctx,
      ).ok,
    );
  });

  it('reads a keysend preimage only when it hashes to the payment_hash', () => {
    const pre = new Uint8Array(32).fill(4);
    const nodeKey = new Uint8Array(32).fill(3);
    const route = [{ id: toHex(getPublicKey(nodeKey)), channel: '1x1x0', direction: 0 as const, amount_msat: 1_000n, delay: 22 }];
    const built = buildPartOnion(
      route,
      800,
      { ...keysendFinal(pre), extra: [{ type: 7777777n, value: fromHex('ab') }] },
      sha256(pre),
      new Uint8Array(32).fill(5),
    );
    const p = decodeHopPayload(peelOnion(nodeKey, built.onion, sha256(pre)).payload);
    equal(toHex(keysendPreimage(p, sha256(pre))!), toHex(pre));
    equal(keysendPreimage(p, sha256(new Uint8Array(32))), undefined);
    equal(p.payment_data, undefined);
    const fp = finalPayload(p);
    const at = { amount_msat: built.amount_msat, cltv_expiry: built.cltv_expiry, payment_hash: sha256(pre) };
    const v = checkKeysendHtlc(at, fp, keysendPreimage(p, sha256(pre)), 22, ctx);
    ok(v.ok);
    equal(toHex(v.preimage!), toHex(pre));
    deepEqual(checkKeysendHtlc({ ...at, payment_hash: new Uint8Array(32) }, fp, pre, 22, ctx), {
      ok: false,
      failure: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 1_000n, height: 800 },
      why: 'no keysend preimage for this payment_hash',
    });
    equal(failureOf(checkKeysendHtlc(at, fp, pre, 23, ctx)).name, 'incorrect_or_unknown_payment_details');
    equal(failureOf(checkKeysendHtlc({ ...at, amount_msat: 999n }, fp, pre, 22, ctx)).name, 'final_incorrect_htlc_amount');
    deepEqual(p.unknown, [{ type: 7777777n, value: fromHex('ab') }]);
  });
});

describe('HTLC sets (BOLT 4 basic multi-part payments)', () => {
  const hash = new Uint8Array(32).fill(1);
  const part = (id: number, amt: bigint, over: Record<string, unknown> = {}) => ({
    id,
    payment_hash: hash,
    htlc_msat: amt,
    amt_to_forward: amt,
    total_msat: 100_000n,
    payment_secret: secret,
    ...over,
  });

  it('holds parts until their sum reaches total_msat, then fulfils them all together', () => {
    let t = 0;
    const sets = new HtlcSets<number>({ now: () => t });
    deepEqual(sets.add(part(1, 30_000n), 800), { status: 'held', received_msat: 30_000n });
    t = 10_000;
    deepEqual(sets.add(part(2, 30_000n), 800), { status: 'held', received_msat: 60_000n });
    deepEqual(sets.add(part(3, 50_000n), 800), { status: 'complete', ids: [1, 2, 3], received_msat: 110_000n });
    equal(sets.size, 0);
    equal(sets.nextDeadline(), undefined);
  });

  it('fails every held part with mpp_timeout 60 s after the first one arrived, not before', () => {
    let t = 5_000;
    const sets = new HtlcSets<number>({ now: () => t });
    sets.add(part(1, 30_000n), 800);
    t = 50_000;
    sets.add(part(2, 30_000n), 800);
    equal(sets.nextDeadline(), 65_000);
    t = 64_999;
    deepEqual(sets.expire(), []);
    t = 65_000;
    deepEqual(sets.expire(), [
      { id: 1, failure: { name: 'mpp_timeout' } },
      { id: 2, failure: { name: 'mpp_timeout' } },
    ]);
    equal(sets.size, 0);
  });

  it('fails the whole set when a part names another total_msat', () => {
    const sets = new HtlcSets<number>({ now: () => 0 });
    sets.add(part(1, 30_000n), 800);
    const r = sets.add(part(2, 80_000n, { total_msat: 110_000n }), 801);
    deepEqual(r, {
      status: 'failed',
      failed: [
        { id: 1, failure: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 30_000n, height: 801 } },
        { id: 2, failure: { name: 'incorrect_or_unknown_payment_details', htlc_msat: 80_000n, height: 801 } },
      ],
    });
    equal(sets.size, 0);
  });

  it('fails only the part whose payment_secret differs, and keeps the set', () => {
    const sets = new HtlcSets<number>({ now: () => 0 });
    sets.add(part(1, 60_000n), 800);
    const r = sets.add(part(2, 60_000n, { payment_secret: new Uint8Array(32).fill(2) }), 800);
    equal(r.status, 'failed');
    equal(sets.size, 1);
    equal(sets.add(part(3, 40_000n), 800).status, 'complete');
  });

  it('fails a held set before any of its HTLCs comes within the margin of its expiry', () => {
    const sets = new HtlcSets<number>({ now: () => 0 });
    sets.add(part(1, 30_000n, { cltv_expiry: 900 }), 800);
    sets.add(part(2, 30_000n, { cltv_expiry: 850 }), 800);
    sets.add(part(3, 30_000n, { payment_hash: new Uint8Array(32).fill(2), cltv_expiry: 950 }), 800);
    deepEqual(sets.expireByHeight(839, 10), []);
    deepEqual(sets.expireByHeight(840, 10), [
      { id: 1, failure: { name: 'mpp_timeout' } },
      { id: 2, failure: { name: 'mpp_timeout' } },
    ]);
    equal(sets.size, 1);
  });

  it('bounds the parts of one set and the parts held in all', () => {
    const sets = new HtlcSets<number>({ now: () => 0, maxPartsPerSet: 2, maxPartsHeld: 3 });
    sets.add(part(1, 1n), 800);
    sets.add(part(2, 1n), 800);
    deepEqual(sets.add(part(3, 1n), 800), { status: 'failed', failed: [{ id: 3, failure: { name: 'temporary_node_failure' } }] });
    sets.add(part(4, 1n, { payment_hash: new Uint8Array(32).fill(2) }), 800);
    deepEqual(sets.add(part(5, 1n, { payment_hash: new Uint8Array(32).fill(3) }), 800), {
      status: 'failed',
      failed: [{ id: 5, failure: { name: 'temporary_node_failure' } }],
    });
    equal(sets.size, 3);
  });
});
