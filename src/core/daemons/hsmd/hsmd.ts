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
import type { HDKey } from '@scure/bip32';
import { channelSecrets, checkSecretData, nodeSecretKey, walletChain, type WalletAddressType } from '../../keys/derive.ts';
import { HsmError } from './secret.ts';
import { signWithdrawal, type WithdrawalInput } from './withdrawal.ts';

export { createNodeSecret, HsmError } from './secret.ts';
export type { WalletAddressType } from '../../keys/derive.ts';
export type { WithdrawalInput } from './withdrawal.ts';

/** Everything hsmd can do for a client. A link exposes a subset of these methods. */
export interface HsmApi {
  /** Our node id (BOLT 8 `ls.pub`, BOLT 7 `node_id`): the 33-byte compressed public key. */
  nodeId(): Uint8Array;
  /** BOLT 8 `ECDH(k, rk)` with the node secret: SHA-256 of the compressed shared point. */
  ecdh(pub: Uint8Array): Uint8Array;
  /**
   * A compact low-S signature over a 32-byte digest that the caller computed from a message of
   * our own (our node_announcement, our channel_update). A capability to grant sparingly.
   */
  signMessage(digest: Uint8Array): Uint8Array;
  /** Signs our own node_announcement (BOLT 7): refuses one whose `node_id` is not ours. */
  signNodeAnnouncement(msg: Uint8Array): Uint8Array;
  /** Signs a channel_update (BOLT 7): the double-SHA256 of the message after its signature. */
  signChannelUpdate(msg: Uint8Array): Uint8Array;
  /**
   * The BIP32 extended public key (`xpub...`, mainnet version bytes on every network) of the
   * wallet's chain for `type`: wallet address k of that type is its child k (non-hardened). The
   * chain is m/86'/0'/0'/0 for a mnemonic seed and m/0/0 for a legacy secret, the same for both
   * types (one index space, as Core Lightning: README "Keys").
   */
  walletXpub(type: WalletAddressType): string;
  /**
   * Signs each input i of `psbt` with wallet key `inputs[i]` and returns the PSBT with the
   * signatures (not finalized). Refuses (HsmError, nothing signed) a PSBT that does not parse
   * (`bad_psbt`), an input list that does not name every input (`bad_inputs`), an input without
   * witnessUtxo (`no_witness_utxo`), one whose script is not the wallet's for that key and type or
   * that is spent by taproot script path (`not_ours`), and one btc-signer will not sign as asked,
   * e.g. a non-default sighash (`cannot_sign`).
   */
  signWithdrawal(psbt: Uint8Array, inputs: WithdrawalInput[]): Uint8Array;
  /**
   * The public basepoints of channel `dbid` with `peerId` (Core Lightning's
   * hsmd_get_channel_basepoints), from the secrets src/core/keys/derive.ts channelSecrets gives.
   */
  channelBasepoints(peerId: Uint8Array, dbid: bigint): ChannelBasepoints;
}

/** BOLT 2 open_channel's keys, each a 33-byte compressed point. */
export interface ChannelBasepoints {
  funding_pubkey: Uint8Array;
  revocation_basepoint: Uint8Array;
  payment_basepoint: Uint8Array;
  delayed_payment_basepoint: Uint8Array;
  htlc_basepoint: Uint8Array;
}

/** The permission names: one per method (Core Lightning's hsmd permission bits, by name). */
export type HsmCapability = keyof HsmApi;

export const HSM_CAPABILITIES: readonly HsmCapability[] = Object.freeze([
  'nodeId',
  'ecdh',
  'signMessage',
  'signNodeAnnouncement',
  'signChannelUpdate',
  'walletXpub',
  'signWithdrawal',
  'channelBasepoints',
]);

/** A link that can call exactly the methods named in `C`. */
export type HsmLink<C extends HsmCapability> = Pick<HsmApi, C>;

