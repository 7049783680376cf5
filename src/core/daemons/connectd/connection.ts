// One peer connection over one ByteStream: the BOLT 8 handshake (either role, ECDH through hsmd's
// link), the BOLT 1 `init` exchange, then decrypted messages handed to connectd in order. Anything
// the peer does wrong ends this connection only, with a reason; nothing escapes to the caller.
import { concat, equal, toHex } from '../../base/bytes.ts';
import { isValidSecretKey } from '../../crypto/primitives.ts';
import type { TransportAead } from '../../crypto/aead.ts';
import { BoltError, isBoltError, NoiseError, ProtocolError } from '../../base/errors.ts';
import type { FeatureVector } from '../../features/index.ts';
import {
  ACT_ONE_SIZE,
  ACT_THREE_SIZE,
  ACT_TWO_SIZE,
  NoiseInitiator,
  NoiseResponder,
  NoiseTransport,
  type Ecdh,
} from '../../noise/index.ts';
import type { ByteStream, NetAddress } from '../../net/transport.ts';
import { decodeMessage, encodeMessage, type MessageOf } from '../../wire/messages.ts';
import { ConnectError } from './errors.ts';
import { buildInit, readPeerInit } from './init.ts';
import { messageTypeOf } from './routing.ts';
import type { Clock, ConnectdConfig, Direction, Log } from './types.ts';

export interface ConnectionDeps {
  nodeId: Uint8Array;
  ecdh: Ecdh;
  randomBytes(n: number): Uint8Array;
  clock: Clock;
  log: Log;
  config: ConnectdConfig;
  ourFeatures: FeatureVector;
  chainHash: Uint8Array;
  /** BOLT 8's ChaCha20-Poly1305 engine (ConnectdOptions.aead); @noble/ciphers when not given. */
  aead?: TransportAead;
}

export interface ConnectionHooks {
  /** The peer's `init` arrived and passed (BOLT 1); from now on messages flow. */
  ready(conn: Connection): void;
  /** One decrypted message after `init`, type included. Throwing closes the connection with a warning. */
  message(conn: Connection, msg: Uint8Array): void;
  /** The connection ended (called once, whatever ended it). */
  closed(conn: Connection, reason: string): void;
  /** Every whole message of the chunk just read has been handed to `message`. */
  drained?(conn: Connection): void;
}

export type ConnectionState = 'handshake' | 'init' | 'active' | 'closed';

/** Why a connection ended before `init` completed: what `whenReady()` rejects with. */
export class ConnectionClosed extends BoltError {}

const EMPTY = new Uint8Array(0);
/** BOLT 1 `warning` data is for people: keep ours short. */
const MAX_WARNING_TEXT = 1000;

export class Connection {
  state: ConnectionState = 'handshake';
  /** The peer's node id (known from the start when we dial; from Act Three when they do). */
  remoteId: Uint8Array | undefined;
  id: string | undefined;
  features: FeatureVector | undefined;
  remoteAddr: NetAddress | undefined;
  closeReason: string | undefined;

  private initiator: NoiseInitiator | undefined;
  private responder: NoiseResponder | undefined;
  private transport: NoiseTransport | undefined;
  /** What the handshake waits for now, for timeouts and failures. */
  private step = 'act one';
  private need = 0;
  private hsBuf: Uint8Array = EMPTY;
  private inbox: Uint8Array[] = [];
  private busy = false;
  private timer: unknown;
  /** When the phase the timer bounds (the handshake, then the wait for `init`) began. */
  private phaseStart = 0;
  private readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;

  constructor(
    private readonly d: ConnectionDeps,
    private readonly hooks: ConnectionHooks,
    private readonly stream: ByteStream,
    readonly direction: Direction,
    readonly address: NetAddress | undefined,
    remoteId?: Uint8Array,
  ) {
    if (remoteId) {
      this.remoteId = remoteId.slice();
      this.id = toHex(remoteId);
    }
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // an inbound connection's failure is reported through hooks.closed
  }

  /** Resolves when `init` is done; rejects with ConnectionClosed (carrying the reason) otherwise. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  get label(): string {
    return this.id ? this.id.slice(0, 16) : this.address ? `${this.address.address}:${this.address.port}` : 'incoming peer';
  }

  /** Starts the handshake: installs the stream's handlers and, as initiator, sends Act One. */
  start(): void {
    this.phaseStart = this.d.clock.now();
    // An incoming connection has a shorter deadline for Act One (actOneTimeoutMs), then the rest of
    // handshakeTimeoutMs for Act Three.
    const first =
      this.direction === 'in'
        ? Math.min(this.d.config.actOneTimeoutMs, this.d.config.handshakeTimeoutMs)
        : this.d.config.handshakeTimeoutMs;
    this.armTimer(first);
    try {
      const ephemeralSecret = this.ephemeral();
      if (this.direction === 'out') {
        this.initiator = new NoiseInitiator({
          localStatic: this.d.nodeId,
          ecdh: this.d.ecdh,
          ephemeralSecret,
          remoteStatic: this.remoteId!,
          ...(this.d.aead ? { aead: this.d.aead } : {}),
        });
        this.step = 'act two';
        this.need = ACT_TWO_SIZE;
      } else {
        this.responder = new NoiseResponder({
          localStatic: this.d.nodeId,
          ecdh: this.d.ecdh,
          ephemeralSecret,
          ...(this.d.aead ? { aead: this.d.aead } : {}),
        });
        this.step = 'act one';
        this.need = ACT_ONE_SIZE;
      }
    } catch (e) {
      this.fail(e);
      return;
    }
    try {
      this.stream.start({ data: chunk => this.onData(chunk), close: reason => this.onStreamClosed(reason) });
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.initiator && this.state === 'handshake') void this.writeRaw(this.initiator.act1());
  }

