// Our whole Node node and an LDK node on `boltworker regtest`, for interop tests that open real
// channels: the chain's HTTP controls, and LDK shown the blocks through its Confirm interface (as an
// Electrum-style client would: LDK has no chain source of its own here).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../../src/regtest/server-node.ts';
import { fundsWhen, postJson } from '../../support/regtest-client.ts';
import { showLdkBlock } from './confirm.ts';
import { startLdkPeer, type LdkPeer, type LdkPeerOptions } from './peer.ts';

export interface RegtestWithLdk {
  h: RegtestHandle;
  node: Awaited<ReturnType<typeof startNode>>;
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
  stop(): Promise<void>;
}

/** A regtest chain (101 blocks premined), our node on it in a fresh lightning-dir, and an LDK peer named `name`. */
export async function startRegtestWithLdk(name: string, ldk: Omit<LdkPeerOptions, 'name'> = {}): Promise<RegtestWithLdk> {
  const h = await startRegtest({ port: 0, premine: 101 });
  const dir = mkdtempSync(join(tmpdir(), `bw-${name}-`));
  let node: RegtestWithLdk['node'] | undefined;
  let peer: LdkPeer;
  try {
    node = await startNode({ network: 'regtest', lightningDir: dir, esplora: h.url, verifyWorkers: 1 });
    peer = await startLdkPeer({ name, ...ldk });
  } catch (e) {
    await node?.stop();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const get = async (path: string) => (await fetch(`${h.url}${path}`)).text();
  const n = node;
  const showLdk = (height: number, txids: string[]) => showLdkBlock(peer, h.url, height, txids);
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  return {
    h,
    node: n,
    peer,
    control,
    get,
    showLdk,
    async fundAndConnect(sat) {
      const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      await control('/regtest/send', { address: bech32, amount_sat: sat });
      await control('/regtest/mine', { blocks: 1 });
      await fundsWhen(
        () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
        f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
        'the coin confirmed',
      );
      const port = await peer.listen();
      await n.call('connect', { id: `${peer.nodeId}@127.0.0.1:${port}` });
    },
    async confirmFunding(txid, mindepth) {
      await control('/regtest/mine', { blocks: 1 });
      const height = h.chain.height;
      await control('/regtest/mine', { blocks: mindepth - 1 });
      await showLdk(height, [txid]);
      return height;
    },
    async stop() {
      await n.stop();
      await peer.stop();
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