/** BOLT 7 message types hsmd signs for. */
const NODE_ANNOUNCEMENT = 257;
const CHANNEL_UPDATE = 258;
/** BOLT 7: node_announcement and channel_update sign "the entire remaining packet after signature". */
const SIGNED_FROM = 2 + 64;

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

  /**
   * `secretData` is what Core Lightning's hsmd_init takes: a legacy 32-byte hsm_secret or the
   * 64-byte BIP39 seed (src/core/keys/seed.ts reads either from an hsm_secret file). Everything is
   * derived from it here; the caller should then drop or zero its own copy.
   */
  constructor(secretData: Uint8Array) {
    checkSecretData(secretData);
    this.#root = secretData.slice();
    this.#secret = nodeSecretKey(secretData);
    this.#nodeId = getPublicKey(this.#secret);
    this.#wallet = walletChain(secretData);
  }

  nodeId(): Uint8Array {
    return this.#nodeId.slice();
  }

  ecdh(pub: Uint8Array): Uint8Array {
    // crypto.ecdh: an invalid point is NoiseError('bad_pubkey'), which connectd reports as such.
    return ecdh(this.#secret, bytesArg(pub, 33, 'ecdh: the public key'));
  }

  signMessage(digest: Uint8Array): Uint8Array {
    return signDigest(bytesArg(digest, 32, 'signMessage: the digest'), this.#secret);
  }

  signNodeAnnouncement(msg: Uint8Array): Uint8Array {
    bytesArg(msg, undefined, 'signNodeAnnouncement: the message');
    let nodeId: Uint8Array;
    try {
      // BOLT 7 node_announcement: type, signature, u16 flen, features, u32 timestamp, node_id, ...
      const r = new Reader(msg);
      if (r.u16('type') !== NODE_ANNOUNCEMENT) throw new HsmError('bad_request', 'signNodeAnnouncement: not a node_announcement');
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
    if (msg.length < SIGNED_FROM + 32 + 8 + 4 + 1 + 1 || ((msg[0]! << 8) | msg[1]!) !== CHANNEL_UPDATE) {
      throw new HsmError('bad_request', 'signChannelUpdate: not a channel_update');
    }
    return signDigest(sha256d(msg.subarray(SIGNED_FROM)), this.#secret);
  }

  walletXpub(type: WalletAddressType): string {
    if (type !== 'p2wpkh' && type !== 'p2tr') throw new HsmError('bad_request', 'walletXpub: type must be p2wpkh or p2tr');
    return this.#wallet.publicExtendedKey;
  }

  signWithdrawal(psbt: Uint8Array, inputs: WithdrawalInput[]): Uint8Array {
    return signWithdrawal(this.#wallet, psbt, inputs);
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

  /**
   * An object exposing only the methods named in `capabilities`, for one client (e.g.
   * `linkFor(['ecdh'])` for connectd). The methods live on a frozen prototype and the object has no
   * own properties, so serialising it yields nothing, and a method not granted does not exist on
   * it. Expose it over a MessagePort with Comlink and the other side can call only those methods.
   */
  linkFor<const C extends HsmCapability>(capabilities: readonly C[]): HsmLink<C> {
    if (!Array.isArray(capabilities)) throw new HsmError('unknown_capability', 'capabilities must be an array');
    const proto: Record<string, unknown> = Object.create(null);
    for (const cap of capabilities as readonly unknown[]) {
      if (!HSM_CAPABILITIES.includes(cap as HsmCapability)) {
        throw new HsmError('unknown_capability', `hsmd has no capability ${JSON.stringify(String(cap))}`);
      }
      const name = cap as HsmCapability;
      const method = this[name] as (...args: never[]) => unknown;
      // A bound function: its target `this` cannot be read back from it.
      proto[name] = method.bind(this);
    }
    return Object.freeze(Object.create(Object.freeze(proto))) as HsmLink<C>;
  }
}
