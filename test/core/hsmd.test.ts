// hsmd: the only holder of the root secret. ECDH with the derived node key against BOLT 8's Appendix
// A keys, signatures that verify, links that expose only the capabilities granted, and no object
// hsmd hands out (or any error it throws), wallet signing included, carrying any secret: the root
// secret, the node key, the wallet's keys.
import { HDKey } from '@scure/bip32';
import { Transaction } from '@scure/btc-signer';
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import { ecdh, getPublicKey, isValidSecretKey, sha256d, verifyDigest } from '../../src/core/crypto/primitives.ts';
import { Hsmd, HsmError, HSM_CAPABILITIES, createNodeSecret } from '../../src/core/daemons/hsmd/hsmd.ts';
import { walletScript } from '../../src/core/daemons/hsmd/withdrawal.ts';
import { mnemonicSeed } from '../../src/core/keys/seed.ts';
import { channelSecrets, nodeSecretKey, walletChain } from '../../src/core/keys/derive.ts';
import { NoiseError } from '../../src/core/base/errors.ts';
import { encodeMessage } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import * as Comlink from 'comlink';
import { derivePrivkey } from '../../src/core/bolt3/index.ts';
import { sendAdd } from '../../src/core/channel/index.ts';
import { CHANNEL_CAPABILITIES, type HsmLink } from '../../src/core/daemons/hsmd/hsmd.ts';
import { dance, deliver } from './channel-fixture.ts';
import { DBID, hsmdPair, localCommitmentOf, MemoryChannelStore, PEER, setupB } from './hsmd-channel-fixture.ts';

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

/** The root secret of most tests: a BIP39 seed. */
const SEED = mnemonicSeed('legal winner thank year wave sausage worth useful legal winner thank yellow');

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
    !JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))?.includes(
      JSON.stringify(Object.fromEntries(Array.from(secret).map((b, i) => [i, b]))),
    ),
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

describe('hsmd: the root secret', () => {
  it('createNodeSecret makes valid legacy secrets from the random source, skipping invalid draws', () => {
    const draws = [new Uint8Array(32), fromHex(CURVE_ORDER), fromHex(LS_PRIV)];
    const s = createNodeSecret(() => draws.shift()!);
    equal(toHex(s), LS_PRIV);
    ok(isValidSecretKey(s));
    throws(() => createNodeSecret(() => new Uint8Array(32)), HsmError, 'bad_random');
    throws(() => createNodeSecret(() => new Uint8Array(31).fill(1)), HsmError, 'bad_random');
  });

  it('takes a 32-byte legacy secret or a 64-byte seed, and refuses anything else without quoting it', () => {
    for (const bad of [new Uint8Array(31).fill(1), new Uint8Array(33).fill(1), new Uint8Array(65).fill(1)]) {
      const e = throws<HsmError>(() => new Hsmd(bad), HsmError, 'bad_secret');
      ok(!e.message.includes(toHex(bad)));
    }
    throws(() => new Hsmd('11'.repeat(32) as unknown as Uint8Array), HsmError, 'bad_secret');
    equal(new Hsmd(fromHex(LS_PRIV)).nodeId().length, 33);
    equal(new Hsmd(SEED).nodeId().length, 33);
  });

  it('keeps its own copy of what it derives', () => {
    const root = SEED.slice();
    const h = new Hsmd(root);
    const id = toHex(h.nodeId());
    root.fill(0);
    equal(toHex(h.nodeId()), id);
  });
});

