// BOLT 8: full handshakes per second, and transport encrypt+decrypt throughput beside the raw
// ChaCha20-Poly1305 of the same library (src/core/crypto/primitives.ts's engine) in the same run.
import type { Reporter } from './harness.ts';
import { NoiseInitiator, NoiseResponder, NoiseTransport, type Ecdh } from '../src/core/noise/index.ts';
import { ecdh, getPublicKey, rawChacha20Poly1305 } from '../src/core/crypto/primitives.ts';

export const title = 'BOLT 8 (Noise_XK): handshake and transport';

const SIZES = [2, 64, 65535];

function key(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

/** One complete handshake in-process: Act One, Two and Three, both sides, every ECDH real. */
async function handshake(iPriv: Uint8Array, iPub: Uint8Array, rPriv: Uint8Array, rPub: Uint8Array): Promise<void> {
  const iEcdh: Ecdh = pub => ecdh(iPriv, pub);
  const rEcdh: Ecdh = pub => ecdh(rPriv, pub);
  const i = new NoiseInitiator({ localStatic: iPub, ecdh: iEcdh, ephemeralSecret: key(0x12), remoteStatic: rPub });
  const r = new NoiseResponder({ localStatic: rPub, ecdh: rEcdh, ephemeralSecret: key(0x22) });
  const act2 = await r.act1(i.act1());
  const { act3 } = await i.act2(act2);
  r.act3(act3);
}

/** The nonce of BOLT 8 (4 zero bytes, then little-endian n), rewritten in place like the transport's. */
class RawNonce {
  readonly bytes = new Uint8Array(12);
  private n = 0;
  next(): Uint8Array {
    this.n = (this.n + 1) % 1000;
    this.bytes[4] = this.n & 0xff;
    this.bytes[5] = this.n >>> 8;
    return this.bytes;
  }
}

export async function run(report: Reporter): Promise<void> {
  const iPriv = key(0x11);
  const rPriv = key(0x21);
  const iPub = getPublicKey(iPriv);
  const rPub = getPublicKey(rPriv);
  await report.measure(
    'handshake',
    'handshake, initiator + responder in-process (5 ECDH, 2 keygen)',
    () => handshake(iPriv, iPub, rPriv, rPub),
    { unit: 'handshake' },
  );

  const k = key(0x33);
  for (const size of SIZES) {
    const msg = new Uint8Array(size).fill(0x5a);
    const len = new Uint8Array([size >>> 8, size & 0xff]);

    // Raw, as BOLT 8 needs it: seal the 2-byte length and the body, then open both.
    const sn = new RawNonce();
    const rn = new RawNonce();
    const raw2 = (): Uint8Array => {
      const lc = rawChacha20Poly1305(k, sn.next()).encrypt(len);
      const c = rawChacha20Poly1305(k, sn.next()).encrypt(msg);
      rawChacha20Poly1305(k, rn.next()).decrypt(lc);
      return rawChacha20Poly1305(k, rn.next()).decrypt(c);
    };
    // Raw, one AEAD each way: the least any framing could cost.
    const n1 = new RawNonce();
    const n2 = new RawNonce();
    const raw1 = (): Uint8Array => rawChacha20Poly1305(k, n2.next()).decrypt(rawChacha20Poly1305(k, n1.next()).encrypt(msg));
    // Ours: NoiseTransport.encrypt on one side, push (the streaming decoder) on the other, with
    // key rotation every 1000 nonces as in real use.
    const tx = new NoiseTransport({ sk: k, rk: key(0x44), ck: key(0x55) });
    const rx = new NoiseTransport({ sk: key(0x44), rk: k, ck: key(0x55) });
    const ours = (): void => {
      const out = rx.push(tx.encrypt(msg));
      if (out.length !== 1 || out[0]!.length !== size) throw new Error('transport round trip failed');
    };
    const opts = { unit: 'msg', bytesPerOp: size };
    await report.measureGroup([
      { id: `raw2-${size}`, label: `${size} B: raw ChaCha20-Poly1305, length + body (2 seal + 2 open)`, fn: raw2, opts },
      { id: `raw1-${size}`, label: `${size} B: raw ChaCha20-Poly1305, body only (1 seal + 1 open)`, fn: raw1, opts },
      {
        id: `transport-${size}`,
        label: `${size} B: NoiseTransport encrypt + push`,
        fn: ours,
        opts: { ...opts, baselines: [`raw2-${size}`, `raw1-${size}`] },
      },
    ]);
  }
  report.note(
    'ratio = time per message of ours / raw, measured interleaved (1.00x = no overhead): first vs raw "length + body" (the same AEAD work BOLT 8 requires), then vs raw "body only".',
  );
  report.note(
    'BOLT 8 encrypts the length prefix as an AEAD of its own, so "body only" is a floor that no BOLT 8 framing can reach for small messages.',
  );
}
