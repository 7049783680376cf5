// BOLT 4 "Route Blinding": the recipient builds a blinded path (blinded node ids and each hop's
// `encrypted_recipient_data`), and each node on it derives its blinded key, decrypts its data
// and the next `path_key`.

import { getPublicKey } from '../crypto/primitives.ts';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { TlvStreamDecl, TlvValues } from '../wire/schema.ts';
import { blindingFactor, generateKey, multiplyPoint, multiplySecret, sharedSecret } from './crypto.ts';
import { OnionError } from './errors.ts';
import { onionTlvCodec } from './tlv.ts';

/** BOLT 4 "Inside `encrypted_recipient_data`: `encrypted_data_tlv`". */
export const ENCRYPTED_DATA_TLVS = {
  1: ['padding', [['padding', 'bytes', '...']]],
  2: ['short_channel_id', [['short_channel_id', 'short_channel_id']]],
  4: ['next_node_id', [['node_id', 'point']]],
  6: ['path_id', [['data', 'bytes', '...']]],
  8: ['next_path_key_override', [['path_key', 'point']]],
  10: [
    'payment_relay',
    [
      ['cltv_expiry_delta', 'u16'],
      ['fee_proportional_millionths', 'u32'],
      ['fee_base_msat', 'tu32'],
    ],
  ],
  12: [
    'payment_constraints',
    [
      ['max_cltv_expiry', 'u32'],
      ['htlc_minimum_msat', 'tu64'],
    ],
  ],
  14: ['allowed_features', [['features', 'bytes', '...']]],
} as const satisfies TlvStreamDecl;

export type EncryptedData = TlvValues<typeof ENCRYPTED_DATA_TLVS>;

const ENCRYPTED_DATA_CODEC = onionTlvCodec(ENCRYPTED_DATA_TLVS, 'bad_encrypted_data', 'invalid_onion_blinding');

export const encodeEncryptedData = ENCRYPTED_DATA_CODEC.encode;
export const decodeEncryptedData = ENCRYPTED_DATA_CODEC.decode;

const ZERO_NONCE = new Uint8Array(12);

/** One hop of a blinded path as the recipient builds it, with the values BOLT 4 names. */
export interface BlindedHopBuild {
  /** e_i, the recipient's ephemeral secret for this hop (never given out). */
  pathSecret: Uint8Array;
  /** E_i, the `path_key` this hop receives. */
  pathKey: Uint8Array;
  sharedSecret: Uint8Array;
  rho: Uint8Array;
  /** B_i = HMAC256("blinded_node_id", ss_i) * N_i */
  blindedNodeId: Uint8Array;
  encryptedData: Uint8Array;
}

/** A blinded path: the introduction node in clear, then each hop's blinded id and data. */
export interface BlindedPath {
  firstNodeId: Uint8Array;
  firstPathKey: Uint8Array;
  hops: { blindedNodeId: Uint8Array; encryptedData: Uint8Array }[];
}

/**
 * BOLT 4 "Route Blinding" requirements for the recipient: from `e_0` (the session key), for each
 * node N_i: E_i = e_i * G, ss_i = SHA256(e_i * N_i), rho_i = HMAC256("rho", ss_i),
 * e_{i+1} = SHA256(E_i || ss_i) * e_i, and the data encrypted with ChaCha20-Poly1305 under
 * rho_i with a zero nonce and no associated data.
 */
export function buildBlindedPath(
  sessionKey: Uint8Array,
  hops: readonly { nodeId: Uint8Array; data: Uint8Array }[],
): { path: BlindedPath; hops: BlindedHopBuild[] } {
  if (hops.length === 0) throw new OnionError('empty_route', 'a blinded path needs at least one hop');
  let e = sessionKey;
  const built: BlindedHopBuild[] = [];
  for (const h of hops) {
    const pathKey = getPublicKey(e);
    const ss = sharedSecret(e, h.nodeId);
    const rho = generateKey('rho', ss);
    built.push({
      pathSecret: e,
      pathKey,
      sharedSecret: ss,
      rho,
      blindedNodeId: multiplyPoint(h.nodeId, generateKey('blinded_node_id', ss)),
      encryptedData: chacha20poly1305(rho, ZERO_NONCE).encrypt(h.data),
    });
    e = multiplySecret(e, blindingFactor(pathKey, ss));
  }
  return {
    path: {
      firstNodeId: hops[0]!.nodeId,
      firstPathKey: built[0]!.pathKey,
      hops: built.map(b => ({ blindedNodeId: b.blindedNodeId, encryptedData: b.encryptedData })),
    },
    hops: built,
  };
}

