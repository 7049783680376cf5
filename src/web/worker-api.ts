// What each daemon Worker exposes to lightningd over Comlink (the page side wraps the Worker with
// these types; each worker entry `satisfies` its interface). Kept apart from the worker entries so
// the window code and the worker code type-check in separate projects (DOM vs WebWorker libs).
import type { HsmCapability } from '../core/daemons/hsmd/hsmd.ts';
import type { ConnectdConfig, ConnectdEvents, ConnectResult, PeerInfo, PingResult } from '../core/daemons/connectd/types.ts';
import type { DialTarget } from '../core/transport.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'silent';

export interface HsmdWorkerApi {
  /** Loads (or creates) the node secret of `dataName` in this worker's IndexedDB; returns the node id, hex. */
  init(dataName: string): Promise<string>;
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
  stop(): void;
}
