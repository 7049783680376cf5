// What a runtime supplies to build a node (design.md "The node assembly"): how to start a daemon
// (a module Worker, a worker thread, an object in this isolate) and how its links cross realms,
// lightningd's storage, what its transports can reach, and its clock, random source, logger and
// version. What each daemon gets in its own realm (its store, dialer, verifier, secret storage) is
// the runtime's host env (host.ts `env`), built where the daemon runs.
import type { DialCapabilities } from '../net/address.ts';
import type { LightningdStorage } from '../daemons/lightningd/db.ts';
import type { ChainBackend } from '../chain/backend.ts';
import type { WalletStorage } from '../wallet/state.ts';
import type { Clock, Log, Remote } from './daemon.ts';
import type { HostControl, LinkLayer } from './host.ts';

/** A started host: a Worker, a worker thread, or a host object in this isolate. */
export interface HostHandle<Port, Ctx> {
  /** Its control, on its own port. */
  control: Remote<HostControl<Port, Ctx>>;
  /** Its main instance's API, answered on its own port. */
  main<T>(): Remote<T>;
  /** Rejects once the host has failed (a Worker's error, a thread's exit); never resolves. */
  failed: Promise<never>;
  /** Ends it, and every instance in it. */
  terminate(): Promise<void>;
}

/** How a runtime starts daemons. */
export interface DaemonHosting<Port, Ctx> {
  links: LinkLayer<Port>;
  /** A new host for daemons of `kind` (its Worker's name). */
  spawnHost(kind: string): HostHandle<Port, Ctx>;
  /** What this runtime tells every host it starts (where data lives, log level...). */
  ctx: Ctx;
}

export interface Platform<Port, Ctx> extends DaemonHosting<Port, Ctx> {
  /**
   * Storage the node assembly opens in lightningd's realm. Daemons open theirs in their own realm
   * (the host env): hsmd its secret, gossipd its store.
   */
  storage: {
    lightningd: LightningdStorage;
    /** The on-chain wallet's state (opened with the chain: a node without a chain backend has no wallet). */
    wallet?: WalletStorage;
  };
  /**
   * lightningd's chain backend (design.md "Chain, keys and state": Esplora in every runtime), with
   * what getinfo says of it. Absent: no chain; gossipd trusts announcements.
   */
  chain?: { backend: ChainBackend; description: string; pollIntervalMs?: number };
  /** What the runtime's transports can reach (connectd's dialer, in its env, reaches exactly this). */
  caps: DialCapabilities;
  clock: Clock;
  randomBytes(n: number): Uint8Array;
  log(prefix: string): Log;
  /** `boltworker-X.Y.Z`, for getinfo. */
  version: string;
  /** How long a daemon may take to stop before its host is ended anyway (default: as long as it takes). */
  stopGraceMs?(kind: string): number | undefined;
}
