// openingd's whole interface, read top to bottom (the TypeScript form of Core Lightning's
// openingd_wire.csv): one instance per channel being opened (the node table's `many`), in either
// role. What lightningd gives it at start, what it answers lightningd, the links it calls (the
// peer, through connectd; the channel's signer, hsmd; lightningd's events) and what it answers on
// the link connectd delivers the peer's messages to.
import type { HsmdChannelLink } from '../../channel/signer.ts';
import type { ChannelPolicy, ChannelState, SideParams } from '../../channel/state.ts';
import type { NetworkName } from '../../chain/chains.ts';
import type { ChannelOwner } from '../connectd/interface.ts';
import type { FundingOutput } from './funding.ts';
import type { Funded } from './opening.ts';
import type { OpeningRule } from './errors.ts';
import type { OpeningPolicy } from './rules.ts';

export type { ChannelOwner, FundingOutput, Funded, OpeningPolicy };

// ---- Its init ----

/** The opener's choices (fundchannel's amount, push_msat, feerate, channel_type, announce). */
export interface OpenerChoices {
  /** BOLT 2 temporary_channel_id: lightningd's choice (connectd routes the peer's answer by it), else random. */
  temporaryChannelId?: Uint8Array;
  fundingSatoshis: bigint;
  pushMsat: bigint;
  feeratePerKw: number;
  /** BOLT 2 channel_type, hex of its big-endian feature bits (e.g. '1000' for static_remotekey). */
  channelType: string;
  announce: boolean;
}

/** What lightningd gives openingd when it starts it (plain data). */
export interface OpeningdInit {
  /** The peer's node id and ours, hex. */
  peerId: string;
  nodeId: string;
  /** The channel's database id: with peerId, what hsmd derives this channel's keys from. */
  dbid: bigint;
  /**
   * 'resume': a channel funded before this connection (after a reconnect or restart) whose
   * channel_ready exchange is not done: reestablish (resume()), then channel_ready (ready()).
   */
  role: 'opener' | 'accepter' | 'resume';
  network: NetworkName;
  /** Our `init` features and the peer's, hex (BOLT 1). */
  ourFeatures: string;
  theirFeatures: string;
  /**
   * What we propose: our funding pubkey and basepoints (hsmd's channelBasepoints for peerId and
   * dbid), our dust limit, and what we ask of the peer: reserve, to_self_delay, HTLC limits.
   */
  local: SideParams;
  /** Our bounds on the peer's proposal. */
  policy: OpeningPolicy;
  /** Carried into the channel once open (src/core/channel ChannelPolicy). */
  channelPolicy: ChannelPolicy;
  /** role 'opener': what to open. */
  open?: OpenerChoices;
  /** role 'accepter': the minimum_depth we ask (3 if absent; ignored with option_zeroconf, which asks 0). */
  minimumDepth?: number;
  /**
   * role 'accepter': the open_channel that made lightningd start us (connectd gave it to
   * lightningd, which decided to answer it); absent, the first message on the peer link is.
   */
  openChannel?: Uint8Array;
  /** role 'resume': the funded channel as lightningd made it durable (its record's `funded`, channel/serialize.ts serializeValue). */
  funded?: string;
  /** Fail the open (BOLT 1 `error`) when the peer takes longer than this to answer a step; none if absent. */
  replyTimeoutMs?: number;
}

// ---- What openingd answers lightningd ----

export interface OpeningdDaemonApi {
  /**
   * Opener: sends open_channel, and answers once the peer's accept_channel passed every check:
   * the output the funding transaction must pay (BOLT 3 2-of-2 P2WSH) and the temporary id.
   */
  open(): Promise<FundingOutput & { temporaryChannelId: Uint8Array }>;
  /**
   * Opener: the funding transaction paying that output is built, NOT broadcast. Sends
   * funding_created; answers once the peer's funding_signed is valid, and only then may the
   * caller broadcast (BOLT 2 funding_signed: "MUST NOT broadcast the funding transaction before
   * receipt of a valid `funding_signed`").
   */
  fund(txid: string, outputIndex: number): Promise<Funded>;
  /**
   * Accepter: answers the open_channel, checks funding_created's signature over our commitment 0,
   * signs theirs, has lightningd persist the channel (events.funded) and only then sends
   * funding_signed. Answers with the funded channel.
   */
  accept(): Promise<Funded>;
  /**
   * 'resume': sends channel_reestablish for the funded channel and answers once the peer's agrees
   * that neither side went beyond commitment #0; then ready() may follow.
   */
  resume(): Promise<void>;
  /**
   * Any role, once funded and lightningd has seen the funding output pay exactly
   * funding_satoshis to the 2-of-2 at minimum_depth (BOLT 2 channel_ready, the sender: "MUST NOT
   * send `channel_ready` unless outpoint ... pays exactly `funding_satoshis`"), or at once with
   * option_zeroconf: sends channel_ready and answers with the channel in normal operation once
   * the peer's channel_ready came.
   */
  ready(alias?: bigint): Promise<ChannelState>;
  /**
   * After ready(): what the peer sent after its channel_ready (an announcement_signatures, an
   * update), in order, once each: lightningd hands it to channeld (connectd holds what comes
   * after it detached openingd).
   */
  handoverMessages(): Uint8Array[];
  /** After ready(): the `alias` the peer's channel_ready carried (BOLT 2), if any. */
  peerAlias(): bigint | undefined;
  /** Where the open stands. */
  status(): OpeningStatus;
}

export interface OpeningStatus {
  stage: string;
  failed?: { code: OpeningRule | 'internal'; message: string };
}

// ---- The links openingd needs ----

/** connectd's link for this peer: what openingd sends it (type included). */
export interface PeerSend {
  send(msg: Uint8Array): void | Promise<void>;
}

/** openingd → lightningd. */
export interface OpeningdEvents {
  /**
   * The channel is funded (both first commitments signed). The accepter waits for this to resolve
   * before it sends funding_signed: lightningd has made it durable (issue 13 "Persist before send").
   */
  funded(f: Funded): void | Promise<void>;
  /** The open failed; `sent`: the BOLT 1 message the peer was sent, if any. */
  failed(e: { code: string; message: string; sent?: 'error' | 'warning' }): void | Promise<void>;
}

/** openingd's links, by the name lightningd gives them when it starts the instance. */
export interface OpeningdUses {
  /** connectd, this peer only. */
  peer: PeerSend;
  /** hsmd, this channel's signer (Core Lightning's per-channel hsmd client): bound to this channel, plain data only. */
  hsm: HsmdChannelLink;
  events: OpeningdEvents;
}

/** It answers on its link `peer`: connectd delivers this channel's messages there. */
export const PEER_LINK = 'peer';

/** openingd's spec for the node table. */
export interface OpeningdSpec {
  init: OpeningdInit;
  api: OpeningdDaemonApi;
  uses: OpeningdUses;
  env: Record<string, never>;
}
