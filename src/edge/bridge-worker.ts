// The WebSocket-to-TCP bridge as a Cloudflare Worker: `GET /bridge/{host}:{port}` (or
// `/{host}:{port}`) with a WebSocket upgrade becomes a TCP stream opened with `connect()` from
// `cloudflare:sockets`. The policy is src/core/bridge/policy.ts, the same as the Node bridge's
// (src/transports/bridge-server.ts); differences forced by the platform:
//
// - No DNS before connect: a Worker cannot resolve a name and then connect to the checked
//   address. So DNS names are refused unless BRIDGE_CONNECT_NAMES is "true", and special-use
//   names (localhost, *.local, *.internal, single-label names, names that resolve to the address
//   written in them, ...) are refused even then. With BRIDGE_CONNECT_NAMES the name is handed to
//   connect(), and where it leads is the platform's affair: on Cloudflare it is resolved and
//   dialled from Cloudflare's network, which has no route to this deployment's private networks
//   (and Cloudflare refuses connect() to its own addresses). Under a local workerd (wrangler dev,
//   miniflare, a self-hosted workerd) the host's resolver answers, and a public name that
//   resolves to 127.0.0.1 reaches loopback: keep BRIDGE_CONNECT_NAMES off there.
// - Caps per client (CF-Connecting-IP, IPv6 per /64) and in total are counted per isolate: a
//   best-effort limit, since requests may land on many isolates. A global cap needs a Durable
//   Object. A full isolate shares its slots fairly (bridge-limits.ts), as the Node bridge does.
// - workerd's WebSocket has no `bufferedAmount` and no drain signal (cloudflare/workerd#988):
//   send() queues without bound inside workerd while the client does not read. The only way to
//   learn what the client has taken is for it to say so: a client that offers the subprotocol
//   `bridge-ack` sends, as text frames, the decimal count of bytes it has received so far. The
//   bridge stops reading the target while more than BRIDGE_FLOW_WINDOW bytes (default 256 KiB)
//   sent to the client are unacknowledged, for every client: one that does not acknowledge gets
//   one window, then the bridge waits (and its idle timeout closes it). From the client we queue
//   writes to TCP and close the bridge (1008) if more than MAX_QUEUED bytes wait for a slow
//   target, rather than buffer without end.
//
// Configuration (env vars, see bridgePolicyFromEnv): BRIDGE_ALLOWED_PORTS, BRIDGE_ALLOW_LOOPBACK
// and BRIDGE_ALLOW_PRIVATE (tests and private deployments only), BRIDGE_ALLOWED_ORIGINS,
// BRIDGE_MAX_PER_CLIENT, BRIDGE_MAX_TOTAL, BRIDGE_IDLE_TIMEOUT_MS, BRIDGE_BUSY_IDLE_TIMEOUT_MS;
// this Worker's own: BRIDGE_CONNECT_NAMES, BRIDGE_FLOW_WINDOW.
import { connect } from 'cloudflare:sockets';
import {
  BRIDGE_ACK_PROTOCOL,
  BridgeActivity,
  BridgeClose,
  BridgeRefusal,
  ConnectionLimits,
  asRefusal,
  bridgePolicyFromEnv,
  checkOrigin,
  checkTarget,
  clientKey,
  closeReason,
  closedLogFields,
  offersAck,
  parseAck,
  parseBridgePath,
  refusalCloseCode,
  refusalStatus,
  type BridgeEnd,
  type BridgePolicy,
  type BridgeTarget,
  type Slot,
} from '../core/bridge/policy.ts';
import { systemClock as clock } from '../platform/system.ts';