export interface UnblindedHop {
  /** b_i = HMAC256("blinded_node_id", ss_i) * k_i: the key for this hop's onion layer. */
  blindedSecret: Uint8Array;
  data: Uint8Array;
  decoded: EncryptedData;
  /** E_{i+1} = SHA256(E_i || ss_i) * E_i. */
  blindedNextPathKey: Uint8Array;
  /** The path key to send the next node: `next_path_key_override` if present, else blindedNextPathKey. */
  nextPathKey: Uint8Array;
}

/** BOLT 4 onion decryption with a `path_key`: "Tweak its own `node_privkey` ... by multiplying
 * by HMAC256("blinded_node_id", blinding_ss)": the key that peels this hop's onion layer. */
export function blindedNodeSecret(nodeSecret: Uint8Array, pathKey: Uint8Array): Uint8Array {
  return blindSecret(nodeSecret, sharedSecret(nodeSecret, pathKey));
}

function blindSecret(nodeSecret: Uint8Array, ss: Uint8Array): Uint8Array {
  return multiplySecret(nodeSecret, generateKey('blinded_node_id', ss));
}

/** A node on a blinded path: its blinded key, its decrypted data and the next `path_key`. A data
 * that does not decrypt fails the HTLC with `invalid_onion_blinding`. */
export function unblindHop(nodeSecret: Uint8Array, pathKey: Uint8Array, encryptedData: Uint8Array): UnblindedHop {
  const ss = sharedSecret(nodeSecret, pathKey);
  return { blindedSecret: blindSecret(nodeSecret, ss), ...unblindWithSharedSecret(ss, pathKey, encryptedData) };
}

/**
 * unblindHop given ss_i = SHA256(k_i * E_i) computed elsewhere (by hsmd, which alone holds k_i):
 * the decrypted data and the next path key. "If the `encrypted_recipient_data` field is missing,
 * cannot be decrypted into an `encrypted_data_tlv` or contains unknown even fields: MUST return an error".
 */
export function unblindWithSharedSecret(
  ss: Uint8Array,
  pathKey: Uint8Array,
  encryptedData: Uint8Array,
): Omit<UnblindedHop, 'blindedSecret'> {
  let data: Uint8Array;
  try {
    data = chacha20poly1305(generateKey('rho', ss), ZERO_NONCE).decrypt(encryptedData);
  } catch {
    throw new OnionError('bad_encrypted_data', 'encrypted_recipient_data does not decrypt', 'invalid_onion_blinding');
  }
  const decoded = decodeEncryptedData(data);
  // "MUST return an error if ... `encrypted_recipient_data` contains both `short_channel_id` and `next_node_id`."
  if (decoded.short_channel_id && decoded.next_node_id) {
    throw new OnionError('bad_encrypted_data', 'both short_channel_id and next_node_id', 'invalid_onion_blinding');
  }
  const blindedNextPathKey = multiplyPoint(pathKey, blindingFactor(pathKey, ss));
  return {
    data,
    decoded,
    blindedNextPathKey,
    nextPathKey: decoded.next_path_key_override?.path_key ?? blindedNextPathKey,
  };
}

/**
 * The onion's ephemeral key tweaked for a blinded node, given ss_i (the ECDH of its node key and
 * `path_key`): HMAC256("blinded_node_id", ss_i) * P. The node's ECDH of this point with k_i is the
 * onion's shared secret with b_i = HMAC256("blinded_node_id", ss_i) * k_i, so hsmd's plain ECDH
 * peels a blinded onion and the node key never leaves it.
 */
export function blindedOnionPoint(ss: Uint8Array, onionKey: Uint8Array): Uint8Array {
  return multiplyPoint(onionKey, generateKey('blinded_node_id', ss));
}

/** BOLT 4: a blinded forwarding node computes what to forward from `payment_relay`:
 * amt_to_forward = ((amount_msat - fee_base_msat) * 1000000 + 1000000 + fee_proportional_millionths - 1)
 *   / (1000000 + fee_proportional_millionths); outgoing_cltv_value = cltv_expiry - cltv_expiry_delta. */
export function blindedForward(
  relay: NonNullable<EncryptedData['payment_relay']>,
  amountMsat: bigint,
  cltvExpiry: number,
): { amtToForward: bigint; outgoingCltvValue: number } {
  const prop = BigInt(relay.fee_proportional_millionths);
  const amt = ((amountMsat - BigInt(relay.fee_base_msat)) * 1_000_000n + 1_000_000n + prop - 1n) / (1_000_000n + prop);
  return { amtToForward: amt, outgoingCltvValue: cltvExpiry - relay.cltv_expiry_delta };
}
