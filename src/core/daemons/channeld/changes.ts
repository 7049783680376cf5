// What each step of the commitment dance does to HTLCs, in lightningd's terms (interface.ts
// HtlcChange): told inside the persist that makes the step durable.
import type { AddHtlc, ChannelState, Update } from '../../channel/state.ts';
import type { HtlcChange } from './interface.ts';

/** Our HTLC is in the state: its update_add_htlc leaves once this is durable. */
export function offered(add: AddHtlc): HtlcChange {
  return { kind: 'offered', id: add.id, amountMsat: add.amountMsat, paymentHash: add.paymentHash, cltvExpiry: add.cltvExpiry };
}

/**
 * We revoke our commitment for the peer's commitment_signed: our updates it had acked are now in
 * both commitments with their predecessors revoked (BOLT 2 "irrevocably committed"): our adds are
 * committed, our removals of the peer's HTLCs are final.
 */
export function onOurRevocation(before: ChannelState): HtlcChange[] {
  return before.localChanges.acked.flatMap((u): HtlcChange[] => {
    if (u.kind === 'add') return [{ kind: 'committed', id: u.id }];
    if (u.kind === 'fee') return [];
    return [{ kind: 'resolved', id: u.id }];
  });
}

/**
 * The peer revokes its commitment: its updates we had signed (`settled`) are irrevocably committed:
 * its adds reach lightningd, its removals of our HTLCs are final.
 */
export function onTheirRevocation(settled: readonly Update[], failOnceCommitted: readonly bigint[] = []): HtlcChange[] {
  const overDust = new Set(failOnceCommitted);
  return settled.flatMap((u): HtlcChange[] => {
    switch (u.kind) {
      case 'add':
        return [
          {
            kind: 'incoming',
            id: u.id,
            amountMsat: u.amountMsat,
            paymentHash: u.paymentHash,
            cltvExpiry: u.cltvExpiry,
            onion: u.onion,
            ...(u.pathKey ? { pathKey: u.pathKey } : {}),
            ...(overDust.has(u.id) ? { overDustExposure: true } : {}),
          },
        ];
      case 'fulfill':
        return [{ kind: 'fulfilled', id: u.id, preimage: u.preimage, ...(u.attribution ? { attribution: u.attribution } : {}) }];
      case 'fail':
        return [{ kind: 'failed', id: u.id, reason: u.reason, ...(u.attribution ? { attribution: u.attribution } : {}) }];
      case 'fail_malformed':
        return [{ kind: 'failed', id: u.id, sha256OfOnion: u.sha256OfOnion, failureCode: u.failureCode }];
      case 'fee':
        return [];
    }
  });
}

/**
 * BOLT 2 "Message Retransmission": "upon disconnection: MUST reverse any uncommitted updates sent
 * by the other side (i.e. all messages beginning with `update_` for which no `commitment_signed`
 * has been received)". Their HTLC ids go back with them.
 */
export function reverseUncommitted(s: ChannelState): ChannelState {
  const adds = s.remoteChanges.proposed.filter(u => u.kind === 'add').length;
  const next = s.remoteNextHtlcId - BigInt(adds);
  return withFailOnceCommitted(
    { ...s, remoteChanges: { ...s.remoteChanges, proposed: [] }, remoteNextHtlcId: next },
    (s.failOnceCommitted ?? []).filter(id => id < next),
  );
}

/** The state with these HTLCs marked to fail once committed (the field absent when none). */
export function withFailOnceCommitted(s: ChannelState, ids: readonly bigint[]): ChannelState {
  const out: ChannelState = { ...s, failOnceCommitted: [...ids] };
  if (ids.length === 0) delete out.failOnceCommitted;
  return out;
}

/** Whether we already proposed (or are committing) a removal of the peer's HTLC `id`. */
export function removing(s: ChannelState, id: bigint): Update | undefined {
  const c = s.localChanges;
  return [...c.proposed, ...c.signed, ...c.acked].find(u => u.kind !== 'add' && u.kind !== 'fee' && u.id === id);
}
