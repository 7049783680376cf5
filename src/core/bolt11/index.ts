// BOLT 11 invoices: decode and check, build and sign, and Core Lightning's `decode` result.
export { Bolt11Error, type Bolt11ErrorCode } from './errors.ts';
export { CURRENCIES, formatHrp, parseHrp, type Currency, type Hrp } from './hrp.ts';
export { DEFAULT_EXPIRY, DEFAULT_MIN_FINAL_CLTV_EXPIRY, TAGGED_FIELDS, type RouteHop, type TaggedField } from './fields.ts';
export { fallbackAddress, fallbackScript, fallbackType, type Fallback, type FallbackType } from './fallback.ts';
export {
  decodeInvoice,
  encodeInvoice,
  invoiceToSign,
  signedInvoice,
  type DecodeOptions,
  type Invoice,
  type InvoiceContent,
} from './invoice.ts';
export { buildInvoiceFields, type NewInvoice } from './build.ts';
export { bolt11DecodeResult, decodeBolt11, type DecodedBolt11 } from './rpc.ts';
export { signingData, signingHash } from './signature.ts';
