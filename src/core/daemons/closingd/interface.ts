// closingd's whole interface, read top to bottom (the TypeScript form of Core Lightning's
// closingd_wire.csv): one instance per channel whose shutdowns are both out and whose commitments
// hold no HTLC (the node table's `many`). lightningd starts it with the channel's state, both
// shutdown scripts and its feerates; it negotiates BOLT 2's closing_signed with the peer and hands
// back the fully signed closing transaction; with option_simple_close, closing_complete and
// closing_sig instead (each side pays its own close's fee). A reconnect ends it: after channel_reestablish
// (channeld retransmits shutdown), lightningd starts a new one and the negotiation restarts
// (BOLT 2: "negotiation restarts on reconnection").
import type { CloseFeerates } from '../../channel/closing-fee.ts';
import type { ChannelOwner } from '../connectd/interface.ts';
import type { ChannelLink, MutualCloseRequest } from '../hsmd/interface.ts';
import type { WithdrawalInput } from '../hsmd/withdrawal.ts';
import type { PeerSend } from '../openingd/interface.ts';
import type { ClosingRule } from '../../channel/closing-errors.ts';

export type { ChannelOwner, CloseFeerates, MutualCloseRequest, PeerSend, WithdrawalInput };

// ---- Its init ----

/** What lightningd gives closingd when it starts it (plain data). */
export interface ClosingdInit {
  /** The peer's node id, hex. */
  peerId: string;
  /** The channel's database id (with peerId, what hsmd keys this channel by). */
  dbid: bigint;
  /** channel/serialize.ts serializeChannel of the channel as channeld left it: no HTLC, nothing in the dance. */
  channel: string;
  /** Our shutdown scriptpubkey and the peer's (both as sent in `shutdown`), hex. */
  localScript: string;
  remoteScript: string;
  /** The wallet key our script pays (hsmd signs only a close that pays the wallet what we are owed). */
  destination: WithdrawalInput;
  /** Our `init` features and the peer's, hex (BOLT 1): option_shutdown_anysegwit and option_simple_close widen the scripts allowed. */
  ourFeatures: string;
  theirFeatures: string;
  /** Core Lightning's min, preferred and max feerates for the close, sat per 1000 weight. */
  feerates: CloseFeerates;
  /**
   * Whether we send `fee_range` (BOLT 2's "modern method", Core Lightning's quickclose); true if
   * absent. Without it each offer must move strictly between the last two.
   */
  feeRange?: boolean;
  /** option_simple_close: the nLockTime of our closing_complete (the tip's height, against fee sniping); 0 if absent. */
  lockTime?: number;
  /** BOLT 2: "if it doesn't receive a `closing_signed` response after a reasonable amount of time: MUST fail the channel". None if absent. */
  replyTimeoutMs?: number;
  /** What the peer sent for this channel before closingd started (channeld kept it at the handover), in order. */
  pending?: Uint8Array[];
}

// ---- What closingd answers lightningd ----

/** The close both sides signed. */
export interface ClosingResult {
  /** The closing transaction with both signatures, to broadcast. */
  tx: Uint8Array;
  /** Its txid (display hex). */
  txid: string;
  feeSatoshis: bigint;
}

export interface ClosingdDaemonApi {
  /**
   * Runs the negotiation to its end (BOLT 2: the funder sends the first closing_signed, the fundee
   * waits for it): answers with the signed close, once events.agreed has made it durable and our
   * last closing_signed is out; or fails (the peer was sent `warning` or `error` as BOLT 2 says,
   * lightningd got events.failed).
   */
  negotiate(): Promise<ClosingResult>;
  status(): ClosingStatus;
}

export interface ClosingStatus {
  stage: 'starting' | 'negotiating' | 'closed' | 'failed';
  /** Our last offer and the peer's, satoshis. */
  sent?: bigint;
  received?: bigint;
  failed?: { code: ClosingRule | 'internal'; message: string };
}

// ---- The links closingd needs ----

/**
 * The channel's signer for the close: hsmd's signMutualClose on the channel's link (Core
 * Lightning's hsmd_sign_mutual_close_tx), which refuses a close that underpays us or burns our
 * part as fee. Answers our compact signature on the unsigned transaction.
 */
export type ClosingSigner = ChannelLink<'signMutualClose'>;

/** closingd → lightningd. */
export interface ClosingdEvents {
  /**
   * Both signatures on a close are in hand: lightningd makes it durable and only then does
   * closingd send its closing_signed at that fee (after which the peer may broadcast it), as Core
   * Lightning's closingd_received_signature waits for its reply.
   */
  agreed(c: ClosingResult): void | Promise<void>;
  /** The negotiation is over and our last closing_signed is out: lightningd broadcasts `tx`. */
  closed(c: ClosingResult): void | Promise<void>;
  /** It failed; `sent`: the BOLT 1 message the peer was sent, if any. */
  failed(e: { code: string; message: string; sent?: 'error' | 'warning' }): void | Promise<void>;
}

export interface ClosingdUses {
  /** connectd, this peer only. */
  peer: PeerSend;
  /** hsmd, this channel's link. */
  hsm: ClosingSigner;
  events: ClosingdEvents;
}

/** It answers on its link `peer`: connectd delivers this channel's messages there. */
export const PEER_LINK = 'peer';

export interface ClosingdSpec {
  init: ClosingdInit;
  api: ClosingdDaemonApi;
  uses: ClosingdUses;
  env: Record<string, never>;
}
