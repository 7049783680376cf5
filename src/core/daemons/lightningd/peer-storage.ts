// BOLT 1 "Peer Storage" both ways (we offer `option_provide_storage`, features/ours.ts):
//  - theirs: the last `peer_storage` blob of each peer we have a channel with, durable in
//    lightningd's database (table PEER_STORAGE), sent back in `peer_storage_retrieval` after each init;
//  - ours: our channel list (peer-storage-backup.ts), sealed by hsmd (hsmd/peer-backup.ts), sent in
//    `peer_storage` to each channel peer that offers the feature, again whenever that list changes
//    (a channel funded, closed, forgotten); a peer's blob is deleted 2016 blocks after its last
//    channel with us closed;
//    a retrieval hsmd opens tells a node restored from its seed which channels it has lost
//    (table PEER_BACKUP_RECOVERED), which stay in our backup until a newer one replaces them.
// Core Lightning does the same in its chanbackup plugin.
import { fromHex, toHex } from '../../base/bytes.ts';
import { FeatureVector } from '../../features/index.ts';
import type { Log } from '../../node/daemon.ts';
import { decodeMessage, encodeMessage } from '../../wire/messages.ts';
import { MAX_PEER_STORAGE_BLOB } from '../hsmd/peer-backup.ts';
import type { ChainListener } from '../../chain/backend.ts';
import type { PeerConnectedEvent } from '../connectd/interface.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import { backupChannelOf, decodeBackup, encodeBackup, type BackupChannel } from './peer-storage-backup.ts';

/** Peers' blobs, by peer id: `{ blob }` hex. */
export const PEER_STORAGE = 'peer_storage';
/** Channels a peer's retrieval told us of that our database does not hold, by channel_id. */
export const PEER_BACKUP_RECOVERED = 'peer_backup_recovered';

/**
 * At most this many peers' blobs (up to 64 KiB each, held in lightningd's database, which is in
 * memory and written as records): a peer past it is not stored (BOLT 1 asks us to store for peers
 * we have a channel with; a node with more channel peers raises it).
 */
export const MAX_STORED_PEERS = 32;

export interface StoredBlob {
  /** hex */
  blob: string;
}

export interface RecoveredChannel extends BackupChannel {
  /** The peer whose retrieval told us. */
  from: string;
  /** The transaction that spent the funding output, once mined (peer-storage-sweep.ts). */
  closed?: { txid: string; height: number; tx: string };
  /** Our to_remote's sweep to the wallet: the key, then the signed transaction, then where it was mined; or why none. */
  sweep?: {
    destination?: { index: number; type: 'p2wpkh' | 'p2tr' };
    outpoint?: string;
    tx?: string;
    txid?: string;
    mined?: { txid: string; height: number };
    none?: string;
  };
}

