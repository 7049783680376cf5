// What the wire bench's peer (bench/wire-peer.ts) serves: the signed set grouped by
// short_channel_id, as a peer answers query_short_channel_ids (BOLT 7: the channel_announcement,
// its channel_updates, then node_announcements not sent before), and, for the adversarial run, about
// 1% of bad messages among them. Every bad message is one BOLT 7 makes the receiver ignore or
// refuse, so the graph a correct node ends with is exactly the good set's (`expectedGraph`).
// Pure: no I/O.
import { Reader, toHex } from '../src/core/base/bytes.ts';
import { fieldOffset, fieldPlace, placeIn, type FieldPlace } from '../src/core/wire/layout.ts';
import { readType, TYPE } from '../src/core/wire/messages.ts';
import { MAX_FUTURE_SECONDS, STALE_SECONDS } from '../src/core/gossip/validate.ts';
import { channelUpdateBytes, type SignFn, type SignedGossip } from './fixtures/signed-gossip.ts';
import { nodeSecret, orderChannel, type FixtureKeys } from './fixtures/keys.ts';
import type { Topology } from './fixtures/topology.ts';

export type BadKind =
  'bad_signature' | 'wrong_signer' | 'unknown_channel' | 'stale' | 'future' | 'wrong_chain' | 'duplicate' | 'out_of_order';
export const BAD_KINDS: readonly BadKind[] = [
  'bad_signature',
  'wrong_signer',
  'unknown_channel',
  'stale',
  'future',
  'wrong_chain',
  'duplicate',
  'out_of_order',
];

/** One channel's answer: messages in sending order. */
export interface ScidAnswer {
  scid: bigint;
  messages: Uint8Array[];
  ann: Uint8Array;
  updates: [Uint8Array | undefined, Uint8Array | undefined];
  /** The channel's ends (hex), node_id_1 first. */
  ends: [string, string];
  /** Bad messages sent before / after the good ones (adversarial run only). */
  before: Uint8Array[];
  after: Uint8Array[];
  /** The update is sent before its announcement (valid: BOLT 7 lets the receiver hold it). */
  reordered: boolean;
}

export interface Served {
  answers: Map<bigint, ScidAnswer>;
  /** node_announcement by node id (hex). */
  nodes: Map<string, Uint8Array>;
  /** Sorted. */
  scids: bigint[];
  bad: Record<BadKind, number>;
  badTotal: number;
  reordered: number;
  goodMessages: number;
}

const UPDATE_FLAGS_AT = fieldOffset('channel_update', 'channel_flags');
const UPDATE_SCID_AT = fieldOffset('channel_update', 'short_channel_id');
const UPDATE_TS_AT = fieldOffset('channel_update', 'timestamp');
const ANN_SCID = fieldPlace('channel_announcement', 'short_channel_id');
const ANN_NODE_1 = fieldPlace('channel_announcement', 'node_id_1');
const ANN_NODE_2 = fieldPlace('channel_announcement', 'node_id_2');
const NODE_ID = fieldPlace('node_announcement', 'node_id');

export function scidOf(m: Uint8Array): bigint {
  if (readType(m) === TYPE.channel_announcement) return new Reader(m.subarray(placeIn(m, ANN_SCID))).u64();
  return new Reader(m.subarray(UPDATE_SCID_AT)).u64();
}

const pointAt = (m: Uint8Array, p: FieldPlace): string => toHex(m.subarray(placeIn(m, p), placeIn(m, p) + p.size));

function announcementEnds(m: Uint8Array): [string, string] {
  return [pointAt(m, ANN_NODE_1), pointAt(m, ANN_NODE_2)];
}

function nodeIdOf(m: Uint8Array): string {
  return pointAt(m, NODE_ID);
}

