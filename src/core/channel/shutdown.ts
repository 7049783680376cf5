// BOLT 2 "Closing Initiation: shutdown", pure: which scriptpubkeys a shutdown may carry, the
// upfront_shutdown_script commitment, when each side may send it and must answer it, the updates
// it forbids after, and when the closing negotiation may begin. channeld calls these on the
// channel's state (the ChannelState plus the Shutdown record beside it); closingd checks the
// scripts again before it builds a closing transaction.
import { equal } from '../base/bytes.ts';
import { isNegotiated, type FeatureVector } from '../features/index.ts';
import type { MessageOf } from '../wire/messages.ts';
import { ClosingError } from './closing-errors.ts';
import type { ChannelState } from './state.ts';

/** The features that widen what a shutdown scriptpubkey may be (both negotiated in `init`). */
export interface ShutdownFeatures {
  /** option_shutdown_anysegwit: witness versions 1 to 16. */
  anysegwit: boolean;
  /** option_simple_close: OP_RETURN outputs. */
  simpleClose: boolean;
}

export function shutdownFeatures(ours: FeatureVector, theirs: FeatureVector): ShutdownFeatures {
  return {
    anysegwit: isNegotiated(ours, theirs, 'option_shutdown_anysegwit'),
    simpleClose: isNegotiated(ours, theirs, 'option_simple_close'),
  };
}

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_PUSHDATA1 = 0x4c;
const OP_DUP = 0x76;
const OP_HASH160 = 0xa9;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_CHECKSIG = 0xac;

export type ScriptForm = 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'segwit' | 'op_return';

/** The standard form of `s`, if it has one of those a shutdown may name (else undefined). */
export function scriptForm(s: Uint8Array): ScriptForm | undefined {
  const n = s.length;
  if (n === 25 && s[0] === OP_DUP && s[1] === OP_HASH160 && s[2] === 20 && s[23] === OP_EQUALVERIFY && s[24] === OP_CHECKSIG) {
    return 'p2pkh';
  }
  if (n === 23 && s[0] === OP_HASH160 && s[1] === 20 && s[22] === OP_EQUAL) return 'p2sh';
  if (n === 22 && s[0] === OP_0 && s[1] === 20) return 'p2wpkh';
  if (n === 34 && s[0] === OP_0 && s[1] === 32) return 'p2wsh';
  // `OP_1` through `OP_16` inclusive, followed by a single push of 2 to 40 bytes.
  if (s[0]! >= OP_1 && s[0]! <= OP_16 && n >= 4 && s[1]! >= 2 && s[1]! <= 40 && n === 2 + s[1]!) return 'segwit';
  // `OP_RETURN` followed by `6` to `75` inclusive and exactly that many bytes, or `76` followed by
  // `76` to `80` and exactly that many bytes.
  if (s[0] === OP_RETURN && n >= 2) {
    const l = s[1]!;
    if (l >= 6 && l <= 75 && n === 2 + l) return 'op_return';
    if (l === OP_PUSHDATA1 && n >= 3 && s[2]! >= 76 && s[2]! <= 80 && n === 3 + s[2]!) return 'op_return';
  }
  return undefined;
}

/**
 * BOLT 2 shutdown, the sender "MUST set `scriptpubkey` in one of the following forms": P2WPKH,
 * P2WSH, witness v1-16 with option_shutdown_anysegwit, OP_RETURN with option_simple_close; and
 * (its rationale) "old nodes may send non-segwit scripts, which may be accepted for
 * backwards-compatibility": P2PKH and P2SH, as Core Lightning accepts them.
 */
export function isValidShutdownScript(script: Uint8Array, f: ShutdownFeatures): boolean {
  const form = scriptForm(script);
  if (form === 'segwit') return f.anysegwit;
  if (form === 'op_return') return f.simpleClose;
  return form !== undefined;
}

/** The receiver: "if the `scriptpubkey` is not in one of the above forms: SHOULD send a `warning`". */
export function checkShutdownScript(script: Uint8Array, f: ShutdownFeatures, whose = 'the peer'): void {
  if (!isValidShutdownScript(script, f)) {
    const forms = ['P2PKH', 'P2SH', 'P2WPKH', 'P2WSH', ...(f.anysegwit ? ['witness v1-16'] : []), ...(f.simpleClose ? ['OP_RETURN'] : [])];
    throw new ClosingError('bad_shutdown_script', `${whose} shutdown scriptpubkey is none of ${forms.join(', ')}`);
  }
}

/**
 * The receiver: "if both nodes advertised the `option_upfront_shutdown_script` feature, and the
 * receiving node received a non-zero-length `shutdown_scriptpubkey` in `open_channel` or
 * `accept_channel`, and that `shutdown_scriptpubkey` is not equal to `scriptpubkey`: MAY send a
 * `warning`. MUST fail the connection." `upfront`: the peer's non-empty upfront script when both
 * advertised the feature (undefined otherwise). The sender's rule is the same check on our side.
 */
