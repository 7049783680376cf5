// The connectd → gossipd link over Comlink, the same in every runtime: each batch of gossip
// (connectd/batch.ts) is a buffer of its own, transferred to gossipd's realm rather than copied,
// and gossipd's answer (a promise while it is behind) comes back as connectd's backpressure.
import * as Comlink from 'comlink';
import type { GossipLink } from '../core/daemons/connectd/types.ts';

/** connectd's side: calls gossipd's exposed link. */
export function gossipLinkTo(remote: Comlink.Remote<GossipLink>): GossipLink {
  return {
    newPeer: (id, features) => remote.newPeer(id, features),
    gossipBatch: (id, batch) => {
      // connectd packs every batch into a buffer of its own; anything else is copied first.
      const own = batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength ? batch : batch.slice();
      return remote.gossipBatch(id, Comlink.transfer(own, [own.buffer]));
    },
    peerGone: id => remote.peerGone(id),
  };
}

/** gossipd's side: what it exposes to connectd (only the link's three methods). */
export function gossipLinkOf(g: GossipLink): GossipLink {
  return { newPeer: (id, f) => g.newPeer(id, f), gossipBatch: (id, b) => g.gossipBatch(id, b), peerGone: id => g.peerGone(id) };
}

/** A node without gossipd. */
export const noGossip: GossipLink = { newPeer() {}, gossipBatch() {}, peerGone() {} };
