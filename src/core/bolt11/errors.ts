// Why an invoice is refused. Every BOLT 11 reader rule that says "MUST fail the payment" is one
// `code` here, so a caller (and a test) can tell the reasons apart.
import { BoltError } from '../base/errors.ts';

export type Bolt11ErrorCode =
  | 'bad_bech32' // BOLT 11 "Encoding Overview": not parseable as Bech32 (BIP-0173)
  | 'bad_checksum' // BOLT 11: "if the checksum is incorrect: MUST fail the payment"
  | 'mixed_case' // BIP-0173: upper and lower case mixed
  | 'unknown_prefix' // BOLT 11 "Human-Readable Part": a `prefix` we do not understand
  | 'bad_amount' // BOLT 11: `amount` has a non-digit or an unknown multiplier
  | 'sub_msat_amount' // BOLT 11: `p` multiplier with a last decimal other than 0
  | 'too_short' // BOLT 11 "Data Part": no room for timestamp and signature
  | 'bad_field' // a tagged field whose data cannot be what its type says
  | 'not_minimal' // BOLT 11: `c`, `x` or `9` with leading 0 field elements ("SHOULD treat as invalid")
  | 'bad_utf8' // BOLT 11: `d` "MUST set `d` to a valid UTF-8 string"
  | 'missing_payment_hash' // BOLT 11: "MUST include exactly one `p` field"
  | 'missing_payment_secret' // BOLT 11: "if a valid `s` field is not provided: MUST fail the payment"
  | 'missing_description' // BOLT 11: "neither a `d` field nor a `h` field is present"
  | 'both_descriptions' // BOLT 11: "... or if both are present"
  | 'description_mismatch' // BOLT 11: `h` must match the hashed description
  | 'unknown_required_feature' // BOLT 11 "Feature Bits": unknown even bit set
  | 'missing_feature_dependency' // BOLT 11 "Feature Bits": known transitive dependency not set
  | 'bad_signature' // BOLT 11 "Data Part": "MUST check that the `signature` is valid"
  | 'unrecoverable_signature' // public key recovery fails
  | 'high_s' // BOLT 11 `n`: "If the signature is not compliant with the low-S standard rule: MUST fail"
  | 'bad_invoice'; // a value we refuse to encode

export class Bolt11Error extends BoltError {
  declare readonly code: Bolt11ErrorCode;
  constructor(code: Bolt11ErrorCode, message: string) {
    super(code, message);
  }
}
