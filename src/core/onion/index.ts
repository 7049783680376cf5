// BOLT 4 onion routing: Sphinx construction and processing, hop payloads, failure messages, the
// error onion and route blinding.
export { OnionError } from './errors.ts';
export { generateKey, generateCipherStream } from './crypto.ts';
export { hopKeys, type HopKeys } from './keys.ts';
export { HMAC_SIZE, ONION_PACKET_SIZE, ONION_VERSION, ROUTING_INFO_SIZE, parseOnion, serializeOnion, type OnionPacket } from './packet.ts';
export { createOnion, generateFiller, type BuiltOnion, type OnionHop } from './construct.ts';
export { checkOnionVersion, peelOnion, peelWithSharedSecret, type PeeledOnion } from './process.ts';
export { PAYLOAD_TLVS, checkHopPayload, decodeHopPayload, encodeHopPayload, type HopPayload, type PayloadContext } from './payload.ts';
export {
  BADONION,
  FAILURES,
  NODE,
  PERM,
  UPDATE,
  decodeFailure,
  encodeFailure,
  failureCode,
  type Failure,
  type FailureName,
  type UnknownFailure,
} from './failures.ts';
export {
  MAX_ERROR_HOPS,
  buildErrorPayload,
  createErrorPacket,
  decodeErrorPacket,
  obfuscateError,
  type DecodedError,
} from './error-onion.ts';
export {
  ENCRYPTED_DATA_TLVS,
  blindedForward,
  blindedNodeSecret,
  blindedOnionPoint,
  buildBlindedPath,
  decodeEncryptedData,
  encodeEncryptedData,
  unblindHop,
  unblindWithSharedSecret,
  type BlindedHopBuild,
  type BlindedPath,
  type EncryptedData,
  type UnblindedHop,
} from './blinding.ts';
export {
  ATTRIBUTION_DATA_LEN,
  ATTRIBUTION_MAX_HOPS,
  addAttribution,
  checkAttribution,
  checkFailureAttribution,
  type Attribution,
} from './attribution.ts';
