// keysend (bLIP 3): the payer picks the preimage and sends it to the payee in the final hop's
// payload, as odd TLV record 5482373484; there is no invoice, so no `payment_secret` to check.
import { equal } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { HopPayload } from '../onion/payload.ts';

export const KEYSEND_TLV = 5482373484n;

/** The record to put in the final payload (onion-build.ts FinalHopData.extra). */
export function keysendRecord(preimage: Uint8Array): { type: bigint; value: Uint8Array } {
  if (preimage.length !== 32) throw new RangeError('a keysend preimage is 32 bytes');
  return { type: KEYSEND_TLV, value: preimage };
}

/** At the payee: the preimage of a keysend payload whose hash is the HTLC's, or undefined. */
export function keysendPreimage(p: HopPayload, payment_hash: Uint8Array): Uint8Array | undefined {
  const rec = p.unknown?.find(u => u.type === KEYSEND_TLV);
  if (!rec || rec.value.length !== 32 || !equal(sha256(rec.value), payment_hash)) return undefined;
  return rec.value;
}
