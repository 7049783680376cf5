// Passing gossip on (BOLT 7 "Rebroadcasting"): accepted messages go into one log; each peer has a
// cursor into it, and every `relayIntervalMs` ("SHOULD flush outgoing gossip messages once every
// 60 seconds ... staggered announcements that are unique") each peer gets what it has not had yet,
// once, never back to the peer it came from, at most `relayPerTick` messages per flush.
// The stored gossip a filter asks for (its backfill) is not sent from here: gossipd reads it back
// from the store and sends it through the peer's outbox, paced by its transport (answer.ts).
// BOLT 7: "MUST not send gossip it did not generate itself, until it receives
// gossip_timestamp_filter", and then only within that filter's range.

export interface TimestampFilter {
  first_timestamp: number;
  timestamp_range: number;
}

interface LogEntry {
  raw: Uint8Array;
  timestamp: number;
  origin: string;
}

interface RelayPeer {
  filter: TimestampFilter | undefined;
  /** Index (absolute, see `base`) of the next log entry this peer has not been considered for. */
  cursor: number;
}

/** BOLT 7: "greater or equal to first_timestamp, and less than first_timestamp plus timestamp_range". */
export function inFilter(f: TimestampFilter, timestamp: number): boolean {
  return timestamp >= f.first_timestamp && timestamp < f.first_timestamp + f.timestamp_range;
}

export class Relay {
  private log: LogEntry[] = [];
  /** Absolute index of log[0]. */
  private base = 0;
  private readonly peers = new Map<string, RelayPeer>();
  relayed = 0;

  constructor(private readonly perTick: number) {}

  addPeer(id: string): void {
    this.peers.set(id, { filter: undefined, cursor: this.end });
  }

  removePeer(id: string): void {
    this.peers.delete(id);
    this.trim();
  }

  /** A new gossip_timestamp_filter ("replaces any previous one"). */
  setFilter(id: string, filter: TimestampFilter): void {
    const p = this.peers.get(id);
    if (!p) return;
    p.filter = filter;
    // The backfill gossipd sends holds the current state, so what the log holds so far is covered by it.
    p.cursor = this.end;
    this.trim();
  }

  /** The peer's latest gossip_timestamp_filter (gossipd's one record of it), undefined before its first or once it is gone. */
  filterOf(id: string): TimestampFilter | undefined {
    return this.peers.get(id)?.filter;
  }

  /**
   * Whether a message from `origin` would go to anyone: a peer other than its origin has a filter.
   * A peer without one gets nothing from the log (BOLT 7), and one that sets a filter later gets
   * the stored state as its backfill, not the log: so nothing need be held for it meanwhile.
   */
  wanted(origin: string): boolean {
    for (const [id, p] of this.peers) if (p.filter && id !== origin) return true;
    return false;
  }

  /**
   * An accepted message to pass on; not kept when no one would get it (`wanted`), so a sync from
   * a peer that never asked for gossip does not hold every message it sent until the next flush.
   */
  push(raw: Uint8Array, timestamp: number, origin: string): void {
    if (!this.wanted(origin)) return;
    this.log.push({ raw, timestamp, origin });
  }

  /** New gossip is waiting for the next flush. */
  get logBusy(): boolean {
    return this.log.length > 0;
  }

  /**
   * One flush of new gossip: each peer gets what it has not had yet, within its filter, and what
   * `keep` still allows (gossipd: not for a channel spent or forgotten since it was queued).
   */
  tick(send: (id: string, raw: Uint8Array) => void, keep: (raw: Uint8Array) => boolean = () => true): void {
    for (const [id, p] of this.peers) {
      if (!p.filter) {
        p.cursor = this.end;
        continue;
      }
      let budget = this.perTick;
      while (budget > 0 && p.cursor < this.end) {
        const e = this.log[p.cursor - this.base]!;
        p.cursor++;
        if (e.origin === id || !inFilter(p.filter, e.timestamp) || !keep(e.raw)) continue;
        send(id, e.raw);
        this.relayed++;
        budget--;
      }
    }
    this.trim();
  }

  private get end(): number {
    return this.base + this.log.length;
  }

  /** Forgets log entries every peer is past. */
  private trim(): void {
    let min = this.end;
    for (const p of this.peers.values()) if (p.cursor < min) min = p.cursor;
    if (min > this.base) {
      this.log = this.log.slice(min - this.base);
      this.base = min;
    }
  }
}
