// BOLT 2 updates, sent and received: update_add_htlc, update_fulfill_htlc, update_fail_htlc,
// update_fail_malformed_htlc, update_fee. Each is only proposed here; the commitment dance
// (dance.ts) carries it into both commitments.
import { concat, equal } from '../base/bytes.ts';
import { sha256 } from '../crypto/primitives.ts';
import type { MessageOf } from '../wire/messages.ts';
import { ChannelError } from './errors.ts';
import { checkOurAdd, checkOurFee, checkTheirAdd, checkTheirFee } from './limits.ts';
import type { AddHtlc, ChannelState, Changes, Step, Update } from './state.ts';

/** BOLT 4 failure code flag that update_fail_malformed_htlc must carry. */
export const BADONION = 0x8000;

type Removal = Exclude<Update, AddHtlc | { kind: 'fee' }>;
type RemovalMessage = MessageOf<'update_fulfill_htlc'> | MessageOf<'update_fail_htlc'> | MessageOf<'update_fail_malformed_htlc'>;
export type UpdateMessage = RemovalMessage | MessageOf<'update_add_htlc'> | MessageOf<'update_fee'>;

function propose(c: Changes, u: Update): Changes {
  return { ...c, proposed: [...c.proposed, u] };
}

/** We offer an HTLC (checked against every limit: limits.ts). */
export function sendAdd(
  s: ChannelState,
  h: { amountMsat: bigint; paymentHash: Uint8Array; cltvExpiry: number; onion: Uint8Array; pathKey?: Uint8Array },
): Step<MessageOf<'update_add_htlc'>> & { add: AddHtlc } {
  const add: AddHtlc = { kind: 'add', id: s.localNextHtlcId, ...h };
  checkOurAdd(s, add);
  return {
    state: { ...s, localChanges: propose(s.localChanges, add), localNextHtlcId: add.id + 1n },
    messages: [addMessage(s.params.channelId, add)],
    add,
  };
}

function addMessage(channel_id: Uint8Array, add: AddHtlc): MessageOf<'update_add_htlc'> {
  return {
    name: 'update_add_htlc',
    channel_id,
    id: add.id,
    amount_msat: add.amountMsat,
    payment_hash: add.paymentHash,
    cltv_expiry: add.cltvExpiry,
    onion_routing_packet: add.onion,
    ...(add.pathKey ? { tlvs: { blinded_path: { path_key: add.pathKey } } } : {}),
  };
}

/** The message that proposed update `u` (channel_reestablish retransmits ours from the state). */
export function updateMessage(channelId: Uint8Array, u: Update): UpdateMessage {
  if (u.kind === 'add') return addMessage(channelId, u);
  if (u.kind === 'fee') return feeMessage(channelId, u.feeratePerKw);
  return removalMessage(channelId, u);
}

function feeMessage(channel_id: Uint8Array, feeratePerKw: number): MessageOf<'update_fee'> {
  return { name: 'update_fee', channel_id, feerate_per_kw: feeratePerKw };
}

/** The remote offers an HTLC. `overDustExposure`: BOLT 2 says fail it once committed, reveal no preimage. */
export function receiveAdd(s: ChannelState, m: MessageOf<'update_add_htlc'>): { state: ChannelState; overDustExposure: boolean } {
  const add: AddHtlc = {
    kind: 'add',
    id: m.id,
    amountMsat: m.amount_msat,
    paymentHash: m.payment_hash,
    cltvExpiry: m.cltv_expiry,
    onion: m.onion_routing_packet,
    ...(m.tlvs?.blinded_path ? { pathKey: m.tlvs.blinded_path.path_key } : {}),
  };
  const { overDustExposure } = checkTheirAdd(s, add);
  return { state: { ...s, remoteChanges: propose(s.remoteChanges, add), remoteNextHtlcId: add.id + 1n }, overDustExposure };
}

/**
 * An HTLC offered by `offerer` that is in both current commitments (our local one and the remote
 * one whose predecessor is revoked: irrevocably committed on both sides) and not being removed yet.
 */
function committedHtlc(s: ChannelState, offeredByUs: boolean, id: bigint, remover: Changes): AddHtlc | undefined {
  const inLocal = s.localCommit.spec.htlcs.find(h => h.offered === offeredByUs && h.add.id === id);
  const inRemote = s.remoteCommit.spec.htlcs.some(h => h.offered !== offeredByUs && h.add.id === id);
  const removing = [...remover.proposed, ...remover.signed, ...remover.acked].some(
    u => u.kind !== 'add' && u.kind !== 'fee' && u.id === id,
  );
  return inLocal && inRemote && !removing ? inLocal.add : undefined;
}

/** BOLT 2 `attribution_data`: [`20*u32`:`htlc_hold_times`][`210*sha256[..4]`:`truncated_hmacs`], one 920-byte block here. */
const HOLD_TIMES_LEN = 80;

