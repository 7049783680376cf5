// The Durable Object that holds an edge node (src/edge/node.ts). One object is one node: its node
// secret and lightningd's database (a value per record, src/edge/lightningd-storage-do.ts) live in
// this object's storage (`ctx.storage`); the secret is read only by the hsmd part of the node.
// Cloudflare may evict an idle object at any time: then the node and its peer sockets are gone,
// and the next request rebuilds it from storage (the same
// node id, the same known peers) and gossipd loads its graph from the gossip store kept in the
// object's SQLite storage (src/edge/gossip-store-do.ts): route-ready without a peer. Nothing here
// listens: a Worker has no inbound TCP. While the node holds a channel the object keeps an alarm set
// (src/edge/alarm.ts): each alarm rebuilds the node if it was evicted (it redials its channels'
// peers), follows the chain to its tip, waits a bounded time for those peers, and sets the next.
import { DurableObject } from 'cloudflare:workers';
import { DoLightningdStorage } from './lightningd-storage-do.ts';
import { CloudflareSocketDialer } from '../transports/cloudflare-socket.ts';
import { answerText } from '../core/daemons/lightningd/rpc-text.ts';
import { buildEdgeNode, type EdgeNode, type SecretStore } from './node.ts';
import { DoGossipStore } from './gossip-store-do.ts';
import { keyValueWalletStorage } from '../core/wallet/state.ts';
import { kvHsmChannelStore } from './hsm-channels-kv.ts';
import { DEFAULT_ALARM_POLICY, msVar, nextWake, type AlarmPolicy, type ChannelTiming } from './alarm.ts';
// libsecp256k1 for gossip signatures, compiled by wrangler (a CompiledWasm module: workerd cannot
// compile WASM at run time).
import verifyWasm from '../wasm/secp256k1/verify.wasm';
// libsecp256k1 for channels, payments and onions (src/core/crypto/ec-engine.ts): tiny-secp256k1's
// build, compiled by wrangler the same way; @noble/secp256k1 if it does not instantiate.
import ecWasm from '../../node_modules/tiny-secp256k1/lib/secp256k1.wasm';
import { instantiateEcEngine, useEcEngine } from '../core/crypto/ec-engine.ts';

let ecReady: Promise<void> | undefined;
/** Installs libsecp256k1 as this isolate's engine, once; never rejects. */
function installEdgeEcEngine(): Promise<void> {
  ecReady ??= instantiateEcEngine(ecWasm, () => crypto.getRandomValues(new Int32Array(1))[0]!).then(useEcEngine, () => undefined);
  return ecReady;
}

export interface NodeEnv {
  /** 'bitcoin', 'testnet', 'testnet4', 'signet' or 'regtest' (default 'bitcoin'). */
  NETWORK?: string;
  ALIAS?: string;
  /** Daemons' console logging: 'debug', 'info' or 'warn' (default). */
  LOG_LEVEL?: string;
  /**
   * Esplora URLs, comma-separated: the node follows the chain and runs its on-chain wallet over them.
   * A Durable Object is evicted when idle, so blocks are read when a request wakes it, not as they come.
   */
  ESPLORA?: string;
  /** Milliseconds between alarms while an HTLC is in flight (default 30,000; src/edge/alarm.ts). */
  ALARM_HTLC_MS?: string;
  /** Milliseconds between alarms while the node holds channels without HTLCs (default 600,000). */
  ALARM_IDLE_MS?: string;
}

