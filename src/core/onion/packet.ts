// BOLT 4 "Packet Structure": `onion_packet` = version (1 byte), public_key (33), hop_payloads
// (1300 bytes), hmac (32): 1366 bytes.
import { concat } from '../base/bytes.ts';
import { OnionError } from './errors.ts';

export const ONION_VERSION = 0;
/** BOLT 4: the `hop_payloads` field of a payment onion is 1300 bytes. */
export const ROUTING_INFO_SIZE = 1300;
export const HMAC_SIZE = 32;
export const ONION_PACKET_SIZE = 1 + 33 + ROUTING_INFO_SIZE + HMAC_SIZE;

export interface OnionPacket {
  version: number;
  publicKey: Uint8Array;
  hopPayloads: Uint8Array;
  hmac: Uint8Array;
}

export function serializeOnion(p: OnionPacket): Uint8Array {
  return concat(new Uint8Array([p.version]), p.publicKey, p.hopPayloads, p.hmac);
}

/** Reads an onion packet of any `hop_payloads` length (payment onions use 1300). */
export function parseOnion(bytes: Uint8Array, routingInfoSize = ROUTING_INFO_SIZE): OnionPacket {
  if (bytes.length !== 1 + 33 + routingInfoSize + HMAC_SIZE) {
    throw new OnionError('bad_onion_length', `onion of ${bytes.length} bytes, want ${1 + 33 + routingInfoSize + HMAC_SIZE}`);
  }
  return {
    version: bytes[0]!,
    publicKey: bytes.subarray(1, 34),
    hopPayloads: bytes.subarray(34, 34 + routingInfoSize),
    hmac: bytes.subarray(34 + routingInfoSize),
  };
}
