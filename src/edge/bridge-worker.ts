// The WebSocket-to-TCP bridge as a Cloudflare Worker: `GET /bridge/{host}:{port}` (or
// `/{host}:{port}`) with a WebSocket upgrade becomes a TCP stream opened with `connect()` from
// `cloudflare:sockets`. The policy is src/core/bridge-policy.ts, the same as the Node bridge's
// (src/transports/bridge-server.ts); differences forced by the platform:
//
// - No DNS before connect: a Worker cannot resolve a name and then connect to the checked
//   address. We refuse special-use IP literals and special-use names (localhost, *.local,
//   *.internal, single-label names, well-known names that resolve to the address written in
//   them, ...), and then hand the name to connect(). A public name that resolves to a private
//   address is not caught here; it is resolved and dialled from Cloudflare's network, which has
//   no route to this deployment's private networks (and Cloudflare refuses connect() to its own
//   addresses).
// - Caps per client (CF-Connecting-IP, IPv6 per /64) and in total are counted per isolate: a
//   best-effort limit, since requests may land on many isolates. A global cap needs a Durable
//   Object.
// - workerd's WebSocket has no `bufferedAmount` and no pause(): towards the client we send as
//   fast as the target delivers; from the client we queue writes to TCP and close the bridge
//   (1008) if more than MAX_QUEUED bytes wait for a slow target, rather than buffer without end.
//
// Configuration (env vars, see bridgePolicyFromEnv): BRIDGE_ALLOWED_PORTS, BRIDGE_ALLOW_PRIVATE
// (tests and private deployments only), BRIDGE_ALLOWED_ORIGINS, BRIDGE_MAX_PER_CLIENT,
// BRIDGE_MAX_TOTAL, BRIDGE_IDLE_TIMEOUT_MS.
import { connect } from 'cloudflare:sockets';
import {
  BridgeClose,
  BridgeRefusal,
  ConnectionLimits,
  bridgePolicyFromEnv,
  checkOrigin,
  checkTarget,
  clientKey,
  closeReason,
  parseBridgePath,
  refusalCloseCode,
  refusalStatus,
  type BridgePolicy,
  type BridgeTarget,
} from '../core/bridge-policy.ts';

export interface BridgeEnv {
  BRIDGE_ALLOWED_PORTS?: string;
  BRIDGE_ALLOW_PRIVATE?: string;
  BRIDGE_ALLOWED_ORIGINS?: string;
  BRIDGE_MAX_PER_CLIENT?: string;
  BRIDGE_MAX_TOTAL?: string;
  BRIDGE_IDLE_TIMEOUT_MS?: string;
}

/** Bytes from the client allowed to wait for a slow (or not yet connected) target. */
const MAX_QUEUED = 4 << 20;
const CONNECT_TIMEOUT_MS = 10_000;

// Per isolate: see the header comment.
let limits: ConnectionLimits | undefined;

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Serves one bridge request; a Worker that does more can route `/bridge/...` here. */
export async function handleBridgeRequest(request: Request, env: BridgeEnv): Promise<Response> {
  let policy: BridgePolicy;
  try {
    policy = bridgePolicyFromEnv(env as Record<string, unknown>);
  } catch (e) {
    console.error('bridge: bad configuration', e instanceof Error ? e.message : String(e));
    return text(500, 'bridge misconfigured');
  }
  const client = request.headers.get('CF-Connecting-IP') ?? 'unknown';
  const path = new URL(request.url).pathname;
  let release: () => void;
  try {
    if (request.method !== 'GET' || (request.headers.get('Upgrade') ?? '').toLowerCase() !== 'websocket') {
      throw new BridgeRefusal('not_websocket', 'WebSocket-to-TCP bridge: open a WebSocket to /bridge/{host}:{port}');
    }
    checkOrigin(request.headers.get('Origin'), policy);
    limits ??= new ConnectionLimits(policy.maxPerClient, policy.maxTotal);
    release = limits.acquire(clientKey(client));
  } catch (e) {
    if (!(e instanceof BridgeRefusal)) throw e;
    console.warn('bridge refused', JSON.stringify({ client, path, code: e.code, reason: e.message }));
    return text(refusalStatus(e.code), e.message);
  }

  // Path, port and target refusals are sent as a close reason, which a browser can read.
  let target: BridgeTarget | undefined;
  let refusal: BridgeRefusal | undefined;
  try {
    target = parseBridgePath(path);
    checkTarget(target, policy);
  } catch (e) {
    if (!(e instanceof BridgeRefusal)) throw e;
    refusal = e;
  }

  const pair = new WebSocketPair();
  const ws = pair[1];
  ws.accept();
  if (refusal || !target) {
    const r = refusal ?? new BridgeRefusal('bad_path', 'bad path');
    console.warn('bridge refused', JSON.stringify({ client, path, code: r.code, reason: r.message }));
    ws.close(refusalCloseCode(r.code), closeReason(`${r.code}: ${r.message}`));
    release();
  } else {
    new EdgeBridge(ws, target, policy, client, release).start();
  }
  return new Response(null, { status: 101, webSocket: pair[0] });
}

