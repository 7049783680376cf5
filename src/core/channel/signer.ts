// What the channel asks of whoever holds its secrets: our per-commitment points and secrets, our
// signatures on the remote's commitment and HTLC transactions, and (for a validating signer) the
// peer's signatures on our commitment, and our signature to broadcast it. hsmdSigner asks hsmd over
// a channel link (hsmd checks each request and keeps the channel's signer state, durably);
// keySigner holds the secrets itself and checks nothing, for tests.
import type { Transaction } from '@scure/btc-signer';
import type { AnnouncementSignatures, ChannelLink, ChannelSetup, RawInput } from '../daemons/hsmd/interface.ts';
import { commitmentSecret, derivePrivkey, perCommitmentPoint, SIGHASH_ALL, signCompact } from '../bolt3/index.ts';

export interface ToSign {
  tx: Transaction;
  /** The input's witness script and amount (BIP 143). */
  witnessScript: Uint8Array;
  amount: bigint;
}

export interface ChannelSigner {
  /**
   * A validating signer learns the channel's shape once, before it signs anything for it (Core
   * Lightning's hsmd_setup_channel); a signer that checks nothing (keySigner) omits it.
   */
  setupChannel?(setup: ChannelSetup): Promise<void>;
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
  /**
   * Our commitment `commitmentNumber` as the peer signed it (commitment_signed, funding_signed),
   * before we revoke the one it replaces: a validating signer checks the signatures itself and
   * will reveal the secret of commitment n only once commitment n + 1 went through here. A signer
   * that keeps no state (keySigner) accepts it and checks nothing. Not optional: across a port
   * (Comlink, a test link) every method name looks present, so the channel always calls it.
   */
  validateCommitment(req: ValidateRequest): Promise<void>;
  /** Our signature on our latest validated commitment `tx`, to broadcast it; refused for a revoked one. */
  signLocalCommitment?(tx: Transaction): Promise<Uint8Array>;
  /** BOLT 7 announcement_signatures: our node and funding key signatures on this channel's channel_announcement (raw, signatures blank). */
  signChannelAnnouncement?(raw: Uint8Array): Promise<AnnouncementSignatures>;
}

export interface ValidateRequest {
  commitmentNumber: bigint;
  tx: Transaction;
  /** The peer's signature on the funding input, and on each HTLC transaction (in `htlcs` order). */
  signature: Uint8Array;
  htlcs: ToSign[];
  htlcSignatures: readonly Uint8Array[];
}

export interface ChannelSecrets {
  fundingSecret: Uint8Array;
  htlcBasepointSecret: Uint8Array;
  /** BOLT 3 per-commitment seed. */
  shachainSeed: Uint8Array;
}

function sign(t: ToSign, secret: Uint8Array, type: number): Uint8Array {
  return signCompact(t.tx, 0, t.witnessScript, t.amount, secret, type);
}

/** A signer over secrets held in memory (RFC 6979, so its signatures are deterministic). */
export function keySigner(k: ChannelSecrets): ChannelSigner {
  return {
    perCommitmentPoint: async index => perCommitmentPoint(commitmentSecret(k.shachainSeed, index)),
    revealSecret: async index => commitmentSecret(k.shachainSeed, index),
    // It keeps no state: the channel's own checks (commitment.ts) are all there is.
    validateCommitment: async () => undefined,
    signRemoteCommitment: async req => sign(req, k.fundingSecret, SIGHASH_ALL),
    signRemoteHtlcs: async req => {
      const key = derivePrivkey(k.htlcBasepointSecret, req.perCommitmentPoint);
      return req.htlcs.map(h => sign(h, key, req.sighashType));
    },
  };
}

/** The hsmd methods a channel signer uses, on a channel's link (Hsmd.linkForChannel), maybe over Comlink. */
export type HsmdChannelLink = ChannelLink<
  | 'setupChannel'
  | 'getPerCommitmentPoint'
  | 'revokeCommitment'
  | 'signRemoteCommitment'
  | 'signRemoteHtlcs'
  | 'validateCommitment'
  | 'signLocalCommitment'
  | 'signChannelAnnouncement'
>;

const raw = (t: ToSign): RawInput => ({ tx: t.tx.unsignedTx, witnessScript: t.witnessScript, amount: t.amount });

/**
 * A signer that asks hsmd: transactions go as unsigned raw bytes; hsmd uses its own funding script
 * and keys (not the caller's), and refuses what its channel state forbids (HsmError codes in
 * src/core/daemons/hsmd/interface.ts).
 */
export function hsmdSigner(link: HsmdChannelLink): ChannelSigner {
  return {
    setupChannel: setup => link.setupChannel(setup),
    perCommitmentPoint: index => link.getPerCommitmentPoint(index),
    revealSecret: index => link.revokeCommitment(index),
    signRemoteCommitment: req => link.signRemoteCommitment({ commitmentNumber: req.commitmentNumber, tx: req.tx.unsignedTx }),
    signRemoteHtlcs: req =>
      link.signRemoteHtlcs({ perCommitmentPoint: req.perCommitmentPoint, sighashType: req.sighashType, htlcs: req.htlcs.map(raw) }),
    validateCommitment: req =>
      link.validateCommitment({
        commitmentNumber: req.commitmentNumber,
        tx: req.tx.unsignedTx,
        signature: req.signature,
        htlcs: req.htlcs.map(raw),
        htlcSignatures: [...req.htlcSignatures],
      }),
    signLocalCommitment: tx => link.signLocalCommitment(tx.unsignedTx),
    signChannelAnnouncement: raw => link.signChannelAnnouncement(raw),
  };
}