const SECRET_KEY = 'hsm_secret';
const MAX_BODY = 1 << 20;
/** How long an alarm waits for the peers of the node's channels to be connected again. */
const ALARM_PEERS_MS = 10_000;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export class BoltworkerNode extends DurableObject<NodeEnv> {
  #node: Promise<EdgeNode> | undefined;

  /** The node, built on first use after (re)start or eviction. */
  #get(): Promise<EdgeNode> {
    if (!this.#node) {
      const storage = this.ctx.storage;
      const secretStore: SecretStore = {
        load: async () => {
          const v = await storage.get<Uint8Array>(SECRET_KEY);
          return v instanceof Uint8Array ? v : undefined;
        },
        save: s => storage.put(SECRET_KEY, s),
      };
      // lightningd's records, one value each, a batch per transaction (lightningd-storage-do.ts).
      const state = new DoLightningdStorage(storage);
      const level = this.env.LOG_LEVEL === 'debug' || this.env.LOG_LEVEL === 'info' ? this.env.LOG_LEVEL : 'warn';
      const p = installEdgeEcEngine().then(() =>
        buildEdgeNode({
          network: this.env.NETWORK ?? 'bitcoin',
          alias: this.env.ALIAS,
          secretStore,
          hsmChannels: kvHsmChannelStore(storage),
          storage: state,
          gossipStore: new DoGossipStore(storage),
          // ESPLORA: comma-separated Esplora URLs; the wallet's state is one value of this object's storage.
          ...(this.env.ESPLORA ? { esplora: this.env.ESPLORA.split(',').map(u => u.trim()) } : {}),
          walletStorage: keyValueWalletStorage(storage),
          dialer: new CloudflareSocketDialer(),
          caps: { tcp: true, websocket: false },
          verifyWasm,
          log: level,
          // Stopped over the RPC (`stop`): the next request builds the node again.
          onStop: () => {
            if (this.#node === p) this.#node = undefined;
          },
        }),
      );
      // A failed build is not cached: the next request tries again.
      p.catch(() => {
        if (this.#node === p) this.#node = undefined;
      });
      this.#node = p;
    }
    return this.#node;
  }

  /** POST /rpc: one JSON-RPC 2.0 request (or a batch), answered as Core Lightning would. */
  override async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return new Response('POST a JSON-RPC 2.0 request\n', { status: 405, headers: { Allow: 'POST' } });
    const text = await request.text();
    if (text.length > MAX_BODY) return new Response('request too large\n', { status: 413 });
    let node: EdgeNode;
    try {
      node = await this.#get();
    } catch (e) {
      const message = `node failed to start: ${e instanceof Error ? e.message : String(e)}`;
      return json({ jsonrpc: '2.0', id: null, error: { code: -1, message } }, 500);
    }
    // Bounded and never throws (src/core/daemons/lightningd/rpc-text.ts).
    const answer = await answerText(node, text);
    // A request may have opened a channel or added an HTLC: the alarm follows (never later than planned).
    await this.#plan(node, false);
    return new Response(answer, { headers: { 'content-type': 'application/json' } });
  }

  /**
   * The alarm: the node, rebuilt if it was evicted (it redials its channels' peers and follows the
   * chain from where its database says), brought to the chain's tip, given a bounded time for its
   * peers to be back, and the next alarm set. A failed build throws: workerd retries the alarm.
   */
  override async alarm(): Promise<void> {
    const node = await this.#get();
    await node.sync().catch(() => undefined); // Logged by lightningd's chain; the next alarm tries again.
    await this.#peersBack(node);
    await this.#plan(node, true);
  }

  #policy(): AlarmPolicy {
    return {
      htlcMs: msVar(this.env.ALARM_HTLC_MS, DEFAULT_ALARM_POLICY.htlcMs),
      idleMs: msVar(this.env.ALARM_IDLE_MS, DEFAULT_ALARM_POLICY.idleMs),
    };
  }

  async #channels(node: EdgeNode): Promise<(ChannelTiming & { peer_connected: boolean; state: string })[]> {
    return ((await node.call('listpeerchannels', {})) as { channels: (ChannelTiming & { peer_connected: boolean; state: string })[] })
      .channels;
  }

  /**
   * Sets the alarm when the node must next wake (src/edge/alarm.ts). From a request (`fromAlarm`
   * false) an alarm already due sooner is kept; from the alarm, the next one is set or none.
   */
  async #plan(node: EdgeNode, fromAlarm: boolean): Promise<void> {
    // Stopped over the RPC (`stop`): its daemons are gone, nothing to ask; the next request plans.
    if (!this.#node || (await this.#node.catch(() => undefined)) !== node) return;
    try {
      const ms = nextWake(await this.#channels(node), this.#policy());
      const storage = this.ctx.storage;
      if (ms === undefined) {
        if (fromAlarm) await storage.deleteAlarm();
        return;
      }
      const at = Date.now() + ms;
      const set = fromAlarm ? null : await storage.getAlarm();
      if (set === null || set > at) await storage.setAlarm(at);
    } catch {
      // A node stopping (`stop`) lists nothing: the next request or alarm plans again.
    }
  }

  /** Waits (at most ALARM_PEERS_MS) until the peer of every channel channeld runs for (CHANNELD_*) is connected again. */
  async #peersBack(node: EdgeNode): Promise<void> {
    const until = Date.now() + ALARM_PEERS_MS;
    while (Date.now() < until) {
      const channels = await this.#channels(node).catch(() => []);
      if (channels.every(c => c.peer_connected || !c.state.startsWith('CHANNELD_'))) return;
      await new Promise(r => setTimeout(r, 100));
    }
  }
}
