// channeld's whole interface, read top to bottom (the TypeScript form of Core Lightning's
// channeld_wire.csv): one instance per open channel and per connection to its peer (the node
// table's `many`; lightningd starts a new one after each reconnect or restart). What lightningd
// gives it at start, what it answers lightningd, the links it calls (the peer through connectd,
// the channel's signer in hsmd, lightningd's events) and the link connectd delivers to.
import type { ChannelSigner, HsmdChannelLink } from '../../channel/signer.ts';
import type { ChannelOwner } from '../connectd/interface.ts';
import type { PeerSend } from '../openingd/interface.ts';
import type { AnnounceInit } from './announce.ts';

export type { AnnounceInit, ChannelOwner, PeerSend };

// ---- Its init ----

/** What lightningd gives channeld when it starts it (plain data). */
export interface ChanneldInit {
  /** The peer's node id, hex. */
  peerId: string;
  /** The channel's database id (with peerId, what hsmd derives its keys from). */
  dbid: bigint;
  /**
   * The channel as lightningd last made it durable: openingd's ready() state, or the `state` of
   * the last events.persist that resolved (src/core/channel/serialize.ts).
   */
  state: string;
  /** Our `init` features and the peer's, hex (BOLT 1). */
  ourFeatures: string;
  theirFeatures: string;
  /**
   * Start with channel_reestablish (BOLT 2 "Message Retransmission": "upon reconnection: MUST
   * transmit `channel_reestablish`"): after any reconnect or restart. False only when openingd
   * handed over on the same connection at channel_ready.
   */
  reestablish: boolean;
  /** BOLT 2 option_upfront_shutdown_script: each side's committed shutdown script, enforced at shutdown (openingd's Funded). */
  upfront?: { local?: Uint8Array; remote?: Uint8Array };
  /** option_scid_alias: the alias to repeat if channel_ready must be retransmitted. */
  alias?: bigint;
  /**
   * A public channel six confirmations deep (BOLT 7 announcement_signatures): what the
   * channel_announcement names. Absent for a private channel, or until the depth (api.announce).
   */
  announce?: AnnounceInit;
  /** What the peer sent openingd after its channel_ready (openingd's handoverMessages), handled first. */
  early?: Uint8Array[];
  /**
   * What the `hsm` link is. 'hsmd' (the node): hsmd's channel link for (peerId, dbid), which takes
   * and gives only bytes, so it crosses a port; channeld wraps it in hsmdSigner in its own realm.
   * Absent: a ChannelSigner in channeld's realm (tests), whose requests carry transaction objects
   * that cannot cross a port.
   */
  signer?: 'hsmd';
}

// ---- What channeld answers lightningd ----

export interface OfferHtlc {
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
  /** BOLT 4 onion_routing_packet, 1366 bytes. */
  onion: Uint8Array;
  /** Route blinding's path_key, when the HTLC is for a blinded path. */
  pathKey?: Uint8Array;
}

export interface ChanneldDaemonApi {
  /**
   * Offers the peer an HTLC. Refused at once, nothing sent, with a ChannelError naming the BOLT 2
   * limit (htlc_minimum_msat, max_htlc_value_in_flight_msat, max_accepted_htlcs, cannot_afford,
   * fee_spike_buffer, dust_exposure, cltv_expiry). Otherwise the add is made durable
   * (events.persist, change `offered`) before update_add_htlc leaves, and this answers with its
   * id once it is irrevocably committed in both commitments. Rejected with `disconnected` if this
   * instance ends first: the HTLC is then in the state, and the next instance carries it on.
   */
  addHtlc(h: OfferHtlc): Promise<{ id: bigint }>;
  /**
   * Settles an HTLC the peer offered (reported as `incoming`): answers once the update is durable
   * and sent. The same removal again (lightningd repeating itself after a restart) is a no-op.
   */
  fulfillHtlc(id: bigint, preimage: Uint8Array, attribution?: Uint8Array): Promise<void>;
  /**
   * `reason`: BOLT 4's encrypted failure onion. `attribution` (both): BOLT 2's `attribution_data`
   * (920 bytes), kept in the state with the removal and sent with it (again identically on retransmission).
   */
  failHtlc(id: bigint, reason: Uint8Array, attribution?: Uint8Array): Promise<void>;
  /** BOLT 2 update_fail_malformed_htlc: `failureCode` must have BADONION. */
  failMalformedHtlc(id: bigint, sha256OfOnion: Uint8Array, failureCode: number): Promise<void>;
  /** The opener changes the commitment feerate (update_fee). */
  updateFee(feeratePerKw: number): Promise<void>;
  /**
   * BOLT 2 shutdown with our `scriptpubkey` (lightningd's close, or its answer to events.shutdownReceived):
   * sent once no update of ours is pending on the peer's commitment, made durable in the state
   * before it leaves; answers once it is out. The same script again is a no-op; from then on no
   * new HTLC is offered. Refused (ClosingError) for a script BOLT 2 does not allow.
   */
  shutdown(scriptpubkey: Uint8Array): Promise<void>;
  /**
   * A public channel reached six confirmations (or lightningd repeats it): channeld sends
   * announcement_signatures (BOLT 7) unless a shutdown is out, and handles the peer's. The same
   * again is a no-op.
   */
  announce(a: AnnounceInit): Promise<void>;
  /** After events.shutdownComplete: what the peer sent meanwhile (closingd's), in order, once each. */
  handoverMessages(): Uint8Array[];
  status(): ChanneldStatus;
}

/** `closing`: both shutdowns are out and no HTLC is left; the channel is closingd's (events.shutdownComplete). */
export type ChanneldPhase = 'reestablishing' | 'normal' | 'closing' | 'stopped' | 'failed';

