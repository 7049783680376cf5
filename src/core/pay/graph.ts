// The payer's PayGraph (route.ts) over gossipd's Graph: paths from getroute (src/core/gossip/route.ts,
// this node as `fromid`), policies and signers from the graph's channel_updates and announcements.

import { RouteError } from '../gossip/errors.ts';
import type { Graph } from '../gossip/graph.ts';
import { getroute } from '../gossip/route.ts';
import { parseScid } from '../wire/scid.ts';
import type { PayGraph } from './route.ts';

/** Core Lightning's default riskfactor for pay. */
export const PAY_RISKFACTOR = 10;

export function graphForPayments(graph: Graph, self: string): PayGraph {
  return {
    route(q) {
      try {
        const { route } = getroute(graph, {
          id: q.destination,
          amount_msat: q.amount_msat,
          riskfactor: PAY_RISKFACTOR,
          cltv: q.final_cltv,
          fromid: self,
          exclude: q.exclude,
        });
        return route.map(h => ({ id: h.id, channel: h.channel, direction: h.direction }));
      } catch (e) {
        if (e instanceof RouteError) return undefined;
        throw e;
      }
    },
    policy: (channel, direction) => graph.channelUpdate(parseScid(channel), direction),
    signer(channel, direction) {
      const c = graph.channel(parseScid(channel));
      return c ? (direction === 0 ? c.node_id_1 : c.node_id_2) : undefined;
    },
  };
}
