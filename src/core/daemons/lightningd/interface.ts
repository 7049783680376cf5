// lightningd's interface: what it is given (its options: the daemons it talks to, its database,
// what the runtime can dial) and what it answers the daemons: connectd's events (ConnectdEvents,
// connectd/interface.ts) and gossipd's (GossipdEvents, gossipd/interface.ts), on links of their own.
// Its own API is Core Lightning's JSON-RPC (jsonrpc.ts).
import type { DialCapabilities } from '../../net/address.ts';
import type { NetAddress } from '../../net/transport.ts';
import type { Clock, Log } from '../../node/daemon.ts';
import type { DaemonSupervisor } from '../../node/supervisor.ts';
import type { ConnectdApi } from '../connectd/interface.ts';
import type { GossipdApi } from '../gossipd/interface.ts';
import type { LightningdDb } from './db.ts';
import type { WalletRpcDeps } from './wallet-rpc.ts';
import type { ChannelControl } from './channels.ts';
import type { PayControl } from './pay-control.ts';
import type { Forwarder } from './forward.ts';
import type { PeerStorage } from './peer-storage.ts';

export type { ConnectdApi, GossipdApi };

export interface LightningdOptions {
  network: string;
  version: string;
  nodeId: string;
  alias: string;
  /** Six hex digits. */
  color: string;
  /** Our features by context (getinfo's `our_features`), hex. */
  ourFeatures: { init: string; node: string; channel: string; invoice: string };
  connectd: ConnectdApi;
  gossipd?: GossipdApi;
  /**
   * Starts and stops daemon instances (one per channel, in the issues that follow) through the
   * runtime's platform, as the node assembly started connectd and gossipd (src/core/node).
   */
  daemons?: DaemonSupervisor;
  db: LightningdDb;
  caps: DialCapabilities;
  /** Where we listen (getinfo `binding`) and what we announce (getinfo `address`). */
  binding?: NetAddress[];
  address?: NetAddress[];
  blockheight?: () => number | Promise<number>;
  now?: () => number;
  /** Timers (the MPP timeout, waitinvoice's expiry, waitanyinvoice's timeout): the runtime's clock. */
  clock?: Clock;
  log?: Log;
  /** Runtime-level events for embedders (peer_connected, peer_disconnected, ...). */
  emit?: (event: string, payload: unknown) => void;
  /** getinfo's `lightning-dir` and listconfigs' `lightning-dir`, where the runtime has one. */
  lightningDir?: string;
  /**
   * `stop`: shuts the node down; the RPC answers "Shutdown complete" once it resolves (as Core
   * Lightning, which answers after its daemons are down). It must not wait for the RPC transport to
   * finish this very request: close the listener, resolve, and let the answer go out before exiting.
   * Without it `stop` is refused (-32601 would lie: the command exists).
   */
  stop?: () => Promise<void>;
  /**
   * listconfigs' `configs`, in Core Lightning's shape (doc/schemas/listconfigs.json): each option by
   * name as `{value_str | value_int | value_bool | values_str…, source}`, `source` being 'default',
   * 'cmdline' or 'FILE:LINE'. Entries given here replace the ones lightningd knows by itself
   * (network, alias, rgb, lightning-dir).
   */
  configs?: () => Record<string, unknown>;
  /** The on-chain wallet and the chain it spends on: newaddr, listfunds, withdraw, listtransactions, feerates. */
  wallet?: WalletRpcDeps;
  /** The node's channels (channels.ts): fundchannel, listpeerchannels, and open_channel from peers. */
  channels?: ChannelControl;
  /** Our payments (pay-control.ts): xpay, pay, keysend, listpays, listsendpays. */
  pay?: PayControl;
  /** Our forwards (forward.ts): HTLCs through us, listforwards, setchannel. */
  forward?: Forwarder;
  /** BOLT 1 peer storage (peer-storage.ts): peers' blobs kept, our sealed backup left with them. */
  peerStorage?: PeerStorage;
  /** hsmd's signing for lightningd's own RPCs: `signmessage` and `invoice` (hsmd/interface.ts HsmdDaemonApi). */
  hsm?: LightningdHsm;
  /** The platform's secure random bytes (an invoice's preimage and payment_secret). */
  randomBytes?: (n: number) => Uint8Array;
}

export interface LightningdHsm {
  signMessage(message: string): Uint8Array | Promise<Uint8Array>;
  signInvoice(hrp: string, data: readonly number[]): Uint8Array | Promise<Uint8Array>;
  /** ECDH with the node key (an incoming HTLC's onion: htlcs-in.ts); without it no HTLC is decided. */
  ecdh?(pub: Uint8Array): Uint8Array | Promise<Uint8Array>;
}
