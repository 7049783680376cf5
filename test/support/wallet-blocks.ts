// Synthetic blocks for the wallet core's tests (Node and Chromium alike): transactions paying
// scripts from made-up outpoints, in blocks with made-up hashes. The wallet reads transactions and
// follows heights and hashes; it never validates blocks (the follower and the chain do), so these
// suffice to test its bookkeeping. The Node tests run the same flows on `boltworker regtest`.
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import type { ConnectedBlock } from '../../src/core/chain/backend.ts';
import { btcNetwork } from '../../src/core/wallet/network.ts';

const NET = btcNetwork('regtest');
let counter = 0;

export function scriptOf(address: string): Uint8Array {
  return OutScript.encode(Address(NET).decode(address));
}

/** A transaction paying `outputs` from one made-up outpoint (never valid on a real chain). */
export function payTx(outputs: { address?: string; script?: Uint8Array; sat: number }[]): Uint8Array {
  const tx = new Transaction({ allowUnknownOutputs: true, allowUnknownInputs: true });
  tx.addInput({ txid: sha256(new TextEncoder().encode(`fake input ${counter++}`)), index: 0, sequence: 0xfffffffd });
  for (const o of outputs) tx.addOutput({ script: o.script ?? scriptOf(o.address!), amount: BigInt(o.sat) });
  return tx.unsignedTx;
}

export const blockHash = (height: number, branch = 'a') => toHex(sha256(new TextEncoder().encode(`block ${branch} ${height}`)));

export function block(height: number, txs: Uint8Array[], branch = 'a', prevBranch = branch): ConnectedBlock {
  return { height, hash: blockHash(height, branch), prevHash: blockHash(height - 1, prevBranch), time: 1_700_000_000 + height * 600, txs };
}

/** A P2WPKH script nobody in the tests owns. */
export const SINK_ADDRESS = Address(NET).encode({ type: 'wpkh', hash: new Uint8Array(20).fill(7) });
