// The WebSocket-to-TCP bridge for Node: a browser opens `ws://bridge/{host}:{port}` and its binary
// frames become a TCP byte stream to a Lightning node (BOLT 8 runs end to end through it; the
// bridge sees only ciphertext). Policy (which targets, ports, origins, how many) lives in
// src/core/bridge/policy.ts and is shared with the edge Worker.
//
// Order of checks, all before any TCP connection is opened:
//   TCP accept: connections not yet upgraded per address and in all, a header timeout and
//   server.maxConnections (upgrade-guard.ts).
//   HTTP, before the upgrade: Origin allow-list (403), per-client cap (429), total cap (503; when
//   full, fair sharing may close another client's bridge instead: bridge-limits.ts).
//   After the upgrade, as a WebSocket close (1008, or 1014 for DNS failure) so that a browser
//   can read the reason: path, port, special-use IP literal or name; then the name is resolved,
//   every address is checked, and the bridge connects to the checked address (never the name).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  BRIDGE_ACK_PROTOCOL,
  BridgeActivity,
  BridgeClose,
  BridgeRefusal,
  ConnectionLimits,
  asRefusal,
  checkOrigin,
  checkResolvedAddresses,
  checkTarget,
  clientKey,
  closeReason,
  closedLogFields,
  offersAck,
  parseAck,
  parseBridgePath,
  parseHostPort,
  refusalCloseCode,
  refusalStatus,
  resolveBridgePolicy,
  type BridgeEnd,
  type BridgePolicy,
  type BridgePolicyOptions,
  type BridgeTarget,
  type Slot,
} from '../core/bridge/policy.ts';
import { nodeClock } from '../node/clock.ts';
import { guardUpgrades, type UpgradeLimits } from './upgrade-guard.ts';

/** Structured log lines; `console` fits. Every line's fields name the `client`, the `target` (or
 * the path asked for), the `decision` (opened, refused, closed, evicted) and the `reason`. */
export interface BridgeLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface BridgeOptions extends BridgePolicyOptions, UpgradeLimits {
  /** `host:port` to listen on (default `127.0.0.1:0`, an ephemeral port on loopback). */
  listen?: string;
  logger?: BridgeLogger;
  /** Resolves a DNS name to addresses (default: node:dns lookup, all families, verbatim). */
  lookup?: (hostname: string) => Promise<string[]>;
  /** Time allowed for DNS plus TCP connect (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Largest WebSocket message accepted (default 1 MiB; BOLT 8 messages are at most 65 569 bytes). */
  maxPayload?: number;
  /** Pause the TCP socket when the WebSocket has more than this many bytes queued (default 1 MiB). */
  highWaterMark?: number;
}

export interface BridgeStats {
  /** Open (or opening) bridges. */
  readonly total: number;
  /** Connections not yet upgraded, in all and from an address (upgrade-guard.ts). */
  readonly pending: { readonly total: number; count(address: string): number };
  /** Open (or opening) bridges counted against this client address. */
  perClient(address: string): number;
  /** Bytes the bridge holds right now, summed over bridges (bounded by backpressure). */
  buffered(): { toTarget: number; toClient: number };
}

export interface BridgeServer {
  /** `ws://127.0.0.1:PORT`: append `/{host}:{port}`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly stats: BridgeStats;
  /** Stops listening and closes every bridge (1001 to clients, TCP destroyed). */
  close(): Promise<void>;
}

const silent: BridgeLogger = { info() {}, warn() {} };

async function defaultLookup(hostname: string): Promise<string[]> {
  const r = await dnsLookup(hostname, { all: true, verbatim: true });
  return r.map(a => a.address);
}

function httpRefuse(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  const statusText: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden',
    426: 'Upgrade Required',
    429: 'Too Many Requests',
    503: 'Service Unavailable',
  };
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Refused'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Starts a bridge listening on `opts.listen` (default 127.0.0.1, ephemeral port). The
 * `boltworker bridge --listen 127.0.0.1:PORT [--allow-loopback] [--allow-private] [--allow-port N]...`
 * command calls this.
 */
