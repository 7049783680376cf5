// The channel JSON-RPC in Core Lightning's shapes: fundchannel (doc/schemas/fundchannel.json, its
// error codes from common/jsonrpc_errors.h) and listpeerchannels (doc/schemas/listpeerchannels.json).
import { fromHex, toHex } from '../../base/bytes.ts';
import { deserializeChannel, deserializeValue } from '../../channel/serialize.ts';
import type { ChannelState } from '../../channel/state.ts';
import { commitmentFee } from '../../bolt3/index.ts';
import type { FeeEstimates } from '../../chain/backend.ts';
import { FeatureVector, isNegotiated } from '../../features/index.ts';
import { FeerateError, parseFeerate } from '../../wallet/fees.ts';
import { WalletError } from '../../wallet/errors.ts';
import type { ConnectdApi } from '../connectd/interface.ts';
import { LARGE_CHANNEL_SATOSHIS } from '../openingd/rules.ts';
import type { Funded } from '../openingd/opening.ts';
import { ANCHORS, SCID_ALIAS, STATIC_REMOTEKEY, ZEROCONF } from '../openingd/channel-type.ts';
import { channelTypeJson, defaultChannelType } from './channel-config.ts';
import { OpenFailed, type ChannelControl } from './channels.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import { upfrontOf } from './close-control.ts';
import { DEFAULT_FEE_BASE_MSAT, DEFAULT_FEE_PPM, policyOf, type PolicyRecord } from './forward-store.ts';
import { channelDeadlineJson, htlcDeadlineJson } from './htlc-deadlines.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';
import { parseSatOrAll, walletRpcError } from './wallet-rpc.ts';

/** common/jsonrpc_errors.h */
export const FUND_MAX_EXCEEDED = 300;
export const FUNDING_BROADCAST_FAIL = 303;
export const FUNDING_STILL_SYNCING_BITCOIN = 304;
export const FUNDING_PEER_NOT_CONNECTED = 305;
export const FUNDING_UNKNOWN_PEER = 306;

export interface ChannelRpcDeps {
  channels: ChannelControl;
  connectd: ConnectdApi;
  db: LightningdDb;
  estimatefees(): Promise<FeeEstimates>;
  /** Our `init` features, hex. */
  ourFeatures: string;
  /** The chain's height: 0 until lightningd has followed a block. */
  blockheight(): number | Promise<number>;
}

const bad = (message: string) => new RpcError(RpcCode.INVALID_PARAMS, message);

function bool(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw bad(`${name}: should be a boolean`);
}

export function uint(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(`${name}: should be an unsigned integer`);
  return n;
}

/** Core Lightning's `msat`: a whole number of millisatoshis, or `Nmsat`, `Nsat`. */
export function msat(v: unknown, name: string): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string') {
    let m: RegExpExecArray | null;
    if ((m = /^(\d+)(msat)?$/.exec(v))) return BigInt(m[1]!);
    if ((m = /^(\d+)sat$/.exec(v))) return BigInt(m[1]!) * 1000n;
  }
  throw bad(`${name}: should be a millisatoshi amount`);
}

function utxoList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!Array.isArray(list) || list.some(u => typeof u !== 'string')) throw bad('utxos: should be an array of txid:vout');
  return list as string[];
}

/** listpeerchannels' `features`: Core Lightning's names for what the channel_type holds. */
function featureNames(typeHex: string): string[] {
  const v = FeatureVector.fromBytes(fromHex(typeHex));
  const names: [number, string][] = [
    [STATIC_REMOTEKEY, 'option_static_remotekey'],
    [ANCHORS, 'option_anchors'],
    [SCID_ALIAS, 'option_scid_alias'],
    [ZEROCONF, 'option_zeroconf'],
  ];
  return names.filter(([b]) => v.isSet(b)).map(([, n]) => n);
}

const num = (v: bigint) => Number(v);

/** A channel's close_to: the shutdown script chosen, else the one committed at the open (option_upfront_shutdown_script). */
function closeToOf(c: ChannelRecord): string | undefined {
  if (c.closing?.local_script) return c.closing.local_script;
  const local = upfrontOf(c).local;
  return local ? toHex(local) : undefined;
}

/**
 * fundchannel's close_to (Core Lightning's): an address on our network, which (as close's
 * destination) must be this node's wallet's, since hsmd signs only a close paying the wallet.
 */
