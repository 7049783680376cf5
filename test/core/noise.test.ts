// BOLT 8 (Noise_XK) handshake and transport against every vector of BOLT 8's "Appendix A: Transport
// Test Vectors", plus the state machine's own rules (order of calls, lengths, injected ECDH).
import { NoiseInitiator, NoiseResponder, NoiseTransport, MAX_MESSAGE_SIZE, type Ecdh } from '../../src/core/noise/index.ts';
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { ecdh, getPublicKey } from '../../src/core/crypto/primitives.ts';
import { EncodeError, NoiseError } from '../../src/core/base/errors.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';

const h = fromHex;

// Appendix A, "Initiator Tests".
const I = {
  rsPub: '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7',
  lsPriv: '1111111111111111111111111111111111111111111111111111111111111111',
  lsPub: '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa',
  ePriv: '1212121212121212121212121212121212121212121212121212121212121212',
  act1: '00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a',
  act2: '0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae',
  act3: '00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba',
};
// Appendix A, "Responder Tests".
const R = {
  lsPriv: '2121212121212121212121212121212121212121212121212121212121212121',
  lsPub: '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7',
  ePriv: '2222222222222222222222222222222222222222222222222222222222222222',
};
// Appendix A: the keys both sides derive, and "Message Encryption Tests".
const CK = '919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01';
const SK = '969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9';
const RK = 'bb9020b8965f4df047e07f955f3c4b88418984aadc5cdb35096b9ea8fa5c3442';
const MESSAGE_OUTPUTS: Record<number, string> = {
  0: 'cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95',
  1: '72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1',
  500: '178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8',
  501: '1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd',
  1000: '4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09',
  1001: '2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36',
};
const HELLO = new TextEncoder().encode('hello');

const staticEcdh =
  (priv: string): Ecdh =>
  pub =>
    ecdh(h(priv), pub);

function initiator(ecdhFn: Ecdh = staticEcdh(I.lsPriv)): NoiseInitiator {
  return new NoiseInitiator({ localStatic: h(I.lsPub), ecdh: ecdhFn, ephemeralSecret: h(I.ePriv), remoteStatic: h(I.rsPub) });
}

function responder(ecdhFn: Ecdh = staticEcdh(R.lsPriv)): NoiseResponder {
  return new NoiseResponder({ localStatic: h(R.lsPub), ecdh: ecdhFn, ephemeralSecret: h(R.ePriv) });
}

/** A transport whose keys are the vector's sk/rk, from the initiator's side or the responder's. */
function vectorTransport(side: 'initiator' | 'responder'): NoiseTransport {
  return side === 'initiator'
    ? new NoiseTransport({ sk: h(SK), rk: h(RK), ck: h(CK) })
    : new NoiseTransport({ sk: h(RK), rk: h(SK), ck: h(CK) });
}

/** Proves a transport's keys are exactly the vector's: its first frame matches, and it reads the peer's. */
function checkTransportKeys(t: NoiseTransport, side: 'initiator' | 'responder'): void {
  const mirror = vectorTransport(side);
  equal(toHex(t.encrypt(HELLO)), toHex(mirror.encrypt(HELLO)), `${side} sk`);
  const peer = vectorTransport(side === 'initiator' ? 'responder' : 'initiator');
  deepEqual(t.push(peer.encrypt(HELLO)), [HELLO], `${side} rk`);
}

/** Act One of the vector, so the responder reaches Act Three. */
async function responderAtAct3(): Promise<NoiseResponder> {
  const r = responder();
  equal(toHex(await r.act1(h(I.act1))), I.act2);
  return r;
}

describe('BOLT 8 appendix A: initiator tests', () => {
  it('transport-initiator successful handshake', async () => {
    const i = initiator();
    equal(toHex(i.act1()), I.act1, 'act one output');
    const { act3, transport } = await i.act2(h(I.act2));
    equal(toHex(act3), I.act3, 'act three output');
    // output: sk,rk = 0x969a...,0xbb90... (message test output 0 is "hello" under that sk and ck)
    checkTransportKeys(transport, 'initiator');
  });

  it('transport-initiator act2 short read test', async () => {
    const i = initiator();
    equal(toHex(i.act1()), I.act1);
    await rejects(
      i.act2(h('0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730')),
      NoiseError,
      'bad_length',
    );
  });

  it('transport-initiator act2 bad version test', async () => {
    const i = initiator();
    equal(toHex(i.act1()), I.act1);
    await rejects(
      i.act2(h('0102466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae')),
      NoiseError,
      'bad_version',
    );
  });

  it('transport-initiator act2 bad key serialization test', async () => {
    const i = initiator();
    equal(toHex(i.act1()), I.act1);
    await rejects(
      i.act2(h('0004466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae')),
      NoiseError,
      'bad_pubkey',
    );
  });

  it('transport-initiator act2 bad MAC test', async () => {
    const i = initiator();
    equal(toHex(i.act1()), I.act1);
    await rejects(
      i.act2(h('0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730af')),
      NoiseError,
      'bad_mac',
    );
  });
});

