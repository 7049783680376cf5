// BOLT 4 attribution data end to end over the small network of pay-session-net.ts (U–B–D, U–C–D):
// D fails or fulfils, B relays with its own layer (lightningd's withAttribution, as htlcs-in.ts
// applies it), and the payer U reads the hold times and, when B garbles D's error onion, blames
// the B–D pair from the attribution instead of avoiding every node.
import { toHex } from '../../src/core/base/bytes.ts';
import { failWith, withAttribution, type Resolution } from '../../src/core/daemons/lightningd/htlc-resolution.ts';
import { failureText } from '../../src/core/daemons/lightningd/pay-htlcs.ts';
import { checkAttribution, checkFailureAttribution, obfuscateError, peelOnion } from '../../src/core/onion/index.ts';
import type { OutgoingPart, PaySession } from '../../src/core/pay/index.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { B, D, HASH, PREIMAGE, diamond, dir, hex, secretOf } from './pay-session-net.ts';

/** A first part of a session over the diamond (through B), and B's and D's shared secrets as they peel it. */
function firstPart(): { s: PaySession; part: OutgoingPart; ssB: Uint8Array; ssD: Uint8Array } {
  const s = diamond().session({ amount_msat: 100_000n });
  const st = s.step();
  ok('send' in st);
  const part = st.send[0]!;
  deepEqual(
    part.route.map(h => h.id),
    [hex(B), hex(D)],
  );
  const atB = peelOnion(secretOf(B), part.onion, HASH);
  const atD = peelOnion(secretOf(D), atB.nextBytes!, HASH);
  return { s, part, ssB: atB.sharedSecret, ssD: atD.sharedSecret };
}

/** B relays D's resolution upstream as forward.ts and htlcs-in.ts do: its ammag over the reason, then its layer. */
function relayAtB(ssB: Uint8Array, fromD: Resolution, heldMs: number, garble = false): Resolution {
  ok(fromD.kind !== 'malformed');
  const down: Resolution =
    fromD.kind === 'fail'
      ? { ...fromD, reason: obfuscateError(ssB, garble ? fromD.reason.map((x, i) => (i === 40 ? x ^ 1 : x)) : fromD.reason) }
      : fromD;
  return withAttribution(down, { sharedSecret: ssB, heldMs });
}

const failAtD = (ssD: Uint8Array, heldMs: number) =>
  withAttribution(failWith(ssD, { name: 'incorrect_or_unknown_payment_details', htlc_msat: 100_000n, height: 800 }), {
    sharedSecret: ssD,
    heldMs,
  });

describe('attribution data over a forward (BOLT 4)', () => {
  it('the final node starts it, the forwarding node adds its layer: the payer reads both hold times (units of 100 ms)', () => {
    const { part, ssB, ssD } = firstPart();
    const fromD = failAtD(ssD, 399);
    const up = relayAtB(ssB, fromD, 1250);
    ok(up.kind === 'fail' && up.attribution);
    deepEqual(checkFailureAttribution(part.sharedSecrets, up.reason, up.attribution), { holdTimes: [12, 3] });
    // What D sent alone checks out at D's position only: B's layer is what makes position 0 match.
    ok(fromD.kind === 'fail' && fromD.attribution);
    equal(checkFailureAttribution(part.sharedSecrets, obfuscateError(ssB, fromD.reason), fromD.attribution).badHop, 0);
    const text = failureText({
      erroronion: toHex(up.reason),
      attribution: toHex(up.attribution),
      shared_secrets: part.sharedSecrets.map(toHex),
      route: part.route.map(h => ({ ...h, amount_msat: h.amount_msat.toString() })),
    });
    equal(text, `incorrect_or_unknown_payment_details from ${hex(D)} (hold times 1200 ms, 300 ms)`);
  });

  it('a fulfil carries the hold times too', () => {
    const { part, ssB, ssD } = firstPart();
    const fromD = withAttribution({ kind: 'fulfill', preimage: PREIMAGE }, { sharedSecret: ssD, heldMs: 50 });
    const up = relayAtB(ssB, fromD, 700);
    ok(up.kind === 'fulfill' && up.attribution);
    deepEqual(checkAttribution(part.sharedSecrets, [], up.attribution), { holdTimes: [7, 0] });
  });

  it('a downstream that sent none: the forwarding node starts it, and the payer has hold times up to it', () => {
    const { part, ssB, ssD } = firstPart();
    const { attribution: _none, ...fromD } = failAtD(ssD, 300) as Extract<Resolution, { kind: 'fail' }>;
    const up = relayAtB(ssB, fromD, 200);
    ok(up.kind === 'fail' && up.attribution);
    deepEqual(checkFailureAttribution(part.sharedSecrets, up.reason, up.attribution), { holdTimes: [2], badHop: 1 });
  });

  it('no layer where BOLT 2 says none (path_key in the incoming HTLC): what came from downstream is not passed on either', () => {
    const { ssD } = firstPart();
    const r = withAttribution(failAtD(ssD, 300), undefined);
    ok(r.kind === 'fail' && !('attribution' in r));
  });

  it('the payer blames the B–D pair for an error onion B garbled, instead of avoiding every node', () => {
    const { s, part, ssB, ssD } = firstPart();
    const up = relayAtB(ssB, failAtD(ssD, 300), 200, true);
    ok(up.kind === 'fail' && up.attribution);
    s.failed(part.partid, up.reason, up.attribution);
    const bd = `3x1x0/${dir(B, D)}`;
    ok(s.overlay.excluded.has(bd), 'the channel between B and D is avoided');
    equal(s.overlay.excluded.has(hex(B)), false);
    equal(s.records()[0]!.failure, `error onion garbled between ${hex(B)} and ${hex(D)}`);
    const next = s.step();
    ok('send' in next);
    equal(next.send[0]!.route.map(h => h.channel).join(','), '2x1x0,4x1x0');
  });

  it('without attribution data the same garbled failure is unattributable, as before: every node but the destination avoided', () => {
    const { s, part, ssB, ssD } = firstPart();
    const up = relayAtB(ssB, failAtD(ssD, 300), 200, true);
    ok(up.kind === 'fail');
    s.failed(part.partid, up.reason);
    ok(s.overlay.excluded.has(hex(B)));
    equal(s.records()[0]!.failure, 'unreadable error onion');
  });
});