export interface BridgeEnv {
  BRIDGE_ALLOWED_PORTS?: string;
  BRIDGE_ALLOW_LOOPBACK?: string;
  BRIDGE_ALLOW_PRIVATE?: string;
  BRIDGE_ALLOWED_ORIGINS?: string;
  BRIDGE_MAX_PER_CLIENT?: string;
  BRIDGE_MAX_TOTAL?: string;
  BRIDGE_IDLE_TIMEOUT_MS?: string;
  BRIDGE_BUSY_IDLE_TIMEOUT_MS?: string;
  /** "true": hand DNS names to connect() (see the header comment); default: refuse names. */
  BRIDGE_CONNECT_NAMES?: string;
  /** Bytes sent to a client and not yet acknowledged before the bridge stops reading the target. */
  BRIDGE_FLOW_WINDOW?: string;
}

// A Worker module exports handlers only (workerd refuses other values).
const DEFAULT_FLOW_WINDOW = 256 << 10;
/** Four times the 16 KiB a client may receive between acknowledgements (BRIDGE_ACK_PROTOCOL). */
const MIN_FLOW_WINDOW = 64 << 10;

/** Bytes from the client allowed to wait for a slow (or not yet connected) target. */
const MAX_QUEUED = 4 << 20;
const CONNECT_TIMEOUT_MS = 10_000;

interface EdgeConfig {
  policy: BridgePolicy;
  connectNames: boolean;
  flowWindow: number;
}

function edgeConfig(env: BridgeEnv): EdgeConfig {
  const policy = bridgePolicyFromEnv(env as Record<string, unknown>);
  const names = (env.BRIDGE_CONNECT_NAMES ?? '').trim().toLowerCase();
  if (!['', '0', '1', 'false', 'true'].includes(names)) throw new BridgeRefusal('bad_config', `BRIDGE_CONNECT_NAMES must be true or false`);
  const w = (env.BRIDGE_FLOW_WINDOW ?? '').trim();
  if (w !== '' && !(/^\d{1,10}$/.test(w) && Number(w) >= MIN_FLOW_WINDOW)) {
    throw new BridgeRefusal('bad_config', `BRIDGE_FLOW_WINDOW must be a number of bytes, at least ${MIN_FLOW_WINDOW}`);
  }
  return { policy, connectNames: names === '1' || names === 'true', flowWindow: w === '' ? DEFAULT_FLOW_WINDOW : Number(w) };
}

// Per isolate: see the header comment.
let limits: ConnectionLimits | undefined;

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Serves one bridge request; a Worker that does more can route `/bridge/...` here. */
export async function handleBridgeRequest(request: Request, env: BridgeEnv): Promise<Response> {
  let config: EdgeConfig;
  try {
    config = edgeConfig(env);
  } catch (e) {
    console.error('bridge: bad configuration', e instanceof Error ? e.message : String(e));
    return text(500, 'bridge misconfigured');
  }
  const { policy } = config;
  const client = request.headers.get('CF-Connecting-IP') ?? 'unknown';
  const path = new URL(request.url).pathname;
  let slot: Slot;
  try {
    if (request.method !== 'GET' || (request.headers.get('Upgrade') ?? '').toLowerCase() !== 'websocket') {
      throw new BridgeRefusal('not_websocket', 'WebSocket-to-TCP bridge: open a WebSocket to /bridge/{host}:{port}');
    }
    checkOrigin(request.headers.get('Origin'), policy);
    limits ??= new ConnectionLimits(policy.maxPerClient, policy.maxTotal);
    slot = limits.acquire(clientKey(client));
  } catch (e) {
    const r = asRefusal(e);
    if (r.code === 'internal') throw e;
    logLine('warn', 'bridge refused', { client, target: path, decision: 'refused', code: r.code, reason: r.message });
    return text(refusalStatus(r.code), r.message);
  }

  // Path, port and target refusals are sent as a close reason, which a browser can read.
  let target: BridgeTarget | undefined;
  let refusal: BridgeRefusal | undefined;
  try {
    target = parseBridgePath(path);
    checkTarget(target, policy, false);
    if (target.kind === 'dns' && !config.connectNames) {
      throw new BridgeRefusal(
        'name_not_allowed',
        `refused ${target.host}: this bridge takes IP addresses only (BRIDGE_CONNECT_NAMES is off)`,
      );
    }
  } catch (e) {
    if (!(e instanceof BridgeRefusal)) throw e;
    refusal = e;
  }

  const acks = offersAck((request.headers.get('Sec-WebSocket-Protocol') ?? '').split(','));
  const pair = new WebSocketPair();
  const ws = pair[1];
  ws.accept();
  if (refusal || !target) {
    const r = refusal ?? new BridgeRefusal('bad_path', 'bad path');
    logLine('warn', 'bridge refused', { client, target: path, decision: 'refused', code: r.code, reason: r.message });
    ws.close(refusalCloseCode(r.code), closeReason(`${r.code}: ${r.message}`));
    slot.release();
  } else {
    const b = new EdgeBridge(ws, target, config, client, acks, () => slot.release());
    b.start();
    limits.hold(slot, b.activity);
  }
  const headers = acks ? { 'Sec-WebSocket-Protocol': BRIDGE_ACK_PROTOCOL } : undefined;
  return new Response(null, { status: 101, webSocket: pair[0], headers });
}

