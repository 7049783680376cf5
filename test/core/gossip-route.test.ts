// getroute on small hand-made graphs whose answers are worked out by hand here: BOLT 7's own
// "Routing Example" (A, B, C, D), reverse directions, disabled channels, htlc limits, capacity,
// exclude, riskfactor (with the figures of Core Lightning's getroute doc), maxhops, no route.
import { concat, toHex } from '../../src/core/base/bytes.ts';
import { QueryError, RouteError } from '../../src/core/gossip/errors.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { getroute, type GetrouteParams } from '../../src/core/gossip/route.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { scidFromParts } from '../../src/core/wire/scid.ts';
import { deepEqual, equal, throws } from '../support/assert.ts';

const id = (i: number) => concat(new Uint8Array([2]), new Uint8Array(32).fill(i));
const hex = (i: number) => toHex(id(i));

interface Policy {
  base: number;
  ppm: number;
  delta: number;
  min?: bigint;
  max?: bigint;
  disabled?: boolean;
}

/** Adds channel `block`x1x0 between nodes x and y; pxy is x's policy for x → y (its channel_update). */
function link(
  g: Graph,
  block: number,
  x: number,
  y: number,
  pxy: Policy | null,
  pyx: Policy | null,
  capacity_sat?: number,
  features: Uint8Array = new Uint8Array(0),
): void {
  const s = scidFromParts({ block, txindex: 1, outnum: 0 });
  g.addChannel({ short_channel_id: s, node_id_1: id(Math.min(x, y)), node_id_2: id(Math.max(x, y)), features }, capacity_sat);
  for (const [from, to, p] of [
    [x, y, pxy],
    [y, x, pyx],
  ] as const) {
    if (!p) continue;
    const direction = from < to ? 0 : 1; // node_id_1 (the lesser) sends direction 0
    g.applyChannelUpdate({
      short_channel_id: s,
      timestamp: 1_700_000_000,
      message_flags: 1,
      channel_flags: direction | (p.disabled ? 2 : 0),
      cltv_expiry_delta: p.delta,
      htlc_minimum_msat: p.min ?? 0n,
      fee_base_msat: p.base,
      fee_proportional_millionths: p.ppm,
      htlc_maximum_msat: p.max ?? 10_000_000_000n,
    });
  }
}

// BOLT 7 "Routing Example": each node's policy on every channel it sends on.
const A = 1,
  B = 2,
  C = 3,
  D = 4;
const POLICY: Record<number, Policy> = {
  [A]: { base: 100, ppm: 1000, delta: 10 },
  [B]: { base: 200, ppm: 2000, delta: 20 },
  [C]: { base: 300, ppm: 3000, delta: 30 },
  [D]: { base: 400, ppm: 4000, delta: 40 },
};

/** The square A-B-C-D-A; `bc` overrides B's policy towards C, `cb` C's towards B. */
function square(over: { bc?: Partial<Policy>; cb?: Partial<Policy>; bcCapacity?: number } = {}): Graph {
  const g = new Graph();
  link(g, 1, A, B, POLICY[A]!, POLICY[B]!);
  link(g, 2, B, C, { ...POLICY[B]!, ...over.bc }, { ...POLICY[C]!, ...over.cb }, over.bcCapacity);
  link(g, 3, A, D, POLICY[A]!, POLICY[D]!);
  link(g, 4, D, C, POLICY[D]!, POLICY[C]!);
  return g;
}

// "C also uses a min_final_cltv_expiry_delta of 18 ... add a shadow route to give an extra CLTV of 42".
const toC = (over: Partial<GetrouteParams> = {}): GetrouteParams => ({
  id: hex(C),
  fromid: hex(A),
  amount_msat: 4_999_999,
  riskfactor: 0,
  cltv: 18 + 42,
  ...over,
});

// A->B->C: "200 + ( 4999999 * 2000 / 1000000 ) = 10199", A->B's amount_msat 5010198, cltv_expiry +20+18+42.
const VIA_B = [
  { id: hex(B), channel: '1x1x0', direction: 0, amount_msat: 5_010_198, delay: 20 + 18 + 42, style: 'tlv' },
  { id: hex(C), channel: '2x1x0', direction: 0, amount_msat: 4_999_999, delay: 18 + 42, style: 'tlv' },
];
// A->D->C: "amount_msat: 5020398, cltv_expiry: current-block-height + 40 + 18 + 42". D > C, so D sends direction 1.
const VIA_D = [
  { id: hex(D), channel: '3x1x0', direction: 0, amount_msat: 5_020_398, delay: 40 + 18 + 42, style: 'tlv' },
  { id: hex(C), channel: '4x1x0', direction: 1, amount_msat: 4_999_999, delay: 18 + 42, style: 'tlv' },
];

