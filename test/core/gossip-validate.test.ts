// BOLT 7 receiving-node rules on synthetic, correctly signed gossip (sign.ts) and on each way it
// can be wrong; the split between the cheap "already known?" check and the batched signature checks.
import { compare, concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey, signDigest } from '../../src/core/crypto/primitives.ts';
import { DecodeError, ProtocolError } from '../../src/core/base/errors.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { listnodes } from '../../src/core/gossip/list.ts';
import { gossipDigest } from '../../src/core/gossip/peek.ts';
import {
  signChannelAnnouncement,
  signChannelUpdate,
  signNodeAnnouncement,
  type ChannelParty,
  type ChannelUpdateParams,
} from '../../src/core/gossip/sign.ts';
import { verifyGossipSignatures } from '../../src/core/gossip/signatures.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import {
  MAX_FUTURE_SECONDS,
  announcementKeys,
  compareKeys,
  keyDigest,
  STALE_SECONDS,
  finishGossip,
  hasUnknownEvenBit,
  precheckGossip,
  prepareGossip,
  validateGossip,
  type GossipRules,
  type Verdict,
} from '../../src/core/gossip/validate.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const MAINNET = fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');
const NOW = 1_700_000_000;
const rules: GossipRules = { chainHash: REGTEST, now: () => NOW };
const key = (i: number) => new Uint8Array(32).fill(i);
const party = (i: number): ChannelParty => ({ nodeSecret: key(i), bitcoinSecret: key(100 + i) });
const SCID = scidFromParts({ block: 103, txindex: 1, outnum: 0 });

/** The two parties of SCID sorted as BOLT 7 orders them: node_1 has the lesser node id. */
const [P1, P2] = [party(1), party(2)].sort((a, b) => compare(getPublicKey(a.nodeSecret), getPublicKey(b.nodeSecret))) as [
  ChannelParty,
  ChannelParty,
];
const ID1 = getPublicKey(P1.nodeSecret);
const ID2 = getPublicKey(P2.nodeSecret);

function announcement(
  opts: { scid?: bigint; chainHash?: Uint8Array; features?: Uint8Array; parties?: [ChannelParty, ChannelParty]; keepOrder?: boolean } = {},
): Uint8Array {
  return signChannelAnnouncement({
    chainHash: opts.chainHash ?? REGTEST,
    short_channel_id: opts.scid ?? SCID,
    parties: opts.parties ?? [P1, P2],
    ...(opts.features ? { features: opts.features } : {}),
    ...(opts.keepOrder ? { keepOrder: true } : {}),
  });
}

function update(from: ChannelParty, over: Partial<ChannelUpdateParams> = {}): Uint8Array {
  const peer = from === P1 ? ID2 : ID1;
  return signChannelUpdate({
    secret: from.nodeSecret,
    peer,
    chainHash: REGTEST,
    short_channel_id: SCID,
    timestamp: NOW - 60,
    htlc_maximum_msat: 500_000_000n,
    ...over,
  });
}

/** A graph holding SCID (1,000,000 sat, or of unknown capacity: null) and nothing else. */
function graphWithChannel(capacity_sat: number | null = 1_000_000): Graph {
  const g = new Graph();
  const v = validateGossip(announcement(), g, rules);
  ok(v.result === 'accept', show(v));
  ok(g.applyGossip(v.msg, capacity_sat ?? undefined));
  return g;
}

const show = (v: Verdict) => `${v.result}${v.result === 'ignore' ? ` ${v.code}` : v.result === 'reject' ? ` ${v.error.code}` : ''}`;

function expectIgnore(v: Verdict, code: string): void {
  ok(v.result === 'ignore', `expected ignore ${code}, got ${v.result}${v.result === 'reject' ? ` ${v.error.code}` : ''}`);
  equal(v.code, code);
}

function expectReject(v: Verdict, cls: typeof DecodeError | typeof ProtocolError, code: string): Error {
  ok(v.result === 'reject', `expected reject ${code}, got ${v.result}${v.result === 'ignore' ? ` ${v.code}` : ''}`);
  ok(v.error instanceof cls, `expected ${cls.name}`);
  equal(v.error.code, code);
  return v.error;
}

