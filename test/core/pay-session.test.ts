// The payer's session (an xpay-like state machine) over a small network whose nodes really peel
// the onions and check the HTLCs (pay-session-net.ts): one part, a split across two channels,
// failures that teach it (a fresh channel_update, a forged one, a channel that carries less, the
// destination's final word), retry_for with a fake clock, maxfee and maxdelay.
import { toHex } from '../../src/core/base/bytes.ts';
import { encodeFailure, createErrorPacket } from '../../src/core/onion/index.ts';
import {
  PAY_DESTINATION_PERM_FAIL,
  PAY_ROUTE_NOT_FOUND,
  PAY_STOPPED_RETRYING,
  checkFailureUpdate,
  failureAction,
  unattributableAction,
  PaySession,
  type PayEnv,
  withHints,
  type PricedHop,
} from '../../src/core/pay/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { B, C, CHAIN, D, Net, PREIMAGE, U, diamond, dir, hex, pub, signedUpdate } from './pay-session-net.ts';
import { parseScid } from '../../src/core/wire/scid.ts';

const viaOf = (route: readonly PricedHop[]) => route.map(h => h.channel).join(',');

describe('payment session (xpay) over a live small network', () => {
  it('pays in one part through the cheaper route, the fee as BOLT 7 computes it', () => {
    const net = diamond();
    const s = net.session({ amount_msat: 100_000n });
    const r = net.run(s);
    ok(
      r.status === 'complete',
      JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    equal(toHex(r.payment_preimage), toHex(PREIMAGE));
    // B charges 1000 + 100,000 * 1000 / 1,000,000 = 1100.
    deepEqual([r.amount_msat, r.amount_sent_msat, r.successful_parts, r.failed_parts], [100_000n, 101_100n, 1, 0]);
    equal(viaOf(s.records()[0]!.route), '1x1x0,3x1x0');
    equal(s.records()[0]!.route[0]!.delay, 59); // 18 final + 1 block of slack + B's 40
  });

  it('splits the amount when no channel of ours can carry it, and the payee takes the parts together', () => {
    const net = diamond({ ub: 60_000_000n, uc: 60_000_000n });
    const s = net.session({ amount_msat: 100_000_000n });
    const r = net.run(s);
    ok(r.status === 'complete');
    equal(r.amount_msat, 100_000_000n);
    const parts = s.records();
    ok(parts.length >= 2);
    for (const p of parts) ok(p.sent_msat <= 60_000_000n, `part ${p.partid} sends ${p.sent_msat}`);
    equal(new Set(parts.map(p => p.route[0]!.channel)).size, 2);
    equal(r.successful_parts, parts.length);
  });

  it('applies the newer, correctly signed channel_update a fee_insufficient brings, and pays at the new fee', () => {
    const net = diamond();
    // B now charges base 1500 on 3x1x0; the graph still says 1000.
    const fresh = { base: 1500, ppm: 1000, delta: 40 };
    const real = net.real.get(`${B}/3x1x0`)!;
    Object.assign(real, { fee_base_msat: 1500, channel_update: signedUpdate('3x1x0', B, D, fresh, 2_000) });
    const s = net.session({ amount_msat: 100_000n });
    const r = net.run(s);
    ok(r.status === 'complete');
    deepEqual([r.failed_parts, r.amount_sent_msat], [1, 101_600n]); // still through B: 1600 < C's 2200
    equal(viaOf(s.records()[1]!.route), '1x1x0,3x1x0');
    equal(s.overlay.policy('3x1x0', dir(B, D), () => undefined)?.fee_base_msat, 1500);
  });

  it('refuses a channel_update signed by another node, excludes the channel and goes through C', () => {
    const net = diamond();
    const real = net.real.get(`${B}/3x1x0`)!;
    Object.assign(real, {
      fee_base_msat: 1500,
      channel_update: signedUpdate('3x1x0', B, D, { base: 1500, ppm: 1000, delta: 40 }, 2_000, C),
    });
    const s = net.session({ amount_msat: 100_000n });
    const r = net.run(s);
    ok(r.status === 'complete');
    equal(r.amount_sent_msat, 102_200n);
    equal(viaOf(s.records()[1]!.route), '2x1x0,4x1x0');
    equal(
      s.overlay.policy('3x1x0', dir(B, D), () => undefined),
      undefined,
    );
    ok(s.overlay.excluded.has(`3x1x0/${dir(B, D)}`));
  });

  it('does not take an update no newer than the one held: the channel is excluded instead', () => {
    const net = diamond();
    const real = net.real.get(`${B}/3x1x0`)!;
    // Same timestamp as the graph's (1000), another fee.
    Object.assign(real, { fee_base_msat: 1500, channel_update: signedUpdate('3x1x0', B, D, { base: 1500, ppm: 1000, delta: 40 }, 1_000) });
    const s = net.session({ amount_msat: 100_000n });
    const r = net.run(s);
    ok(r.status === 'complete');
    equal(viaOf(s.records()[1]!.route), '2x1x0,4x1x0');
    ok(s.overlay.excluded.has(`3x1x0/${dir(B, D)}`));
  });

  it('learns from temporary_channel_failure that a channel carries less, and splits around it', () => {
    const net = diamond({ bd: 50_000_000n, cd: 50_000_000n });
    const s = net.session({ amount_msat: 80_000_000n });
    const r = net.run(s);
    ok(r.status === 'complete');
    equal(r.amount_msat, 80_000_000n);
    for (const p of s.records().filter(p => p.status === 'complete')) ok(p.delivers_msat <= 50_000_000n);
    ok(net.log.some(l => l.includes('temporary_channel_failure at hop 0')));
    ok(s.overlay.maxCarry('3x1x0', dir(B, D))! < 80_000_000n);
  });

  it('waits for held parts, which the payee fails with mpp_timeout after 60 s; then no set of routes carries the whole amount: 205', () => {
    const net = diamond({ ub: 60_000_000n });
    net.intercept = node => (node === C ? { name: 'temporary_node_failure' } : undefined);
    const s = net.session({ amount_msat: 100_000_000n, retry_for_s: 60 });
    const r = net.run(s);
    ok(r.status === 'failed');
    // C excluded, B alone carries 60 of the 100: no part is sent again to be held for nothing.
    equal(r.code, PAY_ROUTE_NOT_FOUND);
    const parts = s.records();
    ok(parts.every(p => p.status === 'failed'));
    // Every part through B reached D and was held there, none fulfilled without the whole amount.
    ok(parts.filter(p => p.route[0]!.channel === '1x1x0').every(p => p.failure?.startsWith('mpp_timeout')));
    equal(net.sets.size, 0);
  });

  it('sends nothing when our channels together cannot carry the amount: 205 at once, no part held at the payee', () => {
    const net = diamond({ ub: 60_000_000n, uc: 30_000_000n });
    const s = net.session({ amount_msat: 100_000_000n, retry_for_s: 60 });
    const r = net.run(s);
    ok(r.status === 'failed');
    equal(r.code, PAY_ROUTE_NOT_FOUND);
    deepEqual(s.records(), [], 'no part sent');
    equal(net.sets.size, 0);
  });

  it("stops at the destination's incorrect_or_unknown_payment_details, without retrying", () => {
    const net = diamond();
    net.invoice = { ...net.invoice, payment_secret: new Uint8Array(32).fill(1) };
    const s = net.session({ amount_msat: 100_000n });
    const r = net.run(s);
    ok(r.status === 'failed');
    equal(r.code, PAY_DESTINATION_PERM_FAIL);
    ok(r.message.startsWith('incorrect_or_unknown_payment_details'), r.message);
    equal(s.records().length, 1);
  });

  it('gives up when retry_for has passed, and not before', () => {
    const net = diamond();
    net.intercept = node => (node === B || node === C ? { name: 'temporary_node_failure' } : undefined);
    const s = net.session({ amount_msat: 100_000n, retry_for_s: 60 });
    // First round: B fails (node excluded); the clock moves 61 s before the retry.
    const r = net.run(s, () => (net.t += 61_000));
    ok(r.status === 'failed');
    equal(r.code, PAY_STOPPED_RETRYING);
    equal(s.records().length, 1);
    // With time left it retries through C, which fails too, and then no route is left.
    const net2 = diamond();
    net2.intercept = net.intercept;
    const s2 = net2.session({ amount_msat: 100_000n, retry_for_s: 60 });
    const r2 = net2.run(s2);
    ok(r2.status === 'failed');
    equal(r2.code, PAY_ROUTE_NOT_FOUND);
    deepEqual(
      s2.records().map(p => viaOf(p.route)),
      ['1x1x0,3x1x0', '2x1x0,4x1x0'],
    );
  });

  it("reaches a payee on a private channel through the invoice's route hint", () => {
    const net = new Net();
    const zero = { base: 0, ppm: 0, delta: 6 };
    net.link(1, U, B, zero, zero);
    net.link(2, U, C, zero, zero);
    net.link(3, B, C, { base: 10, ppm: 10, delta: 10 }, zero);
    net.link(4, C, D, { base: 2000, ppm: 2000, delta: 40 }, zero, undefined, true);
    const hint = [
      { pubkey: pub(C), shortChannelId: parseScid('4x1x0'), feeBaseMsat: 2000, feeProportionalMillionths: 2000, cltvExpiryDelta: 40 },
    ];
    // Without the hint there is no route.
    const bare = net.run(net.session({ amount_msat: 100_000n }));
    ok(bare.status === 'failed');
    equal(bare.code, PAY_ROUTE_NOT_FOUND);
    const s = net.session({ amount_msat: 100_000n }, undefined, g => withHints(g, hex(U), hex(D), [hint]));
    const r = net.run(s);
    ok(r.status === 'complete');
    equal(r.amount_sent_msat, 102_200n);
    equal(viaOf(s.records().at(-1)!.route), '2x1x0,4x1x0');
  });

  it('pays a peer over our private channel to it', () => {
    const net = diamond();
    net.link(5, U, D, { base: 0, ppm: 0, delta: 6 }, { base: 0, ppm: 0, delta: 6 }, undefined, true);
    const s = net.session({ amount_msat: 100_000n }, undefined, g =>
      withHints(g, hex(U), hex(D), [], [{ short_channel_id: '5x1x0', peer: hex(D) }]),
    );
    const r = net.run(s);
    ok(r.status === 'complete');
    equal(r.amount_sent_msat, 100_000n);
    equal(viaOf(s.records()[0]!.route), '5x1x0');
  });

  it('survives a restart from its snapshot: pending parts are not sent again, and their end is read with the stored secrets', () => {
    const net = diamond();
    const real = net.real.get(`${B}/3x1x0`)!;
    Object.assign(real, { fee_base_msat: 1500, channel_update: signedUpdate('3x1x0', B, D, { base: 1500, ppm: 1000, delta: 40 }, 2_000) });
    const s = net.session({ amount_msat: 100_000n });
    const first = s.step();
    ok('send' in first && first.send.length === 1);
    // As a store would keep it (structured clone: what IndexedDB and worker messages do).
    const stored = (globalThis as unknown as { structuredClone<T>(v: T): T }).structuredClone(s.snapshot());
    const outcome = net.deliver(first.send[0]!);
    ok(outcome.kind === 'failed');
    // The node restarts: the session comes back from its record.
    const again = PaySession.restore(stored, (s as unknown as { env: PayEnv }).env);
    const waiting = again.step();
    ok('send' in waiting);
    equal(waiting.send.length, 0); // the part is in flight: nothing is sent twice
    again.failed(outcome.partid, outcome.reason);
    equal(again.overlay.policy('3x1x0', dir(B, D), () => undefined)?.fee_base_msat, 1500);
    const r = net.run(again);
    ok(r.status === 'complete');
    equal(r.amount_sent_msat, 101_600n);
  });

  it('keeps within maxfee and maxdelay', () => {
    const net = diamond();
    const r = net.run(net.session({ amount_msat: 100_000n, maxfee_msat: 1099n }));
    ok(r.status === 'failed');
    equal(r.code, PAY_ROUTE_NOT_FOUND);
    // 2200 through C is over, 1100 through B within.
    ok(net.run(net.session({ amount_msat: 100_000n, maxfee_msat: 1100n })).status === 'complete');
    const slow = net.run(diamond().session({ amount_msat: 100_000n, maxdelay: 57 }));
    ok(slow.status === 'failed');
  });
});

describe('the channel_update in a failure', () => {
  const raw = signedUpdate('3x1x0', B, D, { base: 1500, ppm: 1000, delta: 40 }, 2_000);
  const want = { short_channel_id: parseScid('3x1x0'), direction: dir(B, D), signer: pub(B), timestamp: 1_000, chain_hash: CHAIN };

  it('is taken when it is for that channel and direction, signed by its node, newer, with or without its type', () => {
    const v = checkFailureUpdate(raw, want);
    ok(v.ok);
    equal(v.update.fee_base_msat, 1500);
    ok(checkFailureUpdate(raw.subarray(2), want).ok);
  });

  it('is refused with the reason otherwise', () => {
    const why = (r: Uint8Array, w = want) => {
      const v = checkFailureUpdate(r, w);
      return v.ok ? 'ok' : v.why;
    };
    equal(why(new Uint8Array(0)), 'absent');
    equal(why(raw.subarray(0, 50)), 'malformed');
    equal(why(raw, { ...want, short_channel_id: parseScid('4x1x0') }), 'other_channel');
    equal(why(raw, { ...want, direction: (1 - want.direction) as 0 | 1 }), 'wrong_direction');
    equal(why(raw, { ...want, signer: pub(C) }), 'bad_signature');
    equal(why(raw, { ...want, timestamp: 2_000 }), 'not_newer');
    equal(why(raw, { ...want, chain_hash: new Uint8Array(32) }), 'other_chain');
  });
});

describe('acting on failures (xpay rules)', () => {
  const route: PricedHop[] = [
    { id: hex(B), channel: '1x1x0', direction: 0, amount_msat: 1100n, delay: 58 },
    { id: hex(C), channel: '5x1x0', direction: 1, amount_msat: 1050n, delay: 40 },
    { id: hex(D), channel: '6x1x0', direction: 0, amount_msat: 1000n, delay: 18 },
  ];

  it('ends on a destination failure except mpp_timeout', () => {
    equal(failureAction(route, 2, { name: 'incorrect_or_unknown_payment_details', htlc_msat: 1n, height: 1 }).kind, 'final');
    equal(failureAction(route, 2, { name: 'final_incorrect_cltv_expiry', cltv_expiry: 1 }).kind, 'final');
    // A payee ahead of us (its height in the failure) is worth another try; at our height it is final.
    const ipd = { name: 'incorrect_or_unknown_payment_details', htlc_msat: 1000n, height: 801 } as const;
    equal(failureAction(route, 2, ipd, 800).kind, 'retry');
    equal(failureAction(route, 2, ipd, 801).kind, 'final');
    deepEqual(failureAction(route, 2, { name: 'mpp_timeout' }), {
      kind: 'retry',
      exclude: [],
      reason: `mpp_timeout (0x17) from ${hex(D)}`,
    });
  });

  it('excludes the channel after the erring node for channel failures, the node for node failures', () => {
    const ex = (f: Parameters<typeof failureAction>[2], hop = 0) => {
      const a = failureAction(route, hop, f);
      return a.kind === 'retry' ? a.exclude : ['final'];
    };
    deepEqual(ex({ name: 'unknown_next_peer' }), ['5x1x0/1']);
    deepEqual(ex({ name: 'permanent_channel_failure' }), ['5x1x0/1']);
    deepEqual(ex({ name: 'expiry_too_far' }), ['5x1x0/1']);
    deepEqual(ex({ name: 'invalid_onion_hmac', sha256_of_onion: new Uint8Array(32) }), ['5x1x0/1']);
    deepEqual(ex({ name: 'temporary_node_failure' }), [hex(B)]);
    deepEqual(ex({ name: 'required_node_feature_missing' }, 1), [hex(C)]);
    deepEqual(ex({ name: 'invalid_onion_payload', type: 2n, offset: 0 }, 1), [hex(C)]);
    deepEqual(ex({ name: 'unknown', code: 0x2000 | 99, data: new Uint8Array(0) }), [hex(B)]);
    deepEqual(ex({ name: 'fee_insufficient', htlc_msat: 1n, channel_update: new Uint8Array(0) }), ['5x1x0/1']);
    const t = failureAction(route, 1, { name: 'temporary_channel_failure', channel_update: new Uint8Array(0) });
    deepEqual(t, { kind: 'retry', exclude: [], lessThan: { channel: '6x1x0', direction: 0, amount_msat: 1000n }, reason: t.reason });
  });

  it('avoids every node but the destination when no hop can be blamed', () => {
    deepEqual(unattributableAction(route), { kind: 'retry', exclude: [hex(B), hex(C)], reason: 'unreadable error onion' });
    equal(unattributableAction(route.slice(2)).kind, 'final');
  });

  it('takes any bytes as a failure reason without throwing: a bad peer cannot crash the payer', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 60; i++) {
      const net = diamond();
      const s = net.session({ amount_msat: 100_000n });
      const st = s.step();
      ok('send' in st);
      const len = [0, 10, 36, 292, 300][i % 5]!;
      s.failed(st.send[0]!.partid, Uint8Array.from({ length: len }, rnd));
      equal(s.records()[0]!.status, 'failed');
    }
  });

  it('treats a garbled error packet as unattributable in the session', () => {
    const net = diamond();
    const s = net.session({ amount_msat: 100_000n });
    const step = s.step();
    ok('send' in step);
    const part = step.send[0]!;
    // An error packet made with a key none of the route has.
    s.failed(part.partid, createErrorPacket(new Uint8Array(32).fill(9), encodeFailure({ name: 'temporary_node_failure' })));
    ok(s.overlay.excluded.has(hex(B)));
    equal(s.overlay.excluded.has(hex(D)), false);
    const next = s.step();
    ok('send' in next);
    equal(viaOf(next.send[0]!.route), '2x1x0,4x1x0');
  });
});
