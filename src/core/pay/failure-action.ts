// What the payer does with one failed part (BOLT 4 "Returning Errors", the origin node's side,
// and the failure_code flags), the way Core Lightning's xpay does: a failure from the destination
// ends the payment (except mpp_timeout: try again); an UPDATE failure brings a channel_update to
// apply; a channel failure excludes the channel after the erring node; a NODE failure excludes
// that node; a temporary_channel_failure says the channel carries less than that amount now.
import { checkFailureAttribution } from '../onion/attribution.ts';
import { decodeErrorPacket } from '../onion/error-onion.ts';
import { OnionError } from '../onion/errors.ts';
import { BADONION, NODE, failureCode, type Failure, type UnknownFailure } from '../onion/failures.ts';
import type { PricedHop } from './route.ts';

export type FailureAction =
  | { kind: 'final'; reason: string }
  | {
      kind: 'retry';
      /** A channel_update carried by the failure, for the channel after the erring node. */
      update?: { channel: string; direction: 0 | 1; raw: Uint8Array };
      /** Channel directions (`scid/direction`) and node ids to avoid from now on. */
      exclude: string[];
      /** This channel direction carries less than `amount_msat` now. */
      lessThan?: { channel: string; direction: 0 | 1; amount_msat: bigint };
      reason: string;
    };

const half = (h: PricedHop) => `${h.channel}/${h.direction}`;

/**
 * `hop`: index in `route` of the node that produced the error (onion/error-onion.ts DecodedError),
 * the last index being the destination. `sentAt`: our block height when the part was built.
 */
export function failureAction(route: readonly PricedHop[], hop: number, failure: Failure | UnknownFailure, sentAt?: number): FailureAction {
  const code = failure.name === 'unknown' ? failure.code : failureCode(failure.name);
  const who = route[hop]!;
  const next = route[hop + 1];
  const reason = `${failure.name} (0x${code.toString(16)}) from ${who.id}`;
  if (!next) {
    // The destination. mpp_timeout: "the complete amount of the multi-part payment was not received
    // within a reasonable time": the parts may be sent again. Anything else it says is its answer.
    if (failure.name === 'mpp_timeout') return { kind: 'retry', exclude: [], reason };
    // incorrect_or_unknown_payment_details carries the payee's `height`: a payee ahead of us may
    // have found our expiry too soon; that is worth another try, not an answer (Core Lightning does the same).
    if (failure.name === 'incorrect_or_unknown_payment_details' && sentAt !== undefined && failure.height > sentAt) {
      return { kind: 'retry', exclude: [], reason: `${reason} at height ${failure.height}, ahead of our ${sentAt}` };
    }
    return { kind: 'final', reason };
  }
  switch (failure.name) {
    case 'temporary_channel_failure':
      return { kind: 'retry', ...withUpdate(next, failure.channel_update), exclude: [], lessThan: carried(next), reason };
    case 'fee_insufficient':
    case 'incorrect_cltv_expiry':
    case 'amount_below_minimum':
    case 'expiry_too_soon':
    case 'channel_disabled': {
      // With a channel_update the session applies it if it is valid and newer, else excludes the
      // channel (session.ts); without one, the channel is excluded.
      const u = withUpdate(next, failure.channel_update);
      return { kind: 'retry', ...u, exclude: u.update ? [] : [half(next)], reason };
    }
    case 'invalid_onion_payload':
    case 'incorrect_or_unknown_payment_details':
    case 'final_incorrect_cltv_expiry':
    case 'final_incorrect_htlc_amount':
    case 'mpp_timeout':
      // A forwarding node answering as if final, or refusing our payload: avoid the node.
      return { kind: 'retry', exclude: [who.id], reason };
  }
  // BADONION: the next node could not read the onion (it reached us through `update_fail_malformed_htlc`).
  if (code & BADONION) return { kind: 'retry', exclude: [half(next)], reason };
  // NODE: "node failure (otherwise channel)".
  if (code & NODE) return { kind: 'retry', exclude: [who.id], reason };
  // unknown_next_peer, permanent_channel_failure, required_channel_feature_missing, expiry_too_far,
  // and channel failures of codes we do not know, PERM or not.
  return { kind: 'retry', exclude: [half(next)], reason };
}

/**
 * A part's `update_fail_htlc` at the origin (BOLT 4 "Returning Errors"): the error onion read with
 * the route's shared secrets and acted on; if no hop's HMAC matches it, "When the failure source
 * cannot be identified from the return packet AND `attribution_data` is present: SHOULD use
 * `attribution_data` to identify the failure source" (garbledAction); else unattributableAction.
 */
export function failedPartAction(
  route: readonly PricedHop[],
  sharedSecrets: readonly Uint8Array[],
  reason: Uint8Array,
  attribution?: Uint8Array,
  sentAt?: number,
): FailureAction {
  try {
    const d = decodeErrorPacket(sharedSecrets, reason);
    return failureAction(route, d.hop, d.failure, sentAt);
  } catch (e) {
    if (!(e instanceof OnionError)) throw e;
  }
  const bad = attribution && checkFailureAttribution(sharedSecrets, reason, attribution).badHop;
  return bad !== undefined ? garbledAction(route, bad) : unattributableAction(route);
}

/**
 * The attribution HMAC of hop `bad` did not match (BOLT 4: "the node should penalize this hop";
 * "Blame is still only assignable to a pair of nodes"): the channel between that hop and the one
 * before it (ours, for the first hop) is avoided. A direct route has nothing else to try.
 */
export function garbledAction(route: readonly PricedHop[], bad: number): FailureAction {
  const at = route[bad]!;
  const reason = `error onion garbled between ${bad === 0 ? 'us' : route[bad - 1]!.id} and ${at.id}`;
  if (route.length === 1) return { kind: 'final', reason };
  return { kind: 'retry', exclude: [half(at)], reason };
}

/** No hop's HMAC matched the error packet: someone on the route garbled it. We cannot tell who, so
 * every node between us and the destination is avoided (a direct route can only be the destination's). */
export function unattributableAction(route: readonly PricedHop[]): FailureAction {
  if (route.length === 1) return { kind: 'final', reason: 'unreadable error from the destination' };
  return { kind: 'retry', exclude: route.slice(0, -1).map(h => h.id), reason: 'unreadable error onion' };
}

function withUpdate(next: PricedHop, raw: Uint8Array): { update?: { channel: string; direction: 0 | 1; raw: Uint8Array } } {
  return raw.length ? { update: { channel: next.channel, direction: next.direction, raw } } : {};
}

function carried(next: PricedHop): { channel: string; direction: 0 | 1; amount_msat: bigint } {
  return { channel: next.channel, direction: next.direction, amount_msat: next.amount_msat };
}
