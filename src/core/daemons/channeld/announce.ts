// BOLT 7 "The announcement_signatures Message", for channeld: the channel_announcement both ends
// sign (built from the channel's state and what lightningd knows: the short_channel_id six blocks
// deep, the chain, our node id), our announcement_signatures (hsmd signs: it checks the
// announcement is this channel's), the checks on the peer's, and the full channel_announcement
// once both are in. What is sent when (and on reconnection) is channeld's (channeld.ts).
import { compare, equal } from '../../base/bytes.ts';
import { PeerRuleError } from '../../base/errors.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import type { ChannelState } from '../../channel/state.ts';
import { verifyDigest } from '../../crypto/primitives.ts';
import { gossipDigest } from '../../gossip/peek.ts';
import { fieldOffset } from '../../wire/layout.ts';
import { encodeMessage, type MessageOf } from '../../wire/messages.ts';
import { formatScid } from '../../wire/scid.ts';

/** What lightningd gives channeld once a public channel may be announced (interface.ts). */
export interface AnnounceInit {
  /**
   * The funding output's short_channel_id, at least six confirmations deep: BOLT 7 "MUST NOT send
   * `announcement_signatures` messages until `channel_ready` has been sent and received AND the
   * funding transaction has at least six confirmations."
   */
  shortChannelId: bigint;
  /** BOLT 0 chain_hash of our chain. */
  chainHash: Uint8Array;
  /** Our node id, 33 bytes. */
  nodeId: Uint8Array;
  /** The peer's announcement_signatures are already in lightningd's channel record (an earlier connection). */
  received?: boolean;
}

/** Where each signature goes in a channel_announcement. */
const NODE_SIGS = [fieldOffset('channel_announcement', 'node_signature_1'), fieldOffset('channel_announcement', 'node_signature_2')];
const BITCOIN_SIGS = [
  fieldOffset('channel_announcement', 'bitcoin_signature_1'),
  fieldOffset('channel_announcement', 'bitcoin_signature_2'),
];

export class AnnounceError extends PeerRuleError<'announcement_scid' | 'announcement_signature'> {}

/**
 * The channel_announcement with blank signatures (BOLT 7 "The channel_announcement Message", the
 * origin node): `node_id_1` the lesser of the two node ids, `bitcoin_key_N` node N's funding_pubkey,
 * `features` empty (no channel feature of BOLT 9 is ours to set), its `short_channel_id` and chain.
 */
export function unsignedAnnouncement(s: ChannelState, a: AnnounceInit, peerId: Uint8Array): { raw: Uint8Array; weAreFirst: boolean } {
  const weAreFirst = compare(a.nodeId, peerId) < 0;
  const ours = { node: a.nodeId, bitcoin: s.params.local.fundingPubkey };
  const theirs = { node: peerId, bitcoin: s.params.remote.fundingPubkey };
  const [one, two] = weAreFirst ? [ours, theirs] : [theirs, ours];
  const blank = new Uint8Array(64);
  const raw = encodeMessage({
    name: 'channel_announcement',
    node_signature_1: blank,
    node_signature_2: blank,
    bitcoin_signature_1: blank,
    bitcoin_signature_2: blank,
    features: new Uint8Array(0),
    chain_hash: a.chainHash,
    short_channel_id: a.shortChannelId,
    node_id_1: one.node,
    node_id_2: two.node,
    bitcoin_key_1: one.bitcoin,
    bitcoin_key_2: two.bitcoin,
  });
  return { raw, weAreFirst };
}

/** Our announcement_signatures: the signer (hsmd) signs the announcement with our node key and our funding key. */
export async function ourAnnouncementSignatures(
  s: ChannelState,
  a: AnnounceInit,
  peerId: Uint8Array,
  signer: ChannelSigner,
): Promise<MessageOf<'announcement_signatures'>> {
  if (!signer.signChannelAnnouncement) throw new Error('this channel signer cannot sign a channel_announcement');
  const sigs = await signer.signChannelAnnouncement(unsignedAnnouncement(s, a, peerId).raw);
  return {
    name: 'announcement_signatures',
    channel_id: s.params.channelId,
    short_channel_id: a.shortChannelId,
    node_signature: sigs.nodeSignature,
    bitcoin_signature: sigs.bitcoinSignature,
  };
}

/**
 * BOLT 7, the recipient of announcement_signatures: "if the `short_channel_id` is NOT correct: SHOULD
 * send a `warning` and close the connection"; "if the `node_signature` OR the `bitcoin_signature` is
 * NOT correct: MAY send a `warning` and close the connection" (AnnounceError, action `warning`:
 * a bad message costs the connection, not the channel). Otherwise, with ours, the full
 * channel_announcement ("if it has sent AND received a valid `announcement_signatures` message:
 * SHOULD queue the `channel_announcement` message for its peers").
 */
export function checkTheirSignatures(
  s: ChannelState,
  a: AnnounceInit,
  peerId: Uint8Array,
  theirs: MessageOf<'announcement_signatures'>,
  ours: MessageOf<'announcement_signatures'>,
): Uint8Array {
  if (theirs.short_channel_id !== a.shortChannelId) {
    throw new AnnounceError(
      'announcement_scid',
      `announcement_signatures for short_channel_id ${formatScid(theirs.short_channel_id)}, the channel is ${formatScid(a.shortChannelId)}`,
      'warning',
    );
  }
  const { raw, weAreFirst } = unsignedAnnouncement(s, a, peerId);
  const h = gossipDigest(raw);
  if (!verifyDigest(theirs.node_signature, h, peerId)) {
    throw new AnnounceError(
      'announcement_signature',
      'announcement_signatures: node_signature does not sign the channel_announcement',
      'warning',
    );
  }
  if (!verifyDigest(theirs.bitcoin_signature, h, s.params.remote.fundingPubkey)) {
    throw new AnnounceError(
      'announcement_signature',
      'announcement_signatures: bitcoin_signature does not sign the channel_announcement',
      'warning',
    );
  }
  const [us, them] = weAreFirst ? [0, 1] : [1, 0];
  raw.set(ours.node_signature, NODE_SIGS[us]!);
  raw.set(ours.bitcoin_signature, BITCOIN_SIGS[us]!);
  raw.set(theirs.node_signature, NODE_SIGS[them]!);
  raw.set(theirs.bitcoin_signature, BITCOIN_SIGS[them]!);
  return raw;
}

/** Whether two AnnounceInits name the same announcement (lightningd repeating itself is a no-op). */
export function sameAnnouncement(x: AnnounceInit, y: AnnounceInit): boolean {
  return x.shortChannelId === y.shortChannelId && equal(x.chainHash, y.chainHash) && equal(x.nodeId, y.nodeId);
}