function closeToScript(d: ChannelRpcDeps, address: unknown): Uint8Array {
  if (typeof address !== 'string') throw bad('close_to: should be a bitcoin address');
  let script: Uint8Array;
  try {
    script = d.channels.closes.scriptOf(address);
  } catch {
    throw bad(`close_to: Invalid close_to address ${JSON.stringify(address)}`);
  }
  if (!d.channels.closes.isOurs(script))
    throw bad("close_to: hsmd signs only a close that pays this node's wallet; give one of its addresses");
  return script;
}

/**
 * fundchannel's `channel_type`: an array of feature bit numbers (Core Lightning's param_channel_type),
 * as a BOLT 2 channel_type (hex). Core Lightning's channel_type_accept: a defined type (BOLT 2
 * "Defined Channel Types") whose every feature our `init` offers, else JSONRPC2_INVALID_PARAMS
 * "channel_type not supported". Whether the peer supports it is openingd's check (BOLT 2: "SHOULD
 * NOT set it to a type containing a feature which was not negotiated"), which fails the open.
 */
export function requestedChannelType(v: unknown, ourFeatures: string): string {
  const list = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  if (!Array.isArray(list) || list.some(b => !Number.isSafeInteger(b) || b < 0 || b > 65535))
    throw bad('channel_type: should be an array of feature bit numbers');
  const bits = [...new Set(list as number[])];
  const ours = FeatureVector.fromBytes(fromHex(ourFeatures));
  const defined = [STATIC_REMOTEKEY, ANCHORS, SCID_ALIAS, ZEROCONF];
  // Our init offers a feature at its even or its odd bit.
  const offered = (b: number) => ours.isSet(b) || ours.isSet(b ^ 1);
  if (!bits.includes(STATIC_REMOTEKEY) || bits.some(b => !defined.includes(b) || !offered(b)))
    throw new RpcError(RpcCode.INVALID_PARAMS, 'channel_type not supported');
  return FeatureVector.fromBits(bits).toHex();
}

/** What a channel can send and receive now, from its last durable state (listpeerchannels, and what a payment may take). */
export function channelBalance(c: ChannelRecord): { spendable: bigint; receivable: bigint } {
  return balanceOf(deserializeValue<Funded>(c.funded), c.channel ? deserializeChannel(c.channel) : undefined);
}

function balanceOf(funded: Funded, state: ChannelState | undefined): { toUs: bigint; spendable: bigint; receivable: bigint } {
  const p = funded.params;
  const total = p.fundingSatoshis * 1000n;
  // The last durable state (channeld's last persist, or openingd's), else the funded channel.
  const spec = state?.localCommit.spec;
  const toUs = spec ? spec.toLocalMsat : funded.toLocalMsat;
  // SideParams.channelReserveSatoshis is what that side asks the OTHER to keep.
  const ourReserve = p.remote.channelReserveSatoshis * 1000n;
  const theirReserve = p.local.channelReserveSatoshis * 1000n;
  // The opener pays the commitment's fee (BOLT 3), from what it may spend; every HTLC is counted
  // untrimmed (an upper bound on the fee).
  const fee = commitmentFee(spec?.feeratePerKw ?? funded.feeratePerKw, spec?.htlcs.length ?? 0, p.anchors) * 1000n;
  // What the peer holds outside HTLCs in flight.
  const toThem = spec ? spec.toRemoteMsat : total - toUs;
  const spendable = toUs - ourReserve - (p.localIsOpener ? fee : 0n);
  const receivable = toThem - theirReserve - (p.localIsOpener ? 0n : fee);
  return { toUs, spendable: spendable > 0n ? spendable : 0n, receivable: receivable > 0n ? receivable : 0n };
}