describe('BOLT 8 appendix A: responder tests', () => {
  it('transport-responder successful handshake', async () => {
    const r = await responderAtAct3();
    const { remoteStatic, transport } = r.act3(h(I.act3));
    equal(toHex(remoteStatic), I.lsPub, 'rs');
    // output: rk,sk = 0x969a...,0xbb90...
    checkTransportKeys(transport, 'responder');
  });

  it('transport-responder act1 short read test', async () => {
    await rejects(
      responder().act1(h('00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c')),
      NoiseError,
      'bad_length',
    );
  });

  it('transport-responder act1 bad version test', async () => {
    await rejects(
      responder().act1(h('01036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a')),
      NoiseError,
      'bad_version',
    );
  });

  it('transport-responder act1 bad key serialization test', async () => {
    await rejects(
      responder().act1(h('00046360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a')),
      NoiseError,
      'bad_pubkey',
    );
  });

  it('transport-responder act1 bad MAC test', async () => {
    await rejects(
      responder().act1(h('00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6b')),
      NoiseError,
      'bad_mac',
    );
  });

  it('transport-responder act3 bad version test', async () => {
    const r = await responderAtAct3();
    throws(
      () =>
        r.act3(
          h(
            '01b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba',
          ),
        ),
      NoiseError,
      'bad_version',
    );
  });

  it('transport-responder act3 short read test', async () => {
    const r = await responderAtAct3();
    throws(
      () =>
        r.act3(
          h(
            '00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139',
          ),
        ),
      NoiseError,
      'bad_length',
    );
  });

  it('transport-responder act3 bad MAC for ciphertext test', async () => {
    const r = await responderAtAct3();
    throws(
      () =>
        r.act3(
          h(
            '00c9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba',
          ),
        ),
      NoiseError,
      'bad_mac',
    );
  });

  it('transport-responder act3 bad rs test', async () => {
    const r = await responderAtAct3();
    throws(
      () =>
        r.act3(
          h(
            '00bfe3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa2235536ad09a8ee351870c2bb7f78b754a26c6cef79a98d25139c856d7efd252c2ae73c',
          ),
        ),
      NoiseError,
      'bad_pubkey',
    );
  });

  it('transport-responder act3 bad MAC test', async () => {
    const r = await responderAtAct3();
    throws(
      () =>
        r.act3(
          h(
            '00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139bb',
          ),
        ),
      NoiseError,
      'bad_mac',
    );
  });
});

describe('BOLT 8 appendix A: message encryption tests', () => {
  it('transport-message test: outputs 0, 1, 500, 501, 1000, 1001 through two key rotations', () => {
    const t = vectorTransport('initiator');
    const seen: Record<number, string> = {};
    for (let i = 0; i <= 1001; i++) {
      const frame = t.encrypt(HELLO);
      equal(frame.length, 18 + 5 + 16);
      if (MESSAGE_OUTPUTS[i] !== undefined) seen[i] = toHex(frame);
    }
    deepEqual(seen, MESSAGE_OUTPUTS);
  });

  it('the receiver decrypts all 1002 frames, one byte at a time, across both rotations', () => {
    const tx = vectorTransport('initiator');
    const rx = vectorTransport('responder');
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
    const tx = vectorTransport('initiator');
    const frames: Uint8Array[] = [];
    for (let i = 0; i <= 1001; i++) frames.push(tx.encrypt(HELLO));
    const out = vectorTransport('responder').push(concat(...frames));
    equal(out.length, 1002);
    ok(out.every(m => toHex(m) === toHex(HELLO)));
  });

  it('each direction rotates on its own chaining key', () => {
    const a = vectorTransport('initiator');
    for (let i = 0; i < 1500; i++) a.encrypt(HELLO); // a's sending key rotated once
    // a's receiving side and the responder's sending side are untouched: frame 0 under rk.
    const b = vectorTransport('responder');
    const fresh = vectorTransport('responder');
    const f = b.encrypt(HELLO);
    equal(toHex(f), toHex(fresh.encrypt(HELLO)));
    deepEqual(a.push(f), [HELLO]);
  });
});

