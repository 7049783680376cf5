// BOLT 4 route blinding: bolt04/route-blinding-test.json (building the path, each hop's values,
// unblinding) and bolt04/blinded-payment-onion-test.json (an onion through Alice into a blinded
// path, peeled hop by hop with each node's blinded key).
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { parseScid } from '../../src/core/wire/scid.ts';
import {
  OnionError,
  blindedForward,
  blindedNodeSecret,
  buildBlindedPath,
  checkHopPayload,
  createOnion,
  decodeEncryptedData,
  decodeHopPayload,
  encodeEncryptedData,
  peelOnion,
  unblindHop,
  type EncryptedData,
} from '../../src/core/onion/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { BLINDED_PAYMENT_ONION_TEST } from './onion-vector-blinded-payment.ts';
import { ROUTE_BLINDING_TEST } from './onion-vector-route-blinding.ts';
import { stripLength } from './onion-vector-util.ts';

/** The vectors' `tlvs` objects, written as our encrypted_data_tlv records. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function asEncryptedData(t: any): EncryptedData {
  const d: EncryptedData = {};
  const unknown: { type: bigint; value: Uint8Array }[] = [];
  for (const [k, v] of Object.entries(t) as [string, any][]) {
    // eslint-disable-line @typescript-eslint/no-explicit-any
    if (k === 'padding') d.padding = { padding: fromHex(v) };
    else if (k === 'short_channel_id') d.short_channel_id = { short_channel_id: parseScid(v) };
    else if (k === 'next_node_id') d.next_node_id = { node_id: fromHex(v) };
    else if (k === 'path_id') d.path_id = { data: fromHex(v) };
    else if (k === 'next_path_key_override') d.next_path_key_override = { path_key: fromHex(v) };
    else if (k === 'payment_relay') {
      d.payment_relay = {
        cltv_expiry_delta: v.cltv_expiry_delta,
        fee_proportional_millionths: v.fee_proportional_millionths ?? 0,
        fee_base_msat: v.fee_base_msat ?? 0,
      };
    } else if (k === 'payment_constraints') {
      d.payment_constraints = { max_cltv_expiry: v.max_cltv_expiry, htlc_minimum_msat: BigInt(v.htlc_minimum_msat) };
    } else if (k === 'allowed_features') {
      // feature bit numbers, as a BOLT 9 big-endian vector
      const bits: number[] = v.features;
      const len = bits.length ? Math.floor(Math.max(...bits) / 8) + 1 : 0;
      const f = new Uint8Array(len);
      for (const b of bits) f[len - 1 - Math.floor(b / 8)]! |= 1 << (b % 8);
      d.allowed_features = { features: f };
    } else if (k.startsWith('unknown_tag_')) unknown.push({ type: BigInt(k.slice(12)), value: fromHex(String(v)) });
    else throw new Error(`unexpected tlv ${k}`);
  }
  if (unknown.length) d.unknown = unknown;
  return d;
}

const gen = ROUTE_BLINDING_TEST.generate.hops;

describe('BOLT 4 route-blinding-test.json', () => {
  it('encodes each hop’s tlvs to its encoded_tlvs, and decodes them back', () => {
    for (const h of gen) {
      const d = asEncryptedData(h.tlvs);
      equal(toHex(encodeEncryptedData(d)), h.encoded_tlvs, h.alias);
      deepEqual(decodeEncryptedData(fromHex(h.encoded_tlvs)), d, h.alias);
    }
  });

  // Bob -> Carol from session key 0202..., Dave -> Eve from 0101... (Carol's next_path_key_override joins them).
  for (const [from, to] of [
    [0, 2],
    [2, 4],
  ] as const) {
    it(`builds ${gen[from]!.alias} -> ${gen[to - 1]!.alias}: path key, shared secret, rho, encrypted data, blinded id of each hop`, () => {
      const part = gen.slice(from, to);
      const { hops } = buildBlindedPath(
        fromHex(part[0]!.session_key!),
        part.map(h => ({ nodeId: fromHex(h.node_id), data: fromHex(h.encoded_tlvs) })),
      );
      hops.forEach((b, i) => {
        const h = part[i]!;
        equal(toHex(b.pathSecret), h.path_privkey, `${h.alias} path_privkey`);
        equal(toHex(b.pathKey), h.path_key, `${h.alias} path_key`);
        equal(toHex(b.sharedSecret), h.shared_secret, `${h.alias} shared_secret`);
        equal(toHex(b.rho), h.rho, `${h.alias} rho`);
        equal(toHex(b.encryptedData), h.encrypted_data, `${h.alias} encrypted_data`);
        equal(toHex(b.blindedNodeId), h.blinded_node_id, `${h.alias} blinded_node_id`);
      });
    });
  }

  it('gives the route of the vector when the two paths are joined', () => {
    const a = buildBlindedPath(
      fromHex(gen[0]!.session_key!),
      gen.slice(0, 2).map(h => ({ nodeId: fromHex(h.node_id), data: fromHex(h.encoded_tlvs) })),
    ).path;
    const b = buildBlindedPath(
      fromHex(gen[2]!.session_key!),
      gen.slice(2).map(h => ({ nodeId: fromHex(h.node_id), data: fromHex(h.encoded_tlvs) })),
    ).path;
    const r = ROUTE_BLINDING_TEST.route;
    equal(toHex(a.firstNodeId), r.first_node_id);
    equal(toHex(a.firstPathKey), r.first_path_key);
    deepEqual(
      [...a.hops, ...b.hops].map(h => ({ blinded_node_id: toHex(h.blindedNodeId), encrypted_data: toHex(h.encryptedData) })),
      r.hops,
    );
  });

  it('unblinds at each hop: blinded key, decrypted data, next path key (Carol takes the override)', () => {
    const route = ROUTE_BLINDING_TEST.route.hops;
    ROUTE_BLINDING_TEST.unblind.hops.forEach((h, i) => {
      const u = unblindHop(fromHex(h.node_privkey), fromHex(h.path_key), fromHex(route[i]!.encrypted_data));
      equal(toHex(u.blindedSecret), h.blinded_privkey, `${h.alias} blinded_privkey`);
      equal(toHex(blindedNodeSecret(fromHex(h.node_privkey), fromHex(h.path_key))), h.blinded_privkey);
      equal(toHex(u.data), h.decrypted_data, `${h.alias} decrypted_data`);
      // this vector lists E_{i+1} = SHA256(E_i || ss_i) * E_i even where Carol's data overrides it
      equal(toHex(u.blindedNextPathKey), h.next_path_key, `${h.alias} next_path_key`);
      const override = (gen[i]!.tlvs as { next_path_key_override?: string }).next_path_key_override;
      equal(toHex(u.nextPathKey), override ?? h.next_path_key, `${h.alias} path key sent on`);
      if (i + 1 < gen.length) equal(toHex(u.nextPathKey), ROUTE_BLINDING_TEST.unblind.hops[i + 1]!.path_key);
    });
  });

  it('refuses data that does not decrypt, or that names both a channel and a node, with invalid_onion_blinding', () => {
    const h = ROUTE_BLINDING_TEST.unblind.hops[0]!;
    const data = fromHex(ROUTE_BLINDING_TEST.route.hops[0]!.encrypted_data);
    data[3]! ^= 1;
    const e = throws<OnionError>(() => unblindHop(fromHex(h.node_privkey), fromHex(h.path_key), data), OnionError, 'bad_encrypted_data');
    equal(e.failure, 'invalid_onion_blinding');
    const nodeId = fromHex(gen[0]!.node_id);
    const both = encodeEncryptedData({ short_channel_id: { short_channel_id: 1n }, next_node_id: { node_id: nodeId } });
    const built = buildBlindedPath(fromHex(gen[0]!.session_key!), [{ nodeId, data: both }]).path;
    throws(() => unblindHop(fromHex(h.node_privkey), built.firstPathKey, built.hops[0]!.encryptedData), OnionError, 'bad_encrypted_data');
  });
});

describe('BOLT 4 blinded-payment-onion-test.json', () => {
  const g = BLINDED_PAYMENT_ONION_TEST.generate;
  const full = g.full_route.hops;
  const dec = BLINDED_PAYMENT_ONION_TEST.decrypt.hops;
  const AD = fromHex(g.associated_data);

  it('builds the onion through Alice into the blinded route, byte for byte', () => {
    const built = createOnion(
      fromHex(g.session_key),
      full.map(h => ({ pubkey: fromHex(h.pubkey), payload: stripLength(h.payload) })),
      AD,
    );
    equal(toHex(built.bytes), g.onion);
    equal(dec[0]!.onion, g.onion);
    // the blinded hops are the route's blinded node ids, Bob the introduction node in clear
    equal(full[1]!.pubkey, g.blinded_route.first_node_id);
    deepEqual(
      full.slice(2).map(h => h.pubkey),
      g.blinded_route.hops.slice(1).map(h => h.blinded_node_id),
    );
  });

  it('is peeled by each node, blinded ones with their blinded key, to its payload and the next onion', () => {
    let pathKey: Uint8Array | undefined; // from update_add_htlc
    let amount: bigint | undefined;
    let cltv: number | undefined;
    dec.forEach((h, i) => {
      const priv = fromHex(h.node_privkey);
      const key = pathKey ? blindedNodeSecret(priv, pathKey) : priv;
      const peeled = peelOnion(key, fromHex(h.onion), AD);
      equal(toHex(peeled.payload), toHex(stripLength(full[i]!.payload)), `${h.alias} payload`);
      const final = i === dec.length - 1;
      equal(peeled.next === undefined, final);
      if (!final) equal(toHex(peeled.nextBytes!), dec[i + 1]!.onion, `${h.alias} next onion`);
      const p = decodeHopPayload(peeled.payload);
      checkHopPayload(p, { final, pathKeyInHtlc: pathKey !== undefined });
      if (!p.encrypted_recipient_data) {
        amount = p.amt_to_forward!.amt_to_forward;
        cltv = p.outgoing_cltv_value!.outgoing_cltv_value;
        return;
      }
      const key2 = pathKey ?? p.current_path_key!.path_key;
      const u = unblindHop(priv, key2, p.encrypted_recipient_data.encrypted_recipient_data);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      deepEqual(u.decoded, asEncryptedData((full[i]!.tlvs as any).encrypted_recipient_data), `${h.alias} encrypted_recipient_data`);
      if (!final) {
        equal(toHex(u.nextPathKey), (h as { next_path_key?: string }).next_path_key, `${h.alias} next_path_key`);
        const fwd = blindedForward(u.decoded.payment_relay!, amount!, cltv!);
        amount = fwd.amtToForward;
        cltv = fwd.outgoingCltvValue;
        pathKey = u.nextPathKey;
      } else {
        // what Dave forwarded by his payment_relay is what Eve's payload says she receives
        equal(p.amt_to_forward!.amt_to_forward, amount);
        equal(p.outgoing_cltv_value!.outgoing_cltv_value, cltv);
        equal(amount, BigInt(g.final_amount_msat));
        equal(cltv, g.final_cltv);
        equal(p.total_amount_msat!.total_msat, 150000n);
      }
    });
    ok(pathKey);
  });

  it('cannot be peeled by a blinded node with its plain key', () => {
    throws(() => peelOnion(fromHex(dec[2]!.node_privkey), fromHex(dec[2]!.onion), AD), OnionError, 'bad_onion_hmac');
  });
});