/** One listpeerchannels entry for a channel we hold. */
function channelJson(
  c: ChannelRecord,
  connected: boolean,
  status: string[] = [],
  policy: PolicyRecord = {},
  blockheight = 0,
): Record<string, unknown> {
  const funded = deserializeValue<Funded>(c.funded);
  const state: ChannelState | undefined = c.channel ? deserializeChannel(c.channel) : undefined;
  const p = funded.params;
  const total = p.fundingSatoshis * 1000n;
  const spec = state?.localCommit.spec;
  const { toUs, spendable, receivable } = balanceOf(funded, state);
  const ourReserve = p.remote.channelReserveSatoshis * 1000n;
  const theirReserve = p.local.channelReserveSatoshis * 1000n;
  // Core Lightning's htlcs[]: those in our current commitment (its *_ACK_REVOCATION states: committed).
  const htlcs = (spec?.htlcs ?? []).map(h => ({
    direction: h.offered ? ('out' as const) : ('in' as const),
    id: num(h.add.id),
    amount_msat: num(h.add.amountMsat),
    expiry: h.add.cltvExpiry,
    payment_hash: toHex(h.add.paymentHash),
    state: h.offered ? 'SENT_ADD_ACK_REVOCATION' : 'RCVD_ADD_ACK_REVOCATION',
    // When it must be acted on (htlc-deadlines.ts).
    ...htlcDeadlineJson({ direction: h.offered ? 'out' : 'in', expiry: h.add.cltvExpiry }, blockheight),
  }));
  const push = BigInt(c.push_msat);
  return {
    peer_id: c.peer_id,
    peer_connected: connected,
    state: c.state,
    channel_type: channelTypeJson(c.channel_type),
    ...(c.short_channel_id ? { short_channel_id: c.short_channel_id } : {}),
    ...(c.alias ? { alias: { ...c.alias } } : {}),
    channel_id: c.channel_id,
    funding_txid: c.funding_txid,
    funding_outnum: c.funding_outnum,
    private: !c.announce,
    opener: c.opener,
    features: featureNames(c.channel_type),
    funding: {
      local_funds_msat: num(c.opener === 'local' ? total : 0n),
      remote_funds_msat: num(c.opener === 'local' ? 0n : total),
      pushed_msat: num(push),
    },
    to_us_msat: num(toUs),
    total_msat: num(total),
    // Our forwarding policy (setchannel), else Core Lightning's defaults (forward-store.ts).
    fee_base_msat: policy.fee_base_msat ?? DEFAULT_FEE_BASE_MSAT,
    fee_proportional_millionths: policy.fee_proportional_millionths ?? DEFAULT_FEE_PPM,
    dust_limit_msat: num(p.local.dustLimitSatoshis * 1000n),
    their_reserve_msat: num(theirReserve),
    our_reserve_msat: num(ourReserve),
    spendable_msat: num(spendable),
    receivable_msat: num(receivable),
    minimum_htlc_in_msat: num(p.local.htlcMinimumMsat),
    their_to_self_delay: p.local.toSelfDelay,
    our_to_self_delay: p.remote.toSelfDelay,
    max_accepted_htlcs: p.local.maxAcceptedHtlcs,
    minimum_depth: c.minimum_depth,
    // Core Lightning's close_to: where our side of a mutual close goes: committed at the open
    // (option_upfront_shutdown_script), or once chosen.
    ...(closeToOf(c) ? { close_to: closeToOf(c) } : {}),
    status,
    htlcs,
    ...channelDeadlineJson(htlcs, blockheight),
  };
}

/**
 * One listclosedchannels entry (doc/schemas/listclosedchannels.json), the fields we know:
 * `closer` and `close_cause` from what spent the funding output (our commitment: we closed,
 * `user` from the RPC or `protocol` when channeld failed it; another commitment: the peer,
 * `onchain`; a mutual close: `unknown`).
 */
function closedJson(c: ChannelRecord): Record<string, unknown> {
  const funded = deserializeValue<Funded>(c.funded);
  const state: ChannelState | undefined = c.channel ? deserializeChannel(c.channel) : undefined;
  const on = c.onchain;
  const ours = on?.spend !== undefined && on.spend.txid === on.commitment_txid;
  const mutual = on?.close === 'mutual';
  return {
    peer_id: c.peer_id,
    channel_id: c.channel_id,
    ...(c.short_channel_id ? { short_channel_id: c.short_channel_id } : {}),
    opener: c.opener,
    ...(mutual ? {} : { closer: ours ? 'local' : 'remote' }),
    private: !c.announce,
    channel_type: channelTypeJson(c.channel_type),
    total_local_commitments: num(state?.localCommit.index ?? 0n),
    total_remote_commitments: num(state?.remoteCommit.index ?? 0n),
    funding_txid: c.funding_txid,
    funding_outnum: c.funding_outnum,
    leased: false,
    funding_pushed_msat: num(BigInt(c.push_msat)),
    total_msat: num(funded.params.fundingSatoshis * 1000n),
    final_to_us_msat: num(state ? state.localCommit.spec.toLocalMsat : funded.toLocalMsat),
    ...(on?.commitment_txid ? { last_commitment_txid: on.commitment_txid } : {}),
    close_cause: mutual ? 'unknown' : !ours ? 'onchain' : c.failure ? 'protocol' : 'user',
  };
}

