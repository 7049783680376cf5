// option_anchors: our anchor (BOLT 3 "to_local_anchor and to_remote_anchor Output") spent with
// wallet coins so that our commitment and this child together pay a feerate the commitment alone
// does not (child pays for parent), when fees rose after it was signed. hsmd signs the anchor
// (SweepRequest kind 'anchor': the change must pay the wallet); lightningd signs its coins.
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../base/bytes.ts';
import { ANCHOR_SATOSHIS, anchorOwnerWitness, derFromCompact, scriptSig, setWitness, SIGHASH_ALL, TX_OPTS } from '../bolt3/index.ts';
import type { SweepRequest } from '../daemons/hsmd/channel-sweep.ts';
import { OnchainError } from './errors.ts';
import type { Destination } from './sweep.ts';

/** A P2WPKH coin of lightningd's wallet. */
export interface WalletCoin {
  txid: string;
  vout: number;
  amount: bigint;
}

/** A P2WPKH input's witness (a 73-byte signature at most, a 33-byte key): 1 + 1 + 73 + 1 + 33. */
const P2WPKH_WITNESS_WEIGHT = 109;
/** Our anchor's witness: `<sig>` and the 40-byte anchor script, with their lengths and count. */
const ANCHOR_WITNESS_WEIGHT = 1 + 1 + 73 + 1 + 40;

export interface AnchorCpfp {
  /** The unsigned child: input 0 our anchor, then the coins; one change output to the wallet. */
  tx: Transaction;
  /** What hsmd signs (input 0). */
  request: SweepRequest;
  /** The child's fee. */
  fee: bigint;
  /** The child with hsmd's signature on the anchor; the coins' inputs are left for lightningd to sign. */
  finish(signature: Uint8Array): Transaction;
}

/**
 * The child of our commitment `parent` (its txid, weight and fee) spending our anchor `vout` and
 * `coins`, paying `feeratePerKw` for both transactions together; the change goes to `destination`.
 */
export function anchorCpfp(o: {
  parent: { txid: string; weight: number; fee: bigint };
  anchor: { vout: number; witnessScript: Uint8Array };
  coins: readonly WalletCoin[];
  destination: Destination;
  feeratePerKw: number;
}): AnchorCpfp {
  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  tx.addInput({ txid: fromHex(o.parent.txid), index: o.anchor.vout, sequence: 0xfffffffd });
  for (const c of o.coins) tx.addInput({ txid: fromHex(c.txid), index: c.vout, sequence: 0xfffffffd });
  const total = ANCHOR_SATOSHIS + o.coins.reduce((s, c) => s + c.amount, 0n);
  tx.addOutput({ script: o.destination.script, amount: total });
  const weight = tx.unsignedTx.length * 4 + 2 + ANCHOR_WITNESS_WEIGHT + o.coins.length * P2WPKH_WITNESS_WEIGHT;
  const rate = BigInt(o.feeratePerKw);
  const own = (rate * BigInt(weight) + 999n) / 1000n;
  const package_ = (rate * BigInt(o.parent.weight + weight) + 999n) / 1000n - o.parent.fee;
  const fee = package_ > own ? package_ : own;
  // Bitcoin Core's dust threshold for the change (P2WPKH 294, P2TR 330 at 3 sat/vB).
  if (total - fee < (o.destination.type === 'p2tr' ? 330n : 294n)) {
    throw new OnchainError('insufficient_funds', `the coins (${total} sat with the anchor) do not pay a ${fee} sat fee`);
  }
  tx.updateOutput(0, { amount: total - fee }, true);
  const request: SweepRequest = {
    kind: 'anchor',
    tx: tx.unsignedTx,
    input: 0,
    amount: ANCHOR_SATOSHIS,
    destination: { index: o.destination.index, type: o.destination.type },
  };
  return {
    tx,
    request,
    fee,
    finish(signature) {
      const signed = Transaction.fromRaw(tx.unsignedTx, TX_OPTS);
      setWitness(signed, 0, anchorOwnerWitness(o.anchor.witnessScript, scriptSig(derFromCompact(signature), SIGHASH_ALL)));
      return signed;
    },
  };
}
