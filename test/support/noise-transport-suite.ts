// BOLT 8's transport vectors ("Appendix A: Transport Test Vectors", message encryption tests) and
// the framing rules, run for one ChaCha20-Poly1305 engine (src/core/crypto/aead.ts): every engine a
// runtime may inject must give the same frames. `sender`/`receiver` may differ, so frames sealed by
// one engine are opened by another. test/core/noise.test.ts runs it for the pure engines,
// test/node/aead.test.ts for Node's.
import { NoiseTransport, MAX_MESSAGE_SIZE } from '../../src/core/noise/index.ts';
import type { TransportAead } from '../../src/core/crypto/aead.ts';
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { EncodeError, NoiseError } from '../../src/core/base/errors.ts';
import { deepEqual, equal, ok, throws } from './assert.ts';

const h = fromHex;

// Appendix A: the keys both sides derive, and "Message Encryption Tests".
export const CK = '919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01';
export const SK = '969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9';
export const RK = 'bb9020b8965f4df047e07f955f3c4b88418984aadc5cdb35096b9ea8fa5c3442';
export const MESSAGE_OUTPUTS: Record<number, string> = {
  0: 'cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95',
  1: '72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1',
  500: '178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8',
  501: '1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd',
  1000: '4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09',
  1001: '2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36',
};
export const HELLO = new TextEncoder().encode('hello');

export function transportSuite(label: string, sender?: TransportAead, receiver: TransportAead | undefined = sender): void {
  /** The vector's transport from the initiator's side (sealing with `sender`) or the responder's (`receiver`). */
  const vt = (side: 'initiator' | 'responder'): NoiseTransport =>
    side === 'initiator'
      ? new NoiseTransport({ sk: h(SK), rk: h(RK), ck: h(CK) }, sender)
      : new NoiseTransport({ sk: h(RK), rk: h(SK), ck: h(CK) }, receiver);

  describe(`BOLT 8 appendix A: message encryption tests (${label})`, () => {
    it('transport-message test: outputs 0, 1, 500, 501, 1000, 1001 through two key rotations', () => {
      const t = vt('initiator');
      const seen: Record<number, string> = {};
      for (let i = 0; i <= 1001; i++) {
        const frame = t.encrypt(HELLO);
        equal(frame.length, 18 + 5 + 16);
        if (MESSAGE_OUTPUTS[i] !== undefined) seen[i] = toHex(frame);
      }
      deepEqual(seen, MESSAGE_OUTPUTS);
    });

    it('the receiver decrypts all 1002 frames, one byte at a time, across both rotations', () => {
      const tx = vt('initiator');
      const rx = vt('responder');
      let got = 0;
      for (let i = 0; i <= 1001; i++) {
        const frame = tx.encrypt(HELLO);
        for (let j = 0; j < frame.length; j++) {
          const out = rx.push(frame.subarray(j, j + 1));
          if (j < frame.length - 1) equal(out.length, 0, 'no message before its last byte');
          else {
            deepEqual(out, [HELLO]);
            got++;
          }
        }
        equal(rx.buffered, 0);
      }
      equal(got, 1002);
    });

    it('the receiver decrypts the vector frames all in one chunk', () => {
      const tx = vt('initiator');
      const frames: Uint8Array[] = [];
      for (let i = 0; i <= 1001; i++) frames.push(tx.encrypt(HELLO));
      const out = vt('responder').push(concat(...frames));
      equal(out.length, 1002);
      ok(out.every(m => toHex(m) === toHex(HELLO)));
    });

    it('each direction rotates on its own chaining key', () => {
      const a = vt('initiator');
      for (let i = 0; i < 1500; i++) a.encrypt(HELLO); // a's sending key rotated once
      // a's receiving side and the responder's sending side are untouched: frame 0 under rk.
      const b = vt('responder');
      const fresh = vt('responder');
      const f = b.encrypt(HELLO);
      equal(toHex(f), toHex(fresh.encrypt(HELLO)));
      deepEqual(a.push(f), [HELLO]);
    });
  });

  describe(`BOLT 8 transport framing (${label})`, () => {
    it('round-trips 0, 1, 2, 64, 1000 and 65,535-byte messages in mixed chunks', () => {
      const tx = vt('initiator');
      const rx = vt('responder');
      const sizes = [0, 1, 2, 64, 1000, MAX_MESSAGE_SIZE, 0, 3];
      const msgs = sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + k) & 0xff));
      const stream = concat(...msgs.map(m => tx.encrypt(m)));
      equal(
        stream.length,
        sizes.reduce((s, n) => s + n + 34, 0),
      );
      const out: Uint8Array[] = [];
      const cuts = [1, 17, 18, 19, 40, 1000, 7, 70000, 3];
      let pos = 0;
      for (let k = 0; pos < stream.length; k++) {
        const n = cuts[k % cuts.length]!;
        out.push(...rx.push(stream.subarray(pos, pos + n)));
        pos += n;
      }
      deepEqual(out, msgs);
      equal(rx.buffered, 0);
    });

    it('a message over 65,535 bytes is an EncodeError(message_too_long)', () => {
      const t = vt('initiator');
      throws(() => t.encrypt(new Uint8Array(MAX_MESSAGE_SIZE + 1)), EncodeError, 'message_too_long');
      // nothing was consumed: the next frame is still output 0
      equal(toHex(t.encrypt(HELLO)), MESSAGE_OUTPUTS[0]);
    });

    it('the length prefix is encrypted big-endian: 65,535 gives a 65,569-byte frame', () => {
      const frame = vt('initiator').encrypt(new Uint8Array(MAX_MESSAGE_SIZE));
      equal(frame.length, 65569);
    });

    it('a flipped bit is NoiseError(bad_mac), and the receiver stays failed', () => {
      const tx = vt('initiator');
      const rx = vt('responder');
      const frame = tx.encrypt(HELLO);
      frame[20]! ^= 0x01; // in the body
      throws(() => rx.push(frame), NoiseError, 'bad_mac');
      throws(() => rx.push(tx.encrypt(HELLO)), NoiseError, 'bad_mac');
      const rx2 = vt('responder');
      const f2 = vt('initiator').encrypt(HELLO);
      f2[3]! ^= 0x80; // in the length prefix
      throws(() => rx2.push(f2), NoiseError, 'bad_mac');
    });

    it('feed/next give the messages before a bad frame, then the error', () => {
      const tx = vt('initiator');
      const good = [tx.encrypt(HELLO), tx.encrypt(new Uint8Array([1, 2]))];
      const bad = tx.encrypt(HELLO);
      bad[bad.length - 1]! ^= 1;
      const rx = vt('responder');
      rx.feed(concat(...good, bad));
      deepEqual(rx.next(), HELLO);
      deepEqual(rx.next(), new Uint8Array([1, 2]));
      throws(() => rx.next(), NoiseError, 'bad_mac');
      throws(() => rx.feed(HELLO), NoiseError, 'bad_mac');
    });

    it('a partial frame waits; the chunk it came in may be reused by the caller', () => {
      const tx = vt('initiator');
      const rx = vt('responder');
      const frame = tx.encrypt(HELLO);
      const buf = frame.slice(0, 30);
      deepEqual(rx.push(buf), []);
      equal(rx.buffered, 30);
      buf.fill(0); // the decoder copied what it kept
      deepEqual(rx.push(frame.subarray(30)), [HELLO]);
    });
  });
}
