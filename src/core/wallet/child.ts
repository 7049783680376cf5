// A transaction of onchaind's that the wallet pays the fee of (option_anchors: our HTLC-timeout and
// HTLC-success transactions carry no fee, BOLT 3, and the peer signed them SIGHASH_SINGLE |
// SIGHASH_ANYONECANPAY so that inputs and outputs may be added): wallet coins are added after its
// inputs and one change output after its outputs; then the wallet's inputs are signed (hsmd signs
// only those) while the first keeps the witness onchaind gave it.
import { Transaction } from '@scure/btc-signer';
import { WalletError } from './errors.ts';
import type { Candidate } from './select.ts';
import type { WalletKeyType } from './signer.ts';
import { READ_OPTS } from './tx.ts';

/** The dust limit a change output must reach (Bitcoin Core's P2TR/P2WSH threshold, the highest of the wallet's). */
const CHANGE_DUST_SAT = 546;
/** BIP 141 weight a wallet input adds: 41 bytes outside the witness, and its witness (P2WPKH: signature and key; P2TR: one signature). */
const INPUT_WEIGHT: Record<WalletKeyType, number> = { p2wpkh: 41 * 4 + 108, p2tr: 41 * 4 + 66 };
const SEQUENCE_RBF = 0xfffffffd;

export interface ChildRequest {
  /** The unsigned transaction (its inputs will carry witnesses of `inputWitnessWeight` in all). */
  tx: Uint8Array;
  inputWitnessWeight: number;
  feeratePerKw: number;
  /** The script change pays. */
  change: Uint8Array;
  /**
   * An unconfirmed parent whose fee falls short (option_anchors CPFP): the two together pay
   * `feeratePerKw` over both weights (the package feerate Bitcoin Core judges them by).
   */
  parent?: { weight: number; fee: number };
  /** What the transaction's own inputs hold beyond its outputs (our anchor's 330 sat): it goes to the change. */
  surplus?: number;
  /** The coins (`txid:vout`) of the transaction this one replaces (BIP 125): reserved by it, usable again. */
  replacing?: string[];
}

/** Each of two vsizes is rounded up (BIP 141): a package's fee allows for both. */
const VSIZE_ROUNDING = 6;

/** The fee `req` pays at `weight`: its own, or with its parent's shortfall. */
function feeOf(req: ChildRequest, weight: number): number {
  const own = Math.ceil((req.feeratePerKw * weight) / 1000);
  if (!req.parent) return own;
  const both = Math.ceil((req.feeratePerKw * (weight + req.parent.weight + VSIZE_ROUNDING)) / 1000) - req.parent.fee;
  return Math.max(own, both);
}

/**
 * The coins (largest first) that pay `req`'s fee with change above dust, and the transaction with
 * them and the change added (unsigned).
 */
export function fundChild(req: ChildRequest, coins: Candidate[]): { tx: Uint8Array; inputs: Candidate[] } {
  const tx = Transaction.fromRaw(req.tx, READ_OPTS);
  // Segwit marker and flag, the witnesses to come, and the change output.
  let weight = tx.unsignedTx.length * 4 + 2 + req.inputWitnessWeight + (8 + 1 + req.change.length) * 4;
  const chosen: Candidate[] = [];
  let sum = req.surplus ?? 0;
  for (const c of [...coins].sort((a, b) => b.amount_sat - a.amount_sat)) {
    chosen.push(c);
    sum += c.amount_sat;
    weight += INPUT_WEIGHT[c.type];
    const fee = feeOf(req, weight);
    if (sum - fee >= CHANGE_DUST_SAT) {
      for (const x of chosen) {
        const [txid, vout] = x.key.split(':');
        tx.addInput({ txid: txid!, index: Number(vout), sequence: SEQUENCE_RBF });
      }
      tx.addOutput({ script: req.change, amount: BigInt(sum - fee) });
      return { tx: tx.unsignedTx, inputs: chosen };
    }
  }
  throw new WalletError('cannot_afford', `the wallet cannot pay the fee of ${feeOf(req, weight)} sat`);
}

/** A spent output: what a PSBT input's witnessUtxo holds (every input's, for BIP 341 sighashes). */
export interface Prevout {
  script: Uint8Array;
  amount: bigint;
}

/**
 * The PSBT the signer signs for `raw` (its inputs' witnesses left out, every input's spent output
 * given), and the witnesses of the inputs that are not the wallet's, to put back after.
 */
export function childPsbt(
  raw: Uint8Array,
  prevouts: Prevout[],
): { unsigned: Transaction; psbt: Uint8Array; witnesses: (Uint8Array[] | undefined)[] } {
  const given = Transaction.fromRaw(raw, READ_OPTS);
  const unsigned = new Transaction({ ...READ_OPTS, version: given.version, lockTime: given.lockTime });
  const witnesses: (Uint8Array[] | undefined)[] = [];
  for (let i = 0; i < given.inputsLength; i++) {
    const x = given.getInput(i);
    unsigned.addInput({ txid: x.txid!, index: x.index!, sequence: x.sequence!, witnessUtxo: prevouts[i]! });
    witnesses.push(x.finalScriptWitness?.length ? x.finalScriptWitness : undefined);
  }
  for (let i = 0; i < given.outputsLength; i++) {
    const o = given.getOutput(i);
    unsigned.addOutput({ script: o.script!, amount: o.amount! });
  }
  return { unsigned, psbt: unsigned.toPSBT(), witnesses };
}
