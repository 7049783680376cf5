// hsmd's memory of each channel, as a validating signer needs it (Core Lightning's hsmd with its
// "validating signer" policy): the channel's shape (fixed once, at setup), the highest commitment
// of ours it has validated, the highest whose secret it has revealed, the highest remote commitment
// it has signed, and the commitment of ours it signed for broadcast. The runtime stores one record
// per channel (HsmChannelStore) and hsmd writes it durably before any answer that depends on it.
import { fromHex, toHex } from '../../base/bytes.ts';
import type { Basepoints } from '../../bolt3/index.ts';
import { HsmError } from './secret.ts';

/** What hsmd must know of a channel to check what it signs (Core Lightning's hsmd_setup_channel). */
export interface ChannelSetup {
  /** Whether we opened (and pay the commitment's fee). */
  isOpener: boolean;
  /** Display (big-endian) hex, as bolt3 takes it. */
  fundingTxid: string;
  fundingOutputIndex: number;
  fundingSatoshis: bigint;
  anchors: boolean;
  remoteFundingPubkey: Uint8Array;
  remoteBasepoints: Basepoints;
  /** The CSV delay on our to_local: the to_self_delay the remote asked of us. */
  holderToSelfDelay: number;
  /** The CSV delay on the remote's to_local: the to_self_delay we asked of it. */
  counterpartyToSelfDelay: number;
}

/** One channel's signer state in memory. Commitment numbers are BOLT 3's (48 bits, counting up). */
export interface ChannelRecord {
  setup?: ChannelSetup;
  /** The highest commitment of ours validated (signed by the peer): its txid and our to_local in it. */
  holder?: { number: bigint; txid: string; toLocalSat: bigint };
  /** The highest commitment of ours whose per-commitment secret has left hsmd. */
  revealed?: bigint;
  /** The highest remote commitment we signed. */
  remoteSigned?: bigint;
  /** The commitment of ours hsmd signed for broadcast: never revoked afterwards. */
  broadcast?: bigint;
  /** A mutual close was signed: no more commitments are signed. */
  closing?: boolean;
}

/** The stored form: JSON-safe (hex strings, decimal strings for bigints). */
export type StoredChannelRecord = Record<string, unknown>;

/**
 * The runtime's durable store of hsmd's channel records (a file beside hsm_secret, IndexedDB with
 * strict durability, Durable Object storage), read and written only in hsmd's realm.
 */
export interface HsmChannelStore {
  /** Every record, by channelKey. */
  load(): Promise<Record<string, StoredChannelRecord>>;
  /** Replaces one record; resolves only once it is on stable storage. */
  save(key: string, record: StoredChannelRecord): Promise<void>;
}

/** The store key of channel `dbid` with `peerId`. */
export function channelKey(peerId: Uint8Array, dbid: bigint): string {
  return `${toHex(peerId)}/${dbid}`;
}

const big = (v: bigint | undefined): string | undefined => (v === undefined ? undefined : v.toString());

export function encodeRecord(r: ChannelRecord): StoredChannelRecord {
  const s = r.setup;
  const out: StoredChannelRecord = {
    holder: r.holder && { number: big(r.holder.number), txid: r.holder.txid, toLocalSat: big(r.holder.toLocalSat) },
    revealed: big(r.revealed),
    remoteSigned: big(r.remoteSigned),
    broadcast: big(r.broadcast),
    closing: r.closing,
    setup: s && {
      ...s,
      fundingSatoshis: big(s.fundingSatoshis),
      remoteFundingPubkey: toHex(s.remoteFundingPubkey),
      remoteBasepoints: Object.fromEntries(Object.entries(s.remoteBasepoints).map(([k, v]) => [k, toHex(v as Uint8Array)])),
    },
  };
  // JSON and structured clone alike: no undefined members.
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function bigOf(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v))
    throw new HsmError('bad_channel_store', `hsmd's channel store: ${what} is not a number`);
  return BigInt(v);
}
const optBig = (v: unknown, what: string) => (v === undefined ? undefined : bigOf(v, what));

export function decodeRecord(key: string, v: StoredChannelRecord): ChannelRecord {
  try {
    const r: ChannelRecord = {};
    const h = v.holder as Record<string, unknown> | undefined;
    if (h) r.holder = { number: bigOf(h.number, 'holder'), txid: String(h.txid), toLocalSat: bigOf(h.toLocalSat, 'toLocalSat') };
    const revealed = optBig(v.revealed, 'revealed');
    if (revealed !== undefined) r.revealed = revealed;
    const remoteSigned = optBig(v.remoteSigned, 'remoteSigned');
    if (remoteSigned !== undefined) r.remoteSigned = remoteSigned;
    const broadcast = optBig(v.broadcast, 'broadcast');
    if (broadcast !== undefined) r.broadcast = broadcast;
    if (v.closing === true) r.closing = true;
    const s = v.setup as Record<string, unknown> | undefined;
    if (s) {
      const bp = s.remoteBasepoints as Record<string, string>;
      r.setup = {
        isOpener: s.isOpener === true,
        fundingTxid: String(s.fundingTxid),
        fundingOutputIndex: Number(s.fundingOutputIndex),
        fundingSatoshis: bigOf(s.fundingSatoshis, 'fundingSatoshis'),
        anchors: s.anchors === true,
        remoteFundingPubkey: fromHex(String(s.remoteFundingPubkey)),
        remoteBasepoints: {
          revocationBasepoint: fromHex(bp.revocationBasepoint!),
          paymentBasepoint: fromHex(bp.paymentBasepoint!),
          delayedPaymentBasepoint: fromHex(bp.delayedPaymentBasepoint!),
          htlcBasepoint: fromHex(bp.htlcBasepoint!),
        },
        holderToSelfDelay: Number(s.holderToSelfDelay),
        counterpartyToSelfDelay: Number(s.counterpartyToSelfDelay),
      };
    }
    return r;
  } catch (e) {
    if (e instanceof HsmError) throw e;
    // Never guess at a signer's state: a record we cannot read stops hsmd's channel signing.
    throw new HsmError('bad_channel_store', `hsmd's channel store: record ${key} is unreadable (${(e as Error).message})`);
  }
}
