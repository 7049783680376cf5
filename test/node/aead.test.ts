// BOLT 8's transport vectors and framing with Node's engines (src/node/aead.ts): the built-in
// cipher alone, what connectd uses (ours below 1 KiB, the built-in above), and across engines.
import { nodeCryptoAead, nodeTransportAead } from '../../src/node/aead.ts';
import { nobleAead } from '../../src/core/crypto/aead.ts';
import { transportSuite } from '../support/noise-transport-suite.ts';
import { equal } from '../support/assert.ts';

transportSuite("Node's built-in cipher", nodeCryptoAead);
transportSuite('nodeTransportAead', nodeTransportAead);
transportSuite('sealed by Node, opened by noble', nodeCryptoAead, nobleAead);
transportSuite('sealed by noble, opened by Node', nobleAead, nodeCryptoAead);

describe("Node's built-in ChaCha20-Poly1305", () => {
  it('refuses a short input and a bad tag without writing out', () => {
    const key = new Uint8Array(32).fill(9);
    const nonce = new Uint8Array(12);
    const sealed = new Uint8Array(5 + 16);
    nodeCryptoAead.seal(key, nonce, new Uint8Array([1, 2, 3, 4, 5]), sealed);
    equal(nodeCryptoAead.open(key, nonce, sealed.subarray(0, 15), new Uint8Array(0)), false);
    sealed[20]! ^= 1;
    const out = new Uint8Array(5).fill(0xaa);
    equal(nodeCryptoAead.open(key, nonce, sealed, out), false);
    equal(
      out.every(b => b === 0xaa),
      true,
    );
  });
});
