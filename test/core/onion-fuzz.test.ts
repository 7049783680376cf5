// Fuzzing the BOLT 4 readers (a few hundred inputs: each costs elliptic-curve work): onions built with random payloads peel back to them; mutated
// onions, payloads, failure messages, error packets and encrypted data decode or throw a
// BoltError (an OnionError naming the failure to return), never anything else.
import { fromHex } from '../../src/core/base/bytes.ts';
import { getPublicKey } from '../../src/core/crypto/primitives.ts';
import {
  createErrorPacket,
  createOnion,
  decodeErrorPacket,
  decodeFailure,
  decodeHopPayload,
  peelOnion,
  unblindHop,
} from '../../src/core/onion/index.ts';
import { equal, ok } from '../support/assert.ts';
import { attempt, mutate, Rng } from '../support/fuzz.ts';
import { ONION_TEST } from './onion-vector-onion.ts';
import { ROUTE_BLINDING_TEST } from './onion-vector-route-blinding.ts';

const AD = fromHex(ONION_TEST.generate.associated_data);
const keys = ONION_TEST.decode.map(k => fromHex(k));

describe('BOLT 4 fuzz', () => {
  it('peels onions of random payloads back to those payloads', () => {
    const rng = new Rng('onion-build');
    for (let n = 0; n < 12; n++) {
      const count = rng.range(1, 5);
      const payloads = Array.from({ length: count }, () => rng.bytes(rng.range(1, Math.floor(1300 / count) - 35)));
      const built = createOnion(
        rng.bytes(32).map(b => b | 1),
        payloads.map((p, i) => ({ pubkey: getPublicKey(keys[i]!), payload: p })),
        AD,
      );
      let onion = built.bytes;
      payloads.forEach((p, i) => {
        const peeled = peelOnion(keys[i]!, onion, AD);
        equal(peeled.payload.length, p.length);
        ok(peeled.payload.every((b, j) => b === p[j]));
        equal(peeled.next === undefined, i === count - 1);
        if (peeled.nextBytes) onion = peeled.nextBytes;
      });
    }
  });

  it('meets mutated onions, payloads, failures, error packets and encrypted data with a BoltError at worst', () => {
    const rng = new Rng('onion-mutate');
    const onion = fromHex(ONION_TEST.onion);
    const secrets = createOnion(
      fromHex(ONION_TEST.generate.session_key),
      keys.map(k => ({ pubkey: getPublicKey(k), payload: new Uint8Array([0]) })),
      AD,
    ).sharedSecrets;
    const errPacket = createErrorPacket(secrets[2]!, fromHex('100c00000000000013880004aabbccdd'));
    const hop = ROUTE_BLINDING_TEST.unblind.hops[0]!;
    const data = fromHex(ROUTE_BLINDING_TEST.route.hops[0]!.encrypted_data);
    for (let n = 0; n < 150; n++) {
      const o = mutate(rng, onion);
      attempt('peelOnion', o, () => peelOnion(keys[0]!, o, AD));
      const p = mutate(rng, fromHex('1202023a98040205dc06080000000000000001').subarray(1));
      attempt('decodeHopPayload', p, () => decodeHopPayload(p));
      const f = mutate(rng, fromHex('100c00000000000013880004aabbccdd'));
      attempt('decodeFailure', f, () => decodeFailure(f));
      const e = mutate(rng, errPacket);
      attempt('decodeErrorPacket', e, () => decodeErrorPacket(secrets, e));
      const d = mutate(rng, data);
      attempt('unblindHop', d, () => unblindHop(fromHex(hop.node_privkey), fromHex(hop.path_key), d));
    }
  });
});
