// How many bridges (src/transports/bridge-server.ts, src/edge/bridge-worker.ts) and how many
// connections not yet upgraded a listener holds, per client address and in total, and how a full
// bridge is shared fairly across addresses. Pure: time comes from an injected Clock.
//
// The sharing rule (README, "The bridge"):
// - Each address (IPv4 as is, IPv6 per /64) holds at most maxPerClient bridges.
// - When the bridge holds maxTotal, a client that holds at least two fewer bridges than the
//   largest holder still gets one: the largest holder's least recently active bridge is closed
//   (1013, "try again later") to make room. So addresses end up within one bridge of each other,
//   and no set of addresses can keep a newcomer out while holding more than it.
// - From 3/4 of maxTotal ("busy"), a bridge idle for busyIdleTimeoutMs (default 30 s) is closed,
//   not idleTimeoutMs (default 300 s): idle holders give their slots back ten times sooner.
import { BoltError } from '../base/errors.ts';
import { ipv4FromText, ipv6FromText } from '../net/ip.ts';
import type { Clock } from '../daemons/connectd/types.ts';

/** A refusal by a limit: `per_client_limit` or `total_limit`. */
export class LimitRefusal extends BoltError {}

/** The key a client's connections are counted under: IPv4 as is (also when IPv4-mapped),
 * IPv6 by its /64, since one host usually owns a whole /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  let a = address.toLowerCase();
  if (a.startsWith('::ffff:') && ipv4FromText(a.slice(7))) a = a.slice(7);
  if (ipv4FromText(a)) return a;
  const v6 = ipv6FromText(a);
  if (!v6) return a;
  const g = (i: number): string => ((v6[i]! << 8) | v6[i + 1]!).toString(16);
  return `${g(0)}:${g(2)}:${g(4)}:${g(6)}::/64`;
}

/** What holds a slot, so that a full bridge can take it back (fair sharing). */
export interface SlotHolder {
  /** When it last carried a byte (Clock.now()). */
  lastActive(): number;
  /** Closes it and releases its slot, synchronously. */
  evict(reason: string): void;
  /** Re-arms its idle timeout for the current limit (it shrinks when the set becomes busy). */
  review(): void;
}

/** One connection counted against its client and the total. */
export interface Slot {
  readonly key: string;
  /** Set once the connection exists; only slots with a holder can be taken back. */
  holder: SlotHolder | undefined;
  /** Idempotent. */
  release(): void;
}

/**
 * Counts connections per client key and in total; acquire() throws LimitRefusal when a cap is
 * reached. With `fair`, a full set gives a slot to a client that holds at least two fewer than
 * the largest holder, by evicting that holder's least recently active connection.
 */
export class ConnectionLimits {
  readonly #slots = new Map<string, Set<Slot>>();
  #total = 0;

  constructor(
    readonly maxPerClient: number,
    readonly maxTotal: number,
    private readonly fair = true,
  ) {}

  get total(): number {
    return this.#total;
  }

  count(key: string): number {
    return this.#slots.get(key)?.size ?? 0;
  }

  /** At 3/4 of maxTotal or more: idle connections get the shorter timeout. */
  get busy(): boolean {
    return this.#total * 4 >= this.maxTotal * 3;
  }

  /** Gives a slot its holder; when the set is now busy, every holder's idle timeout shrinks at once. */
  hold(slot: Slot, holder: SlotHolder): void {
    slot.holder = holder;
    if (!this.busy) return;
    for (const set of this.#slots.values()) for (const s of set) s.holder?.review();
  }

  /** The idle timeout now: `busyMs` while busy, else `idleMs`. */
  idleLimit(idleMs: number, busyMs: number): number {
    return this.busy ? busyMs : idleMs;
  }

  acquire(key: string): Slot {
    const n = this.count(key);
    if (n >= this.maxPerClient)
      throw new LimitRefusal('per_client_limit', `too many connections from this client (max ${this.maxPerClient})`);
    if (this.#total >= this.maxTotal && !(this.fair && this.#makeRoom(key, n))) {
      throw new LimitRefusal('total_limit', `full (${this.maxTotal} connections)`);
    }
    let set = this.#slots.get(key);
    if (!set) this.#slots.set(key, (set = new Set()));
    let released = false;
    const slot: Slot = {
      key,
      holder: undefined,
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        set.delete(slot);
        if (set.size === 0 && this.#slots.get(key) === set) this.#slots.delete(key);
      },
    };
    set.add(slot);
    this.#total++;
    return slot;
  }

  /** Evicts the largest holder's least recently active connection if it holds >= n + 2. */
  #makeRoom(key: string, n: number): boolean {
    let victims: Set<Slot> | undefined;
    let victimKey = '';
    for (const [k, set] of this.#slots) {
      if (k !== key && set.size >= n + 2 && set.size > (victims?.size ?? 0)) {
        victims = set;
        victimKey = k;
      }
    }
    if (!victims) return false;
    let oldest: Slot | undefined;
    for (const s of victims) {
      if (s.holder && (!oldest || s.holder.lastActive() < oldest.holder!.lastActive())) oldest = s;
    }
    if (!oldest) return false;
    oldest.holder!.evict(`bridge full: slot given to a client holding fewer than ${victimKey} (${victims.size})`);
    oldest.release();
    return this.#total < this.maxTotal;
  }
}

/**
 * A connection's idle timeout, cheap to touch on every chunk (a timestamp; the timer is set once
 * and re-armed only when it fires early). `limitMs()` is asked each time, so the timeout can
 * shrink while the connection waits (review() re-arms at once).
 */
export class IdleWatch {
  #last: number;
  #timer: unknown;
  #stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly limitMs: () => number,
    private readonly onIdle: () => void,
  ) {
    this.#last = clock.now();
    this.#arm(limitMs());
  }

  get lastActive(): number {
    return this.#last;
  }

  touch(): void {
    this.#last = this.clock.now();
  }

  /** Re-arms for the current limit (after it shrank). */
  review(): void {
    if (this.#stopped) return;
    this.clock.clearTimeout(this.#timer);
    this.#arm(Math.max(0, this.#last + this.limitMs() - this.clock.now()));
  }

  stop(): void {
    this.#stopped = true;
    this.clock.clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    this.#timer = this.clock.setTimeout(() => {
      if (this.#stopped) return;
      const left = this.#last + this.limitMs() - this.clock.now();
      if (left <= 0) {
        this.#stopped = true;
        this.onIdle();
      } else this.#arm(left);
    }, ms);
  }
}

/**
 * One bridge's activity, for both bridges: its idle timeout (started at its first byte, asked for
 * its limit each time, so the shorter busy timeout applies at once after review()) and, as the
 * SlotHolder of its slot, what a full bridge may take back.
 */
export class BridgeActivity implements SlotHolder {
  #idle: IdleWatch | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly limitMs: () => number,
    private readonly onIdle: () => void,
    private readonly onEvict: (reason: string) => void,
  ) {}

  touch(): void {
    if (this.#idle) this.#idle.touch();
    else this.#idle = new IdleWatch(this.clock, this.limitMs, this.onIdle);
  }

  lastActive(): number {
    return this.#idle?.lastActive ?? 0;
  }

  evict(reason: string): void {
    this.onEvict(reason);
  }

  review(): void {
    this.#idle?.review();
  }

  stop(): void {
    this.#idle?.stop();
  }
}
