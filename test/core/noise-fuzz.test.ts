// Fuzzing BOLT 8: more than 100,000 mutated and random inputs per run across Act One, Act Two and
// Act Three parsing and encrypted transport frames in random chunks. Every input must either succeed
// or be refused with a BoltError; beyond that rule, oracles check what did succeed (only the exact
// valid act is accepted; decoded messages are always a prefix of what was sent).
//
// ECDH is the costly part (a few ms each in Node), so most act inputs fail before it: the static-key
// ECDH is injected (as hsmd's is) and answers from a table for the vector's keys, a hash otherwise.
import { NoiseInitiator, NoiseResponder, NoiseTransport, type Ecdh } from '../../src/core/noise/index.ts';
import { equal as bytesEqual, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { ecdh, sha256 } from '../../src/core/crypto/primitives.ts';
import { BoltError, EncodeError, NoiseError } from '../../src/core/base/errors.ts';
import { equal, ok } from '../support/assert.ts';
import { Rng, attempt, attemptAsync, chunks, mutate } from '../support/fuzz.ts';

const h = fromHex;
// BOLT 8 appendix A keys and acts (see noise.test.ts).
const I_LS_PRIV = '1111111111111111111111111111111111111111111111111111111111111111';
const I_LS_PUB = h('034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa');
const I_E_PRIV = h('1212121212121212121212121212121212121212121212121212121212121212');
const R_LS_PRIV = '2121212121212121212121212121212121212121212121212121212121212121';
const R_LS_PUB = h('028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7');
const R_E_PRIV = h('2222222222222222222222222222222222222222222222222222222222222222');
const ACT1 = h('00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a');
const ACT2 = h('0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae');
const ACT3 = h(
  '00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba',
);
const ACT_DONORS = [ACT1, ACT2, ACT3];

const ACT_CODES = new Set(['bad_length', 'bad_version', 'bad_pubkey', 'bad_mac']);

let total = 0;

/** An hsmd stand-in: the real ECDH for the keys of the vector (computed once), a hash for any other key. */
function tableEcdh(priv: string, known: Uint8Array): Ecdh {
  const real = ecdh(h(priv), known);
  const knownHex = toHex(known);
  return pub => (toHex(pub) === knownHex ? real : sha256(pub));
}

/** The code a malformed act must fail with when its framing is wrong; undefined when framing is fine. */
function framingCode(m: Uint8Array, size: number): string | undefined {
  if (m.length !== size) return 'bad_length';
  if (m[0] !== 0) return 'bad_version';
  return undefined;
}

/** An act input: mostly mutations of the valid act, some random bytes shaped like an act. */
function actInput(rng: Rng, valid: Uint8Array, opts: { keyRegion?: boolean; validRate?: number } = {}): Uint8Array {
  // The valid act costs full ECDHs: keep it rare where inputs are many.
  if (rng.chance(opts.validRate ?? 0.05)) return valid.slice();
  const r = rng.int(20);
  if (r === 0) return rng.bytes(rng.size(100));
  if (r === 1) {
    const m = rng.bytes(valid.length);
    m[0] = 0;
    if (opts.keyRegion) m[1] = rng.pick([2, 3]);
    return m;
  }
  return mutate(rng, valid, { donors: ACT_DONORS, maxOps: 2 });
}

describe('BOLT 8 fuzz', () => {
  const ACT1_CASES = 30_000;
  const ACT2_CASES = 800;
  const ACT3_CASES = 1_000;
  const STREAM_CASES = 70_000;

  it(`act one (responder): ${ACT1_CASES} mutated and random inputs`, async () => {
    const rng = new Rng('noise-fuzz/act1');
    const ecdhFn = tableEcdh(R_LS_PRIV, h('036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7'));
    let accepted = 0;
    for (let n = 0; n < ACT1_CASES; n++) {
      const m = actInput(rng, ACT1, { keyRegion: true, validRate: 0.002 });
      const r = new NoiseResponder({ localStatic: R_LS_PUB, ecdh: ecdhFn, ephemeralSecret: R_E_PRIV });
      const res = await attemptAsync('responder act1', m, () => r.act1(m));
      if (res instanceof BoltError) {
        ok(res instanceof NoiseError && ACT_CODES.has(res.code), `unexpected ${res.name}(${res.code})`);
        const want = framingCode(m, 50);
        if (want) equal(res.code, want, `act one ${toHex(m)}`);
      } else {
        ok(bytesEqual(m, ACT1), `accepted a changed act one ${toHex(m)}`);
        equal(toHex(res), toHex(ACT2));
        accepted++;
      }
    }
    ok(accepted > 0, 'the valid act was among the inputs');
    total += ACT1_CASES;
  });

  it(`act two (initiator): ${ACT2_CASES} mutated and random inputs`, async () => {
    const rng = new Rng('noise-fuzz/act2');
    const ecdhFn = tableEcdh(I_LS_PRIV, h('02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27'));
    for (let n = 0; n < ACT2_CASES; n++) {
      const m = actInput(rng, ACT2);
      const i = new NoiseInitiator({ localStatic: I_LS_PUB, ecdh: ecdhFn, ephemeralSecret: I_E_PRIV, remoteStatic: R_LS_PUB });
      i.act1();
      const res = await attemptAsync('initiator act2', m, () => i.act2(m));
      if (res instanceof BoltError) {
        ok(res instanceof NoiseError && ACT_CODES.has(res.code), `unexpected ${res.name}(${res.code})`);
        const want = framingCode(m, 50);
        if (want) equal(res.code, want, `act two ${toHex(m)}`);
      } else {
        ok(bytesEqual(m, ACT2), `accepted a changed act two ${toHex(m)}`);
        equal(toHex(res.act3), toHex(ACT3));
      }
    }
    total += ACT2_CASES;
  });

  it(`act three (responder): ${ACT3_CASES} mutated and random inputs`, async () => {
    const rng = new Rng('noise-fuzz/act3');
    const ecdhFn = tableEcdh(R_LS_PRIV, h('036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7'));
    for (let n = 0; n < ACT3_CASES; n++) {
      const m = actInput(rng, ACT3);
      const r = new NoiseResponder({ localStatic: R_LS_PUB, ecdh: ecdhFn, ephemeralSecret: R_E_PRIV });
      await r.act1(ACT1);
      const res = attempt('responder act3', m, () => r.act3(m));
      if (res instanceof BoltError) {
        ok(res instanceof NoiseError && ACT_CODES.has(res.code), `unexpected ${res.name}(${res.code})`);
        const want = framingCode(m, 66);
        if (want) equal(res.code, want, `act three ${toHex(m)}`);
      } else {
        ok(bytesEqual(m, ACT3), `accepted a changed act three ${toHex(m)}`);
        equal(toHex(res.remoteStatic), toHex(I_LS_PUB));
      }
    }
    total += ACT3_CASES;
  });

  it(`transport: ${STREAM_CASES} mutated and random frame streams in random chunks`, () => {
    const rng = new Rng('noise-fuzz/transport');
    // Scenarios: each has its own random keys and a stream of frames; a few are long enough to
    // cross the key rotation at message 500 (nonce 1000).
    interface Scenario {
      key: Uint8Array;
      ck: Uint8Array;
      msgs: Uint8Array[];
      stream: Uint8Array;
    }
    const scenarios: Scenario[] = [];
    for (let s = 0; s < 48; s++) {
      const sk = rng.bytes(32);
      const ck = rng.bytes(32);
      const tx = new NoiseTransport({ sk, rk: rng.bytes(32), ck });
      const count = s < 3 ? rng.range(500, 520) : rng.range(0, 8);
      const msgs: Uint8Array[] = [];
      for (let k = 0; k < count; k++) {
        const size = s === 3 ? 65535 : rng.chance(0.05) ? rng.size(5000) : rng.size(300);
        msgs.push(rng.bytes(size));
      }
      const frames = msgs.map(msg => tx.encrypt(msg));
      const stream = new Uint8Array(frames.reduce((a, f) => a + f.length, 0));
      let o = 0;
      for (const f of frames) {
        stream.set(f, o);
        o += f.length;
      }
      scenarios.push({ key: sk, ck, msgs, stream });
    }
    const donors = scenarios.map(s => s.stream).filter(s => s.length < 20000);
    const rare = new Set([0, 1, 2, 3]);

    let failures = 0;
    let decoded = 0;
    for (let n = 0; n < STREAM_CASES; n++) {
      let idx = rng.int(scenarios.length);
      while (rare.has(idx) && !rng.chance(0.02)) idx = rng.int(scenarios.length);
      const sc = scenarios[idx]!;
      const r = rng.int(40);
      const input = r === 0 ? rng.bytes(rng.size(300)) : r === 1 ? sc.stream.slice() : mutate(rng, sc.stream, { donors, maxOps: 3 });
      const rx = new NoiseTransport({ sk: rng.bytes(32), rk: sc.key, ck: sc.ck });
      const got: Uint8Array[] = [];
      let failed = false;
      for (const c of chunks(rng, input, 3000)) {
        const res = attempt('transport push', input, () => rx.push(c));
        if (res instanceof BoltError) {
          ok(res instanceof NoiseError && res.code === 'bad_mac', `unexpected ${res.name}(${res.code})`);
          failed = true;
          break;
        }
        got.push(...res);
      }
      // Oracle: whatever was decoded is exactly the start of what was sent.
      ok(got.length <= sc.msgs.length, 'more messages than were sent');
      for (let k = 0; k < got.length; k++) ok(bytesEqual(got[k]!, sc.msgs[k]!), `message ${k} differs from what was sent`);
      if (bytesEqual(input, sc.stream)) ok(!failed && got.length === sc.msgs.length, 'the valid stream decodes fully');
      if (failed) failures++;
      decoded += got.length;
    }
    ok(failures > STREAM_CASES / 2, 'most mutations are caught');
    ok(decoded > 0);
    total += STREAM_CASES;
  });

  it('encrypt: random lengths either encrypt or are EncodeError(message_too_long)', () => {
    const rng = new Rng('noise-fuzz/encrypt');
    const tx = new NoiseTransport({ sk: rng.bytes(32), rk: rng.bytes(32), ck: rng.bytes(32) });
    for (let n = 0; n < 200; n++) {
      const len = rng.chance(0.5) ? 65535 + rng.range(-3, 3) : rng.size(70000);
      const msg = new Uint8Array(len);
      const res = attempt('transport encrypt', msg, () => tx.encrypt(msg));
      if (res instanceof BoltError) {
        ok(res instanceof EncodeError && res.code === 'message_too_long' && len > 65535, `unexpected ${res.name}(${res.code}) for ${len}`);
      } else {
        ok(len <= 65535);
        equal(res.length, len + 34);
      }
    }
    total += 200;
  });

  it('ran at least 100,000 inputs', () => {
    ok(total >= 100_000, `only ${total} inputs`);
  });
});
