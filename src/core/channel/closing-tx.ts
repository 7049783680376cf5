// BOLT 3 "Legacy Closing Transaction" (closing_signed; the text before option_simple_close moved it
// aside): version 2, locktime 0, the funding output spent with sequence 0xFFFFFFFF, one output per
// side paying its shutdown scriptpubkey, the fee out of the funder's, each output rounded down to
// whole satoshis and removed below the signer's own dust_limit_satoshis, BIP 69 order. Plus
// Bitcoin Core's dust thresholds by script (BOLT 3 "Dust Limits") and the full witness.
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../base/bytes.ts';
import {
  derFromCompact,
  fundingScript,
  fundingWitness,
  p2wsh,
  scriptSig,
  setWitness,
  SIGHASH_ALL,
  sortOutputs,
  TX_OPTS,
  verifyInput,
} from '../bolt3/index.ts';
import { ClosingError } from './closing-errors.ts';
import { scriptForm } from './shutdown.ts';
import type { ChannelState } from './state.ts';

/** Everything a closing transaction is built from: the funding outpoint, both keys, both scripts, both balances. */
export interface ClosingSides {
  fundingTxid: string;
  fundingOutputIndex: number;
  fundingSatoshis: bigint;
  localFundingPubkey: Uint8Array;
  remoteFundingPubkey: Uint8Array;
  localScript: Uint8Array;
  remoteScript: Uint8Array;
  toLocalMsat: bigint;
  toRemoteMsat: bigint;
  localIsOpener: boolean;
}

/** The channel's sides once it is quiescent without HTLCs (both commitments then hold the same balances). */
export function closingSidesOf(s: ChannelState, localScript: Uint8Array, remoteScript: Uint8Array): ClosingSides {
  const p = s.params;
  return {
    fundingTxid: p.fundingTxid,
    fundingOutputIndex: p.fundingOutputIndex,
    fundingSatoshis: p.fundingSatoshis,
    localFundingPubkey: p.local.fundingPubkey,
    remoteFundingPubkey: p.remote.fundingPubkey,
    localScript,
    remoteScript,
    toLocalMsat: s.localCommit.spec.toLocalMsat,
    toRemoteMsat: s.localCommit.spec.toRemoteMsat,
    localIsOpener: p.localIsOpener,
  };
}

export interface ClosingTx {
  tx: Transaction;
  fundingScript: Uint8Array;
  /** Each side's output in satoshis, or undefined where it was removed. */
  toLocal?: bigint;
  toRemote?: bigint;
}

/**
 * The closing transaction at `feeSatoshis` as we sign it, with our `dustLimitSatoshis` ("Each node
 * offering a signature: MUST round each output down to whole satoshis. MUST subtract the fee given
 * by `fee_satoshis` from the output to the funder. MUST remove any output below its own
 * `dust_limit_satoshis`. MAY eliminate its own output."). `omit`: the side whose output is
 * eliminated (the peer's own choice, when we check its signature).
 */
export function closingTx(c: ClosingSides, feeSatoshis: bigint, dustLimitSatoshis: bigint, omit?: 'local' | 'remote'): ClosingTx {
  let local = c.toLocalMsat / 1000n;
  let remote = c.toRemoteMsat / 1000n;
  const funder = c.localIsOpener ? local : remote;
  if (feeSatoshis < 0n || feeSatoshis > funder) {
    throw new ClosingError('funder_cannot_afford_fee', `the funder's ${funder} sat cannot pay a fee of ${feeSatoshis} sat`);
  }
  if (c.localIsOpener) local -= feeSatoshis;
  else remote -= feeSatoshis;
  const keep = (amount: bigint, side: 'local' | 'remote') => omit !== side && amount >= dustLimitSatoshis;
  const outputs = [
    ...(keep(local, 'local') ? [{ side: 'local' as const, amount: local }] : []),
    ...(keep(remote, 'remote') ? [{ side: 'remote' as const, amount: remote }] : []),
  ];
  if (outputs.length === 0) {
    throw new ClosingError(
      'no_outputs',
      `both outputs are below the dust limit of ${dustLimitSatoshis} sat at a fee of ${feeSatoshis} sat`,
    );
  }
  return assembleClose(c, outputs, 0, 0xffffffff);
}

/**
 * A closing transaction spending the funding output with `sequence` and `lockTime`, paying each
 * side in `outputs` to its script (BOLT 3 "Transaction Output Ordering": BIP 69).
 */
