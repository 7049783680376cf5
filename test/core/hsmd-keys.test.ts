// One seed, everything derived (src/core/keys): BIP39's reference vectors, BIP32's, BIP84's and
// BIP86's through our derivation code, Core Lightning's own published node ids for mnemonics (its
// tests/test_wallet.py and tests/test_misc.py), and the node id, channel secrets and legacy paths
// recomputed here independently, step by step as README "Keys" documents them, with @noble's
// primitives (@noble/curves for the curve, not the @noble/secp256k1 our code uses).
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { Address, NETWORK, OutScript, TEST_NETWORK } from '@scure/btc-signer';
import { concat, fromHex, toHex } from '../../src/core/base/bytes.ts';
import {
  createMnemonic,
  decodeHsmSecret,
  encodeHsmSecret,
  mnemonicSeed,
  normalizeMnemonic,
  openSeed,
  recoveryFile,
  type SeedStore,
} from '../../src/core/keys/seed.ts';
import { channelSecrets, deriveBip32, nodeIdOf, walletChain, WALLET_CHAIN } from '../../src/core/keys/derive.ts';
import { walletScript } from '../../src/core/daemons/hsmd/withdrawal.ts';
import { Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const utf8 = (s: string) => new TextEncoder().encode(s);
const address = (script: Uint8Array, net = NETWORK) => Address(net).encode(OutScript.decode(script));

// BIP39's reference vectors (trezor/python-mnemonic vectors.json, passphrase "TREZOR").
const BIP39: [string, string, string][] = [
  [
    '00000000000000000000000000000000',
    ABANDON,
    'c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04',
  ],
  [
    '7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f',
    'legal winner thank year wave sausage worth useful legal winner thank yellow',
    '2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607',
  ],
  [
    '80808080808080808080808080808080',
    'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
    'd71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8',
  ],
  [
    'ffffffffffffffffffffffffffffffff',
    'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
    'ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069',
  ],
  [
    '000000000000000000000000000000000000000000000000',
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon agent',
    '035895f2f481b1b0f01fcf8c289c794660b289981a78f8106447707fdd9666ca06da5a9a565181599b79f53b844d8a71dd9f439c52a3d7b3e8a79c906ac845fa',
  ],
  [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art',
    'bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8',
  ],
  [
    '77c2b00716cec7213839159e404db50d',
    'jelly better achieve collect unaware mountain thought cargo oxygen act hood bridge',
    'b5b6d0127db1a9d2226af0c3346031d77af31e918dba64287a1b44b8ebf63cdd52676f672a290aae502472cf2d602c051f3e6f18055e84e4c43897fc4e51a6ff',
  ],
];

describe('keys: BIP39 (reference vectors)', () => {
  it('entropy → mnemonic → seed, as the reference vectors list them', () => {
    for (const [entropy, mnemonic, seed] of BIP39) {
      const e = fromHex(entropy);
      equal(
        createMnemonic(() => e.slice(), e.length),
        mnemonic,
      );
      equal(toHex(mnemonicSeed(mnemonic, 'TREZOR')), seed, mnemonic);
    }
    // The first vector's BIP32 root key, as the reference vectors give it.
    equal(
      deriveBip32(fromHex(BIP39[0]![2]), 'm').privateExtendedKey,
      'xprv9s21ZrQH143K3h3fDYiay8mocZ3afhfULfb5GX8kCBdno77K4HiA15Tg23wpbeF1pLfs1c5SPmYHrEpTuuRhxMwvKDwqdKiGJS9XFKzUsAF',
    );
  });

  it('a new node gets 12 words from 16 random bytes; the node seed has no passphrase', () => {
    const m = createMnemonic(n => new Uint8Array(n).fill(0));
    equal(m, ABANDON);
    equal(
      toHex(mnemonicSeed(m)),
      '5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4',
    );
    throws(() => createMnemonic(() => new Uint8Array(15)), HsmError, 'bad_random');
  });

  it('normalizes spacing and case, and refuses bad mnemonics without quoting them', () => {
    equal(normalizeMnemonic(`  ${ABANDON.toUpperCase().replace(/ /g, ' \n ')}  `), ABANDON);
    const wrongChecksum = ABANDON.replace(/about$/, 'abandon');
    for (const bad of [wrongChecksum, 'abandon', '', 'notaword '.repeat(12), 42]) {
      const e = throws<HsmError>(() => normalizeMnemonic(bad), HsmError, 'bad_mnemonic');
      ok(typeof bad !== 'string' || bad === '' || !e.message.includes(bad.trim()), e.message);
    }
  });
});

describe("keys: the hsm_secret file (Core Lightning's format)", () => {
  it('a mnemonic file is 32 zero bytes then the mnemonic; its root secret is the BIP39 seed', () => {
    const file = encodeHsmSecret(ABANDON);
    equal(file.length, 32 + ABANDON.length);
    ok(file.subarray(0, 32).every(b => b === 0));
    equal(new TextDecoder().decode(file.subarray(32)), ABANDON);
    const root = decodeHsmSecret(file);
    equal(root.format, 'mnemonic');
    equal(toHex(root.secretData), toHex(mnemonicSeed(ABANDON)));
  });

  it('a 32-byte file is a legacy root secret, used as it is', () => {
    const legacy = new Uint8Array(32).fill(0x11);
    deepEqual(decodeHsmSecret(legacy), { format: 'legacy', secretData: legacy });
  });

  it('refuses what it cannot use, with clear errors', () => {
    throws(() => decodeHsmSecret(new Uint8Array(73)), HsmError, 'bad_secret'); // encrypted
    throws(() => decodeHsmSecret(new Uint8Array(31)), HsmError, 'bad_secret');
    throws(() => decodeHsmSecret(concat(new Uint8Array(32).fill(1), utf8(ABANDON))), HsmError, 'bad_secret'); // a passphrase
    throws(() => decodeHsmSecret(concat(new Uint8Array(32), utf8('abandon about'))), HsmError, 'bad_secret');
    throws(() => decodeHsmSecret('x'), HsmError, 'bad_secret');
  });

  it('--recover takes a mnemonic or a legacy secret as 64 hex digits', () => {
    equal(toHex(recoveryFile(` ${ABANDON} `)), toHex(encodeHsmSecret(ABANDON)));
    equal(toHex(recoveryFile('AB'.repeat(32))), 'ab'.repeat(32));
    throws(() => recoveryFile('ab'.repeat(31)), HsmError, 'bad_mnemonic');
  });
});

describe('keys: a seed in a store (the edge runtime)', () => {
  const memory = (initial?: Uint8Array): SeedStore & { value?: Uint8Array } => {
    const st: SeedStore & { value?: Uint8Array } = {
      value: initial,
      load: async () => st.value?.slice(),
      save: async v => void (st.value = v.slice()),
    };
    return st;
  };

  it('stores a new mnemonic once; recover restores the same root into an empty store and is refused over a seed', async () => {
    const first = memory();
    const a = await openSeed(first, n => new Uint8Array(n).fill(0));
    equal(toHex(first.value!), toHex(encodeHsmSecret(ABANDON)));
    equal(toHex(a.secretData), toHex(mnemonicSeed(ABANDON)));
    const again = await openSeed(first, () => {
      throw new Error('must not create again');
    });
    equal(toHex(again.secretData), toHex(a.secretData));
    const restored = memory();
    equal(toHex((await openSeed(restored, () => new Uint8Array(16).fill(7), ABANDON)).secretData), toHex(a.secretData));
    equal(toHex(restored.value!), toHex(first.value!));
    const e = await openSeed(restored, () => new Uint8Array(16), ABANDON).catch((x: unknown) => x);
    ok(e instanceof HsmError && e.code === 'seed_exists', String(e));
  });

  it('bytes it cannot read are an error, never silently replaced', async () => {
    const broken = memory(new Uint8Array(20).fill(1));
    const e = await openSeed(broken, n => new Uint8Array(n)).catch((x: unknown) => x);
    ok(e instanceof HsmError && e.code === 'bad_secret', String(e));
    equal(toHex(broken.value!), '01'.repeat(20));
  });
});

describe('keys: BIP32, BIP84 and BIP86 vectors through our derivation', () => {
  it('BIP32 test vector 1', () => {
    const seed = fromHex('000102030405060708090a0b0c0d0e0f');
    const vectors: [string, string, string][] = [
      [
        'm',
        'xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8',
        'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi',
      ],
      [
        "m/0'",
        'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw',
        'xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7',
      ],
      [
        "m/0'/1/2'/2/1000000000",
        'xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy',
        'xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76',
      ],
    ];
    for (const [path, xpub, xprv] of vectors) {
      const k = deriveBip32(seed, path);
      equal(k.publicExtendedKey, xpub, path);
      equal(k.privateExtendedKey, xprv, path);
    }
  });

  it("BIP84 (abandon ... about): m/84'/0'/0'/0/k and /1/0 to P2WPKH addresses", () => {
    const seed = mnemonicSeed(ABANDON);
    const addr = (path: string) => address(walletScript(deriveBip32(seed, path).publicKey!, 'p2wpkh'));
    equal(toHex(deriveBip32(seed, "m/84'/0'/0'/0/0").publicKey!), '0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c');
    equal(addr("m/84'/0'/0'/0/0"), 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    equal(addr("m/84'/0'/0'/0/1"), 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
    equal(addr("m/84'/0'/0'/1/0"), 'bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el');
  });

  it("BIP86 (abandon ... about): the wallet's p2tr key k is m/86'/0'/0'/0/k, through hsmd's walletXpub", () => {
    const seed = mnemonicSeed(ABANDON);
    equal(
      deriveBip32(seed, "m/86'/0'/0'").publicExtendedKey,
      'xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ',
    );
    const chain = HDKey.fromExtendedKey(new Hsmd(seed).walletXpub('p2tr'));
    equal(chain.privateKey, null, 'walletXpub is public only');
    const at = (k: number, net = NETWORK) => address(walletScript(chain.deriveChild(k).publicKey!, 'p2tr'), net);
    equal(toHex(chain.deriveChild(0).publicKey!.subarray(1)), 'cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115');
    equal(at(0), 'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr');
    equal(at(1), 'bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh');
    equal(at(2), 'bc1p0d0rhyynq0awa9m8cqrcr8f5nxqx3aw29w4ru5u9my3h0sfygnzs9khxz8');
    // Core Lightning's regtest addresses for the same mnemonic (tests/test_wallet.py, keyidx 1..3).
    const bcrt = { ...TEST_NETWORK, bech32: 'bcrt' };
    equal(at(1, bcrt), 'bcrt1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0waslcutpz');
    equal(at(3, bcrt), 'bcrt1py0vryk8aqusz65yzuudypggvswzkcpwtau8q0sjm0stctwup0xlqv86kkk');
    // One index space, as Core Lightning's: the p2wpkh chain is the same chain.
    equal(new Hsmd(seed).walletXpub('p2wpkh'), chain.publicExtendedKey);
    equal(WALLET_CHAIN.mnemonic, "m/86'/0'/0'/0");
  });
});

/** The node key from the documented steps, with @noble's primitives only. */
function independentNodeId(secretData: Uint8Array): string {
  const k = hkdf(sha256, secretData.subarray(0, 32), new Uint8Array(4), utf8('nodeid'), 32);
  return toHex(secp256k1.getPublicKey(k, true));
}

describe('keys: the node id', () => {
  it('a fixed mnemonic → node id, computed independently from the documented steps', () => {
    // BIP39 by hand: PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" + passphrase, 2048, 64).
    const seed = pbkdf2(sha512, utf8(ABANDON.normalize('NFKD')), utf8('mnemonic'), { c: 2048, dkLen: 64 });
    const expected = independentNodeId(seed);
    equal(expected, '03653e90c1ce4660fd8505dd6d643356e93cfe202af109d382787639dd5890e87d');
    equal(toHex(new Hsmd(decodeHsmSecret(encodeHsmSecret(ABANDON)).secretData).nodeId()), expected);
  });

  it("gives Core Lightning's node ids for its test mnemonics (tests/test_misc.py, test_wallet.py)", () => {
    const cln: [string, string, string][] = [
      [
        'hockey enroll sure trip track rescue original plate abandon abandon abandon account',
        '',
        '038194b5f32bdf0aa59812c86c4ef7ad2f294104fa027d1ace9b469bb6f88cf37b',
      ],
      [
        'hockey enroll sure trip track rescue original play abandon abandon abandon achieve',
        '',
        '033845802d25b4e074ccfd7cd8b339a41dc75bf9978a034800444b51d42b07799a',
      ],
      [
        'hockey enroll sure trip track rescue original please abandon abandon abandon ability',
        '',
        '03cecbfdc68544cc596223b68ce0710c9e5d2c9cb317ee07822d95079acc703d31',
      ],
      [
        'hockey enroll sure trip track rescue original pledge abandon abandon abandon achieve',
        '',
        '02287bfac8b99b35477ebe9334eede1e32b189e24644eb701c079614712331cec0',
      ],
      [
        'ritual idle hat sunny universe pluck key alpha wing cake have wedding',
        'test_passphrase',
        '039020371fb803cd4ce1e9a909b502d7b0a9e0f10cccc35c3e9be959c52d3ba6bd',
      ],
    ];
    for (const [m, pass, id] of cln) equal(toHex(nodeIdOf(mnemonicSeed(m, pass))), id, m);
  });

  it('a legacy 32-byte secret is Core Lightning\'s legacy hsm_secret: HKDF(secret, "nodeid"), not the secret as a key', () => {
    const legacy = new Uint8Array(32).fill(0x11);
    const id = toHex(new Hsmd(legacy).nodeId());
    equal(id, independentNodeId(legacy));
    ok(id !== toHex(secp256k1.getPublicKey(legacy, true)));
  });
});

describe('keys: channel secrets and the legacy wallet', () => {
  it('channelSecrets(peer_id, dbid) as Core Lightning derives them, recomputed step by step', () => {
    const seed = mnemonicSeed(ABANDON);
    const peer = fromHex('02' + '11'.repeat(32));
    const dbid = 0x0102030405060708n;
    const base = hkdf(sha256, seed.subarray(0, 32), new Uint8Array(0), utf8('peer seed'), 32);
    const salt = concat(peer, fromHex('0807060504030201')); // dbid little-endian
    const channelSeed = hkdf(sha256, base, salt, utf8('per-peer seed'), 32);
    const keys = hkdf(sha256, channelSeed, new Uint8Array(0), utf8('c-lightning'), 192);
    const cut = (i: number) => toHex(keys.subarray(32 * i, 32 * i + 32));
    const s = channelSecrets(seed, peer, dbid);
    equal(toHex(s.funding_privkey), cut(0));
    equal(toHex(s.revocation_basepoint_secret), cut(1));
    equal(toHex(s.htlc_basepoint_secret), cut(2));
    equal(toHex(s.payment_basepoint_secret), cut(3));
    equal(toHex(s.delayed_payment_basepoint_secret), cut(4));
    equal(toHex(s.shachain_seed), cut(5));
    // Another dbid or peer: other secrets.
    ok(toHex(channelSecrets(seed, peer, dbid + 1n).funding_privkey) !== cut(0));
    ok(toHex(channelSecrets(seed, fromHex('03' + '11'.repeat(32)), dbid).funding_privkey) !== cut(0));
    throws(() => channelSecrets(seed, peer.subarray(1), dbid), HsmError, 'bad_request');
    throws(() => channelSecrets(seed, peer, -1n), HsmError, 'bad_request');
  });

  it('a legacy secret\'s wallet is Core Lightning\'s m/0/0/k under HKDF(secret, "bip32 seed")', () => {
    const legacy = new Uint8Array(32).fill(0x22);
    const bip32Seed = hkdf(sha256, legacy, new Uint8Array(4), utf8('bip32 seed'), 32);
    equal(walletChain(legacy).publicExtendedKey, HDKey.fromMasterSeed(bip32Seed).derive('m/0/0').publicExtendedKey);
    equal(new Hsmd(legacy).walletXpub('p2tr'), walletChain(legacy).publicExtendedKey);
  });

  it('refuses a root secret of another size', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) throws(() => new Hsmd(bad), HsmError, 'bad_secret');
  });
});