export async function startBridge(opts: BridgeOptions = {}): Promise<BridgeServer> {
  const listen = parseHostPort(opts.listen ?? '127.0.0.1:0', true);
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end('WebSocket-to-TCP bridge: open a WebSocket to /{host}:{port}\n');
  });
  const bridge = attachBridge(server, opts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('bridge: no listening address');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  (opts.logger ?? silent).info('bridge listening', { address: `${host}:${addr.port}`, decision: 'listening', reason: 'started' });
  return {
    url: `ws://${host}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    stats: bridge.stats,
    close: async () => {
      bridge.close();
      const closed = new Promise<void>(resolve => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}

/** Serves the bridge on an existing HTTP server's upgrade requests (and bounds its connections
 * before the upgrade, upgrade-guard.ts). */
export function attachBridge(server: Server, opts: BridgeOptions = {}): { stats: BridgeStats; close(): void } {
  const policy = resolveBridgePolicy(opts);
  const log = opts.logger ?? silent;
  const lookup = opts.lookup ?? defaultLookup;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const highWater = opts.highWaterMark ?? 1 << 20;
  const limits = new ConnectionLimits(policy.maxPerClient, policy.maxTotal);
  const guard = guardUpgrades(server, opts, policy.maxTotal + (opts.maxPendingTotal ?? 64), log);
  // `bridge-ack` is selected when offered (the edge bridge's acknowledgements: here only checked,
  // so that one client works with both bridges); nothing else (ws would echo the client's first).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload ?? 1 << 20,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (offered: Set<string>) => (offersAck(offered) ? BRIDGE_ACK_PROTOCOL : false),
  });
  const live = new Set<BridgeConnection>();
  const idleLimit = (): number => limits.idleLimit(policy.idleTimeoutMs, policy.busyIdleTimeoutMs);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const client = req.socket.remoteAddress ?? 'unknown';
    socket.on('error', () => socket.destroy());
    let slot: Slot;
    try {
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
        throw new BridgeRefusal('not_websocket', 'expected a WebSocket upgrade');
      checkOrigin(req.headers.origin, policy);
      slot = limits.acquire(clientKey(client));
    } catch (e) {
      const r = asRefusal(e);
      log.warn('bridge refused', { client, target: req.url, decision: 'refused', code: r.code, reason: r.message });
      // The guard's header timer still runs: a client that never reads the answer is cut off.
      httpRefuse(socket, refusalStatus(r.code), r.message);
      return;
    }
    // A handshake that ws rejects (400) never reaches the callback: free the slot when the socket
    // goes (release is idempotent, so the bridge's own release below is harmless).
    socket.once('close', slot.release);
    wss.handleUpgrade(req, socket, head, ws => {
      guard.upgraded(req.socket);
      const c = new BridgeConnection(ws, client, req.url ?? '/', policy, { log, lookup, connectTimeoutMs, highWater, idleLimit }, () => {
        slot.release();
        live.delete(c);
      });
      live.add(c);
      c.start();
      limits.hold(slot, c.activity);
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    stats: {
      get total() {
        return limits.total;
      },
      pending: guard.pending,
      perClient: (a: string) => limits.count(clientKey(a)),
      buffered: () => {
        let toTarget = 0;
        let toClient = 0;
        for (const c of live) {
          const b = c.buffered();
          toTarget += b.toTarget;
          toClient += b.toClient;
        }
        return { toTarget, toClient };
      },
    },
    close() {
      server.off('upgrade', onUpgrade);
      guard.close();
      for (const c of live) c.shutdown(BridgeClose.goingAway, 'bridge shutting down');
    },
  };
}

interface ConnDeps {
  log: BridgeLogger;
  lookup: (hostname: string) => Promise<string[]>;
  connectTimeoutMs: number;
  highWater: number;
  /** The idle timeout now (shorter when the bridge is busy). */
  idleLimit: () => number;
}

/** One client's bridge: a WebSocket on one side, one TCP socket on the other. */
class BridgeConnection {
  #tcp: Socket | undefined;
  #pending: Buffer[] = [];
  #connected = false;
  #done = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #target: BridgeTarget | undefined;
  #up = 0;
  #down = 0;
  /** What a `bridge-ack` client says it received (checked, not needed: bufferedAmount is ours). */
  #acked = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly client: string,
    private readonly path: string,
    private readonly policy: BridgePolicy,
    private readonly deps: ConnDeps,
    private readonly onDone: () => void,
  ) {}

  start(): void {
    const { ws } = this;
    // Hold the client's first bytes (BOLT 8 act one arrives at once) until TCP is up.
    ws.pause();
    ws.on('message', (data: RawData, isBinary: boolean) => this.#fromClient(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.#finish(code, reason.toString() || 'client closed', 'client'));
    ws.on('error', (err: Error) => this.#finish(BridgeClose.internal, `websocket error: ${err.message}`, 'bridge'));
    this.#open().catch((e: unknown) => {
      if (e instanceof BridgeRefusal) {
        this.deps.log.warn('bridge refused', {
          client: this.client,
          target: this.path,
          decision: 'refused',
          code: e.code,
          reason: e.message,
        });
        this.#finish(refusalCloseCode(e.code), `${e.code}: ${e.message}`, 'refused');
      } else {
        this.#finish(BridgeClose.internal, `bridge error: ${e instanceof Error ? e.message : String(e)}`, 'bridge');
      }
    });
  }

  buffered(): { toTarget: number; toClient: number } {
    let toTarget = this.#tcp?.writableLength ?? 0;
    for (const b of this.#pending) toTarget += b.length;
    return { toTarget, toClient: this.ws.bufferedAmount };
  }

  shutdown(code: number, reason: string): void {
    this.#finish(code, reason, 'bridge');
  }

  /** The idle timeout, and what a full bridge may take back (bridge-limits.ts). */
  readonly activity = new BridgeActivity(
    nodeClock,
    () => this.deps.idleLimit(),
    () => this.#finish(BridgeClose.idle, 'idle timeout', 'bridge'),
    reason => this.#finish(BridgeClose.tryAgainLater, reason, 'evicted'),
  );

  async #open(): Promise<void> {
    const target = parseBridgePath(this.path);
    this.#target = target;
    checkTarget(target, this.policy);
    const deadline = new Promise<never>((_, reject) => {
      this.#connectTimer = setTimeout(() => reject(new Error('timeout')), this.deps.connectTimeoutMs);
    });
    deadline.catch(() => {});
    let address = target.host;
    if (target.kind === 'dns') {
      let addrs: string[];
      try {
        addrs = await Promise.race([this.deps.lookup(target.host), deadline]);
      } catch (e) {
        throw new BridgeRefusal('resolve_failed', `cannot resolve ${target.host}: ${errText(e)}`);
      }
      // Every resolved address is checked; we connect to the first one, by address, never by name.
      address = checkResolvedAddresses(target.host, addrs, this.policy)[0]!;
    }
    if (this.#done) return;
    const tcp = tcpConnect({ host: address, port: target.port, noDelay: true });
    this.#tcp = tcp;
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          tcp.once('connect', resolve);
          tcp.once('error', reject);
        }),
        deadline,
      ]);
    } catch (e) {
      tcp.on('error', () => {});
      tcp.destroy();
      this.#finish(BridgeClose.badGateway, `cannot connect to target: ${errText(e)}`, 'target');
      return;
    } finally {
      clearTimeout(this.#connectTimer);
    }
    tcp.removeAllListeners('error');
    this.#wire(tcp, address, target.port);
  }

  #wire(tcp: Socket, address: string, port: number): void {
    if (this.#done) {
      tcp.destroy();
      return;
    }
    const { ws } = this;
    this.#connected = true;
    this.deps.log.info('bridge open', {
      client: this.client,
      target: `${this.#target?.host}:${port}`,
      address,
      decision: 'opened',
      reason: 'target allowed and connected',
    });
    this.activity.touch();
    tcp.on('data', (chunk: Buffer) => {
      this.#down += chunk.length;
      this.activity.touch();
      // Backpressure towards the target: stop reading TCP while the client is slow to take frames.
      ws.send(chunk, { binary: true }, () => {
        if (tcp.isPaused() && ws.bufferedAmount < this.deps.highWater / 2) tcp.resume();
      });
      if (ws.bufferedAmount > this.deps.highWater) tcp.pause();
    });
    // Backpressure towards the client: #write paused the WebSocket when TCP's buffer filled.
    tcp.on('drain', () => ws.resume());
    tcp.on('end', () => this.#finish(BridgeClose.normal, 'target closed the connection', 'target'));
    tcp.on('close', () => this.#finish(BridgeClose.normal, 'target connection closed', 'target'));
    tcp.on('error', (err: Error) => this.#finish(BridgeClose.badGateway, `target error: ${errText(err)}`, 'target'));
    for (const b of this.#pending) this.#write(b);
    this.#pending = [];
    if (!tcp.writableNeedDrain) ws.resume();
  }

  #fromClient(data: RawData, isBinary: boolean): void {
    if (this.#done) return;
    if (!isBinary) {
      if (this.ws.protocol !== BRIDGE_ACK_PROTOCOL) this.#finish(BridgeClose.unsupportedData, 'binary frames only', 'bridge');
      else {
        try {
          this.#acked = parseAck(String(data), this.#acked, this.#down);
        } catch (e) {
          this.#finish(BridgeClose.policy, (e as Error).message, 'bridge');
        }
      }
      return;
    }
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (!this.#connected) this.#pending.push(buf);
    else this.#write(buf);
  }

  #write(buf: Buffer): void {
    this.#up += buf.length;
    this.activity.touch();
    if (!this.#tcp!.write(buf)) this.ws.pause();
  }

  /** Ends both sides, once; `by` says who ended it (for the log). */
  #finish(code: number, reason: string, by: BridgeEnd | 'refused'): void {
    if (this.#done) return;
    this.#done = true;
    this.activity.stop();
    clearTimeout(this.#connectTimer);
    const tcp = this.#tcp;
    if (tcp && !tcp.destroyed) {
      if (by === 'client' && this.#connected) {
        // The client closed: flush what it sent, then close; drop what the target still sends.
        tcp.removeAllListeners('data');
        tcp.on('data', () => {});
        tcp.on('error', () => {});
        tcp.setTimeout(5_000, () => tcp.destroy());
        tcp.end(() => tcp.destroy());
      } else {
        tcp.destroy();
      }
    }
    const { ws } = this;
    if (ws.readyState === ws.OPEN) {
      ws.resume();
      ws.close(code, closeReason(reason));
    }
    if (by !== 'refused') {
      const target = this.#target ? `${this.#target.host}:${this.#target.port}` : this.path;
      this.deps.log.info('bridge closed', closedLogFields(this.client, target, by, code, reason, this.#up, this.#down));
    }
    this.onDone();
  }
}

function errText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}
