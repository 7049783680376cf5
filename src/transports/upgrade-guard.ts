// Bounds on an HTTP server's connections before they become WebSockets, for the bridge
// (bridge-server.ts) and the node's WebSocket listener (ws-listener-node.ts). Without them a
// client that sends an upgrade request without its final CRLF holds a descriptor for Node's
// headersTimeout (60 s, checked every 30 s), and 21,000 of them from one address exhausted the
// process's descriptors (issue 10, finding 11). Here:
// - at most maxPendingPerClient connections not yet upgraded per address (IPv6 per /64), and
//   maxPendingTotal in all; a connection over either is closed at accept, before reading a byte;
// - headerTimeoutMs from accept to a completed upgrade, then the socket is destroyed (our own
//   timer: Node's headersTimeout is only checked every connectionsCheckingInterval);
// - server.maxConnections: TCP connections held at once, upgraded or not (Node drops the rest).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ConnectionLimits, clientKey, type Slot } from '../core/bridge/limits.ts';

export interface UpgradeLimits {
  /** Connections not yet upgraded from one address, IPv6 per /64 (default 8). */
  maxPendingPerClient?: number;
  /** Connections not yet upgraded, in all (default 64). */
  maxPendingTotal?: number;
  /** From accept to a completed upgrade (default 10 000 ms). */
  headerTimeoutMs?: number;
  /** TCP connections held at once, upgraded or not (server.maxConnections). */
  maxConnections?: number;
}

export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;

/** What a log line names as the target before the request line has been read. */
const NO_TARGET = '(request not read)';

export interface UpgradeGuardLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface UpgradeGuard {
  /** The socket completed its upgrade: it no longer counts as pending, its timer stops. */
  upgraded(socket: Socket): void;
  /** Connections not yet upgraded, in all and from an address. */
  readonly pending: { readonly total: number; count(address: string): number };
  /** Removes the listeners and destroys every socket still pending. */
  close(): void;
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function guardUpgrades(server: Server, o: UpgradeLimits, defaultMaxConnections: number, log?: UpgradeGuardLog): UpgradeGuard {
  const perClient = positive(o.maxPendingPerClient, 8, 'maxPendingPerClient');
  const total = positive(o.maxPendingTotal, 64, 'maxPendingTotal');
  const timeoutMs = positive(o.headerTimeoutMs, DEFAULT_HEADER_TIMEOUT_MS, 'headerTimeoutMs');
  server.maxConnections = positive(o.maxConnections, defaultMaxConnections, 'maxConnections');
  // Node's own limits as a second line (checked only every 30 s): no longer than ours.
  server.headersTimeout = timeoutMs;
  server.requestTimeout = timeoutMs;
  const limits = new ConnectionLimits(perClient, total, false);
  const pending = new Map<Socket, { slot: Slot; timer: NodeJS.Timeout }>();

  const done = (socket: Socket): void => {
    const p = pending.get(socket);
    if (!p) return;
    pending.delete(socket);
    clearTimeout(p.timer);
    p.slot.release();
  };

  const onConnection = (socket: Socket): void => {
    const client = socket.remoteAddress ?? 'unknown';
    let slot: Slot;
    try {
      slot = limits.acquire(clientKey(client));
    } catch (e) {
      log?.warn('connection refused', {
        client,
        target: NO_TARGET,
        decision: 'refused',
        reason: `before upgrade: ${(e as Error).message}`,
      });
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => {
      log?.warn('connection closed', {
        client,
        target: NO_TARGET,
        decision: 'closed',
        reason: `no completed upgrade within ${timeoutMs} ms`,
      });
      done(socket);
      socket.destroy();
    }, timeoutMs);
    timer.unref();
    pending.set(socket, { slot, timer });
    socket.once('close', () => done(socket));
  };
  server.on('connection', onConnection);

  return {
    upgraded: done,
    pending: {
      get total() {
        return limits.total;
      },
      count: (a: string) => limits.count(clientKey(a)),
    },
    close() {
      server.off('connection', onConnection);
      for (const s of [...pending.keys()]) {
        done(s);
        s.destroy();
      }
    },
  };
}
