// BOLT 4 "Packet Construction": the shared secret with each hop and the ephemeral key each hop
// sees, the origin blinding its ephemeral key after every hop.
import { getPublicKey } from '../crypto/primitives.ts';
import { blindingFactor, multiplySecret, sharedSecret } from './crypto.ts';

export interface HopKeys {
  /** The ephemeral public key this hop receives. */
  ephemeralKey: Uint8Array;
  sharedSecret: Uint8Array;
}

/** Shared secrets and ephemeral keys for a route, from the origin's `session_key`. */
export function hopKeys(sessionKey: Uint8Array, hopPubkeys: readonly Uint8Array[]): HopKeys[] {
  let ephemeralSecret = sessionKey;
  const out: HopKeys[] = [];
  for (const [i, pub] of hopPubkeys.entries()) {
    const ephemeralKey = getPublicKey(ephemeralSecret);
    const secret = sharedSecret(ephemeralSecret, pub);
    out.push({ ephemeralKey, sharedSecret: secret });
    // "the next hop's ephemeral key is derived by multiplying by the blinding factor"
    if (i < hopPubkeys.length - 1) ephemeralSecret = multiplySecret(ephemeralSecret, blindingFactor(ephemeralKey, secret));
  }
  return out;
}
