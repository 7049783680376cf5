// BOLT 3 "Commitment Transaction Construction": one side's commitment transaction from the
// balances, the committed HTLCs, the feerate and that side's dust limit.
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../base/bytes.ts';
import { Bolt3Error } from './errors.ts';
import { ANCHOR_SATOSHIS, commitmentFee, isTrimmed } from './fees.ts';
import { obscuredLocktimeSequence } from './obscure.ts';
import { sortOutputs } from './order.ts';
import {
  anchorScript,
  fundingScript,
  offeredHtlcScript,
  p2wpkh,
  p2wsh,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
} from './scripts.ts';

/** An HTLC as the commitment's owner sees it: offered by the owner, or received by it. */
export interface Htlc {
  offered: boolean;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
  /** The caller's reference (e.g. BOLT 2's `id`), carried through to the output. */
  id?: bigint;
}

/** The keys of one commitment, derived for its per_commitment_point (see keys.ts). */
export interface CommitmentKeys {
  revocationPubkey: Uint8Array;
  localDelayedPubkey: Uint8Array;
  /** option_static_remotekey: the remote node's payment_basepoint. */
  remotePubkey: Uint8Array;
  localHtlcPubkey: Uint8Array;
  remoteHtlcPubkey: Uint8Array;
}

export interface CommitmentSpec {
  /** The funding txid as displayed (big-endian hex), from `funding_created`. */
  fundingTxid: string;
  fundingOutputIndex: number;
  fundingSatoshis: bigint;
  localFundingPubkey: Uint8Array;
  remoteFundingPubkey: Uint8Array;
  commitmentNumber: bigint;
  /** obscure.ts `obscuringFactor(opener's payment_basepoint, accepter's)`. */
  obscuringFactor: bigint;
  /** option_anchors (zero-fee HTLC transactions); otherwise option_static_remotekey alone. */
  anchors: boolean;
  /** Whether the owner of this commitment is the channel's opener (who pays the fee and the anchors). */
  localIsOpener: boolean;
  toLocalMsat: bigint;
  toRemoteMsat: bigint;
  feeratePerKw: number;
  /** The owner's `dust_limit_satoshis`. */
  dustLimitSatoshis: bigint;
  /** The `to_self_delay` the remote asked the owner to wait. */
  toSelfDelay: number;
  keys: CommitmentKeys;
  htlcs: readonly Htlc[];
}

export type OutputKind = 'to_local' | 'to_remote' | 'to_local_anchor' | 'to_remote_anchor' | 'offered_htlc' | 'received_htlc';

export interface CommitmentOutput {
  kind: OutputKind;
  amount: bigint;
  /** The scriptPubKey. */
  script: Uint8Array;
  /** The witness script behind the P2WSH (absent for a P2WPKH to_remote). */
  witnessScript?: Uint8Array;
  htlc?: Htlc;
  cltvExpiry?: number;
}

export interface Commitment {
  tx: Transaction;
  /** In transaction order: outputs[i] is output i. */
  outputs: CommitmentOutput[];
  /** The base fee (BOLT 3 "Fee Calculation"), before trimmed amounts add to it. */
  baseFee: bigint;
  fundingScript: Uint8Array;
  lockTime: number;
  sequence: number;
}

/** Options btc-signer needs for BOLT 3's scripts, which are not among its known templates. */
export const TX_OPTS = { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true } as const;

function checkSpec(s: CommitmentSpec): void {
  const held = s.toLocalMsat + s.toRemoteMsat + s.htlcs.reduce((sum, h) => sum + h.amountMsat, 0n);
  if (s.toLocalMsat < 0n || s.toRemoteMsat < 0n || s.htlcs.some(h => h.amountMsat < 0n)) {
    throw new Bolt3Error('bad_balance', 'a balance or HTLC amount is negative');
  }
  if (held !== s.fundingSatoshis * 1000n) {
    throw new Bolt3Error('bad_balance', `balances and HTLCs hold ${held} msat of a ${s.fundingSatoshis} sat channel`);
  }
  if (!Number.isInteger(s.fundingOutputIndex) || s.fundingOutputIndex < 0 || s.fundingOutputIndex > 0xffffffff) {
    throw new Bolt3Error('bad_outpoint', 'funding_output_index is not a u32');
  }
  if (!/^[0-9a-f]{64}$/i.test(s.fundingTxid)) throw new Bolt3Error('bad_outpoint', 'funding txid is not 32 bytes of hex');
}

