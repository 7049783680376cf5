// A small Lightning network on `boltworker regtest` for payment interop tests: our whole Node node
// and several LDK nodes (each with its LdkDriver loop), channels opened by us (`fundchannel`) or by
// one LDK node to another (LDK's funding output paid by the chain's own wallet), every funding
// confirmed in one mining call and shown to every LDK node, all of them at the same tip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Address, OutScript } from '@scure/btc-signer';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { startNode } from '../../../src/node/node.ts';
import { REGTEST_NETWORK } from '../../../src/regtest/params.ts';
import { startRegtest, type RegtestHandle } from '../../../src/regtest/server-node.ts';
import { fundsWhen, postJson } from '../../support/regtest-client.ts';
import { showLdkBlock } from './confirm.ts';
import { LdkDriver } from './driver.ts';
import { startLdkPeer, type LdkPeer } from './peer.ts';
import { loadLdk } from './wasm.ts';

type Node = Awaited<ReturnType<typeof startNode>>;

export interface OurChannel {
  peer: string;
  scid: string;
  /** The short_channel_id as LDK writes it (u64). */
  scid64: bigint;
  /** BOLT 2 channel_ready aliases: ours (LDK's invoices hint it) and LDK's (ours hint it). */
  alias: { local?: string; remote?: string };
}

interface Opening {
  txid: string;
  depth: number;
}

export class LdkNetwork {
  private readonly openings: Opening[] = [];
  private readonly ports = new Map<string, number>();

  private constructor(
    readonly h: RegtestHandle,
    readonly node: Node,
    readonly ldks: LdkDriver[],
    private readonly peers: LdkPeer[],
    private readonly dir: string,
    /** What each LDK node broadcast and `publish` has not yet put on the chain, by node. */
    private readonly broadcasts: Uint8Array[][],
  ) {}