describe('BOLT 8 transport framing', () => {
  it('round-trips 0, 1, 2, 64, 1000 and 65,535-byte messages in mixed chunks', () => {
    const tx = vectorTransport('initiator');
    const rx = vectorTransport('responder');
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
    const t = vectorTransport('initiator');
    throws(() => t.encrypt(new Uint8Array(MAX_MESSAGE_SIZE + 1)), EncodeError, 'message_too_long');
    // nothing was consumed: the next frame is still output 0
    equal(toHex(t.encrypt(HELLO)), MESSAGE_OUTPUTS[0]);
  });

  it('the length prefix is encrypted big-endian: 65,535 gives a 65,569-byte frame', () => {
    const frame = vectorTransport('initiator').encrypt(new Uint8Array(MAX_MESSAGE_SIZE));
    equal(frame.length, 65569);
  });

  it('a flipped bit is NoiseError(bad_mac), and the receiver stays failed', () => {
    const tx = vectorTransport('initiator');
    const rx = vectorTransport('responder');
    const frame = tx.encrypt(HELLO);
    frame[20]! ^= 0x01; // in the body
    throws(() => rx.push(frame), NoiseError, 'bad_mac');
    throws(() => rx.push(tx.encrypt(HELLO)), NoiseError, 'bad_mac');
    const rx2 = vectorTransport('responder');
    const f2 = vectorTransport('initiator').encrypt(HELLO);
    f2[3]! ^= 0x80; // in the length prefix
    throws(() => rx2.push(f2), NoiseError, 'bad_mac');
  });

  it('feed/next give the messages before a bad frame, then the error', () => {
    const tx = vectorTransport('initiator');
    const good = [tx.encrypt(HELLO), tx.encrypt(new Uint8Array([1, 2]))];
    const bad = tx.encrypt(HELLO);
    bad[bad.length - 1]! ^= 1;
    const rx = vectorTransport('responder');
    rx.feed(concat(...good, bad));
    deepEqual(rx.next(), HELLO);
    deepEqual(rx.next(), new Uint8Array([1, 2]));
    throws(() => rx.next(), NoiseError, 'bad_mac');
    throws(() => rx.feed(HELLO), NoiseError, 'bad_mac');
  });

  it('a partial frame waits; the chunk it came in may be reused by the caller', () => {
    const tx = vectorTransport('initiator');
    const rx = vectorTransport('responder');
    const frame = tx.encrypt(HELLO);
    const buf = frame.slice(0, 30);
    deepEqual(rx.push(buf), []);
    equal(rx.buffered, 30);
    buf.fill(0); // the decoder copied what it kept
    deepEqual(rx.push(frame.subarray(30)), [HELLO]);
  });
});

