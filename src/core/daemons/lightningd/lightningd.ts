// lightningd: the master. It owns the node's own database and the JSON-RPC API, and decides which
// daemon gets a peer; it holds no peer socket and no secret (design.md). The daemons it talks to
// are given as small interfaces: Comlink proxies in Workers, plain objects in one isolate or a test.
import { endpointsFromAnnouncement, parseEndpoint, parsePeerAddress, planDial, type Endpoint } from '../../net/address.ts';
import type { ConnectResult, PeerConnectedEvent, PeerDisconnectedEvent } from '../connectd/interface.ts';
import type { LightningdOptions } from './interface.ts';
import { RpcCode, RpcDispatcher, RpcError } from './jsonrpc.ts';
import { registerWalletCommands } from './wallet-rpc.ts';
import { registerDecodeCommands } from './decode-rpc.ts';
import { registerSignMessageCommands } from './signmessage-rpc.ts';
import { createKeysendInvoice, registerInvoiceCommands, type InvoiceDeps } from './invoice-rpc.ts';
import { registerInvoiceWaitCommands } from './invoice-wait-rpc.ts';
import type { PeerPolicy } from './invoice-hints.ts';
import { IncomingHtlcs } from './htlcs-in.ts';
import { FinalReceiver } from './receive.ts';
import { registerPayCommands } from './pay-rpc.ts';
import { registerBlindedCommands } from './blinded-rpc.ts';
import { registerForwardCommands } from './forward-rpc.ts';
import { fundsChannels, registerChannelCommands } from './channel-rpc.ts';
import { registerCloseCommands } from './close-rpc.ts';
import { readType, TYPE } from '../../wire/messages.ts';

export type { LightningdOptions } from './interface.ts';

/** Maps a connectd failure (possibly flattened by a port: only {code, message, attempts}) to Core Lightning's codes. */
function connectRpcError(e: unknown): RpcError {
  const err = e as { code?: string; message?: string; attempts?: { address: string; reason: string }[] };
  const reasons = (err.attempts ?? []).map(a => `${a.address}: ${a.reason}`).join('. ');
  switch (err.code) {
    case 'no_address':
      return new RpcError(RpcCode.CONNECT_NO_KNOWN_ADDRESS, `Unable to connect, no address known for peer${reasons ? `: ${reasons}` : ''}`);
    case 'all_failed':
      return new RpcError(RpcCode.CONNECT_ALL_ADDRESSES_FAILED, `All addresses failed: ${reasons || err.message}`, {
        addresses: err.attempts,
      });
    case 'disconnected':
      return new RpcError(RpcCode.CONNECT_DISCONNECTED_DURING, err.message ?? 'peer disconnected while connecting');
    default:
      return new RpcError(RpcCode.LIGHTNINGD, err.message ?? String(e));
  }
}

/** gossipd's typed failures (possibly flattened by a port) as Core Lightning's codes. */
function gossipRpcError(e: unknown): RpcError {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  switch (err.code) {
    case 'route_not_found':
    case 'unknown_destination':
    case 'unknown_source':
    case 'route_too_long':
      return new RpcError(RpcCode.ROUTE_NOT_FOUND, msg);
    case 'bad_params':
      return new RpcError(RpcCode.INVALID_PARAMS, msg);
    default:
      return new RpcError(RpcCode.LIGHTNINGD, msg);
  }
}

/** The peer's channel_update towards us on `scid`, as gossipd knows it (invoice route hints). */
async function peerPolicy(gossipd: NonNullable<LightningdOptions['gossipd']>, scid: string, peer: string): Promise<PeerPolicy | undefined> {
  try {
    const r = (await gossipd.rpc('listchannels', { short_channel_id: scid })) as { channels: (PeerPolicy & { source: string })[] };
    return r.channels.find(c => c.source === peer);
  } catch {
    return undefined;
  }
}

export class Lightningd {
  readonly rpc = new RpcDispatcher();
  private readonly now: () => number;
  /** The final node's part (receive.ts), once lightningd decides incoming HTLCs. */
  readonly receiver?: FinalReceiver;

