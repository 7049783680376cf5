// What each daemon Worker exposes to lightningd over Comlink (the page side wraps the Worker with
// these types; each worker entry `satisfies` its interface). Kept apart from the worker entries so
// the window code and the worker code type-check in separate projects (DOM vs WebWorker libs).
import type { HsmCapability } from '../core/daemons/hsmd/hsmd.ts';
import type { ConnectdConfig, ConnectdEvents, ConnectResult, PeerInfo, PingResult } from '../core/daemons/connectd/types.ts';
import type { DialTarget, NetAddress } from '../core/net/transport.ts';
import type { GossipdConfig, SyncProgress } from '../core/daemons/gossipd/types.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'silent';

export interface HsmdWorkerApi {
  /**
   * Loads (or creates, or with `recover` restores) the seed of `dataName` in this worker's
   * IndexedDB; returns the node id, hex, and the mnemonic only when this call created the seed.
   */
  init(dataName: string, recover?: string): Promise<{ id: string; mnemonic?: string }>;
  /** Serves a link on `port` exposing exactly `caps` (Core Lightning's per-client hsmd permissions). */
  serve(port: MessagePort, caps: HsmCapability[]): void;
}

export interface ConnectdInit {
  network: string;
  nodeId: string;
  /** Our `init` features, hex. */
  features: string;
  config?: Partial<ConnectdConfig>;
  log?: LogLevel;
}

export interface ConnectdWorkerApi {
  init(o: ConnectdInit, hsmPort: MessagePort, events: ConnectdEvents, gossipPort?: MessagePort): void;
  connectToPeer(id: string, targets: DialTarget[]): Promise<ConnectResult>;
  listPeers(): PeerInfo[];
  ping(id: string, len: number, pongbytes: number): Promise<PingResult>;
  disconnect(id: string, force: boolean): void;
  sendToPeer(id: string, msg: Uint8Array): Promise<void>;
  addImportantPeer(id: string, targets: DialTarget[]): void;
  /** gossipd's way back to peers, on a channel of its own: sends and warnings only. */
  servePeerLink(port: MessagePort): void;
  stop(): void;
}

export interface GossipdInit {
  network: string;
  /** Our node id, hex (getroute's default `fromid`). */
  nodeId: string;
  /** Names the IndexedDB gossip store (GOSSIP_DB_PREFIX + dataName). */
  dataName: string;
  /** Signature-check Workers (default: one per core, at most 4). */
  verifyWorkers?: number;
  config?: Partial<GossipdConfig>;
  log?: LogLevel;
}

/** The IndexedDB database that holds a node's gossip store. */
export const gossipDbName = (dataName: string): string => `boltworker-gossip:${dataName}`;

export interface GossipdWorkerApi {
  /**
   * Opens and loads the IndexedDB store (no signature is checked again), then serves connectd's
   * gossip on `fromConnectd` and sends through connectd's PeerLink on `toConnectd`.
   */
  init(
    o: GossipdInit,
    fromConnectd: MessagePort,
    toConnectd: MessagePort,
    onProgress?: (p: SyncProgress) => void,
  ): Promise<{ channels: number; nodes: number; records: number }>;
  nodeAddresses(id: string): NetAddress[];
  rpc(method: 'listnodes' | 'listchannels' | 'getroute', params: Record<string, unknown>): Promise<unknown>;
  /** gossipd's info() (sync progress and stats), plus `verifier_checks`: signatures this Worker's verifier was given. */
  info(): Record<string, unknown>;
  /** Verifies and applies everything received so far and writes it to the store. */
  flush(): Promise<void>;
  /**
   * TEST ONLY: hands `msgs` to gossipd exactly as connectd would (`newPeer` once, then `gossip`
   * per message) for a peer that has no connection. Lets a browser test feed gossip without a
   * peer that has it; production code never calls it.
   */
  ingestForTest(peerId: string, msgs: Uint8Array[]): void;
  /** Closes gossipd (after a flush), the verify pool and the store. */
  stop(): Promise<void>;
}
