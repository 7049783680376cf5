// hsmd: the only holder of the root secret (the BIP39 seed, or a legacy 32-byte hsm_secret), from
// which it derives the node key, the wallet's keys and each channel's secrets (src/core/keys). Like
// Core Lightning's hsmd it has no network connection and answers each client only what that client's
// permissions allow: connectd gets a link that can do ECDH and nothing else; gossip signing and
// wallet signing go through other links. The secrets live in private fields, are never returned,
// logged or put in an error, and no object hsmd returns holds them (a link has no own properties,
// so JSON, structuredClone and Comlink see nothing in it but the allowed methods).
import { equal, Reader } from '../../base/bytes.ts';
import { ecdh, getPublicKey, sha256d, signDigest } from '../../crypto/primitives.ts';
import { isBoltError } from '../../base/errors.ts';
import { fieldOffset } from '../../wire/layout.ts';
import { readType, TYPE } from '../../wire/messages.ts';
import type { HDKey } from '@scure/bip32';
import { channelSecrets, checkSecretData, nodeSecretKey, walletChain, type WalletAddressType } from '../../keys/derive.ts';
import { HsmError } from './secret.ts';
import { signWithdrawal, type WithdrawalInput } from './withdrawal.ts';
import { checkInvoiceToSign } from './invoice.ts';
import { signedMessageBytes, signedMessageHash, signMessageHash } from '../../crypto/signed-message.ts';
import { signingHash, signInvoiceHash } from '../../bolt11/signature.ts';
import {
  CHANNEL_CAPABILITIES,
  HSM_CAPABILITIES,
  ONCHAIN_CAPABILITIES,
  type ChannelBasepoints,
  type ChannelCapability,
  type ChannelLink,
  type HsmApi,
  type HsmCapability,
  type HsmLink,
} from './interface.ts';
import { HsmChannels, type HolderCommitment, type RemoteHtlcs } from './channel.ts';
import type { MutualCloseRequest } from './channel-close.ts';
import type { AnnouncementSignatures } from './channel-announce.ts';
import { recoveredToRemoteScriptAndKey, type RecoveredToRemoteRequest, type SweepRequest } from './channel-sweep.ts';
import { SIGHASH_ALL, signCompact } from '../../bolt3/index.ts';
import type { ChannelSetup, HsmChannelStore } from './channel-state.ts';

export { createNodeSecret, HsmError } from './secret.ts';
export type { WalletAddressType } from '../../keys/derive.ts';
export type { WithdrawalInput } from './withdrawal.ts';
export * from './interface.ts';

/** BOLT 7: node_announcement and channel_update sign "the entire remaining packet after signature". */
const SIGNED_FROM = fieldOffset('channel_update', 'chain_hash');
/** A channel_update is read up to its channel_flags (the direction) before hsmd signs it. */
const UPDATE_MIN_LENGTH = fieldOffset('channel_update', 'channel_flags') + 1;

function bytesArg(v: unknown, len: number | undefined, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new HsmError('bad_request', `${what} must be a Uint8Array`);
  if (len !== undefined && v.length !== len) throw new HsmError('bad_request', `${what} must be ${len} bytes, got ${v.length}`);
  return v;
}

export class Hsmd implements HsmApi {
  /** The root secret (channel secrets are derived from it on demand). */
  readonly #root: Uint8Array;
  /** The node key (libhsmd.c node_key()). */
  readonly #secret: Uint8Array;
  readonly #nodeId: Uint8Array;
  readonly #wallet: HDKey;
  /** The channels' validating signer, when the runtime gave hsmd a durable store for it. */
  readonly #channels: HsmChannels | undefined;

