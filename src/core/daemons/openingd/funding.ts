// The funding output an open agrees on and the channel_id it gives: BOLT 3 "Funding Transaction
// Output" and BOLT 2 "Definition of `channel_id`".
import { fromHex, toHex } from '../../base/bytes.ts';
import { fundingScript, p2wsh } from '../../bolt3/index.ts';
import type { SideParams } from '../../channel/state.ts';

/** The P2WSH output the funding transaction must pay, and its witness script (BOLT 3 "Funding Transaction Output"). */
export interface FundingOutput {
  script: Uint8Array;
  witnessScript: Uint8Array;
  amount: bigint;
}

export function fundingOutputOf(deal: { opener: SideParams; accepter: SideParams; fundingSatoshis: bigint }): FundingOutput {
  const witnessScript = fundingScript(deal.opener.fundingPubkey, deal.accepter.fundingPubkey);
  return { script: p2wsh(witnessScript), witnessScript, amount: deal.fundingSatoshis };
}

/**
 * BOLT 2 "Definition of `channel_id`": the funding_txid (as funding_created carries it, in
 * internal byte order) with `funding_output_index` XORed into its last 2 bytes, big-endian.
 */
export function channelIdOf(fundingTxid: Uint8Array, outputIndex: number): Uint8Array {
  const id = fundingTxid.slice();
  id[30]! ^= outputIndex >> 8;
  id[31]! ^= outputIndex & 0xff;
  return id;
}

/** A txid as displayed (bitcoin's big-endian hex) from its internal bytes, and back. */
export const displayTxid = (internal: Uint8Array): string => toHex(internal.slice().reverse());
export const internalTxid = (display: string): Uint8Array => fromHex(display).reverse();
