// BOLT 4 "Onion Decryption" (a processing node): check the HMAC, decrypt, read this hop's
// payload and pass the rest on with a blinded ephemeral key.
import { Reader, concat, equal } from '../base/bytes.ts';
import { hmacSha256 } from '../crypto/primitives.ts';
import { readBigSize } from '../wire/bigsize.ts';
import { blindingFactor, generateCipherStream, generateKey, multiplyPoint, sharedSecret } from './crypto.ts';
import { OnionError } from './errors.ts';
import { HMAC_SIZE, ONION_VERSION, ROUTING_INFO_SIZE, parseOnion, serializeOnion, type OnionPacket } from './packet.ts';

export interface PeeledOnion {
  /** This hop's TLV payload. */
  payload: Uint8Array;
  sharedSecret: Uint8Array;
  /** The packet for the next hop; absent at the final node (all-zero HMAC). */
  next?: OnionPacket;
  nextBytes?: Uint8Array;
}

/** Constant-time comparison of two MACs. */
function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Peels one layer. `nodeSecret` is the node's key, or its blinded key when the HTLC came with a
 * `path_key` (route blinding). Refusals carry the BOLT 4 failure to send back.
 */
export function peelOnion(
  nodeSecret: Uint8Array,
  onion: Uint8Array | OnionPacket,
  associatedData: Uint8Array,
  size = ROUTING_INFO_SIZE,
): PeeledOnion {
  const p = onion instanceof Uint8Array ? parseOnion(onion, size) : onion;
  checkOnionVersion(p);
  return peelWithSharedSecret(sharedSecret(nodeSecret, p.publicKey), p, associatedData, size);
}

/** "if `version` is not 0: MUST abort processing the packet and fail" (invalid_onion_version). */
export function checkOnionVersion(p: OnionPacket): void {
  if (p.version !== ONION_VERSION) throw new OnionError('bad_onion_version', `onion version ${p.version}`, 'invalid_onion_version');
}

/**
 * peelOnion given the shared secret (ECDH of the node key and the packet's public key) computed
 * elsewhere: by hsmd, which alone holds the node key (lightningd's incoming HTLCs).
 */
export function peelWithSharedSecret(ss: Uint8Array, p: OnionPacket, associatedData: Uint8Array, size = ROUTING_INFO_SIZE): PeeledOnion {
  checkOnionVersion(p);
  // "MUST compute ... the HMAC ... and if it does not match: MUST abort" (invalid_onion_hmac)
  const hmac = hmacSha256(generateKey('mu', ss), concat(p.hopPayloads, associatedData));
  if (!macEqual(hmac, p.hmac)) throw new OnionError('bad_onion_hmac', 'onion HMAC does not match', 'invalid_onion_hmac');
  const stream = generateCipherStream(generateKey('rho', ss), 2 * size);
  const plain = new Uint8Array(2 * size);
  plain.set(p.hopPayloads);
  for (let k = 0; k < plain.length; k++) plain[k]! ^= stream[k]!;
  const r = new Reader(plain);
  let len: bigint;
  try {
    len = readBigSize(r);
  } catch {
    throw new OnionError('bad_payload_length', 'hop payload length is not a canonical BigSize', 'invalid_onion_payload');
  }
  // A length of 0 was the legacy realm byte, no longer supported; the payload must fit.
  if (len === 0n || len > BigInt(size - r.pos - HMAC_SIZE)) {
    throw new OnionError('bad_payload_length', `hop payload length ${len}`, 'invalid_onion_payload');
  }
  const payload = r.bytes(Number(len)).slice();
  const nextHmac = r.bytes(HMAC_SIZE).slice();
  const nextPayloads = r.bytes(size).slice();
  if (equal(nextHmac, new Uint8Array(HMAC_SIZE))) return { payload, sharedSecret: ss };
  const next: OnionPacket = {
    version: ONION_VERSION,
    publicKey: multiplyPoint(p.publicKey, blindingFactor(p.publicKey, ss)),
    hopPayloads: nextPayloads,
    hmac: nextHmac,
  };
  return { payload, sharedSecret: ss, next, nextBytes: serializeOnion(next) };
}
