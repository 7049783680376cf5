// lightningd's channels (design.md "Flows: channel", Core Lightning's lightningd/opening_control.c
// and channel_control.c): it starts an openingd per channel being opened, with a link to connectd
// for that channel's messages (a MessageChannel each way, one end to each daemon) and a link to
// hsmd limited to that channel's signing; it persists the channel once funded, before anything
// that depends on it leaves (the accepter's funding_signed, the opener's broadcast); it follows the
// funding output's depth on the chain, has openingd send channel_ready at minimum_depth, records
// the channel in normal operation and hands it to channeld (startChanneld), and starts a new
// channeld with channel_reestablish at each reconnection (peerConnected), as channel_control.c.
import { newAlias } from './channel-alias.ts';
import { formatScid, parseScid } from '../../wire/scid.ts';
import { fromHex, toHex } from '../../base/bytes.ts';
import type { ChainListener, ConnectedBlock, FeeEstimates, SendResult } from '../../chain/backend.ts';
import type { NetworkName } from '../../chain/chains.ts';
import { deserializeValue, serializeChannel, serializeValue } from '../../channel/serialize.ts';
import type { ChannelState } from '../../channel/state.ts';
import type { DialTarget } from '../../net/transport.ts';
import type { Clock, DaemonRef, DaemonSpec, Log } from '../../node/daemon.ts';
import { DAEMONS } from '../../node/daemons.ts';
import type { DaemonSupervisor, RunningDaemon } from '../../node/supervisor.ts';
import type { Reservation, Wallet } from '../../wallet/wallet.ts';
import { parseTx } from '../../wallet/tx.ts';
import { decodeMessage, encodeMessage } from '../../wire/messages.ts';
import type { ChannelFailure, ChanneldEvents, ChanneldInit, ChanneldSpec, HtlcChange, Persist } from '../channeld/interface.ts';
import {
  CHANNEL_LINK as CONNECTD_CHANNEL_LINK,
  type ChannelLinkArgs,
  type ConnectdSpec,
  type PeerConnectedEvent,
} from '../connectd/interface.ts';
import { NO_CHANNELS_TEXT } from '../connectd/unknown-channel.ts';
import {
  CHANNEL_LINK as HSMD_CHANNEL_LINK,
  type ChannelCapability,
  type ChannelLinkArgs as HsmLinkArgs,
  type HsmdSpec,
} from '../hsmd/interface.ts';
import { channelIdOf, fundingOutputOf, internalTxid } from '../openingd/funding.ts';
import type { Funded, OpenerChoices, OpeningdEvents, OpeningdInit, OpeningdSpec } from '../openingd/interface.ts';
import { CHANNEL_POLICY, localSide, MINIMUM_DEPTH, OPENING_POLICY } from './channel-config.ts';
import { applyHtlcChanges } from './channel-htlcs.ts';
import { anchorsNegotiated, emergencySat, MIN_EMERGENCY_SAT } from './emergency.ts';
import { ChannelGossip } from './channel-gossip.ts';
import { CloseControl, upfrontOf } from './close-control.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import { OnchainControl } from './onchain-control.ts';

export interface ChannelControlOptions {
  network: NetworkName;
  nodeId: string;
  /** Our `init` features, hex. */
  ourFeatures: string;
  db: LightningdDb;
  daemons: DaemonSupervisor;
  hsmd: RunningDaemon<HsmdSpec>;
  connectd: RunningDaemon<ConnectdSpec>;
  /** The wallet that funds our opens, and the chain that carries them; without them we open and accept nothing. */
  wallet?: Wallet;
  broadcast?(tx: Uint8Array): Promise<SendResult>;
  /** A child and its parent together (submitpackage): option_anchors' bump of our commitment. */
  submitPackage?(txs: Uint8Array[]): Promise<SendResult>;
  /** The feerate onchaind's sweeps pay (perkw), and the last block followed: with a wallet and a chain, failed channels resolve on chain. */
  feeratePerKw?(): Promise<number>;
  tip?(): number;
  /** Where we can dial a peer from its recorded addresses (empty: we cannot reach it ourselves). */
  dialTargets?(peerId: string): DialTarget[];
  randomBytes(n: number): Uint8Array;
  log: Log;
  /** For mutual closes (close-control.ts): the chain's fee estimates, its height, and timers (unilateraltimeout). */
  estimatefees?(): Promise<FeeEstimates>;
  blockheight?(): number;
  clock?: Clock;
  /** gossipd's intake of our own gossip (channel-gossip.ts): public channels are announced through it. */
  gossipd?: { addLocalGossip(msgs: Uint8Array[]): Promise<void> };
  /** Our node_announcement's alias and rgb color (6 hex digits). */
  alias?: string;
  color?: string;
  /** Core Lightning's `watchtime-blocks`: the to_self_delay we ask of peers (default WATCHTIME_BLOCKS). */
  watchtimeBlocks?: number;
  /** Core Lightning's `max-locktime-blocks`: the longest to_self_delay we let a peer ask of us (default MAX_LOCKTIME_BLOCKS). */
  maxLocktimeBlocks?: number;
  /** Core Lightning's `min-emergency-msat`, in sat (default MIN_EMERGENCY_SAT; emergency.ts). */
  minEmergencySat?: number;
}

/** A channel daemon lightningd started, with the key of its links (hsmd's, connectd's) and its events' port. */
interface ChannelDaemon<S extends DaemonSpec> {
  daemon: RunningDaemon<S>;
  key: string;
  events: { port: unknown; close(): void };
}

/** A channel being opened: its openingd instance and its links, until it is in normal operation or failed. */
interface Opening extends ChannelDaemon<OpeningdSpec> {
  dbid: bigint;
  peerId: string;
  role: OpeningdInit['role'];
  /** Set once funded (persisted). */
  record?: ChannelRecord;
  /** The peer negotiated option_anchors (Core Lightning counts such an open as an anchors channel). */
  anchors?: boolean;
  failed?: string;
  /** channel_ready in flight. */
  locking?: boolean;
  /** Role 'resume' until its channel_reestablish exchange is done: openingd runs one step at a time, so channel_ready waits. */
  resuming?: boolean;
  /** fundchannel's `mindepth`: the confirmations we wait for before channel_ready (else the accepter's minimum_depth). */
  mindepth?: number;
  /** The connection it was started for (a reconnect's PeerConnectedEvent counter): its links serve that one only. */
  counter?: number;
  /** Its end, once begun (end): one end per opening, whoever asks. */
  ending?: Promise<void>;
}

