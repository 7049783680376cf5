// A plan (plans.ts) as a transaction: the spend of one output to the wallet at a feerate, or our
// pre-signed HTLC transaction; what hsmd is asked to sign for it; and the BOLT 3 witness once hsmd
// has signed. One output per transaction (as Core Lightning's onchaind): a spend the peer races
// for one output never holds back another.
import { Transaction } from '@scure/btc-signer';
import { equal, fromHex, toHex } from '../base/bytes.ts';
import {
  derFromCompact,
  feeFor,
  htlcRevokedWitness,
  htlcSuccessWitness,
  htlcTimeoutWitness,
  offeredHtlcPreimageWitness,
  receivedHtlcTimeoutWitness,
  scriptSig,
  setWitness,
  SIGHASH_ALL,
  toLocalDelayedWitness,
  toLocalRevokedWitness,
  toRemoteAnchorsWitness,
  toRemoteP2wpkhWitness,
  TX_OPTS,
} from '../bolt3/index.ts';
import type { SweepRequest } from '../daemons/hsmd/channel-sweep.ts';
import type { WithdrawalInput } from '../daemons/hsmd/withdrawal.ts';
import { OnchainError } from './errors.ts';
import type { SpendPlan } from './plans.ts';
import type { Tracked } from './outputs.ts';

/** The wallet key sweeps pay (lightningd gives it; hsmd checks the script is that key's). */
export interface Destination extends WithdrawalInput {
  script: Uint8Array;
}

export interface BuiltSpend {
  /** The unsigned transaction. */
  tx: Transaction;
  request: SweepRequest;
  /**
   * option_anchors' HTLC transactions pay no fee (BOLT 3): lightningd's wallet must add an input
   * and change (the peer signed SIGHASH_SINGLE|SIGHASH_ANYONECANPAY), then hsmd signs the whole.
   */
  needsFee: boolean;
  /** The weight input 0's witness will add (for the fee of a funded transaction). */
  witnessWeight: number;
  /** The signed transaction (input 0), from hsmd's compact signature over `tx` (or `funded`). */
  finish(signature: Uint8Array, funded?: Uint8Array): Uint8Array;
}

/** Bitcoin Core's dust threshold for a P2WPKH (294) or P2TR (330) output at 3 sat/vB. */
const dustOf = (d: Destination) => (d.type === 'p2tr' ? 330n : 294n);
/** The weight a DER signature with its sighash byte takes at most. */
const DUMMY_SIG = new Uint8Array(73);
const DUMMY_PREIMAGE = new Uint8Array(32);
const DUMMY_KEY = new Uint8Array(33);

/** BOLT 3 witness of `plan`'s path, with `sig` (DER + sighash) as our signature. */
function witnessOf(plan: SpendPlan, sig: Uint8Array, preimage: Uint8Array | undefined, ourKey: Uint8Array): Uint8Array[] {
  const ws = plan.witnessScript!;
  const need = () => {
    if (!preimage) throw new OnchainError('no_preimage', 'this path needs the payment preimage');
    return preimage;
  };
  const remote = () => scriptSig(derFromCompact(plan.htlcTx!.remoteSignature), plan.htlcTx!.sighashType);
  switch (plan.witness) {
    case 'delayed':
      return toLocalDelayedWitness(ws, sig);
    case 'revoked':
      return toLocalRevokedWitness(ws, sig);
    case 'revoked_htlc':
      return htlcRevokedWitness(ws, sig, plan.revocationPubkey!);
    case 'to_remote_anchors':
      return toRemoteAnchorsWitness(ws, sig);
    case 'to_remote_p2wpkh':
      return toRemoteP2wpkhWitness(ourKey, sig);
    case 'remote_htlc_timeout':
      return receivedHtlcTimeoutWitness(ws, sig);
    case 'remote_htlc_preimage':
      return offeredHtlcPreimageWitness(ws, sig, need());
    case 'htlc_timeout_tx':
      return htlcTimeoutWitness(ws, remote(), sig);
    case 'htlc_success_tx':
      return htlcSuccessWitness(ws, remote(), sig, need());
  }
}

