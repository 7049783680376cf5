// The BOLT 3 key-derivation (Appendix E, and the keys of Appendix C) and signature (every
// commitment and HTLC signature of Appendices C and F) vectors, run with a given secp256k1 engine
// in use (src/core/crypto/ec-engine.ts), and the engine's answers to bad input. Each runtime's
// test runs it for every engine it can load (test/node/ec-engine.test.ts).
import { toHex } from '../../../src/core/base/bytes.ts';
import {
  buildCommitment,
  derivePrivkey,
  derivePubkey,
  perCommitmentPoint,
  pubkeyOf,
  revocationPrivkey,
  revocationPubkey,
} from '../../../src/core/bolt3/index.ts';
import { ecEngine, useEcEngine, type EcEngine } from '../../../src/core/crypto/ec-engine.ts';
import { getPublicKey, signDigest, verifyDigest } from '../../../src/core/crypto/primitives.ts';
import { highSTwin } from '../../../src/core/crypto/verify-engines.ts';
import { equal, ok } from '../../support/assert.ts';
import { common, tests as appendixC } from '../bolt3/appendix-c.ts';
import { appendixE as E } from '../bolt3/appendix-e.ts';
import { tests as appendixF } from '../bolt3/appendix-f.ts';
import { appendixCSpec, appendixFSpec, checkSigned, hex, priv } from '../bolt3/sign-vectors.ts';

/** Runs `f` with `engine` as the thread's engine, then puts the previous one back. */
function withEngine(engine: EcEngine, f: () => void): void {
  const before = ecEngine();
  useEcEngine(engine);
  try {
    f();
  } finally {
    useEcEngine(before);
  }
}

const same = (a: Uint8Array | null, b: string) => equal(a ? toHex(a) : null, b);

/**
 * `rounds` of bad input in the last test: a WASM engine must survive thousands (a refusal thrown
 * through libsecp256k1's WASM would leak its stack, and fault after a few thousand); a pure JS
 * engine needs few.
 */
export function ecEngineVectors(name: string, load: () => Promise<EcEngine>, rounds: number): void {
  describe(`secp256k1 engine ${name}: BOLT 3 vectors`, () => {
    let engine: EcEngine;
    before(async () => {
      engine = await load();
      equal(engine.name, name);
    });

    it('Appendix E: per-commitment point, localpubkey and localprivkey, revocationpubkey and revocationprivkey', () =>
      withEngine(engine, () => {
        const pcp = hex(E.per_commitment_point);
        same(perCommitmentPoint(hex(E.base_secret)), toHex(hex(E.base_point)));
        same(perCommitmentPoint(hex(E.per_commitment_secret)), toHex(pcp));
        same(derivePubkey(hex(E.base_point), pcp), toHex(hex(E.localpubkey)));
        const localPriv = derivePrivkey(hex(E.base_secret), pcp);
        same(localPriv, toHex(hex(E.localprivkey)));
        same(pubkeyOf(localPriv), toHex(hex(E.localpubkey)));
        same(revocationPubkey(hex(E.base_point), pcp), toHex(hex(E.revocationpubkey)));
        const revPriv = revocationPrivkey(hex(E.base_secret), hex(E.per_commitment_secret));
        same(revPriv, toHex(hex(E.revocationprivkey)));
        same(pubkeyOf(revPriv), toHex(hex(E.revocationpubkey)));
      }));

    it('Appendix C: the keys it lists, from the secrets in its comment block', () =>
      withEngine(engine, () => {
        const pcp = perCommitmentPoint(priv(common.x_local_per_commitment_secret));
        same(pcp, toHex(hex(common.internal_local_per_commitment_point)));
        same(derivePubkey(hex(common.local_htlc_basepoint), pcp), toHex(hex(common.local_htlcpubkey)));
        same(derivePubkey(hex(common.remote_htlc_basepoint), pcp), toHex(hex(common.remote_htlcpubkey)));
        same(derivePubkey(hex(common.internal_local_delayed_payment_basepoint), pcp), toHex(hex(common.local_delayedpubkey)));
        same(revocationPubkey(hex(common.internal_remote_revocation_basepoint), pcp), toHex(hex(common.local_revocation_pubkey)));
        same(pubkeyOf(priv(common.local_funding_privkey)), toHex(hex(common.local_funding_pubkey)));
        same(pubkeyOf(priv(common.internal_remote_funding_privkey)), toHex(hex(common.remote_funding_pubkey)));
      }));

    it('Appendix C: every commitment and HTLC signature, both sides, byte for byte', () =>
      withEngine(engine, () => {
        for (const v of appendixC) {
          const s = appendixCSpec(v);
          checkSigned(
            buildCommitment(s),
            s,
            { remoteSig: v.remote_signature, localSig: v.local_signature, tx: v.commit_tx },
            v.htlcs.map(h => ({ remoteSig: h.remote_htlc_signature, tx: h.tx })),
          );
        }
      }));

    it('Appendix F: every commitment and HTLC signature (option_anchors)', () =>
      withEngine(engine, () => {
        for (const v of appendixF) {
          const s = appendixFSpec(v);
          checkSigned(
            buildCommitment(s),
            s,
            { remoteSig: v.RemoteSigHex, tx: v.ExpectedCommitmentTxHex },
            v.HtlcDescs.map(h => ({ remoteSig: h.RemoteSigHex, tx: h.ResolutionTxHex })),
          );
        }
      }));

    it('refuses what BOLT 1 and the curve refuse, and keeps working after many refusals', () =>
      withEngine(engine, () => {
        const secret = hex(E.base_secret);
        const digest = hex(E.per_commitment_secret);
        const pub = getPublicKey(secret);
        const sig = signDigest(digest, secret);
        ok(verifyDigest(sig, digest, pub), 'a good signature');
        ok(!verifyDigest(highSTwin(sig), digest, pub), 'its high-S twin');
        const offCurve = new Uint8Array(33);
        offCurve[0] = 0x02;
        offCurve[32] = 5; // x = 5: 5^3 + 7 is not a square mod p
        const n = hex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
        for (let i = 0; i < rounds; i++) {
          equal(engine.isPoint(offCurve), false);
          equal(engine.pointAddScalar(offCurve, digest), null);
          equal(engine.pointMultiply(pub, new Uint8Array(32)), null, 'a zero multiplier');
          equal(engine.pointMultiply(pub, n), null, 'a multiplier of n');
          equal(engine.publicKey(n), null, 'a secret key of n');
          equal(engine.sign(digest, new Uint8Array(32)), null, 'a zero secret key');
          equal(engine.verify(sig, digest, offCurve), false);
        }
        same(engine.sign(digest, secret), toHex(sig));
        same(engine.pointAddScalar(hex(E.base_point), new Uint8Array(32)), toHex(hex(E.base_point)));
      }));
  });
}