/** A channeld instance: one per channel and connection (a new one after each reconnect or restart). */
interface Running extends ChannelDaemon<ChanneldSpec> {
  dbid: string;
  peerId: string;
  ended?: boolean;
}

/**
 * Who follows the channels' HTLCs in lightningd (receive, send, forward: Core Lightning's
 * peer_htlcs.c). `staging` runs synchronously inside channeld's persist, before the write: what it
 * records in the database (LightningdDb's tables, invoices) is made durable in the SAME write as
 * the channel state and the HTLC changes, so a preimage learned or a payment settled is never lost
 * between two writes. `persisted` runs once that write is durable: it must not block (queue work).
 * `started` runs when a channeld instance for the channel is up (after each reconnect or restart):
 * the time to act again on HTLCs the database says are undecided.
 */
export interface HtlcListener {
  staging?(channel: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void;
  persisted?(channel: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void;
  started?(channel: Readonly<ChannelRecord>): void;
  /** An HTLC we offered on `dbid` settled on chain: with the peer's preimage, or failed (`htlc`: which, if known) (onchain-control.ts). */
  onchain?(dbid: string, paymentHash: string, preimage?: Uint8Array, htlc?: { id?: bigint; cltvExpiry: number }): void;
}

/** What fundchannel asks (already parsed). */
export interface FundRequest {
  peerId: string;
  /** The peer's `init` features, hex. */
  theirFeatures: string;
  amount: number | 'all';
  perkw: number;
  minconf: number;
  utxos?: string[];
  announce: boolean;
  pushMsat: bigint;
  channelType: string;
  reserve?: bigint;
  /** `all` gives at most this (BOLT 2: under 2^24 sat without option_support_large_channel). */
  maxSatoshis?: number | undefined;
  /** fundchannel's close_to: committed in open_channel's upfront_shutdown_script when negotiated (BOLT 2). */
  closeTo?: Uint8Array;
  /** Core Lightning's `mindepth`: confirmations before we send channel_ready (default: the accepter's minimum_depth). */
  mindepth?: number;
}

export interface FundResult {
  tx: string;
  txid: string;
  outnum: number;
  channel_id: string;
  channel_type: string;
  mindepth: number;
}

/** Why an open failed, with what fundchannel answers (wallet codes stay the wallet's). */
export class OpenFailed extends Error {
  constructor(
    readonly reason: 'broadcast' | 'open',
    message: string,
  ) {
    super(message);
    this.name = 'OpenFailed';
  }
}

/** A channel failed, or closed on chain (a commitment, unless its close is mutual): no daemon will run for it again. */
const ON_CHAIN_STATES: readonly ChannelRecord['state'][] = ['AWAITING_UNILATERAL', 'FUNDING_SPEND_SEEN', 'ONCHAIN'];

/** Peers whose open_channel may be answered at once (each holds one openingd until funded or failed). */
export const MAX_ACCEPTING = 16;

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class ChannelControl implements ChainListener {
  private readonly openings = new Map<string, Opening>();
  /** Peers whose open_channel we are answering, until it is funded or failed. */
  private readonly accepting = new Set<string>();
  /** The channeld running for each channel (by dbid). */
  private readonly running = new Map<string, Running>();
  /** Each channel's daemon starts and ends, one at a time (they share the channel's link key). */
  private readonly turns = new Map<string, Promise<void>>();
  private instances = 0;
  /** Our commitment broadcast when a channel fails, and onchaind for each spent funding output (onchain-control.ts). */
  private readonly onchain: OnchainControl | undefined;
  /** The height of the last block connected. */
  private tip: number | undefined;
  private readonly htlcListeners = new Set<HtlcListener>();
  /** Mutual closes: shutdown, closingd, the close transaction. */
  readonly closes: CloseControl;
  /** Our channels in gossip: announcement_signatures' outcome, our channel_updates (channel-gossip.ts). */
  private readonly gossip: ChannelGossip;

  constructor(private readonly o: ChannelControlOptions) {
    const { wallet, broadcast } = o;
    this.gossip = new ChannelGossip({
      network: o.network,
      nodeId: o.nodeId,
      db: o.db,
      signChannelUpdate: m => o.hsmd.guard(o.hsmd.api.signChannelUpdate(m)),
      signNodeAnnouncement: m => o.hsmd.guard(o.hsmd.api.signNodeAnnouncement(m)),
      ...(o.gossipd ? { addLocalGossip: (msgs: Uint8Array[]) => o.gossipd!.addLocalGossip(msgs) } : {}),
      sendToPeer: (id, m) => o.connectd.guard(o.connectd.api.sendToPeer(id, m)),
      enabled: c => c.state === 'CHANNELD_NORMAL' && this.channeldOf(c.dbid) !== undefined,
      alias: o.alias ?? `boltworker-${o.nodeId.slice(0, 8)}`,
      color: o.color ?? o.nodeId.slice(2, 8),
      nowMs: () => o.clock?.now() ?? Date.now(),
      log: o.log,
    });
    this.onchain =
      wallet && broadcast
        ? new OnchainControl({
            db: o.db,
            daemons: o.daemons,
            hsmd: o.hsmd,
            wallet,
            broadcast,
            ...(o.submitPackage ? { submitPackage: o.submitPackage } : {}),
            feeratePerKw: o.feeratePerKw ?? (async () => 253),
            tip: o.tip ?? (() => 0),
            endChannel: dbid => this.turn(dbid, () => this.endDaemons(dbid)),
            forgotten: c => this.o.connectd.guard(this.o.connectd.api.holdChannel(c.peer_id, fromHex(c.channel_id), false)),
            offeredHtlcOnChain: (dbid, hash, preimage, htlc) => this.tell('onchain', dbid, hash, preimage, htlc),
            log: o.log,
          })
        : undefined;
    this.closes = new CloseControl({
      db: o.db,
      links: { start: (...a) => this.startWithLinks(...a), end: d => this.endLinks(d) },
      ourFeatures: o.ourFeatures,
      theirFeatures: async id => (await o.connectd.guard(o.connectd.api.listPeers())).find(p => p.id === id && p.connected)?.features,
      channeldOf: dbid => this.channeldOf(dbid),
      failChannel: (dbid, f) => this.inTurn(dbid, () => this.failClosing(dbid, f)),
      disconnect: id => o.connectd.guard(o.connectd.api.disconnect(id, true)).catch(() => undefined),
      ...(o.wallet ? { wallet: o.wallet } : {}),
      ...(o.broadcast ? { broadcast: o.broadcast } : {}),
      ...(o.estimatefees ? { estimatefees: o.estimatefees } : {}),
      ...(o.blockheight ? { blockheight: o.blockheight } : {}),
      ...(o.clock ? { clock: o.clock } : {}),
      log: o.log,
    });
  }

  /** Follows every channel's HTLC changes (HtlcListener); returns how to stop. */
  onHtlcs(l: HtlcListener): () => void {
    this.htlcListeners.add(l);
    return () => this.htlcListeners.delete(l);
  }

  /** Each listener's hook, one listener's throw never stopping the others (nor channeld). */
  private tell<K extends keyof HtlcListener>(hook: K, ...args: Parameters<NonNullable<HtlcListener[K]>>): void {
    for (const l of this.htlcListeners) {
      try {
        (l[hook] as ((...a: typeof args) => void) | undefined)?.call(l, ...args);
      } catch (e) {
        this.o.log.warn(`htlc listener ${hook}: ${errorText(e)}`);
      }
    }
  }

  /** min-emergency-msat, in sat. */
  get minEmergencySat(): number {
    return this.o.minEmergencySat ?? MIN_EMERGENCY_SAT;
  }

  /** What a spend must leave in the wallet (emergency.ts); `theirFeatures`: of a peer we are opening to. */
  emergencySat(theirFeatures?: string): number {
    return emergencySat(this.minEmergencySat, {
      channelTypes: this.o.db.channels().map(c => c.channel_type),
      anchorsOpening: [...this.openings.values()].some(op => op.anchors && !op.record),
      opening: theirFeatures !== undefined && anchorsNegotiated(this.o.ourFeatures, theirFeatures),
    });
  }

  /** Whether this node can open and accept channels (a wallet to fund them, a chain to watch them). */
  get canOpen(): boolean {
    return this.o.wallet !== undefined && this.o.broadcast !== undefined;
  }

  /** Channels lightningd holds (its database) and opens in flight, for listpeerchannels. */
  list(): { record?: ChannelRecord; opening?: { peerId: string; role: OpeningdInit['role']; dbid: bigint } }[] {
    const held = this.o.db.channels();
    const heldIds = new Set(held.map(c => c.dbid));
    const inFlight = [...this.openings.values()]
      .filter(op => !heldIds.has(op.dbid.toString()) && !op.failed)
      .map(op => ({ opening: { peerId: op.peerId, role: op.role, dbid: op.dbid } }));
    return [...held.map(record => ({ record })), ...inFlight];
  }

  /** At start: connectd learns every channel we hold, so none of their messages is answered as unknown. */
  async load(): Promise<void> {
    for (const c of this.o.db.channels()) await this.hold(c);
    await this.onchain?.load();
    await this.closes.rebroadcast();
  }

  private async hold(c: ChannelRecord): Promise<void> {
    await this.o.connectd.guard(this.o.connectd.api.holdChannel(c.peer_id, fromHex(c.channel_id), true));
  }

  /**
   * As Core Lightning, a node keeps the peers it has channels with connected (connectd's important
   * peers, redialled with backoff): each connection then starts their channelds (peerConnected).
   */
  async reconnect(): Promise<void> {
    const peers = new Set(
      this.o.db
        .channels()
        .filter(c => this.resumable(c) || c.state === 'CHANNELD_AWAITING_LOCKIN')
        .map(c => c.peer_id),
    );
    for (const id of peers) {
      const targets = this.o.dialTargets?.(id) ?? [];
      if (targets.length === 0) continue; // It reaches us (we know no address of it).
      await this.o.connectd.guard(this.o.connectd.api.addImportantPeer(id, targets));
    }
  }

  /** Ends every openingd and channeld still running (the node stops; what is funded is in the database already). */
  async stop(): Promise<void> {
    await Promise.all([...this.openings.values()].map(op => this.end(op)));
    await Promise.all([...this.running.values()].map(r => this.inTurn(r.dbid, () => this.endChanneld(r))));
    await this.onchain?.stop();
    await this.closes.stop();
  }

  // ---- opening ----

  /**
   * fundchannel: the wallet reserves the coins, openingd opens, the wallet signs the funding
   * transaction paying the output openingd names, openingd sends funding_created, and only once
   * the peer's funding_signed is valid (and the channel durable) is the transaction broadcast.
   * Any failure before releases the coins.
   */
  async fund(r: FundRequest): Promise<FundResult> {
    const wallet = this.o.wallet;
    if (!wallet || !this.o.broadcast) throw new OpenFailed('open', 'this node has no wallet and chain to fund a channel');
    const spend = {
      perkw: r.perkw,
      minconf: r.minconf,
      ...(r.utxos ? { utxos: r.utxos } : {}),
      // Core Lightning's multifundchannel: opening_anchor_channel when the peer negotiated anchors.
      emergency_sat: this.emergencySat(r.theirFeatures),
    };
    let reservation = await wallet.reserveFunding({ ...spend, amount: r.amount });
    if (r.amount === 'all' && r.maxSatoshis !== undefined && reservation.amount_sat > r.maxSatoshis) {
      await wallet.releaseFunding(reservation);
      reservation = await wallet.reserveFunding({ ...spend, amount: r.maxSatoshis });
    }
    let op: Opening | undefined;
    let broadcastable = false;
    try {
      const fundingSatoshis = BigInt(reservation.amount_sat);
      const temporaryChannelId = this.o.randomBytes(32);
      const open: OpenerChoices = {
        temporaryChannelId,
        fundingSatoshis,
        pushMsat: r.pushMsat,
        feeratePerKw: r.perkw,
        channelType: r.channelType,
        announce: r.announce,
      };
      const roleInit = { open, ...(r.closeTo ? { upfrontShutdownScript: r.closeTo } : {}) };
      op = await this.startOpeningd(r.peerId, r.theirFeatures, 'opener', temporaryChannelId, fundingSatoshis, roleInit, r.reserve);
      if (r.mindepth !== undefined) op.mindepth = r.mindepth;
      const out = await op.daemon.guard(op.daemon.api.open());
      const signed = await wallet.signFunding(reservation, out.script);
      // The peer's funding_signed names the channel by its channel_id (BOLT 2): connectd routes it here.
      const channelId = channelIdOf(internalTxid(signed.txid), signed.outnum);
      await this.o.connectd.guard(this.o.connectd.api.addChannelId(op.key, channelId));
      const funded = await op.daemon.guard(op.daemon.api.fund(signed.txid, signed.outnum));
      broadcastable = true;
      // BOLT 2 funding_signed, the receiver: "on receipt of a valid `funding_signed`: SHOULD broadcast the funding transaction".
      const sent = await this.o.broadcast(signed.tx);
      if (!sent.success) throw new OpenFailed('broadcast', `Error broadcasting funding transaction: ${sent.errmsg ?? 'refused'}`);
      return {
        tx: toHex(signed.tx),
        txid: signed.txid,
        outnum: signed.outnum,
        channel_id: toHex(funded.params.channelId),
        channel_type: toHex(funded.channelType),
        mindepth: op.record?.minimum_depth ?? funded.minimumDepth,
      };
    } catch (e) {
      // Once funding_signed came, the channel is funded and durable: nothing is released.
      if (broadcastable) throw e;
      await wallet.releaseFunding(reservation).catch(x => this.o.log.warn(`releasing the funding coins: ${errorText(x)}`));
      if (op) await this.end(op);
      // The wallet's own refusals (cannot afford, dust) keep their type for the RPC's codes.
      if (!op) throw e;
      throw new OpenFailed('open', op.failed ?? errorText(e));
    }
  }

  /**
   * connectd → lightningd: a message for no daemon. An `open_channel` is ours to decide (Core
   * Lightning's peer_control): openingd answers it as accepter, or the peer gets BOLT 1 `error`
   * naming its temporary_channel_id when we take no channels.
   */
  async peerSpoke(peerId: string, msg: Uint8Array): Promise<void> {
    let m;
    try {
      m = decodeMessage(msg);
    } catch {
      return;
    }
    if (m.name !== 'open_channel') return;
    const peers = await this.o.connectd.guard(this.o.connectd.api.listPeers());
    const theirFeatures = peers.find(p => p.id === peerId && p.connected)?.features;
    // BOLT 1: the error names the temporary_channel_id, so the opener fails that channel only.
    const refuse = async (text: string) => {
      const error = encodeMessage({ name: 'error', channel_id: m.temporary_channel_id, data: new TextEncoder().encode(text) });
      await this.o.connectd.api.sendToPeer(peerId, error).catch(() => undefined);
    };
    if (!this.canOpen || theirFeatures === undefined) return refuse(NO_CHANNELS_TEXT);
    // One unfunded open per peer at a time (as Core Lightning), and a bound on all of them: a peer
    // sending open_channel after open_channel costs one openingd, never more.
    if (this.accepting.has(peerId)) return refuse('Already opening a channel with you: one at a time');
    if (this.accepting.size >= MAX_ACCEPTING) return refuse('Too many channels being opened: try again later');
    this.accepting.add(peerId);
    let op: Opening | undefined;
    try {
      op = await this.startOpeningd(peerId, theirFeatures, 'accepter', m.temporary_channel_id, m.funding_satoshis, {
        minimumDepth: MINIMUM_DEPTH,
        openChannel: msg,
      });
      const opening = op;
      // openingd refuses (and tells the peer) what it must; lightningd waits for the chain after.
      await op.daemon.guard(op.daemon.api.accept());
      this.o.log.info(
        `channel ${opening.record?.channel_id} from ${peerId} funded; awaiting ${opening.record?.minimum_depth} confirmations`,
      );
    } catch (e) {
      this.o.log.info(`open_channel from ${peerId} failed: ${errorText(e)}`);
      if (op && !op.record) await this.end(op);
    } finally {
      this.accepting.delete(peerId);
    }
  }

  /** Starts an openingd for a new channel with its links (startWithLinks), and our answers to its events. */
  private async startOpeningd(
    peerId: string,
    theirFeatures: string,
    role: OpeningdInit['role'],
    temporaryChannelId: Uint8Array,
    fundingSatoshis: bigint,
    roleInit: Pick<OpeningdInit, 'open' | 'minimumDepth' | 'openChannel' | 'funded' | 'upfrontShutdownScript'>,
    reserve?: bigint,
    funded?: bigint,
    counter?: number,
  ): Promise<Opening> {
    const dbid = funded ?? (await this.o.db.newDbid());
    const bp = await this.o.hsmd.guard(this.o.hsmd.api.channelBasepoints(peerId, dbid));
    const op = {
      dbid,
      peerId,
      role,
      anchors: anchorsNegotiated(this.o.ourFeatures, theirFeatures),
      ...(role === 'resume' ? { resuming: true } : {}),
      ...(counter !== undefined ? { counter } : {}),
    } as Opening;
    const events: OpeningdEvents = {
      funded: f => this.funded(op, f),
      failed: e => void (op.failed = e.message),
    };
    const init: OpeningdInit = {
      peerId,
      nodeId: this.o.nodeId,
      dbid,
      role,
      network: this.o.network,
      ourFeatures: this.o.ourFeatures,
      theirFeatures,
      local: localSide(bp, fundingSatoshis, reserve, this.o.watchtimeBlocks),
      policy: this.o.maxLocktimeBlocks === undefined ? OPENING_POLICY : { ...OPENING_POLICY, maxToSelfDelay: this.o.maxLocktimeBlocks },
      channelPolicy: CHANNEL_POLICY,
      ...roleInit,
    };
    const started = await this.startWithLinks(
      DAEMONS.openingd,
      `openingd-${dbid}`,
      init,
      { peerId, dbid, channelId: temporaryChannelId, ...(counter !== undefined ? { counter } : {}) },
      events,
    );
    Object.assign(op, started);
    this.openings.set(op.key, op);
    return op;
  }

  /**
   * Starts a channel daemon (openingd; channeld next) with the links Core Lightning gives one
   * (design.md "Links"): `hsm`, hsmd's link for this channel only (attached to hsmd's host);
   * `peer` both ways, a MessageChannel each way with connectd (attached to connectd's host as
   * this peer's owner of `channelId`); `events`, lightningd's answers. Its instance name is
   * unique in the node; `key` names its links until `endLinks`.
   */
  private async startWithLinks<S extends DaemonSpec>(
    ref: DaemonRef<S>,
    instance: string,
    init: S['init'],
    ch: { peerId: string; dbid: bigint; channelId: Uint8Array; counter?: number },
    events: object,
    caps?: ChannelCapability[],
  ): Promise<ChannelDaemon<S>> {
    const { daemons, hsmd, connectd } = this.o;
    const key = `channel-${ch.dbid}`;
    const answers = daemons.serve(events);
    const [peerUse, peerServe] = daemons.channel();
    const [ownerServe, ownerUse] = daemons.channel();
    const [hsmUse, hsmServe] = daemons.channel();
    const hsmArgs: HsmLinkArgs = { peerId: ch.peerId, dbid: ch.dbid, ...(caps ? { caps } : {}) };
    let daemon: RunningDaemon<S> | undefined;
    let attached = false;
    try {
      await hsmd.attach({ key, name: HSMD_CHANNEL_LINK, args: hsmArgs, serves: { port: hsmServe, caps: [] } });
      attached = true;
      daemon = await daemons.start(ref, instance, init, {
        uses: { peer: { port: peerUse }, hsm: { port: hsmUse }, events: { port: answers.port } },
        serves: { peer: { port: ownerServe, caps: [] } },
      });
      // Bound to one connection (ChannelLinkArgs.counter): refused if the peer is on another already.
      const args: ChannelLinkArgs = {
        peerId: ch.peerId,
        channelId: ch.channelId,
        ...(ch.counter !== undefined ? { counter: ch.counter } : {}),
      };
      await connectd.attach({ key, name: CONNECTD_CHANNEL_LINK, args, uses: { port: ownerUse }, serves: { port: peerServe, caps: [] } });
      return { daemon, key, events: answers };
    } catch (e) {
      await daemon?.stop().catch(() => undefined);
      if (attached) await hsmd.detach(key).catch(() => undefined);
      answers.close();
      throw e;
    }
  }

  /** Ends a channel daemon and its links (connectd's first: nothing more is delivered to it). */
  private async endLinks(d: Partial<ChannelDaemon<DaemonSpec>> & { key: string; events: { close(): void } }): Promise<void> {
    await this.o.connectd.detach(d.key).catch(() => undefined);
    await d.daemon?.stop().catch(() => undefined);
    await this.o.hsmd.detach(d.key).catch(() => undefined);
    d.events.close();
  }

  /**
   * openingd → lightningd: both first commitments are signed. The channel is durable before this
   * answers (the accepter sends funding_signed only then; the opener broadcasts only after), and
   * connectd routes the channel_id to openingd and holds it from now on.
   */
  private async funded(op: Opening, f: Funded): Promise<void> {
    const p = f.params;
    const record: ChannelRecord = {
      dbid: op.dbid.toString(),
      peer_id: op.peerId,
      state: 'CHANNELD_AWAITING_LOCKIN',
      opener: p.localIsOpener ? 'local' : 'remote',
      channel_id: toHex(p.channelId),
      funding_txid: p.fundingTxid,
      funding_outnum: p.fundingOutputIndex,
      funding_sat: p.fundingSatoshis.toString(),
      push_msat: (p.localIsOpener ? p.fundingSatoshis * 1000n - f.toLocalMsat : f.toLocalMsat).toString(),
      channel_type: toHex(f.channelType),
      announce: (f.channelFlags & 1) === 1,
      minimum_depth: op.mindepth ?? f.minimumDepth,
      funded: serializeValue(f),
    };
    await this.o.db.saveChannel(record);
    op.record = record;
    await this.hold(record);
    if (!p.localIsOpener) await this.o.connectd.guard(this.o.connectd.api.addChannelId(op.key, p.channelId));
  }

  /**
   * Ends an opening's openingd and its links, once: every later call answers the same end. Its links
   * are named by the channel (`channel-N`), as a later openingd's for the same channel are: only the
   * first end detaches them, and the opening leaves `openings` only if a later one has not taken
   * its place, so an old opening's end never touches a new one's links or entry.
   */
  private end(op: Opening): Promise<void> {
    op.ending ??= (async () => {
      await this.endLinks(op);
      if (this.openings.get(op.key) === op) this.openings.delete(op.key);
    })();
    return op.ending;
  }

  // ---- the funding output's depth (ChainListener) ----

  async blockConnected(b: ConnectedBlock): Promise<void> {
    for (const c of this.o.db.channels()) {
      if (c.state !== 'CHANNELD_AWAITING_LOCKIN') continue;
      if (c.funding_height === undefined) {
        const index = b.txids?.indexOf(c.funding_txid) ?? -1;
        if (index < 0) continue;
        if (!this.paysFunding(c, b.txs[index]!)) {
          this.o.log.warn(`channel ${c.channel_id}: the funding transaction does not pay the 2-of-2 its funding_satoshis`);
          continue;
        }
        // BOLT 7 "Definition of short_channel_id": block height, transaction index, output index.
        await this.o.db.saveChannel({ ...c, funding_height: b.height, short_channel_id: `${b.height}x${index}x${c.funding_outnum}` });
      }
    }
    this.tip = b.height;
    for (const c of this.o.db.channels()) {
      if (this.deepEnough(c, b.height)) this.lockIn(c);
    }
    this.announceDeep(b.height);
    await this.onchain?.blockConnected(b);
  }

  async blockDisconnected(b: { height: number }): Promise<void> {
    for (const c of this.o.db.channels()) {
      if (c.state === 'CHANNELD_AWAITING_LOCKIN' && c.funding_height === b.height) {
        const { funding_height: _h, short_channel_id: _s, ...rest } = c;
        await this.o.db.saveChannel(rest);
      }
    }
    await this.onchain?.blockDisconnected(b);
  }

  /** BOLT 7: each public channel's channeld learns once its funding is six blocks deep (announcement_signatures). */
  private announceDeep(height: number | undefined, only?: string): void {
    for (const [dbid, r] of this.running) {
      if (only !== undefined && dbid !== only) continue;
      const c = this.record(dbid);
      const a = c && !c.announcement ? this.gossip.announceInit(c, height) : undefined;
      if (!a || r.ended) continue;
      void r.daemon.guard(r.daemon.api.announce(a)).catch(e => this.o.log.info(`channel ${c!.channel_id}: announce: ${errorText(e)}`));
    }
  }

  /** setchannel changed our policy on `dbid`: a new channel_update (gossiped for a public channel, else to the peer). */
  async policyChanged(dbid: string): Promise<void> {
    const c = this.record(dbid);
    if (c) await this.gossip.refresh(c);
  }

  /** Awaiting lock-in with its funding output `minimum_depth` deep at `height`. */
  private deepEnough(c: ChannelRecord, height: number | undefined): boolean {
    return (
      c.state === 'CHANNELD_AWAITING_LOCKIN' &&
      c.funding_height !== undefined &&
      height !== undefined &&
      height - c.funding_height + 1 >= c.minimum_depth
    );
  }

  /** BOLT 2 channel_ready, the sender: "MUST NOT send `channel_ready` unless outpoint of given by `funding_txid` and `funding_output_index` in the `funding_created` message pays exactly `funding_satoshis` to the scriptpubkey specified in [BOLT #3]". */
  private paysFunding(c: ChannelRecord, raw: Uint8Array): boolean {
    const f = deserializeValue<Funded>(c.funded);
    const opener = f.params.localIsOpener ? f.params.local : f.params.remote;
    const accepter = f.params.localIsOpener ? f.params.remote : f.params.local;
    const want = fundingOutputOf({ opener, accepter, fundingSatoshis: f.params.fundingSatoshis });
    const out = parseTx(raw).outputs[c.funding_outnum];
    return out !== undefined && BigInt(out.amount_sat) === want.amount && toHex(out.script) === toHex(want.script);
  }

  /** At minimum_depth: openingd sends channel_ready and, with the peer's, the channel is in normal operation. */
  private lockIn(c: ChannelRecord): void {
    const op = this.openings.get(`channel-${c.dbid}`);
    // After a restart no openingd runs for it: channeld's channel_reestablish will carry on from here.
    // One reestablishing goes on first: resumeOpening calls lockIn once it is done.
    if (!op || op.locking || op.resuming || op.ending) return;
    op.locking = true;
    void (async () => {
      let state: ChannelState;
      let withAlias: ChannelRecord;
      let remote: bigint | undefined;
      try {
        // Our alias, durable before the channel_ready that carries it (channel-alias.ts).
        withAlias = await this.ourAlias(this.record(c.dbid) ?? c);
        // Not in the channel's turn: the peer's channel_ready may take blocks, and a reconnect or a
        // force close must not wait for it (the openingd they end answers here with its failure).
        state = await op.daemon.guard(op.daemon.api.ready(parseScid(withAlias.alias!.local!)));
        // (an openingd without peerAlias, as a test's, gives none)
        remote = await Promise.resolve(op.daemon.api.peerAlias?.()).catch(() => undefined);
      } catch (e) {
        // openingd ends at its first failure: the channel stays funded, awaiting the next reestablish.
        this.o.log.warn(`channel ${c.channel_id}: channel_ready failed: ${op.failed ?? errorText(e)}`);
        await this.inTurn(c.dbid, () => this.end(op));
        return;
      }
      // What follows starts and ends the channel's daemons: in its turn, as a reconnect's do.
      await this.inTurn(c.dbid, async () => {
        // Ended meanwhile (a reconnect replaced it, or a force close): the channel is as that left it.
        if (op.ending) return;
        const now = this.record(c.dbid) ?? withAlias;
        const locked: ChannelRecord = {
          ...now,
          state: 'CHANNELD_NORMAL',
          channel: serializeChannel(state),
          ...(remote !== undefined ? { alias: { ...now.alias, remote: formatScid(remote) } } : {}),
        };
        await this.o.db.saveChannel(locked);
        // connectd holds what the peer sends from here on; what openingd got after channel_ready goes to channeld.
        await this.o.connectd.detach(op.key).catch(() => undefined);
        const early = await op.daemon.guard(op.daemon.api.handoverMessages()).catch(() => [] as Uint8Array[]);
        await this.end(op);
        // Taking over from openingd on the same connection: no channel_reestablish (channeld's init).
        await this.startChanneld(locked, false, undefined, early, op.counter);
      });
    })();
  }

  /** `c` with our alias for it (BOLT 2 channel_ready), chosen and saved the first time. */
  private async ourAlias(c: ChannelRecord): Promise<ChannelRecord> {
    if (c.alias?.local) return c;
    const taken = this.o.db.channels().flatMap(x => [x.short_channel_id, x.alias?.local]);
    const withAlias: ChannelRecord = { ...c, alias: { ...c.alias, local: newAlias(this.o.randomBytes, taken) } };
    await this.o.db.saveChannel(withAlias);
    return withAlias;
  }

  private record(dbid: string): ChannelRecord | undefined {
    return this.o.db.channels().find(c => c.dbid === dbid);
  }

  // ---- channeld: one per channel in normal operation and connection ----

  /** A channel channeld can carry on: in normal operation, its state recorded. */
  private resumable(c: ChannelRecord): boolean {
    // A close not yet agreed resumes too: channeld reestablishes, retransmits shutdown, and hands over to closingd again (BOLT 2).
    const states: ChannelRecord['state'][] = ['CHANNELD_NORMAL', 'CHANNELD_SHUTTING_DOWN', 'CLOSINGD_SIGEXCHANGE'];
    return states.includes(c.state) && c.channel !== undefined;
  }

  /** Runs `f` after every earlier start or end of this channel's daemon; failures are logged. */
  private inTurn(dbid: string, f: () => Promise<void>): Promise<void> {
    return this.turn(dbid, f).catch(() => undefined);
  }

  /** inTurn, answering `f`'s result or failure. */
  private turn<T>(dbid: string, f: () => Promise<T>): Promise<T> {
    const next = (this.turns.get(dbid) ?? Promise.resolve()).then(f, f);
    this.turns.set(
      dbid,
      next.then(
        () => undefined,
        e => this.o.log.warn(`channel ${dbid}: ${errorText(e)}`),
      ),
    );
    return next;
  }

  /**
   * connectd → lightningd: a peer finished `init`. BOLT 2 "Message Retransmission": "upon
   * reconnection ... MUST transmit `channel_reestablish` for each channel": a new channeld with
   * reestablish for every channel in normal operation with it (the previous one ended with its
   * connection).
   */
  async peerConnected(e: PeerConnectedEvent): Promise<void> {
    const theirs = this.o.db.channels().filter(c => c.peer_id === e.id);
    // BOLT 2 "Message Retransmission": "if a channel is in an error state: SHOULD retransmit the
    // error packet and ignore any other packets for that channel" (peerSpoke ignores them): a
    // channel failed or on chain tells the peer at each connection, so it stops waiting for it.
    for (const c of theirs.filter(x => ON_CHAIN_STATES.includes(x.state) && x.onchain?.close !== 'mutual')) {
      const text = c.failure?.message ?? `channel ${c.channel_id} is closed on chain (${c.state})`;
      const error = encodeMessage({ name: 'error', channel_id: fromHex(c.channel_id), data: new TextEncoder().encode(text) });
      await this.o.connectd.guard(this.o.connectd.api.sendToPeer(e.id, error)).catch(() => undefined);
    }
    await Promise.all(
      theirs
        .filter(c => this.resumable(c) || c.state === 'CHANNELD_AWAITING_LOCKIN')
        .map(c => this.inTurn(c.dbid, () => this.reconnected(c.dbid, e))),
    );
  }

  /**
   * In the channel's turn, from its state then (a lock-in before it in the turn may have moved it
   * on): channeld for a channel in operation, openingd's reestablish for one awaiting lock-in. Both
   * speak on this connection only: if it has ended already, their links are refused (connectd),
   * and the next connection's turn starts the daemon it needs.
   */
  private async reconnected(dbid: string, e: PeerConnectedEvent): Promise<void> {
    const c = this.record(dbid);
    if (!c) return;
    if (this.resumable(c)) await this.startChanneld(c, true, e.features, undefined, e.counter);
    else if (c.state === 'CHANNELD_AWAITING_LOCKIN') await this.resumeOpening(c, e.features, e.counter);
  }

  /**
   * A funded channel whose channel_ready exchange this connection has not seen (the openingd that
   * funded it ended with its connection, or the node restarted): a new openingd reestablishes it
   * (BOLT 2 "upon reconnection: MUST transmit `channel_reestablish`") and, at minimum_depth, sends
   * channel_ready and hands the channel to channeld as lockIn does.
   */
  private async resumeOpening(c: ChannelRecord, theirFeatures: string, counter?: number): Promise<void> {
    const old = this.openings.get(`channel-${c.dbid}`);
    if (old) await this.end(old);
    const dbid = BigInt(c.dbid);
    let op: Opening | undefined;
    try {
      op = await this.startOpeningd(
        c.peer_id,
        theirFeatures,
        'resume',
        fromHex(c.channel_id),
        BigInt(c.funding_sat),
        { funded: c.funded },
        undefined,
        dbid,
        counter,
      );
      op.record = c;
      await op.daemon.guard(op.daemon.api.resume());
      op.resuming = false;
      this.o.log.info(`channel ${c.channel_id} with ${c.peer_id}: reestablished, awaiting lock-in`);
    } catch (e) {
      this.o.log.warn(`channel ${c.channel_id}: reestablishing before lock-in failed: ${errorText(e)}`);
      if (op) await this.end(op);
      return;
    }
    const now = this.record(c.dbid);
    if (now && this.deepEnough(now, this.tip ?? this.o.db.chainState()?.height)) this.lockIn(now);
  }

  /**
   * Starts channeld for a channel (init: its last durable state), with the links openingd had
   * (startWithLinks). Not while its peer is away: peerConnected starts it then.
   */
  private async startChanneld(
    c: ChannelRecord,
    reestablish: boolean,
    theirFeatures?: string,
    early?: Uint8Array[],
    counter?: number,
  ): Promise<void> {
    if (!this.resumable(c)) return;
    const old = this.running.get(c.dbid);
    if (old) await this.endChanneld(old);
    const features =
      theirFeatures ??
      (await this.o.connectd.guard(this.o.connectd.api.listPeers())).find(p => p.id === c.peer_id && p.connected)?.features;
    if (features === undefined) return;
    const dbid = BigInt(c.dbid);
    const r = { dbid: c.dbid, peerId: c.peer_id } as Running;
    const events: ChanneldEvents = {
      persist: p => this.persist(r, p),
      failed: f => void this.inTurn(r.dbid, () => this.channeldFailed(r, f)),
      shutdownReceived: script =>
        void this.closes.shutdownReceived(r.dbid, script).catch(e => this.o.log.warn(`channel ${r.dbid}: ${errorText(e)}`)),
      shutdownComplete: state => void this.inTurn(r.dbid, () => this.handover(r, state)),
      announced: announcement => this.gossip.announced(r.dbid, announcement),
    };
    const announce = this.gossip.announceInit(c, this.tip ?? this.o.db.chainState()?.height);
    const init: ChanneldInit = {
      peerId: c.peer_id,
      dbid,
      state: c.channel!,
      ourFeatures: this.o.ourFeatures,
      theirFeatures: features,
      reestablish,
      signer: 'hsmd',
      ...(c.alias?.local ? { alias: parseScid(c.alias.local) } : {}),
      upfront: upfrontOf(c),
      ...(announce ? { announce } : {}),
      ...(early?.length ? { early } : {}),
    };
    const started = await this.startWithLinks(
      DAEMONS.channeld,
      `channeld-${c.dbid}-${++this.instances}`,
      init,
      { peerId: c.peer_id, dbid, channelId: fromHex(c.channel_id), ...(counter !== undefined ? { counter } : {}) },
      events,
    );
    Object.assign(r, started);
    this.running.set(c.dbid, r);
    this.o.log.info(`channel ${c.channel_id} with ${c.peer_id}: channeld started${reestablish ? ' (reestablish)' : ''}`);
    this.tell('started', this.record(c.dbid) ?? c);
    // Blocks that came while it started (its init had the depth before them).
    if (!announce) this.announceDeep(this.tip, c.dbid);
    // Our channel_update, enabled again: gossiped for a public channel, to the peer for a private one.
    void this.gossip.refresh(this.record(c.dbid) ?? c);
    // A close in progress: channeld gets our shutdown script again (a no-op once it is out).
    this.closes.askChanneld(c.dbid);
  }

  /**
   * channeld → lightningd: both shutdowns are out and no HTLC is left. connectd stops delivering
   * to it (what the peer sends next waits in connectd), channeld gives what came meanwhile, and
   * closingd takes the channel (close-control.ts).
   */
  private async handover(r: Running, state: string): Promise<void> {
    if (r.ended) return;
    await this.o.connectd.detach(r.key).catch(() => undefined);
    const held = await r.daemon.guard(r.daemon.api.handoverMessages()).catch(() => [] as Uint8Array[]);
    await this.endChanneld(r);
    // BOLT 7 "MAY create and send a `channel_update` with the `disable` bit set ... prior to an on-chain settlement".
    const closing = this.record(r.dbid);
    if (closing) void this.gossip.refresh(closing);
    await this.closes.negotiate(r.dbid, state, held);
  }

  private async endChanneld(r: Running): Promise<void> {
    if (this.running.get(r.dbid) === r) this.running.delete(r.dbid);
    if (r.ended) return;
    r.ended = true;
    await this.endLinks(r);
  }

  /**
   * channeld → lightningd: its new state and what it did to HTLCs, in ONE write of lightningd's
   * database (issue 13 "Persist before send": channeld sends what depends on it only after this).
   * An instance lightningd has replaced persists nothing. One still starting (not yet in `running`)
   * does: connectd delivers to it from its attach on (LDK's shutdown right behind channel_ready).
   */
  private async persist(r: Running, p: Persist): Promise<void> {
    const c = this.record(r.dbid);
    if (r.ended || (this.running.get(r.dbid) ?? r) !== r || !c) throw new Error(`channel ${r.dbid}: this channeld was replaced`);
    const next: ChannelRecord = { ...c, channel: p.state, htlcs: applyHtlcChanges(c.htlcs, p.changes) };
    if (p.changes.length > 0) this.tell('staging', c, p.changes);
    await this.o.db.saveChannel(next);
    if (p.changes.length > 0) this.tell('persisted', next, p.changes);
  }

  /** The instance `r` ended (channeld's ChannelFailure says what now). */
  private async channeldFailed(r: Running, f: ChannelFailure): Promise<void> {
    if (r.ended) return;
    await this.endChanneld(r);
    const c = this.record(r.dbid);
    this.o.log.info(`channel ${c?.channel_id ?? r.dbid}: channeld ended (${f.action}, ${f.code}): ${f.message}`);
    if (!c) return;
    if (f.action === 'disconnect') {
      // The channel is fine: the connection ends, and the next one starts a new channeld.
      if (f.code !== 'peer_gone') await this.o.connectd.guard(this.o.connectd.api.disconnect(c.peer_id, true)).catch(() => undefined);
      return;
    }
    const failure: ChannelRecord['failure'] = {
      code: f.code,
      message: f.message,
      action: f.action,
      ...(f.theirCurrentPerCommitmentPoint ? { their_current_per_commitment_point: toHex(f.theirCurrentPerCommitmentPoint) } : {}),
    };
    await this.o.db.saveChannel({ ...c, state: 'AWAITING_UNILATERAL', failure });
    void this.gossip.refresh({ ...c, state: 'AWAITING_UNILATERAL' });
    // BOLT 2 option_data_loss_protect: a node that finds itself behind "MUST NOT broadcast its
    // commitment transaction"; its funds come from the peer's commitment (onchaind).
    if (f.action === 'fail_channel') await this.broadcastOurCommitment(c, f.message);
  }

  /** BOLT 5 "Failing a Channel": our latest commitment, signed by hsmd, recorded, broadcast (onchain-control.ts). */
  private async broadcastOurCommitment(c: ChannelRecord, reason: string): Promise<void> {
    if (!this.onchain) return this.o.log.warn(`channel ${c.channel_id}: failed; this node has no chain to broadcast our commitment on`);
    await this.onchain.forceClose(c.dbid, reason);
  }

  /** closingd's negotiation ended with BOLT 1 `error`: the channel is failed as channeld's would be. */
  private async failClosing(dbid: string, f: { code: string; message: string }): Promise<void> {
    const c = this.record(dbid);
    if (!c || c.state === 'CLOSINGD_COMPLETE') return; // An agreed close stands: it is on its way to the chain.
    await this.o.db.saveChannel({ ...c, state: 'AWAITING_UNILATERAL', failure: { ...f, action: 'fail_channel' } });
    await this.broadcastOurCommitment(c, f.message);
  }

  /**
   * A unilateral close (Core Lightning's `close` with `unilateraltimeout`, and channeld's
   * fail_channel): the channel's daemon ends, then our latest commitment is signed by hsmd,
   * recorded AWAITING_UNILATERAL and broadcast. Refused (ForceCloseRefused) after option_data_loss_protect
   * found us behind, or once the funding output is spent.
   */
  async forceClose(dbid: string, reason: string): Promise<{ tx: string; txid: string }> {
    const onchain = this.onchain;
    if (!onchain) throw new Error('this node has no wallet and chain to close a channel on');
    return this.turn(dbid, async () => {
      await this.endDaemons(dbid);
      return onchain.forceClose(dbid, reason);
    });
  }

  /** Ends whichever daemon runs for the channel (openingd awaiting lock-in, or channeld). */
  private async endDaemons(dbid: string): Promise<void> {
    const r = this.running.get(dbid);
    if (r) await this.endChanneld(r);
    await this.closes.endClosingd(dbid);
    const op = this.openings.get(`channel-${dbid}`);
    if (op) await this.end(op);
  }

  /**
   * A preimage released (durably) for an incoming HTLC of channel `dbid`: its onchaind claims the
   * HTLC with it if the channel is on chain (onchain-control.ts preimage); otherwise nothing here.
   */
  async preimageReleased(dbid: string, preimage: Uint8Array): Promise<void> {
    await this.onchain?.preimage(dbid, preimage);
  }

  /** listpeerchannels' status for a channel failed or closed on chain. */
  onchainStatus(c: ChannelRecord): string[] {
    return this.onchain?.status(c) ?? [];
  }

  /** channeld's status, while one runs for the channel (listpeerchannels). */
  channeldOf(dbid: string): RunningDaemon<ChanneldSpec> | undefined {
    const r = this.running.get(dbid);
    return r && !r.ended ? r.daemon : undefined;
  }
}

export type { Reservation };
