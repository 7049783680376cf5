// The edge cold-start bench's Worker (bench/gossip-edge.node.bench.ts starts it under miniflare): a
// Durable Object of the node's class name, so its SQLite storage is the one the node Worker
// (src/edge/worker.ts) opens afterwards on the same persist directory.
//   POST /fill     framed gossip messages (u32 length, then the message), stored as gossipd stores
//                  them (bench/cold/records.ts), as one batch
//   POST /stats    the store's stats
//   POST /cold     bench/cold/measure.ts in this object: open the store, gossipd.load(), one getroute
import { DurableObject } from 'cloudflare:workers';
import { DoGossipStore } from '../../src/edge/gossip-store-do.ts';
import { fromHex } from '../../src/core/base/bytes.ts';
import type { GossipRecord } from '../../src/core/gossip/store.ts';
import { recordOf } from './records.ts';
import { measureColdStart, type ColdStartRequest } from './measure.ts';

interface Env {
  NODE: DurableObjectNamespace;
}

export class BoltworkerNode extends DurableObject<Env> {
  #store: Promise<DoGossipStore> | undefined;

  #open(): Promise<DoGossipStore> {
    this.#store ??= (async () => {
      const s = new DoGossipStore(this.ctx.storage);
      await s.load(() => undefined);
      return s;
    })();
    return this.#store;
  }

  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/fill') {
      const body = new Uint8Array(await request.arrayBuffer());
      const dv = new DataView(body.buffer);
      const records: GossipRecord[] = [];
      for (let at = 0; at < body.length;) {
        const len = dv.getUint32(at);
        records.push(recordOf(body.subarray(at + 4, at + 4 + len)));
        at += 4 + len;
      }
      await (await this.#open()).writeBatch(records);
      return Response.json({ records: records.length });
    }
    if (path === '/stats') return Response.json(await (await this.#open()).stats());
    if (path === '/cold') {
      const r = (await request.json()) as ColdStartRequest;
      const result = await measureColdStart(async () => new DoGossipStore(this.ctx.storage), r, fromHex(r.chainHash));
      return Response.json(result);
    }
    return new Response('not found', { status: 404 });
  }
}

export default {
  fetch: (request: Request, env: Env): Promise<Response> => env.NODE.get(env.NODE.idFromName('default')).fetch(request),
} satisfies ExportedHandler<Env>;
