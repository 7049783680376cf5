// A BOLT 2 channel-establishment rule the peer broke (or lightningd's own choice broke, for what we
// send), named by `code`. openingd answers the peer with BOLT 1 `error` (or `warning`) naming the
// temporary or final channel id (channel/errors.ts peerMessageFor), and forgets the channel:
// nothing is half-open after one of these.
import { PeerRuleError } from '../../base/errors.ts';

export type OpeningRule =
  // open_channel / accept_channel
  | 'unknown_chain'
  | 'channel_type_missing'
  | 'bad_upfront_shutdown_script'
  | 'channel_type_unsuitable'
  | 'channel_type_mismatch'
  | 'dual_fund_negotiated'
  | 'zeroconf_untrusted'
  | 'push_too_large'
  | 'funding_too_large'
  | 'funding_too_small'
  | 'to_self_delay_too_large'
  | 'max_accepted_htlcs'
  | 'feerate_out_of_range'
  | 'bad_pubkey'
  | 'dust_limit_too_small'
  | 'dust_limit_too_large'
  | 'dust_limit_above_reserve'
  | 'reserve_below_dust'
  | 'reserve_too_large'
  | 'cannot_afford_fee'
  | 'reserve_unmet'
  | 'minimum_depth_too_large'
  | 'temporary_channel_id'
  // funding_created / funding_signed
  | 'channel_id'
  | 'bad_funding_signature'
  // the flow itself
  | 'unexpected_message'
  | 'peer_error'
  | 'peer_gone'
  | 'timeout'
  | 'bad_message';

export class OpeningError extends PeerRuleError<OpeningRule> {
  constructor(code: OpeningRule, message: string, action: 'warning' | 'error' = 'error') {
    super(code, message, action);
  }
}