const varintLen = (n: number) => (n < 0xfd ? 1 : n <= 0xffff ? 3 : 5);

const witnessSize = (witness: Uint8Array[]) => varintLen(witness.length) + witness.reduce((s, x) => s + varintLen(x.length) + x.length, 0);

/** BIP 141 weight of `tx` once input 0 carries `witness` (the only input). */
function weightWith(tx: Transaction, witness: Uint8Array[]): number {
  return tx.unsignedTx.length * 4 + 2 + witnessSize(witness);
}

/**
 * A funded HTLC transaction (lightningd added wallet inputs and change): input 0, output 0 and the
 * locktime are ours unchanged, and every other output pays the wallet (hsmd checks that again).
 */
export function checkFunded(ours: Transaction, funded: Uint8Array, destination: Destination): Transaction {
  let tx: Transaction;
  try {
    tx = Transaction.fromRaw(funded, TX_OPTS);
  } catch (e) {
    throw new OnchainError('bad_funding', `the funded transaction does not parse (${(e as Error).message})`);
  }
  const a = ours.getInput(0);
  const b = tx.getInput(0);
  const o = ours.getOutput(0);
  const p = tx.getOutput(0);
  const same =
    tx.lockTime === ours.lockTime &&
    tx.version === ours.version &&
    toHex(a.txid!) === toHex(b.txid ?? new Uint8Array()) &&
    a.index === b.index &&
    a.sequence === b.sequence &&
    p.amount === o.amount &&
    !!p.script &&
    equal(p.script, o.script!);
  if (!same) throw new OnchainError('bad_funding', 'the funded transaction changed our input, our output or the locktime');
  for (let i = 1; i < tx.outputsLength; i++) {
    const script = tx.getOutput(i).script;
    if (!script || !equal(script, destination.script))
      throw new OnchainError('bad_funding', 'the funded transaction pays outside the wallet');
  }
  return tx;
}

/**
 * The spend of `t` by its plan: to `destination` at `feeratePerKw` (its fee from the output), or our
 * HTLC transaction as the peer signed it. Undefined when the output would not pay for its own spend
 * (BOLT 5: a node MAY ignore outputs that are uneconomical to spend).
 */
export function buildSpend(
  t: Tracked,
  o: { destination: Destination; feeratePerKw: number; preimage?: Uint8Array; paymentBasepoint: Uint8Array },
): BuiltSpend | undefined {
  const plan = t.plan;
  if (!plan) throw new OnchainError('no_plan', `${t.txid}:${t.vout} is not ours to spend`);
  let tx: Transaction;
  if (plan.htlcTx) {
    tx = Transaction.fromRaw(plan.htlcTx.tx.unsignedTx, TX_OPTS);
  } else {
    tx = new Transaction({ ...TX_OPTS, version: 2, lockTime: plan.lockTime });
    tx.addInput({ txid: fromHex(t.txid), index: t.vout, sequence: plan.sequence });
    tx.addOutput({ script: o.destination.script, amount: t.amount });
    const fee = feeFor(o.feeratePerKw, weightWith(tx, witnessOf(plan, DUMMY_SIG, DUMMY_PREIMAGE, DUMMY_KEY))) + 1n;
    if (t.amount - fee < dustOf(o.destination)) return undefined;
    tx.updateOutput(0, { amount: t.amount - fee }, true);
  }
  const request = {
    ...plan.sign,
    tx: tx.unsignedTx,
    input: 0,
    amount: t.amount,
    destination: { index: o.destination.index, type: o.destination.type },
  } as SweepRequest;
  return {
    tx,
    request,
    needsFee: !!plan.htlcTx && plan.htlcTx.sighashType !== SIGHASH_ALL,
    witnessWeight: witnessSize(witnessOf(plan, DUMMY_SIG, DUMMY_PREIMAGE, DUMMY_KEY)),
    finish(signature, funded) {
      const signed = Transaction.fromRaw(funded ?? tx.unsignedTx, TX_OPTS);
      setWitness(signed, 0, witnessOf(plan, scriptSig(derFromCompact(signature), SIGHASH_ALL), o.preimage, o.paymentBasepoint));
      return signed.toBytes(true, true);
    },
  };
}
