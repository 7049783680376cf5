// The channel_update inside a BOLT 4 UPDATE failure (fee_insufficient, temporary_channel_failure,
// ...): read it, and accept it into the payer's overlay only if it is for the channel that failed,
// signed by the node that sends on it (BOLT 7 "The channel_update Message": "`signature` is a
// valid signature ... of `node_id`") and newer than what we hold ("only a greater `timestamp`
// replaces"). BOLT 4 lets the erring node leave it out (`len` 0), so a missing update is not an error.
import { concat, equal } from '../base/bytes.ts';
import { DecodeError } from '../base/errors.ts';
import { verifyDigest } from '../crypto/primitives.ts';
import { gossipDigest } from '../gossip/peek.ts';
import { decodeMessage, TYPE, type MessageOf } from '../wire/messages.ts';

export type ChannelUpdateMsg = MessageOf<'channel_update'>;

export type UpdateVerdict =
  | { ok: true; update: ChannelUpdateMsg }
  | { ok: false; why: 'absent' | 'malformed' | 'other_channel' | 'wrong_direction' | 'bad_signature' | 'not_newer' | 'other_chain' };

export interface ExpectedUpdate {
  short_channel_id: bigint;
  direction: 0 | 1;
  /** The node that sends on this direction of the channel, when the graph knows the channel. */
  signer?: Uint8Array;
  /** The timestamp of the update held for this direction (graph or overlay). */
  timestamp?: number;
  chain_hash?: Uint8Array;
}

/** Bytes as carried in the failure; some nodes still leave out the 2-byte type (Core Lightning accepts both). */
export function readFailureUpdate(raw: Uint8Array): { msg: ChannelUpdateMsg; bytes: Uint8Array } | undefined {
  if (raw.length === 0) return undefined;
  const type = TYPE.channel_update;
  const bytes =
    raw.length >= 2 && raw[0] === type >> 8 && raw[1] === (type & 0xff) ? raw : concat(new Uint8Array([type >> 8, type & 0xff]), raw);
  try {
    const msg = decodeMessage(bytes);
    return msg.name === 'channel_update' ? { msg, bytes } : undefined;
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

export function checkFailureUpdate(raw: Uint8Array, want: ExpectedUpdate): UpdateVerdict {
  if (raw.length === 0) return { ok: false, why: 'absent' };
  const read = readFailureUpdate(raw);
  if (!read) return { ok: false, why: 'malformed' };
  const u = read.msg;
  if (want.chain_hash && !equal(u.chain_hash, want.chain_hash)) return { ok: false, why: 'other_chain' };
  if (u.short_channel_id !== want.short_channel_id) return { ok: false, why: 'other_channel' };
  if ((u.channel_flags & 1) !== want.direction) return { ok: false, why: 'wrong_direction' };
  if (want.signer && !verifyDigest(u.signature, gossipDigest(read.bytes), want.signer)) return { ok: false, why: 'bad_signature' };
  if (want.timestamp !== undefined && u.timestamp <= want.timestamp) return { ok: false, why: 'not_newer' };
  return { ok: true, update: u };
}