/** The good set grouped per channel: each channel_update and node_announcement goes with the channel the set sends it after. */
export function groupByScid(g: SignedGossip, channels?: number): Served {
  const answers = new Map<bigint, ScidAnswer>();
  const nodes = new Map<string, Uint8Array>();
  let cur: ScidAnswer | undefined;
  let n = 0;
  let goodMessages = 0;
  for (const m of g.messages) {
    const t = readType(m);
    if (t === TYPE.channel_announcement) {
      if (channels !== undefined && n >= channels) break;
      n++;
      cur = {
        scid: scidOf(m),
        messages: [],
        ann: m,
        updates: [undefined, undefined],
        ends: announcementEnds(m),
        before: [],
        after: [],
        reordered: false,
      };
      answers.set(cur.scid, cur);
    } else if (t === TYPE.channel_update) cur!.updates[m[UPDATE_FLAGS_AT]! & 1] = m;
    else if (t === TYPE.node_announcement) nodes.set(nodeIdOf(m), m);
    cur!.messages.push(m);
    goodMessages++;
  }
  const bad = Object.fromEntries(BAD_KINDS.map(k => [k, 0])) as Record<BadKind, number>;
  return {
    answers,
    nodes,
    scids: [...answers.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    bad,
    badTotal: 0,
    reordered: 0,
    goodMessages,
  };
}

export interface SliceOptions {
  topology: Topology;
  keys: FixtureKeys;
  chainHash: Uint8Array;
  otherChainHash: Uint8Array;
  /** The set's `now` (UNIX seconds). */
  now: number;
  sign: SignFn;
  /** One channel in `stride` gets a bad message (30: about 1% of the messages). */
  stride?: number;
}

/**
 * Adds the bad messages: every `stride`-th channel (with an enabled direction-0 update) gets one,
 * of each kind in turn; every `stride`-th other channel has its update sent before its
 * announcement. Mutates and returns `served`.
 */
export function addBadSlice(served: Served, o: SliceOptions): Served {
  const stride = o.stride ?? 30;
  const byScid = new Map(o.topology.channels.map(c => [c.short_channel_id, c]));
  let unknownScid = o.topology.channels.reduce((m, c) => (c.short_channel_id > m ? c.short_channel_id : m), 0n) + 1n;
  let k = 0;
  let idx = 0;
  for (const s of served.scids) {
    const a = served.answers.get(s)!;
    const i = idx++;
    const u0 = a.updates[0];
    if (i % stride === stride / 2 && u0 && a.updates[1]) {
      // Valid, only early: the update for direction 1 before the channel_announcement.
      a.reordered = true;
      served.reordered++;
      continue;
    }
    if (i % stride !== 0 || !u0) continue;
    const oc = orderChannel(byScid.get(s)!, o.keys);
    const p = oc.updates[0];
    const ts = new Reader(u0.subarray(UPDATE_TS_AT)).u32();
    const kind = BAD_KINDS[k++ % BAD_KINDS.length]!;
    const upd = (t: number, chain = o.chainHash, scid = s, secret = nodeSecret(oc.node_1)) =>
      channelUpdateBytes(chain, scid, t, 0, p, secret, o.sign);
    switch (kind) {
      case 'bad_signature': {
        // A newer timestamp under the old signature: BOLT 7 "signature is not a valid signature".
        const m = u0.slice();
        new DataView(m.buffer).setUint32(UPDATE_TS_AT, ts + 1);
        a.before.push(m);
        break;
      }
      case 'wrong_signer':
        // Signed by the other end: not node_id_1's signature.
        a.before.push(upd(ts + 1, o.chainHash, s, nodeSecret(oc.node_2)));
        break;
      case 'unknown_channel':
        a.after.push(upd(ts, o.chainHash, unknownScid++));
        break;
      case 'stale':
        a.after.push(upd(o.now - STALE_SECONDS - 3600));
        break;
      case 'future':
        a.before.push(upd(o.now + MAX_FUTURE_SECONDS + 3600));
        break;
      case 'wrong_chain':
        a.before.push(upd(ts + 1, o.otherChainHash));
        break;
      case 'duplicate':
        a.after.push(a.ann.slice());
        break;
      case 'out_of_order':
        // An older update after the newer one: "SHOULD ignore".
        a.after.push(upd(ts - 100));
        break;
    }
    served.bad[kind]++;
    served.badTotal++;
  }
  return served;
}

/**
 * What one query_short_channel_ids asks of a channel (BOLT 7 query_flags bits; all without flags);
 * node_announcements once per query (`sent`), as BOLT 7 "SHOULD avoid sending duplicate node_announcements".
 */
export function answerMessages(served: Served, a: ScidAnswer, flags: number, first: boolean, sent: Set<string>): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (first) out.push(...a.before);
  const ann = flags & 1 ? a.ann : undefined;
  const u = [flags & 2 ? a.updates[0] : undefined, flags & 4 ? a.updates[1] : undefined];
  if (a.reordered && u[1]) out.push(u[1]);
  if (ann) out.push(ann);
  if (u[0]) out.push(u[0]);
  if (u[1] && !a.reordered) out.push(u[1]);
  a.ends.forEach((id, side) => {
    const na = served.nodes.get(id);
    if (!na || !(flags & (side === 0 ? 8 : 16)) || sent.has(id)) return;
    sent.add(id);
    out.push(na);
  });
  if (first) out.push(...a.after);
  return out;
}

/**
 * The graph BOLT 7 prescribes after all of it: exactly the good messages. Every channel and node of
 * the set; every channel_update accepted but those validate.ts ignores (htlc_maximum_msat below
 * htlc_minimum_msat, counted by the generator).
 */
export function expectedGraph(g: SignedGossip, served: Served): { channels: number; nodes: number; accepted: number } {
  let channels = 0;
  let updates = 0;
  let maxBelowMin = 0;
  const nodes = new Set<string>();
  for (const a of served.answers.values()) {
    channels++;
    for (const id of a.ends) if (served.nodes.has(id)) nodes.add(id);
    for (const u of a.updates) {
      if (!u) continue;
      updates++;
      if (belowMin(u)) maxBelowMin++;
    }
  }
  if (served.answers.size === g.channel_announcements && maxBelowMin !== g.max_below_min_updates) {
    throw new Error(
      `the generator counts ${g.max_below_min_updates} updates with htlc_maximum_msat < htlc_minimum_msat, the bytes ${maxBelowMin}`,
    );
  }
  return { channels, nodes: nodes.size, accepted: channels + nodes.size + updates - maxBelowMin };
}

/** An enabled channel_update whose htlc_maximum_msat is below its htlc_minimum_msat. */
function belowMin(u: Uint8Array): boolean {
  const r = new Reader(u.subarray(UPDATE_FLAGS_AT));
  const disabled = (r.u8() & 2) !== 0;
  r.u16();
  const min = r.u64();
  r.u32();
  r.u32();
  const max = r.u64();
  return !disabled && max < min;
}
