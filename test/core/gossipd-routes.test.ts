// gossipd's candidate routes for lightningd's payments (gossipd/routes.ts): from us and from the
// peers of our private channels, several channel-disjoint routes per destination, the payer's
// exclusions honoured, half the amount asked when nothing carries all of it, and only the
// channels those routes use answered.
import { toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { candidateRoutes, type RoutesQuery } from '../../src/core/daemons/gossipd/routes.ts';
import { paymentGraph } from '../../src/core/daemons/lightningd/pay-graph.ts';
import type { ListChannelsEntry } from '../../src/core/gossip/list.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';

const node = (s: string) => toHex(getPublicKey(sha256(new TextEncoder().encode(s))));
const US = node('us');
const M = node('m');
const D = node('d');
const X = (i: number) => node(`x${i}`);

function half(scid: string, source: string, destination: string, fee: number, max = 1e9): ListChannelsEntry {
  const direction = source < destination ? 0 : 1;
  return {
    source,
    destination,
    short_channel_id: scid,
    direction,
    public: true,
    amount_msat: max,
    message_flags: 1,
    channel_flags: direction,
    active: true,
    last_update: 1_800_000_000,
    base_fee_millisatoshi: fee,
    fee_per_millionth: 0,
    delay: 6,
    htlc_minimum_msat: 0,
    htlc_maximum_msat: max,
    features: '',
  };
}
const both = (scid: string, a: string, b: string, fee: number, max?: number) => [half(scid, a, b, fee, max), half(scid, b, a, fee, max)];

/** Four ways M → Xi → D, dearer with i; our channel to M is private (not in gossip). */
const graph = paymentGraph(
  US,
  [1, 2, 3, 4].flatMap(i => [...both(`200x${i}x0`, M, X(i), i), ...both(`201x${i}x0`, X(i), D, 0, i === 1 ? 20_000 : 1e9)]),
  [],
);
const query = (o: Partial<RoutesQuery> = {}): RoutesQuery => ({
  from: US,
  to: [D],
  amount_msat: 10_000n,
  final_cltv: 19,
  exclude: [],
  local: [{ short_channel_id: '100x1x0', peer: M }],
  ...o,
});
const via = (r: { hops: { id: string }[] }) => r.hops[0]!.id;

describe('gossipd: candidate routes for payments', () => {
  it('routes from the peer of a private channel: three channel-disjoint routes, cheapest first, and only their channels', () => {
    const a = candidateRoutes(graph, query());
    deepEqual(
      a.routes.map(r => [r.from, r.to, via(r)]),
      [1, 2, 3].map(i => [M, D, X(i)]),
    );
    deepEqual([...new Set(a.channels.map(c => c.short_channel_id))].sort(), [
      '200x1x0',
      '200x2x0',
      '200x3x0',
      '201x1x0',
      '201x2x0',
      '201x3x0',
    ]);
    equal(a.channels.length, 12, 'both directions of each');
  });

  it('routes from us over a public channel of ours with our channel_update, and from the peer when gossip lacks our side', () => {
    const mine = (ours: boolean) =>
      paymentGraph(US, [...(ours ? both('150x1x0', US, M, 0) : [half('150x1x0', M, US, 0)]), ...both('200x1x0', M, D, 5)], []);
    const q = query({ local: [{ short_channel_id: '150x1x0', peer: M }], count: 1 });
    deepEqual(
      candidateRoutes(mine(true), q).routes.map(r => [r.from, r.hops.map(h => h.channel).join(',')]),
      [[US, '150x1x0,200x1x0']],
    );
    deepEqual(
      candidateRoutes(mine(false), q).routes.map(r => [r.from, r.hops.map(h => h.channel).join(',')]),
      [[M, '200x1x0']],
    );
  });

  it('honours the exclusions: a channel direction, a node; an excluded private channel is no source', () => {
    const ch = candidateRoutes(graph, query({ exclude: [`201x1x0/${X(1) < D ? 0 : 1}`] }));
    deepEqual(ch.routes.map(via), [X(2), X(3), X(4)]);
    const nd = candidateRoutes(graph, query({ exclude: [X(2)] }));
    deepEqual(nd.routes.map(via), [X(1), X(3), X(4)]);
    equal(candidateRoutes(graph, query({ exclude: [M] })).routes.length, 0);
    equal(candidateRoutes(graph, query({ exclude: ['100x1x0/0'] })).routes.length, 0);
  });

  it('an amount one route cannot carry skips it; one no route carries is halved until some route does', () => {
    deepEqual(candidateRoutes(graph, query({ amount_msat: 30_000n })).routes.map(via), [X(2), X(3), X(4)]);
    const big = candidateRoutes(graph, query({ amount_msat: 3_000_000_000n, count: 1 }));
    deepEqual(big.routes.map(via), [X(2)], 'at 1/4 of the amount (750,000,000 msat)');
  });

  it('answers nothing for a destination gossip does not know (the payer has its hints), and routes to each destination asked', () => {
    equal(candidateRoutes(graph, query({ to: [node('private')] })).routes.length, 0);
    const two = candidateRoutes(graph, query({ to: [D, X(4)], count: 1 }));
    deepEqual(
      two.routes.map(r => [r.from, r.to, r.hops.at(-1)!.id]),
      [
        [M, D, D],
        [M, X(4), X(4)],
      ],
    );
    ok(
      two.channels.every(c => two.routes.some(r => r.hops.some(h => h.channel === c.short_channel_id))),
      'only channels of the routes',
    );
  });
});