class EdgeBridge {
  #socket: Socket | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #pending: Uint8Array[] = [];
  #queued = 0;
  #done = false;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #up = 0;
  #down = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly target: BridgeTarget,
    private readonly policy: BridgePolicy,
    private readonly client: string,
    private readonly release: () => void,
  ) {}

  start(): void {
    // With the standard binary type (compatibility flag websocket_standard_binary_type) messages
    // would arrive as Blobs, which need an await each and could reorder; ask for ArrayBuffers.
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('message', (ev) => this.#fromClient(ev.data));
    this.ws.addEventListener('close', (ev) => this.#finish(ev.code, ev.reason || 'client closed', 'client'));
    this.ws.addEventListener('error', () => this.#finish(BridgeClose.internal, 'websocket error', 'bridge'));
    void this.#open();
  }

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
    console.log('bridge open', JSON.stringify({ client: this.client, target: `${host}:${port}` }));
    this.#writer = socket.writable.getWriter();
    this.#touch();
    for (const b of this.#pending) this.#write(b);
    this.#pending = [];
    void this.#pumpToClient(socket);
  }

  async #pumpToClient(socket: Socket): Promise<void> {
    const reader = socket.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#done) break;
        const chunk = value as Uint8Array;
        this.#down += chunk.byteLength;
        this.#touch();
        this.ws.send(chunk);
      }
      this.#finish(BridgeClose.normal, 'target closed the connection', 'target');
    } catch (e) {
      this.#finish(BridgeClose.badGateway, `target error: ${e instanceof Error ? e.message : String(e)}`, 'target');
    }
  }

  #fromClient(data: unknown): void {
    if (this.#done) return;
    if (typeof data === 'string') {
      this.#finish(BridgeClose.unsupportedData, 'binary frames only', 'bridge');
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

  /** Queues bytes to the target; #queued (already counted) drops when TCP takes them. */
  #write(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    this.#up += n;
    this.#touch();
    this.#writer!.write(bytes).then(
      () => {
        this.#queued -= n;
      },
      (e: unknown) => this.#finish(BridgeClose.badGateway, `target error: ${e instanceof Error ? e.message : String(e)}`, 'target'),
    );
  }

  #touch(): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#finish(BridgeClose.idle, 'idle timeout', 'bridge'), this.policy.idleTimeoutMs);
  }

  #finish(code: number, reason: string, by: 'client' | 'target' | 'bridge'): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    const socket = this.#socket;
    const writer = this.#writer;
    if (socket) {
      if (by === 'client' && writer) {
        // The client closed: let queued bytes reach the target, then close the socket.
        writer.close().catch(() => {}).finally(() => void socket.close().catch(() => {}));
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
    console.log('bridge closed', JSON.stringify({ client: this.client, target: `${this.target.host}:${this.target.port}`, by, code, reason, bytesToTarget: this.#up, bytesToClient: this.#down }));
    this.release();
  }
}

export default {
  fetch: (request: Request, env: BridgeEnv) => handleBridgeRequest(request, env),
} satisfies ExportedHandler<BridgeEnv>;