describe('channel_announcement', () => {
  it('a correctly signed announcement is accepted and its fields kept', () => {
    const g = new Graph();
    const v = validateGossip(announcement(), g, rules);
    ok(v.result === 'accept' && v.msg.name === 'channel_announcement');
    equal(toHex(v.msg.node_id_1), toHex(ID1));
    ok(g.applyGossip(v.msg));
    ok(g.nodeHasChannel(ID1) && g.nodeHasChannel(ID2));
  });
  for (const [i, field] of ['node_signature_1', 'node_signature_2', 'bitcoin_signature_1', 'bitcoin_signature_2'].entries()) {
    it(`a bad ${field} is rejected (SHOULD send a warning, MUST ignore)`, () => {
      const raw = announcement();
      raw[2 + 64 * i + 40]! ^= 1;
      const err = expectReject(validateGossip(raw, new Graph(), rules), ProtocolError, 'bad_signature');
      ok(err.message.includes(field), err.message);
    });
  }
  it('a signature by the wrong key is rejected even if well-formed', () => {
    const raw = announcement();
    const other = announcement({ scid: SCID + 1n });
    raw.set(other.subarray(2, 66), 2); // node_signature_1 over another digest
    expectReject(validateGossip(raw, new Graph(), rules), ProtocolError, 'bad_signature');
  });
  it('another chain is ignored', () => {
    expectIgnore(validateGossip(announcement({ chainHash: MAINNET }), new Graph(), rules), 'wrong_chain');
  });
  it('node ids out of order are rejected', () => {
    const raw = announcement({ parties: [P2, P1], keepOrder: true });
    expectReject(validateGossip(raw, new Graph(), rules), ProtocolError, 'node_ids_out_of_order');
    // The same node twice is not strictly ordered either.
    expectReject(
      validateGossip(announcement({ parties: [P1, P1], keepOrder: true }), new Graph(), rules),
      ProtocolError,
      'node_ids_out_of_order',
    );
  });
  it('an unknown even feature bit is ignored; an odd one is fine', () => {
    expectIgnore(validateGossip(announcement({ features: fromHex('01') }), new Graph(), rules), 'unknown_required_feature');
    expectIgnore(validateGossip(announcement({ features: fromHex('0400') }), new Graph(), rules), 'unknown_required_feature');
    equal(validateGossip(announcement({ features: fromHex('02') }), new Graph(), rules).result, 'accept');
    ok(!hasUnknownEvenBit(fromHex('0100'), bit => bit === 8));
    ok(hasUnknownEvenBit(fromHex('0100')));
  });
  it('a duplicate is dropped before any signature check', () => {
    const g = graphWithChannel();
    const raw = announcement();
    raw.fill(0xee, 2, 258); // four garbage signatures: a signature check would reject this
    expectIgnore(validateGossip(raw, g, rules), 'duplicate');
    const pre = precheckGossip(raw, g, rules);
    ok(pre.result === 'ignore' && pre.code === 'duplicate');
  });
  it('the same short_channel_id with other nodes is a conflicting announcement, ignored when the held key set is not known', () => {
    const g = graphWithChannel();
    expectIgnore(validateGossip(announcement({ parties: [P1, party(3)] }), g, rules), 'conflicting_channel');
  });
  it('another key set for a held short_channel_id is checked (a conflict for gossipd), unless a chain source vouched for the held bitcoin keys', () => {
    const g = graphWithChannel();
    const held = keyDigest(announcementKeys(announcement()));
    const withKeys: GossipRules = { ...rules, channelKeys: s => (s === SCID ? held : undefined) };
    // The same keys: a duplicate, before any signature check.
    expectIgnore(validateGossip(announcement(), g, withKeys), 'duplicate');
    // Other node ids, or the same node ids with other bitcoin keys: signatures checked, then a conflict.
    const other = announcement({
      parties: [P1, party(3)].sort((a, b) => compare(getPublicKey(a.nodeSecret), getPublicKey(b.nodeSecret))) as [
        ChannelParty,
        ChannelParty,
      ],
    });
    const sameNodes = announcement({ parties: [{ ...P1, bitcoinSecret: key(200) }, P2] });
    for (const raw of [other, sameNodes]) {
      const pre = precheckGossip(raw, g, withKeys);
      ok(pre.result === 'new' && pre.conflict === true);
      equal(validateGossip(raw, g, withKeys).result, 'accept');
    }
    // Forged signatures on the second key set: rejected like any bad signature.
    const forged = sameNodes.slice();
    forged[2 + 64 * 2 + 10]! ^= 1;
    expectReject(validateGossip(forged, g, withKeys), ProtocolError, 'bad_signature');
    // Checked against the funding output: other bitcoin keys cannot match it.
    const chain: GossipRules = { ...withKeys, fundingChecked: true };
    expectIgnore(validateGossip(sameNodes, g, chain), 'conflicting_channel');
    expectIgnore(validateGossip(other, g, chain), 'conflicting_channel');
    // The same bitcoin keys with another node id ("keys leaked"): checked, then a conflict.
    const sorted = (a: ChannelParty, b: ChannelParty) =>
      [a, b].sort((x, y) => compare(getPublicKey(x.nodeSecret), getPublicKey(y.nodeSecret))) as [ChannelParty, ChannelParty];
    const leaked = announcement({ parties: sorted(P1, { nodeSecret: key(3), bitcoinSecret: P2.bitcoinSecret }) });
    const pre = precheckGossip(leaked, g, chain);
    ok(pre.result === 'new' && pre.conflict === true, pre.result);
    // compareKeys, which precheck and gossipd share, tells the three apart.
    equal(compareKeys(held, announcementKeys(announcement())), 'same');
    equal(compareKeys(held, announcementKeys(sameNodes)), 'other_bitcoin_keys');
    equal(compareKeys(held, announcementKeys(leaked)), 'other_node_ids');
  });
  it('a conflicted short_channel_id: its announcements and updates are ignored, not held', () => {
    const g = new Graph();
    g.markConflict(SCID);
    expectIgnore(validateGossip(announcement(), g, rules), 'conflicting_channel');
    expectIgnore(validateGossip(update(P1), g, rules), 'conflicting_channel');
    const m = decodeMessage(announcement());
    ok(m.name === 'channel_announcement' && !g.addChannel(m), 'the graph refuses it too');
    equal(g.channelCount, 0);
  });
  it('malformed bytes are a DecodeError (warning)', () => {
    expectReject(validateGossip(announcement().subarray(0, 300), new Graph(), rules), DecodeError, 'short_read');
    const bad = announcement();
    bad[2 + 256 + 2 + 32 + 8 + 33 + 33] = 0x05; // bitcoin_key_1 prefix
    expectReject(validateGossip(bad, new Graph(), rules), DecodeError, 'bad_point');
  });
});