export function checkUpfrontScript(script: Uint8Array, upfront: Uint8Array | undefined, whose = 'the peer'): void {
  if (upfront && upfront.length > 0 && !equal(script, upfront)) {
    throw new ClosingError('upfront_shutdown_mismatch', `${whose} shutdown scriptpubkey is not its upfront_shutdown_script`);
  }
}

/** The shutdown exchange as channeld keeps it beside the channel's state (persisted with it). */
export interface Shutdown {
  /** The scriptpubkey of the shutdown we sent, once sent. */
  sent?: Uint8Array;
  /** The peer's, once received. */
  received?: Uint8Array;
}

/** What channeld knows of this channel's close: the scripts' features, and each side's upfront_shutdown_script. */
export interface ShutdownContext {
  features: ShutdownFeatures;
  /** Our non-empty upfront_shutdown_script, if we committed to one (and both advertised the feature). */
  localUpfront?: Uint8Array;
  /** The peer's, likewise. */
  remoteUpfront?: Uint8Array;
}

/**
 * "if there are updates pending on the receiving node's commitment transaction": updates of ours
 * not yet signed into the peer's commitment, or updates of the peer's we acked that our next
 * commitment_signed has yet to carry (eclair's "localHasChanges").
 */
export function updatesPendingOnRemote(s: ChannelState): boolean {
  return s.localChanges.proposed.length > 0 || s.remoteChanges.acked.length > 0;
}

/**
 * The negotiation may begin (BOLT 2 "Channel Close": "the channel is empty of HTLCs, there are no
 * commitments for which a revocation is owed, and all updates are included on both commitments"):
 * no HTLC on either commitment (dust ones included), no update anywhere in the dance, and no
 * revoke_and_ack awaited.
 */
export function quiescentWithoutHtlcs(s: ChannelState): boolean {
  const changes = [s.localChanges, s.remoteChanges].flatMap(c => [...c.proposed, ...c.signed, ...c.acked]);
  return s.localCommit.spec.htlcs.length === 0 && s.remoteCommit.spec.htlcs.length === 0 && changes.length === 0 && !s.nextRemoteCommit;
}

/** Both shutdowns are out and nothing is left in the dance: channeld hands the channel to closingd. */
export function readyToNegotiate(s: ChannelState, sd: Shutdown): boolean {
  return sd.sent !== undefined && sd.received !== undefined && quiescentWithoutHtlcs(s);
}

/**
 * Our shutdown (the sending node): "MUST NOT send multiple `shutdown` messages", "if there are
 * updates pending on the receiving node's commitment transaction: MUST NOT send a `shutdown`" (so
 * channeld sends its commitment_signed first), our upfront script if we gave one, in a valid form.
 * A refusal here is our caller's mistake: nothing goes to the peer.
 */
export function sendShutdown(
  s: ChannelState,
  sd: Shutdown,
  script: Uint8Array,
  ctx: ShutdownContext,
): { shutdown: Shutdown; message: MessageOf<'shutdown'> } {
  if (sd.sent) throw new ClosingError('shutdown_twice', 'we already sent shutdown');
  if (updatesPendingOnRemote(s)) throw new ClosingError('updates_pending', "updates are pending on the peer's commitment: sign them first");
  checkShutdownScript(script, ctx.features, 'our');
  checkUpfrontScript(script, ctx.localUpfront, 'our');
  return { shutdown: { ...sd, sent: script }, message: { name: 'shutdown', channel_id: s.params.channelId, scriptpubkey: script } };
}

/**
 * The peer's shutdown (the receiving node): its script checked (`warning`), its upfront script
 * (`warning`, and the connection fails), a second shutdown refused (the sender "MUST NOT send
 * multiple"). `replyDue`: "once there are no outstanding updates on the peer, UNLESS it has
 * already sent a `shutdown`: MUST reply to a `shutdown` message with a `shutdown`": when updates
 * of ours are still pending on the peer's commitment, channeld signs them first and then calls
 * sendShutdown.
 */
export function receiveShutdown(
  s: ChannelState,
  sd: Shutdown,
  m: MessageOf<'shutdown'>,
  ctx: ShutdownContext,
): { shutdown: Shutdown; replyDue: boolean } {
  if (sd.received) throw new ClosingError('shutdown_twice', 'the peer sent shutdown twice');
  checkShutdownScript(m.scriptpubkey, ctx.features);
  checkUpfrontScript(m.scriptpubkey, ctx.remoteUpfront);
  return { shutdown: { ...sd, received: m.scriptpubkey }, replyDue: !sd.sent };
}

/**
 * The sender "MUST NOT send an `update_add_htlc` after a `shutdown`": channeld refuses our own add
 * once we sent one, and answers a peer's add after its shutdown with a `warning` (Core Lightning
 * does the same). Fulfills, fails and update_fee stay allowed until the negotiation begins.
 */
export function checkAddAfterShutdown(sd: Shutdown, from: 'local' | 'remote'): void {
  if (from === 'local' && sd.sent) throw new ClosingError('add_after_shutdown', 'no new HTLC after our shutdown');
  if (from === 'remote' && sd.received) throw new ClosingError('add_after_shutdown', 'update_add_htlc after the peer sent shutdown');
}
