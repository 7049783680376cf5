// channeld's part of BOLT 2 "Closing Initiation: shutdown" (the rules themselves are
// channel/shutdown.ts): the shutdown record lives in the channel's state (persisted with it before
// our shutdown leaves), our shutdown waits until no update of ours is pending on the peer's
// commitment, adds stop once either side sent one, the peer's shutdown is retransmitted after a
// reconnect (and taken again without complaint), and once both are out and no HTLC is left
// channeld hands the channel to lightningd (closingd negotiates from there).
import { equal, fromHex } from '../../base/bytes.ts';
import { ClosingError } from '../../channel/closing-errors.ts';
import {
  checkShutdownScript,
  checkUpfrontScript,
  readyToNegotiate,
  receiveShutdown,
  sendShutdown,
  shutdownFeatures,
  updatesPendingOnRemote,
  type Shutdown,
  type ShutdownContext,
} from '../../channel/shutdown.ts';
import type { ChannelState } from '../../channel/state.ts';
import { FeatureVector } from '../../features/index.ts';
import type { MessageOf } from '../../wire/messages.ts';

/** What the peer may send once the channel is handed to closingd, kept for it (closingd's first closing_signed, a retransmission). */
export const MAX_HANDOVER_MESSAGES = 8;

/**
 * The scripts' features from both `init`s, and each side's upfront_shutdown_script (openingd kept
 * them only when both advertised option_upfront_shutdown_script and they were not empty).
 */
export function shutdownContext(
  ourFeatures: string,
  theirFeatures: string,
  upfront: { local?: Uint8Array; remote?: Uint8Array } = {},
): ShutdownContext {
  return {
    features: shutdownFeatures(FeatureVector.fromBytes(fromHex(ourFeatures)), FeatureVector.fromBytes(fromHex(theirFeatures))),
    ...(upfront.local ? { localUpfront: upfront.local } : {}),
    ...(upfront.remote ? { remoteUpfront: upfront.remote } : {}),
  };
}

export function shutdownOf(s: ChannelState): Shutdown {
  return s.shutdown ?? {};
}

function withShutdown(s: ChannelState, sd: Shutdown): ChannelState {
  return { ...s, shutdown: { ...sd } };
}

/**
 * BOLT 2 shutdown, the sender: "MUST NOT send an `update_add_htlc` after a `shutdown`". Once the
 * peer sent its own we must answer with ours, so we add nothing then either (as Core Lightning);
 * nor once lightningd asked for our shutdown (`wanted`).
 */
export function checkOurAdd(s: ChannelState, wanted: Uint8Array | undefined): void {
  const sd = shutdownOf(s);
  if (sd.sent || sd.received || wanted) throw new ClosingError('add_after_shutdown', 'the channel is shutting down: no new HTLC');
}

/** The peer's update_add_htlc after its shutdown: a `warning` and the connection closes (channel/shutdown.ts checkAddAfterShutdown). */
export function checkTheirAdd(s: ChannelState): ClosingError | undefined {
  return shutdownOf(s).received ? new ClosingError('add_after_shutdown', 'update_add_htlc after the peer sent shutdown') : undefined;
}

/**
 * lightningd asks for our shutdown with `script`: the same again (after a restart) is nothing new;
 * another script once one is out is refused.
 */
export function askShutdown(s: ChannelState, script: Uint8Array, ctx: ShutdownContext, wanted: Uint8Array | undefined): 'sent' | 'wanted' {
  const sd = shutdownOf(s);
  const before = sd.sent ?? wanted;
  if (before && !equal(before, script)) throw new ClosingError('shutdown_twice', 'our shutdown already has another scriptpubkey');
  if (sd.sent) return 'sent';
  // The script is checked now, so lightningd hears of a bad one at once (and again as it leaves).
  checkShutdownScript(script, ctx.features, 'our');
  checkUpfrontScript(script, ctx.localUpfront, 'our');
  return 'wanted';
}

/**
 * Our shutdown, if lightningd wants it and nothing of ours is pending on the peer's commitment
 * ("if there are updates pending on the receiving node's commitment transaction: MUST NOT send a
 * `shutdown`"): the new state (persist it first) and the message.
 */
export function shutdownDue(
  s: ChannelState,
  wanted: Uint8Array | undefined,
  ctx: ShutdownContext,
): { state: ChannelState; message: MessageOf<'shutdown'> } | undefined {
  const sd = shutdownOf(s);
  if (!wanted || sd.sent || updatesPendingOnRemote(s)) return undefined;
  const r = sendShutdown(s, sd, wanted, ctx);
  return { state: withShutdown(s, r.shutdown), message: r.message };
}

export type PeerShutdown =
  /** A retransmission after the reconnect (BOLT 2: the peer "MUST retransmit `shutdown`"): nothing changes. */
  | { kind: 'again' }
  /** New: persist `state`; `replyDue`: lightningd must give our script (we have not sent ours). */
  | { kind: 'new'; state: ChannelState; replyDue: boolean };

/**
 * The peer's shutdown (channel/shutdown.ts receiveShutdown checks its script: ClosingError
 * `warning`). `seenThisConnection`: a second one on one connection is the peer breaking "MUST NOT
 * send multiple `shutdown` messages"; the first after a reconnect repeats the one we hold.
 */
export function peerShutdown(s: ChannelState, m: MessageOf<'shutdown'>, ctx: ShutdownContext, seenThisConnection: boolean): PeerShutdown {
  const sd = shutdownOf(s);
  if (sd.received && !seenThisConnection) {
    if (equal(sd.received, m.scriptpubkey)) return { kind: 'again' };
    throw new ClosingError('shutdown_twice', 'the peer sent shutdown again with another scriptpubkey');
  }
  const r = receiveShutdown(s, sd, m, ctx);
  return { kind: 'new', state: withShutdown(s, r.shutdown), replyDue: r.replyDue };
}

/** BOLT 2 "upon reconnection: if it has sent a previous `shutdown`: MUST retransmit `shutdown`". */
export function shutdownRetransmit(s: ChannelState): MessageOf<'shutdown'>[] {
  const sent = shutdownOf(s).sent;
  return sent ? [{ name: 'shutdown', channel_id: s.params.channelId, scriptpubkey: sent }] : [];
}

/** Both shutdowns out and no HTLC nor update left in either commitment: the closing negotiation begins (closingd). */
export function handoverDue(s: ChannelState): boolean {
  return readyToNegotiate(s, shutdownOf(s));
}
