// The node's events for the page: a listener that throws is reported and does not stop the others.
import type { PeerConnectedEvent, PeerDisconnectedEvent } from '../core/daemons/connectd/types.ts';
import type { SyncProgress } from '../core/daemons/gossipd/types.ts';

export interface WebNodeEvents {
  /** A peer finished `init` (either direction). */
  peer_connected: PeerConnectedEvent;
  peer_disconnected: PeerDisconnectedEvent;
  /** A peer sent a message no daemon owns (no channel daemons yet). */
  peer_spoke: { id: string; type: number };
  /** gossipd's sync progress (at most every 250 ms, and on each state change): for a progress bar. */
  gossip_progress: SyncProgress;
  /** A daemon's Worker reported an uncaught error. */
  daemon_error: { daemon: string; message: string };
}

export type WebNodeEventName = keyof WebNodeEvents;
export type Listener<K extends WebNodeEventName> = (payload: WebNodeEvents[K]) => void;

export class Emitter {
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();

  on<K extends WebNodeEventName>(event: K, fn: Listener<K>): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (p: unknown) => void);
  }

  off<K extends WebNodeEventName>(event: K, fn: Listener<K>): void {
    this.listeners.get(event)?.delete(fn as (p: unknown) => void);
  }

  emit(event: string, payload: unknown): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        fn(payload);
      } catch (e) {
        console.error(`boltworker: a '${event}' listener threw`, e);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
