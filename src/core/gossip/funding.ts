// The funding output a channel_announcement must point at, for the chain backend's check
// (BOLT 7: "if the short_channel_id's output does NOT correspond to a P2WSH (using bitcoin_key_1
// and bitcoin_key_2, as specified in BOLT #3) OR the output is spent: MUST ignore the message").
import { compare, concat } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';

/** BOLT 3 "Funding Transaction Output": `2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG`, keys sorted. */
export function fundingWitnessScript(bitcoin_key_1: Uint8Array, bitcoin_key_2: Uint8Array): Uint8Array {
  const [a, b] = compare(bitcoin_key_1, bitcoin_key_2) <= 0 ? [bitcoin_key_1, bitcoin_key_2] : [bitcoin_key_2, bitcoin_key_1];
  return concat(new Uint8Array([0x52, 0x21]), a, new Uint8Array([0x21]), b, new Uint8Array([0x52, 0xae]));
}

/** The P2WSH scriptPubKey of that script: `OP_0 <sha256(script)>`. */
export function fundingScriptPubKey(bitcoin_key_1: Uint8Array, bitcoin_key_2: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0x00, 0x20]), sha256(fundingWitnessScript(bitcoin_key_1, bitcoin_key_2)));
}
