// The BOLT 11 writer rules on which fields an invoice carries, so a caller cannot forget one:
// exactly one `p` and one `s`, exactly one of `d` or `h`, `9` omitted when no bit is set.
import type { FeatureVector } from '../features/index.ts';
import { Bolt11Error } from './errors.ts';
import type { Fallback } from './fallback.ts';
import type { RouteHop, TaggedField } from './fields.ts';

export interface NewInvoice {
  paymentHash: Uint8Array;
  paymentSecret: Uint8Array;
  description?: string;
  descriptionHash?: Uint8Array;
  metadata?: Uint8Array;
  expiry?: number;
  minFinalCltvExpiry?: number;
  fallbacks?: Fallback[];
  /** Each entry is one `r` field: a private route to the payee, most preferred first. */
  routes?: RouteHop[][];
  features?: FeatureVector;
  /** Put the payee's key in an `n` field (readers then verify instead of recovering). */
  payee?: Uint8Array;
}

export function buildInvoiceFields(inv: NewInvoice): TaggedField[] {
  const len32 = (b: Uint8Array, what: string) => {
    if (b.length !== 32) throw new Bolt11Error('bad_invoice', `${what} must be 32 bytes`);
    return b;
  };
  // "MUST include either exactly one `d` or exactly one `h` field."
  if ((inv.description === undefined) === (inv.descriptionHash === undefined)) {
    throw new Bolt11Error('bad_invoice', 'an invoice has exactly one of description and descriptionHash');
  }
  const fields: TaggedField[] = [
    { tag: 'p', value: len32(inv.paymentHash, 'payment_hash') },
    { tag: 's', value: len32(inv.paymentSecret, 'payment_secret') },
  ];
  if (inv.description !== undefined) fields.push({ tag: 'd', value: inv.description });
  else fields.push({ tag: 'h', value: len32(inv.descriptionHash!, 'description hash') });
  if (inv.metadata) fields.push({ tag: 'm', value: inv.metadata });
  if (inv.payee) fields.push({ tag: 'n', value: inv.payee });
  if (inv.expiry !== undefined) fields.push({ tag: 'x', value: inv.expiry });
  // "SHOULD include one `c` field (`min_final_cltv_expiry_delta`)."
  if (inv.minFinalCltvExpiry !== undefined) fields.push({ tag: 'c', value: inv.minFinalCltvExpiry });
  for (const f of inv.fallbacks ?? []) fields.push({ tag: 'f', value: f });
  for (const r of inv.routes ?? []) fields.push({ tag: 'r', value: r });
  // "if `9` contains non-zero bits: ... otherwise: MUST omit the `9` field altogether."
  if (inv.features && !inv.features.isEmpty) fields.push({ tag: '9', value: inv.features });
  return fields;
}