describe('channel_update', () => {
  it('is accepted from either end, checked against node_id_1 or node_id_2 by the direction bit', () => {
    const g = graphWithChannel();
    for (const [from, dir] of [
      [P1, 0],
      [P2, 1],
    ] as const) {
      const v = validateGossip(update(from), g, rules);
      ok(v.result === 'accept' && v.msg.name === 'channel_update', show(v));
      equal(v.msg.channel_flags & 1, dir);
      ok(g.applyGossip(v.msg));
    }
  });
  it('signed by the other end (wrong direction bit) is rejected', () => {
    const g = graphWithChannel();
    expectReject(validateGossip(update(P2, { direction: 0 }), g, rules), ProtocolError, 'bad_signature');
    const raw = update(P1);
    raw[2 + 5]! ^= 0x10;
    expectReject(validateGossip(raw, g, rules), ProtocolError, 'bad_signature');
  });
  it('for an unknown channel: a distinct result naming the channel, so the caller can ask for it', () => {
    const v = validateGossip(update(P1), new Graph(), rules);
    ok(v.result === 'unknown_channel');
    equal(v.short_channel_id, SCID);
  });
  it('another chain is ignored', () => {
    expectIgnore(validateGossip(update(P1, { chainHash: MAINNET }), graphWithChannel(), rules), 'wrong_chain');
  });
  it('equal timestamp: duplicate if the same, spam indicator if the fields differ; older ignored; newer wins', () => {
    const g = graphWithChannel();
    const first = validateGossip(update(P1, { timestamp: NOW - 100 }), g, rules);
    ok(first.result === 'accept' && g.applyGossip(first.msg));
    expectIgnore(validateGossip(update(P1, { timestamp: NOW - 100 }), g, rules), 'duplicate');
    expectIgnore(validateGossip(update(P1, { timestamp: NOW - 100, fee_base_msat: 7 }), g, rules), 'same_timestamp_different');
    expectIgnore(validateGossip(update(P1, { timestamp: NOW - 200 }), g, rules), 'older');
    // The other direction has its own history.
    equal(validateGossip(update(P2, { timestamp: NOW - 200 }), g, rules).result, 'accept');
    const newer = validateGossip(update(P1, { timestamp: NOW - 50, fee_base_msat: 7 }), g, rules);
    ok(newer.result === 'accept' && g.applyGossip(newer.msg));
    equal(g.channelUpdate(SCID, 0)!.fee_base_msat, 7);
  });
  it('a duplicate update is dropped before the signature check', () => {
    const g = graphWithChannel();
    const raw = update(P1);
    const v = validateGossip(raw, g, rules);
    ok(v.result === 'accept' && g.applyGossip(v.msg));
    const garbled = raw.slice();
    garbled.fill(0, 2, 66);
    expectIgnore(validateGossip(garbled, g, rules), 'duplicate');
  });
  it('more than a day in the future is ignored; a day exactly is not', () => {
    const g = graphWithChannel();
    expectIgnore(validateGossip(update(P1, { timestamp: NOW + MAX_FUTURE_SECONDS + 1 }), g, rules), 'future');
    equal(validateGossip(update(P1, { timestamp: NOW + MAX_FUTURE_SECONDS }), g, rules).result, 'accept');
  });
  it('older than two weeks is stale and ignored', () => {
    const g = graphWithChannel();
    equal(STALE_SECONDS, 1_209_600);
    expectIgnore(validateGossip(update(P1, { timestamp: NOW - STALE_SECONDS - 1 }), g, rules), 'stale');
    equal(validateGossip(update(P1, { timestamp: NOW - STALE_SECONDS }), g, rules).result, 'accept');
  });
  it('time comes from rules.now()', () => {
    const g = graphWithChannel();
    const later: GossipRules = { chainHash: REGTEST, now: () => NOW + 2 * STALE_SECONDS };
    expectIgnore(validateGossip(update(P1), g, later), 'stale');
  });
  it('must_be_one is ignored by receivers; an old update without htlc_maximum_msat is not taken', () => {
    const g = graphWithChannel();
    // BOLT 7: "must_be_one is a constant value, and ignored by receivers".
    const v = validateGossip(update(P1, { message_flags: 0 }), g, rules);
    ok(v.result === 'accept' && v.msg.name === 'channel_update' && v.forward, show(v));
    const old = update(P1).subarray(0, 130);
    expectIgnore(validateGossip(old, g, rules), 'no_htlc_maximum_msat');
  });
  it('dont_forward (message_flags bit 1): ignored unless the channel is ours, then kept but never forwarded', () => {
    const g = graphWithChannel();
    const raw = update(P1, { message_flags: 3 });
    // Not ours (or we do not know who we are): "invalid to any other peer and would be discarded".
    expectIgnore(validateGossip(raw, g, rules), 'dont_forward');
    expectIgnore(validateGossip(raw, g, { ...rules, ownNodeId: getPublicKey(key(9)) }), 'dont_forward');
    // For an unknown channel: not held for later either.
    expectIgnore(validateGossip(raw, new Graph(), { ...rules, ownNodeId: ID2 }), 'dont_forward');
    // One of our channels: used, but "MUST NOT forward such a channel_update to other peers".
    const v = validateGossip(raw, g, { ...rules, ownNodeId: ID2 });
    ok(v.result === 'accept' && v.local === true && !v.forward, show(v));
    // An ordinary update stays forwardable.
    const plain = validateGossip(update(P1), g, { ...rules, ownNodeId: ID2 });
    ok(plain.result === 'accept' && plain.forward && !plain.local);
  });
  it('htlc_maximum_msat above the capacity or below htlc_minimum_msat: the update is taken, the direction left out of routes', () => {
    const g = graphWithChannel(1_000_000);
    // A newer update BOLT 7 says to ignore the channel for must replace the older policy, not be dropped.
    const first = validateGossip(update(P1, { timestamp: NOW - 100 }), g, rules);
    ok(first.result === 'accept' && g.applyGossip(first.msg));
    ok(g.routable(2 * g.findChannel(SCID)));
    for (const over of [{ htlc_maximum_msat: 1_000_000_001n }, { htlc_minimum_msat: 5000n, htlc_maximum_msat: 4999n }]) {
      const gg = graphWithChannel(1_000_000);
      const a = validateGossip(update(P1, { timestamp: NOW - 100 }), gg, rules);
      ok(a.result === 'accept' && gg.applyGossip(a.msg));
      const v = validateGossip(update(P1, { timestamp: NOW - 50, ...over }), gg, rules);
      ok(v.result === 'accept' && gg.applyGossip(v.msg), show(v));
      const h = 2 * gg.findChannel(SCID);
      ok(!gg.routable(h), 'left out of routes');
      equal(gg.channelUpdate(SCID, 0)!.timestamp, NOW - 50);
      equal(gg.channelUpdate(SCID, 0)!.htlc_maximum_msat, over.htlc_maximum_msat);
    }
    equal(show(validateGossip(update(P1, { htlc_maximum_msat: 1_000_000_000n }), g, rules)), 'accept');
    // Capacity unknown: nothing to compare with.
    const unknown = graphWithChannel(null);
    const v = validateGossip(update(P1, { htlc_maximum_msat: 1n << 60n }), unknown, rules);
    ok(v.result === 'accept' && unknown.applyGossip(v.msg) && unknown.routable(2 * unknown.findChannel(SCID)));
  });
  it('a disabled update (channel_flags bit 1) is valid gossip', () => {
    const v = validateGossip(update(P2, { disabled: true }), graphWithChannel(), rules);
    ok(v.result === 'accept' && v.msg.name === 'channel_update');
    equal(v.msg.channel_flags, 3);
  });
  it('for a channel whose funding output was spent: ignored', () => {
    const g = graphWithChannel();
    g.markSpent(SCID, 200);
    expectIgnore(validateGossip(update(P1), g, rules), 'channel_closed');
  });
  it('the signature covers fields appended after htlc_maximum_msat', () => {
    const g = graphWithChannel();
    const raw = concat(update(P1), fromHex('deadbeef'));
    raw.set(signDigest(gossipDigest(raw), P1.nodeSecret), 2);
    equal(validateGossip(raw, g, rules).result, 'accept');
    raw[raw.length - 1] = 0;
    expectReject(validateGossip(raw, g, rules), ProtocolError, 'bad_signature');
  });
});