function logLine(level: 'log' | 'warn', message: string, fields: Record<string, unknown>): void {
  console[level](message, JSON.stringify(fields));
}

class EdgeBridge {
  #socket: Socket | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #pending: Uint8Array[] = [];
  #queued = 0;
  #done = false;
  #up = 0;
  #down = 0;
  /** Bytes the client says it has received (with the `bridge-ack` subprotocol). */
  #acked = 0;
  /** Resolved when an acknowledgement reopens the flow window. */
  #windowOpen: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly target: BridgeTarget,
    private readonly config: EdgeConfig,
    private readonly client: string,
    private readonly acks: boolean,
    private readonly onDone: () => void,
  ) {}

  start(): void {
    // With the standard binary type (compatibility flag websocket_standard_binary_type) messages
    // would arrive as Blobs, which need an await each and could reorder; ask for ArrayBuffers.
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('message', ev => this.#fromClient(ev.data));
    this.ws.addEventListener('close', ev => this.#finish(ev.code, ev.reason || 'client closed', 'client'));
    this.ws.addEventListener('error', () => this.#finish(BridgeClose.internal, 'websocket error', 'bridge'));
    void this.#open();
  }

  /** The idle timeout, and what a full bridge may take back (bridge-limits.ts). */
  readonly activity = new BridgeActivity(
    clock,
    () => limits!.idleLimit(this.config.policy.idleTimeoutMs, this.config.policy.busyIdleTimeoutMs),
    () => this.#finish(BridgeClose.idle, 'idle timeout', 'bridge'),
    reason => this.#finish(BridgeClose.tryAgainLater, reason, 'evicted'),
  );

  async #open(): Promise<void> {
    const { host, port } = this.target;
    let socket: Socket;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // workerd takes an IPv6 literal in brackets (without them it is looked up as a name).
      const hostname = this.target.kind === 'ipv6' ? `[${host}]` : host;
      socket = connect({ hostname, port }, { allowHalfOpen: false });
      this.#socket = socket;
      await Promise.race([
        socket.opened,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), CONNECT_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      this.#finish(BridgeClose.badGateway, `cannot connect to target: ${e instanceof Error ? e.message : String(e)}`, 'target');
      return;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (this.#done) {
      void socket.close().catch(() => {});
      return;
    }
    logLine('log', 'bridge open', {
      client: this.client,
      target: `${host}:${port}`,
      decision: 'opened',
      reason: 'target allowed and connected',
      acks: this.acks,
    });
    this.#writer = socket.writable.getWriter();
    this.activity.touch();
    for (const b of this.#pending) this.#write(b);
    this.#pending = [];
    void this.#pumpToClient(socket);
  }

  async #pumpToClient(socket: Socket): Promise<void> {
    const reader = socket.readable.getReader();
    try {
      for (;;) {
        // Backpressure towards the target: no read while a window's worth is unacknowledged.
        while (this.#down - this.#acked >= this.config.flowWindow && !this.#done) {
          await new Promise<void>(resolve => (this.#windowOpen = resolve));
        }
        if (this.#done) break;
        const { value, done } = await reader.read();
        if (done || this.#done) break;
        const chunk = value as Uint8Array;
        this.#down += chunk.byteLength;
        this.activity.touch();
        this.ws.send(chunk);
      }
      this.#finish(BridgeClose.normal, 'target closed the connection', 'target');
    } catch (e) {
      this.#finish(BridgeClose.badGateway, `target error: ${e instanceof Error ? e.message : String(e)}`, 'target');
    } finally {
      reader.releaseLock();
    }
  }

  #fromClient(data: unknown): void {
    if (this.#done) return;
    if (typeof data === 'string') {
      if (this.acks) this.#ack(data);
      else this.#finish(BridgeClose.unsupportedData, 'binary frames only', 'bridge');
      return;
    }
    if (!(data instanceof ArrayBuffer)) {
      this.#finish(BridgeClose.internal, 'unexpected message type', 'bridge');
      return;
    }
    const bytes = new Uint8Array(data);
    if (this.#queued + bytes.byteLength > MAX_QUEUED) {
      this.#finish(BridgeClose.policy, 'client sends faster than the target reads', 'bridge');
      return;
    }
    this.#queued += bytes.byteLength;
    if (this.#writer) this.#write(bytes);
    else this.#pending.push(bytes);
  }

  /** `bridge-ack`: the decimal count of bytes received so far; never less than before, never
   * more than was sent. */
  #ack(text: string): void {
    try {
      this.#acked = parseAck(text, this.#acked, this.#down);
    } catch (e) {
      this.#finish(BridgeClose.policy, (e as Error).message, 'bridge');
      return;
    }
    const open = this.#windowOpen;
    this.#windowOpen = undefined;
    open?.();
  }

  /** Queues bytes to the target; #queued (already counted) drops when TCP takes them. */
  #write(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    this.#up += n;
    this.activity.touch();
    this.#writer!.write(bytes).then(
      () => {
        this.#queued -= n;
      },
      (e: unknown) => this.#finish(BridgeClose.badGateway, `target error: ${e instanceof Error ? e.message : String(e)}`, 'target'),
    );
  }

  #finish(code: number, reason: string, by: BridgeEnd): void {
    if (this.#done) return;
    this.#done = true;
    this.activity.stop();
    const open = this.#windowOpen;
    this.#windowOpen = undefined;
    open?.();
    const socket = this.#socket;
    const writer = this.#writer;
    if (socket) {
      if (by === 'client' && writer) {
        // The client closed: let queued bytes reach the target, then close the socket.
        writer
          .close()
          .catch(() => {})
          .finally(() => void socket.close().catch(() => {}));
      } else {
        void socket.close().catch(() => {});
      }
    }
    // workerd does not answer a client's Close frame by itself (half-open proxying): answer it
    // (RFC 6455 section 5.5.1), with 1000 since 1005/1006 may not be sent.
    if (this.ws.readyState !== WebSocket.CLOSED) {
      try {
        if (by === 'client') this.ws.close(BridgeClose.normal, '');
        else this.ws.close(code, closeReason(reason));
      } catch {
        // already closing
      }
    }
    const fields = closedLogFields(this.client, `${this.target.host}:${this.target.port}`, by, code, reason, this.#up, this.#down);
    logLine('log', 'bridge closed', { ...fields, acknowledged: this.#acked });
    this.onDone();
  }
}

export default {
  fetch: (request: Request, env: BridgeEnv) => handleBridgeRequest(request, env),
} satisfies ExportedHandler<BridgeEnv>;