  constructor(private readonly o: LightningdOptions) {
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
    this.registerCommands();
    if (o.wallet) {
      const channels = o.channels;
      registerWalletCommands(this.rpc, {
        ...o.wallet,
        ...(channels
          ? { channels: () => fundsChannels({ channels, connectd: o.connectd }), emergencySat: () => channels.emergencySat() }
          : {}),
      });
    }
    if (o.channels) {
      const wallet = o.wallet;
      registerChannelCommands(this.rpc, {
        channels: o.channels,
        connectd: o.connectd,
        db: o.db,
        ourFeatures: o.ourFeatures.init,
        estimatefees: () => (wallet ? wallet.chain.estimatefees() : Promise.reject(new Error('lightningd has no chain backend'))),
        blockheight: () => o.blockheight?.() ?? 0,
      });
      registerCloseCommands(this.rpc, {
        channels: o.channels,
        estimatefees: () => (wallet ? wallet.chain.estimatefees() : Promise.reject(new Error('lightningd has no chain backend'))),
      });
    }
    if (o.forward) {
      const channels = o.channels;
      registerForwardCommands(this.rpc, {
        db: o.db,
        channels: () => channels?.list().flatMap(c => (c.record ? [c.record] : [])) ?? [],
        ...(channels ? { policyChanged: (dbid: string) => channels.policyChanged(dbid) } : {}),
      });
    }
    registerDecodeCommands(this.rpc);
    let invoiceDeps: InvoiceDeps | undefined;
    if (o.hsm && o.randomBytes) {
      const invoices: InvoiceDeps = {
        db: o.db,
        network: o.network,
        signInvoice: (hrp, data) => o.hsm!.signInvoice(hrp, data),
        randomBytes: o.randomBytes,
        now: this.now,
        ...(o.channels ? { channels: () => o.channels!.list().flatMap(c => (c.record ? [c.record] : [])) } : {}),
        ...(o.gossipd ? { peerPolicy: (scid: string, peer: string) => peerPolicy(o.gossipd!, scid, peer) } : {}),
      };
      registerInvoiceCommands(this.rpc, invoices);
      invoiceDeps = invoices;
      const clock = o.clock;
      if (clock) registerInvoiceWaitCommands(this.rpc, { db: o.db, now: this.now, clock });
      // Incoming HTLCs decided (Core Lightning's peer_htlcs.c): paid invoices, keysends, failures.
      const channels = o.channels;
      const ecdh = o.hsm.ecdh?.bind(o.hsm);
      if (channels && ecdh && clock) {
        const log = o.log ?? { debug() {}, info() {}, warn() {} };
        this.receiver = new FinalReceiver({
          db: o.db,
          blockheight: () => o.blockheight?.() ?? 0,
          now: this.now,
          clock,
          keysendInvoice: preimage => createKeysendInvoice(invoices, preimage, Date.now()),
          log,
        });
        channels.onHtlcs(
          new IncomingHtlcs({
            channeld: dbid => {
              const d = channels.channeldOf(dbid);
              return (
                d && {
                  fulfillHtlc: (id, preimage, attribution) => d.guard(d.api.fulfillHtlc(id, preimage, attribution)),
                  failHtlc: (id, reason, attribution) => d.guard(d.api.failHtlc(id, reason, attribution)),
                  failMalformedHtlc: (id, h, code) => d.guard(d.api.failMalformedHtlc(id, h, code)),
                }
              );
            },
            ecdh: async pub => ecdh(pub),
            receiver: this.receiver,
            ...(o.forward ? { forwarder: o.forward } : {}),
            onchain: (dbid, preimage) => channels.preimageReleased(dbid, preimage),
            ...(clock ? { nowMs: () => clock.now() } : {}),
            log,
          }),
        );
      }
    }
    if (o.pay && o.randomBytes)
      registerPayCommands(this.rpc, { pay: o.pay, network: o.network, randomBytes: o.randomBytes, now: this.now });
    // Blinded paths to us and payments over them (blinded-rpc.ts).
    if (invoiceDeps)
      registerBlindedCommands(this.rpc, {
        invoices: invoiceDeps,
        nodeId: o.nodeId,
        blockheight: () => o.blockheight?.() ?? 0,
        ...(o.pay ? { pay: o.pay } : {}),
      });
    if (o.hsm) {
      const gossipd = o.gossipd;
      registerSignMessageCommands(this.rpc, {
        signMessage: m => o.hsm!.signMessage(m),
        ...(gossipd
          ? { knownNode: async (id: string) => ((await gossipd.rpc('listnodes', { id })) as { nodes: unknown[] }).nodes.length > 0 }
          : {}),
      });
    }
  }