describe('node_announcement', () => {
  const na = (from: ChannelParty, over: Partial<Parameters<typeof signNodeAnnouncement>[0]> = {}) =>
    signNodeAnnouncement({
      secret: from.nodeSecret,
      timestamp: NOW - 10,
      alias: 'alice',
      rgb_color: fromHex('ff8000'),
      features: fromHex('0a'),
      addresses: [{ type: 'ipv4', address: '203.0.113.7', port: 9735 }],
      ...over,
    });

  it('for a node with no known channel: pending, so the caller can hold it briefly', () => {
    const v = validateGossip(na(P1), new Graph(), rules);
    ok(v.result === 'pending');
    equal(toHex(v.node_id), toHex(ID1));
  });
  it('is accepted once the node has a channel, with its addresses parsed', () => {
    const g = graphWithChannel();
    const v = validateGossip(na(P1), g, rules);
    ok(v.result === 'accept' && v.forward);
    deepEqual(v.addresses?.addresses, [{ type: 'ipv4', address: '203.0.113.7', port: 9735 }]);
    ok(g.applyGossip(v.msg));
    deepEqual(listnodes(g, { id: ID1 }), [
      {
        nodeid: toHex(ID1),
        alias: 'alice',
        color: 'ff8000',
        last_timestamp: NOW - 10,
        features: '0a',
        addresses: [{ type: 'ipv4', address: '203.0.113.7', port: 9735 }],
      },
    ]);
  });
  it('newer timestamp wins; equal is a duplicate; older is ignored', () => {
    const g = graphWithChannel();
    const v = validateGossip(na(P1), g, rules);
    ok(v.result === 'accept' && g.applyGossip(v.msg));
    expectIgnore(validateGossip(na(P1), g, rules), 'duplicate');
    expectIgnore(validateGossip(na(P1, { timestamp: NOW - 11 }), g, rules), 'older');
    const newer = validateGossip(na(P1, { timestamp: NOW, alias: 'alice2' }), g, rules);
    ok(newer.result === 'accept' && g.applyGossip(newer.msg));
    equal(listnodes(g, { id: ID1 })[0]!.alias, 'alice2');
  });
  it('a bad signature is rejected', () => {
    const raw = na(P1);
    raw[raw.length - 1]! ^= 1;
    expectReject(validateGossip(raw, graphWithChannel(), rules), ProtocolError, 'bad_signature');
  });
  it('addresses cut short are rejected; an unknown type keeps the announcement', () => {
    const g = graphWithChannel();
    expectReject(validateGossip(na(P1, { addresses: fromHex('017f00') }), g, rules), DecodeError, 'bad_addresses');
    const v = validateGossip(na(P1, { addresses: fromHex('017f000001260f' + '0a' + 'ffff') }), g, rules);
    ok(v.result === 'accept');
    equal(v.addresses?.unknownType, 10);
    equal(v.addresses?.addresses.length, 1);
  });
  it('more than one DNS name: accepted but not to be forwarded', () => {
    const two = fromHex('0509612e6578616d706c650001' + '0509622e6578616d706c650002');
    const v = validateGossip(na(P1, { addresses: two }), graphWithChannel(), rules);
    ok(v.result === 'accept');
    equal(v.forward, false);
  });
  it('keeps the 32-byte alias and the rgb_color as sent', () => {
    const v = validateGossip(na(P2, { alias: 'x'.repeat(40) }), graphWithChannel(), rules);
    ok(v.result === 'accept' && v.msg.name === 'node_announcement');
    equal(v.msg.alias.length, 32);
    equal(toHex(v.msg.rgb_color), 'ff8000');
  });
});