describe('hsmd: ECDH and node id (BOLT 8 Appendix A)', () => {
  it("the node id is the derived node key's public key", () => {
    equal(toHex(new Hsmd(SEED).nodeId()), toHex(getPublicKey(nodeSecretKey(SEED))));
  });

  it('ECDH is SHA-256 of the compressed shared point, the same from both sides', () => {
    const h = new Hsmd(SEED);
    // BOLT 8's vector for the ECDH itself, then ours against the other side's computation.
    equal(toHex(ecdh(fromHex(E_PRIV), fromHex(RS_PUB))), SS_ES);
    equal(toHex(ecdh(fromHex(RS_PRIV), fromHex(E_PUB))), SS_ES);
    equal(toHex(h.ecdh(fromHex(E_PUB))), toHex(ecdh(fromHex(E_PRIV), h.nodeId())));
  });

  it('refuses bad public keys with typed errors', () => {
    const h = new Hsmd(SEED);
    throws(() => h.ecdh(fromHex('02' + '00'.repeat(32))), NoiseError, 'bad_pubkey');
    throws(() => h.ecdh(new Uint8Array(32)), HsmError, 'bad_request');
    throws(() => h.ecdh('03' as unknown as Uint8Array), HsmError, 'bad_request');
  });

  it('hands out copies of the node id', () => {
    const h = new Hsmd(SEED);
    const id = toHex(h.nodeId());
    h.nodeId().fill(0);
    equal(toHex(h.nodeId()), id);
  });

  it('channelBasepoints are the public keys of channelSecrets(peer_id, dbid)', () => {
    const h = new Hsmd(SEED);
    const peer = fromHex(RS_PUB);
    const s = channelSecrets(SEED, peer, 42n);
    const b = h.channelBasepoints(peer, 42n);
    equal(toHex(b.funding_pubkey), toHex(getPublicKey(s.funding_privkey)));
    equal(toHex(b.revocation_basepoint), toHex(getPublicKey(s.revocation_basepoint_secret)));
    equal(toHex(b.payment_basepoint), toHex(getPublicKey(s.payment_basepoint_secret)));
    equal(toHex(b.delayed_payment_basepoint), toHex(getPublicKey(s.delayed_payment_basepoint_secret)));
    equal(toHex(b.htlc_basepoint), toHex(getPublicKey(s.htlc_basepoint_secret)));
    ok(toHex(h.channelBasepoints(peer, 43n).funding_pubkey) !== toHex(b.funding_pubkey));
    throws(() => h.channelBasepoints(peer.subarray(1), 42n), HsmError, 'bad_request');
  });

  it('walletXpub is a public key only, and refuses unknown types', () => {
    const h = new Hsmd(SEED);
    const k = HDKey.fromExtendedKey(h.walletXpub('p2wpkh'));
    equal(k.privateKey, null);
    ok(h.walletXpub('p2tr').startsWith('xpub'));
    throws(() => h.walletXpub('p2pkh' as 'p2tr'), HsmError, 'bad_request');
  });
});

