// Our channels in gossip (BOLT 7; Core Lightning's lightningd/channel_gossip.c): when a public
// channel may be announced (six confirmations, channeld's announcement_signatures), the
// channel_announcement both ends signed is made durable in the channel record, then handed to
// gossipd as local gossip with our channel_update and our node_announcement, where it is validated
// (signatures, the funding output on chain) and relayed like any other. Each later update of ours
// (setchannel, a disable) goes the same way. For a channel that is not announced, our
// channel_update (with `dont_forward`) goes to the peer only.
import { fromHex, toHex } from '../../base/bytes.ts';
import { chainHash } from '../../chain/chains.ts';
import { ourFeatures } from '../../features/ours.ts';
import type { Log } from '../../node/daemon.ts';
import { encodeMessage } from '../../wire/messages.ts';
import { parseScid } from '../../wire/scid.ts';
import type { AnnounceInit } from '../channeld/interface.ts';
import { policyFields, signedChannelUpdate } from './channel-update.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';

/**
 * BOLT 7 announcement_signatures: "MUST NOT send `announcement_signatures` messages until
 * `channel_ready` has been sent and received AND the funding transaction has at least six confirmations."
 */
export const ANNOUNCE_DEPTH = 6;

export interface ChannelGossipOptions {
  network: string;
  /** Our node id, hex. */
  nodeId: string;
  db: LightningdDb;
  /** hsmd's signatures (HsmdDaemonApi): a channel_update, our node_announcement. */
  signChannelUpdate(msg: Uint8Array): Promise<Uint8Array>;
  signNodeAnnouncement(msg: Uint8Array): Promise<Uint8Array>;
  /** gossipd's intake of our own gossip (GossipdDaemonApi.addLocalGossip); absent: nothing is gossiped. */
  addLocalGossip?(msgs: Uint8Array[]): Promise<void>;
  /** connectd's sendToPeer. */
  sendToPeer(peerId: string, msg: Uint8Array): Promise<void>;
  /** Whether the channel can forward now (a channeld runs for it in normal operation). */
  enabled(c: ChannelRecord): boolean;
  /** node_announcement's alias (UTF-8, at most 32 bytes) and rgb_color (6 hex digits). */
  alias: string;
  color: string;
  nowMs(): number;
  log: Log;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class ChannelGossip {
  /** The timestamp of the last channel_update we made, per channel (BOLT 7: each greater than the last). */
  private readonly lastUpdate = new Map<string, number>();
  private lastNodeAnnouncement = 0;

  constructor(private readonly o: ChannelGossipOptions) {}

  /** What channeld's announcement_signatures need, for a public channel in normal operation six blocks deep at `tip`; else undefined. */
  announceInit(c: ChannelRecord, tip: number | undefined): AnnounceInit | undefined {
    if (!c.announce || c.state !== 'CHANNELD_NORMAL' || !c.short_channel_id || c.funding_height === undefined || tip === undefined) return;
    if (tip - c.funding_height + 1 < ANNOUNCE_DEPTH) return;
    return {
      shortChannelId: parseScid(c.short_channel_id),
      chainHash: chainHash(this.o.network),
      nodeId: fromHex(this.o.nodeId),
      ...(c.announcement ? { received: true } : {}),
    };
  }

  /**
   * channeld → lightningd: both announcement_signatures are in. The channel_announcement is durable
   * in the channel record first (it is never asked of the peer again), then gossiped (publish).
   */
  async announced(dbid: string, announcement: Uint8Array): Promise<void> {
    const c = this.o.db.channels().find(x => x.dbid === dbid);
    if (!c) return;
    const next = c.announcement ? c : { ...c, announcement: toHex(announcement) };
    if (next !== c) await this.o.db.saveChannel(next);
    await this.publish(next);
  }

  /**
   * A public channel into gossipd: its channel_announcement, our channel_update and our
   * node_announcement (BOLT 7: "MUST send channel_announcement prior to any corresponding
   * channel_updates and node_announcements"); our channel_update and node_announcement go to the
   * peer too (it has the channel_announcement from its own channeld), so it holds both directions
   * and our node before any relay reaches it.
   */
  async publish(c: ChannelRecord): Promise<void> {
    if (!c.announcement) return;
    try {
      const update = await this.update(c, false);
      const node = await this.nodeAnnouncement();
      await this.o.addLocalGossip?.([fromHex(c.announcement), update, node]);
      for (const m of [update, node]) await this.o.sendToPeer(c.peer_id, m).catch(() => undefined);
    } catch (e) {
      this.o.log.warn(`channel ${c.short_channel_id}: gossiping our channel failed: ${errorText(e)}`);
    }
  }

  /**
   * Our policy or the channel's state changed (setchannel, channeld started or ended, a close): a
   * new channel_update. Public: to gossipd (it relays it) and the peer. Not announced: to the peer
   * only, with `dont_forward` (BOLT 7 "MAY create a `channel_update` to communicate the channel
   * parameters to the channel peer, even though the channel has not yet been announced").
   */
  async refresh(c: ChannelRecord): Promise<void> {
    if (!c.short_channel_id || c.state === 'CHANNELD_AWAITING_LOCKIN') return;
    try {
      if (c.announcement) {
        const update = await this.update(c, false);
        await this.o.addLocalGossip?.([update]);
        await this.o.sendToPeer(c.peer_id, update).catch(() => undefined);
      } else if (this.o.enabled(c)) {
        await this.o.sendToPeer(c.peer_id, await this.update(c, true));
      }
    } catch (e) {
      this.o.log.warn(`channel ${c.short_channel_id}: our channel_update: ${errorText(e)}`);
    }
  }

  private async update(c: ChannelRecord, dontForward: boolean): Promise<Uint8Array> {
    const last = this.lastUpdate.get(c.dbid) ?? 0;
    const timestamp = Math.max(Math.floor(this.o.nowMs() / 1000), last + 1);
    this.lastUpdate.set(c.dbid, timestamp);
    const sign = (m: Uint8Array) => this.o.signChannelUpdate(m);
    const fields = { ...policyFields(this.o.db, c), enabled: this.o.enabled(c) };
    return signedChannelUpdate({ network: this.o.network, nodeId: this.o.nodeId, sign }, c, fields, timestamp, dontForward);
  }

  /**
   * Our node_announcement (BOLT 7): "MUST set `timestamp` to be greater than that of any previous
   * `node_announcement` it has previously created"; `alias` UTF-8 "with any `alias` trailing-bytes
   * equal to 0"; our `N` features; no addresses (we announce none we know to be public).
   */
  private async nodeAnnouncement(): Promise<Uint8Array> {
    const timestamp = Math.max(Math.floor(this.o.nowMs() / 1000), this.lastNodeAnnouncement + 1);
    this.lastNodeAnnouncement = timestamp;
    const alias = new Uint8Array(32);
    const text = new TextEncoder().encode(this.o.alias);
    // At most 32 bytes, never a UTF-8 sequence cut in two.
    let n = Math.min(32, text.length);
    while (n < text.length && n > 0 && (text[n]! & 0xc0) === 0x80) n--;
    alias.set(text.subarray(0, n));
    const rgb = /^[0-9a-f]{6}$/i.test(this.o.color) ? fromHex(this.o.color) : new Uint8Array(3);
    const msg = (signature: Uint8Array) =>
      encodeMessage({
        name: 'node_announcement',
        signature,
        features: ourFeatures('N').toBytes(),
        timestamp,
        node_id: fromHex(this.o.nodeId),
        rgb_color: rgb,
        alias,
        addresses: new Uint8Array(0),
      } as Parameters<typeof encodeMessage>[0]);
    return msg(await this.o.signNodeAnnouncement(msg(new Uint8Array(64))));
  }
}
