// BOLT 2 messages, declared as lightning/bolts 02-peer-protocol.md lists them (channel
// establishment v1, close, normal operation, reestablish). The rules that use them live in
// src/core/channel/. BOLT 1's peer_storage / peer_storage_retrieval are in bolt1.ts.
import { message } from './schema.ts';

/** BOLT 2 `open_channel_tlvs` and `accept_channel_tlvs` (the same two records). */
const channelOpeningTlvs = {
  0: ['upfront_shutdown_script', [['shutdown_scriptpubkey', 'bytes', '...']]],
  1: ['channel_type', [['type', 'bytes', '...']]],
} as const;

/** BOLT 2 closing_complete and closing_sig: the same fields, and the same `closing_tlvs`. */
const closingFields = [
  ['channel_id', 'channel_id'],
  ['closer_scriptpubkey', 'bytes', 'u16'],
  ['closee_scriptpubkey', 'bytes', 'u16'],
  ['fee_satoshis', 'u64'],
  ['locktime', 'u32'],
] as const;
const closingTlvs = {
  1: ['closer_output_only', [['sig', 'signature']]],
  2: ['closee_output_only', [['sig', 'signature']]],
  3: ['closer_and_closee_outputs', [['sig', 'signature']]],
} as const;

/**
 * BOLT 2 `attribution_data` (option_attribution_data), on update_fulfill_htlc and update_fail_htlc:
 * `20*u32` htlc_hold_times (80 bytes) and `210*sha256[..4]` truncated_hmacs (840 bytes), kept as bytes.
 */
const attributionTlvs = {
  1: [
    'attribution_data',
    [
      ['htlc_hold_times', 'bytes', 80],
      ['truncated_hmacs', 'bytes', 840],
    ],
  ],
} as const;

/** The keys open_channel and accept_channel both carry, in the same order. */
const channelKeys = [
  ['funding_pubkey', 'point'],
  ['revocation_basepoint', 'point'],
  ['payment_basepoint', 'point'],
  ['delayed_payment_basepoint', 'point'],
  ['htlc_basepoint', 'point'],
  ['first_per_commitment_point', 'point'],
] as const;

