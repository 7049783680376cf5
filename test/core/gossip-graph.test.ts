// The graph: Core Lightning's listchannels/listnodes shapes and filters, growth past its initial
// size, removal and BOLT 7 pruning (stale updates, spent funding outputs after 12 blocks).
import { concat, toHex } from '../../src/core/base/bytes.ts';
import { encodeAddresses } from '../../src/core/gossip/address.ts';
import { QueryError } from '../../src/core/gossip/errors.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { listchannels, listnodes } from '../../src/core/gossip/list.ts';
import { STALE_SECONDS } from '../../src/core/gossip/validate.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';

/** Fake but well-ordered node ids: id(1) < id(2) < ... */
const id = (i: number) => concat(new Uint8Array([2]), new Uint8Array(32).fill(i));
const hex = (i: number) => toHex(id(i));
const scid = (b: number) => scidFromParts({ block: b, txindex: 1, outnum: 0 });
const NOW = 1_700_000_000;

function upd(s: bigint, direction: 0 | 1, over: Partial<{ timestamp: number; disabled: boolean; fee: number; max: bigint }> = {}) {
  return {
    short_channel_id: s,
    timestamp: over.timestamp ?? NOW,
    message_flags: 1,
    channel_flags: direction | (over.disabled ? 2 : 0),
    cltv_expiry_delta: 40 + direction,
    htlc_minimum_msat: 1000n,
    fee_base_msat: over.fee ?? 1000,
    fee_proportional_millionths: 10 + direction,
    htlc_maximum_msat: over.max ?? 990_000_000n,
  };
}

function chan(g: Graph, b: number, x: number, y: number, capacity?: number): bigint {
  const s = scid(b);
  ok(
    g.addChannel(
      { short_channel_id: s, node_id_1: id(Math.min(x, y)), node_id_2: id(Math.max(x, y)), features: new Uint8Array(0) },
      capacity,
    ),
  );
  return s;
}

describe('listchannels', () => {
  it("has Core Lightning's shape, one entry per direction with an update", () => {
    const g = new Graph();
    const s = chan(g, 700000, 1, 2, 1_000_000);
    deepEqual(listchannels(g), []);
    ok(g.applyChannelUpdate(upd(s, 0)));
    ok(g.applyChannelUpdate(upd(s, 1, { disabled: true, timestamp: NOW + 5 })));
    deepEqual(listchannels(g), [
      {
        source: hex(1),
        destination: hex(2),
        short_channel_id: '700000x1x0',
        direction: 0,
        public: true,
        amount_msat: 1_000_000_000,
        message_flags: 1,
        channel_flags: 0,
        active: true,
        last_update: NOW,
        base_fee_millisatoshi: 1000,
        fee_per_millionth: 10,
        delay: 40,
        htlc_minimum_msat: 1000,
        htlc_maximum_msat: 990_000_000,
        features: '',
      },
      {
        source: hex(2),
        destination: hex(1),
        short_channel_id: '700000x1x0',
        direction: 1,
        public: true,
        amount_msat: 1_000_000_000,
        message_flags: 1,
        channel_flags: 3,
        active: false,
        last_update: NOW + 5,
        base_fee_millisatoshi: 1000,
        fee_per_millionth: 11,
        delay: 41,
        htlc_minimum_msat: 1000,
        htlc_maximum_msat: 990_000_000,
        features: '',
      },
    ]);
  });
  it('filters by short_channel_id, source or destination, one at a time', () => {
    const g = new Graph();
    const a = chan(g, 100, 1, 2);
    const b = chan(g, 101, 2, 3);
    for (const s of [a, b]) for (const d of [0, 1] as const) g.applyChannelUpdate(upd(s, d));
    equal(listchannels(g).length, 4);
    deepEqual(
      listchannels(g, { short_channel_id: '101x1x0' }).map(e => [e.source, e.direction]),
      [
        [hex(2), 0],
        [hex(3), 1],
      ],
    );
    deepEqual(listchannels(g, { short_channel_id: b }).length, 2);
    deepEqual(
      listchannels(g, { source: hex(2) })
        .map(e => [e.short_channel_id, e.destination])
        .sort(),
      [
        ['100x1x0', hex(1)],
        ['101x1x0', hex(3)],
      ],
    );
    deepEqual(
      listchannels(g, { destination: id(2) })
        .map(e => [e.short_channel_id, e.source])
        .sort(),
      [
        ['100x1x0', hex(1)],
        ['101x1x0', hex(3)],
      ],
    );
    deepEqual(listchannels(g, { source: hex(9) }), []);
    deepEqual(listchannels(g, { short_channel_id: '1x1x1' }), []);
    throws(() => listchannels(g, { source: hex(1), destination: hex(2) }), QueryError, 'bad_params');
    throws(() => listchannels(g, { short_channel_id: 'nope' }), QueryError, 'bad_params');
    throws(() => listchannels(g, { source: 'abcd' }), QueryError, 'bad_params');
  });
  it('without a known capacity, amount_msat is the larger htlc_maximum_msat', () => {
    const g = new Graph();
    const s = chan(g, 5, 1, 2);
    g.applyChannelUpdate(upd(s, 0, { max: 7000n }));
    g.applyChannelUpdate(upd(s, 1, { max: 9000n }));
    deepEqual(
      listchannels(g).map(e => e.amount_msat),
      [9000, 9000],
    );
    ok(g.setCapacity(s, 50));
    deepEqual(
      listchannels(g).map(e => e.amount_msat),
      [50_000, 50_000],
    );
  });
  it('channel features are hex', () => {
    const g = new Graph();
    g.addChannel({ short_channel_id: 9n, node_id_1: id(1), node_id_2: id(2), features: new Uint8Array([0x02]) });
    g.applyChannelUpdate(upd(9n, 0));
    equal(listchannels(g)[0]!.features, '02');
  });
});