/** The status line of the channeld running for `c`, if one does. */
async function channeldStatus(channels: ChannelControl, c: ChannelRecord): Promise<string[]> {
  const closing = channels.closes.closingdOf(c.dbid);
  if (closing) {
    const s = await closing.guard(closing.api.status()).catch(() => undefined);
    return s ? [`${c.state}:closingd ${s.stage}${s.sent !== undefined ? `, we offered ${s.sent} sat` : ''}`] : [];
  }
  const d = channels.channeldOf(c.dbid);
  if (!d) return channels.onchainStatus(c);
  try {
    const s = await d.guard(d.api.status());
    const text = s.failed ? `${s.failed.code}: ${s.failed.message}` : `commitments ${s.localCommitmentNumber}/${s.remoteCommitmentNumber}`;
    return [`${c.state}:channeld ${s.phase} (${d.instance}), ${text}`];
  } catch {
    return [];
  }
}

/** listfunds' `channels`: each channel we hold, with our balance in it (doc/schemas/listfunds.json). */
export async function fundsChannels(d: Pick<ChannelRpcDeps, 'channels' | 'connectd'>): Promise<Record<string, unknown>[]> {
  const connected = new Set((await d.connectd.listPeers()).filter(x => x.connected).map(x => x.id));
  return d.channels.list().flatMap(({ record: c }) => {
    if (!c) return [];
    const state: ChannelState | undefined = c.channel ? deserializeChannel(c.channel) : undefined;
    const toUs = state ? state.localCommit.spec.toLocalMsat : deserializeValue<Funded>(c.funded).toLocalMsat;
    return [
      {
        peer_id: c.peer_id,
        our_amount_msat: num(toUs),
        amount_msat: num(BigInt(c.funding_sat) * 1000n),
        funding_txid: c.funding_txid,
        funding_output: c.funding_outnum,
        connected: connected.has(c.peer_id),
        state: c.state,
        channel_id: c.channel_id,
        ...(c.short_channel_id ? { short_channel_id: c.short_channel_id } : {}),
      },
    ];
  });
}