export interface HtlcStatus {
  /** 'out': we offered it; 'in': the peer did. */
  direction: 'in' | 'out';
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
}

export interface ChanneldStatus {
  phase: ChanneldPhase;
  /** Our current commitment's number, and the peer's. */
  localCommitmentNumber: bigint;
  remoteCommitmentNumber: bigint;
  /** What our current commitment pays each side (before fees), in msat. */
  toUsMsat: bigint;
  toThemMsat: bigint;
  feeratePerKw: number;
  /** The HTLCs in our current commitment. */
  htlcs: HtlcStatus[];
  /** Updates on their way through the commitment dance, both sides. */
  pendingUpdates: number;
  failed?: ChannelFailure;
  /** The state as channeld holds it now (serialize.ts), for diagnosis. */
  state: string;
}

// ---- The links channeld needs ----

/**
 * What an HTLC became, told to lightningd inside the persist that made it durable, so that
 * lightningd writes it with the state in one transaction: each is told exactly once over the
 * channel's life (a persist that did not resolve is redone, and told again, by the next instance).
 */
export type HtlcChange =
  /** Our HTLC is in the state (its update_add_htlc leaves after this persist). */
  | { kind: 'offered'; id: bigint; amountMsat: bigint; paymentHash: Uint8Array; cltvExpiry: number }
  /** Our HTLC is irrevocably committed in both commitments. */
  | { kind: 'committed'; id: bigint }
  /**
   * The peer's HTLC is irrevocably committed (BOLT 2): lightningd decides (fulfill, fail, forward).
   * `overDustExposure`: BOLT 2 "SHOULD fail this HTLC once it's committed".
   */
  | {
      kind: 'incoming';
      id: bigint;
      amountMsat: bigint;
      paymentHash: Uint8Array;
      cltvExpiry: number;
      onion: Uint8Array;
      pathKey?: Uint8Array;
      overDustExposure?: boolean;
    }
  /** Our HTLC, fulfilled by the peer, irrevocably removed (`attribution`: the peer's `attribution_data`, if it sent one). */
  | { kind: 'fulfilled'; id: bigint; preimage: Uint8Array; attribution?: Uint8Array }
  /** Our HTLC, failed by the peer, irrevocably removed. */
  | { kind: 'failed'; id: bigint; reason?: Uint8Array; attribution?: Uint8Array; sha256OfOnion?: Uint8Array; failureCode?: number }
  /** The peer's HTLC: our fulfill or fail of it is irrevocably committed. */
  | { kind: 'resolved'; id: bigint };

export interface Persist {
  /** The channel's new state (serialize.ts): what lightningd starts the next instance with. */
  state: string;
  changes: HtlcChange[];
}

/**
 * How channeld ended: what lightningd does next.
 *  - `disconnect`: the connection must end (we sent `warning`, the peer left, or our own trouble);
 *    the channel is fine: reconnect and start a new instance with reestablish.
 *  - `fail_channel`: the channel is failed (BOLT 1 `error` either way): broadcast our latest commitment.
 *  - `data_loss`: the peer proved our state is old (option_data_loss_protect): MUST NOT broadcast
 *    our commitment; we asked the peer to close; our funds come from its commitment.
 */
export interface ChannelFailure {
  code: string;
  message: string;
  action: 'disconnect' | 'fail_channel' | 'data_loss';
  /** The BOLT 1 message we sent the peer about it, if any. */
  sent?: 'error' | 'warning';
  /** data_loss: the peer's my_current_per_commitment_point (for its commitment's outputs to us). */
  theirCurrentPerCommitmentPoint?: Uint8Array;
}

/** channeld → lightningd. */
export interface ChanneldEvents {
  /**
   * Make this durable, then resolve (issue 13 "Persist before send": every message that depends on
   * the state waits for this; nothing else happens in the channel meanwhile).
   */
  persist(p: Persist): void | Promise<void>;
  /** This instance ended (see ChannelFailure); it sends and answers nothing more. */
  failed(f: ChannelFailure): void | Promise<void>;
  /**
   * The peer's shutdown is durable and ours is not sent: lightningd answers with api.shutdown
   * (BOLT 2: "MUST reply to a `shutdown` message with a `shutdown`"). Not awaited by channeld.
   */
  shutdownReceived(scriptpubkey: Uint8Array): void | Promise<void>;
  /**
   * Both shutdowns are out and no HTLC is left in either commitment (BOLT 2 "Closing Negotiation"):
   * `state` is the channel as persisted, both scripts in it; this instance sends nothing more and
   * keeps what the peer sends for api.handoverMessages (lightningd starts closingd).
   */
  shutdownComplete(state: string): void | Promise<void>;
  /**
   * BOLT 7: both announcement_signatures are in and valid: the full channel_announcement (raw,
   * type included). lightningd makes it durable in the channel record, then hands it to gossipd
   * with our channel_update. Told once per channel (a restart tells it again only if it was not durable).
   */
  announced?(announcement: Uint8Array): void | Promise<void>;
}

/** channeld's links, by the name lightningd gives them when it starts the instance. */
export interface ChanneldUses {
  /** connectd, this peer only. */
  peer: PeerSend;
  /** hsmd, this channel's validating signer: its channel link (init.signer 'hsmd'), or a ChannelSigner. */
  hsm: ChannelSigner | HsmdChannelLink;
  events: ChanneldEvents;
}

/** It answers on its link `peer`: connectd delivers this channel's messages there (and warning/error naming it). */
export const PEER_LINK = 'peer';

/** channeld's spec for the node table. */
export interface ChanneldSpec {
  init: ChanneldInit;
  api: ChanneldDaemonApi;
  uses: ChanneldUses;
  env: Record<string, never>;
}