export const BOLT2 = {
  // BOLT 2 "The open_channel Message"
  open_channel: message(
    32,
    [
      ['chain_hash', 'chain_hash'],
      ['temporary_channel_id', 'bytes', 32],
      ['funding_satoshis', 'u64'],
      ['push_msat', 'u64'],
      ['dust_limit_satoshis', 'u64'],
      ['max_htlc_value_in_flight_msat', 'u64'],
      ['channel_reserve_satoshis', 'u64'],
      ['htlc_minimum_msat', 'u64'],
      ['feerate_per_kw', 'u32'],
      ['to_self_delay', 'u16'],
      ['max_accepted_htlcs', 'u16'],
      ...channelKeys,
      ['channel_flags', 'byte'],
    ],
    channelOpeningTlvs,
  ),
  // BOLT 2 "The accept_channel Message"
  accept_channel: message(
    33,
    [
      ['temporary_channel_id', 'bytes', 32],
      ['dust_limit_satoshis', 'u64'],
      ['max_htlc_value_in_flight_msat', 'u64'],
      ['channel_reserve_satoshis', 'u64'],
      ['htlc_minimum_msat', 'u64'],
      ['minimum_depth', 'u32'],
      ['to_self_delay', 'u16'],
      ['max_accepted_htlcs', 'u16'],
      ...channelKeys,
    ],
    channelOpeningTlvs,
  ),
  // BOLT 2 "The funding_created Message"
  funding_created: message(34, [
    ['temporary_channel_id', 'bytes', 32],
    ['funding_txid', 'sha256'],
    ['funding_output_index', 'u16'],
    ['signature', 'signature'],
  ]),
  // BOLT 2 "The funding_signed Message"
  funding_signed: message(35, [
    ['channel_id', 'channel_id'],
    ['signature', 'signature'],
  ]),
  // BOLT 2 "The channel_ready Message": the alias record is option_scid_alias's.
  channel_ready: message(
    36,
    [
      ['channel_id', 'channel_id'],
      ['second_per_commitment_point', 'point'],
    ],
    { 1: ['short_channel_id', [['alias', 'short_channel_id']]] },
  ),
  // BOLT 2 "Closing Initiation: shutdown"
  shutdown: message(38, [
    ['channel_id', 'channel_id'],
    ['scriptpubkey', 'bytes', 'u16'],
  ]),
  // BOLT 2 "Closing Negotiation: closing_signed"
  closing_signed: message(
    39,
    [
      ['channel_id', 'channel_id'],
      ['fee_satoshis', 'u64'],
      ['signature', 'signature'],
    ],
    {
      1: [
        'fee_range',
        [
          ['min_fee_satoshis', 'u64'],
          ['max_fee_satoshis', 'u64'],
        ],
      ],
    },
  ),
  // BOLT 2 "Closing Negotiation: closing_complete and closing_sig" (option_simple_close): the
  // closer's signatures on each variant of its closing transaction, and the closee's one back.
  closing_complete: message(40, closingFields, closingTlvs),
  closing_sig: message(41, closingFields, closingTlvs),
  // BOLT 2 "Adding an HTLC: update_add_htlc"; the onion is BOLT 4's 1366-byte packet.
  update_add_htlc: message(
    128,
    [
      ['channel_id', 'channel_id'],
      ['id', 'u64'],
      ['amount_msat', 'u64'],
      ['payment_hash', 'sha256'],
      ['cltv_expiry', 'u32'],
      ['onion_routing_packet', 'bytes', 1366],
    ],
    { 0: ['blinded_path', [['path_key', 'point']]] },
  ),
  // BOLT 2 "Removing an HTLC: update_fulfill_htlc, update_fail_htlc, and update_fail_malformed_htlc"
  update_fulfill_htlc: message(
    130,
    [
      ['channel_id', 'channel_id'],
      ['id', 'u64'],
      ['payment_preimage', 'bytes', 32],
    ],
    attributionTlvs,
  ),
  update_fail_htlc: message(
    131,
    [
      ['channel_id', 'channel_id'],
      ['id', 'u64'],
      ['reason', 'bytes', 'u16'],
    ],
    attributionTlvs,
  ),
  update_fail_malformed_htlc: message(135, [
    ['channel_id', 'channel_id'],
    ['id', 'u64'],
    ['sha256_of_onion', 'sha256'],
    ['failure_code', 'u16'],
  ]),
  // BOLT 2 "Committing Updates So Far: commitment_signed"
  commitment_signed: message(
    132,
    [
      ['channel_id', 'channel_id'],
      ['signature', 'signature'],
      ['htlc_signature', 'signature', 'u16'],
    ],
    { 1: ['funding_txid', [['funding_txid', 'sha256']]] },
  ),
  // BOLT 2 "Completing the Transition to the Updated State: revoke_and_ack"
  revoke_and_ack: message(133, [
    ['channel_id', 'channel_id'],
    ['per_commitment_secret', 'bytes', 32],
    ['next_per_commitment_point', 'point'],
  ]),
  // BOLT 2 "Updating Fees: update_fee"
  update_fee: message(134, [
    ['channel_id', 'channel_id'],
    ['feerate_per_kw', 'u32'],
  ]),
  // BOLT 2 "Message Retransmission": the last two fields are option_data_loss_protect's (now
  // always present); the TLVs are the splicing ones.
  channel_reestablish: message(
    136,
    [
      ['channel_id', 'channel_id'],
      ['next_commitment_number', 'u64'],
      ['next_revocation_number', 'u64'],
      ['your_last_per_commitment_secret', 'bytes', 32],
      ['my_current_per_commitment_point', 'point'],
    ],
    {
      1: [
        'next_funding',
        [
          ['next_funding_txid', 'sha256'],
          ['retransmit_flags', 'byte'],
        ],
      ],
      5: [
        'my_current_funding_locked',
        [
          ['my_current_funding_locked_txid', 'sha256'],
          ['retransmit_flags', 'byte'],
        ],
      ],
    },
  ),
} as const;
