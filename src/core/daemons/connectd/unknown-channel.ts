// The answer to a message about a channel no daemon owns: without an answer the peer waits for its
// own timeout. open_channel is the exception: lightningd decides whether a daemon takes it.

/** BOLT 1 answers unknown channels for message types 32 to 255 (the channel messages of BOLT 2). */
const FIRST_ANSWERED = 32;
const LAST_ANSWERED = 255;

/** What a peer is told when we take none of its channels (open_channel2: we do not dual-fund). */
export const NO_CHANNELS_TEXT = 'This node does not accept channels';

const OPEN_CHANNEL = 32;
const OPEN_CHANNEL2 = 64;
const CHANNEL_REESTABLISH = 136;

/** Replies one peer may get at once, and one more every UNKNOWN_REPLY_REFILL_MS: a peer cannot make us write without bound. */
export const UNKNOWN_REPLY_BURST = 10;
export const UNKNOWN_REPLY_REFILL_MS = 1_000;

/**
 * The text of the `error` (with the message's own channel_id) to send for a message of `type`
 * about a channel we do not have, or undefined when none is due. BOLT 1 "The `error` and `warning` Messages": a sending node "SHOULD
 * send `error` with the unknown `channel_id` in reply to messages of type `32`-`255` related to
 * unknown channels". stfu (2) and announcement_signatures (259) are outside that range: no reply.
 *
 *  - `open_channel2`: we do not dual-fund, and the error names the
 *    `temporary_channel_id` (BOLT 1: the fundee "MUST use `temporary_channel_id` in lieu of
 *    `channel_id`" in errors before `funding_signed`), so the opener fails that channel only, as
 *    Core Lightning and LDK answer an open they refuse.
 *  - `channel_reestablish`: we have no record of the channel. BOLT 2's rationale: the `error`
 *    "should make the other node drop its current commitment transaction to the chain", which is
 *    what a peer whose counterparty lost the channel must do to recover its funds.
 *  - anything else for the channel: the same `error`, naming it.
 */
export function unknownChannelReply(type: number): string | undefined {
  if (type < FIRST_ANSWERED || type > LAST_ANSWERED) return undefined;
  // lightningd decides: it starts openingd for it, or answers this same error (NO_CHANNELS_TEXT).
  if (type === OPEN_CHANNEL) return undefined;
  if (type === OPEN_CHANNEL2) return NO_CHANNELS_TEXT;
  if (type === CHANNEL_REESTABLISH) return 'Unknown channel for reestablish';
  return `Unknown channel (message type ${type})`;
}
