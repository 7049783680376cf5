// When the Durable Object holding an edge node must wake on its own (its alarm). Cloudflare evicts
// an idle object, and with it the node's timers and peer sockets; a node with channels still has
// to follow the chain (a revoked commitment to punish, an HTLC whose deadline comes, a close to
// resolve) and to be reachable by its peers now and then. So the object keeps one alarm set while
// the node holds a channel (listpeerchannels lists it, in any state up to ONCHAIN):
// - with an HTLC in flight, every `htlcMs` (default 30 s, Core Lightning's bitcoind poll): each block
//   is seen while the HTLC's deadline (listpeerchannels' blocks_until_htlc_deadline,
//   lightningd/htlc-deadlines.ts) counts down, so the node acts on it in the block it comes;
// - otherwise every `idleMs` (default 10 minutes, one block on average): the smallest margin
//   that matters then is a `to_self_delay` of many blocks, so one wake per block is enough;
// - with no channel, none.
export interface AlarmPolicy {
  /** Between wakes while an HTLC is in flight. */
  htlcMs: number;
  /** Between wakes while the node holds channels but no HTLC. */
  idleMs: number;
}

export const DEFAULT_ALARM_POLICY: AlarmPolicy = { htlcMs: 30_000, idleMs: 600_000 };

/** What the plan reads of a listpeerchannels entry. */
export interface ChannelTiming {
  htlcs: readonly unknown[];
}

/** Milliseconds until the node must next be awake, or undefined when it need not wake on its own. */
export function nextWake(channels: readonly ChannelTiming[], policy: AlarmPolicy = DEFAULT_ALARM_POLICY): number | undefined {
  if (channels.length === 0) return undefined;
  return channels.some(c => c.htlcs.length > 0) ? policy.htlcMs : policy.idleMs;
}

/** A positive whole number of milliseconds from an env var, else `dflt`. */
export function msVar(v: string | undefined, dflt: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : dflt;
}
