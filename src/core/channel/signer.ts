// What the channel asks of whoever holds its secrets (hsmd later): our per-commitment points and
// secrets, and our signatures on the remote's commitment and HTLC transactions. keySigner holds
// the secrets itself, for tests and for hsmd to build on.
import type { Transaction } from '@scure/btc-signer';
import { compactFromDer, commitmentSecret, derivePrivkey, perCommitmentPoint, sighash, SIGHASH_ALL, signDer } from '../bolt3/index.ts';

export interface ToSign {
  tx: Transaction;
  /** The input's witness script and amount (BIP 143). */
  witnessScript: Uint8Array;
  amount: bigint;
}

export interface ChannelSigner {
  /** Our per_commitment_point for commitment `index`. */
  perCommitmentPoint(index: bigint): Promise<Uint8Array>;
  /** Our per_commitment_secret for commitment `index`, revealed in revoke_and_ack once it is replaced. */
  revealSecret(index: bigint): Promise<Uint8Array>;
  /** Our compact signature on the funding input of the remote's commitment `commitmentNumber`. */
  signRemoteCommitment(req: ToSign & { commitmentNumber: bigint }): Promise<Uint8Array>;
  /**
   * Our compact signatures on the remote's HTLC transactions, with our HTLC key derived for the
   * remote's `perCommitmentPoint` and the sighash type BOLT 3 gives the remote side's signature.
   */
  signRemoteHtlcs(req: { htlcs: ToSign[]; perCommitmentPoint: Uint8Array; sighashType: number }): Promise<Uint8Array[]>;
}

export interface ChannelSecrets {
  fundingSecret: Uint8Array;
  htlcBasepointSecret: Uint8Array;
  /** BOLT 3 per-commitment seed. */
  shachainSeed: Uint8Array;
}

function sign(t: ToSign, secret: Uint8Array, type: number): Uint8Array {
  return compactFromDer(signDer(sighash(t.tx, 0, t.witnessScript, t.amount, type), secret));
}

/** A signer over secrets held in memory (RFC 6979, so its signatures are deterministic). */
export function keySigner(k: ChannelSecrets): ChannelSigner {
  return {
    perCommitmentPoint: async index => perCommitmentPoint(commitmentSecret(k.shachainSeed, index)),
    revealSecret: async index => commitmentSecret(k.shachainSeed, index),
    signRemoteCommitment: async req => sign(req, k.fundingSecret, SIGHASH_ALL),
    signRemoteHtlcs: async req => {
      const key = derivePrivkey(k.htlcBasepointSecret, req.perCommitmentPoint);
      return req.htlcs.map(h => sign(h, key, req.sighashType));
    },
  };
}