describe('BOLT 8 handshake state machine', () => {
  it('a full handshake with random keys and an async ECDH (as hsmd answers over a port)', async () => {
    const iPriv = h('aa'.repeat(32));
    const rPriv = h('bb'.repeat(32));
    const asyncEcdh =
      (priv: Uint8Array): Ecdh =>
      async pub => {
        await Promise.resolve();
        return ecdh(priv, pub);
      };
    const i = new NoiseInitiator({
      localStatic: getPublicKey(iPriv),
      ecdh: asyncEcdh(iPriv),
      ephemeralSecret: h('cc'.repeat(32)),
      remoteStatic: getPublicKey(rPriv),
    });
    const r = new NoiseResponder({ localStatic: getPublicKey(rPriv), ecdh: asyncEcdh(rPriv), ephemeralSecret: h('dd'.repeat(32)) });
    const a1 = i.act1();
    equal(a1.length, 50);
    const a2 = await r.act1(a1);
    equal(a2.length, 50);
    const { act3, transport: ti } = await i.act2(a2);
    equal(act3.length, 66);
    const { remoteStatic, transport: tr } = r.act3(act3);
    equal(toHex(remoteStatic), toHex(getPublicKey(iPriv)));
    deepEqual(tr.push(ti.encrypt(HELLO)), [HELLO]);
    deepEqual(ti.push(tr.encrypt(new Uint8Array([9]))), [new Uint8Array([9])]);
  });

  it('calls out of order are NoiseError(bad_state)', async () => {
    await rejects(initiator().act2(h(I.act2)), NoiseError, 'bad_state');
    const i = initiator();
    i.act1();
    throws(() => i.act1(), NoiseError, 'bad_state');
    await i.act2(h(I.act2));
    await rejects(i.act2(h(I.act2)), NoiseError, 'bad_state');

    throws(() => responder().act3(h(I.act3)), NoiseError, 'bad_state');
    const r = await responderAtAct3();
    await rejects(r.act1(h(I.act1)), NoiseError, 'bad_state');
    r.act3(h(I.act3));
    throws(() => r.act3(h(I.act3)), NoiseError, 'bad_state');
  });

  it('a second call while the ECDH is pending is NoiseError(bad_state)', async () => {
    let release!: () => void;
    const gate = new Promise<void>(res => (release = res));
    const r = responder(async pub => {
      await gate;
      return ecdh(h(R.lsPriv), pub);
    });
    const first = r.act1(h(I.act1));
    await rejects(r.act1(h(I.act1)), NoiseError, 'bad_state');
    release();
    equal(toHex(await first), I.act2);
  });

  it('after a failure every later call is NoiseError(bad_state)', async () => {
    const r = responder();
    await rejects(r.act1(h(I.act1).subarray(1)), NoiseError, 'bad_length');
    await rejects(r.act1(h(I.act1)), NoiseError, 'bad_state');
    throws(() => r.act3(h(I.act3)), NoiseError, 'bad_state');

    const r3 = await responderAtAct3();
    const bad = h(I.act3);
    bad[65]! ^= 1;
    throws(() => r3.act3(bad), NoiseError, 'bad_mac');
    throws(() => r3.act3(h(I.act3)), NoiseError, 'bad_state');

    const i = initiator();
    i.act1();
    await rejects(i.act2(h(I.act2).subarray(0, 10)), NoiseError, 'bad_length');
    await rejects(i.act2(h(I.act2)), NoiseError, 'bad_state');
  });

  it('a too-long act is NoiseError(bad_length)', async () => {
    await rejects(responder().act1(concat(h(I.act1), new Uint8Array(1))), NoiseError, 'bad_length');
    const r = await responderAtAct3();
    throws(() => r.act3(concat(h(I.act3), new Uint8Array(1))), NoiseError, 'bad_length');
  });

  it('the injected ECDH: an Error or a wrong-sized answer is NoiseError(ecdh_failed), a NoiseError passes through', async () => {
    await rejects(
      responder(() => {
        throw new Error('port closed');
      }).act1(h(I.act1)),
      NoiseError,
      'ecdh_failed',
    );
    await rejects(responder(async () => new Uint8Array(31)).act1(h(I.act1)), NoiseError, 'ecdh_failed');
    await rejects(
      responder(() => {
        throw new NoiseError('bad_pubkey', 'x');
      }).act1(h(I.act1)),
      NoiseError,
      'bad_pubkey',
    );
    const i = initiator(() => Promise.reject(new Error('hsmd gone')));
    i.act1();
    await rejects(i.act2(h(I.act2)), NoiseError, 'ecdh_failed');
  });

  it('bad constructor keys are typed errors', () => {
    const ok33 = h(I.lsPub);
    const ecdhFn = staticEcdh(I.lsPriv);
    throws(
      () => new NoiseInitiator({ localStatic: ok33, ecdh: ecdhFn, ephemeralSecret: h(I.ePriv), remoteStatic: h('04' + I.rsPub.slice(2)) }),
      NoiseError,
      'bad_pubkey',
    );
    throws(
      () => new NoiseInitiator({ localStatic: ok33.subarray(1), ecdh: ecdhFn, ephemeralSecret: h(I.ePriv), remoteStatic: h(I.rsPub) }),
      NoiseError,
      'bad_pubkey',
    );
    throws(() => new NoiseResponder({ localStatic: ok33, ecdh: ecdhFn, ephemeralSecret: new Uint8Array(32) }), NoiseError, 'bad_secret');
    throws(
      () => new NoiseResponder({ localStatic: ok33, ecdh: ecdhFn, ephemeralSecret: new Uint8Array(31).fill(1) }),
      NoiseError,
      'bad_secret',
    );
  });
});
