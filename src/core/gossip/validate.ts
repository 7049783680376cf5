// BOLT 7 receiving-node rules for channel_announcement, channel_update and node_announcement, split
// so that the expensive part runs last and elsewhere:
//   1. precheckGossip: from the raw bytes, no decode and no signature: drop what is known, older,
//      on another chain, stale; say when the channel is unknown or the node has no channel yet.
//   2. prepareGossip: precheck, then decode and apply the remaining rules; a new message comes
//      back with the SignatureChecks it needs.
//   3. verifyGossipSignatures (signatures.ts): pure and batchable, for a pool of workers.
//   4. finishGossip: the verdict once the signatures are known. Then the caller applies the
//      message to its graph (graph.ts), which re-checks the timestamp order.
// validateGossip runs 2-4 in one go. Time is injected (rules.now(), seconds).
import { compare, equal } from '../base/bytes.ts';
import { sha256Fast } from '../crypto/sha256.ts';
import { BoltError, DecodeError, ProtocolError } from '../base/errors.ts';
import { fieldPlace, placeIn } from '../wire/layout.ts';
import { decodeMessage, type MessageOf } from '../wire/messages.ts';
import { parseAddresses, type ParsedAddresses } from './address.ts';
import { gossipDigest, peekGossip, type GossipPeek, type ChannelUpdatePeek, type KnownUpdate } from './peek.ts';

export type { KnownUpdate } from './peek.ts';
import { signatureError, verifyGossipSignatures, type SignatureCheck } from './signatures.ts';

/** BOLT 7 "Recommendation on Pruning Stale Entries": two weeks (1209600 seconds). */
export const STALE_SECONDS = 1_209_600;
/** How far in the future a channel_update may be ("unreasonably far in the future: MAY discard"). */
export const MAX_FUTURE_SECONDS = 86_400;

export interface GossipRules {
  /** The chain we are on (chains.ts `chainHash(network)`); gossip for any other "MUST ignore the message". */
  chainHash: Uint8Array;
  /** Current UNIX time in seconds. */
  now(): number;
  /** Even channel_announcement feature bits we understand (BOLT 9 assigns none today). */
  knownChannelFeature?(bit: number): boolean;
  /** Our node id: a `dont_forward` channel_update is kept only for one of our own channels. */
  ownNodeId?: Uint8Array;
  /**
   * The key digest (keyDigest of announcementKeys) of the channel_announcement held for a channel,
   * when the caller keeps it: a second announcement with other keys is then checked and becomes a conflict
   * instead of passing for a duplicate. Without it, node ids alone are compared.
   */
  channelKeys?(short_channel_id: bigint): Uint8Array | undefined;
  /**
   * The held announcements were checked against their funding output (a chain source): one with
   * other bitcoin keys cannot match that output, so it is ignored before any signature check.
   */
  fundingChecked?: boolean;
}

/** What validation needs to know about a channel already accepted (the graph answers this). */
export interface KnownChannel {
  node_id_1: Uint8Array;
  node_id_2: Uint8Array;
  /** Funding output value when the chain backend told us; undefined if unknown. */
  capacity_sat?: number;
  /** The funding output was spent: "if the channel has been closed in the meantime" (BOLT 7). */
  spent: boolean;
}

export interface GossipView {
  channel(short_channel_id: bigint): KnownChannel | undefined;
  channelUpdate(short_channel_id: bigint, direction: 0 | 1): KnownUpdate | undefined;
  /** Timestamp of the node_announcement held for this node, undefined if none. */
  nodeAnnouncementTimestamp(node_id: Uint8Array): number | undefined;
  /** Whether a channel_announcement names this node. */
  nodeHasChannel(node_id: Uint8Array): boolean;
  /** A short_channel_id announced with two key sets (graph.ts markConflict): nothing of it is taken. */
  conflicted?(short_channel_id: bigint): boolean;
}