  /** lightningd's channels (their daemons: what an RPC that moves HTLCs, or an embedder, drives). */
  get channels(): LightningdOptions['channels'] {
    return this.o.channels;
  }

  /** connectd → lightningd: a peer finished `init`. */
  async peerConnected(e: PeerConnectedEvent): Promise<void> {
    this.o.emit?.('peer_connected', e);
    await Promise.all([this.o.channels?.peerConnected(e), this.o.peerStorage?.peerConnected(e)]);
  }

  async peerDisconnected(e: PeerDisconnectedEvent): Promise<void> {
    this.o.emit?.('peer_disconnected', e);
  }

  /** connectd → lightningd: a message no daemon owns (an open_channel: lightningd decides who answers it). */
  async peerSpoke(id: string, msg: Uint8Array): Promise<void> {
    const type = readType(msg);
    this.o.emit?.('peer_spoke', { id, type });
    if (type === TYPE.peer_storage || type === TYPE.peer_storage_retrieval) await this.o.peerStorage?.peerSpoke(id, msg);
    else await this.o.channels?.peerSpoke(id, msg);
  }

  /** Channels held with each peer (listpeers' num_channels), and getinfo's counts by state. */
  private channelCounts(): { byPeer: Map<string, number>; pending: number; active: number; inactive: number } {
    const byPeer = new Map<string, number>();
    let pending = 0;
    let active = 0;
    let inactive = 0;
    for (const c of this.o.channels?.list() ?? []) {
      const peer = c.record?.peer_id ?? c.opening!.peerId;
      byPeer.set(peer, (byPeer.get(peer) ?? 0) + 1);
      if (c.record?.state === 'CHANNELD_NORMAL' || c.record?.state === 'CHANNELD_SHUTTING_DOWN') active++;
      // A channel closing by agreement counts as inactive once closingd has it, as in Core Lightning.
      else if (c.record?.state === 'CLOSINGD_SIGEXCHANGE' || c.record?.state === 'CLOSINGD_COMPLETE') inactive++;
      // Core Lightning counts a failed channel (awaiting its close on chain) as inactive.
      else if (c.record && c.record.state !== 'CHANNELD_AWAITING_LOCKIN') inactive++;
      else pending++;
    }
    return { byPeer, pending, active, inactive };
  }

  private async endpointsFor(id: string, explicit?: Endpoint): Promise<Endpoint[]> {
    if (explicit) return [explicit];
    const known = this.o.db.peer(id)?.addresses ?? [];
    let announced: Endpoint[] = [];
    if (this.o.gossipd) {
      try {
        announced = endpointsFromAnnouncement(await this.o.gossipd.nodeAddresses(id));
      } catch {
        announced = [];
      }
    }
    return [...known, ...announced];
  }

  /** listconfigs' `configs`: what lightningd knows, then the runtime's own entries over it. */
  private configs(): Record<string, unknown> {
    const known = (value_str: string) => ({ value_str, source: 'default' });
    const base: Record<string, unknown> = { network: known(this.o.network), alias: known(this.o.alias), rgb: known(this.o.color) };
    if (this.o.lightningDir !== undefined) base['lightning-dir'] = known(this.o.lightningDir);
    // Core Lightning shows it in msat (OPT_SHOWMSATS).
    if (this.o.channels) base['min-emergency-msat'] = { value_msat: this.o.channels.minEmergencySat * 1000, source: 'default' };
    const all = { ...base, ...(this.o.configs?.() ?? {}) };
    return Object.fromEntries(
      Object.keys(all)
        .sort()
        .map(k => [k, all[k]]),
    );
  }

