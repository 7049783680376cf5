// keysend (bLIP 3): the payer picks the preimage and sends it to the payee in the final hop's
// payload, as TLV record 5482373484 (onion/payload.ts `keysend_preimage`); there is no invoice, so
// no `payment_secret` to check.
import { equal } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { HopPayload } from '../onion/payload.ts';

export const KEYSEND_TLV = 5482373484n;

/** The final hop's data for a keysend of `preimage` (onion-build.ts FinalHopData). */
export function keysendFinal(preimage: Uint8Array): { keysend_preimage: Uint8Array } {
  if (preimage.length !== 32) throw new RangeError('a keysend preimage is 32 bytes');
  return { keysend_preimage: preimage };
}

/** At the payee: the preimage of a keysend payload whose hash is the HTLC's, or undefined. */
export function keysendPreimage(p: HopPayload, payment_hash: Uint8Array): Uint8Array | undefined {
  const pre = p.keysend_preimage?.payment_preimage;
  if (!pre || !equal(sha256(pre), payment_hash)) return undefined;
  return pre;
}
