// The one node assembly: every runtime's node is built here from the table (daemons.ts) and the
// runtime's platform (platform.ts). It starts the daemons in order (hsmd first: the others need the
// node id), creates each link's channel and hands its ends to the two daemons as they start (so no
// port ever crosses a port after start: the edge runtime cannot move one), and builds lightningd,
// which answers the daemons' events. lightningd's database loads while hsmd starts and gossipd
// loads its store (design.md "start": in parallel, nothing verified twice).
import type {
  ConnectdEvents,
  ConnectdInit,
  ConnectdSpec,
  PeerConnectedEvent,
  PeerDisconnectedEvent,
} from '../daemons/connectd/interface.ts';
import type { GossipdEvents, GossipdInit, GossipdSpec, SyncProgress } from '../daemons/gossipd/interface.ts';
import type { LightningdOptions } from '../daemons/lightningd/interface.ts';
import type { HsmdSpec } from '../daemons/hsmd/interface.ts';
import { LightningdDb } from '../daemons/lightningd/db.ts';
import { ChainService, dbFollowerStore } from '../daemons/lightningd/chain.ts';
import type { ChainLink } from '../daemons/gossipd/interface.ts';
import { isNetwork, type NetworkName } from '../chain/chains.ts';
import { feerateFor } from '../chain/fees.ts';
import type { ChainBackend } from '../chain/backend.ts';
import { Lightningd } from '../daemons/lightningd/lightningd.ts';
import { ChannelControl } from '../daemons/lightningd/channels.ts';
import { locktimeProblem } from '../daemons/lightningd/channel-config.ts';
import { Forwarder } from '../daemons/lightningd/forward.ts';
import { PayControl } from '../daemons/lightningd/pay-control.ts';
import { PeerStorage, type RecoveredChannel } from '../daemons/lightningd/peer-storage.ts';
import { RecoveredSweeps } from '../daemons/lightningd/peer-storage-sweep.ts';
import { channelBalance } from '../daemons/lightningd/channel-rpc.ts';
import { planDial } from '../net/address.ts';
import type { WalletRpcDeps } from '../daemons/lightningd/wallet-rpc.ts';
import { Wallet } from '../wallet/wallet.ts';
import type { WalletStorage } from '../wallet/state.ts';
import { ourFeatures } from '../features/index.ts';
import type { DaemonRef, DaemonSpec } from './daemon.ts';
import { DAEMONS, LINKS, type LinkEnd, type LinkSpec } from './daemons.ts';
import type { Platform } from './platform.ts';
import { superviseDaemons, type DaemonSupervisor, type LinkEnds, type RunningDaemon } from './supervisor.ts';

export interface AssemblyOptions {
  network: string;
  alias?: string;
  /** Six hex digits. */
  color?: string;
  connectdConfig?: ConnectdInit['config'];
  gossipdConfig?: GossipdInit['config'];
  /** Restore hsmd's seed from this mnemonic (or legacy 64-hex secret) into storage that holds none (Core Lightning's --recover). */
  recover?: string;
  /** Core Lightning's --rescan: blocks to go back at start (negative: from that absolute height); see BlockFollower. */
  rescan?: number;
  /** Core Lightning's --watchtime-blocks: the to_self_delay we ask of peers (default 144; channel-config.ts). */
  watchtimeBlocks?: number;
  /** Core Lightning's --max-locktime-blocks: the longest to_self_delay a peer may ask of us (default 2016). */
  maxLocktimeBlocks?: number;
  /** Core Lightning's --min-emergency-msat, in sat: what the wallet keeps while we have anchors channels (default 25,000). */
  minEmergencySat?: number;
  /** Listeners connectd opens once it runs (where the runtime can listen); their ports in `listening`. */
  listen?: { kind: 'tcp' | 'ws'; host: string; port: number }[];
  /** Runtime-level events (peer_connected, peer_disconnected, gossip_progress, ...). */
  emit?(event: string, payload: unknown): void;
  /** lightningd's options that only the runtime knows (where it listens, its directory, `stop`), once the daemons run. */
  lightningd?(started: { nodeId: string; listening: number[] }): Partial<LightningdOptions>;
}

/** The options every runtime's node takes and hands the assembly as they are. */
export type CommonNodeOptions = Pick<
  AssemblyOptions,
  | 'network'
  | 'alias'
  | 'color'
  | 'connectdConfig'
  | 'gossipdConfig'
  | 'recover'
  | 'rescan'
  | 'watchtimeBlocks'
  | 'maxLocktimeBlocks'
  | 'minEmergencySat'
