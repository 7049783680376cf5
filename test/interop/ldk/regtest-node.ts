// Our whole Node node and an LDK node on `boltworker regtest`, for interop tests that open real
// channels: the chain's HTTP controls (test/node/regtest-nodes.ts, the harness the Node regtest
// tests share), and LDK shown the blocks through its Confirm interface (as an Electrum-style client
// would: LDK has no chain source of its own here).
import { regtestNodes, type Node } from '../../node/regtest-nodes.ts';
import type { RegtestHandle } from '../../../src/regtest/server-node.ts';
import { showLdkBlock } from './confirm.ts';
import { startLdkPeer, type LdkPeer, type LdkPeerOptions } from './peer.ts';

export interface RegtestWithLdk {
  h: RegtestHandle;
  /** Our node (a new one after restart()). */
  node: Node;
  peer: LdkPeer;
  /** POSTs to the chain's /regtest/ controls. */
  control(path: string, body: unknown): Promise<unknown>;
  /** GETs one of the chain's Esplora paths, as text. */
  get(path: string): Promise<string>;
  /** Shows LDK the block at `height` with the transactions it holds, then the tip (ChannelManager's Confirm). */
  showLdk(height: number, txids: string[]): Promise<void>;
  /** Our wallet gets a confirmed coin of `sat`, and our node connects to LDK. */
  fundAndConnect(sat: number): Promise<void>;
  /** Mines the funding transaction `txid` and `mindepth - 1` blocks on it, and shows LDK where it confirmed. */
  confirmFunding(txid: string, mindepth: number): Promise<number>;
  /** Stops our node and starts it again on its lightning-dir; `node` is then the new one. */
  restart(): Promise<Node>;
  stop(): Promise<void>;
}

/** A regtest chain (101 blocks premined), our node on it in a fresh lightning-dir, and an LDK peer named `name`. */
export async function startRegtestWithLdk(name: string, ldk: Omit<LdkPeerOptions, 'name'> = {}): Promise<RegtestWithLdk> {
  // connectd's own redial delays (1 s doubling), not the harness's 200 ms: once, on a loaded machine,
  // a quick redial after LDK's timeout disconnect met LDK's "loose channel_reestablish" error.
  const env = await regtestNodes(name, {});
  const dir = env.tmp();
  let node: Node;
  let peer: LdkPeer;
  try {
    node = await env.start(dir);
    peer = await startLdkPeer({ name, ...ldk });
  } catch (e) {
    await env.stop();
    throw e;
  }
  const { h, control } = env;
  const showLdk = (height: number, txids: string[]) => showLdkBlock(peer, h.url, height, txids);
  const r: RegtestWithLdk = {
    h,
    node,
    peer,
    control,
    get: async path => (await fetch(`${h.url}${path}`)).text(),
    showLdk,
    async fundAndConnect(sat) {
      await env.fund(r.node, sat);
      const port = await peer.listen();
      await r.node.call('connect', { id: `${peer.nodeId}@127.0.0.1:${port}` });
    },
    async confirmFunding(txid, mindepth) {
      await env.mine(1);
      const height = h.chain.height;
      await env.mine(mindepth - 1);
      await showLdk(height, [txid]);
      return height;
    },
    async restart() {
      await r.node.stop();
      r.node = await env.start(dir);
      return r.node;
    },
    async stop() {
      await r.node.stop();
      await peer.stop();
      await env.stop();
    },
  };
  return r;
}