describe('the split: precheck, then one batch of signature checks for many messages', () => {
  it('prepare → verifyGossipSignatures(batch) → finish', () => {
    const g = graphWithChannel();
    const raws = [update(P1), update(P2), signNodeAnnouncement({ secret: P1.nodeSecret, timestamp: NOW })];
    const prepared = raws.map(r => prepareGossip(r, g, rules));
    const batch = prepared.flatMap(p => (p.result === 'verify' ? p.checks : []));
    equal(batch.length, 3);
    const results = verifyGossipSignatures(batch);
    deepEqual(results, [true, true, true]);
    let at = 0;
    for (const p of prepared) {
      ok(p.result === 'verify');
      const v = finishGossip(p, results.slice(at, (at += p.checks.length)));
      ok(v.result === 'accept' && g.applyGossip(v.msg));
    }
    equal(g.channelUpdate(SCID, 1)?.timestamp, NOW - 60);
  });
  it('a channel_announcement needs four checks over one digest; one failure names its field', () => {
    const p = prepareGossip(announcement(), new Graph(), rules);
    ok(p.result === 'verify');
    deepEqual(
      p.checks.map(c => c.field),
      ['node_signature_1', 'node_signature_2', 'bitcoin_signature_1', 'bitcoin_signature_2'],
    );
    ok(p.checks.every(c => toHex(c.digest) === toHex(p.checks[0]!.digest)));
    const v = finishGossip(p, [true, true, false, true]);
    ok(v.result === 'reject' && v.error.message.includes('bitcoin_signature_1'));
    // A worker pool's verdicts (verify-pool.ts: Uint8Array of 1/0) are taken as they come.
    equal(finishGossip(p, new Uint8Array([1, 1, 1, 1])).result, 'accept');
    equal(finishGossip(p, new Uint8Array([1, 0, 1, 1])).result, 'reject');
  });
  it('verifyGossipSignatures never throws on garbage', () => {
    deepEqual(
      verifyGossipSignatures([{ sig: new Uint8Array(64), digest: new Uint8Array(32), pub: new Uint8Array(33), field: 'signature' }]),
      [false],
    );
  });
  it('the graph re-checks order when verified messages arrive late', () => {
    const g = graphWithChannel();
    const newer = prepareGossip(update(P1, { timestamp: NOW - 10 }), g, rules);
    const older = prepareGossip(update(P1, { timestamp: NOW - 20 }), g, rules);
    ok(newer.result === 'verify' && older.result === 'verify');
    const a = finishGossip(newer, verifyGossipSignatures(newer.checks));
    const b = finishGossip(older, verifyGossipSignatures(older.checks));
    ok(a.result === 'accept' && b.result === 'accept');
    ok(g.applyGossip(a.msg));
    ok(!g.applyGossip(b.msg));
    equal(g.channelUpdate(SCID, 0)?.timestamp, NOW - 10);
  });
});
