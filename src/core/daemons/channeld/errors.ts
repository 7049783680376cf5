// Why a channeld API call did not happen: the instance ended (the peer left, the channel failed)
// or lightningd asked something this channel cannot do. A refused update is the channel's own
// ChannelError (src/core/channel/errors.ts), which names the BOLT 2 rule.
import { BoltError } from '../../base/errors.ts';

export type ChanneldRule =
  /** This instance ended before the call was done (peer gone, warning sent): a new one carries the state on. */
  | 'disconnected'
  /** The channel is failed (error sent or received, or our state is old). */
  | 'channel_failed'
  /** An operation this channeld does not do (yet). */
  | 'unsupported';

export class ChanneldError extends BoltError {
  declare readonly code: ChanneldRule;
  constructor(code: ChanneldRule, message: string) {
    super(code, message);
  }
}
