// What hsmd checks before it signs a channel_announcement for one of its channels (Core Lightning's
// hsmd_sign_any_cannouncement / hsmd_cannouncement_sig_req): the announcement must describe THIS
// channel, so a channel daemon cannot get our node key or a funding key to sign anything else.
// BOLT 7 "The channel_announcement Message", the origin node:
//   - "MUST set `node_id_1` and `node_id_2` to the public keys of the two nodes operating the
//     channel, such that `node_id_1` is the lexicographically-lesser of the two compressed keys":
//     one is our node id, the other the channel's peer (the link's peer_id), in that order;
//   - "MUST set `bitcoin_key_1` and `bitcoin_key_2` to `node_id_1` and `node_id_2`'s respective
//     `funding_pubkey`s": ours is the channel's funding key (derived here), theirs the one the
//     channel was set up with;
//   - "MUST set `short_channel_id` to refer to the confirmed funding transaction": hsmd has no chain,
//     so it checks what it can, the output index (the low 16 bits) against the funding outpoint.
// Then it signs BOLT 7's `h` ("the double-SHA256 hash ... beginning at offset 256") with both keys.
import { compare, equal } from '../../base/bytes.ts';
import { BoltError } from '../../base/errors.ts';
import { gossipDigest } from '../../gossip/peek.ts';
import { decodeMessage, readType, TYPE } from '../../wire/messages.ts';
import { scidParts } from '../../wire/scid.ts';
import type { ChannelSetup } from './channel-state.ts';
import { HsmError } from './secret.ts';

/** Both signatures hsmd gives: by our node key and by the channel's funding key, over the same `h`. */
export interface AnnouncementSignatures {
  nodeSignature: Uint8Array;
  bitcoinSignature: Uint8Array;
}

const what = 'signChannelAnnouncement';

/**
 * Checks that `raw` (a channel_announcement, type included, signatures ignored) is this channel's
 * (the rules above) and returns the digest both signatures sign.
 */
export function checkChannelAnnouncement(
  raw: unknown,
  ch: { ourNodeId: Uint8Array; peerId: Uint8Array; ourFundingPubkey: Uint8Array; setup: ChannelSetup },
): Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.length < 2 || readType(raw) !== TYPE.channel_announcement) {
    throw new HsmError('bad_request', `${what}: not a channel_announcement`);
  }
  let m;
  try {
    m = decodeMessage(raw);
  } catch (e) {
    if (e instanceof BoltError) throw new HsmError('bad_request', `${what}: ${e.message}`);
    throw e;
  }
  if (m.name !== 'channel_announcement') throw new HsmError('bad_request', `${what}: not a channel_announcement`);
  const weAreFirst = compare(ch.ourNodeId, ch.peerId) < 0;
  const [n1, n2] = weAreFirst ? [ch.ourNodeId, ch.peerId] : [ch.peerId, ch.ourNodeId];
  if (!equal(m.node_id_1, n1) || !equal(m.node_id_2, n2)) {
    throw new HsmError('not_this_channel', `${what}: node_id_1 and node_id_2 are not this channel's two nodes, lesser first`);
  }
  const [b1, b2] = weAreFirst ? [ch.ourFundingPubkey, ch.setup.remoteFundingPubkey] : [ch.setup.remoteFundingPubkey, ch.ourFundingPubkey];
  if (!equal(m.bitcoin_key_1, b1) || !equal(m.bitcoin_key_2, b2)) {
    throw new HsmError('not_this_channel', `${what}: bitcoin_key_1 and bitcoin_key_2 are not this channel's funding keys`);
  }
  if (scidParts(m.short_channel_id).outnum !== ch.setup.fundingOutputIndex) {
    throw new HsmError(
      'not_this_channel',
      `${what}: the short_channel_id names output ${scidParts(m.short_channel_id).outnum}, not the funding output`,
    );
  }
  return gossipDigest(raw);
}