>;
const COMMON_KEYS = [
  'alias',
  'color',
  'connectdConfig',
  'gossipdConfig',
  'recover',
  'rescan',
  'watchtimeBlocks',
  'maxLocktimeBlocks',
  'minEmergencySat',
] as const;

/** A runtime's options, cut to the common ones that are set (a runtime's option types allow `undefined`). */
export function commonNodeOptions(
  o: { network: string } & { [K in (typeof COMMON_KEYS)[number]]?: CommonNodeOptions[K] | undefined },
): CommonNodeOptions {
  const out: Record<string, unknown> = { network: o.network };
  for (const k of COMMON_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as unknown as CommonNodeOptions;
}

export interface AssembledNode<Port> {
  /** Our node id, hex. */
  id: string;
  lightningd: Lightningd;
  db: LightningdDb;
  hsmd: RunningDaemon<HsmdSpec>;
  connectd: RunningDaemon<ConnectdSpec>;
  gossipd: RunningDaemon<GossipdSpec>;
  daemons: DaemonSupervisor<Port>;
  /** lightningd's chain (when the platform has a backend): follows blocks, watches, fees, broadcast. */
  chain?: ChainService;
  /** The on-chain wallet (with the chain, when the platform gives it storage); its keys stay in hsmd. */
  wallet?: Wallet;
  /** The ports `listen` bound, in its order. */
  listening: number[];
  /** Stops connectd, then gossipd (which writes what it holds), saves lightningd's database, then ends every host. Idempotent. */
  stop(): Promise<void>;
}

/** The confirmation target of onchaind's sweeps (Core Lightning's unilateral-close feerate: 6 blocks). */
const SWEEP_BLOCKS = 6;
/** How often lightningd asks a regtest chain for new blocks. */
const REGTEST_POLL_MS = 1_000;
/** How long the start waits for the chain backend to say where its tip is (then the first poll does). */
const CHAIN_PREPARE_MS = 5_000;

type Ends<Port> = Record<LinkEnd, LinkEnds<Port>>;

/** One channel per link in the table, its ends sorted by who gets them. */
function linkEnds<Port>(p: Platform<Port, unknown>, links: readonly LinkSpec[]): Ends<Port> {
  const ends: Ends<Port> = {
    hsmd: { uses: {}, serves: {} },
    connectd: { uses: {}, serves: {} },
    gossipd: { uses: {}, serves: {} },
    lightningd: { uses: {}, serves: {} },
  };
  for (const l of links) {
    if (ends[l.client].uses[l.uses] || ends[l.server].serves[l.serves])
      throw new Error(`the node table names ${l.client}'s link '${l.uses}' or ${l.server}'s '${l.serves}' twice`);
    const [client, server] = p.links.channel();
    ends[l.client].uses[l.uses] = { port: client, ...(l.transfer ? { transfer: true } : {}) };
    ends[l.server].serves[l.serves] = { port: server, caps: l.caps ?? [] };
  }
  return ends;
}

/**
 * Opens the wallet in lightningd's realm over hsmd's keys (design.md "Chain, keys and state"): it
 * reads the extended public keys from hsmd and has hsmd sign what it spends; no private key leaves hsmd.
 */
async function openWallet<Port, Ctx>(
  p: Platform<Port, Ctx>,
  network: string,
  hsmd: RunningDaemon<HsmdSpec>,
  storage: WalletStorage,
): Promise<Wallet> {
  const log = p.log('wallet');
  return Wallet.open({
    network,
    storage,
    signer: {
      walletXpub: type => hsmd.guard(hsmd.api.walletXpub(type)),
      signWithdrawal: (psbt, inputs) => hsmd.guard(hsmd.api.signWithdrawal(psbt, inputs)),
    },
    log: m => log.warn(m),
  });
}

/**
 * The wallet RPC's view of the chain. Broadcasts go to the backend itself, not through ChainService
 * (whose listeners, the wallet among them, would be shown the transaction while the wallet's own
 * withdrawal still holds its queue): the wallet records what it sent once the backend accepts it.
 */
function walletRpc(wallet: Wallet, backend: ChainBackend): WalletRpcDeps {
  return {
    wallet,
    chain: {
      estimatefees: () => backend.estimatefees(),
      sendrawtransaction: (tx, allowhighfees) => backend.sendrawtransaction(tx, allowhighfees),
    },
  };
}

/** Closes every link end still in this realm (the ones handed to a daemon have moved and are not touched): an answered port keeps a runtime alive. */
function closeEnds<Port>(p: Platform<Port, unknown>, ends: Ends<Port>, only?: LinkEnd): void {
  for (const [who, e] of Object.entries(ends) as [LinkEnd, LinkEnds<Port>][]) {
    if (only && who !== only) continue;
    for (const end of [...Object.values(e.uses), ...Object.values(e.serves)]) {
      try {
        p.links.close(end.port);
      } catch {
        // Already moved or closed.
      }
    }
  }
}

export async function assembleNode<Port, Ctx>(p: Platform<Port, Ctx>, o: AssemblyOptions): Promise<AssembledNode<Port>> {
  // Each runtime refuses these first, with its own usage error; an embedder's mistake stops here.
  const locktimes = locktimeProblem(o);
  if (locktimes) throw new RangeError(locktimes);
  const log = p.log('lightningd');
  const daemons = superviseDaemons(p, p.clock);
  const ends = linkEnds(p, LINKS);
  const db = new LightningdDb(p.storage.lightningd);
  let lightningd: Lightningd | undefined;
  // What lightningd answers the daemons, each on its link (LINKS: server 'lightningd'), by client.
  const connectdEvents: ConnectdEvents = {
    peerConnected: (e: PeerConnectedEvent) => lightningd?.peerConnected(e),
    peerDisconnected: (e: PeerDisconnectedEvent) => lightningd?.peerDisconnected(e),
    peerSpoke: (id: string, m: Uint8Array) => lightningd?.peerSpoke(id, m),
  };
  const gossipdEvents: GossipdEvents = { progress: (s: SyncProgress) => o.emit?.('gossip_progress', s) };
  // lightningd owns the chain: the only backend of the node; gossipd asks it (gossipd_get_txout).
  let chain: ChainService | undefined;
  if (p.chain) {
    if (!isNetwork(o.network)) throw new Error(`no chain backend for network '${o.network}'`);
    // ChainService polls every 30 s (Core Lightning's bitcoind poll) unless told otherwise. Regtest
    // blocks come when someone mines them, and whoever mined wants to see them: each second there.
    const pollIntervalMs = p.chain.pollIntervalMs ?? (o.network === 'regtest' ? REGTEST_POLL_MS : undefined);
    chain = new ChainService({
      backend: p.chain.backend,
      network: o.network,
      clock: p.clock,
      log: p.log('chain'),
      store: dbFollowerStore(db),
      description: p.chain.description,
      ...(o.rescan !== undefined ? { rescan: o.rescan } : {}),
      ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    });
  }
  const noChain: ChainLink = {
    getTxout: () => Promise.reject(new Error('lightningd has no chain backend')),
    watchTxouts: () => undefined,
  };
  const answers: Record<string, object> = { connectd: connectdEvents, gossipd: gossipdEvents, chain: chain?.gossipLink ?? noChain };
  for (const [name, end] of Object.entries(ends.lightningd.serves)) {
    const answer = answers[name];
    if (!answer) throw new Error(`lightningd answers no link '${name}'`);
    p.links.expose(answer, end.port);
  }

  const started: { instance: string; stop(graceMs?: number): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const d of [...started].reverse()) await d.stop(p.stopGraceMs?.(d.instance)).catch(() => undefined);
  };
  /** Starts one of the table's daemons with its link ends; kept for stopAll as soon as it runs. */
  const start = async <S extends DaemonSpec>(ref: DaemonRef<S>, init: S['init'], links: LinkEnds<Port>) => {
    const d = await daemons.start(ref, ref.kind, init, links);
    started.push(d);
    return d;
  };
  try {
    // Each pair settles before either is awaited: nothing is left starting behind a failure.
    const hsmdStarted = start(DAEMONS.hsmd, o.recover !== undefined ? { recover: o.recover } : {}, ends.hsmd);
    const dbLoaded = db.load();
    await Promise.allSettled([hsmdStarted, dbLoaded]);
    const hsmd = await hsmdStarted;
    await dbLoaded;
    const nodeId = await hsmd.guard(hsmd.api.nodeId());
    const features = ourFeatures('I').toHex();
    const gossipdStarted = start(
      DAEMONS.gossipd,
      {
        network: o.network,
        nodeId,
        ...(o.gossipdConfig ? { config: o.gossipdConfig } : {}),
        ...(chain ? { chain: chain.description } : {}),
      },
      ends.gossipd,
    );
    const connectdStarted = start(
      DAEMONS.connectd,
      { network: o.network, nodeId, features, ...(o.connectdConfig ? { config: o.connectdConfig } : {}) },
      ends.connectd,
    );
    await Promise.allSettled([gossipdStarted, connectdStarted]);
    const gossipd = await gossipdStarted;
    const connectd = await connectdStarted;
    const wallet = chain && p.storage.wallet ? await openWallet(p, o.network, hsmd, p.storage.wallet) : undefined;
    // The wallet follows the chain before the first block is read (a replayed block is taken again without harm).
    if (wallet) chain?.addListener(wallet);
    // lightningd's channels (design.md "Flows: channel"): openingd per open, fed by the wallet, watched on the chain.
    const channels = new ChannelControl({
      network: o.network as NetworkName,
      nodeId,
      ourFeatures: features,
      db,
      daemons,
      hsmd,
      connectd,
      ...(wallet && chain
        ? {
            wallet,
            broadcast: (tx: Uint8Array) => chain!.sendrawtransaction(tx),
            submitPackage: (txs: Uint8Array[]) => chain!.submitpackage(txs),
            // onchaind's sweeps: Core Lightning's "unilateral close" target.
            feeratePerKw: async () => feerateFor(await chain!.feerates(), SWEEP_BLOCKS),
            tip: () => chain!.blockheight,
          }
        : {}),
      dialTargets: id => planDial(db.peer(id)?.addresses ?? [], p.caps),
      randomBytes: n => p.randomBytes(n),
      log: p.log('channels'),
      // Mutual closes: closingd's feerates, nLockTime and the close RPC's unilateraltimeout.
      ...(p.chain ? { estimatefees: () => p.chain!.backend.estimatefees() } : {}),
      ...(chain ? { blockheight: () => chain!.blockheight } : {}),
      clock: p.clock,
      // Our public channels and channel_updates go to gossipd as local gossip (channel-gossip.ts).
      gossipd: { addLocalGossip: msgs => gossipd.guard(gossipd.api.addLocalGossip(msgs)) },
      ...(o.alias !== undefined ? { alias: o.alias } : {}),
      ...(o.color !== undefined ? { color: o.color } : {}),
      ...(o.watchtimeBlocks !== undefined ? { watchtimeBlocks: o.watchtimeBlocks } : {}),
      ...(o.maxLocktimeBlocks !== undefined ? { maxLocktimeBlocks: o.maxLocktimeBlocks } : {}),
      ...(o.minEmergencySat !== undefined ? { minEmergencySat: o.minEmergencySat } : {}),
    });
    // Forwarding (Core Lightning's peer_htlcs.c forward_htlc): our policy, records before each add.
    // It follows the channels before they load: a forward's preimage an onchaind finds again on
    // chain at a restart (onchain-control.ts load) is recorded, not told to no one.
    const forward = new Forwarder({
      db,
      channels,
      nodeId,
      network: o.network,
      blockheight: () => chain?.blockheight ?? 0,
      nowMs: () => Date.now(),
      spendable: c => channelBalance(c).spendable,
      signChannelUpdate: msg => hsmd.guard(hsmd.api.signChannelUpdate(msg)),
      log: p.log('forward'),
    });
    // Our payments follow the channels' HTLCs before they load, as forwards do: a part an onchaind
    // settles again on chain at a restart (onchain-control.ts load) is recorded; load() resumes the rest.
    const pay = new PayControl({
      nodeId,
      network: o.network,
      db,
      channels,
      gossipd: { routes: q => gossipd.guard(gossipd.api.routes(q)) },
      blockheight: () => chain?.blockheight ?? 0,
      randomBytes: n => p.randomBytes(n),
      nowMs: () => Date.now(),
      clock: p.clock,
      spendable: c => channelBalance(c).spendable,
      log: p.log('pay'),
    });
    await channels.load();
    await pay.load();
    // BOLT 1 peer storage: peers' blobs kept, our backup (sealed by hsmd) left with channel peers, resent as our channel list changes.
    const peerStorage = new PeerStorage({
      db,
      hsm: {
        sealPeerBackup: b => hsmd.guard(hsmd.api.sealPeerBackup(b)),
        openPeerBackup: b => hsmd.guard(hsmd.api.openPeerBackup(b)),
      },
      sendToPeer: (id, msg) => connectd.guard(connectd.api.sendToPeer(id, msg)),
      connectedPeers: () => connectd.guard(connectd.api.listPeers()),
      log: p.log('peerstorage'),
      // A restored node hears which channels its peers' copies name (the embedder's event).
      ...(o.emit ? { onRecovered: (c: readonly RecoveredChannel[]) => o.emit!('peer_backup_recovered', c) } : {}),
    });
    chain?.addListener(channels);
    chain?.addListener(pay);
    chain?.addListener(peerStorage);
    // A restored node sweeps its to_remote from the commitments of the channels peers' copies named.
    if (wallet && chain)
      chain.addListener(
        new RecoveredSweeps({
          db,
          hsm: {
            channelBasepoints: (id, dbid) => hsmd.guard(hsmd.api.channelBasepoints(id, dbid)),
            signRecoveredToRemote: (id, dbid, req) => hsmd.guard(hsmd.api.signRecoveredToRemote(id, dbid, req)),
          },
          wallet,
          broadcast: tx => chain.sendrawtransaction(tx),
          feeratePerKw: async () => feerateFor(await chain.feerates(), SWEEP_BLOCKS),
          log: p.log('peerstorage'),
        }),
      );
    // gossipd has handed lightningd the funding outputs from its store: follow the chain.
    chain?.attachGossipd(gossipd.api);
    // Where following starts is fixed before the node is handed out: coins paid to a newaddr at once are seen.
    await chain?.prepare(CHAIN_PREPARE_MS);
    chain?.start();
    const listening: number[] = [];
    for (const l of o.listen ?? []) listening.push(await connectd.guard(connectd.api.listen(l.kind, l.host, l.port)));

    let stopping: Promise<void> | undefined;
    const node: AssembledNode<Port> = {
      id: nodeId,
      db,
      hsmd,
      connectd,
      gossipd,
      daemons,
      listening,
      ...(chain ? { chain } : {}),
      ...(wallet ? { wallet } : {}),
      lightningd: new Lightningd({
        network: o.network,
        version: p.version,
        nodeId,
        alias: `boltworker-${nodeId.slice(0, 8)}`,
        color: nodeId.slice(2, 8),
        ...(o.alias !== undefined ? { alias: o.alias } : {}),
        ...(o.color !== undefined ? { color: o.color } : {}),
        ourFeatures: { init: features, node: ourFeatures('N').toHex(), channel: '', invoice: '' },
        connectd: connectd.api,
        gossipd: gossipd.api,
        daemons,
        db,
        caps: p.caps,
        ...(chain ? { blockheight: () => chain.blockheight } : {}),
        ...(wallet && p.chain ? { wallet: walletRpc(wallet, p.chain.backend) } : {}),
        channels,
        pay,
        forward,
        peerStorage,
        hsm: {
          signMessage: m => hsmd.guard(hsmd.api.signMessage(m)),
          signInvoice: (hrp, data) => hsmd.guard(hsmd.api.signInvoice(hrp, data)),
          ecdh: pub => hsmd.guard(hsmd.api.ecdh(pub)),
        },
        clock: p.clock,
        log,
        randomBytes: n => p.randomBytes(n),
        ...(o.emit ? { emit: o.emit } : {}),
        ...(o.lightningd?.({ nodeId, listening }) ?? {}),
      }),
      stop() {
        stopping ??= (async () => {
          try {
            // The chain first (nothing more to tell gossipd), then peers (nothing more arrives), then gossipd writes what it holds.
            chain?.stop();
            node.lightningd.receiver?.stop();
            await peerStorage.stop();
            await channels.stop();
            await connectd.stop(p.stopGraceMs?.('connectd'));
            await gossipd.stop(p.stopGraceMs?.('gossipd'));
            await db.flush().catch(e => log.warn(`saving lightningd's database failed: ${e instanceof Error ? e.message : String(e)}`));
          } finally {
            await stopAll();
            closeEnds(p, ends, 'lightningd');
          }
        })();
        return stopping;
      },
    };
    lightningd = node.lightningd;
    // Held parts of a payment fail before their expiry (receive.ts).
    if (lightningd.receiver) chain?.addListener(lightningd.receiver);
    // Now that lightningd hears peers connect: reconnect those we have channels with (their channelds start then).
    await channels.reconnect();
    return node;
  } catch (e) {
    chain?.stop();
    await stopAll();
    // A daemon that never started leaves its ends here, and lightningd's answered ones stay open.
    closeEnds(p, ends);
    throw e;
  }
}