export type GossipMessage = MessageOf<'channel_announcement'> | MessageOf<'node_announcement'> | MessageOf<'channel_update'>;

export type IgnoreCode =
  | 'wrong_chain'
  | 'duplicate'
  | 'conflicting_channel'
  | 'unknown_required_feature'
  | 'channel_closed'
  | 'older'
  | 'same_timestamp_different'
  | 'future'
  | 'stale'
  | 'no_htlc_maximum_msat'
  | 'dont_forward';

/** Drop it; nothing wrong with the peer for sending it (except 'same_timestamp_different': spam). */
export interface Ignored {
  result: 'ignore';
  code: IgnoreCode;
  detail: string;
}
/** A channel_update for a channel we don't know: the caller may query_short_channel_ids for it. */
export interface UnknownChannel {
  result: 'unknown_channel';
  short_channel_id: bigint;
  direction: 0 | 1;
  timestamp: number;
}
/** A node_announcement for a node with no known channel: hold it briefly and retry. */
export interface PendingNode {
  result: 'pending';
  node_id: Uint8Array;
  timestamp: number;
}
/** The peer broke a rule: "SHOULD send a warning" (and MAY close the connection). */
export interface Rejected {
  result: 'reject';
  error: BoltError;
}
export interface Fresh {
  result: 'new';
  peek: GossipPeek;
  /** channel_update: the channel it is for, as the precheck found it. */
  channel?: KnownChannel;
  /** channel_update with `dont_forward` for one of our own channels: kept, never passed on. */
  local?: boolean;
  /** channel_announcement for a known channel with another key set: a conflict once its signatures check. */
  conflict?: boolean;
}
export interface ToVerify {
  result: 'verify';
  raw: Uint8Array;
  msg: GossipMessage;
  checks: SignatureCheck[];
  /** False for a node_announcement with more than one DNS name: "MUST not forward". */
  forward: boolean;
  /** A `dont_forward` channel_update for our own channel: used, not stored, relayed or answered with. */
  local?: boolean;
  /** node_announcement: its parsed addresses. */
  addresses?: ParsedAddresses;
}
export interface Accepted {
  result: 'accept';
  raw: Uint8Array;
  msg: GossipMessage;
  forward: boolean;
  local?: boolean;
  addresses?: ParsedAddresses;
}

export type Precheck = Fresh | Ignored | UnknownChannel | PendingNode | Rejected;
export type Prepared = ToVerify | Ignored | UnknownChannel | PendingNode | Rejected;
export type Verdict = Accepted | Ignored | UnknownChannel | PendingNode | Rejected;

const ignore = (code: IgnoreCode, detail: string): Ignored => ({ result: 'ignore', code, detail });
const reject = (error: BoltError): Rejected => ({ result: 'reject', error });