describe('listnodes', () => {
  it('lists every node with a channel; only nodeid until a node_announcement', () => {
    const g = new Graph();
    chan(g, 1, 1, 2);
    deepEqual(listnodes(g), [{ nodeid: hex(1) }, { nodeid: hex(2) }]);
    const alias = new Uint8Array(32);
    alias.set(new TextEncoder().encode('bob ⚡'));
    ok(
      g.applyNodeAnnouncement({
        node_id: id(2),
        timestamp: NOW,
        features: new Uint8Array([0x08, 0x00]),
        rgb_color: new Uint8Array([1, 2, 3]),
        alias,
        addresses: encodeAddresses([
          { type: 'ipv6', address: '::1', port: 9735 },
          { type: 'dns', address: 'bob.example', port: 9736 },
        ]),
      }),
    );
    deepEqual(listnodes(g, { id: hex(2) }), [
      {
        nodeid: hex(2),
        alias: 'bob ⚡',
        color: '010203',
        last_timestamp: NOW,
        features: '0800',
        addresses: [
          { type: 'ipv6', address: '::1', port: 9735 },
          { type: 'dns', address: 'bob.example', port: 9736 },
        ],
      },
    ]);
    deepEqual(listnodes(g, { id: hex(7) }), []);
    throws(() => listnodes(g, { id: 'zz' }), QueryError, 'bad_params');
  });
  it('a node_announcement for a node without channels is not kept; older ones do not replace', () => {
    const g = new Graph();
    const ann = (i: number, timestamp: number) => ({
      node_id: id(i),
      timestamp,
      features: new Uint8Array(0),
      rgb_color: new Uint8Array(3),
      alias: new Uint8Array(32),
      addresses: new Uint8Array(0),
    });
    ok(!g.applyNodeAnnouncement(ann(5, NOW)));
    chan(g, 1, 5, 6);
    ok(g.applyNodeAnnouncement(ann(5, NOW)));
    ok(!g.applyNodeAnnouncement(ann(5, NOW)));
    ok(!g.applyNodeAnnouncement(ann(5, NOW - 1)));
    equal(g.nodeAnnouncementTimestamp(id(5)), NOW);
    equal(g.nodeAnnouncementTimestamp(id(6)), undefined);
  });
});

