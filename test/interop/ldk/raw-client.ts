// A bare BOLT 8 client for poking a peer with hand-built messages: our Noise initiator
// (src/core/noise) over node:net, then plaintext Lightning messages in and out, nothing else (no
// init logic, no automatic pong). Interop tests use it to check what LDK does with exact bytes.
import { connect as netConnect, type Socket } from 'node:net';
import { concat, fromHex, toHex, u16be } from '../../../src/core/base/bytes.ts';
import { ecdh, getPublicKey, randomSecretKey } from '../../../src/core/crypto/primitives.ts';
import { ACT_TWO_SIZE, NoiseInitiator, type NoiseTransport } from '../../../src/core/noise/index.ts';

export class RawClient {
  private readonly queue: Uint8Array[] = [];
  private readonly readers: ((m: Uint8Array | undefined) => void)[] = [];
  private ended = false;
  /** Resolves when the TCP connection is closed (by either side). */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly transport: NoiseTransport,
    readonly nodeId: string,
    closed: Promise<void>,
  ) {
    this.closed = closed;
    socket.on('data', (chunk: Buffer) => {
      let msgs: Uint8Array[];
      try {
        msgs = transport.push(new Uint8Array(chunk));
      } catch {
        socket.destroy();
        return;
      }
      for (const m of msgs) this.deliver(m);
    });
    void closed.then(() => {
      this.ended = true;
      for (const r of this.readers.splice(0)) r(undefined);
    });
  }

  /**
   * Dials 127.0.0.1:`port` (from `localAddress`, e.g. another 127.x.y.z, when given), runs the
   * handshake as initiator towards `remoteNodeId` (hex) and resolves once Act Three is sent.
   * Rejects if the connection closes before Act Two.
   */
  static async connect(remoteNodeId: string, port: number, secret = randomSecretKey(), localAddress?: string): Promise<RawClient> {
    const socket = netConnect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.setNoDelay(true);
    const closed = new Promise<void>(r => socket.once('close', () => r()));
    socket.on('error', () => {});
    const initiator = new NoiseInitiator({
      localStatic: getPublicKey(secret),
      ecdh: pub => ecdh(secret, pub),
      ephemeralSecret: randomSecretKey(),
      remoteStatic: fromHex(remoteNodeId),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      void closed.then(() => reject(new Error('connection closed before it opened')));
    });
    socket.write(initiator.act1());
    // Act Two is exactly 50 bytes; anything after it is already transport data.
    const { act2, rest } = await new Promise<{ act2: Uint8Array; rest: Uint8Array }>((resolve, reject) => {
      let got: Uint8Array = new Uint8Array(0);
      const onData = (chunk: Buffer) => {
        got = concat(got, new Uint8Array(chunk));
        if (got.length >= ACT_TWO_SIZE) {
          socket.off('data', onData);
          socket.pause();
          resolve({ act2: got.subarray(0, ACT_TWO_SIZE), rest: got.subarray(ACT_TWO_SIZE) });
        }
      };
      socket.on('data', onData);
      void closed.then(() => reject(new Error('connection closed during the handshake')));
    });
    const { act3, transport } = await initiator.act2(act2);
    socket.write(act3);
    const client = new RawClient(socket, transport, toHex(getPublicKey(secret)), closed);
    for (const m of transport.push(rest)) client.deliver(m);
    socket.resume();
    return client;
  }

  /** Encrypts and sends one whole Lightning message (u16 type, then the payload). */
  send(msg: Uint8Array): void {
    if (!this.ended) this.socket.write(this.transport.encrypt(msg));
  }

  /** The next message received, or undefined once the connection is closed and nothing is queued. */
  next(): Promise<Uint8Array | undefined> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise(r => this.readers.push(r));
  }

  /** Skips messages until one of `type` arrives; undefined if the connection closes first. */
  async nextOfType(type: number, skipped: Uint8Array[] = []): Promise<Uint8Array | undefined> {
    for (;;) {
      const m = await this.next();
      if (!m) return undefined;
      if (messageType(m) === type) return m;
      skipped.push(m);
    }
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  private deliver(m: Uint8Array): void {
    const r = this.readers.shift();
    if (r) r(m);
    else this.queue.push(m);
  }
}

export function messageType(m: Uint8Array): number {
  return (m[0]! << 8) | m[1]!;
}

/** BOLT 1 init by hand: gflen 0, features (big-endian bytes), optional `networks` TLV (type 1). */
export function initMessage(features: Uint8Array, networks?: Uint8Array[]): Uint8Array {
  const parts = [u16be(16), u16be(0), u16be(features.length), features];
  if (networks) parts.push(Uint8Array.of(1, 32 * networks.length), ...networks);
  return concat(...parts);
}

/** BOLT 9 feature bits as big-endian bytes (bit 0 is the last byte's lowest bit). */
export function featureBytes(bits: number[]): Uint8Array {
  const len = bits.length ? Math.floor(Math.max(...bits) / 8) + 1 : 0;
  const out = new Uint8Array(len);
  for (const b of bits) out[len - 1 - (b >> 3)]! |= 1 << (b & 7);
  return out;
}

/** Set bits of big-endian feature bytes. */
export function featureBits(bytes: Uint8Array): number[] {
  const bits: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[bytes.length - 1 - (i >> 3)]! & (1 << (i & 7))) bits.push(i);
  return bits;
}

export interface ParsedInit {
  globalFeatures: Uint8Array;
  features: Uint8Array;
  /** TLV records by type (types and lengths below 253 only, enough for what LDK sends). */
  tlvs: Map<number, Uint8Array>;
}

/** Reads a BOLT 1 init (type 16) by hand. */
export function parseInit(m: Uint8Array): ParsedInit {
  if (messageType(m) !== 16) throw new Error(`not an init: type ${messageType(m)}`);
  let o = 2;
  const u16 = () => {
    const v = (m[o]! << 8) | m[o + 1]!;
    o += 2;
    return v;
  };
  const gflen = u16();
  const globalFeatures = m.slice(o, (o += gflen));
  const flen = u16();
  const features = m.slice(o, (o += flen));
  const tlvs = new Map<number, Uint8Array>();
  while (o < m.length) {
    const type = m[o++]!;
    const len = m[o++]!;
    if (type >= 253 || len >= 253 || o + len > m.length) throw new Error('init TLV beyond this parser');
    tlvs.set(type, m.slice(o, (o += len)));
  }
  return { globalFeatures, features, tlvs };
}
