// What lightningd decided for one incoming HTLC (htlcs-in.ts, receive.ts): what it hands the
// channel's channeld until channeld reports the HTLC resolved.
import { createErrorPacket, encodeFailure, type Failure } from '../../onion/index.ts';

export type Resolution =
  | { kind: 'fulfill'; preimage: Uint8Array }
  | { kind: 'fail'; reason: Uint8Array }
  | { kind: 'malformed'; sha256OfOnion: Uint8Array; code: number };

/** BOLT 4 "Returning Errors": the failure in an error onion with this hop's shared secret. */
export function failWith(sharedSecret: Uint8Array, f: Failure): Resolution {
  return { kind: 'fail', reason: createErrorPacket(sharedSecret, encodeFailure(f)) };
}