export function registerChannelCommands(rpc: RpcDispatcher, d: ChannelRpcDeps): void {
  rpc.register('fundchannel', {
    category: 'channels',
    params: [
      'id',
      'amount',
      'feerate?',
      'announce?',
      'minconf?',
      'utxos?',
      'push_msat?',
      'close_to?',
      'request_amt?',
      'compact_lease?',
      'mindepth?',
      'reserve?',
      'channel_type?',
    ],
    description:
      'Fund a channel with {id} using {amount} satoshis (or "all"), at {feerate}, from outputs with {minconf} confirmations or the given {utxos}.',
    handler: async p => {
      if (typeof p.id !== 'string' || !/^0[23][0-9a-f]{64}$/.test(p.id)) throw bad('id: should be a node id');
      const amount = parseSatOrAll(p.amount);
      const announce = bool(p.announce, 'announce', true);
      const minconf = uint(p.minconf, 'minconf', 1);
      const pushMsat = msat(p.push_msat, 'push_msat');
      const utxos = utxoList(p.utxos);
      if (p.request_amt !== undefined || p.compact_lease !== undefined) throw bad('request_amt and compact_lease are not supported');
      const closeTo = p.close_to === undefined ? undefined : closeToScript(d, p.close_to);
      const requested = p.channel_type === undefined ? undefined : requestedChannelType(p.channel_type, d.ourFeatures);
      const mindepth = p.mindepth === undefined ? undefined : uint(p.mindepth, 'mindepth', 0);
      const reserve = p.reserve === undefined ? undefined : parseSatOrAll(p.reserve);
      if (reserve === 'all') throw bad('reserve: should be a satoshi amount');
      if (!d.channels.canOpen) throw new RpcError(RpcCode.LIGHTNINGD, 'this node has no wallet and chain backend to fund channels');
      if ((await d.blockheight()) === 0) throw new RpcError(FUNDING_STILL_SYNCING_BITCOIN, 'Still syncing with bitcoin network');
      const peer = (await d.connectd.listPeers()).find(x => x.id === p.id && x.connected);
      if (!peer) {
        if (d.db.peer(p.id)) throw new RpcError(FUNDING_PEER_NOT_CONNECTED, 'Peer not connected');
        throw new RpcError(FUNDING_UNKNOWN_PEER, 'Unknown peer');
      }
      const theirs = peer.features ?? '';
      const channelType =
        requested ?? defaultChannelType(FeatureVector.fromBytes(fromHex(d.ourFeatures)), FeatureVector.fromBytes(fromHex(theirs)));
      // BOLT 2: without option_support_large_channel, "MUST set `funding_satoshis` to less than 2^24 satoshi".
      const large = isNegotiated(
        FeatureVector.fromBytes(fromHex(d.ourFeatures)),
        FeatureVector.fromBytes(fromHex(theirs)),
        'option_support_large_channel',
      );
      if (!large && amount !== 'all' && amount >= Number(LARGE_CHANNEL_SATOSHIS))
        throw new RpcError(FUND_MAX_EXCEEDED, `Amount exceeded ${Number(LARGE_CHANNEL_SATOSHIS) - 1}sat`);
      if (pushMsat > BigInt(amount === 'all' ? 0 : amount) * 1000n && amount !== 'all')
        throw bad('push_msat: must be less than the channel amount');
      let perkw: number;
      try {
        perkw = parseFeerate(p.feerate ?? 'normal', await d.estimatefees());
      } catch (e) {
        if (e instanceof FeerateError)
          throw new RpcError(e.message.startsWith('Cannot estimate') ? RpcCode.LIGHTNINGD : RpcCode.INVALID_PARAMS, e.message);
        throw new RpcError(RpcCode.LIGHTNINGD, `Cannot estimate fees: ${(e as Error).message}`);
      }
      try {
        const r = await d.channels.fund({
          peerId: p.id,
          theirFeatures: theirs,
          amount,
          perkw,
          minconf,
          ...(utxos ? { utxos } : {}),
          announce,
          pushMsat,
          channelType,
          ...(reserve !== undefined ? { reserve: BigInt(reserve) } : {}),
          ...(mindepth !== undefined ? { mindepth } : {}),
          ...(closeTo ? { closeTo } : {}),
          maxSatoshis: large ? undefined : Number(LARGE_CHANNEL_SATOSHIS) - 1,
        });
        // Core Lightning: close_to is answered "only present if close_to parameter was specified and
        // peer supports option_upfront_shutdown_script" (BOLT 2: only then is it committed).
        const upfront =
          closeTo &&
          isNegotiated(
            FeatureVector.fromBytes(fromHex(d.ourFeatures)),
            FeatureVector.fromBytes(fromHex(theirs)),
            'option_upfront_shutdown_script',
          );
        return {
          tx: r.tx,
          txid: r.txid,
          outnum: r.outnum,
          channel_type: channelTypeJson(r.channel_type),
          channel_id: r.channel_id,
          ...(upfront ? { close_to: toHex(closeTo) } : {}),
          mindepth: r.mindepth,
        };
      } catch (e) {
        if (e instanceof WalletError) throw walletRpcError(e);
        if (e instanceof OpenFailed) throw new RpcError(e.reason === 'broadcast' ? FUNDING_BROADCAST_FAIL : RpcCode.LIGHTNINGD, e.message);
        throw e;
      }
    },
  });
  rpc.register('listclosedchannels', {
    category: 'channels',
    params: ['id?'],
    description: 'Show channels closed and resolved on chain, or only those with peer {id}.',
    handler: async p => ({
      closedchannels: d.db
        .closedChannels()
        .filter(c => p.id === undefined || c.peer_id === p.id)
        .map(closedJson),
    }),
  });
  rpc.register('listpeerchannels', {
    category: 'network',
    params: ['id?', 'short_channel_id?'],
    description: 'Show channels with direct peers, or only with peer {id}.',
    handler: async p => {
      const connected = new Set((await d.connectd.listPeers()).filter(x => x.connected).map(x => x.id));
      const height = await d.blockheight();
      const all = d.channels.list();
      // Core Lightning's status[]: what the channel's daemon says now ("STATE:text"), while one runs.
      const statuses = await Promise.all(all.map(c => (c.record ? channeldStatus(d.channels, c.record) : [])));
      const channels = all
        .map((c, i) => {
          if (c.record) return channelJson(c.record, connected.has(c.record.peer_id), statuses[i], policyOf(d.db, c.record.dbid), height);
          const o = c.opening!;
          return {
            peer_id: o.peerId,
            peer_connected: connected.has(o.peerId),
            state: 'OPENINGD',
            opener: o.role === 'opener' ? 'local' : 'remote',
            features: [],
            status: [],
            htlcs: [],
          };
        })
        .filter(
          c =>
            (p.id === undefined || c.peer_id === p.id) && (p.short_channel_id === undefined || c.short_channel_id === p.short_channel_id),
        );
      return { channels };
    },
  });
}
