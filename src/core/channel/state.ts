// A channel in normal operation as plain data (bigints and bytes; serialize.ts turns it into a
// string): both sides' parameters from open_channel/accept_channel, both current commitments, and
// every update on its way through the commitment dance (BOLT 2 "Normal Operation").
import type { Basepoints, KnownSecret } from '../bolt3/index.ts';

/** What one side asked of the other in open_channel / accept_channel (BOLT 2). */
export interface SideParams {
  fundingPubkey: Uint8Array;
  basepoints: Basepoints;
  /** Outputs below this are not generated on this side's commitment. */
  dustLimitSatoshis: bigint;
  /** Cap on the total of HTLCs the OTHER side may offer this side. */
  maxHtlcValueInFlightMsat: bigint;
  /** What the OTHER side must keep as its direct payment. */
  channelReserveSatoshis: bigint;
  /** The smallest HTLC this side accepts. */
  htlcMinimumMsat: bigint;
  /** The delay the OTHER side's to-self outputs must wait. */
  toSelfDelay: number;
  /** How many HTLCs the OTHER side may offer this side at once. */
  maxAcceptedHtlcs: number;
}

/** Our own policy, not negotiated. */
export interface ChannelPolicy {
  /** BOLT 2 "Bounding exposure to trimmed in-flight HTLCs". */
  maxDustHtlcExposureMsat: bigint;
  /** update_fee outside these is "too low for timely processing, OR is unreasonably large". */
  minFeeratePerKw: number;
  maxFeeratePerKw: number;
}

export interface ChannelParams {
  channelId: Uint8Array;
  /** Display (big-endian) hex, as bolt3 takes it. */
  fundingTxid: string;
  fundingOutputIndex: number;
  fundingSatoshis: bigint;
  anchors: boolean;
  localIsOpener: boolean;
  /** obscuringFactor(opener's payment_basepoint, accepter's), BOLT 3. */
  obscuringFactor: bigint;
  local: SideParams;
  remote: SideParams;
  policy: ChannelPolicy;
}

export interface AddHtlc {
  kind: 'add';
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
  onion: Uint8Array;
  pathKey?: Uint8Array;
}
export interface FulfillHtlc {
  kind: 'fulfill';
  id: bigint;
  preimage: Uint8Array;
  /** BOLT 2 `attribution_data` (920 bytes), kept with the removal so a retransmission carries it identically. */
  attribution?: Uint8Array;
}
export interface FailHtlc {
  kind: 'fail';
  id: bigint;
  reason: Uint8Array;
  /** BOLT 2 `attribution_data` (920 bytes), kept with the removal so a retransmission carries it identically. */
  attribution?: Uint8Array;
}
export interface FailMalformedHtlc {
  kind: 'fail_malformed';
  id: bigint;
  sha256OfOnion: Uint8Array;
  failureCode: number;
}
export interface UpdateFee {
  kind: 'fee';
  feeratePerKw: number;
}
export type Update = AddHtlc | FulfillHtlc | FailHtlc | FailMalformedHtlc | UpdateFee;

/** An HTLC on a commitment, from that commitment owner's point of view. */
export interface SpecHtlc {
  offered: boolean;
  add: AddHtlc;
}

/** The content of one commitment transaction, from its owner's point of view. */
export interface CommitSpec {
  htlcs: SpecHtlc[];
  toLocalMsat: bigint;
  toRemoteMsat: bigint;
  feeratePerKw: number;
}

export interface LocalCommit {
  index: bigint;
  spec: CommitSpec;
  /** The remote's signatures over it (compact), to broadcast it one day. */
  signature: Uint8Array;
  htlcSignatures: Uint8Array[];
}

export interface RemoteCommit {
  index: bigint;
  spec: CommitSpec;
  perCommitmentPoint: Uint8Array;
}

/**
 * Updates by who proposed them, by how far they got (eclair's model of the BOLT 2 dance):
 * ours: proposed → signed (in the remote commitment we signed) → acked (their revoke_and_ack came;
 * they go into our next commitment); theirs: proposed → acked (in our commitment, we revoked the
 * previous one) → signed (in the remote commitment we signed); done when they revoke.
 */
export interface Changes {
  proposed: Update[];
  signed: Update[];
  acked: Update[];
}

export interface ChannelState {
  params: ChannelParams;
  localCommit: LocalCommit;
  remoteCommit: RemoteCommit;
  /** The remote commitment we signed and whose predecessor's revocation we await. */
  nextRemoteCommit?: RemoteCommit;
  /** The remote's per_commitment_point for the commitment after remoteCommit (when not awaiting). */
  remoteNextPerCommitmentPoint?: Uint8Array;
  localChanges: Changes;
  remoteChanges: Changes;
  /** The next `id` we give an HTLC we offer, and the one we expect of the remote's. */
  localNextHtlcId: bigint;
  remoteNextHtlcId: bigint;
  /** The remote's revealed per-commitment secrets (bolt3 Shachain entries). */
  remoteSecrets: KnownSecret[];
  /**
   * Which of commitment_signed and revoke_and_ack we sent last: BOLT 2 channel_reestablish "MUST
   * retransmit `revoke_and_ack` and `commitment_signed` in the same relative order as initially
   * transmitted". Absent until we send either.
   */
  lastSent?: 'commitment_signed' | 'revoke_and_ack';
  /**
   * The peer's HTLCs (ids) that broke our dust exposure bound: BOLT 2 "SHOULD fail this HTLC once
   * it's committed" (channeld tells lightningd so when they are). Absent when none.
   */
  failOnceCommitted?: bigint[];
  /**
   * BOLT 2 "Closing Initiation: shutdown": the scriptpubkey of the shutdown we sent and of the
   * peer's (channel/shutdown.ts Shutdown), each once it is durable. Absent until either.
   */
  shutdown?: { sent?: Uint8Array; received?: Uint8Array };
}

/** A transition's result: the new state (persist it first) and the messages to send after. */
export interface Step<M> {
  state: ChannelState;
  messages: M[];
}

export function emptyChanges(): Changes {
  return { proposed: [], signed: [], acked: [] };
}

/**
 * A channel whose funding is locked: commitment 0 on both sides, signed in funding_created /
 * funding_signed, balances from funding_satoshis and push_msat, and the points exchanged in
 * open/accept (first) and channel_ready (second).
 */
export function openedChannel(a: {
  params: ChannelParams;
  toLocalMsat: bigint;
  feeratePerKw: number;
  localCommitSignature: Uint8Array;
  remoteFirstPerCommitmentPoint: Uint8Array;
  remoteSecondPerCommitmentPoint: Uint8Array;
}): ChannelState {
  const total = a.params.fundingSatoshis * 1000n;
  const local: CommitSpec = { htlcs: [], toLocalMsat: a.toLocalMsat, toRemoteMsat: total - a.toLocalMsat, feeratePerKw: a.feeratePerKw };
  const remote: CommitSpec = { htlcs: [], toLocalMsat: local.toRemoteMsat, toRemoteMsat: local.toLocalMsat, feeratePerKw: a.feeratePerKw };
  return {
    params: a.params,
    localCommit: { index: 0n, spec: local, signature: a.localCommitSignature, htlcSignatures: [] },
    remoteCommit: { index: 0n, spec: remote, perCommitmentPoint: a.remoteFirstPerCommitmentPoint },
    remoteNextPerCommitmentPoint: a.remoteSecondPerCommitmentPoint,
    localChanges: emptyChanges(),
    remoteChanges: emptyChanges(),
    localNextHtlcId: 0n,
    remoteNextHtlcId: 0n,
    remoteSecrets: [],
  };
}
