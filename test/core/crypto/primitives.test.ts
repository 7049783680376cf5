import {
  sha256,
  hkdf2,
  ecdh,
  getPublicKey,
  signDigest,
  verifyDigest,
  encryptWithAD,
  decryptWithAD,
} from '../../../src/core/crypto/primitives.ts';
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { NoiseError } from '../../../src/core/base/errors.ts';
import { equal, ok, throws } from '../../support/assert.ts';

describe('crypto', () => {
  it('sha256 of "abc" (FIPS 180-2 vector)', () => {
    equal(toHex(sha256(new TextEncoder().encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('BOLT 8 ECDH of the initiator ephemeral key and the responder static key', () => {
    // From BOLT 8's appendix: e.priv=0x12.., rs.pub=0x028d7500.., ss=0x1e2fb3c8..
    const e = fromHex('1212121212121212121212121212121212121212121212121212121212121212');
    const rs = fromHex('028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7');
    equal(toHex(ecdh(e, rs)), '1e2fb3c8fe8fb9f262f649f64d26ecf0f2c0a805a767cf02dc2d77a6ef1fdcc3');
  });
  it('HKDF splits into two keys (BOLT 8 act one: ck, temp_k1)', () => {
    const ck = fromHex('2640f52eebcd9e882958951c794250eedb28002c05d7dc2ea0f195406042caf1');
    const ss = fromHex('1e2fb3c8fe8fb9f262f649f64d26ecf0f2c0a805a767cf02dc2d77a6ef1fdcc3');
    const [a, b] = hkdf2(ck, ss);
    equal(toHex(a), 'b61ec1191326fa240decc9564369dbb3ae2b34341d1e11ad64ed89f89180582f');
    equal(toHex(b), 'e68f69b7f096d7917245f5e5cf8ae1595febe4d4644333c99f9c4a1282031c9f');
  });
  it('signs and verifies a digest; a flipped bit fails', () => {
    const k = fromHex('1111111111111111111111111111111111111111111111111111111111111111');
    const d = sha256(new Uint8Array([1, 2, 3]));
    const sig = signDigest(d, k);
    ok(verifyDigest(sig, d, getPublicKey(k)));
    sig[5]! ^= 1;
    ok(!verifyDigest(sig, d, getPublicKey(k)));
  });
  it('a wrong MAC is a typed NoiseError', () => {
    const k = new Uint8Array(32);
    const c = encryptWithAD(k, 0n, new Uint8Array(0), new Uint8Array([1, 2, 3]));
    c[0]! ^= 1;
    throws(() => decryptWithAD(k, 0n, new Uint8Array(0), c), NoiseError, 'bad_mac');
  });
});
