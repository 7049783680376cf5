// hsmd: the node secret's only holder. ECDH against BOLT 8's Appendix A keys, signatures that
// verify, links that expose only the capabilities granted, and no object hsmd hands out (or any
// error it throws) carrying the secret.
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { sha256d, verifyDigest } from '../../src/core/crypto/primitives.ts';
import {
  Hsmd,
  HsmError,
  HSM_CAPABILITIES,
  checkNodeSecret,
  createNodeSecret,
  isValidNodeSecret,
} from '../../src/core/daemons/hsmd/hsmd.ts';
import { NoiseError } from '../../src/core/base/errors.ts';
import { encodeMessage } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';

// BOLT 8 Appendix A: the initiator's and responder's keys.
const LS_PRIV = '1111111111111111111111111111111111111111111111111111111111111111';
const LS_PUB = '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa';
const RS_PRIV = '2121212121212121212121212121212121212121212121212121212121212121';
const RS_PUB = '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7';
const E_PRIV = '1212121212121212121212121212121212121212121212121212121212121212';
const E_PUB = '036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7';
/** Act One step 3, `ss = ECDH(rs.pub, e.priv)`, as the vector lists it. */
const SS_ES = '1e2fb3c8fe8fb9f262f649f64d26ecf0f2c0a805a767cf02dc2d77a6ef1fdcc3';
/** secp256k1's group order n: not a valid secret. */
const CURVE_ORDER = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';

const structuredCloneFn = (globalThis as unknown as { structuredClone(v: unknown): unknown }).structuredClone;

/** Every Uint8Array reachable in `v` (own properties, arrays), for scanning. */
function byteArrays(v: unknown, out: Uint8Array[] = [], seen = new Set<unknown>()): Uint8Array[] {
  if (v instanceof Uint8Array) out.push(v);
  else if (v && typeof v === 'object' && !seen.has(v)) {
    seen.add(v);
    for (const k of Object.keys(v)) byteArrays((v as Record<string, unknown>)[k], out, seen);
  }
  return out;
}

function containsSecret(haystack: Uint8Array, secret: Uint8Array): boolean {
  outer: for (let i = 0; i + secret.length <= haystack.length; i++) {
    for (let j = 0; j < secret.length; j++) if (haystack[i + j] !== secret[j]) continue outer;
    return true;
  }
  return false;
}

/** Asserts neither JSON nor structuredClone of `v` holds the secret (a clone that refuses is fine too). */
function assertNoSecret(what: string, v: unknown, secret: Uint8Array): void {
  const hex = toHex(secret);
  const json = JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? toHex(x) : typeof x === 'bigint' ? String(x) : x)) ?? '';
  ok(!json.includes(hex), `${what}: JSON holds the secret`);
  // Bytes as JSON numbers too: {"0":17,"1":17,...}
  ok(
    !JSON.stringify(v)?.includes(JSON.stringify(Object.fromEntries(Array.from(secret).map((b, i) => [i, b])))),
    `${what}: JSON holds the secret bytes`,
  );
  let clone: unknown;
  try {
    clone = structuredCloneFn(v);
  } catch {
    return; // not cloneable at all: nothing leaves that way
  }
  for (const b of byteArrays(clone)) ok(!containsSecret(b, secret), `${what}: structuredClone holds the secret`);
}

describe('hsmd: the node secret', () => {
  it('creates valid secrets from the random source, skipping invalid draws', () => {
    const draws = [new Uint8Array(32), fromHex(CURVE_ORDER), fromHex(LS_PRIV)];
    const s = createNodeSecret(() => draws.shift()!);
    equal(toHex(s), LS_PRIV);
    ok(isValidNodeSecret(s));
    throws(() => createNodeSecret(() => new Uint8Array(32)), HsmError, 'bad_random');
    throws(() => createNodeSecret(() => new Uint8Array(31).fill(1)), HsmError, 'bad_random');
  });

  it('refuses invalid secrets without quoting them', () => {
    for (const bad of [new Uint8Array(32), fromHex(CURVE_ORDER), new Uint8Array(31).fill(1), new Uint8Array(33).fill(1)]) {
      const e = throws<HsmError>(() => checkNodeSecret(bad), HsmError, 'bad_secret');
      ok(!e.message.includes(toHex(bad)) || bad.every(x => x === 0));
      throws(() => new Hsmd(bad), HsmError, 'bad_secret');
      equal(isValidNodeSecret(bad), false);
    }
    throws(() => checkNodeSecret('11'.repeat(32)), HsmError, 'bad_secret');
  });

  it('keeps its own copy of the secret', () => {
    const secret = fromHex(LS_PRIV);
    const h = new Hsmd(secret);
    secret.fill(0);
    equal(toHex(h.nodeId()), LS_PUB);
  });
});

describe('hsmd: ECDH and node id (BOLT 8 Appendix A)', () => {
  it('derives the node id', () => {
    equal(toHex(new Hsmd(fromHex(LS_PRIV)).nodeId()), LS_PUB);
    equal(toHex(new Hsmd(fromHex(RS_PRIV)).nodeId()), RS_PUB);
  });

  it('ECDH is SHA-256 of the compressed shared point, the same from both sides', () => {
    equal(toHex(new Hsmd(fromHex(E_PRIV)).ecdh(fromHex(RS_PUB))), SS_ES);
    equal(toHex(new Hsmd(fromHex(RS_PRIV)).ecdh(fromHex(E_PUB))), SS_ES);
  });

  it('refuses bad public keys with typed errors', () => {
    const h = new Hsmd(fromHex(LS_PRIV));
    throws(() => h.ecdh(fromHex('02' + '00'.repeat(32))), NoiseError, 'bad_pubkey');
    throws(() => h.ecdh(new Uint8Array(32)), HsmError, 'bad_request');
    throws(() => h.ecdh('03' as unknown as Uint8Array), HsmError, 'bad_request');
  });

  it('hands out copies of the node id', () => {
    const h = new Hsmd(fromHex(LS_PRIV));
    h.nodeId().fill(0);
    equal(toHex(h.nodeId()), LS_PUB);
  });
});

