// BOLT 2 "Normal Operation" limits on adding an HTLC and changing the fee, checked on the
// commitments the update would reach. Each refusal is a ChannelError naming the rule.
import { isTrimmed } from '../bolt3/index.ts';
import { ChannelError } from './errors.ts';
import { dustBalanceMsat, spendableMsat, type Owner } from './spec.ts';
import type { AddHtlc, ChannelState, CommitSpec, UpdateFee } from './state.ts';
import { fullLocalSpec, nextLocalSpec, nextRemoteSpec } from './views.ts';

/** BOLT 2 update_add_htlc: "MUST set `cltv_expiry` less than 500000000". */
export const CLTV_EXPIRY_LIMIT = 500_000_000;

/** BOLT 2 update_add_htlc: the fee spike buffer "can handle twice the current `feerate_per_kw`". */
export const FEE_SPIKE_MULTIPLE = 2;

/**
 * The checks both the offerer and the receiver make of one HTLC's own fields, against the
 * receiver's `htlc_minimum_msat`.
 */
function checkFields(add: AddHtlc, receiverMinimumMsat: bigint, expectedId: bigint): void {
  // "MUST offer `amount_msat` greater than 0" / "receiving an `amount_msat` equal to 0"
  if (add.amountMsat <= 0n) throw new ChannelError('htlc_amount_zero', 'amount_msat is 0');
  // "MUST NOT offer `amount_msat` below the receiving node's `htlc_minimum_msat`"
  if (add.amountMsat < receiverMinimumMsat) {
    throw new ChannelError('htlc_minimum_msat', `amount_msat ${add.amountMsat} is below htlc_minimum_msat ${receiverMinimumMsat}`);
  }
  // "for the first HTLC it offers: MUST set `id` to 0"; "MUST increase the value of `id` by 1 for each successive offer"
  if (add.id !== expectedId) throw new ChannelError('htlc_id', `HTLC id ${add.id}, expected ${expectedId}`);
  // "MUST set `cltv_expiry` less than 500000000"
  if (!Number.isInteger(add.cltvExpiry) || add.cltvExpiry < 0 || add.cltvExpiry >= CLTV_EXPIRY_LIMIT) {
    throw new ChannelError('cltv_expiry', `cltv_expiry ${add.cltvExpiry} is not below ${CLTV_EXPIRY_LIMIT}`);
  }
}

/**
 * On the receiver's commitment `spec` (owned by `receiver`): "if the result would be offering more
 * than the remote's `max_accepted_htlcs` HTLCs" / "if the total value of offered HTLCs would exceed
 * the remote's `max_htlc_value_in_flight_msat`: MUST NOT add an HTLC"; and the sender must afford
 * the HTLC "while maintaining its channel reserve and any `to_local_anchor` and `to_remote_anchor` costs".
 */
function checkOnReceiverCommitment(s: ChannelState, receiver: Owner, spec: CommitSpec): void {
  const p = s.params[receiver];
  const received = spec.htlcs.filter(h => !h.offered);
  if (received.length > p.maxAcceptedHtlcs) {
    throw new ChannelError('max_accepted_htlcs', `${received.length} HTLCs offered, max_accepted_htlcs is ${p.maxAcceptedHtlcs}`);
  }
  const inFlight = received.reduce((sum, h) => sum + h.add.amountMsat, 0n);
  if (inFlight > p.maxHtlcValueInFlightMsat) {
    throw new ChannelError(
      'max_htlc_value_in_flight_msat',
      `${inFlight} msat offered, max_htlc_value_in_flight_msat is ${p.maxHtlcValueInFlightMsat}`,
    );
  }
  checkReserve(s, receiver, spec, receiver === 'local' ? 'remote' : 'local', 'cannot_afford');
}

/**
 * The sender of an update keeps `channel_reserve_satoshis` (the one the other side asked for)
 * after paying the fee and anchors if it is the opener.
 */
function checkReserve(s: ChannelState, owner: Owner, spec: CommitSpec, side: Owner, rule: 'cannot_afford' | 'cannot_afford_fee'): void {
  const reserveMsat = s.params[side === 'local' ? 'remote' : 'local'].channelReserveSatoshis * 1000n;
  const left = spendableMsat(s.params, owner, spec, side);
  if (left < reserveMsat) {
    throw new ChannelError(
      rule,
      `the ${side} side would keep ${left} msat after fees on the ${owner} commitment, below its reserve of ${reserveMsat}`,
    );
  }
}

/**
 * BOLT 2 "Bounding exposure to trimmed in-flight HTLCs": when offering, if the HTLC is trimmed on a
 * commitment and "the `amount_msat` plus the dust balance" of it "is greater than
 * `max_dust_htlc_exposure_msat`: SHOULD NOT send this HTLC". Returns whether it is exceeded.
 */
function dustExceeded(s: ChannelState, owner: Owner, spec: CommitSpec, add: AddHtlc, offeredByOwner: boolean): boolean {
  const trimmed = isTrimmed(offeredByOwner, add.amountMsat, spec.feeratePerKw, s.params[owner].dustLimitSatoshis, s.params.anchors);
  return trimmed && dustBalanceMsat(s.params, owner, spec) > s.params.policy.maxDustHtlcExposureMsat;
}

