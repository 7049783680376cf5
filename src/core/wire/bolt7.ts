// BOLT 7 messages, declared as lightning/bolts 07-routing-gossip.md lists them. The gossip rules
// that use them (validation, digests, encodings, graph, routing) live in src/core/gossip/.
import { message, struct } from './schema.ts';

/** BOLT 7 `reply_channel_range` checksums_tlv item: subtype `channel_update_checksums`. */
export const channel_update_checksums = struct([
  ['checksum_node_id_1', 'u32'],
  ['checksum_node_id_2', 'u32'],
]);

export const BOLT7 = {
  // BOLT 7 "The announcement_signatures Message"
  announcement_signatures: message(259, [
    ['channel_id', 'channel_id'],
    ['short_channel_id', 'short_channel_id'],
    ['node_signature', 'signature'],
    ['bitcoin_signature', 'signature'],
  ]),
  // BOLT 7 "The channel_announcement Message". The signed digest covers everything after the four
  // signatures "including any future fields appended to the end": verify over the raw bytes
  // (gossip/digest.ts), never over a re-encoding of these fields.
  channel_announcement: message(256, [
    ['node_signature_1', 'signature'],
    ['node_signature_2', 'signature'],
    ['bitcoin_signature_1', 'signature'],
    ['bitcoin_signature_2', 'signature'],
    ['features', 'bytes', 'u16'],
    ['chain_hash', 'chain_hash'],
    ['short_channel_id', 'short_channel_id'],
    ['node_id_1', 'point'],
    ['node_id_2', 'point'],
    ['bitcoin_key_1', 'point'],
    ['bitcoin_key_2', 'point'],
  ]),
  // BOLT 7 "The node_announcement Message". `option_will_fund` (liquidity ads) is kept as raw
  // bytes: an older draft used type 1 with another layout and such announcements are still on
  // mainnet, so decoding its fields here would refuse valid, signed messages.
  node_announcement: message(
    257,
    [
      ['signature', 'signature'],
      ['features', 'bytes', 'u16'],
      ['timestamp', 'u32'],
      ['node_id', 'point'],
      ['rgb_color', 'bytes', 3],
      ['alias', 'bytes', 32],
      ['addresses', 'bytes', 'u16'],
    ],
    {
      1: ['option_will_fund', [['will_fund_rates', 'bytes', '...']]],
    },
  ),
  // BOLT 7 "The channel_update Message": htlc_maximum_msat is no longer optional.
  channel_update: message(258, [
    ['signature', 'signature'],
    ['chain_hash', 'chain_hash'],
    ['short_channel_id', 'short_channel_id'],
    ['timestamp', 'u32'],
    ['message_flags', 'byte'],
    ['channel_flags', 'byte'],
    ['cltv_expiry_delta', 'u16'],
    ['htlc_minimum_msat', 'u64'],
    ['fee_base_msat', 'u32'],
    ['fee_proportional_millionths', 'u32'],
    ['htlc_maximum_msat', 'u64'],
  ]),
  // BOLT 7 "The query_short_channel_ids/reply_short_channel_ids_end Messages". The arrays stay
  // encoded here (first byte: encoding type); gossip/encoding.ts decodes them.
  query_short_channel_ids: message(
    261,
    [
      ['chain_hash', 'chain_hash'],
      ['encoded_short_ids', 'bytes', 'u16'],
    ],
    {
      1: [
        'query_flags',
        [
          ['encoding_type', 'byte'],
          ['encoded_query_flags', 'bytes', '...'],
        ],
      ],
    },
  ),
  reply_short_channel_ids_end: message(262, [
    ['chain_hash', 'chain_hash'],
    ['full_information', 'byte'],
  ]),
  // BOLT 7 "The query_channel_range and reply_channel_range Messages"
  query_channel_range: message(
    263,
    [
      ['chain_hash', 'chain_hash'],
      ['first_blocknum', 'u32'],
      ['number_of_blocks', 'u32'],
    ],
    {
      1: ['query_option', [['query_option_flags', 'bigsize']]],
    },
  ),
  reply_channel_range: message(
    264,
    [
      ['chain_hash', 'chain_hash'],
      ['first_blocknum', 'u32'],
      ['number_of_blocks', 'u32'],
      ['sync_complete', 'byte'],
      ['encoded_short_ids', 'bytes', 'u16'],
    ],
    {
      1: [
        'timestamps_tlv',
        [
          ['encoding_type', 'byte'],
          ['encoded_timestamps', 'bytes', '...'],
        ],
      ],
      3: ['checksums_tlv', [['checksums', channel_update_checksums, '...']]],
    },
  ),
  // BOLT 7 "The gossip_timestamp_filter Message"
  gossip_timestamp_filter: message(265, [
    ['chain_hash', 'chain_hash'],
    ['first_timestamp', 'u32'],
    ['timestamp_range', 'u32'],
  ]),
} as const;