/** BOLT 3 "Commitment Transaction Construction", steps 1 to 9. */
export function buildCommitment(s: CommitmentSpec): Commitment {
  checkSpec(s);
  // 1. Input and locktime (BOLT 3 "Commitment Transaction").
  const { lockTime, sequence } = obscuredLocktimeSequence(s.commitmentNumber, s.obscuringFactor);
  const funding = fundingScript(s.localFundingPubkey, s.remoteFundingPubkey);
  // Calculate which committed HTLCs need to be trimmed ("Trimmed Outputs").
  const untrimmed = s.htlcs.filter(h => !isTrimmed(h.offered, h.amountMsat, s.feeratePerKw, s.dustLimitSatoshis, s.anchors));
  // 2. The base fee.
  const baseFee = commitmentFee(s.feeratePerKw, untrimmed.length, s.anchors);
  // 3. The fee (and with option_anchors two anchors of 330 sats) come out of the opener's amount
  //    ("Fee Payment"); amounts are rounded down to whole satoshis.
  const openerCost = baseFee + (s.anchors ? 2n * ANCHOR_SATOSHIS : 0n);
  let toLocal = s.toLocalMsat / 1000n;
  let toRemote = s.toRemoteMsat / 1000n;
  if (s.localIsOpener) toLocal = toLocal > openerCost ? toLocal - openerCost : 0n;
  else toRemote = toRemote > openerCost ? toRemote - openerCost : 0n;

  const outputs: CommitmentOutput[] = [];
  const htlcKeys = {
    revocationPubkey: s.keys.revocationPubkey,
    localHtlcPubkey: s.keys.localHtlcPubkey,
    remoteHtlcPubkey: s.keys.remoteHtlcPubkey,
  };
  // 4. and 5. Offered and received HTLC outputs that are not trimmed.
  for (const h of untrimmed) {
    const ws = h.offered
      ? offeredHtlcScript(htlcKeys, h.paymentHash, s.anchors)
      : receivedHtlcScript(htlcKeys, h.paymentHash, h.cltvExpiry, s.anchors);
    outputs.push({
      kind: h.offered ? 'offered_htlc' : 'received_htlc',
      amount: h.amountMsat / 1000n,
      script: p2wsh(ws),
      witnessScript: ws,
      htlc: h,
      cltvExpiry: h.cltvExpiry,
    });
  }
  // 6. to_local if at least dust_limit_satoshis.
  const hasLocal = toLocal >= s.dustLimitSatoshis;
  if (hasLocal) {
    const ws = toLocalScript(s.keys.revocationPubkey, s.toSelfDelay, s.keys.localDelayedPubkey);
    outputs.push({ kind: 'to_local', amount: toLocal, script: p2wsh(ws), witnessScript: ws });
  }
  // 7. to_remote if at least dust_limit_satoshis: P2WPKH, or with option_anchors the 1-block CSV script.
  const hasRemote = toRemote >= s.dustLimitSatoshis;
  if (hasRemote) {
    if (s.anchors) {
      const ws = toRemoteAnchorsScript(s.keys.remotePubkey);
      outputs.push({ kind: 'to_remote', amount: toRemote, script: p2wsh(ws), witnessScript: ws });
    } else {
      outputs.push({ kind: 'to_remote', amount: toRemote, script: p2wpkh(s.keys.remotePubkey) });
    }
  }
  // 8. With option_anchors, each side's anchor if its balance output exists or any HTLC is untrimmed.
  if (s.anchors) {
    if (hasLocal || untrimmed.length > 0) {
      const ws = anchorScript(s.localFundingPubkey);
      outputs.push({ kind: 'to_local_anchor', amount: ANCHOR_SATOSHIS, script: p2wsh(ws), witnessScript: ws });
    }
    if (hasRemote || untrimmed.length > 0) {
      const ws = anchorScript(s.remoteFundingPubkey);
      outputs.push({ kind: 'to_remote_anchor', amount: ANCHOR_SATOSHIS, script: p2wsh(ws), witnessScript: ws });
    }
  }
  // 9. BIP 69 + CLTV order.
  const sorted = sortOutputs(outputs);

  const tx = new Transaction({ version: 2, lockTime, ...TX_OPTS });
  tx.addInput({
    txid: fromHex(s.fundingTxid),
    index: s.fundingOutputIndex,
    sequence,
    witnessUtxo: { script: p2wsh(funding), amount: s.fundingSatoshis },
  });
  for (const o of sorted) tx.addOutput({ script: o.script, amount: o.amount });
  return { tx, outputs: sorted, baseFee, fundingScript: funding, lockTime, sequence };
}
