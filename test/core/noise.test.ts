// BOLT 8 (Noise_XK) handshake and transport against every vector of BOLT 8's "Appendix A: Transport
// Test Vectors", plus the state machine's own rules (order of calls, lengths, injected ECDH).
import { NoiseInitiator, NoiseResponder, NoiseTransport, type Ecdh } from '../../src/core/noise/index.ts';
import { nobleAead, smallMessageAead, type TransportAead } from '../../src/core/crypto/aead.ts';
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { ecdh, getPublicKey } from '../../src/core/crypto/primitives.ts';
import { NoiseError } from '../../src/core/base/errors.ts';
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
import { CK, HELLO, RK, SK, transportSuite } from '../support/noise-transport-suite.ts';

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

// The transport vectors and framing for every pure engine, and across engines (sealed by one,
// opened by the other); src/node/aead.ts's engine in test/node/aead.test.ts.
transportSuite('@noble/ciphers, the default');
transportSuite('noble, given', nobleAead);
transportSuite('our ChaCha20Poly1305 below 1 KiB', smallMessageAead());
transportSuite('sealed by noble, opened by ours', nobleAead, smallMessageAead());
transportSuite('sealed by ours, opened by noble', smallMessageAead(), nobleAead);

describe('BOLT 8: the injected AEAD', () => {
  /** An engine that counts its calls and hands them to noble. */
  const counting = (): TransportAead & { calls: number } => {
    const e = {
      name: 'counting',
      calls: 0,
      seal(k: Uint8Array, n: Uint8Array, p: Uint8Array, o: Uint8Array) {
        e.calls++;
        nobleAead.seal(k, n, p, o);
      },
      open(k: Uint8Array, n: Uint8Array, c: Uint8Array, o: Uint8Array) {
        e.calls++;
        return nobleAead.open(k, n, c, o);
      },
    };
    return e;
  };

  it('both handshake roles hand their engine to the transport, and the vector keys still come out', async () => {
    const ie = counting();
    const re = counting();
    const i = new NoiseInitiator({
      localStatic: h(I.lsPub),
      ecdh: staticEcdh(I.lsPriv),
      ephemeralSecret: h(I.ePriv),
      remoteStatic: h(I.rsPub),
      aead: ie,
    });
    const r = new NoiseResponder({ localStatic: h(R.lsPub), ecdh: staticEcdh(R.lsPriv), ephemeralSecret: h(R.ePriv), aead: re });
    const act2 = await r.act1(i.act1());
    const { act3, transport: it } = await i.act2(act2);
    const { transport: rt } = r.act3(act3);
    equal(ie.calls + re.calls, 0, 'the handshake itself uses encryptWithAD with its hash as AD, not the engine');
    checkTransportKeys(it, 'initiator');
    equal(ie.calls, 2 + 2, 'one frame sealed (length, body) and one opened');
    checkTransportKeys(rt, 'responder');
    equal(re.calls, 4);
  });

  it("an engine's refusal is NoiseError(bad_mac), as is an engine that throws", () => {
    const tx = new NoiseTransport({ sk: h(SK), rk: h(RK), ck: h(CK) });
    const frame = tx.encrypt(HELLO);
    const refuses: TransportAead = { name: 'refuses', seal: nobleAead.seal, open: () => false };
    const throwsEngine: TransportAead = {
      name: 'throws',
      seal: nobleAead.seal,
      open: () => {
        throw new Error('engine failure');
      },
    };
    for (const e of [refuses, throwsEngine]) {
      const rx = new NoiseTransport({ sk: h(RK), rk: h(SK), ck: h(CK) }, e);
      throws(() => rx.push(frame), NoiseError, 'bad_mac');
    }
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
