// BOLT 4 Sphinx: bolt04/onion-test.json built byte for byte and peeled hop by hop, the refusals
// a processing node owes (version, HMAC, key), and the hop payload TLVs and their checks.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import {
  ONION_PACKET_SIZE,
  OnionError,
  checkHopPayload,
  createOnion,
  decodeHopPayload,
  encodeHopPayload,
  hopKeys,
  peelOnion,
} from '../../src/core/onion/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { ONION_ERROR_TEST } from './onion-vector-error.ts';
import { ONION_TEST } from './onion-vector-onion.ts';
import { stripLength } from './onion-vector-util.ts';

const g = ONION_TEST.generate;
const AD = fromHex(g.associated_data);
const hops = g.hops.map(h => ({ pubkey: fromHex(h.pubkey), payload: stripLength(h.payload) }));

describe('BOLT 4 onion-test.json', () => {
  it('builds the onion of the vector byte for byte (1366 bytes)', () => {
    const built = createOnion(fromHex(g.session_key), hops, AD);
    equal(built.bytes.length, ONION_PACKET_SIZE);
    equal(toHex(built.bytes), ONION_TEST.onion);
  });

  it("derives each hop's shared secret as the error vector lists them (same keys)", () => {
    const keys = hopKeys(
      fromHex(g.session_key),
      hops.map(h => h.pubkey),
    );
    deepEqual(
      keys.map(k => toHex(k.sharedSecret)),
      ONION_ERROR_TEST.generate.hops.map(h => h.hop_shared_secret),
    );
    equal(toHex(keys[0]!.ephemeralKey), ONION_TEST.onion.slice(2, 68));
  });

  it('is peeled by each hop with its key in `decode`, to its own payload, the last one final', () => {
    let onion = fromHex(ONION_TEST.onion);
    ONION_TEST.decode.forEach((key, i) => {
      const peeled = peelOnion(fromHex(key), onion, AD);
      equal(toHex(peeled.payload), toHex(hops[i]!.payload), `hop ${i} payload`);
      equal(toHex(peeled.sharedSecret), ONION_ERROR_TEST.generate.hops[i]!.hop_shared_secret);
      equal(peeled.next === undefined, i === hops.length - 1, `hop ${i} final?`);
      if (peeled.nextBytes) onion = peeled.nextBytes;
    });
  });

  it('refuses a wrong version, a changed byte, other associated data and a bad key with the failure BOLT 4 names', () => {
    const onion = fromHex(ONION_TEST.onion);
    const key = fromHex(ONION_TEST.decode[0]!);
    const v1 = onion.slice();
    v1[0] = 1;
    equal(throws<OnionError>(() => peelOnion(key, v1, AD), OnionError, 'bad_onion_version').failure, 'invalid_onion_version');
    const flipped = onion.slice();
    flipped[500]! ^= 1;
    equal(throws<OnionError>(() => peelOnion(key, flipped, AD), OnionError, 'bad_onion_hmac').failure, 'invalid_onion_hmac');
    throws(() => peelOnion(key, onion, new Uint8Array(32)), OnionError, 'bad_onion_hmac');
    const badKey = onion.slice();
    badKey[1] = 5;
    equal(throws<OnionError>(() => peelOnion(key, badKey, AD), OnionError, 'bad_ephemeral_key').failure, 'invalid_onion_key');
    throws(() => peelOnion(key, onion.subarray(1), AD), OnionError, 'bad_onion_length');
    // a hop that is not on the route cannot peel it
    throws(() => peelOnion(fromHex(ONION_TEST.decode[1]!), onion, AD), OnionError, 'bad_onion_hmac');
  });

  it('refuses to build a route whose payloads do not fit in 1300 bytes', () => {
    const big = hops.map(h => ({ pubkey: h.pubkey, payload: new Uint8Array(300) }));
    throws(() => createOnion(fromHex(g.session_key), big, AD), OnionError, 'route_too_long');
  });
});

describe('BOLT 4 hop payloads', () => {
  it('reads the vector payloads as the TLVs they are', () => {
    const p = decodeHopPayload(hops[0]!.payload);
    equal(p.amt_to_forward?.amt_to_forward, 15000n);
    equal(p.outgoing_cltv_value?.outgoing_cltv_value, 1500);
    equal(p.short_channel_id?.short_channel_id, 1n);
    equal(toHex(encodeHopPayload(p)), toHex(hops[0]!.payload));
  });

  it('round-trips every payload record', () => {
    const p = {
      amt_to_forward: { amt_to_forward: 1000n },
      outgoing_cltv_value: { outgoing_cltv_value: 800_000 },
      payment_data: { payment_secret: new Uint8Array(32).fill(1), total_msat: 3000n },
      payment_metadata: { payment_metadata: fromHex('01fafaf0') },
      total_amount_msat: { total_msat: 3000n },
    };
    const bytes = encodeHopPayload(p);
    equal(toHex(bytes), '020203e804030c3500082201010101010101010101010101010101010101010101010101010101010101010bb8100401fafaf012020bb8');
    deepEqual(decodeHopPayload(bytes), p);
  });

  it('refuses a payload that is not a TLV stream, and missing records, as invalid_onion_payload', () => {
    equal(throws<OnionError>(() => decodeHopPayload(fromHex('0401')), OnionError, 'bad_payload').failure, 'invalid_onion_payload');
    throws(() => decodeHopPayload(fromHex('0202000f')), OnionError, 'bad_payload'); // tu64 not minimal
    const final = decodeHopPayload(fromHex('020203e8'));
    throws(() => checkHopPayload(final, { final: true, pathKeyInHtlc: false }), OnionError, 'missing_field');
    const fwd = decodeHopPayload(fromHex('020203e8040203e8'));
    checkHopPayload(fwd, { final: true, pathKeyInHtlc: false });
    throws(() => checkHopPayload(fwd, { final: false, pathKeyInHtlc: false }), OnionError, 'missing_field');
    throws(() => checkHopPayload(fwd, { final: true, pathKeyInHtlc: true }), OnionError, 'unexpected_path_key');
  });

  it('holds a blinded payload to the records BOLT 4 allows, failing with invalid_onion_blinding', () => {
    const erd = { encrypted_recipient_data: { encrypted_recipient_data: new Uint8Array(40) } };
    checkHopPayload(erd, { final: false, pathKeyInHtlc: true });
    const e = throws<OnionError>(() => checkHopPayload(erd, { final: false, pathKeyInHtlc: false }), OnionError, 'bad_blinded_payload');
    equal(e.failure, 'invalid_onion_blinding');
    const withAmt = { ...erd, amt_to_forward: { amt_to_forward: 1n } };
    throws(() => checkHopPayload(withAmt, { final: false, pathKeyInHtlc: true }), OnionError, 'bad_blinded_payload');
    throws(() => checkHopPayload(withAmt, { final: true, pathKeyInHtlc: true }), OnionError, 'bad_blinded_payload');
    ok(true);
  });
});