describe('getroute: BOLT 7 Routing Example', () => {
  it("A->B->C is cheapest: B's fee on B->C, its delta on top of the final CLTV; A's own channel is free", () => {
    deepEqual(getroute(square(), toC()).route, VIA_B);
  });
  it('A->D->C when B is excluded', () => {
    deepEqual(getroute(square(), toC({ exclude: [hex(B)] })).route, VIA_D);
  });
  it('A->D->C when the half-channel B->C is excluded (short_channel_id/direction)', () => {
    deepEqual(getroute(square(), toC({ exclude: ['2x1x0/0'] })).route, VIA_D);
    // Excluding the other direction changes nothing.
    deepEqual(getroute(square(), toC({ exclude: ['2x1x0/1'] })).route, VIA_B);
  });
  it('C->B->A: directions from node_id_2 are 1, and B charges its fee on B->A', () => {
    // 1,000,000 to A: B->A fee 200 + 1,000,000 * 2000 / 1e6 = 2200 (D->A would cost 4400).
    deepEqual(getroute(square(), { id: hex(A), fromid: hex(C), amount_msat: 1_000_000, riskfactor: 0 }).route, [
      { id: hex(B), channel: '2x1x0', direction: 1, amount_msat: 1_002_200, delay: 9 + 20, style: 'tlv' },
      { id: hex(A), channel: '1x1x0', direction: 1, amount_msat: 1_000_000, delay: 9, style: 'tlv' },
    ]);
  });
  it('a disabled channel is not used, nor one whose other direction is disabled (as Core Lightning)', () => {
    deepEqual(getroute(square({ bc: { disabled: true } }), toC()).route, VIA_D);
    deepEqual(getroute(square({ cb: { disabled: true } }), toC()).route, VIA_D);
  });
  it('htlc_maximum_msat and htlc_minimum_msat are respected; amount 0 ignores the minimum', () => {
    deepEqual(getroute(square({ bc: { max: 4_999_998n } }), toC()).route, VIA_D);
    deepEqual(getroute(square({ bc: { max: 4_999_999n } }), toC()).route, VIA_B);
    deepEqual(getroute(square({ bc: { min: 5_000_000n } }), toC()).route, VIA_D);
    const probe = getroute(square({ bc: { min: 5_000_000n } }), toC({ amount_msat: 0 })).route;
    deepEqual(
      probe.map(h => [h.channel, h.amount_msat]),
      [
        ['1x1x0', 200],
        ['2x1x0', 0],
      ],
    );
  });
  it("the first hop's own limits apply to the amount it carries (fees included)", () => {
    const g = new Graph();
    link(g, 1, A, B, { ...POLICY[A]!, max: 5_010_197n }, POLICY[B]!);
    link(g, 2, B, C, POLICY[B]!, POLICY[C]!);
    link(g, 3, A, D, POLICY[A]!, POLICY[D]!);
    link(g, 4, D, C, POLICY[D]!, POLICY[C]!);
    deepEqual(getroute(g, toC()).route, VIA_D);
  });
  it('a channel smaller than the amount is not used', () => {
    // (htlc_maximum_msat within the capacity: above it, the channel is not used at all, below.)
    deepEqual(getroute(square({ bcCapacity: 4_999, bc: { max: 4_999_000n } }), toC()).route, VIA_D);
    deepEqual(getroute(square({ bcCapacity: 5_000, bc: { max: 5_000_000n } }), toC()).route, VIA_B);
  });
  it('a direction whose htlc_maximum_msat is above the capacity or below htlc_minimum_msat is not used (BOLT 7)', () => {
    // "if htlc_maximum_msat is greater than channel capacity: ... SHOULD ignore this channel during route considerations"
    deepEqual(getroute(square({ bcCapacity: 5_000, bc: { max: 5_000_001n } }), toC()).route, VIA_D);
    // "if htlc_maximum_msat < htlc_minimum_msat: SHOULD ignore this channel during route considerations"
    deepEqual(
      getroute(square({ bc: { min: 1n, max: 0n } }), toC({ amount_msat: 0 })).route.map(h => h.channel),
      ['3x1x0', '4x1x0'],
    );
    // Once the capacity is known to be large enough, it is used again.
    const g = square({ bcCapacity: 5_000, bc: { max: 6_000_000n } });
    g.setCapacity(g.scidAt(1), 6_000);
    deepEqual(getroute(g, toC()).route, VIA_B);
  });
  it('a direction without a channel_update is not used', () => {
    const g = new Graph();
    link(g, 1, A, B, POLICY[A]!, POLICY[B]!);
    link(g, 2, B, C, null, POLICY[C]!);
    throws(() => getroute(g, toC()), RouteError, 'route_not_found');
  });
  it('to oneself: an empty route', () => {
    deepEqual(getroute(square(), toC({ id: hex(A) })), { route: [] });
  });
});

