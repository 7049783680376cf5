// BOLT 2 "Legacy Closing Negotiation: closing_signed", the fee alone, pure: our fee range and the
// fee we would like (from lightningd's feerates over the closing transaction's weight), and what
// each closing_signed of the peer's makes us do: stop (it signed the fee we last sent), accept its
// fee (and send it back), or counter. With `fee_range` on both sides (the "modern method") it ends
// in two or three messages; without, each offer must move strictly between the last two.
import { feeFor } from '../bolt3/index.ts';
import { ClosingError } from './closing-errors.ts';

export interface FeeRange {
  min: bigint;
  max: bigint;
}

/** lightningd's feerates for the close (sat per 1000 weight), as Core Lightning's closingd_init carries them. */
export interface CloseFeerates {
  /** Below this the close would not relay. */
  min: number;
  /** What we would like to pay. */
  ideal: number;
  /** The most the funder pays (a unilateral close's feerate, say). */
  max: number;
}

export interface Negotiation {
  localIsOpener: boolean;
  /** Our `fee_range` (sent with each closing_signed), and the fee we open with. */
  range: FeeRange;
  ideal: bigint;
  /** The last fee we sent, and the last the peer sent (this connection only: a reconnect restarts). */
  sent?: bigint;
  received?: bigint;
}

/**
 * Our fees for a closing transaction of `weight`: "SHOULD set the initial `fee_satoshis` according
 * to its estimate of cost of inclusion in a block", "SHOULD set `fee_range` according to the
 * minimum and maximum fees it is prepared to pay"; the fundee pays nothing, so "SHOULD set
 * `max_fee_satoshis` to at least the `max_fee_satoshis` received": the whole funding amount
 * ("there is no reason for it to have a maximum feerate"). The funder never offers more than its
 * own balance (`funderSatoshis`).
 */
export function startNegotiation(a: {
  localIsOpener: boolean;
  weight: number;
  feerates: CloseFeerates;
  fundingSatoshis: bigint;
  funderSatoshis: bigint;
}): Negotiation {
  const max = a.localIsOpener ? min(feeFor(a.feerates.max, a.weight), a.funderSatoshis) : a.fundingSatoshis;
  const lo = min(feeFor(a.feerates.min, a.weight), max);
  const ideal = clamp(feeFor(a.feerates.ideal, a.weight), { min: lo, max });
  return { localIsOpener: a.localIsOpener, range: { min: lo, max }, ideal };
}

/** What to do about the peer's closing_signed. */
export type Decision =
  /** "if `fee_satoshis` is equal to its previously sent `fee_satoshis`: SHOULD sign and broadcast the final closing transaction." */
  | { kind: 'done'; fee: bigint }
  /** Agree: sign and broadcast at `fee`, and send closing_signed with the same `fee_satoshis`. */
  | { kind: 'accept'; fee: bigint }
  /** Send closing_signed at `fee` and wait for the peer's answer. */
  | { kind: 'counter'; fee: bigint };

/** Our first closing_signed (the funder's: "after `shutdown` has been received ... SHOULD send a `closing_signed`"). */
export function firstOffer(n: Negotiation): { negotiation: Negotiation; fee: bigint } {
  return { negotiation: { ...n, sent: n.ideal }, fee: n.ideal };
}

/** The peer's closing_signed: `fee` and its `fee_range`, if it sent one. */
export function receiveOffer(n: Negotiation, fee: bigint, theirs?: FeeRange): { negotiation: Negotiation; decision: Decision } {
  const decision = decide(n, fee, theirs);
  const sent = decision.kind === 'done' ? n.sent : decision.fee;
  return { negotiation: { ...n, received: fee, sent }, decision };
}

function decide(n: Negotiation, fee: bigint, theirs: FeeRange | undefined): Decision {
  if (n.sent !== undefined && fee === n.sent) return { kind: 'done', fee };
  if (theirs) return withRanges(n, fee, theirs);
  // "otherwise, if `fee_satoshis` is not strictly between its last-sent `fee_satoshis` and its
  // previously-received `fee_satoshis`, UNLESS it has since reconnected: SHOULD send a `warning`
  // and close the connection" (a reconnect starts a new Negotiation, without `received`).
  if (n.sent !== undefined && n.received !== undefined && !strictlyBetween(fee, n.sent, n.received)) {
    throw new ClosingError('fee_not_between', `${fee} sat is not strictly between our ${n.sent} sat and the peer's ${n.received} sat`);
  }
  // "otherwise, if the receiver agrees with the fee: SHOULD reply with a `closing_signed` with the same `fee_satoshis` value."
  if (inRange(fee, n.range)) return { kind: 'accept', fee };
  // "otherwise: MUST propose a value 'strictly between' the received `fee_satoshis` and its
  // previously-sent `fee_satoshis`": the edge of our range on the peer's side.
  const edge = fee > n.range.max ? n.range.max : n.range.min;
  if (n.sent === undefined) return { kind: 'counter', fee: n.ideal };
  if (!strictlyBetween(edge, n.sent, fee)) {
    throw new ClosingError(
      'cannot_agree',
      `the peer's ${fee} sat is outside our ${n.range.min}-${n.range.max} sat, and we offered our limit`,
    );
  }
  return { kind: 'counter', fee: edge };
}

/** Both sides sent `fee_range`: BOLT 2 closing_signed "if the message contains a `fee_range`". */
function withRanges(n: Negotiation, fee: bigint, theirs: FeeRange): Decision {
  const overlap = { min: max(n.range.min, theirs.min), max: min(n.range.max, theirs.max) };
  // "if there is no overlap between that and its own `fee_range`: SHOULD send a warning".
  if (overlap.min > overlap.max) {
    throw new ClosingError(
      'fee_range_no_overlap',
      `no overlap between our fee_range ${n.range.min}-${n.range.max} sat and the peer's ${theirs.min}-${theirs.max} sat`,
    );
  }
  if (n.localIsOpener) {
    // "if it is the funder: if `fee_satoshis` is not in the overlap between the sent and received
    // `fee_range`: MUST fail the channel; otherwise: MUST reply with the same `fee_satoshis`."
    if (!inRange(fee, overlap)) {
      throw new ClosingError('fee_not_in_overlap', `${fee} sat is outside the overlap ${overlap.min}-${overlap.max} sat`, 'error');
    }
    return { kind: 'accept', fee };
  }
  // "otherwise (it is not the funder): if it has already sent a `closing_signed`: if `fee_satoshis`
  // is not the same as the value it sent: MUST fail the channel" (the same value returned 'done').
  if (n.sent !== undefined) throw new ClosingError('fee_changed', `${fee} sat is not the ${n.sent} sat we sent`, 'error');
  // "otherwise: MUST propose a `fee_satoshis` in the overlap": the funder's own, when it is there.
  if (inRange(fee, overlap)) return { kind: 'accept', fee };
  return { kind: 'counter', fee: clamp(n.ideal, overlap) };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const clamp = (v: bigint, r: FeeRange) => max(r.min, min(v, r.max));
const inRange = (v: bigint, r: FeeRange) => v >= r.min && v <= r.max;
const strictlyBetween = (v: bigint, a: bigint, b: bigint) => (a < b ? a < v && v < b : b < v && v < a);
