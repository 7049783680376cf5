// Important peers (Core Lightning's: peers we have channels with, or were told to keep): connect
// now, and after every disconnect or failed attempt try again after a delay that starts at 1 s and
// doubles up to 300 s. A connection that stayed up for `stableMs` resets the delay.
import type { DialTarget } from '../../net/transport.ts';
import type { Clock, Log } from './types.ts';

export interface ReconnectorDeps {
  clock: Clock;
  log: Log;
  initialMs: number;
  maxMs: number;
  stableMs: number;
  /** Connects (or joins an attempt in progress); rejects when every address failed. */
  connect(id: string, targets: DialTarget[]): Promise<unknown>;
  isConnected(id: string): boolean;
}

interface Important {
  id: string;
  targets: DialTarget[];
  delayMs: number;
  timer: unknown;
  /** Not dialled before this time (clock ms): holdOff(). */
  notBefore: number;
}

export class Reconnector {
  private readonly peers = new Map<string, Important>();
  /** holdOff() for peers not (yet) important, so add() honours it too. */
  private readonly held = new Map<string, number>();
  private stopped = false;

  constructor(private readonly d: ReconnectorDeps) {}

  /** Marks `id` important (or updates its addresses) and connects now if it isn't connected. */
  add(id: string, targets: readonly DialTarget[]): void {
    const existing = this.peers.get(id);
    if (existing) {
      existing.targets = [...targets];
      return;
    }
    const p: Important = { id, targets: [...targets], delayMs: this.d.initialMs, timer: undefined, notBefore: this.held.get(id) ?? 0 };
    this.peers.set(id, p);
    if (!this.d.isConnected(id)) this.attempt(p);
  }

  remove(id: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    if (p.timer !== undefined) this.d.clock.clearTimeout(p.timer);
    this.peers.delete(id);
  }

  ids(): string[] {
    return [...this.peers.keys()];
  }

  /** The peer connected (by any means): no retry is due. */
  connected(id: string): void {
    const p = this.peers.get(id);
    if (p && p.timer !== undefined) {
      this.d.clock.clearTimeout(p.timer);
      p.timer = undefined;
    }
  }

  /**
   * We closed the connection for misbehaviour (gossipd's bad peers): no attempt before `ms` from
   * now, whatever the backoff says.
   */
  holdOff(id: string, ms: number): void {
    const until = this.d.clock.now() + ms;
    const p = this.peers.get(id);
    if (p) p.notBefore = Math.max(p.notBefore, until);
    else {
      for (const [k, t] of this.held) if (t <= this.d.clock.now()) this.held.delete(k);
      if (this.held.size < 1000) this.held.set(id, until);
    }
  }

  /** The peer's connection ended after `livedMs`: schedule the next attempt. */
  disconnected(id: string, livedMs: number): void {
    const p = this.peers.get(id);
    if (!p) return;
    if (livedMs >= this.d.stableMs) p.delayMs = this.d.initialMs;
    this.schedule(p);
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.peers.values()) if (p.timer !== undefined) this.d.clock.clearTimeout(p.timer);
    this.peers.clear();
  }

  private schedule(p: Important): void {
    if (this.stopped || p.timer !== undefined || this.peers.get(p.id) !== p) return;
    const backoff = p.delayMs;
    p.delayMs = Math.min(backoff * 2, this.d.maxMs);
    const delay = Math.max(backoff, p.notBefore - this.d.clock.now());
    this.d.log.debug(`${p.id.slice(0, 16)}: reconnecting in ${delay} ms`);
    p.timer = this.d.clock.setTimeout(() => {
      p.timer = undefined;
      this.attempt(p);
    }, delay);
  }

  private attempt(p: Important): void {
    if (this.stopped || this.peers.get(p.id) !== p) return;
    if (p.notBefore > this.d.clock.now()) return this.schedule(p);
    this.d.connect(p.id, p.targets).then(
      () => {},
      (e: unknown) => {
        this.d.log.debug(`${p.id.slice(0, 16)}: reconnect failed: ${e instanceof Error ? e.message : String(e)}`);
        if (!this.d.isConnected(p.id)) this.schedule(p);
      },
    );
  }
}
