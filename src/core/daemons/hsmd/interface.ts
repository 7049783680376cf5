// hsmd's whole interface, read top to bottom (the TypeScript form of Core Lightning's hsmd_wire.csv):
// what it can do, the capabilities a link may be given (one per method, Core Lightning's hsmd
// permission bits by name), what it answers lightningd, and what the runtime gives it. It needs no
// link of its own: it only answers.
import type { WalletAddressType } from '../../keys/derive.ts';
import type { WithdrawalInput } from './withdrawal.ts';
import type { HolderCommitment, RemoteHtlcs } from './channel.ts';
import type { MutualCloseRequest } from './channel-close.ts';
import type { AnnouncementSignatures } from './channel-announce.ts';
import type { RecoveredToRemoteRequest, SweepRequest } from './channel-sweep.ts';
import type { ChannelSetup, HsmChannelStore } from './channel-state.ts';

export type { ChannelSetup, HsmChannelStore, StoredChannelRecord } from './channel-state.ts';
export type { HolderCommitment, RawInput, RemoteHtlcs } from './channel.ts';
export type { MutualCloseRequest } from './channel-close.ts';
export type { AnnouncementSignatures } from './channel-announce.ts';
export type { RecoveredToRemoteRequest, SweepRequest } from './channel-sweep.ts';

/** Everything hsmd can do for a client. A link exposes a subset of these methods. */
export interface HsmApi {
  /** Our node id (BOLT 8 `ls.pub`, BOLT 7 `node_id`): the 33-byte compressed public key. */
  nodeId(): Uint8Array;
  /** BOLT 8 `ECDH(k, rk)` with the node secret: SHA-256 of the compressed shared point. */
  ecdh(pub: Uint8Array): Uint8Array;
  /**
   * Core Lightning's hsmd_sign_message: a recoverable signature (65 bytes, the recovery id first,
   * then R || S low-S) over SHA-256d("Lightning Signed Message:" || the message's UTF-8), what
   * `signmessage` answers (crypto/signed-message.ts). hsmd adds the prefix itself, so this signs no
   * digest the caller chose. `bad_request`: not a string, or over 65,535 bytes.
   */
  signMessage(message: string): Uint8Array;
  /**
   * Core Lightning's hsmd_sign_invoice: the BOLT 11 signature (65 bytes, R || S low-S then the
   * recovery id) over SHA-256 of `hrp` and the data part's 5-bit words. hsmd checks that `hrp` is a
   * BOLT 11 human-readable part and `data` a timestamp and whole tagged fields before it signs, so
   * this signs invoices only (`bad_request` otherwise).
   */
  signInvoice(hrp: string, data: readonly number[]): Uint8Array;
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
   * signatures (not finalized); an input named `null` is not the wallet's and stays unsigned (at
   * least one must be named: a wallet input paying the fee of onchaind's HTLC transaction). Refuses (HsmError, nothing signed) a PSBT that does not parse
   * (`bad_psbt`), an input list that does not name every input (`bad_inputs`), an input without
   * witnessUtxo (`no_witness_utxo`), one whose script is not the wallet's for that key and type or
   * that is spent by taproot script path (`not_ours`), and one btc-signer will not sign as asked,
   * e.g. a non-default sighash (`cannot_sign`).
   */
  signWithdrawal(psbt: Uint8Array, inputs: (WithdrawalInput | null)[]): Uint8Array;
  /**
   * The public basepoints of channel `dbid` with `peerId` (Core Lightning's
   * hsmd_get_channel_basepoints), from the secrets src/core/keys/derive.ts channelSecrets gives.
   */
  channelBasepoints(peerId: Uint8Array, dbid: bigint): ChannelBasepoints;

  // ---- A channel's validating signer (channel.ts), keyed by (peerId, dbid) ----
  // Each refusal is an HsmError with its code; each answer that changes the channel's signer state
  // leaves hsmd only once that state is in the runtime's store (HsmdEnv.openChannelStore).