/** Step 1: the cheap checks, from the raw bytes only. */
export function precheckGossip(raw: Uint8Array, view: GossipView, rules: GossipRules): Precheck {
  let peek: GossipPeek;
  try {
    peek = peekGossip(raw);
  } catch (e) {
    if (e instanceof BoltError) return reject(e);
    throw e;
  }
  switch (peek.type) {
    case 'channel_announcement': {
      // "if the specified chain_hash is unknown to the receiver: MUST ignore the message."
      if (!equal(peek.chain_hash, rules.chainHash)) return ignore('wrong_chain', 'channel_announcement for another chain');
      // A short_channel_id already announced with two key sets stays refused (gossipd conflict()).
      if (view.conflicted?.(peek.short_channel_id)) return ignore('conflicting_channel', 'short_channel_id announced with two key sets');
      const known = view.channel(peek.short_channel_id);
      if (known) {
        // Same channel again: most gossip is this, dropped before any signature check.
        const held = rules.channelKeys?.(peek.short_channel_id);
        const keys = held ? compareKeys(held, announcementKeys(raw, peek)) : undefined;
        const same = held ? keys === 'same' : equal(known.node_id_1, peek.node_id_1) && equal(known.node_id_2, peek.node_id_2);
        if (same) return ignore('duplicate', 'channel already known');
        // Another key set. With a chain source, the held one matched the funding output, which
        // commits to its bitcoin keys: other bitcoin keys cannot ("MUST ignore the message").
        if (!held || (rules.fundingChecked && keys === 'other_bitcoin_keys')) {
          return ignore('conflicting_channel', 'known channel announced with other keys');
        }
        // BOLT 7: "if it has previously received a valid channel_announcement, for the same
        // transaction, in the same block, but for a different node_id_1 or node_id_2: SHOULD
        // blacklist ..." — once its own signatures check, the channel is a conflict (gossipd).
        return { result: 'new', peek, conflict: true };
      }
      // Origin: "MUST set node_id_1 and node_id_2 ... such that node_id_1 is the
      // lexicographically-lesser of the two compressed keys sorted in ascending lexicographic order."
      if (compare(peek.node_id_1, peek.node_id_2) >= 0) {
        return reject(new ProtocolError('node_ids_out_of_order', 'channel_announcement: node_id_1 is not lesser than node_id_2'));
      }
      return { result: 'new', peek };
    }
    case 'channel_update':
      return precheckUpdate(peek, view, rules);
    case 'node_announcement': {
      // "if timestamp is NOT greater than the last-received node_announcement from this node_id:
      // SHOULD ignore the message."
      const held = view.nodeAnnouncementTimestamp(peek.node_id);
      if (held !== undefined && peek.timestamp <= held) {
        return peek.timestamp === held ? ignore('duplicate', 'node_announcement already held') : ignore('older', 'older node_announcement');
      }
      // "if node_id is NOT previously known from a channel_announcement message ... SHOULD ignore"
      // — held briefly instead, as its channel_announcement is often a moment behind.
      if (!view.nodeHasChannel(peek.node_id)) return { result: 'pending', node_id: peek.node_id.slice(), timestamp: peek.timestamp };
      return { result: 'new', peek };
    }
  }
}

