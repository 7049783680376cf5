// The harness the Node regtest tests share (node-lockin, node-channels, node-close, node-pay,
// node-forward, node-onchain, crash-pay, the LDK ones through test/interop/ldk/regtest-node.ts):
// `boltworker regtest` on a free loopback port (101 blocks premined), our whole Node nodes on it in
// fresh lightning-dirs, the chain's controls, a funded wallet, and one stop for all of it.
//
// The nodes follow the chain every CHAIN_POLL_MS (the `chainPollMs` option, 1 s by default on
// regtest) and, unless the test says otherwise, redial a peer that went away after RECONNECT_MS at
// first (connectd's reconnectInitialMs/reconnectMaxMs, 1 s doubling to 300 s by default): what a
// test waits for after it mines or restarts a node comes as soon as it can, never after a fixed sleep.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type NodeOptions } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { fundsWhen, postJson } from '../support/regtest-client.ts';

export type Node = Awaited<ReturnType<typeof startNode>>;

/** How often the test nodes ask the chain for new blocks. */
export const CHAIN_POLL_MS = 100;
/** The test nodes' first redial delay, and its ceiling (connectd doubles it up to there). */
export const RECONNECT_MS = { reconnectInitialMs: 200, reconnectMaxMs: 1_000 };

/** The options every test node starts with (a test's own `extra` options over them). */
export function nodeOptions(esplora: string, lightningDir: string, extra: Partial<NodeOptions> = {}): NodeOptions {
  return { network: 'regtest', lightningDir, esplora, verifyWorkers: 1, chainPollMs: CHAIN_POLL_MS, ...extra };
}

export interface RegtestNodes {
  h: RegtestHandle;
  /** A fresh directory, removed by stop(). */
  tmp(): string;
  /** Starts (or restarts) a node on `dir`; stop() stops it if the test has not. */
  start(dir: string, extra?: Partial<NodeOptions>): Promise<Node>;
  /** POSTs to the chain's /regtest/ controls. */
  control(path: string, body: unknown): Promise<any>;
  mine(blocks: number): Promise<unknown>;
  /** GETs one of the chain's Esplora paths, parsed. */
  get<T>(path: string): Promise<T>;
  /** `n`'s wallet gets a coin of `sat`, mined: resolves once listfunds shows it confirmed. */
  fund(n: Node, sat: number): Promise<void>;
  /** `from` connects to `to` (which listens). */
  connect(from: Node, to: Node): Promise<unknown>;
  /** Stops every node still running, the chain, and removes the directories. */
  stop(): Promise<void>;
}

/**
 * A regtest chain for a test named `name` (its directories are `bw-<name>-…`); its nodes start with
 * `defaults` under each start's own options (default: RECONNECT_MS).
 */
export async function regtestNodes(name: string, defaults: Partial<NodeOptions> = { connectdConfig: RECONNECT_MS }): Promise<RegtestNodes> {
  const h = await startRegtest({ port: 0, premine: 101 });
  const dirs: string[] = [];
  const started = new Set<Node>();
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  return {
    h,
    tmp() {
      const d = mkdtempSync(join(tmpdir(), `bw-${name}-`));
      dirs.push(d);
      return d;
    },
    async start(dir, extra) {
      const n = await startNode(
        nodeOptions(h.url, dir, { ...defaults, ...extra, connectdConfig: { ...defaults.connectdConfig, ...extra?.connectdConfig } }),
      );
      started.add(n);
      return n;
    },
    control,
    mine: blocks => control('/regtest/mine', { blocks }),
    async get<T>(path: string) {
      return (await (await fetch(`${h.url}${path}`)).json()) as T;
    },
    async fund(n, sat) {
      const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      const sent = (await control('/regtest/send', { address: bech32, amount_sat: sat })) as { txid: string };
      await control('/regtest/mine', { blocks: 1 });
      await fundsWhen(
        () => n.call('listfunds', {}) as Promise<{ outputs: { txid: string; status: string }[] }>,
        f => f.outputs.some(o => o.txid === sent.txid && o.status === 'confirmed'),
        `the coin of ${sat} sat confirmed`,
      );
    },
    connect: (from, to) => from.call('connect', { id: `${to.id}@127.0.0.1:${to.binding[0]!.port}` }),
    async stop() {
      for (const n of started) await n.stop().catch(() => undefined);
      await h.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Asks `read` every 100 ms (at most 1,200 times) until `pred` holds: nodes follow the regtest chain by polling it. */
export async function until<T>(read: () => Promise<T> | T, pred: (v: T) => boolean, what: string): Promise<T> {
  let v: T | undefined;
  for (let i = 0; i < 1200; i++) {
    v = await read();
    if (pred(v)) return v;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`never saw ${what}: ${JSON.stringify(v)}`);
}

type ListedChannel = { state: string; peer_connected: boolean; status: string[] };

/** Resolves once `n` has `count` channels, each in normal operation with its peer connected. */
export function channelsNormal(n: Node, count: number): Promise<unknown> {
  return until(
    async () => ((await n.call('listpeerchannels', {})) as { channels: ListedChannel[] }).channels,
    l => l.length === count && l.every(x => x.state === 'CHANNELD_NORMAL' && x.peer_connected && /channeld normal/.test(x.status[0] ?? '')),
    `${count} channels in normal operation`,
  );
}

/** A line of private channels `nodes[0]` → `nodes[1]` → ..., each funded by its opener with `sat`, all in normal operation. */
export async function privateLine(env: RegtestNodes, nodes: readonly Node[], sat: number): Promise<void> {
  for (const n of nodes.slice(0, -1)) await env.fund(n, 2 * sat);
  for (let i = 0; i + 1 < nodes.length; i++) {
    await env.connect(nodes[i]!, nodes[i + 1]!);
    await nodes[i]!.call('fundchannel', { id: nodes[i + 1]!.id, amount: sat, feerate: '2000perkw', announce: false });
  }
  await env.mine(3);
  for (let i = 0; i < nodes.length; i++) await channelsNormal(nodes[i]!, i === 0 || i === nodes.length - 1 ? 1 : 2);
}
