// BOLT 4 "Returning Errors": bolt04/onion-error-test.json and the spec's inline trace, each hop's
// keys and packet checked; the origin names the failing hop; failure messages as declared data.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { generateCipherStream } from '../../src/core/onion/crypto.ts';
import {
  BADONION,
  FAILURES,
  NODE,
  OnionError,
  PERM,
  UPDATE,
  buildErrorPayload,
  createErrorPacket,
  decodeErrorPacket,
  decodeFailure,
  encodeFailure,
  failureCode,
  generateKey,
  obfuscateError,
  type Failure,
} from '../../src/core/onion/index.ts';
import { deepEqual, equal, throws } from '../support/assert.ts';
import { ONION_ERROR_TEST, ONION_ERROR_TRACE } from './onion-vector-error.ts';

const hops = ONION_ERROR_TEST.generate.hops;
const secrets = hops.map(h => fromHex(h.hop_shared_secret));

describe('BOLT 4 onion-error-test.json', () => {
  it("derives each hop's ammag key, and the failing hop's um key", () => {
    for (const h of hops) equal(toHex(generateKey('ammag', fromHex(h.hop_shared_secret))), h.ammag_key);
    const last = hops[4]!;
    equal(toHex(generateKey('um', fromHex(last.hop_shared_secret))), last.um_key);
  });

  it('builds the payload of hop 4 (failure_len, failuremsg, pad_len, pad; HMAC omitted by the vector)', () => {
    const failure = fromHex(ONION_ERROR_TEST.generate.failure_message);
    equal(toHex(buildErrorPayload(secrets[4]!, failure).subarray(32)), hops[4]!.payload);
  });

  it('obfuscates at hop 4 and at each hop back to the errorpacket the origin receives', () => {
    let packet = createErrorPacket(secrets[4]!, fromHex(ONION_ERROR_TEST.generate.failure_message));
    for (let i = 3; i >= 0; i--) packet = obfuscateError(secrets[i]!, packet);
    equal(toHex(packet), ONION_ERROR_TEST.errorpacket);
  });

  it('is decoded at the origin: hop 4 sent temporary_node_failure', () => {
    const d = decodeErrorPacket(secrets, fromHex(ONION_ERROR_TEST.errorpacket));
    equal(d.hop, 4);
    deepEqual(d.failure, { name: 'temporary_node_failure' });
    equal(failureCode('temporary_node_failure'), 0x2002);
  });

  it('cannot be attributed with the wrong secrets, and a changed byte breaks the HMAC', () => {
    throws(() => decodeErrorPacket(secrets.slice(0, 4), fromHex(ONION_ERROR_TEST.errorpacket)), OnionError, 'error_unattributable');
    const bad = fromHex(ONION_ERROR_TEST.errorpacket);
    bad[100]! ^= 1;
    throws(() => decodeErrorPacket(secrets, bad), OnionError, 'error_unattributable');
    throws(() => decodeErrorPacket(secrets, new Uint8Array(10)), OnionError, 'error_too_short');
  });
});

describe('BOLT 4 "Returning Errors" inline trace', () => {
  const t = ONION_ERROR_TRACE;
  const failure: Failure = {
    name: 'incorrect_or_unknown_payment_details',
    htlc_msat: 100n,
    height: 800000,
    tlvs: { unknown: [{ type: 34001n, value: new Uint8Array(300).fill(128) }] },
  };

  it('encodes the failure message and the erring node packet (padded to 1024, as the trace is)', () => {
    // The trace's `encoded_failure_message` is the 320-byte failure message then pad_len and pad.
    const msg = encodeFailure(failure);
    equal(msg.length, 320);
    equal(toHex(msg) + '02c0' + '00'.repeat(0x2c0), t.encoded_failure_message);
    deepEqual(decodeFailure(msg), failure);
    equal(toHex(generateKey('um', fromHex(t.shared_secret))), t.um_key);
    const raw = buildErrorPayload(fromHex(t.shared_secret), msg, 1024);
    equal(toHex(raw.subarray(32)), t.payload);
    equal(toHex(raw), t.raw_error_packet);
  });

  it('matches every forwarding step: shared secret, ammag key, stream and error packet', () => {
    let packet = fromHex(t.raw_error_packet);
    t.forwarding.forEach((step, i) => {
      equal(step.node, 4 - i);
      equal(step.shared_secret, toHex(secrets[step.node]!));
      equal(toHex(generateKey('ammag', secrets[step.node]!)), step.ammag_key);
      equal(toHex(generateCipherStream(fromHex(step.ammag_key), step.stream.length / 2)), step.stream);
      packet = obfuscateError(secrets[step.node]!, packet);
      equal(toHex(packet), step.error_packet, `error packet for node ${step.node}`);
    });
    const d = decodeErrorPacket(secrets, packet);
    equal(d.hop, 4);
    deepEqual(d.failure, failure);
  });
});

describe('BOLT 4 failure messages', () => {
  it('has the codes of the spec, flags included', () => {
    const codes = Object.fromEntries(Object.entries(FAILURES).map(([n, d]) => [n, d.type]));
    deepEqual(codes, {
      temporary_node_failure: NODE | 2,
      permanent_node_failure: PERM | NODE | 2,
      required_node_feature_missing: PERM | NODE | 3,
      invalid_onion_version: BADONION | PERM | 4,
      invalid_onion_hmac: BADONION | PERM | 5,
      invalid_onion_key: BADONION | PERM | 6,
      temporary_channel_failure: UPDATE | 7,
      permanent_channel_failure: PERM | 8,
      required_channel_feature_missing: PERM | 9,
      unknown_next_peer: PERM | 10,
      amount_below_minimum: UPDATE | 11,
      fee_insufficient: UPDATE | 12,
      incorrect_cltv_expiry: UPDATE | 13,
      expiry_too_soon: UPDATE | 14,
      incorrect_or_unknown_payment_details: PERM | 15,
      final_incorrect_cltv_expiry: 18,
      final_incorrect_htlc_amount: 19,
      channel_disabled: UPDATE | 20,
      expiry_too_far: 21,
      invalid_onion_payload: PERM | 22,
      mpp_timeout: 23,
      invalid_onion_blinding: BADONION | PERM | 24,
    });
    equal(BADONION | PERM | 5, 0xc005);
  });

  it('round-trips fields with a channel_update, and keeps an unknown code', () => {
    const f: Failure = { name: 'fee_insufficient', htlc_msat: 5000n, channel_update: fromHex('0102aabb') };
    const b = encodeFailure(f);
    equal(toHex(b), '100c00000000000013880004' + '0102aabb');
    deepEqual(decodeFailure(b), f);
    const p: Failure = { name: 'invalid_onion_payload', type: 0x10000n, offset: 3 };
    deepEqual(decodeFailure(encodeFailure(p)), p);
    deepEqual(decodeFailure(fromHex('7777abcd')), { name: 'unknown', code: 0x7777, data: fromHex('abcd') });
    throws(() => decodeFailure(fromHex('100c0000')), OnionError, 'bad_failure_message');
  });
});