/** BOLT 2 update_add_htlc, "A sending node": every MUST, and the SHOULD NOTs a node keeps to stay safe. */
export function checkOurAdd(s: ChannelState, add: AddHtlc): void {
  checkFields(add, s.params.remote.htlcMinimumMsat, s.localNextHtlcId);
  const remoteSpec = nextRemoteSpec(s, [add]);
  checkOnReceiverCommitment(s, 'remote', remoteSpec);
  // "cannot pay the fee for either the local or remote commitment transaction ... while maintaining its channel reserve"
  const localSpec = fullLocalSpec(s, [add]);
  checkReserve(s, 'local', localSpec, 'local', 'cannot_afford');
  // "SHOULD NOT offer `amount_msat` if ... its remaining balance doesn't allow it to pay the
  // commitment transaction fee when receiving or sending a future additional non-dust HTLC while
  // maintaining its channel reserve": the fee spike buffer, at twice the feerate.
  if (s.params.localIsOpener) {
    const reserveMsat = s.params.remote.channelReserveSatoshis * 1000n;
    const left = spendableMsat(s.params, 'remote', remoteSpec, 'local', {
      feeratePerKw: remoteSpec.feeratePerKw * FEE_SPIKE_MULTIPLE,
      extraHtlcs: 1,
    });
    if (left < reserveMsat) {
      throw new ChannelError(
        'fee_spike_buffer',
        `${left} msat left at twice the feerate with one more HTLC, below the reserve of ${reserveMsat}`,
      );
    }
  }
  if (dustExceeded(s, 'remote', remoteSpec, add, false) || dustExceeded(s, 'local', localSpec, add, true)) {
    throw new ChannelError('dust_exposure', `dust exposure over ${s.params.policy.maxDustHtlcExposureMsat} msat`);
  }
}

/**
 * BOLT 2 update_add_htlc, "A receiving node": each violation "SHOULD send a `warning` and close
 * the connection, or send an `error` and fail the channel". Returns whether the HTLC breaks our
 * dust exposure bound, in which case the spec says "SHOULD fail this HTLC once it's committed".
 */
export function checkTheirAdd(s: ChannelState, add: AddHtlc): { overDustExposure: boolean } {
  checkFields(add, s.params.local.htlcMinimumMsat, s.remoteNextHtlcId);
  const localSpec = nextLocalSpec(s, [add]);
  checkOnReceiverCommitment(s, 'local', localSpec);
  const remoteSpec = remoteSpecWithTheirAdd(s, add);
  return { overDustExposure: dustExceeded(s, 'local', localSpec, add, false) || dustExceeded(s, 'remote', remoteSpec, add, true) };
}

/** The remote's own commitment once it holds this HTLC: its updates so far plus this one, and ours proposed. */
function remoteSpecWithTheirAdd(s: ChannelState, add: AddHtlc): CommitSpec {
  return nextRemoteSpec({
    ...s,
    remoteChanges: { ...s.remoteChanges, acked: [...s.remoteChanges.acked, ...s.remoteChanges.proposed, add] },
  });
}

/** BOLT 2 update_fee, the sender: "The node _not responsible_ for paying the Bitcoin fee: MUST NOT send `update_fee`." */
export function checkOurFee(s: ChannelState, fee: UpdateFee): void {
  if (!s.params.localIsOpener) throw new ChannelError('update_fee_not_opener', 'only the opener sends update_fee');
  checkFeerate(s, fee.feeratePerKw);
  checkReserve(s, 'remote', nextRemoteSpec(s, [fee]), 'local', 'cannot_afford_fee');
}

function checkFeerate(s: ChannelState, feeratePerKw: number): void {
  const { minFeeratePerKw, maxFeeratePerKw } = s.params.policy;
  if (!Number.isInteger(feeratePerKw) || feeratePerKw < minFeeratePerKw || feeratePerKw > maxFeeratePerKw) {
    throw new ChannelError('feerate_out_of_range', `feerate_per_kw ${feeratePerKw} outside [${minFeeratePerKw}, ${maxFeeratePerKw}]`);
  }
}

/**
 * BOLT 2 update_fee, "A receiving node": "if the sender is not responsible for paying the Bitcoin
 * fee", "if the `update_fee` is too low for timely processing, OR is unreasonably large": MUST send
 * a `warning` and close the connection, or send an `error`; "if the sender cannot afford the new fee
 * rate on the receiving node's current commitment transaction": SHOULD.
 */
export function checkTheirFee(s: ChannelState, fee: UpdateFee): void {
  if (s.params.localIsOpener) throw new ChannelError('update_fee_not_opener', 'update_fee from the side not paying the fee');
  checkFeerate(s, fee.feeratePerKw);
  checkReserve(s, 'local', nextLocalSpec(s, [fee]), 'remote', 'cannot_afford_fee');
}
