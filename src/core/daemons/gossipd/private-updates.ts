// A peer's own channel_update for a channel nobody announced: a private channel with us. BOLT 7:
// "a node MAY create and send a `channel_update` with the `dont_forward` bit set [...] to
// communicate the channel parameters to the channel peer, even though the channel has not yet been
// announced" (LDK sends one after channel_ready and on every reconnection). It is the only place
// we learn what the peer charges to forward to us over it, which an invoice's route hint must say
// (Core Lightning keeps these as private updates; `listchannels` lists them with `public: false`).
//
// Kept unchecked, at O(1) per message: only an update whose direction leaves the sending peer
// (BOLT 7 channel_flags bit 0: 0 when the origin is node_1, the lesser key), the newest per channel,
// at most PER_PEER channels per peer and PEERS peers. Its chain and its signature by that peer's
// node key are checked when asked for (rarely: an invoice); one that fails is dropped.
import { compare, fromHex, toHex } from '../../base/bytes.ts';
import { BoltError } from '../../base/errors.ts';
import type { ListChannelsEntry } from '../../gossip/list.ts';
import { gossipDigest, peekGossip, type ChannelUpdatePeek } from '../../gossip/peek.ts';
import { verifyGossipSignatures } from '../../gossip/signatures.ts';
import { fieldOffset } from '../../wire/layout.ts';
import { formatScid } from '../../wire/scid.ts';

const PER_PEER = 16;
const PEERS = 1024;
/** Larger than a channel_update with every field and some TLV bytes: not kept. */
const MAX_BYTES = 512;
const SIG = fieldOffset('channel_update', 'signature');
const NODE_ID = /^0[23][0-9a-f]{64}$/;

export class PrivateUpdates {
  /** Peer id (hex) → short_channel_id → the raw update (a copy). Insertion order: oldest first. */
  private readonly byPeer = new Map<string, Map<bigint, Uint8Array>>();
  /** Our node id, lowercase hex: compared as text, it orders as the bytes do (same length). */
  private readonly ownHex: string | undefined;

  constructor(
    private readonly chainHash: Uint8Array,
    ownNodeId: Uint8Array | undefined,
    /** Whether the graph holds this channel (announced: its updates are the graph's). */
    private readonly announced: (scid: bigint) => boolean,
  ) {
    this.ownHex = ownNodeId && toHex(ownNodeId);
  }

  /** A channel_update (type included) from `peer`: kept if it may be the peer's for a private channel with us. */
  offer(peer: string, raw: Uint8Array): void {
    if (!this.ownHex || raw.length > MAX_BYTES || !NODE_ID.test(peer)) return;
    const u = this.peek(raw);
    // BOLT 7: direction 0 when the origin (here the peer) is node_1, the lesser node id.
    if (!u || (u.channel_flags & 1) !== (peer < this.ownHex ? 0 : 1) || this.announced(u.short_channel_id)) return;
    let mine = this.byPeer.get(peer);
    const old = mine?.get(u.short_channel_id);
    if (old && this.peek(old)!.timestamp >= u.timestamp) return;
    if (!mine) {
      if (this.byPeer.size >= PEERS) this.byPeer.delete(this.byPeer.keys().next().value!);
      mine = new Map();
      this.byPeer.set(peer, mine);
    }
    mine.delete(u.short_channel_id);
    if (mine.size >= PER_PEER) mine.delete(mine.keys().next().value!);
    mine.set(u.short_channel_id, raw.slice());
  }

  /** `listchannels` entries for `scid` from the updates peers sent for it, each checked now. */
  list(scid: bigint): ListChannelsEntry[] {
    const out: ListChannelsEntry[] = [];
    for (const [peer, mine] of this.byPeer) {
      const raw = mine.get(scid);
      if (!raw) continue;
      const u = this.peek(raw)!;
      const ok =
        compare(u.chain_hash, this.chainHash) === 0 &&
        verifyGossipSignatures([
          { sig: raw.subarray(SIG, SIG + 64), digest: gossipDigest(raw), pub: fromHex(peer), field: 'signature' },
        ])[0];
      if (!ok) {
        mine.delete(scid);
        continue;
      }
      out.push({
        source: peer,
        destination: this.ownHex!,
        short_channel_id: formatScid(scid),
        direction: (u.channel_flags & 1) as 0 | 1,
        public: false,
        amount_msat: Number(u.htlc_maximum_msat ?? 0n),
        message_flags: u.message_flags,
        channel_flags: u.channel_flags,
        active: (u.channel_flags & 2) === 0,
        last_update: u.timestamp,
        base_fee_millisatoshi: u.fee_base_msat,
        fee_per_millionth: u.fee_proportional_millionths,
        delay: u.cltv_expiry_delta,
        htlc_minimum_msat: Number(u.htlc_minimum_msat),
        htlc_maximum_msat: Number(u.htlc_maximum_msat ?? 0n),
        features: '',
      });
    }
    return out;
  }

  private peek(raw: Uint8Array): ChannelUpdatePeek | undefined {
    try {
      const p = peekGossip(raw);
      return p.type === 'channel_update' ? p : undefined;
    } catch (e) {
      if (e instanceof BoltError) return undefined;
      throw e;
    }
  }
}