  /** A regtest chain, our node with `coins` confirmed coins of 1,000,000 sat, and `count` LDK nodes, each listening and running its loop. */
  static async start(name: string, count: number, coins: number): Promise<LdkNetwork> {
    await loadLdk();
    const h = await startRegtest({ port: 0, premine: 101 });
    const dir = mkdtempSync(join(tmpdir(), `bw-${name}-`));
    const peers: LdkPeer[] = [];
    const broadcasts: Uint8Array[][] = [];
    let node: Node | undefined;
    try {
      node = await startNode({ network: 'regtest', lightningDir: dir, esplora: h.url, verifyWorkers: 1 });
      for (let i = 0; i < count; i++) {
        const sent: Uint8Array[] = [];
        broadcasts.push(sent);
        peers.push(await startLdkPeer({ name: `${name}-${i + 1}`, userConfig: routingConfig(), broadcast: txs => sent.push(...txs) }));
      }
    } catch (e) {
      await node?.stop();
      for (const p of peers) await p.stop();
      await h.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    let net: LdkNetwork;
    const drivers = peers.map(p => new LdkDriver(p, (script, value) => net.payTo(script, value)));
    net = new LdkNetwork(h, node, drivers, peers, dir, broadcasts);
    for (const d of drivers) net.ports.set(d.nodeId, await d.peer.listen());
    for (const d of drivers) d.start();
    const n = node;
    for (let i = 0; i < coins; i++) {
      const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      await net.control('/regtest/send', { address: bech32, amount_sat: 1_000_000 });
    }
    await net.control('/regtest/mine', { blocks: 1 });
    await fundsWhen(
      () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
      f => f.outputs.filter(o => o.status === 'confirmed').length === coins,
      'our coins confirmed',
    );
    for (const d of drivers) await n.call('connect', { id: `${d.nodeId}@127.0.0.1:${net.ports.get(d.nodeId)}` });
    return net;
  }

  control(path: string, body: unknown): Promise<any> {
    return postJson(`${this.h.url}${path}`, body);
  }

  async get(path: string): Promise<string> {
    return (await fetch(`${this.h.url}${path}`)).text();
  }

  /** The chain's wallet pays `value` sat to `script`; the transaction, serialized (in the mempool). */
  async payTo(script: Uint8Array, value: bigint): Promise<Uint8Array> {
    const address = Address(REGTEST_NETWORK).encode(OutScript.decode(script));
    const { txid } = (await this.control('/regtest/send', { address, amount_sat: Number(value) })) as { txid: string };
    this.openings.push({ txid, depth: 6 });
    return fromHex(await this.get(`/tx/${txid}/hex`));
  }

  /** We open a private channel of `sat` to LDK node `to`, pushing `pushMsat`. Confirmed by `confirmAll`. */
  async open(to: LdkDriver, sat: number, pushMsat = 0): Promise<string> {
    const r = (await this.node.call('fundchannel', {
      id: to.nodeId,
      amount: sat,
      feerate: '253perkw',
      announce: false,
      push_msat: pushMsat,
    })) as { txid: string; mindepth: number; channel_id: string };
    this.openings.push({ txid: r.txid, depth: r.mindepth });
    return r.channel_id;
  }

  /** LDK node `from` opens a private channel of `sat` to LDK node `to`, pushing `pushMsat`; its funding is in the mempool when this resolves. */
  async ldkOpen(from: LdkDriver, to: LdkDriver, sat: number, pushMsat = 0n): Promise<void> {
    if (!from.peer.connectedPeers().includes(to.nodeId)) await from.peer.connect(to.nodeId, '127.0.0.1', this.ports.get(to.nodeId)!);
    const r = from.cm.create_channel(fromHex(to.nodeId), BigInt(sat), pushMsat, 42n, null, null);
    if (!r.is_ok()) throw new Error('LDK did not start the channel');
    from.pump();
    await from.until(() => from.events.some(e => e instanceof ldk.Event_FundingGenerationReady), 'asked for a funding transaction');
    await from.fundingDone();
    await from.event((e): e is ldk.Event_ChannelPending => e instanceof ldk.Event_ChannelPending, 'the channel pending');
  }

  /**
   * Mines every funding opened so far to its depth in one call, shows every LDK node the block that
   * holds them and the tip, and waits until our node is at the tip and every channel is usable.
   */
  async confirmAll(): Promise<void> {
    const txids = this.openings.map(o => o.txid);
    const depth = Math.max(...this.openings.map(o => o.depth));
    this.openings.length = 0;
    await this.control('/regtest/mine', { blocks: depth });
    const height = this.h.chain.height - depth + 1;
    for (const d of this.ldks) await showLdkBlock(d.peer, this.h.url, height, txids);
    await this.atTip();
    await fundsWhen(
      () => this.node.call('listpeerchannels', {}) as Promise<{ channels: { state: string; status: string[] }[] }>,
      l => l.channels.every(c => c.state === 'CHANNELD_NORMAL' && /channeld normal/.test(c.status[0] ?? '')),
      'every channel of ours in normal operation',
    );
    for (const d of this.ldks) await d.until(() => d.cm.list_channels().every(c => c.get_is_usable()), 'every channel usable');
  }

  /**
   * Puts what LDK node `d` broadcast since the last call in the chain's mempool (as its own chain
   * client would). LDK broadcasts again what it already did: the chain's refusals are returned.
   */
  async publish(d: LdkDriver): Promise<{ txids: string[]; refused: string[] }> {
    const txs = this.broadcasts[this.ldks.indexOf(d)]!.splice(0);
    const out = { txids: [] as string[], refused: [] as string[] };
    for (const tx of txs) {
      const r = await fetch(`${this.h.url}/tx`, { method: 'POST', body: toHex(tx) });
      (r.status === 200 ? out.txids : out.refused).push(await r.text());
    }
    return out;
  }

  /** Shows LDK node `d`'s ChainMonitor (its on-chain claims) the block at `height` with `txids` in it, then the tip. */
  async showMonitor(d: LdkDriver, height: number, txids: string[]): Promise<void> {
    await showLdkBlock(d.peer, this.h.url, height, txids, 'monitor');
  }

  /** Mines `blocks` and shows every LDK node the new tip. */
  async mine(blocks: number): Promise<void> {
    await this.control('/regtest/mine', { blocks });
    for (const d of this.ldks) await showLdkBlock(d.peer, this.h.url, this.h.chain.height, []);
    await this.atTip();
  }

  /** Waits until our node's blockheight is the chain's tip (the CLTVs we check are the ones LDK computed). */
  async atTip(): Promise<void> {
    await fundsWhen(
      async () => ((await this.node.call('getinfo', {})) as { blockheight: number }).blockheight,
      height => height === this.h.chain.height,
      'our node at the tip',
    );
  }

  /** Our channels, by peer, with their short_channel_ids. */
  async channels(): Promise<OurChannel[]> {
    const { channels } = (await this.node.call('listpeerchannels', {})) as {
      channels: { peer_id: string; short_channel_id: string; alias?: { local?: string; remote?: string } }[];
    };
    return channels.map(c => ({ peer: c.peer_id, scid: c.short_channel_id, scid64: scid64(c.short_channel_id), alias: { ...c.alias } }));
  }

  async stop(): Promise<void> {
    for (const d of this.ldks) d.stop();
    await this.node.stop();
    for (const p of this.peers) await p.stop();
    await this.h.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * LDK's default config, but forwarding over private channels too (LDK refuses that by default with
 * unknown_next_peer; every channel here is private, as our node announces none).
 */
function routingConfig(): ldk.UserConfig {
  const c = ldk.UserConfig.constructor_default();
  c.set_accept_forwards_to_priv_channels(true);
  return c;
}

/** "BLOCKxTXxOUT" as the u64 LDK uses. */
export function scid64(s: string): bigint {
  const [b, t, o] = s.split('x').map(BigInt) as [bigint, bigint, bigint];
  return (b << 40n) | (t << 16n) | o;
}
