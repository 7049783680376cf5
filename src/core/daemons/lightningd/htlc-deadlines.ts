// How long until an HTLC must be acted on (issue 13, "Offline"): listpeerchannels' per-HTLC and
// per-channel deadlines, so that a node that sleeps (a closed tab, an evicted Durable Object) can
// say when it must be awake again. The heights are Core Lightning's (lightningd/peer_htlcs.c):
// - an HTLC we offered must be removed by its `cltv_expiry`: after it, BOLT 2 says "if an HTLC which
//   it offered is in either node's current commitment transaction, AND is past this timeout
//   deadline: MUST fail the channel" (and time it out on chain);
// - an HTLC we received must be settled earlier, while a preimage can still be claimed on chain
//   before its `cltv_expiry` (BOLT 2: "the deadline for received HTLCs this node has fulfilled ...
//   2R+G+S blocks before cltv_expiry"): Core Lightning's margin is (cltv-delta + 1) / 2 blocks.
import { DEFAULT_CLTV_DELTA } from './forward-store.ts';

/** Blocks before a received HTLC's cltv_expiry by which we must act (Core Lightning: (34 + 1) / 2 = 17). */
export const RECEIVED_HTLC_MARGIN = Math.floor((DEFAULT_CLTV_DELTA + 1) / 2);

export interface HtlcTiming {
  /** 'out': we offered it; 'in': we received it (listpeerchannels' `direction`). */
  direction: 'in' | 'out';
  /** Its cltv_expiry (listpeerchannels' `expiry`). */
  expiry: number;
}

/** The block height at which an HTLC must have been acted on. */
export function htlcDeadline(h: HtlcTiming): number {
  return h.direction === 'out' ? h.expiry : h.expiry - RECEIVED_HTLC_MARGIN;
}

/**
 * The deadline fields of one HTLC: `deadline_blockheight`, and with a known tip (`blockheight` > 0)
 * `blocks_until_deadline` (0 or less: the deadline is here or past).
 */
export function htlcDeadlineJson(h: HtlcTiming, blockheight: number): Record<string, number> {
  const at = htlcDeadline(h);
  return { deadline_blockheight: at, ...(blockheight > 0 ? { blocks_until_deadline: at - blockheight } : {}) };
}

/**
 * A channel's earliest HTLC deadline: `htlc_deadline_blockheight` and `blocks_until_htlc_deadline`
 * (as the HTLC's), absent when the channel holds no HTLC.
 */
export function channelDeadlineJson(htlcs: readonly HtlcTiming[], blockheight: number): Record<string, number> {
  if (htlcs.length === 0) return {};
  const at = Math.min(...htlcs.map(htlcDeadline));
  return { htlc_deadline_blockheight: at, ...(blockheight > 0 ? { blocks_until_htlc_deadline: at - blockheight } : {}) };
}