  /**
   * `secretData` is what Core Lightning's hsmd_init takes: a legacy 32-byte hsm_secret or the
   * 64-byte BIP39 seed (src/core/keys/seed.ts reads either from an hsm_secret file). Everything is
   * derived from it here; the caller should then drop or zero its own copy. `channelStore`: where
   * the channels' signer state lives (interface.ts HsmdEnv.openChannelStore); without it hsmd
   * refuses every channel signing request.
   */
  constructor(secretData: Uint8Array, channelStore?: HsmChannelStore) {
    checkSecretData(secretData);
    this.#root = secretData.slice();
    this.#secret = nodeSecretKey(secretData);
    this.#nodeId = getPublicKey(this.#secret);
    this.#wallet = walletChain(secretData);
    this.#channels =
      channelStore &&
      new HsmChannels(
        channelStore,
        (peerId, dbid) => channelSecrets(this.#root, peerId, dbid),
        index => this.#wallet.deriveChild(index).publicKey!,
      );
  }

  #ch(): HsmChannels {
    if (!this.#channels)
      throw new HsmError('no_channel_store', 'hsmd has no durable store for channel state: it signs nothing for channels');
    return this.#channels;
  }

  nodeId(): Uint8Array {
    return this.#nodeId.slice();
  }

  ecdh(pub: Uint8Array): Uint8Array {
    // crypto.ecdh: an invalid point is NoiseError('bad_pubkey'), which connectd reports as such.
    return ecdh(this.#secret, bytesArg(pub, 33, 'ecdh: the public key'));
  }

  signMessage(message: string): Uint8Array {
    const bytes = signedMessageBytes(message);
    if (!bytes) throw new HsmError('bad_request', 'signMessage: the message must be a string of at most 65535 bytes');
    return signMessageHash(signedMessageHash(bytes), this.#secret);
  }

  signInvoice(hrp: string, data: readonly number[]): Uint8Array {
    checkInvoiceToSign(hrp, data);
    return signInvoiceHash(signingHash(hrp, data), this.#secret);
  }

  signNodeAnnouncement(msg: Uint8Array): Uint8Array {
    bytesArg(msg, undefined, 'signNodeAnnouncement: the message');
    let nodeId: Uint8Array;
    try {
      // BOLT 7 node_announcement: type, signature, u16 flen, features, u32 timestamp, node_id, ...
      const r = new Reader(msg);
      if (r.u16('type') !== TYPE.node_announcement) throw new HsmError('bad_request', 'signNodeAnnouncement: not a node_announcement');
      r.bytes(64, 'signature');
      r.bytes(r.u16('flen'), 'features');
      r.u32('timestamp');
      nodeId = r.bytes(33, 'node_id');
    } catch (e) {
      if (e instanceof HsmError) throw e;
      throw new HsmError('bad_request', `signNodeAnnouncement: ${isBoltError(e) ? e.message : 'malformed message'}`);
    }
    if (!equal(nodeId, this.#nodeId)) {
      throw new HsmError('not_ours', 'signNodeAnnouncement: the node_id is not ours');
    }
    return signDigest(sha256d(msg.subarray(SIGNED_FROM)), this.#secret);
  }

  signChannelUpdate(msg: Uint8Array): Uint8Array {
    bytesArg(msg, undefined, 'signChannelUpdate: the message');
    // BOLT 7 channel_update: type, signature, chain_hash, short_channel_id, timestamp, flags...
    if (msg.length < UPDATE_MIN_LENGTH || readType(msg) !== TYPE.channel_update) {
      throw new HsmError('bad_request', 'signChannelUpdate: not a channel_update');
    }
    return signDigest(sha256d(msg.subarray(SIGNED_FROM)), this.#secret);
  }

  walletXpub(type: WalletAddressType): string {
    if (type !== 'p2wpkh' && type !== 'p2tr') throw new HsmError('bad_request', 'walletXpub: type must be p2wpkh or p2tr');
    return this.#wallet.publicExtendedKey;
  }

  signWithdrawal(psbt: Uint8Array, inputs: (WithdrawalInput | null)[]): Uint8Array {
    return signWithdrawal(this.#wallet, psbt, inputs);
  }

  /**
   * Our to_remote on the peer's commitment of a channel we lost and learnt of again from a peer's
   * copy of our backup (channel-sweep.ts recoveredToRemoteScriptAndKey): hsmd derives the key from
   * (peerId, dbid) as for any channel, and signs only a spend paying the wallet. No channel state
   * is needed or written: the output is ours alone, whatever happened to the channel.
   */
  signRecoveredToRemote(
    peerId: Uint8Array,
    dbid: bigint,
    req: RecoveredToRemoteRequest,
  ): { signature: Uint8Array; witnessScript: Uint8Array } {
    const s = channelSecrets(this.#root, bytesArg(peerId, 33, 'signRecoveredToRemote: peer_id'), dbid);
    try {
      const { tx, input, witnessScript, key } = recoveredToRemoteScriptAndKey(req, s, index => this.#wallet.deriveChild(index).publicKey!);
      try {
        return { signature: signCompact(tx, input, witnessScript, req.amount, key, SIGHASH_ALL), witnessScript };
      } finally {
        key.fill(0);
      }
    } finally {
      for (const k of Object.values(s)) k.fill(0);
    }
  }

  channelBasepoints(peerId: Uint8Array, dbid: bigint): ChannelBasepoints {
    const s = channelSecrets(this.#root, bytesArg(peerId, 33, 'channelBasepoints: peer_id'), dbid);
    const out = {
      funding_pubkey: getPublicKey(s.funding_privkey),
      revocation_basepoint: getPublicKey(s.revocation_basepoint_secret),
      payment_basepoint: getPublicKey(s.payment_basepoint_secret),
      delayed_payment_basepoint: getPublicKey(s.delayed_payment_basepoint_secret),
      htlc_basepoint: getPublicKey(s.htlc_basepoint_secret),
    };
    for (const k of Object.values(s)) k.fill(0);
    return out;
  }

  async setupChannel(peerId: Uint8Array, dbid: bigint, setup: ChannelSetup): Promise<void> {
    return this.#ch().setupChannel(peerId, dbid, setup);
  }

  async getPerCommitmentPoint(peerId: Uint8Array, dbid: bigint, n: bigint): Promise<Uint8Array> {
    return this.#ch().getPerCommitmentPoint(peerId, dbid, n);
  }

  async signRemoteCommitment(peerId: Uint8Array, dbid: bigint, req: { commitmentNumber: bigint; tx: Uint8Array }): Promise<Uint8Array> {
    return this.#ch().signRemoteCommitment(peerId, dbid, req);
  }

  async signRemoteHtlcs(peerId: Uint8Array, dbid: bigint, req: RemoteHtlcs): Promise<Uint8Array[]> {
    return this.#ch().signRemoteHtlcs(peerId, dbid, req);
  }

  async validateCommitment(peerId: Uint8Array, dbid: bigint, c: HolderCommitment): Promise<void> {
    return this.#ch().validateCommitment(peerId, dbid, c);
  }

  async revokeCommitment(peerId: Uint8Array, dbid: bigint, n: bigint): Promise<Uint8Array> {
    return this.#ch().revokeCommitment(peerId, dbid, n);
  }

  async signLocalCommitment(peerId: Uint8Array, dbid: bigint, tx: Uint8Array): Promise<Uint8Array> {
    return this.#ch().signLocalCommitment(peerId, dbid, tx);
  }

  async signMutualClose(peerId: Uint8Array, dbid: bigint, req: MutualCloseRequest): Promise<Uint8Array> {
    return this.#ch().signMutualClose(peerId, dbid, req);
  }

  async signSweep(peerId: Uint8Array, dbid: bigint, req: SweepRequest): Promise<{ signature: Uint8Array; witnessScript: Uint8Array }> {
    return this.#ch().signSweep(peerId, dbid, req);
  }

  async signChannelAnnouncement(peerId: Uint8Array, dbid: bigint, msg: Uint8Array): Promise<AnnouncementSignatures> {
    return this.#ch().signChannelAnnouncement(peerId, dbid, msg, this.#nodeId, h => signDigest(h, this.#secret));
  }

  /**
   * An object exposing only the methods named in `capabilities`, for one client (e.g.
   * `linkFor(['ecdh'])` for connectd). The methods live on a frozen prototype and the object has no
   * own properties, so serialising it yields nothing, and a method not granted does not exist on
   * it. Expose it over a MessagePort with Comlink and the other side can call only those methods.
   */
  linkFor<const C extends HsmCapability>(capabilities: readonly C[]): HsmLink<C> {
    return this.#link(capabilities, []) as HsmLink<C>;
  }

  /**
   * A link for one channel's daemon, as Core Lightning gives each channel daemon an hsmd client
   * bound to its peer and dbid: the channel methods in `capabilities`, with (peerId, dbid) fixed,
   * so that daemon cannot ask anything of another channel.
   */
  linkForChannel<const C extends ChannelCapability>(peerId: Uint8Array, dbid: bigint, capabilities: readonly C[]): ChannelLink<C> {
    const peer = bytesArg(peerId, 33, 'linkForChannel: peer_id').slice();
    if (typeof dbid !== 'bigint' || dbid < 0n || dbid >= 1n << 64n) throw new HsmError('bad_request', 'linkForChannel: dbid must be a u64');
    const allowed: readonly unknown[] = [...CHANNEL_CAPABILITIES, ...ONCHAIN_CAPABILITIES];
    if (!Array.isArray(capabilities) || capabilities.some(c => !allowed.includes(c))) {
      throw new HsmError('unknown_capability', 'linkForChannel: only channel capabilities');
    }
    return this.#link(capabilities, [peer, dbid]) as ChannelLink<C>;
  }

  #link(capabilities: readonly unknown[], bound: unknown[]): object {
    if (!Array.isArray(capabilities)) throw new HsmError('unknown_capability', 'capabilities must be an array');
    const proto: Record<string, unknown> = Object.create(null);
    for (const cap of capabilities) {
      if (!HSM_CAPABILITIES.includes(cap as HsmCapability)) {
        throw new HsmError('unknown_capability', `hsmd has no capability ${JSON.stringify(String(cap))}`);
      }
      const name = cap as HsmCapability;
      const method = this[name] as (...args: unknown[]) => unknown;
      // A bound function: its target `this` (and bound arguments) cannot be read back from it.
      proto[name] = method.bind(this, ...bound);
    }
    return Object.freeze(Object.create(Object.freeze(proto)));
  }
}
