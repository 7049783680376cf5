// What a commitment holds once some updates are applied to it (balances, HTLCs, feerate), and
// what it costs its opener: BOLT 2's updates applied to BOLT 3's commitment contents.
import { ANCHOR_SATOSHIS, commitmentFee, isTrimmed } from '../bolt3/index.ts';
import type { ChannelParams, CommitSpec, SpecHtlc, Update } from './state.ts';

export type Owner = 'local' | 'remote';

export const other = (o: Owner): Owner => (o === 'local' ? 'remote' : 'local');

/** Whether the owner of this commitment is the channel's opener (who pays the fee, BOLT 3 "Fee Payment"). */
export function ownerIsOpener(params: ChannelParams, owner: Owner): boolean {
  return owner === 'local' ? params.localIsOpener : !params.localIsOpener;
}

function removeHtlc(spec: CommitSpec, offered: boolean, id: bigint): SpecHtlc {
  const i = spec.htlcs.findIndex(h => h.offered === offered && h.add.id === id);
  if (i < 0) throw new Error(`internal: no ${offered ? 'offered' : 'received'} HTLC ${id} to remove`);
  return spec.htlcs.splice(i, 1)[0]!;
}

/**
 * A commitment's contents after the owner's updates and the other side's (both already checked):
 * adds first, then removals (a fulfill pays the HTLC to whoever received it, a fail returns it to
 * whoever offered it), then the latest update_fee (BOLT 2: "never closed but simply replaced").
 */
export function reduce(spec: CommitSpec, ownerUpdates: readonly Update[], otherUpdates: readonly Update[]): CommitSpec {
  const s: CommitSpec = { ...spec, htlcs: [...spec.htlcs] };
  for (const [updates, byOwner] of [
    [ownerUpdates, true],
    [otherUpdates, false],
  ] as const) {
    for (const u of updates) {
      if (u.kind !== 'add') continue;
      s.htlcs.push({ offered: byOwner, add: u });
      if (byOwner) s.toLocalMsat -= u.amountMsat;
      else s.toRemoteMsat -= u.amountMsat;
    }
  }
  for (const [updates, byOwner] of [
    [ownerUpdates, true],
    [otherUpdates, false],
  ] as const) {
    for (const u of updates) {
      if (u.kind === 'add' || u.kind === 'fee') continue;
      // A removal by one side settles an HTLC the other side offered.
      const h = removeHtlc(s, !byOwner, u.id);
      const toOwner = (u.kind === 'fulfill') === byOwner;
      if (toOwner) s.toLocalMsat += h.add.amountMsat;
      else s.toRemoteMsat += h.add.amountMsat;
    }
  }
  for (const u of [...ownerUpdates, ...otherUpdates]) if (u.kind === 'fee') s.feeratePerKw = u.feeratePerKw;
  return s;
}

function trimmed(params: ChannelParams, owner: Owner, h: SpecHtlc, feeratePerKw: number): boolean {
  return isTrimmed(h.offered, h.add.amountMsat, feeratePerKw, params[owner].dustLimitSatoshis, params.anchors);
}

/** A feerate other than the commitment's, and HTLCs to count beyond its own (the fee spike buffer). */
export interface FeeAt {
  feeratePerKw?: number;
  extraHtlcs?: number;
}

/**
 * What the opener pays on this commitment, in msat: the base fee for its untrimmed HTLCs (plus
 * `extraHtlcs` more) at the feerate, and with option_anchors the two anchors (BOLT 3).
 */
export function openerCostMsat(params: ChannelParams, owner: Owner, spec: CommitSpec, at: FeeAt = {}): bigint {
  const feeratePerKw = at.feeratePerKw ?? spec.feeratePerKw;
  const untrimmed = spec.htlcs.filter(h => !trimmed(params, owner, h, feeratePerKw)).length;
  const anchors = params.anchors ? 2n * ANCHOR_SATOSHIS : 0n;
  return (commitmentFee(feeratePerKw, untrimmed + (at.extraHtlcs ?? 0), params.anchors) + anchors) * 1000n;
}

/** One side's balance on this commitment, less what it pays as opener. */
export function spendableMsat(params: ChannelParams, owner: Owner, spec: CommitSpec, side: Owner, at: FeeAt = {}): bigint {
  const balance = side === owner ? spec.toLocalMsat : spec.toRemoteMsat;
  const pays = ownerIsOpener(params, owner) === (side === owner);
  return pays ? balance - openerCostMsat(params, owner, spec, at) : balance;
}

/** BOLT 2 "dust balance" of a commitment: the HTLCs it trims, which go to miners if it is broadcast. */
export function dustBalanceMsat(params: ChannelParams, owner: Owner, spec: CommitSpec): bigint {
  return spec.htlcs.filter(h => trimmed(params, owner, h, spec.feeratePerKw)).reduce((s, h) => s + h.add.amountMsat, 0n);
}