function precheckUpdate(u: ChannelUpdatePeek, view: GossipView, rules: GossipRules): Precheck {
  // "if the specified chain_hash value is unknown ...: MUST ignore the channel update."
  if (!equal(u.chain_hash, rules.chainHash)) return ignore('wrong_chain', 'channel_update for another chain');
  // htlc_maximum_msat is mandatory now (older updates without the field are refused, as Core
  // Lightning does). Its old flag is not read: "must_be_one is a constant value, and ignored by receivers".
  if (u.htlc_maximum_msat === undefined) {
    return ignore('no_htlc_maximum_msat', 'channel_update without htlc_maximum_msat');
  }
  // message_flags bit 1 `dont_forward`: the origin "MUST NOT forward such a channel_update to other
  // peers, for privacy reasons"; it is meant for the channel's peer only ("invalid to any other
  // peer and would be discarded"). Ignored unless the channel is one of ours.
  const dontForward = (u.message_flags & 2) !== 0;
  if (dontForward && !rules.ownNodeId) return ignore('dont_forward', 'channel_update with dont_forward (not for us to pass on)');
  if (view.conflicted?.(u.short_channel_id))
    return ignore('conflicting_channel', 'channel_update for a short_channel_id announced with two key sets');
  // "if the short_channel_id does NOT match a previous channel_announcement, OR if the channel has
  // been closed in the meantime: MUST ignore channel_updates that do NOT correspond to one of its own channels."
  const chan = view.channel(u.short_channel_id);
  if (!chan) {
    if (dontForward) return ignore('dont_forward', 'channel_update with dont_forward for an unknown channel');
    return {
      result: 'unknown_channel',
      short_channel_id: u.short_channel_id,
      direction: (u.channel_flags & 1) as 0 | 1,
      timestamp: u.timestamp,
    };
  }
  if (chan.spent) return ignore('channel_closed', 'channel_update for a closed channel');
  if (dontForward && !equal(chan.node_id_1, rules.ownNodeId!) && !equal(chan.node_id_2, rules.ownNodeId!)) {
    return ignore('dont_forward', 'channel_update with dont_forward for a channel not ours');
  }
  const direction = (u.channel_flags & 1) as 0 | 1;
  const held = view.channelUpdate(u.short_channel_id, direction);
  if (held) {
    if (u.timestamp === held.timestamp) {
      // "if the timestamp is equal to the last-received channel_update ...: if the fields below
      // timestamp differ: MAY blacklist this node_id ...; if the fields below timestamp are
      // equal: SHOULD ignore this message"
      return sameFields(u, held)
        ? ignore('duplicate', 'channel_update already held')
        : ignore('same_timestamp_different', 'channel_update with the held timestamp but other fields');
    }
    // "if timestamp is lower than that of the last-received channel_update ...: SHOULD ignore"
    if (u.timestamp < held.timestamp) return ignore('older', 'older channel_update');
  }
  const now = rules.now();
  // "if the timestamp is unreasonably far in the future: MAY discard the channel_update."
  if (u.timestamp > now + MAX_FUTURE_SECONDS) return ignore('future', 'channel_update timestamp more than a day ahead');
  // "if the timestamp of the latest channel_update in either direction is older than two weeks
  // (1209600 seconds): MAY prune the channel. MAY ignore the channel."
  if (u.timestamp < now - STALE_SECONDS) return ignore('stale', 'channel_update older than two weeks');
  // htlc_maximum_msat below htlc_minimum_msat or above the capacity: BOLT 7 "SHOULD ignore this
  // channel during route considerations", not the message: it replaces the older policy like any
  // newer update, and the graph keeps that direction out of routes (graph.ts routable).
  return { result: 'new', peek: u, channel: chan, ...(dontForward ? { local: true } : {}) };
}

/** node_id_1, the first of the four keys, after the `features` of variable length. */
const KEYS = fieldPlace('channel_announcement', 'node_id_1');
/** node_id_1, node_id_2, bitcoin_key_1, bitcoin_key_2: four points. */
const KEYS_LENGTH = 4 * KEYS.size;
/** channel_update's signature, where prepareUpdate takes it from. */
const UPDATE_SIG = fieldPlace('channel_update', 'signature');

/**
 * A channel_announcement's key set: node_id_1, node_id_2, bitcoin_key_1, bitcoin_key_2 (132 bytes,
 * a view into `raw`). Two announcements of one short_channel_id with different key sets conflict.
 */
export function announcementKeys(raw: Uint8Array, peek?: { features: Uint8Array }): Uint8Array {
  const at = peek ? KEYS.at + peek.features.length : placeIn(raw, KEYS);
  if (at < 0 || raw.length < at + KEYS_LENGTH) throw new DecodeError('short_read', 'channel_announcement shorter than its keys');
  return raw.subarray(at, at + KEYS_LENGTH);
}

/** Bytes in each half of a key digest (keyDigest). */
export const KEY_DIGEST_HALF = 8;

/**
 * A channel_announcement's key set (announcementKeys, 132 bytes) in 16 bytes, so gossipd can tell
 * a second announcement with other keys from a duplicate without keeping every announcement in
 * memory: the first 8 bytes of SHA-256 over all four keys, then the first 8 over the two bitcoin
 * keys (with a chain source only those are compared: the funding output commits to them). Finding
 * another key set with the same digest is a 2^64 second-preimage search.
 */
export function keyDigest(keys: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 * KEY_DIGEST_HALF);
  out.set(sha256Fast(keys).subarray(0, KEY_DIGEST_HALF), 0);
  out.set(bitcoinKeysDigest(keys), KEY_DIGEST_HALF);
  return out;
}

