// What one payment learns about the network on top of gossipd's graph, as Core Lightning's xpay
// keeps it in an askrene layer: channel_updates carried in failures (failure-update.ts),
// channels and nodes excluded, and upper bounds on what a channel direction can carry now
// (a temporary_channel_failure for amount A says "less than A"). Keys: `scid/direction` or a node id.
import type { KnownUpdate } from '../gossip/peek.ts';

export const halfKey = (channel: string, direction: 0 | 1): string => `${channel}/${direction}`;

export class RouteOverlay {
  private readonly updates = new Map<string, KnownUpdate>();
  private readonly bounds = new Map<string, bigint>();
  readonly excluded = new Set<string>();

  /** The policy for a channel direction: ours if a failure brought a newer one, else the graph's. */
  policy(
    channel: string,
    direction: 0 | 1,
    graph: (channel: string, direction: 0 | 1) => KnownUpdate | undefined,
  ): KnownUpdate | undefined {
    return this.updates.get(halfKey(channel, direction)) ?? graph(channel, direction);
  }

  setUpdate(channel: string, direction: 0 | 1, u: KnownUpdate): void {
    this.updates.set(halfKey(channel, direction), u);
  }

  /** The direction carries less than `amount` now; only lowers a bound already known. */
  carriesLessThan(channel: string, direction: 0 | 1, amount: bigint): void {
    const k = halfKey(channel, direction);
    const cur = this.bounds.get(k);
    if (cur === undefined || amount - 1n < cur) this.bounds.set(k, amount - 1n);
  }

  /** Most the direction is known to carry, undefined when nothing is known. */
  maxCarry(channel: string, direction: 0 | 1): bigint | undefined {
    return this.bounds.get(halfKey(channel, direction));
  }

  exclude(key: string): void {
    this.excluded.add(key);
  }

  /** Plain data (structured-clone safe) for the payment's durable record. */
  snapshot(): OverlaySnapshot {
    return { updates: [...this.updates], bounds: [...this.bounds], excluded: [...this.excluded] };
  }

  static restore(s: OverlaySnapshot): RouteOverlay {
    const o = new RouteOverlay();
    for (const [k, u] of s.updates) o.updates.set(k, u);
    for (const [k, b] of s.bounds) o.bounds.set(k, b);
    for (const k of s.excluded) o.excluded.add(k);
    return o;
  }
}

export interface OverlaySnapshot {
  updates: [string, KnownUpdate][];
  bounds: [string, bigint][];
  excluded: string[];
}