describe('hsmd: signing our own gossip', () => {
  const h = new Hsmd(fromHex(LS_PRIV));
  const nodeAnnouncement = (nodeId: Uint8Array) =>
    encodeMessage({
      name: 'node_announcement',
      signature: new Uint8Array(64),
      features: fromHex('0200'),
      timestamp: 1700000000,
      node_id: nodeId,
      rgb_color: fromHex('ff0000'),
      alias: new Uint8Array(32).fill(0x41),
      addresses: new Uint8Array(0),
    });

  it('signMessage signs a digest that verifies against the node id', () => {
    const digest = sha256d(new TextEncoder().encode('hello'));
    const sig = h.signMessage(digest);
    equal(sig.length, 64);
    ok(verifyDigest(sig, digest, h.nodeId()));
    throws(() => h.signMessage(new Uint8Array(31)), HsmError, 'bad_request');
  });

  it('signs our node_announcement over the double SHA-256 after the signature, and only ours', () => {
    const msg = nodeAnnouncement(h.nodeId());
    const sig = h.signNodeAnnouncement(msg);
    ok(verifyDigest(sig, sha256d(msg.subarray(66)), h.nodeId()));
    throws(() => h.signNodeAnnouncement(nodeAnnouncement(fromHex(RS_PUB))), HsmError, 'not_ours');
    throws(() => h.signNodeAnnouncement(msg.subarray(0, 80)), HsmError, 'bad_request');
    throws(() => h.signNodeAnnouncement(concat(fromHex('0102'), msg.subarray(2))), HsmError, 'bad_request');
  });

  it('signs a channel_update', () => {
    const cu = encodeMessage({
      name: 'channel_update',
      signature: new Uint8Array(64),
      chain_hash: new Uint8Array(32),
      short_channel_id: 1n,
      timestamp: 1,
      message_flags: 1,
      channel_flags: 0,
      cltv_expiry_delta: 40,
      htlc_minimum_msat: 1n,
      fee_base_msat: 1000,
      fee_proportional_millionths: 1,
      htlc_maximum_msat: 1000n,
    });
    ok(verifyDigest(h.signChannelUpdate(cu), sha256d(cu.subarray(66)), h.nodeId()));
    throws(() => h.signChannelUpdate(cu.subarray(0, 70)), HsmError, 'bad_request');
  });
});

describe('hsmd: capabilities per link', () => {
  const h = new Hsmd(fromHex(RS_PRIV));

  it('a link for ecdh exposes ecdh and nothing else', () => {
    const link = h.linkFor(['ecdh']);
    equal(toHex(link.ecdh(fromHex(E_PUB))), SS_ES);
    for (const other of HSM_CAPABILITIES.filter(c => c !== 'ecdh')) {
      equal((link as unknown as Record<string, unknown>)[other], undefined, other);
      ok(!(other in link), other);
    }
    deepEqual(Object.keys(link), []);
    ok(Object.isFrozen(link));
    let added = true;
    try {
      (link as unknown as Record<string, unknown>).signMessage = () => new Uint8Array(64);
    } catch {
      added = false;
    }
    ok(!added || (link as unknown as Record<string, unknown>).signMessage === undefined);
    // Nothing reaches the hsmd object from the link.
    equal((link as unknown as Record<string, unknown>).constructor, undefined);
  });

  it('a link for gossip signing has exactly those methods', () => {
    const link = h.linkFor(['nodeId', 'signNodeAnnouncement']);
    equal(toHex(link.nodeId()), RS_PUB);
    equal(typeof link.signNodeAnnouncement, 'function');
    equal((link as unknown as Record<string, unknown>).ecdh, undefined);
  });

  it('refuses capabilities it does not have, including tricks', () => {
    for (const bad of ['bogus', '__proto__', 'constructor', 'linkFor', 'toString']) {
      throws(() => h.linkFor([bad as 'ecdh']), HsmError, 'unknown_capability');
    }
  });

  it('no object hsmd hands out, nor hsmd itself, nor its errors, holds the secret', () => {
    const secret = fromHex(RS_PRIV);
    const hsmd = new Hsmd(secret);
    const everything: [string, unknown][] = [
      ['hsmd', hsmd],
      ['nodeId()', hsmd.nodeId()],
      ['ecdh()', hsmd.ecdh(fromHex(E_PUB))],
      ['signMessage()', hsmd.signMessage(new Uint8Array(32).fill(1))],
      ...HSM_CAPABILITIES.map(c => [`linkFor([${c}])`, hsmd.linkFor([c])] as [string, unknown]),
      ['linkFor(all)', hsmd.linkFor(HSM_CAPABILITIES)],
    ];
    for (const [what, v] of everything) assertNoSecret(what, v, secret);
    // structuredClone of hsmd itself copies no private field.
    deepEqual(structuredCloneFn(hsmd), {});
    equal(JSON.stringify(hsmd), '{}');
    for (const fn of [
      () => hsmd.ecdh(fromHex('02' + '00'.repeat(32))),
      () => hsmd.signNodeAnnouncement(new Uint8Array(3)),
      () => hsmd.linkFor(['x' as 'ecdh']),
    ]) {
      try {
        fn();
        ok(false, 'expected a throw');
      } catch (e) {
        const err = e as Error;
        ok(!`${err.message} ${err.stack ?? ''}`.includes(toHex(secret)));
        assertNoSecret('error', { ...err, message: err.message }, secret);
      }
    }
  });
});