function attributionTlvs(a: Uint8Array | undefined): {
  tlvs?: { attribution_data: { htlc_hold_times: Uint8Array; truncated_hmacs: Uint8Array } };
} {
  return a
    ? { tlvs: { attribution_data: { htlc_hold_times: a.subarray(0, HOLD_TIMES_LEN), truncated_hmacs: a.subarray(HOLD_TIMES_LEN) } } }
    : {};
}

function attributionOf(m: RemovalMessage): { attribution?: Uint8Array } {
  const a = m.name === 'update_fail_malformed_htlc' ? undefined : m.tlvs?.attribution_data;
  return a ? { attribution: concat(a.htlc_hold_times, a.truncated_hmacs) } : {};
}

function removalMessage(channel_id: Uint8Array, r: Removal): RemovalMessage {
  if (r.kind === 'fulfill')
    return { name: 'update_fulfill_htlc', channel_id, id: r.id, payment_preimage: r.preimage, ...attributionTlvs(r.attribution) };
  if (r.kind === 'fail') return { name: 'update_fail_htlc', channel_id, id: r.id, reason: r.reason, ...attributionTlvs(r.attribution) };
  return { name: 'update_fail_malformed_htlc', channel_id, id: r.id, sha256_of_onion: r.sha256OfOnion, failure_code: r.failureCode };
}

function removalOf(m: RemovalMessage): Removal {
  if (m.name === 'update_fulfill_htlc') return { kind: 'fulfill', id: m.id, preimage: m.payment_preimage, ...attributionOf(m) };
  if (m.name === 'update_fail_htlc') return { kind: 'fail', id: m.id, reason: m.reason, ...attributionOf(m) };
  return { kind: 'fail_malformed', id: m.id, sha256OfOnion: m.sha256_of_onion, failureCode: m.failure_code };
}

/** Checks shared by both directions: the HTLC exists, the preimage hashes to it, BADONION is set. */
function checkRemoval(add: AddHtlc | undefined, r: Removal, notFound: 'unknown_htlc' | 'htlc_not_committed'): void {
  if (!add) throw new ChannelError(notFound, `HTLC ${r.id} is not in both current commitments, or is already being removed`);
  // "if the `payment_preimage` value in `update_fulfill_htlc` doesn't SHA256 hash to the corresponding HTLC `payment_hash`"
  if (r.kind === 'fulfill' && !equal(sha256(r.preimage), add.paymentHash)) {
    throw new ChannelError('bad_preimage', `the preimage for HTLC ${r.id} does not hash to its payment_hash`);
  }
  // "if the `BADONION` bit in `failure_code` is not set for `update_fail_malformed_htlc`"
  if (r.kind === 'fail_malformed' && (r.failureCode & BADONION) === 0) {
    throw new ChannelError('badonion_not_set', `failure_code ${r.failureCode} lacks BADONION`);
  }
}

/**
 * We settle an HTLC the remote offered. BOLT 2: "until the corresponding HTLC is irrevocably
 * committed in both sides' commitment transactions: MUST NOT send an `update_fulfill_htlc`,
 * `update_fail_htlc`, or `update_fail_malformed_htlc`".
 */
export function sendRemoval(s: ChannelState, r: Removal): Step<RemovalMessage> {
  checkRemoval(committedHtlc(s, false, r.id, s.localChanges), r, 'htlc_not_committed');
  return { state: { ...s, localChanges: propose(s.localChanges, r) }, messages: [removalMessage(s.params.channelId, r)] };
}

/**
 * The remote settles an HTLC we offered. BOLT 2 "A receiving node: if the `id` does not correspond
 * to an HTLC in its current commitment transaction: MUST send a `warning` and close the
 * connection, or send an `error` and fail the channel" (and the preimage and BADONION checks).
 */
export function receiveRemoval(s: ChannelState, m: RemovalMessage): { state: ChannelState; removal: Removal; htlc: AddHtlc } {
  const r = removalOf(m);
  const htlc = committedHtlc(s, true, r.id, s.remoteChanges);
  checkRemoval(htlc, r, 'unknown_htlc');
  return { state: { ...s, remoteChanges: propose(s.remoteChanges, r) }, removal: r, htlc: htlc! };
}

/** We (the opener) change the feerate. */
export function sendFee(s: ChannelState, feeratePerKw: number): Step<MessageOf<'update_fee'>> {
  const fee = { kind: 'fee', feeratePerKw } as const;
  checkOurFee(s, fee);
  return {
    state: { ...s, localChanges: propose(s.localChanges, fee) },
    messages: [feeMessage(s.params.channelId, feeratePerKw)],
  };
}

export function receiveFee(s: ChannelState, m: MessageOf<'update_fee'>): ChannelState {
  const fee = { kind: 'fee', feeratePerKw: m.feerate_per_kw } as const;
  checkTheirFee(s, fee);
  return { ...s, remoteChanges: propose(s.remoteChanges, fee) };
}