  /** The channel's shape, once, before anything is signed for it (`already_setup` if it differs). */
  setupChannel(peerId: Uint8Array, dbid: bigint, setup: ChannelSetup): Promise<void>;
  /** BOLT 3 per_commitment_point of our commitment `n`. */
  getPerCommitmentPoint(peerId: Uint8Array, dbid: bigint, n: bigint): Promise<Uint8Array>;
  /**
   * Our signature on the remote's commitment `commitmentNumber` (unsigned raw tx): it must spend the
   * funding output and carry that number; remote commitments go forward one at a time
   * (`stale_commitment`, `skipped_commitment`), none after a mutual close (`closing`).
   */
  signRemoteCommitment(peerId: Uint8Array, dbid: bigint, req: { commitmentNumber: bigint; tx: Uint8Array }): Promise<Uint8Array>;
  /** Our signatures on the remote's HTLC transactions (`bad_sighash`, `not_our_htlc`). */
  signRemoteHtlcs(peerId: Uint8Array, dbid: bigint, req: RemoteHtlcs): Promise<Uint8Array[]>;
  /**
   * Checks the peer's signatures on our commitment (`bad_signature`, `bad_htlc_signature`) and
   * records it as our latest; numbers go forward one at a time (`out_of_order`, `conflicting_commitment`).
   */
  validateCommitment(peerId: Uint8Array, dbid: bigint, c: HolderCommitment): Promise<void>;
  /**
   * Our per_commitment_secret of commitment `n`, only once n + 1 is validated (`not_replaced`) and
   * never for a commitment signed for broadcast (`broadcast`).
   */
  revokeCommitment(peerId: Uint8Array, dbid: bigint, n: bigint): Promise<Uint8Array>;
  /** Our signature on our latest validated commitment, to broadcast it (`revoked`, `not_validated`). */
  signLocalCommitment(peerId: Uint8Array, dbid: bigint, tx: Uint8Array): Promise<Uint8Array>;
  /** Our signature on a mutual close that pays the wallet what the channel owes us (`underpays`). */
  signMutualClose(peerId: Uint8Array, dbid: bigint, req: MutualCloseRequest): Promise<Uint8Array>;
  /**
   * BOLT 7 announcement_signatures: our node signature and our funding key's signature on this
   * channel's channel_announcement (signatures ignored), only if it names this channel's two
   * nodes (lesser first), its two funding keys in that order, and an scid whose output index is
   * the funding output's (channel-announce.ts): `not_this_channel` otherwise, `no_setup` before setup.
   */
  signChannelAnnouncement(peerId: Uint8Array, dbid: bigint, msg: Uint8Array): Promise<AnnouncementSignatures>;
  /**
   * onchaind: our signature on a spend of a channel output once the funding output is spent (channel-sweep.ts:
   * delayed, penalty, revoked_htlc, to_remote, remote_htlc, local_htlc, anchor); refused: `not_to_wallet`,
   * `bad_sequence`, `not_validated`, `revoked`, `not_our_output`.
   */
  signSweep(peerId: Uint8Array, dbid: bigint, req: SweepRequest): Promise<{ signature: Uint8Array; witnessScript: Uint8Array }>;
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

/** What a channel daemon (openingd, channeld, closingd) may ask of hsmd: its channel's signing. */
export const CHANNEL_CAPABILITIES = Object.freeze([
  'channelBasepoints',
  'setupChannel',
  'getPerCommitmentPoint',
  'signRemoteCommitment',
  'signRemoteHtlcs',
  'validateCommitment',
  'revokeCommitment',
  'signLocalCommitment',
  'signMutualClose',
  'signChannelAnnouncement',
] as const satisfies readonly HsmCapability[]);

/** The name of the link lightningd attaches to hsmd for one channel's daemon (node/host.ts AttachRequest). */
export const CHANNEL_LINK = 'channel';

/**
 * What that link is for: one channel, and (if narrower) which channel capabilities it may use
 * (CHANNEL_CAPABILITIES for channeld and its kin, ONCHAIN_CAPABILITIES for onchaind).
 */
export interface ChannelLinkArgs {
  /** hex */
  peerId: string;
  dbid: bigint;
  caps?: ChannelCapability[];
}

/** What onchaind may ask: our per-commitment points (to know our commitment), our commitment to broadcast, and sweeps to the wallet. */
export const ONCHAIN_CAPABILITIES = Object.freeze([
  'getPerCommitmentPoint',
  'signLocalCommitment',
  'signSweep',
] as const satisfies readonly HsmCapability[]);

export const HSM_CAPABILITIES: readonly HsmCapability[] = Object.freeze([
  'nodeId',
  'ecdh',
  'signMessage',
  'signInvoice',
  'signNodeAnnouncement',
  'signChannelUpdate',
  'walletXpub',
  'signWithdrawal',
  ...CHANNEL_CAPABILITIES,
  'signSweep',
] satisfies HsmCapability[]);

/** A link that can call exactly the methods named in `C`. */
export type HsmLink<C extends HsmCapability> = Pick<HsmApi, C>;

export type ChannelCapability = (typeof CHANNEL_CAPABILITIES)[number] | (typeof ONCHAIN_CAPABILITIES)[number];

/** A channel method with its (peerId, dbid) already given. */
type BoundToChannel<F> = F extends (peerId: Uint8Array, dbid: bigint, ...rest: infer A) => infer R ? (...rest: A) => R : never;

/** One channel's link (Hsmd.linkForChannel): the methods named in `C`, for that channel only. */
export type ChannelLink<C extends ChannelCapability> = { [K in C]: BoundToChannel<HsmApi[K]> };

// ---- What hsmd answers lightningd ----

export interface HsmdDaemonApi {
  /** Our node id, hex. */
  nodeId(): string;
  /**
   * The BIP39 mnemonic of a seed this start created, once: for the user to write down (the browser
   * API returns it once). Forgotten after the first call; undefined for a seed that was there.
   */
  takeMnemonic(): string | undefined;
  /** The on-chain wallet's keys (lightningd's wallet: addresses from the xpub, inputs signed here). */
  walletXpub(type: WalletAddressType): string;
  signWithdrawal(psbt: Uint8Array, inputs: (WithdrawalInput | null)[]): Uint8Array;
  /** `signmessage` and `invoice`: lightningd's signing requests, as HsmApi's methods of those names. */
  signMessage(message: string): Uint8Array;
  signInvoice(hrp: string, data: readonly number[]): Uint8Array;
  /** ECDH with the node key (Core Lightning's hsmd_ecdh_req): an incoming HTLC's onion shared secret. */
  ecdh(pub: Uint8Array): Uint8Array;
  /** Our channel_update for a forwarding failure (BOLT 4 UPDATE failures carry it) and for gossip: HsmApi's signChannelUpdate. */
  signChannelUpdate(msg: Uint8Array): Uint8Array;
  /** Our node_announcement once a channel of ours is public (BOLT 7): HsmApi's signNodeAnnouncement (our node_id only). */
  signNodeAnnouncement(msg: Uint8Array): Uint8Array;
  /** A channel's public basepoints (what lightningd gives openingd to propose; Core Lightning's hsmd_get_channel_basepoints). */
  channelBasepoints(peerId: string, dbid: bigint): ChannelBasepoints;
  /**
   * Failing a channel (BOLT 5): lightningd rebuilds our latest commitment and has hsmd sign it
   * (Core Lightning's hsmd_sign_commitment_tx from lightningd), as HsmApi's methods of those names:
   * hsmd refuses a commitment it has revoked (`revoked`) or one that is not its latest validated.
   */
  getPerCommitmentPoint(peerId: string, dbid: bigint, n: bigint): Promise<Uint8Array>;
  signLocalCommitment(peerId: string, dbid: bigint, tx: Uint8Array): Promise<Uint8Array>;
  /**
   * option_anchors: our anchor of that commitment spent with wallet coins to bump it (CPFP) while it
   * is unconfirmed (Core Lightning's hsmd_sign_anchorspend from lightningd): HsmApi's signSweep of
   * kind 'anchor' only, whose every output pays the wallet key named (`not_to_wallet`).
   */
  signAnchorSpend(peerId: string, dbid: bigint, req: Omit<Extract<SweepRequest, { kind: 'anchor' }>, 'kind'>): Promise<Uint8Array>;
  /**
   * The backup of our channels we leave with peers (BOLT 1 peer_storage), sealed with a key hsmd
   * derives from the root secret and never gives out (peer-backup.ts); `bad_request` if too large.
   */
  sealPeerBackup(plaintext: Uint8Array): Uint8Array;
  /** A peer_storage_retrieval's blob opened, or undefined when this key did not seal it. */
  openPeerBackup(blob: Uint8Array): Uint8Array | undefined;
  /**
   * A node restored from its seed sweeps its to_remote on the peer's commitment of a channel it
   * learnt of from a peer's copy of that backup (lightningd/peer-storage-sweep.ts): hsmd derives the
   * channel's payment_basepoint from (peerId, dbid) and signs a spend paying only the wallet key
   * named (`not_to_wallet`, `bad_sequence` for option_anchors' 1-block CSV).
   */
  signRecoveredToRemote(peerId: string, dbid: bigint, req: RecoveredToRemoteRequest): { signature: Uint8Array; witnessScript: Uint8Array };
}

// ---- What the runtime gives hsmd in its realm ----

export interface HsmdEnv {
  /**
   * hsmd's root secret (a BIP39 seed, or a legacy 32-byte hsm_secret) from this runtime's storage
   * (a file, IndexedDB, Durable Object storage), created (with its mnemonic, returned this once) or
   * restored from `recover` and saved first if there is none. hsmd derives what it needs and
   * zeroes what it was given.
   */
  loadOrCreateSecret(recover?: string): Promise<{ secretData: Uint8Array; mnemonic?: string }>;
  /**
   * hsmd's channel signer state in this runtime's durable storage (a file beside hsm_secret written
   * with fsync and rename, IndexedDB with strict durability, Durable Object storage): a save
   * resolves only once the record would survive a crash. Without it hsmd signs nothing for
   * channels (HsmError `no_channel_store`): it never keeps a signer's state in memory only.
   */
  openChannelStore?(): Promise<HsmChannelStore>;
}

/** What lightningd gives hsmd when it starts it. */
export interface HsmdInit {
  /** Restore from this BIP39 mnemonic (or a legacy 64-hex secret) into empty storage: the one time a secret comes in (README "Keys"). */
  recover?: string;
}

/** hsmd's spec for the node table: no init, no links of its own. */
export interface HsmdSpec {
  init: HsmdInit;
  api: HsmdDaemonApi;
  uses: Record<string, never>;
  env: HsmdEnv;
}