function bitcoinKeysDigest(keys: Uint8Array): Uint8Array {
  return sha256Fast(keys.subarray(66)).subarray(0, KEY_DIGEST_HALF);
}

/**
 * How a channel_announcement's key set (announcementKeys) compares with a held key digest
 * (keyDigest): the same keys (a duplicate), other bitcoin keys, or the same bitcoin keys with other
 * node ids. Hashes only what it needs: one SHA-256 for a duplicate, the most common announcement.
 */
export function compareKeys(held: Uint8Array, keys: Uint8Array): 'same' | 'other_bitcoin_keys' | 'other_node_ids' {
  if (equal(held.subarray(0, KEY_DIGEST_HALF), sha256Fast(keys).subarray(0, KEY_DIGEST_HALF))) return 'same';
  return equal(held.subarray(KEY_DIGEST_HALF), bitcoinKeysDigest(keys)) ? 'other_node_ids' : 'other_bitcoin_keys';
}

function sameFields(u: ChannelUpdatePeek, h: KnownUpdate): boolean {
  return (
    u.message_flags === h.message_flags &&
    u.channel_flags === h.channel_flags &&
    u.cltv_expiry_delta === h.cltv_expiry_delta &&
    u.htlc_minimum_msat === h.htlc_minimum_msat &&
    u.fee_base_msat === h.fee_base_msat &&
    u.fee_proportional_millionths === h.fee_proportional_millionths &&
    u.htlc_maximum_msat === h.htlc_maximum_msat
  );
}

/** True if `features` (BOLT 9 bitfield, bit 0 the last byte's lowest) has an even bit not known. */
export function hasUnknownEvenBit(features: Uint8Array, known: (bit: number) => boolean = () => false): boolean {
  for (let i = 0; i < features.length; i++) {
    const byte = features[features.length - 1 - i]!;
    for (let b = 0; b < 8; b += 2) {
      if (byte & (1 << b) && !known(i * 8 + b)) return true;
    }
  }
  return false;
}

/** Step 2: precheck, decode, the remaining rules, and the signature checks a new message needs. */
export function prepareGossip(raw: Uint8Array, view: GossipView, rules: GossipRules): Prepared {
  const pre = precheckGossip(raw, view, rules);
  if (pre.result !== 'new') return pre;
  if (pre.peek.type === 'channel_update' && pre.channel) return prepareUpdate(raw, pre.peek, pre.channel, pre.local === true);
  let decoded;
  try {
    decoded = decodeMessage(raw);
  } catch (e) {
    if (e instanceof BoltError) return reject(e);
    throw e;
  }
  const digest = gossipDigest(raw);
  switch (decoded.name) {
    case 'channel_announcement': {
      const m = decoded;
      // "if there is an unknown even bit in the features field: MUST NOT attempt to route
      // messages through the channel" — so we don't keep it.
      if (hasUnknownEvenBit(m.features, rules.knownChannelFeature)) {
        return ignore('unknown_required_feature', 'channel_announcement with an unknown even feature bit');
      }
      // "MUST verify the integrity AND authenticity of the message by verifying the signatures":
      // node_signature_N by node_id_N, bitcoin_signature_N by bitcoin_key_N, all over h.
      const checks: SignatureCheck[] = [
        { sig: m.node_signature_1, digest, pub: m.node_id_1, field: 'node_signature_1' },
        { sig: m.node_signature_2, digest, pub: m.node_id_2, field: 'node_signature_2' },
        { sig: m.bitcoin_signature_1, digest, pub: m.bitcoin_key_1, field: 'bitcoin_signature_1' },
        { sig: m.bitcoin_signature_2, digest, pub: m.bitcoin_key_2, field: 'bitcoin_signature_2' },
      ];
      return { result: 'verify', raw, msg: m, checks, forward: true };
    }
    case 'channel_update': {
      const m = decoded;
      const chan = view.channel(m.short_channel_id);
      if (!chan)
        return {
          result: 'unknown_channel',
          short_channel_id: m.short_channel_id,
          direction: (m.channel_flags & 1) as 0 | 1,
          timestamp: m.timestamp,
        };
      // "The node_id for the signature verification is taken from the corresponding
      // channel_announcement: node_id_1 if the least-significant bit of flags is 0 or node_id_2 otherwise."
      const pubkey = (m.channel_flags & 1) === 0 ? chan.node_id_1 : chan.node_id_2;
      return { result: 'verify', raw, msg: m, checks: [{ sig: m.signature, digest, pub: pubkey, field: 'signature' }], forward: true };
    }
    case 'node_announcement': {
      const m = decoded;
      let addresses: ParsedAddresses;
      try {
        addresses = parseAddresses(m.addresses);
      } catch (e) {
        if (e instanceof DecodeError) return reject(e);
        throw e;
      }
      // "if more than one type 5 address is announced: ... MUST not forward the node_announcement."
      const forward = !addresses.multipleDns;
      return {
        result: 'verify',
        raw,
        msg: m,
        checks: [{ sig: m.signature, digest, pub: m.node_id, field: 'signature' }],
        forward,
        addresses,
      };
    }
    default:
      return reject(new DecodeError('not_gossip', 'not a gossip message'));
  }
}