describe('getroute: riskfactor, as Core Lightning prices it', () => {
  // S pays T through X (fee 1000, cltv_expiry_delta 144) or Y (fee 2000, delta 14). The payer's own
  // channels S->X and S->Y charge nothing, whatever they announce.
  const S = 20,
    X = 21,
    Y = 22,
    T = 23;
  function graph(): Graph {
    const g = new Graph();
    link(g, 10, S, X, { base: 1_000_000, ppm: 0, delta: 500 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 11, X, T, { base: 1000, ppm: 0, delta: 144 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 12, S, Y, { base: 0, ppm: 0, delta: 6 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 13, Y, T, { base: 2000, ppm: 0, delta: 14 }, { base: 0, ppm: 0, delta: 6 });
    return g;
  }
  const via = (riskfactor: number) => getroute(graph(), { id: hex(T), fromid: hex(S), amount_msat: 100_000_000, riskfactor }).route[0]!.id;
  it('riskfactor 0: the lower fee (X), even though S->X announces a huge fee S never pays', () => {
    equal(via(0), hex(X));
  });
  it('riskfactor 10: risk-fee = amount x delay x riskfactor / 5259600 makes Y cheaper', () => {
    // X: 1000 + floor(1e8 * 144 * 10 / 5259600) = 1000 + 27378; Y: 2000 + floor(1e8 * 14 * 10 / 5259600) = 2000 + 2661.
    equal(via(10), hex(Y));
    // riskfactor 1: X 1000 + 2737 = 3737, Y 2000 + 266 = 2266 → Y; riskfactor 0.1: X 1000 + 273 = 1273, Y 2000 + 26 → X.
    equal(via(1), hex(Y));
    equal(via(0.1), hex(X));
  });
  it("the route's amounts and delays do not include the risk fee", () => {
    deepEqual(getroute(graph(), { id: hex(T), fromid: hex(S), amount_msat: 100_000_000, riskfactor: 10, cltv: 9 }).route, [
      { id: hex(Y), channel: '12x1x0', direction: 0, amount_msat: 100_002_000, delay: 9 + 14, style: 'tlv' },
      { id: hex(T), channel: '13x1x0', direction: 0, amount_msat: 100_000_000, delay: 9, style: 'tlv' },
    ]);
  });
});

describe('getroute: maxhops, no route, bad parameters', () => {
  // S -> M1 -> M2 -> M3 -> T costs nothing; S -> X -> T costs X's 1000 msat.
  const S = 30,
    M1 = 31,
    M2 = 32,
    M3 = 33,
    T = 34,
    X = 35;
  const free: Policy = { base: 0, ppm: 0, delta: 10 };
  function graph(): Graph {
    const g = new Graph();
    link(g, 20, S, M1, free, free);
    link(g, 21, M1, M2, free, free);
    link(g, 22, M2, M3, free, free);
    link(g, 23, M3, T, free, free);
    link(g, 24, S, X, free, free);
    link(g, 25, X, T, { base: 1000, ppm: 0, delta: 10 }, free);
    link(g, 26, 40, 41, free, free); // an island
    return g;
  }
  const p = (over: Partial<GetrouteParams> = {}): GetrouteParams => ({
    id: hex(T),
    fromid: hex(S),
    amount_msat: 1000,
    riskfactor: 0,
    ...over,
  });
  it('the cheapest route when it fits in maxhops (default 20)', () => {
    deepEqual(
      getroute(graph(), p()).route.map(h => h.channel),
      ['20x1x0', '21x1x0', '22x1x0', '23x1x0'],
    );
    deepEqual(
      getroute(graph(), p()).route.map(h => [h.amount_msat, h.delay]),
      [
        [1000, 39],
        [1000, 29],
        [1000, 19],
        [1000, 9],
      ],
    );
  });
  it('a shorter route when the cheapest is too long', () => {
    deepEqual(getroute(graph(), p({ maxhops: 3 })).route, [
      { id: hex(X), channel: '24x1x0', direction: 0, amount_msat: 2000, delay: 19, style: 'tlv' },
      { id: hex(T), channel: '25x1x0', direction: 1, amount_msat: 1000, delay: 9, style: 'tlv' }, // X (35) > T (34)
    ]);
  });
  it('no route when even the shortest is too long', () => {
    const e = throws<RouteError>(() => getroute(graph(), p({ maxhops: 1 })), RouteError, 'route_too_long');
    equal(e.message, 'Shortest route was 2');
  });
  it('no route to an unreachable node, or around exclusions', () => {
    throws(() => getroute(graph(), p({ id: hex(40) })), RouteError, 'route_not_found');
    throws(() => getroute(graph(), p({ exclude: [hex(M2), hex(X)] })), RouteError, 'route_not_found');
    throws(() => getroute(graph(), p({ amount_msat: 20_000_000_000 })), RouteError, 'route_not_found');
  });
  it('unknown nodes and malformed parameters are typed errors', () => {
    throws(() => getroute(graph(), p({ id: hex(99) })), RouteError, 'unknown_destination');
    throws(() => getroute(graph(), p({ fromid: hex(99) })), RouteError, 'unknown_source');
    throws(() => getroute(graph(), p({ id: 'xyz' })), QueryError, 'bad_params');
    throws(() => getroute(graph(), p({ exclude: ['1x2x3'] })), QueryError, 'bad_params');
    throws(() => getroute(graph(), p({ exclude: ['1x2x3/2'] })), QueryError, 'bad_params');
    throws(() => getroute(graph(), p({ amount_msat: -1 })), QueryError, 'bad_params');
    throws(() => getroute(graph(), p({ amount_msat: 1.5 })), QueryError, 'bad_params');
    throws(() => getroute(graph(), p({ riskfactor: -1 })), QueryError, 'bad_params');
    throws(() => getroute(graph(), p({ maxhops: -1 })), QueryError, 'bad_params');
  });
  it('accepts bigint amounts and unknown exclusions', () => {
    equal(getroute(graph(), p({ amount_msat: 1000n, exclude: ['999x1x1/0', hex(77)] })).route.length, 4);
  });
});

describe('getroute: BOLT 7 unknown even feature bits', () => {
  // Bit 100 is assigned to nothing (BOLT 9): even, it is unknown and required; 101 is unknown but optional.
  const bits = (...b: number[]) => FeatureVector.fromBits(b).toBytes();
  function squareWithChannelFeatures(features: Uint8Array): Graph {
    const g = new Graph();
    link(g, 1, A, B, POLICY[A]!, POLICY[B]!);
    link(g, 2, B, C, POLICY[B]!, POLICY[C]!, undefined, features);
    link(g, 3, A, D, POLICY[A]!, POLICY[D]!);
    link(g, 4, D, C, POLICY[D]!, POLICY[C]!);
    return g;
  }
  function announce(g: Graph, node: number, features: Uint8Array): void {
    g.applyNodeAnnouncement({
      node_id: id(node),
      timestamp: 1_700_000_000,
      features,
      rgb_color: new Uint8Array(3),
      alias: new Uint8Array(32),
      addresses: new Uint8Array(0),
    });
  }

  it('channel_announcement: "MUST NOT attempt to route messages through the channel"', () => {
    deepEqual(getroute(squareWithChannelFeatures(bits(100)), toC()).route, VIA_D);
    // Also in the second, fewest-hops search.
    throws(() => getroute(squareWithChannelFeatures(bits(100)), toC({ exclude: [hex(D)] })), RouteError, 'route_not_found');
  });
  it('a channel with only unknown odd bits, or known ones, is used', () => {
    deepEqual(getroute(squareWithChannelFeatures(bits(101)), toC()).route, VIA_B);
    deepEqual(getroute(squareWithChannelFeatures(new Uint8Array(0)), toC()).route, VIA_B);
  });
  it('node_announcement: "MUST NOT route a payment _through_ the node"', () => {
    const g = square();
    announce(g, B, bits(100));
    deepEqual(getroute(g, toC()).route, VIA_D);
    announce(g, D, bits(100));
    throws(() => getroute(g, toC()), RouteError, 'route_not_found');
  });
  it('a node with unknown odd bits or known features is routed through', () => {
    const g = square();
    announce(g, B, bits(101));
    deepEqual(getroute(g, toC()).route, VIA_B);
    announce(g, B, bits(14, 17)); // payment_secret, basic_mpp: BOLT 9 assigns both to node_announcement
    deepEqual(getroute(g, toC()).route, VIA_B);
  });
  it('the payer and the destination are not "through": their unknown bits do not block the route', () => {
    const g = square();
    announce(g, A, bits(100));
    announce(g, C, bits(100));
    deepEqual(getroute(g, toC()).route, VIA_B);
  });
  it('a later node_announcement without the bit makes the node usable again', () => {
    const g = square();
    announce(g, B, bits(100));
    deepEqual(getroute(g, toC()).route, VIA_D);
    g.applyNodeAnnouncement({
      node_id: id(B),
      timestamp: 1_700_000_001,
      features: bits(101),
      rgb_color: new Uint8Array(3),
      alias: new Uint8Array(32),
      addresses: new Uint8Array(0),
    });
    deepEqual(getroute(g, toC()).route, VIA_B);
  });
});

describe("getroute: the payer's first channel, as Core Lightning ranks routes", () => {
  // S pays T through X or Y. S->X announces fee 1,000,000 msat, S->Y nothing; X charges 1000, Y 2000.
  const S = 20,
    X = 21,
    Y = 22,
    T = 23;
  function graph(): Graph {
    const g = new Graph();
    link(g, 10, S, X, { base: 1_000_000, ppm: 0, delta: 6 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 11, X, T, { base: 1000, ppm: 0, delta: 10 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 12, S, Y, { base: 0, ppm: 0, delta: 6 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 13, Y, T, { base: 2000, ppm: 0, delta: 10 }, { base: 0, ppm: 0, delta: 6 });
    return g;
  }
  const p = (over: Partial<GetrouteParams> = {}): GetrouteParams => ({
    id: hex(T),
    fromid: hex(S),
    amount_msat: 100_000_000,
    riskfactor: 0,
    ...over,
  });
  it('from this node (localid = fromid, or no localid): its own channels cost it nothing', () => {
    equal(getroute(graph(), p()).route[0]!.id, hex(X));
    equal(getroute(graph(), p({ localid: hex(S) })).route[0]!.id, hex(X));
  });
  it("from another node: that node's first channel's fee counts when ranking (Core Lightning's Dijkstra)", () => {
    // X: 1,000,000 + 1000 > Y: 0 + 2000. The amounts still leave out the first channel's fee.
    deepEqual(getroute(graph(), p({ localid: hex(T) })).route, [
      { id: hex(Y), channel: '12x1x0', direction: 0, amount_msat: 100_002_000, delay: 9 + 10, style: 'tlv' },
      { id: hex(T), channel: '13x1x0', direction: 0, amount_msat: 100_000_000, delay: 9, style: 'tlv' },
    ]);
    // A localid that is not in the graph is not the payer either.
    equal(getroute(graph(), p({ localid: hex(99) })).route[0]!.id, hex(Y));
  });
  it("from another node: its first channel's risk counts too", () => {
    // Fees equal on both sides; S->P1 has cltv_expiry_delta 1000, S->P2 only 6.
    const P1 = 24,
      P2 = 25;
    const g = new Graph();
    link(g, 20, S, P1, { base: 0, ppm: 0, delta: 1000 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 21, P1, T, { base: 100, ppm: 0, delta: 10 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 22, S, P2, { base: 0, ppm: 0, delta: 6 }, { base: 0, ppm: 0, delta: 6 });
    link(g, 23, P2, T, { base: 150, ppm: 0, delta: 10 }, { base: 0, ppm: 0, delta: 6 });
    // From this node: P1 (100 + risk of P1->T) beats P2 (150 + the same risk).
    equal(getroute(g, p({ riskfactor: 10 })).route[0]!.id, hex(P1));
    // From elsewhere: S->P1's risk, 100,000,100 x 1000 x 10 / 5,259,600 = 190,114 msat, makes P2 cheaper.
    equal(getroute(g, p({ riskfactor: 10, localid: hex(T) })).route[0]!.id, hex(P2));
  });
  it('localid must be a node id', () => {
    throws(() => getroute(graph(), p({ localid: 'xyz' })), QueryError, 'bad_params');
  });
});
