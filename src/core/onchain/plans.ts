// BOLT 5: how we spend each output that is ours, as data: what hsmd is asked to sign (channel-sweep.ts
// SweepRequest), which witness BOLT 3 gives the path, and the input's sequence and the locktime
// (the CSV and CLTV the script demands). sweep.ts turns a plan into a transaction.
import type { Transaction } from '@scure/btc-signer';
import { htlcSighashType, p2wsh, toRemoteAnchorsScript, type CommitmentOutput, type HtlcTx } from '../bolt3/index.ts';
import type { ChannelState } from '../channel/state.ts';
import type { SweepRequest } from '../daemons/hsmd/channel-sweep.ts';

type Distributive<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** hsmd's sweep request without what sweep.ts fills in. */
export type SignRequest = Distributive<SweepRequest, 'tx' | 'input' | 'amount' | 'destination'>;

/** The BOLT 3 witness of the path (bolt3/witness.ts). */
export type WitnessKind =
  | 'delayed'
  | 'revoked'
  | 'revoked_htlc'
  | 'to_remote_anchors'
  | 'to_remote_p2wpkh'
  | 'remote_htlc_timeout'
  | 'remote_htlc_preimage'
  | 'htlc_timeout_tx'
  | 'htlc_success_tx';

/** BIP 125: replaceable, and lets nLockTime apply. */
const RBF = 0xfffffffd;

export interface SpendPlan {
  sign: SignRequest;
  witness: WitnessKind;
  /** The script the witness ends in (absent for a P2WPKH to_remote, whose witness ends in the key). */
  witnessScript?: Uint8Array;
  sequence: number;
  lockTime: number;
  /** Blocks the output must be deep before a spend is valid (BIP 68 through OP_CSV). */
  csv: number;
  /** The path needs the HTLC's payment_preimage. */
  needsPreimage: boolean;
  /** revoked_htlc: the revocation key the witness carries. */
  revocationPubkey?: Uint8Array;
  /** Our HTLC transaction (BOLT 3 second stage), with the peer's signature on it, instead of a sweep. */
  htlcTx?: { tx: Transaction; remoteSignature: Uint8Array; sighashType: number };
  /**
   * A second stage to follow: when the output is spent by a transaction whose output at the
   * spending input's index pays `script` (our HTLC transaction; the peer's on its revoked
   * commitment), that output is tracked as `kind` and spent by `plan`.
   */
  then?: { kind: 'our_htlc_tx_output' | 'revoked_htlc_tx_output'; script: Uint8Array; plan: SpendPlan };
}

/** A plan whose input waits `csv` blocks (its sequence that CSV, or RBF's without one), no locktime, no preimage. */
function waiting(sign: SignRequest, witness: WitnessKind, witnessScript: Uint8Array | undefined, csv: number): SpendPlan {
  return { sign, witness, ...(witnessScript ? { witnessScript } : {}), sequence: csv || RBF, lockTime: 0, csv, needsPreimage: false };
}

/**
 * BOLT 5 "Unilateral Close Handling: Remote Commitment": our to_remote, by our payment_basepoint
 * (1-block CSV with option_anchors). Also a restored node's, which knows no more of the channel.
 */
export function toUsPlan(paymentBasepoint: Uint8Array, anchors: boolean): SpendPlan {
  return anchors
    ? waiting({ kind: 'to_remote' }, 'to_remote_anchors', toRemoteAnchorsScript(paymentBasepoint), 1)
    : waiting({ kind: 'to_remote' }, 'to_remote_p2wpkh', undefined, 0);
}

/** The plans for `state`'s channel. */
export function plans(state: ChannelState) {
  const p = state.params;
  const anchorsCsv = p.anchors ? 1 : 0;
  const anchorsSeq = p.anchors ? 1 : RBF;
  const self = {
    /** BOLT 5 "Local Commitment": to_local (and our HTLC transactions' outputs) after to_self_delay. */
    ourDelayed(commitmentNumber: bigint, witnessScript: Uint8Array): SpendPlan {
      return waiting({ kind: 'delayed', commitmentNumber }, 'delayed', witnessScript, p.remote.toSelfDelay);
    },
    /**
     * BOLT 5 "HTLC Output Handling: Local Commitment": our offered HTLC by the HTLC-timeout
     * transaction, a received one by HTLC-success (with the preimage), each signed by the peer.
     */
    ourHtlcTx(commitmentNumber: bigint, o: CommitmentOutput, htlcTx: HtlcTx, remoteSignature: Uint8Array): SpendPlan {
      const offered = o.kind === 'offered_htlc';
      const input = htlcTx.tx.getInput(0);
      return {
        sign: { kind: 'local_htlc', commitmentNumber, witnessScript: o.witnessScript! },
        witness: offered ? 'htlc_timeout_tx' : 'htlc_success_tx',
        witnessScript: o.witnessScript!,
        sequence: input.sequence!,
        lockTime: htlcTx.tx.lockTime,
        csv: anchorsCsv,
        needsPreimage: !offered,
        htlcTx: { tx: htlcTx.tx, remoteSignature, sighashType: htlcSighashType(p.anchors, true) },
        then: {
          kind: 'our_htlc_tx_output',
          script: p2wsh(htlcTx.outputWitnessScript),
          plan: self.ourDelayed(commitmentNumber, htlcTx.outputWitnessScript),
        },
      };
    },
    /** BOLT 5 "Unilateral Close Handling: Remote Commitment": to_remote is ours (1-block CSV with option_anchors). */
    toUs(): SpendPlan {
      return toUsPlan(p.local.basepoints.paymentBasepoint, p.anchors);
    },
    /** BOLT 5 "HTLC Output Handling: Remote Commitment": the peer's offered HTLC by preimage, ours after cltv_expiry. */
    remoteHtlc(perCommitmentPoint: Uint8Array, witnessScript: Uint8Array, path: 'preimage' | 'timeout', cltvExpiry: number): SpendPlan {
      return {
        sign: { kind: 'remote_htlc', perCommitmentPoint, witnessScript },
        witness: path === 'preimage' ? 'remote_htlc_preimage' : 'remote_htlc_timeout',
        witnessScript,
        sequence: anchorsSeq,
        lockTime: path === 'timeout' ? cltvExpiry : 0,
        csv: anchorsCsv,
        needsPreimage: path === 'preimage',
      };
    },
    /** BOLT 5 "Revoked Transaction Close Handling": to_local (and the peer's HTLC transactions' outputs) by the revocation key. */
    penalty(perCommitmentSecret: Uint8Array, witnessScript: Uint8Array): SpendPlan {
      return waiting({ kind: 'penalty', perCommitmentSecret }, 'revoked', witnessScript, 0);
    },
    /** Same section: each HTLC output by the revocation key, at once. */
    revokedHtlc(perCommitmentSecret: Uint8Array, witnessScript: Uint8Array, revocationPubkey: Uint8Array, toLocal: Uint8Array): SpendPlan {
      return {
        ...waiting({ kind: 'revoked_htlc', perCommitmentSecret, witnessScript }, 'revoked_htlc', witnessScript, 0),
        revocationPubkey,
        then: { kind: 'revoked_htlc_tx_output', script: p2wsh(toLocal), plan: self.penalty(perCommitmentSecret, toLocal) },
      };
    },
  };
  return self;
}
