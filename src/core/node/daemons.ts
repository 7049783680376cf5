// The node's table: which daemons exist, which links join them, and what each link may do
// (design.md "Links"). The one node assembly (assemble.ts) builds every runtime's node from it;
// a runtime only says how to start a daemon and what to give it (platform.ts). Adding a daemon is
// a folder in src/core/daemons/ (its interface.ts and host.ts) and an entry here.
import type { ChanneldSpec } from '../daemons/channeld/interface.ts';
import type { ConnectdSpec } from '../daemons/connectd/interface.ts';
import type { GossipdSpec } from '../daemons/gossipd/interface.ts';
import type { HsmCapability, HsmdSpec } from '../daemons/hsmd/interface.ts';
import type { ClosingdSpec } from '../daemons/closingd/interface.ts';
import type { OnchaindSpec } from '../daemons/onchaind/interface.ts';
import type { OpeningdSpec } from '../daemons/openingd/interface.ts';
import type { DaemonDefinition, DaemonRef, DaemonSpec } from './daemon.ts';

/** A daemon kind in the table: how lightningd names it, and how its host loads its definition. */
export interface DaemonEntry<S extends DaemonSpec> extends DaemonRef<S> {
  /** Loaded in the daemon's own realm only (a Worker holds the code of the daemons it runs). */
  load(): Promise<DaemonDefinition<S>>;
}

function entry<S extends DaemonSpec>(kind: string, load: () => Promise<DaemonDefinition<S>>, many?: true): DaemonEntry<S> {
  return { kind, load, ...(many ? { many } : {}) };
}

export const DAEMONS = {
  /** The node secret; ECDH and signing, per link capabilities. */
  hsmd: entry<HsmdSpec>('hsmd', () => import('../daemons/hsmd/host.ts').then(m => m.daemon)),
  /** Every peer connection. */
  connectd: entry<ConnectdSpec>('connectd', () => import('../daemons/connectd/host.ts').then(m => m.daemon)),
  /** BOLT 7: the gossip store and the graph. */
  gossipd: entry<GossipdSpec>('gossipd', () => import('../daemons/gossipd/host.ts').then(m => m.daemon)),
  /** BOLT 2 channel establishment, one per channel being opened; lightningd starts each with its own links. */
  openingd: entry<OpeningdSpec>('openingd', () => import('../daemons/openingd/host.ts').then(m => m.daemon), true),
  /** BOLT 2 closing_signed negotiation, one per channel whose shutdowns are both out and whose HTLCs are gone. */
  closingd: entry<ClosingdSpec>('closingd', () => import('../daemons/closingd/host.ts').then(m => m.daemon), true),
  /** BOLT 2 normal operation, one per open channel and connection; lightningd starts each with its own links. */
  channeld: entry<ChanneldSpec>('channeld', () => import('../daemons/channeld/host.ts').then(m => m.daemon), true),
  /** BOLT 5, one per channel whose funding output is spent: resolves every output; lightningd feeds it blocks and spends. */
  onchaind: entry<OnchaindSpec>('onchaind', () => import('../daemons/onchaind/host.ts').then(m => m.daemon), true),
};

export type DaemonKind = keyof typeof DAEMONS;

/** Kinds with one instance per channel (`many`): lightningd gives each instance links of its own, never the table's LINKS. */
export type PerChannelKind = 'openingd' | 'channeld' | 'closingd' | 'onchaind';

/** lightningd, which runs in the runtime's own realm and answers the daemons' events. */
export type LinkEnd = Exclude<DaemonKind, PerChannelKind> | 'lightningd';

/**
 * A link: a MessageChannel lightningd creates at start, one end to `client`, which calls it by the
 * name `uses`, the other to `server`, which answers there what it serves by the name `serves`
 * (given only `caps`, when set). `transfer`: byte arguments move to the server's realm instead of being
 * copied (the caller gives them up). lightningd ↔ each daemon is the Worker's own port (not listed).
 */
export interface LinkSpec {
  client: LinkEnd;
  uses: string;
  server: LinkEnd;
  serves: string;
  caps?: readonly HsmCapability[];
  transfer?: boolean;
}

export const LINKS: readonly LinkSpec[] = [
  // connectd ↔ hsmd: ECDH and nothing else (BOLT 8 handshakes).
  { client: 'connectd', uses: 'ecdh', server: 'hsmd', serves: 'connectd', caps: ['ecdh'] },
  // gossipd ↔ hsmd: signing our own gossip and nothing else.
  { client: 'gossipd', uses: 'hsm', server: 'hsmd', serves: 'gossipd', caps: ['signNodeAnnouncement', 'signChannelUpdate'] },
  // connectd → gossipd: gossip in, in batches (never through lightningd).
  { client: 'connectd', uses: 'gossip', server: 'gossipd', serves: 'gossip', transfer: true },
  // gossipd → connectd: sends and warnings to peers.
  { client: 'gossipd', uses: 'peers', server: 'connectd', serves: 'peers' },
  // The daemons' events to lightningd.
  { client: 'connectd', uses: 'events', server: 'lightningd', serves: 'connectd' },
  { client: 'gossipd', uses: 'events', server: 'lightningd', serves: 'gossipd' },
  // gossipd → lightningd: the chain (gossipd_get_txout); gossipd never talks to the chain itself.
  { client: 'gossipd', uses: 'chain', server: 'lightningd', serves: 'chain' },
];

/** The table's daemons in start order: hsmd first (the others need the node id). */
export const START_ORDER: readonly DaemonKind[] = ['hsmd', 'connectd', 'gossipd'];
