// The graph's reads by slot (graph.ts), which gossipd uses instead of the arrays: each agrees with
// what was applied, and follows removal and slot reuse.
import { concat, toHex } from '../../src/core/base/bytes.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const id = (i: number) => concat(new Uint8Array([2]), new Uint8Array(32).fill(i));
const scid = (b: number) => scidFromParts({ block: b, txindex: 1, outnum: 0 });
const NOW = 1_700_000_000;

function chan(g: Graph, b: number, x: number, y: number): bigint {
  const s = scid(b);
  ok(g.addChannel({ short_channel_id: s, node_id_1: id(x), node_id_2: id(y), features: new Uint8Array(0) }));
  return s;
}

function update(s: bigint, direction: 0 | 1, timestamp: number) {
  return {
    short_channel_id: s,
    timestamp,
    message_flags: 1,
    channel_flags: direction,
    cltv_expiry_delta: 40,
    htlc_minimum_msat: 1000n,
    fee_base_msat: 1000,
    fee_proportional_millionths: 10,
    htlc_maximum_msat: 990_000_000n,
  };
}

describe('graph reads by slot', () => {
  it('channel slot: ends, scid, update timestamps, spend', () => {
    const g = new Graph();
    const s = chan(g, 700_000, 1, 2);
    const c = g.findChannel(s);
    ok(g.channelAt(c));
    equal(g.scidAt(c), s);
    deepEqual(g.endsAt(c), [toHex(id(1)), toHex(id(2))]);
    deepEqual(g.nodesAt(c), [g.findNode(id(1)), g.findNode(id(2))]);
    equal(g.updateTimestampAt(c, 0), -1);
    ok(g.applyChannelUpdate(update(s, 1, NOW)));
    equal(g.updateTimestampAt(c, 0), -1);
    equal(g.updateTimestampAt(c, 1), NOW);
    equal(g.capacityAt(c), undefined, 'capacity unknown without a chain source');
    ok(g.setCapacity(s, 250_000));
    equal(g.capacityAt(c), 250_000);
    equal(g.spentAt(c), 0);
    ok(g.markSpent(s, 800_000));
    equal(g.spentAt(c), 800_000);
    deepEqual([...g.channelIds()], [s]);
  });

  it('node slot: id, announcement timestamp and addresses, its channels', () => {
    const g = new Graph();
    const a = chan(g, 700_000, 1, 2);
    const b = chan(g, 700_001, 1, 3);
    const n = g.findNode(id(1));
    equal(g.nodeHex(n), toHex(id(1)));
    equal(g.nodeTimestampAt(n), -1);
    equal(g.nodeAddressesAt(n), undefined);
    const addresses = new Uint8Array([1, 127, 0, 0, 1, 0x26, 0x07]);
    ok(
      g.applyNodeAnnouncement({
        node_id: id(1),
        timestamp: NOW,
        features: new Uint8Array(0),
        rgb_color: new Uint8Array(3),
        alias: new Uint8Array(32),
        addresses,
      }),
    );
    equal(g.nodeTimestampAt(n), NOW);
    deepEqual(g.nodeAddressesAt(n), addresses);
    const seen: bigint[] = [];
    equal(
      g.someChannelOf(n, s => (seen.push(s), false)),
      false,
    );
    deepEqual(seen.sort(), [a, b].sort());
    ok(g.someChannelOf(n, s => s === b));
    equal(
      g.someChannelOf(-1, () => true),
      false,
    );
  });

  it('a removed channel frees its slot, and the next channel there reads as itself', () => {
    const g = new Graph();
    const s = chan(g, 700_000, 1, 2);
    const c = g.findChannel(s);
    ok(g.applyChannelUpdate(update(s, 0, NOW)));
    ok(g.removeChannel(s));
    equal(g.channelAt(c), false);
    equal(g.nodeHex(g.findNode(id(1))), undefined);
    const t = chan(g, 700_005, 4, 5);
    equal(g.findChannel(t), c);
    equal(g.scidAt(c), t);
    equal(g.updateTimestampAt(c, 0), -1);
    deepEqual(g.endsAt(c), [toHex(id(4)), toHex(id(5))]);
  });

  it('node forwardability (BOLT 7: not with more than one DNS name) is decided when the announcement is applied', () => {
    const g = new Graph();
    const s = chan(g, 700_000, 1, 2);
    const dns = (name: string) => {
      const b = new TextEncoder().encode(name);
      return [5, b.length, ...b, 0x26, 0x07];
    };
    const announce = (i: number, timestamp: number, addresses: number[], forward?: boolean) =>
      g.applyNodeAnnouncement(
        {
          node_id: id(i),
          timestamp,
          features: new Uint8Array(0),
          rgb_color: new Uint8Array(3),
          alias: new Uint8Array(32),
          addresses: new Uint8Array(addresses),
        },
        forward,
      );
    const n = g.findNode(id(1));
    equal(g.nodeForwardableAt(n), false, 'no announcement held');
    ok(announce(1, NOW, [...dns('a.example'), ...dns('b.example')]));
    equal(g.nodeForwardableAt(n), false, 'two DNS names, read from the addresses');
    ok(announce(1, NOW + 1, dns('a.example')));
    equal(g.nodeForwardableAt(n), true, 'a newer one with one name');
    ok(announce(1, NOW + 2, dns('a.example'), false));
    equal(g.nodeForwardableAt(n), false, "validation's answer when given");
    equal(g.nodeForwardableAt(-1), false);
    // The slot freed and reused: the new node starts without the old one's verdict.
    ok(g.removeChannel(s));
    chan(g, 700_001, 3, 4);
    equal(g.findNode(id(3)) === n || g.findNode(id(4)) === n, true, 'slot reused');
    ok(announce(3, NOW, []) && announce(4, NOW, []));
    equal(g.nodeForwardableAt(n), true);
  });
});
