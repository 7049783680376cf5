// A BOLT 2 closing rule ("Channel Close": shutdown and closing_signed) the peer broke, or one our
// own side cannot meet, named by `code`, with what the spec tells the receiver to do: `warning`
// (send BOLT 1 `warning` and close the connection) or `error` (send BOLT 1 `error` and fail the
// channel). channeld and closingd turn one into the message with channel/errors.ts peerMessageFor.
import { PeerRuleError } from '../base/errors.ts';

export type ClosingRule =
  // shutdown
  | 'bad_shutdown_script'
  | 'upfront_shutdown_mismatch'
  | 'shutdown_twice'
  | 'updates_pending'
  | 'add_after_shutdown'
  // the closing transaction
  | 'funder_cannot_afford_fee'
  | 'no_outputs'
  | 'output_below_dust'
  // closing_signed
  | 'bad_closing_signature'
  | 'fee_range_no_overlap'
  | 'fee_not_in_overlap'
  | 'fee_changed'
  | 'fee_not_between'
  | 'cannot_agree'
  // the negotiation itself
  | 'not_ready'
  | 'unexpected_message'
  | 'bad_message'
  | 'peer_error'
  | 'peer_gone'
  | 'timeout';

export class ClosingError extends PeerRuleError<ClosingRule> {
  constructor(code: ClosingRule, message: string, action: 'warning' | 'error' = 'warning') {
    super(code, message, action);
  }
}