  /** Sends one plaintext message (after `init`). Rejects if the connection is closed or the write fails. */
  async send(msg: Uint8Array): Promise<void> {
    if (this.state !== 'active' || !this.transport) throw new ConnectError('not_connected', `${this.label} is not connected`);
    const frame = this.transport.encrypt(msg);
    if (!(await this.writeRaw(frame))) throw new ConnectError('not_connected', `${this.label}: ${this.closeReason ?? 'write failed'}`);
  }

  /**
   * Ends the connection with `reason`. With `farewell` (a plaintext `warning` or `error`), sends it
   * first when the transport is up, and closes the stream once it is written (or after
   * `closeGraceMs`). hooks.closed runs now, before this returns.
   */
  close(reason: string, code = 'closed', farewell?: Uint8Array): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.inbox = [];
    this.hsBuf = EMPTY;
    this.rejectReady(new ConnectionClosed(code, reason));
    let frame: Uint8Array | undefined;
    if (farewell && this.transport) {
      try {
        frame = this.transport.encrypt(farewell);
      } catch {
        frame = undefined;
      }
    }
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      try {
        this.stream.close(reason);
      } catch {
        // The transport is already gone.
      }
    };
    if (frame) {
      const grace = this.d.clock.setTimeout(end, this.d.config.closeGraceMs);
      void this.writeRaw(frame, true).then(() => {
        this.d.clock.clearTimeout(grace);
        end();
      });
    } else {
      end();
    }
    this.hooks.closed(this, reason);
  }

  /** Stops reading the peer (backpressure: the transport's buffers, then the peer, wait). */
  pause(): void {
    if (this.state !== 'closed') this.stream.pause?.();
  }

  resume(): void {
    if (this.state !== 'closed') this.stream.resume?.();
  }

  /** A `warning` with an all-zero channel_id ("not related to a specific channel", BOLT 1). */
  static warning(text: string, channelId: Uint8Array = new Uint8Array(32)): Uint8Array {
    return encodeMessage({ name: 'warning', channel_id: channelId, data: asciiBytes(text) });
  }

  static error(text: string, channelId: Uint8Array = new Uint8Array(32)): Uint8Array {
    return encodeMessage({ name: 'error', channel_id: channelId, data: asciiBytes(text) });
  }

  // ---- input ----

  private onData(chunk: Uint8Array): void {
    try {
      if (this.state === 'closed') return;
      if (!(chunk instanceof Uint8Array)) throw new ProtocolError('bad_chunk', 'the transport delivered something other than bytes');
      if (this.transport && !this.busy) {
        this.receive(chunk);
        return;
      }
      // During the handshake chunks wait for ECDH answers: keep our own copy.
      this.inbox.push(this.transport ? chunk : chunk.slice());
      if (!this.busy) void this.pump();
    } catch (e) {
      this.fail(e);
    }
  }

  private onStreamClosed(reason: string): void {
    if (this.state === 'closed') return;
    const where = this.state === 'handshake' ? ` during the handshake (${this.step})` : this.state === 'init' ? ' before init' : '';
    this.close(`peer closed the connection${where}: ${reason}`, 'stream_closed');
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (this.inbox.length > 0 && this.state !== 'closed') {
        const chunk = this.inbox.shift()!;
        if (this.transport) this.receive(chunk);
        else await this.handshakeData(chunk);
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.busy = false;
    }
  }

  /** BOLT 8 handshake bytes: each act has an exact size (50, 50, 66). */
  private async handshakeData(chunk: Uint8Array): Promise<void> {
    this.hsBuf = this.hsBuf.length ? concat(this.hsBuf, chunk) : chunk;
    while (!this.transport && this.state === 'handshake' && this.hsBuf.length >= this.need) {
      const act = this.hsBuf.subarray(0, this.need);
      this.hsBuf = this.hsBuf.subarray(this.need);
      await this.handshakeStep(act);
    }
    if (this.transport && this.state !== 'closed' && this.hsBuf.length > 0) {
      // Bytes after the last act are the start of the encrypted stream (the peer's `init`).
      const rest = this.hsBuf;
      this.hsBuf = EMPTY;
      this.receive(rest);
    }
  }

  private async handshakeStep(act: Uint8Array): Promise<void> {
    if (this.initiator) {
      // Act Two in, Act Three out, and our `init` right behind it.
      const { act3, transport } = await this.initiator.act2(act);
      if (this.state === 'closed') return;
      this.established(transport, act3);
    } else if (this.step === 'act one') {
      const act2 = await this.responder!.act1(act);
      if (this.state === 'closed') return;
      this.step = 'act three';
      this.need = ACT_THREE_SIZE;
      this.armTimer(this.phaseStart + this.d.config.handshakeTimeoutMs - this.d.clock.now());
      void this.writeRaw(act2);
    } else {
      const { remoteStatic, transport } = this.responder!.act3(act);
      this.remoteId = remoteStatic;
      this.id = toHex(remoteStatic);
      if (equal(remoteStatic, this.d.nodeId)) throw new ProtocolError('connected_to_self', 'the peer has our own node id');
      this.established(transport, EMPTY);
    }
  }

  /** BOLT 1: "MUST send `init` as the first Lightning message for any connection." */
  private established(transport: NoiseTransport, before: Uint8Array): void {
    this.transport = transport;
    this.initiator = undefined;
    this.responder = undefined;
    this.state = 'init';
    this.step = 'init';
    // Each phase has its own deadline: the handshake's ends here, the wait for `init` starts.
    this.phaseStart = this.d.clock.now();
    this.armTimer(this.d.config.initTimeoutMs);
    const init = buildInit(this.d.ourFeatures, this.d.chainHash, this.direction === 'in' ? this.address : undefined);
    void this.writeRaw(concat(before, transport.encrypt(init)));
  }

  private receive(chunk: Uint8Array): void {
    try {
      const t = this.transport!;
      t.feed(chunk);
      for (;;) {
        if (this.state === 'closed') return;
        const msg = t.next();
        if (msg === undefined) break;
        if (this.state === 'init') this.onInit(msg);
        else this.hooks.message(this, msg);
      }
      if (this.state === 'active') this.hooks.drained?.(this);
    } catch (e) {
      this.fail(e);
    }
  }

  /** BOLT 1: the receiving node "MUST wait to receive `init` before sending any other messages". */
  private onInit(msg: Uint8Array): void {
    const type = messageTypeOf(msg);
    if (type !== 16) throw new ProtocolError('init_expected', `the first message must be init, got type ${type}`);
    const init = decodeMessage(msg) as MessageOf<'init'>;
    const peer = readPeerInit(init, this.d.ourFeatures, this.d.chainHash);
    this.features = peer.features;
    this.remoteAddr = peer.remoteAddr;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.state = 'active';
    this.resolveReady();
    this.hooks.ready(this);
  }

  // ---- failures ----

  private armTimer(ms: number): void {
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = this.d.clock.setTimeout(() => this.timedOut(), Math.max(0, ms));
  }

  private timedOut(): void {
    this.timer = undefined;
    if (this.state === 'closed' || this.state === 'active') return;
    const what = this.state === 'init' ? 'no init from the peer' : `handshake stalled waiting for ${this.step}`;
    this.close(`timeout: ${what} after ${this.d.clock.now() - this.phaseStart} ms`, 'timeout');
  }

  /**
   * Ends the connection because of `e`. During the handshake nothing more is sent (BOLT 8: the
   * connection is terminated); a broken MAC means the stream is unusable; otherwise the peer is told
   * why in a `warning` first.
   */
  private fail(e: unknown): void {
    if (this.state === 'closed') return;
    const code = isBoltError(e) ? e.code : 'internal_error';
    const text = e instanceof Error ? e.message : String(e);
    if (!isBoltError(e)) this.d.log.warn(`${this.label}: internal error, closing: ${e instanceof Error ? (e.stack ?? text) : text}`);
    if (this.state === 'handshake') {
      this.close(`handshake failed (${this.step}): ${text}`, code);
    } else if (e instanceof NoiseError) {
      this.close(`transport failed: ${text}`, code);
    } else {
      this.close(text, code, Connection.warning(text));
    }
  }

  private ephemeral(): Uint8Array {
    for (let i = 0; i < 16; i++) {
      const k = this.d.randomBytes(32);
      if (k instanceof Uint8Array && k.length === 32 && isValidSecretKey(k)) return k;
    }
    throw new NoiseError('bad_secret', 'the random source gives no valid ephemeral keys');
  }

  /** Writes bytes; resolves false (and closes the connection) if the transport refuses them. */
  private async writeRaw(bytes: Uint8Array, closing = false): Promise<boolean> {
    try {
      await this.stream.write(bytes);
      return true;
    } catch (e) {
      if (!closing) this.close(`write failed: ${e instanceof Error ? e.message : String(e)}`, 'write_failed');
      return false;
    }
  }
}

/** Printable ASCII, truncated: what we put in our own warnings and errors. */
function asciiBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    if (out.length >= MAX_WARNING_TEXT) break;
    const c = ch.codePointAt(0)!;
    out.push(c >= 32 && c <= 126 ? c : 0x3f);
  }
  return new Uint8Array(out);
}
