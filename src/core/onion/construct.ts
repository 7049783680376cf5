// BOLT 4 "Packet Construction" (the origin node): wrap each hop's payload, innermost first,
// with the filler that keeps every hop's view the same length.
import { concat } from '../base/bytes.ts';
import { hmacSha256 } from '../crypto/primitives.ts';
import { encodeBigSize } from '../wire/bigsize.ts';
import { generateCipherStream, generateKey } from './crypto.ts';
import { OnionError } from './errors.ts';
import { hopKeys } from './keys.ts';
import { HMAC_SIZE, ONION_VERSION, ROUTING_INFO_SIZE, serializeOnion, type OnionPacket } from './packet.ts';

export interface OnionHop {
  pubkey: Uint8Array;
  /** The hop's TLV payload, without its BigSize length. */
  payload: Uint8Array;
}

export interface BuiltOnion {
  packet: OnionPacket;
  bytes: Uint8Array;
  /** One per hop, for decoding the error onion that may come back. */
  sharedSecrets: Uint8Array[];
}

/** BOLT 4 "Filler Generation": the bytes the last hops would see shifted in, precomputed. */
export function generateFiller(
  keyType: 'rho',
  hopSizes: readonly number[],
  secrets: readonly Uint8Array[],
  size = ROUTING_INFO_SIZE,
): Uint8Array {
  const fillerSize = hopSizes.slice(0, -1).reduce((a, b) => a + b, 0);
  const filler = new Uint8Array(fillerSize);
  let start = size;
  for (let i = 0; i < hopSizes.length - 1; i++) {
    start -= i > 0 ? hopSizes[i - 1]! : 0;
    const end = size + hopSizes[i]!;
    const stream = generateCipherStream(generateKey(keyType, secrets[i]!), 2 * size);
    for (let k = 0; k < end - start; k++) filler[k]! ^= stream[start + k]!;
  }
  return filler;
}

export function createOnion(
  sessionKey: Uint8Array,
  hops: readonly OnionHop[],
  associatedData: Uint8Array,
  size = ROUTING_INFO_SIZE,
): BuiltOnion {
  if (hops.length === 0) throw new OnionError('empty_route', 'an onion needs at least one hop');
  const keys = hopKeys(
    sessionKey,
    hops.map(h => h.pubkey),
  );
  const secrets = keys.map(k => k.sharedSecret);
  // Each hop's share: BigSize length, payload, HMAC.
  const framed = hops.map(h => concat(encodeBigSize(h.payload.length), h.payload));
  const hopSizes = framed.map(f => f.length + HMAC_SIZE);
  const total = hopSizes.reduce((a, b) => a + b, 0);
  if (total > size) throw new OnionError('route_too_long', `payloads take ${total} bytes, over ${size}`);
  const filler = generateFiller('rho', hopSizes, secrets, size);
  // "the `hop_payloads` field is initialized with ... the `pad` key" stream.
  let routingInfo: Uint8Array = generateCipherStream(generateKey('pad', sessionKey), size);
  let nextHmac: Uint8Array = new Uint8Array(HMAC_SIZE); // the final hop gets an all-zero HMAC
  for (let i = hops.length - 1; i >= 0; i--) {
    const shifted = new Uint8Array(size);
    shifted.set(framed[i]!);
    shifted.set(nextHmac, framed[i]!.length);
    shifted.set(routingInfo.subarray(0, size - hopSizes[i]!), hopSizes[i]!);
    const stream = generateCipherStream(generateKey('rho', secrets[i]!), size);
    for (let k = 0; k < size; k++) shifted[k]! ^= stream[k]!;
    if (i === hops.length - 1) shifted.set(filler, size - filler.length);
    routingInfo = shifted;
    nextHmac = hmacSha256(generateKey('mu', secrets[i]!), concat(routingInfo, associatedData));
  }
  const packet: OnionPacket = { version: ONION_VERSION, publicKey: keys[0]!.ephemeralKey, hopPayloads: routingInfo, hmac: nextHmac };
  return { packet, bytes: serializeOnion(packet), sharedSecrets: secrets };
}