export function assembleClose(
  c: ClosingSides,
  outputs: readonly { side: 'local' | 'remote'; amount: bigint }[],
  lockTime: number,
  sequence: number,
): ClosingTx {
  const script = fundingScript(c.localFundingPubkey, c.remoteFundingPubkey);
  const tx = new Transaction({ version: 2, lockTime, ...TX_OPTS });
  tx.addInput({
    txid: fromHex(c.fundingTxid),
    index: c.fundingOutputIndex,
    sequence,
    witnessUtxo: { script: p2wsh(script), amount: c.fundingSatoshis },
  });
  const scripted = outputs.map(o => ({ ...o, script: o.side === 'local' ? c.localScript : c.remoteScript }));
  for (const o of sortOutputs(scripted)) tx.addOutput({ script: o.script, amount: o.amount });
  const amountOf = (side: 'local' | 'remote') => outputs.find(o => o.side === side)?.amount;
  return { tx, fundingScript: script, toLocal: amountOf('local'), toRemote: amountOf('remote') };
}

/**
 * BOLT 3 "Expected Weight of the Commitment Transaction": the funding input's witness is 222
 * (two 73-byte signatures, the 71-byte 2-of-2), and the segwit marker and flag 2 more.
 */
export const FUNDING_SPEND_WITNESS_WEIGHT = 224;

/** The weight of the closing transaction once signed, at its largest (both signatures of the maximum length). */
export function closingWeight(c: ClosingSides, dustLimitSatoshis: bigint): number {
  // A fee of 0 keeps every output that can be kept: the largest the transaction gets.
  return closingTx(c, 0n, dustLimitSatoshis).tx.unsignedTx.length * 4 + FUNDING_SPEND_WITNESS_WEIGHT;
}

/**
 * Bitcoin Core's dust threshold for an output paying `script` (BOLT 3 "Dust Limits"): p2pkh 546,
 * p2sh 540, p2wpkh 294, p2wsh 330, unknown segwit versions 354, OP_RETURN never dust.
 */
export function dustThreshold(script: Uint8Array): bigint {
  switch (scriptForm(script)) {
    case 'p2pkh':
      return 546n;
    case 'p2sh':
      return 540n;
    case 'p2wpkh':
      return 294n;
    case 'p2wsh':
      return 330n;
    case 'op_return':
      return 0n;
    default:
      // Pay to anchor (witness v1, the 2-byte program 4e73) is 240.
      return script.length === 4 && script[0] === 0x51 && script[1] === 2 && script[2] === 0x4e && script[3] === 0x73 ? 240n : 354n;
  }
}

/**
 * BOLT 2 closing_signed, the receiving node: "if one of the outputs in the closing transaction is
 * below the dust limit for its `scriptpubkey`: MUST fail the channel".
 */
export function checkOutputsNotDust(t: ClosingTx): void {
  for (let i = 0; i < t.tx.outputsLength; i++) {
    const o = t.tx.getOutput(i);
    const limit = dustThreshold(o.script!);
    if (o.amount! < limit) {
      throw new ClosingError(
        'output_below_dust',
        `an output of ${o.amount} sat is below its script's dust threshold of ${limit} sat`,
        'error',
      );
    }
  }
}

/** Whether `signature` (compact) signs `t` with `pubkey` (low S: verifyDer refuses high S). */
export function signsClosing(t: ClosingTx, fundingSatoshis: bigint, pubkey: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifyInput(t.tx, 0, t.fundingScript, fundingSatoshis, pubkey, derFromCompact(signature), SIGHASH_ALL);
  } catch {
    return false;
  }
}

/**
 * The peer's closing_signed at `feeSatoshis` checked against "either variant of closing
 * transaction": ours, then the one without the peer's own output (which it "MAY eliminate").
 * Returns the variant it signs; `warning` when it signs neither.
 */
export function checkClosingSignature(c: ClosingSides, feeSatoshis: bigint, dustLimitSatoshis: bigint, signature: Uint8Array): ClosingTx {
  const ours = closingTx(c, feeSatoshis, dustLimitSatoshis);
  if (signsClosing(ours, c.fundingSatoshis, c.remoteFundingPubkey, signature)) return ours;
  if (ours.toRemote !== undefined) {
    let trimmed: ClosingTx | undefined;
    try {
      trimmed = closingTx(c, feeSatoshis, dustLimitSatoshis, 'remote');
    } catch {
      trimmed = undefined; // nothing would be left: not a variant
    }
    if (trimmed && signsClosing(trimmed, c.fundingSatoshis, c.remoteFundingPubkey, signature)) return trimmed;
  }
  throw new ClosingError('bad_closing_signature', `closing_signed's signature signs no closing transaction at a fee of ${feeSatoshis} sat`);
}

/** The closing transaction with both signatures in its witness (`0 <sig1> <sig2> <2-of-2>`), ready to broadcast. */
export function signedClosing(c: ClosingSides, t: ClosingTx, localSignature: Uint8Array, remoteSignature: Uint8Array): Uint8Array {
  const tx = t.tx.clone();
  const item = (compact: Uint8Array) => scriptSig(derFromCompact(compact), SIGHASH_ALL);
  setWitness(
    tx,
    0,
    fundingWitness(
      t.fundingScript,
      { pubkey: c.localFundingPubkey, sig: item(localSignature) },
      { pubkey: c.remoteFundingPubkey, sig: item(remoteSignature) },
    ),
  );
  return tx.extract();
}