  private registerCommands(): void {
    const r = this.rpc;
    r.register('getinfo', {
      category: 'utility',
      params: [],
      description: 'Show information about this node.',
      handler: async () => {
        const peers = await this.o.connectd.listPeers();
        return {
          id: this.o.nodeId,
          alias: this.o.alias,
          color: this.o.color,
          num_peers: peers.filter(p => p.connected).length,
          num_pending_channels: this.channelCounts().pending,
          num_active_channels: this.channelCounts().active,
          num_inactive_channels: this.channelCounts().inactive,
          address: this.o.address ?? [],
          binding: this.o.binding ?? [],
          version: this.o.version,
          blockheight: (await this.o.blockheight?.()) ?? 0,
          network: this.o.network,
          fees_collected_msat: 0,
          ...(this.o.lightningDir !== undefined ? { 'lightning-dir': this.o.lightningDir } : {}),
          our_features: this.o.ourFeatures,
          ...(this.o.gossipd?.info ? { gossip: await this.o.gossipd.info() } : {}),
        };
      },
    });
    r.register('connect', {
      category: 'network',
      params: ['id', 'host?', 'port?'],
      description: "Connect to {id} at {host} (which can end in ':port' if not specified separately).",
      handler: async p => {
        if (typeof p.id !== 'string') throw new RpcError(RpcCode.INVALID_PARAMS, 'id: should be a node id string');
        let peer;
        let explicit: Endpoint | undefined;
        try {
          const port = p.port === undefined ? undefined : Number(p.port);
          peer = parsePeerAddress(p.id, { network: this.o.network, port });
          explicit = peer.endpoint;
          if (p.host !== undefined) {
            if (explicit) throw new RpcError(RpcCode.INVALID_PARAMS, "Can't specify host as both xxx@yyy and separate argument");
            explicit = parseEndpoint(
              port === undefined ? String(p.host) : `${String(p.host).replace(/:\d+$/, '')}:${port}`,
              peer.endpoint?.port ?? undefined,
            );
          }
        } catch (e) {
          if (e instanceof RpcError) throw e;
          throw new RpcError(RpcCode.INVALID_PARAMS, (e as Error).message);
        }
        if (explicit === undefined && p.port !== undefined) {
          throw new RpcError(RpcCode.INVALID_PARAMS, "Can't specify port without host");
        }
        const endpoints = await this.endpointsFor(peer.id, explicit);
        if (endpoints.length === 0) throw connectRpcError({ code: 'no_address' });
        const targets = planDial(endpoints, this.o.caps);
        if (targets.length === 0) {
          throw new RpcError(
            RpcCode.CONNECT_NO_KNOWN_ADDRESS,
            `Unable to connect, no address this runtime can reach (configure a bridge): ${endpoints.map(e => (e.kind === 'tcp' ? `${e.host}:${e.port}` : e.url)).join(', ')}`,
          );
        }
        let res: ConnectResult;
        try {
          res = await this.o.connectd.connectToPeer(peer.id, targets);
        } catch (e) {
          throw connectRpcError(e);
        }
        const used = res.address ? endpoints.find(e => e.host === res.address!.address && e.port === res.address!.port) : undefined;
        await this.o.db.peerReached(peer.id, used ?? (endpoints.length === 1 ? endpoints[0] : undefined), this.now());
        return { id: res.id, features: res.features, direction: res.direction, address: res.address };
      },
    });
    r.register('listpeers', {
      category: 'network',
      params: ['id?'],
      description: 'Show current peers; if {id} is given, only that peer.',
      handler: async p => {
        const all = await this.o.connectd.listPeers();
        const peers = all
          .filter(x => x.connected && (p.id === undefined || x.id === p.id))
          .map(x => ({
            id: x.id,
            connected: x.connected,
            num_channels: this.channelCounts().byPeer.get(x.id) ?? 0,
            netaddr: x.netaddr,
            features: x.features ?? '',
          }));
        return { peers };
      },
    });
    r.register('ping', {
      category: 'network',
      params: ['id', 'len?', 'pongbytes?'],
      description: 'Send a ping of {len} bytes to {id}, asking for {pongbytes} back.',
      handler: async p => {
        const len = p.len === undefined ? 128 : Number(p.len);
        const pongbytes = p.pongbytes === undefined ? 128 : Number(p.pongbytes);
        if (!Number.isInteger(len) || len < 0 || len > 65529)
          throw new RpcError(RpcCode.INVALID_PARAMS, 'len: should be 0 to 65529 (a ping is at most 65535 bytes)');
        if (!Number.isInteger(pongbytes) || pongbytes < 0 || pongbytes > 65535)
          throw new RpcError(RpcCode.INVALID_PARAMS, 'pongbytes: should be 0 to 65535');
        try {
          return await this.o.connectd.ping(String(p.id), len, pongbytes);
        } catch (e) {
          const err = e as { code?: string; message?: string };
          throw new RpcError(err.code === 'bad_request' ? RpcCode.INVALID_PARAMS : RpcCode.LIGHTNINGD, err.message ?? String(e));
        }
      },
    });
    r.register('disconnect', {
      category: 'network',
      params: ['id', 'force?'],
      description: 'Disconnect from {id}; {force} disconnects even with channels.',
      handler: async p => {
        const peers = await this.o.connectd.listPeers();
        if (!peers.some(x => x.id === p.id && x.connected)) throw new RpcError(RpcCode.LIGHTNINGD, 'Peer not connected');
        await this.o.connectd.disconnect(String(p.id), p.force === true || p.force === 'true');
        return {};
      },
    });
    const gossip = (name: 'listnodes' | 'listchannels' | 'getroute', category: string, params: string[], description: string) =>
      r.register(name, {
        category,
        params,
        description,
        handler: async p => {
          if (!this.o.gossipd) throw new RpcError(RpcCode.LIGHTNINGD, 'gossipd is not running');
          try {
            return await this.o.gossipd.rpc(name, p);
          } catch (e) {
            throw gossipRpcError(e);
          }
        },
      });
    gossip('listnodes', 'network', ['id?'], 'Show nodes in our local network view, or only node {id}.');
    gossip(
      'listchannels',
      'channels',
      ['short_channel_id?', 'source?', 'destination?'],
      'Show channels in our local network view, filtered by {short_channel_id}, {source} or {destination}.',
    );
    r.register('stop', {
      category: 'utility',
      params: [],
      description: 'Shut down the node.',
      handler: async () => {
        if (!this.o.stop) throw new RpcError(RpcCode.LIGHTNINGD, 'this runtime cannot be stopped over the RPC');
        await this.o.stop();
        // Core Lightning's one result that is a bare string.
        return 'Shutdown complete';
      },
    });
    r.register('listconfigs', {
      category: 'utility',
      params: ['config?'],
      description: "List this node's configuration options, or only {config}.",
      handler: p => {
        const configs = this.configs();
        if (p.config === undefined) return { configs };
        if (typeof p.config !== 'string' || !Object.hasOwn(configs, p.config))
          throw new RpcError(RpcCode.INVALID_PARAMS, `Unknown config option ${JSON.stringify(p.config)}`);
        return { configs: { [p.config]: configs[p.config] } };
      },
    });
    gossip(
      'getroute',
      'channels',
      ['id', 'amount_msat', 'riskfactor', 'cltv?', 'fromid?', 'fuzzpercent?', 'exclude?', 'maxhops?'],
      'Find a route to {id} for {amount_msat}, weighing delays by {riskfactor}.',
    );
  }
}