describe('hsmd: signing our own gossip', () => {
  const h = new Hsmd(SEED);
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

  it('signMessage signs the prefixed message only: no digest the caller chose', () => {
    const digest = sha256d(new TextEncoder().encode('hello'));
    const sig = h.signMessage('hello');
    equal(sig.length, 65);
    // Not a signature over the digest of the bare message (what the old digest capability signed)...
    ok(!verifyDigest(sig.subarray(1), digest, h.nodeId()));
    // ...but over SHA-256d("Lightning Signed Message:" || message).
    ok(verifyDigest(sig.subarray(1), sha256d(new TextEncoder().encode('Lightning Signed Message:hello')), h.nodeId()));
    throws(() => h.signMessage(digest as unknown as string), HsmError, 'bad_request');
    throws(() => h.signMessage('x'.repeat(65536)), HsmError, 'bad_request');
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
  const h = new Hsmd(SEED);

  it('a link for ecdh exposes ecdh and nothing else', () => {
    const link = h.linkFor(['ecdh']);
    equal(toHex(link.ecdh(fromHex(E_PUB))), toHex(h.ecdh(fromHex(E_PUB))));
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
    equal(toHex(link.nodeId()), toHex(h.nodeId()));
    equal(typeof link.signNodeAnnouncement, 'function');
    equal((link as unknown as Record<string, unknown>).ecdh, undefined);
  });

  it('refuses capabilities it does not have, including tricks', () => {
    for (const bad of ['bogus', '__proto__', 'constructor', 'linkFor', 'toString']) {
      throws(() => h.linkFor([bad as 'ecdh']), HsmError, 'unknown_capability');
    }
  });

  it('no object hsmd hands out, nor hsmd itself, nor its errors, holds a secret (wallet signing included)', () => {
    const hsmd = new Hsmd(SEED);
    const chain = walletChain(SEED);
    // Every secret hsmd holds or derives: the seed, the part the node key and channel seeds come
    // from, the node key, the wallet chain's key and chain code, and the wallet keys it signs with.
    const secrets: [string, Uint8Array][] = [
      ['the seed', SEED],
      ["the seed's first half", SEED.subarray(0, 32)],
      ['the node key', nodeSecretKey(SEED)],
      ['the wallet chain key', chain.privateKey!],
      ['wallet key 0', chain.deriveChild(0).privateKey!],
      ['wallet key 1', chain.deriveChild(1).privateKey!],
      ...Object.entries(channelSecrets(SEED, fromHex(RS_PUB), 7n)),
    ];
    const tx = new Transaction();
    tx.addInput({
      txid: new Uint8Array(32).fill(1),
      index: 0,
      witnessUtxo: { script: walletScript(chain.deriveChild(0).publicKey!, 'p2wpkh'), amount: 5000n },
    });
    tx.addInput({
      txid: new Uint8Array(32).fill(2),
      index: 0,
      witnessUtxo: { script: walletScript(chain.deriveChild(1).publicKey!, 'p2tr'), amount: 5000n },
    });
    tx.addOutput({ script: walletScript(chain.deriveChild(9).publicKey!, 'p2tr'), amount: 9000n });
    const inputs = [
      { index: 0, type: 'p2wpkh' as const },
      { index: 1, type: 'p2tr' as const },
    ];
    const everything: [string, unknown][] = [
      ['hsmd', hsmd],
      ['nodeId()', hsmd.nodeId()],
      ['ecdh()', hsmd.ecdh(fromHex(E_PUB))],
      ['signMessage()', hsmd.signMessage('hello')],
      ['walletXpub(p2wpkh)', hsmd.walletXpub('p2wpkh')],
      ['walletXpub(p2tr)', hsmd.walletXpub('p2tr')],
      ['signWithdrawal()', hsmd.signWithdrawal(tx.toPSBT(), inputs)],
      ['channelBasepoints()', hsmd.channelBasepoints(fromHex(RS_PUB), 7n)],
      ...HSM_CAPABILITIES.map(c => [`linkFor([${c}])`, hsmd.linkFor([c])] as [string, unknown]),
      ['linkFor(all)', hsmd.linkFor(HSM_CAPABILITIES)],
    ];
    // walletXpub is base58: its decoded bytes must not hold a private key either.
    const xpubBytes = (x: string) => {
      const k = HDKey.fromExtendedKey(x);
      return concat(k.publicKey!, k.chainCode!);
    };
    everything.push(['walletXpub bytes', xpubBytes(hsmd.walletXpub('p2tr'))]);
    for (const [what, v] of everything) for (const [name, secret] of secrets) assertNoSecret(`${what} (${name})`, v, secret);
    // structuredClone of hsmd itself copies no private field.
    deepEqual(structuredCloneFn(hsmd), {});
    equal(JSON.stringify(hsmd), '{}');
    for (const fn of [
      () => hsmd.ecdh(fromHex('02' + '00'.repeat(32))),
      () => hsmd.signNodeAnnouncement(new Uint8Array(3)),
      () => hsmd.linkFor(['x' as 'ecdh']),
      () => hsmd.signWithdrawal(tx.toPSBT(), [inputs[1]!, inputs[0]!]),
      () => hsmd.signWithdrawal(new Uint8Array(5), inputs),
      () => hsmd.walletXpub('x' as 'p2tr'),
      () => hsmd.channelBasepoints(new Uint8Array(32), 7n),
      () => hsmd.channelBasepoints(fromHex(RS_PUB), -7n),
    ]) {
      try {
        fn();
        ok(false, 'expected a throw');
      } catch (e) {
        const err = e as Error;
        for (const [name, secret] of secrets) {
          ok(!`${err.message} ${err.stack ?? ''}`.includes(toHex(secret)), name);
          assertNoSecret(`error (${name})`, { ...err, message: err.message }, secret);
        }
      }
    }
  });

  it('channel signing: no answer, refusal, or stored record holds a secret, across a MessagePort too', async () => {
    const store = new MemoryChannelStore();
    const hsmd = new Hsmd(SEED, store);
    const cs = channelSecrets(SEED, PEER, DBID);
    const secrets: [string, Uint8Array][] = [
      ['the seed', SEED],
      ["the seed's first half", SEED.subarray(0, 32)],
      ['the node key', nodeSecretKey(SEED)],
      ...Object.entries(cs),
      [
        'our delayed key of commitment 0',
        derivePrivkey(cs.delayed_payment_basepoint_secret, await hsmd.getPerCommitmentPoint(PEER, DBID, 0n)),
      ],
      ['our HTLC key of commitment 1', derivePrivkey(cs.htlc_basepoint_secret, await hsmd.getPerCommitmentPoint(PEER, DBID, 1n))],
    ];
    // Every message posted on any MessagePort, as the browser test spies on every realm.
    const posted: unknown[] = [];
    const g = globalThis as unknown as {
      MessagePort: { prototype: { postMessage: (...a: unknown[]) => void } };
      MessageChannel: new () => { port1: Comlink.Endpoint & { close(): void }; port2: Comlink.Endpoint & { close(): void } };
    };
    const proto = g.MessagePort.prototype;
    const original = proto.postMessage;
    proto.postMessage = function (this: unknown, ...args: unknown[]) {
      posted.push(structuredCloneFn(args[0]));
      return original.apply(this, args);
    };
    const { port1, port2 } = new g.MessageChannel();
    const answers: unknown[] = [];
    const keep = async <T>(p: Promise<T>): Promise<T> => {
      const v = await p;
      answers.push(v);
      return v;
    };
    try {
      Comlink.expose(hsmd.linkFor(CHANNEL_CAPABILITIES), port1);
      const remote = Comlink.wrap<HsmLink<(typeof CHANNEL_CAPABILITIES)[number]>>(port2);
      const p = await hsmdPair(remote as unknown as HsmLink<(typeof CHANNEL_CAPABILITIES)[number]>);
      const pay = (from: typeof p.a, amountMsat: bigint) => {
        const r = sendAdd(from.state, {
          amountMsat,
          paymentHash: new Uint8Array(32).fill(3),
          cltvExpiry: 800_144,
          onion: new Uint8Array(1366),
        });
        from.state = r.state;
        return r.messages;
      };
      await deliver(p.b, pay(p.a, 50_000_000n));
      await dance(p.a, p.b);
      await deliver(p.a, pay(p.b, 40_000_000n));
      await dance(p.b, p.a);
      answers.push(...p.a.received);
      const c = await localCommitmentOf(p.b);
      await keep(p.link.signLocalCommitment(c.commitment.tx.unsignedTx));
      for (const refused of [
        p.link.revokeCommitment(7n),
        p.link.signLocalCommitment(new Uint8Array(3)),
        remote.setupChannel(PEER, DBID, { ...setupB(), anchors: true }),
      ]) {
        const e = await refused.then(
          () => undefined,
          (x: unknown) => x as Error,
        );
        ok(e instanceof Error, 'refused');
        answers.push({ message: e.message, stack: e.stack });
      }
    } finally {
      proto.postMessage = original;
      port1.close();
      port2.close();
    }
    ok(posted.length > 20, 'the traffic was recorded');
    const stored = [...store.data.values()].join('\n');
    for (const [name, secret] of secrets) {
      for (const m of posted) assertNoSecret(`a port message (${name})`, m, secret);
      for (const a of answers) assertNoSecret(`an answer (${name})`, a, secret);
      ok(!stored.includes(toHex(secret)), `the store holds ${name}`);
    }
  });
});
