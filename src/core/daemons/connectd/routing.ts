// Where each plaintext message from a peer goes once `init` is done, decided from its type alone
// (connectd never decodes gossip: gossipd does, after dropping duplicates). As in Core Lightning's
// connectd/multiplex.c: BOLT 1 control messages are handled here, gossip goes to gossipd, a
// channel's messages to the daemon that owns the channel, anything else known to lightningd.
import { DecodeError, ProtocolError } from '../../base/errors.ts';
import { fieldOffset } from '../../wire/layout.ts';
import { messageName, readType, TYPE } from '../../wire/messages.ts';

const byType = <const N extends keyof typeof TYPE>(names: readonly N[]): ReadonlyMap<number, N> => new Map(names.map(n => [TYPE[n], n]));

/** BOLT 1 messages connectd answers itself. */
export const LOCAL_TYPES = byType(['init', 'error', 'warning', 'ping', 'pong']);

/**
 * BOLT 7 gossip: channel_announcement, node_announcement, channel_update and the gossip queries.
 * announcement_signatures belongs to a channel, not to gossipd.
 */
export const GOSSIP_TYPES: ReadonlySet<number> = new Set(
  (
    [
      'channel_announcement',
      'node_announcement',
      'channel_update',
      'query_short_channel_ids',
      'reply_short_channel_ids_end',
      'query_channel_range',
      'reply_channel_range',
      'gossip_timestamp_filter',
    ] as const
  ).map(n => TYPE[n]),
);

/**
 * Messages about one channel, and where the `channel_id` (or `temporary_channel_id`, BOLT 2
 * "Definition of channel_id") that names it starts after the 2-byte type. open_channel and
 * open_channel2 start with `chain_hash`, so theirs is at 32. BOLT 2's messages are not declared in
 * src/core/wire yet (the channel daemons will declare them); their numbers are written here until then.
 */
export const CHANNEL_ID_OFFSET: ReadonlyMap<number, number> = new Map([
  [2, 0], // stfu (BOLT 2 Channel Quiescence)
  [32, 32], // open_channel
  [33, 0], // accept_channel
  [34, 0], // funding_created
  [35, 0], // funding_signed
  [36, 0], // channel_ready
  [38, 0], // shutdown
  [39, 0], // closing_signed
  [40, 0], // closing_complete
  [41, 0], // closing_sig
  [64, 32], // open_channel2
  [65, 0], // accept_channel2
  [66, 0], // tx_add_input
  [67, 0], // tx_add_output
  [68, 0], // tx_remove_input
  [69, 0], // tx_remove_output
  [70, 0], // tx_complete
  [71, 0], // tx_signatures
  [72, 0], // tx_init_rbf
  [73, 0], // tx_ack_rbf
  [74, 0], // tx_abort
  [77, 0], // splice_locked
  [80, 0], // splice_init
  [81, 0], // splice_ack
  [128, 0], // update_add_htlc
  [130, 0], // update_fulfill_htlc
  [131, 0], // update_fail_htlc
  [132, 0], // commitment_signed
  [133, 0], // revoke_and_ack
  [134, 0], // update_fee
  [135, 0], // update_fail_malformed_htlc
  [136, 0], // channel_reestablish
  [TYPE.announcement_signatures, fieldOffset('announcement_signatures', 'channel_id') - 2], // BOLT 7
]);

/**
 * Known messages for features we do not offer: dropped unread and unlogged (they are not unknown,
 * and not gossip). Odd, so a peer "MAY send" it without asking (BOLT 1).
 *  - onion_message (BOLT 4, `option_onion_messages`): a reader "MAY rate-limit messages by dropping them".
 * BOLT 1's peer_storage and peer_storage_retrieval go to lightningd (we offer `option_provide_storage`:
 * lightningd/peer-storage.ts stores peers' blobs and reads back our own).
 */
export const NOT_OFFERED_TYPES = byType(['onion_message']);

export type Route =
  | { to: 'local'; name: 'init' | 'error' | 'warning' | 'ping' | 'pong' }
  | { to: 'gossipd' }
  | { to: 'channel'; channelId: Uint8Array }
  | { to: 'lightningd' }
  | { to: 'drop'; name: 'onion_message' }
  | { to: 'ignore'; why: string };

export function messageTypeOf(msg: Uint8Array): number {
  const type = readType(msg);
  if (type < 0) throw new DecodeError('short_read', `a message of ${msg.length} bytes has no type`);
  return type;
}

/**
 * The route of one message. Throws DecodeError when it is too short to read what routing needs,
 * and ProtocolError('unknown_even_type') for an unknown even type (BOLT 1 "Lightning Message
 * Format": "upon receiving a message of _even_, unknown type: MUST close the connection").
 */
export function routeMessage(msg: Uint8Array): Route {
  const type = messageTypeOf(msg);
  const local = LOCAL_TYPES.get(type);
  if (local) return { to: 'local', name: local };
  if (GOSSIP_TYPES.has(type)) return { to: 'gossipd' };
  const dropped = NOT_OFFERED_TYPES.get(type);
  if (dropped) return { to: 'drop', name: dropped };
  const offset = CHANNEL_ID_OFFSET.get(type);
  if (offset !== undefined) {
    const start = 2 + offset;
    if (msg.length < start + 32) {
      throw new DecodeError('short_read', `message type ${type}: ${msg.length} bytes is too short for its channel_id`);
    }
    return { to: 'channel', channelId: msg.slice(start, start + 32) };
  }
  if (messageName(type) !== undefined) return { to: 'lightningd' };
  // BOLT 1: "upon receiving a message of _odd_, unknown type: MUST ignore the received message."
  if (type % 2 === 1) return { to: 'ignore', why: `unknown odd message type ${type}` };
  throw new ProtocolError('unknown_even_type', `unknown even message type ${type}`);
}
