// gossipd's raw gossip index (raw.ts): what the sync reads of a channel's ends.
import { concat, toHex } from '../../src/core/base/bytes.ts';
import { RawGossip } from '../../src/core/daemons/gossipd/raw.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const id = (i: number) => concat(new Uint8Array([2]), new Uint8Array(32).fill(i));

describe('gossipd raw gossip', () => {
  it("unannouncedEnds: a channel's node ids, less those whose node_announcement is held", () => {
    const g = new Graph();
    const raw = new RawGossip(g, async keys => keys.map(() => undefined));
    const s = scidFromParts({ block: 700_000, txindex: 1, outnum: 0 });
    equal(raw.unannouncedEnds(s), undefined, 'not in the graph yet');
    ok(g.addChannel({ short_channel_id: s, node_id_1: id(1), node_id_2: id(2), features: new Uint8Array(0) }));
    deepEqual(raw.unannouncedEnds(s), [toHex(id(1)), toHex(id(2))]);
    const announce = (i: number, timestamp: number) =>
      g.applyNodeAnnouncement({
        node_id: id(i),
        timestamp,
        features: new Uint8Array(0),
        rgb_color: new Uint8Array(3),
        alias: new Uint8Array(32),
        addresses: new Uint8Array(0),
      });
    ok(announce(2, 1_700_000_000));
    deepEqual(raw.unannouncedEnds(s), [toHex(id(1)), undefined]);
    ok(announce(1, 1_700_000_000));
    deepEqual(raw.unannouncedEnds(s), [undefined, undefined]);
  });
});
