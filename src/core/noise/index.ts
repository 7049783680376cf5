// BOLT 8: Encrypted and Authenticated Transport (Noise_XK_secp256k1_ChaChaPoly_SHA256).
// State machines for both handshake roles and the transport they produce; bytes in, bytes out.
export { NoiseInitiator, type NoiseInitiatorOptions, type InitiatorResult } from './initiator.ts';
export { NoiseResponder, type NoiseResponderOptions, type ResponderResult } from './responder.ts';
export { NoiseTransport, type TransportKeys, MAX_MESSAGE_SIZE, LENGTH_HEADER_SIZE, MAC_SIZE } from './transport.ts';
export { KEY_ROTATION_INTERVAL } from './cipher-state.ts';
export { ACT_ONE_SIZE, ACT_TWO_SIZE, ACT_THREE_SIZE, HANDSHAKE_VERSION, type Ecdh } from './act.ts';
export { PROTOCOL_NAME, PROLOGUE } from './symmetric.ts';