/**
 * A channel_update is all fixed-size fields, which the precheck's peek has already read (the
 * signature is its first field): the message is assembled from them rather than decoded twice (most
 * of a sync's messages are channel_updates).
 */
function prepareUpdate(raw: Uint8Array, u: ChannelUpdatePeek, chan: KnownChannel, local: boolean): Prepared {
  const m: MessageOf<'channel_update'> = {
    name: 'channel_update',
    signature: raw.subarray(UPDATE_SIG.at, UPDATE_SIG.at + UPDATE_SIG.size),
    chain_hash: u.chain_hash,
    short_channel_id: u.short_channel_id,
    timestamp: u.timestamp,
    message_flags: u.message_flags,
    channel_flags: u.channel_flags,
    cltv_expiry_delta: u.cltv_expiry_delta,
    htlc_minimum_msat: u.htlc_minimum_msat,
    fee_base_msat: u.fee_base_msat,
    fee_proportional_millionths: u.fee_proportional_millionths,
    htlc_maximum_msat: u.htlc_maximum_msat!, // the precheck ignores an update without it
  };
  // "The node_id for the signature verification is taken from the corresponding
  // channel_announcement: node_id_1 if the least-significant bit of flags is 0 or node_id_2 otherwise."
  const pubkey = (m.channel_flags & 1) === 0 ? chan.node_id_1 : chan.node_id_2;
  const checks: SignatureCheck[] = [{ sig: m.signature, digest: gossipDigest(raw), pub: pubkey, field: 'signature' }];
  return local
    ? { result: 'verify', raw, msg: m, checks, forward: false, local }
    : { result: 'verify', raw, msg: m, checks, forward: true };
}

/** Step 4: the verdict on a prepared message once its signature checks have run. */
export function finishGossip(p: ToVerify, results: ArrayLike<boolean | number>): Accepted | Rejected {
  const err = signatureError(p.checks, results);
  if (err) return reject(err);
  return {
    result: 'accept',
    raw: p.raw,
    msg: p.msg,
    forward: p.forward,
    ...(p.local ? { local: true } : {}),
    ...(p.addresses ? { addresses: p.addresses } : {}),
  };
}

/** All of it, synchronously, in this thread: for tests, tools and small volumes. */
export function validateGossip(raw: Uint8Array, view: GossipView, rules: GossipRules): Verdict {
  const p = prepareGossip(raw, view, rules);
  if (p.result !== 'verify') return p;
  return finishGossip(p, verifyGossipSignatures(p.checks));
}
