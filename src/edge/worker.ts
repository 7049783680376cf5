// The node Worker: `POST /rpc` (JSON-RPC 2.0, Core Lightning's methods) goes to the Durable Object
// that holds the node (src/edge/node-object.ts); `GET /bridge/{host}:{port}` is the
// WebSocket-to-TCP bridge (src/edge/bridge-worker.ts). Config: src/edge/wrangler.node.toml.
//
// The RPC controls a node: deploy it behind authentication (e.g. Cloudflare Access), or set
// RPC_TOKEN and send `Authorization: Bearer <token>`.
import { handleBridgeRequest, type BridgeEnv } from './bridge-worker.ts';
import type { NodeEnv } from './node-object.ts';

export { BoltworkerNode } from './node-object.ts';

export interface Env extends BridgeEnv, NodeEnv {
  NODE: DurableObjectNamespace;
  /** The node's name among this namespace's objects (default 'default'). */
  NODE_NAME?: string;
  /** If set, /rpc requires `Authorization: Bearer RPC_TOKEN`. */
  RPC_TOKEN?: string;
}

/** Compares in time independent of where the strings differ. */
function sameToken(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/rpc') {
      if (request.method !== 'POST') return new Response('POST a JSON-RPC 2.0 request\n', { status: 405, headers: { Allow: 'POST' } });
      if (env.RPC_TOKEN && !sameToken(request.headers.get('Authorization') ?? '', `Bearer ${env.RPC_TOKEN}`)) {
        return new Response('unauthorized\n', { status: 401 });
      }
      const stub = env.NODE.get(env.NODE.idFromName(env.NODE_NAME ?? 'default'));
      return stub.fetch(request);
    }
    if (path.startsWith('/bridge/')) return handleBridgeRequest(request, env);
    return new Response('boltworker: POST /rpc, or a WebSocket to /bridge/{host}:{port}\n', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
