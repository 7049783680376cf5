// Core Lightning's `decode` RPC result for a bolt11 string (doc/schemas/decode.json, the bolt11
// branch; `decodepay` returned the same fields), as a pure function lightningd can call.
import { toHex } from '../base/bytes.ts';
import { derFromCompact } from '../bolt3/der.ts';
import { formatScid } from '../wire/scid.ts';
import { fallbackAddress, fallbackScript, fallbackType } from './fallback.ts';
import { BECH32_CHARSET } from './fields.ts';
import { decodeInvoice, type DecodeOptions, type Invoice } from './invoice.ts';

export interface DecodedBolt11 {
  type: 'bolt11 invoice';
  valid: true;
  currency: string;
  created_at: number;
  expiry: number;
  payee: string;
  amount_msat?: number | bigint;
  payment_hash: string;
  /** DER, as Core Lightning prints it. */
  signature: string;
  description?: string;
  description_hash?: string;
  min_final_cltv_expiry: number;
  payment_secret: string;
  features?: string;
  payment_metadata?: string;
  fallbacks?: { type: string; addr?: string; hex: string }[];
  routes?: {
    pubkey: string;
    short_channel_id: string;
    fee_base_msat: number;
    fee_proportional_millionths: number;
    cltv_expiry_delta: number;
  }[][];
  /** Fields we skipped, by their Bech32 letter and data characters. */
  extra?: { tag: string; data: string }[];
}

/** msat as a JSON number while exact, else a bigint for the RPC layer to print. */
const msat = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

export function bolt11DecodeResult(inv: Invoice): DecodedBolt11 {
  const out: DecodedBolt11 = {
    type: 'bolt11 invoice',
    valid: true,
    currency: inv.currency,
    created_at: inv.timestamp,
    expiry: inv.expiry,
    payee: toHex(inv.payee),
    payment_hash: toHex(inv.paymentHash),
    signature: toHex(derFromCompact(inv.signature)),
    min_final_cltv_expiry: inv.minFinalCltvExpiry,
    payment_secret: toHex(inv.paymentSecret),
  };
  if (inv.amountMsat !== undefined) out.amount_msat = msat(inv.amountMsat);
  if (inv.description !== undefined) out.description = inv.description;
  if (inv.descriptionHash) out.description_hash = toHex(inv.descriptionHash);
  if (inv.features) out.features = inv.features.toHex();
  if (inv.metadata) out.payment_metadata = toHex(inv.metadata);
  if (inv.fallbacks.length) {
    out.fallbacks = inv.fallbacks.map(f => {
      const type = fallbackType(f);
      return type
        ? { type, addr: fallbackAddress(f, inv.currency), hex: toHex(fallbackScript(f)) }
        : { type: 'UNKNOWN', hex: toHex(fallbackScript(f)) };
    });
  }
  if (inv.routes.length) {
    out.routes = inv.routes.map(r =>
      r.map(h => ({
        pubkey: toHex(h.pubkey),
        short_channel_id: formatScid(h.shortChannelId),
        fee_base_msat: h.feeBaseMsat,
        fee_proportional_millionths: h.feeProportionalMillionths,
        cltv_expiry_delta: h.cltvExpiryDelta,
      })),
    );
  }
  if (inv.unknown.length) {
    out.extra = inv.unknown.map(u => ({ tag: BECH32_CHARSET[u.type]!, data: u.words.map(w => BECH32_CHARSET[w]).join('') }));
  }
  return out;
}

/** `decode` for a bolt11 string: the result, or a Bolt11Error naming why it is refused. */
export function decodeBolt11(bolt11: string, opts?: DecodeOptions): DecodedBolt11 {
  return bolt11DecodeResult(decodeInvoice(bolt11, opts));
}