describe('graph storage', () => {
  it('grows past its initial size and keeps every adjacency', () => {
    const g = new Graph({ channels: 16, nodes: 16 });
    // A star around node 1 plus a ring: 150 channels over 76 nodes.
    for (let i = 0; i < 75; i++) {
      const s = chan(g, 1000 + i, 1, 2 + i);
      g.applyChannelUpdate(upd(s, 0));
      const r = chan(g, 2000 + i, 2 + i, 2 + ((i + 1) % 75));
      g.applyChannelUpdate(upd(r, 1));
    }
    equal(g.channelCount, 150);
    equal(g.nodeCount, 76);
    equal(listchannels(g, { source: hex(1) }).length, 75);
    equal(listchannels(g, { destination: hex(1) }).length, 0);
    equal(g.channel(scid(1074))?.node_id_2.length, 33);
    equal(toHex(g.channel(scid(1074))!.node_id_2), hex(76));
  });
  it('removing a channel unlinks it and forgets nodes left without channels; slots are reused', () => {
    const g = new Graph();
    const a = chan(g, 1, 1, 2);
    const b = chan(g, 2, 2, 3);
    const c = chan(g, 3, 2, 4);
    for (const s of [a, b, c]) g.applyChannelUpdate(upd(s, 0));
    const bSlot = g.findChannel(b);
    ok(g.removeChannel(b));
    ok(!g.removeChannel(b));
    equal(g.channel(b), undefined);
    ok(!g.nodeHasChannel(id(3)));
    ok(g.nodeHasChannel(id(2)));
    deepEqual(
      listchannels(g, { source: hex(2) })
        .map(e => e.short_channel_id)
        .sort(),
      ['3x1x0'],
    );
    deepEqual(
      listchannels(g, { destination: hex(2) }).map(e => e.short_channel_id),
      ['1x1x0'],
    );
    const d = chan(g, 4, 5, 6);
    equal(g.findChannel(d), bSlot);
    equal(g.channelSlots, 3);
    equal(g.channelCount, 3);
    equal(listnodes(g).length, 5);
  });
  it("answers validation's questions (GossipView)", () => {
    const g = new Graph();
    const s = chan(g, 1, 1, 2, 5000);
    deepEqual(g.channel(s), { node_id_1: id(1), node_id_2: id(2), capacity_sat: 5000, spent: false });
    equal(g.channelUpdate(s, 0), undefined);
    g.applyChannelUpdate(upd(s, 0, { max: (1n << 64n) - 1n }));
    equal(g.channelUpdate(s, 0)?.htlc_maximum_msat, (1n << 64n) - 1n);
    ok(!g.applyChannelUpdate(upd(s, 0)), 'same timestamp does not replace');
    ok(!g.applyChannelUpdate(upd(99n, 0)), 'unknown channel');
  });
});

describe('pruning (BOLT 7 "Pruning the Network View")', () => {
  it("stale: both directions older than two weeks by default; either, as the spec's letter, on request", () => {
    const old = NOW - STALE_SECONDS - 1;
    const build = () => {
      const g = new Graph();
      const both = chan(g, 1, 1, 2);
      g.applyChannelUpdate(upd(both, 0, { timestamp: old }));
      g.applyChannelUpdate(upd(both, 1, { timestamp: old }));
      const one = chan(g, 2, 2, 3);
      g.applyChannelUpdate(upd(one, 0, { timestamp: old }));
      g.applyChannelUpdate(upd(one, 1, { timestamp: NOW }));
      const lone = chan(g, 3, 3, 4);
      g.applyChannelUpdate(upd(lone, 0, { timestamp: old }));
      const fresh = chan(g, 4, 4, 5);
      g.applyChannelUpdate(upd(fresh, 1, { timestamp: NOW - STALE_SECONDS }));
      chan(g, 5, 5, 6); // no update yet: kept
      return g;
    };
    const g = build();
    deepEqual(g.pruneStale(NOW), [scid(1), scid(3)]);
    ok(!g.nodeHasChannel(id(1)));
    equal(g.channelCount, 3);
    deepEqual(build().pruneStale(NOW, 'either'), [scid(1), scid(2), scid(3)]);
  });
  it('spent: closed at once (inactive, updates refused), forgotten 12 blocks later', () => {
    const g = new Graph();
    const s = chan(g, 1, 1, 2);
    g.applyChannelUpdate(upd(s, 0));
    ok(g.markSpent(s, 800_000));
    equal(g.channel(s)?.spent, true);
    equal(listchannels(g)[0]!.active, false);
    deepEqual(g.pruneSpent(800_011), []);
    deepEqual(g.pruneSpent(800_012), [s]);
    equal(g.channelCount, 0);
    equal(g.nodeCount, 0);
    ok(!g.markSpent(s, 1));
  });
});