export interface PeerStorageHsm {
  sealPeerBackup(plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  openPeerBackup(blob: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

export interface PeerStorageOptions {
  db: LightningdDb;
  hsm: PeerStorageHsm;
  sendToPeer(peerId: string, msg: Uint8Array): Promise<void>;
  /** Peers connected now, with their `init` features (hex). */
  connectedPeers(): Promise<readonly { id: string; features?: string | undefined; connected: boolean }[]>;
  log: Log;
  maxStoredPeers?: number;
  /** A retrieval told us of channels our database does not hold (after they are durable in PEER_BACKUP_RECOVERED). */
  onRecovered?(channels: readonly RecoveredChannel[]): void;
}

const offersStorage = (features: string): boolean => {
  try {
    return FeatureVector.fromBytes(fromHex(features)).has('option_provide_storage');
  } catch {
    return false;
  }
};

/**
 * BOLT 1, the sender of `peer_storage_retrieval`: "when all channels with that peer are closed:
 * SHOULD wait at least 2016 blocks before deleting the `blob`" (a peer that lost its store may
 * still need it to find the funds of those channels).
 */
export const KEEP_BLOB_AFTER_CLOSE_BLOCKS = 2016;

export class PeerStorage implements ChainListener {
  /** Our last backup's plaintext sent to each peer, hex: resent only when it changes. */
  private readonly sent = new Map<string, string>();
  private readonly max: number;
  /** Backups sent after channel changes, one round at a time. */
  private sending: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly unfollow: () => void;

  constructor(private readonly o: PeerStorageOptions) {
    this.max = o.maxStoredPeers ?? MAX_STORED_PEERS;
    // Our channel list changes when a channel is funded (its record is written, CHANNELD_AWAITING_LOCKIN),
    // when it closes (its funding output spent) and when it is forgotten: each peer gets the new backup then.
    this.unfollow = o.db.onChannelChange(c => {
      if (this.stopped) return;
      // The acceptor's first backup can reach the opener before the opener has written the channel
      // (it crosses funding_signed), and is then not stored: each side sends it again at channel_ready.
      if (c.state === 'CHANNELD_NORMAL') this.sent.delete(c.peer_id);
      this.sending = this.sending.then(() => this.channelsChanged());
    });
  }

  /** The node stops: no more backups sent (connectd is going); resolves once those under way are. */
  stop(): Promise<void> {
    this.stopped = true;
    this.unfollow();
    return this.sending;
  }

  /** Resolves once the backups for the channel changes so far are sent (tests). */
  idle(): Promise<void> {
    return this.sending;
  }

  /**
   * Each block: the blobs of peers whose channels with us are all closed are deleted once the last
   * close is KEEP_BLOB_AFTER_CLOSE_BLOCKS deep (a close's height: the block that spent its funding output).
   */
  async blockConnected(b: { height: number }): Promise<void> {
    const stored = Object.keys(this.o.db.table(PEER_STORAGE));
    if (stored.length === 0) return;
    let changed = false;
    for (const peer of stored) {
      if (this.hasChannel(peer)) continue;
      const closes = [...this.o.db.channels(), ...this.o.db.closedChannels()]
        .filter(c => c.peer_id === peer)
        .map(c => c.onchain?.spend?.height ?? c.onchain?.resolved_height ?? 0);
      const last = closes.length > 0 ? Math.max(...closes) : 0;
      if (b.height < last + KEEP_BLOB_AFTER_CLOSE_BLOCKS) continue;
      this.o.db.stage<StoredBlob>(PEER_STORAGE, peer, undefined);
      this.o.log.info(`peer storage: ${peer}'s channels with us closed ${b.height - last} blocks ago: its blob is deleted`);
      changed = true;
    }
    if (changed) await this.o.db.flush();
  }

  blockDisconnected(): void {}

  /** A channel with the peer whose funding is not yet resolved on chain. */
  private hasChannel(peerId: string): boolean {
    return this.o.db.channels().some(c => c.peer_id === peerId && c.onchain?.resolved_height === undefined);
  }

  /** What our backup holds: our channels, then those learned from a retrieval and not held again since. */
  backupChannels(): BackupChannel[] {
    const ours = this.o.db
      .channels()
      .map(backupChannelOf)
      .filter((c): c is BackupChannel => c !== undefined);
    const held = new Set(this.o.db.channels().map((c: ChannelRecord) => c.channel_id));
    // A recovered channel whose funding output is spent is no longer one to ask a peer to close.
    const recovered = Object.values(this.o.db.table<RecoveredChannel>(PEER_BACKUP_RECOVERED))
      .filter(c => !held.has(c.channel_id) && !c.closed)
      .map(({ from: _from, closed: _closed, sweep: _sweep, ...c }) => c);
    return [...ours, ...recovered];
  }

  /** connectd → lightningd: a peer finished `init`. */
  async peerConnected(e: PeerConnectedEvent): Promise<void> {
    this.sent.delete(e.id);
    // BOLT 1: a node that stores a peer's blob "MUST send `peer_storage_retrieval` again after
    // reconnection, after exchanging `init` messages"; its sender "MUST include the last `blob` it
    // stored for that peer".
    const stored = this.o.db.record<StoredBlob>(PEER_STORAGE, e.id);
    if (stored) await this.send(e.id, encodeMessage({ name: 'peer_storage_retrieval', blob: fromHex(stored.blob) }));
    if (offersStorage(e.features)) await this.sendBackup(e.id);
  }

  /** Our channel set may have changed: each channel peer offering storage connected now gets the new backup. */
  async channelsChanged(): Promise<void> {
    let peers;
    try {
      peers = await this.o.connectedPeers();
    } catch (err) {
      this.o.log.warn(`peer storage: listing peers failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const p of peers) if (p.connected && p.features !== undefined && offersStorage(p.features)) await this.sendBackup(p.id);
  }

  /**
   * Our backup to `peerId`, if we have a channel with it (BOLT 1: the receiver "MUST store the
   * message" only then) and it differs from the last one sent on this connection. Never an empty
   * one: a node restored onto an empty store must not replace the backup it is about to get back.
   */
  private async sendBackup(peerId: string): Promise<void> {
    if (!this.hasChannel(peerId)) return;
    const channels = this.backupChannels();
    if (channels.length === 0) return;
    const { plaintext, omitted } = encodeBackup(channels, peerId);
    const key = toHex(plaintext);
    if (this.sent.get(peerId) === key) return;
    if (omitted > 0) this.o.log.warn(`peer storage: ${omitted} channel(s) left out of the backup to ${peerId} (over 65531 bytes)`);
    // Marked before the await: a second round for the same list (a channel change and a connection) sends it once.
    this.sent.set(peerId, key);
    let blob: Uint8Array;
    try {
      blob = await this.o.hsm.sealPeerBackup(plaintext);
    } catch (err) {
      if (this.sent.get(peerId) === key) this.sent.delete(peerId);
      this.o.log.warn(`peer storage: hsmd did not seal our backup: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    await this.send(peerId, encodeMessage({ name: 'peer_storage', blob }));
  }

  /** connectd → lightningd: a peer_storage or peer_storage_retrieval (any other message is not ours). */
  async peerSpoke(peerId: string, msg: Uint8Array): Promise<void> {
    let m;
    try {
      m = decodeMessage(msg);
    } catch (err) {
      this.o.log.debug(`peer storage: unreadable message from ${peerId}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (m.name === 'peer_storage') await this.store(peerId, m.blob);
    else if (m.name === 'peer_storage_retrieval') await this.retrieved(peerId, m.blob);
  }

  /**
   * BOLT 1, the receiver of `peer_storage`: "If it offered `option_provide_storage`: if it has an
   * open channel with the sender: MUST store the message. MAY store the message anyway." We store
   * for channel peers only, within MAX_STORED_PEERS, and "MUST replace the old `blob` with the
   * latest received". Anything else is dropped with a log line, the connection kept.
   */
  private async store(peerId: string, blob: Uint8Array): Promise<void> {
    if (blob.length > MAX_PEER_STORAGE_BLOB) {
      this.o.log.info(`peer storage: ${peerId} sent ${blob.length} bytes, over ${MAX_PEER_STORAGE_BLOB}: not stored`);
      return;
    }
    if (!this.hasChannel(peerId)) {
      this.o.log.debug(`peer storage: ${peerId} has no channel with us: its blob is not stored`);
      return;
    }
    const hex = toHex(blob);
    const before = this.o.db.record<StoredBlob>(PEER_STORAGE, peerId);
    if (before?.blob === hex) return;
    if (!before && Object.keys(this.o.db.table(PEER_STORAGE)).length >= this.max) {
      this.o.log.warn(`peer storage: already storing for ${this.max} peers: ${peerId}'s blob is not stored`);
      return;
    }
    this.o.db.stage<StoredBlob>(PEER_STORAGE, peerId, { blob: hex });
    await this.o.db.flush();
  }

  /**
   * Our backup, back from `peerId`. BOLT 1, the receiver of `peer_storage_retrieval`: "when it
   * receives `peer_storage_retrieval` with an outdated or irrelevant data: MAY send a warning"; we
   * log and ignore a blob hsmd cannot open (not ours, altered) or that does not read as a backup.
   */
  private async retrieved(peerId: string, blob: Uint8Array): Promise<void> {
    let plaintext: Uint8Array | undefined;
    try {
      plaintext = await this.o.hsm.openPeerBackup(blob);
    } catch (err) {
      this.o.log.warn(`peer storage: hsmd did not open ${peerId}'s retrieval: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const channels = plaintext && decodeBackup(plaintext);
    if (!channels) {
      this.o.log.info(`peer storage: ${peerId} sent back ${blob.length} bytes that are not our backup: ignored`);
      return;
    }
    const held = new Set(this.o.db.channels().map(c => c.channel_id));
    const known = this.o.db.table<RecoveredChannel>(PEER_BACKUP_RECOVERED);
    const lost = channels.filter(c => !held.has(c.channel_id) && !known[c.channel_id]).map(c => ({ ...c, from: peerId }));
    if (lost.length === 0) return;
    for (const c of lost) this.o.db.stage<RecoveredChannel>(PEER_BACKUP_RECOVERED, c.channel_id, c);
    // Keys shown to a peer are never reused: a channel we open from now on gets a dbid past theirs
    // (hsmd derives a channel's keys from the peer id and dbid; a restored node counts from 1 again).
    this.o.db.dbidsAbove(lost.reduce((m, c) => (BigInt(c.dbid) > m ? BigInt(c.dbid) : m), 0n));
    await this.o.db.flush();
    this.o.log.warn(
      `peer storage: ${peerId}'s copy of our backup names ${lost.length} channel(s) we no longer hold: ${lost.map(c => c.channel_id).join(', ')}`,
    );
    this.o.onRecovered?.(lost);
  }

  private async send(peerId: string, msg: Uint8Array): Promise<void> {
    try {
      await this.o.sendToPeer(peerId, msg);
    } catch (err) {
      this.o.log.debug(`peer storage: sending to ${peerId} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
