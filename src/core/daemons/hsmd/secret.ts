// hsmd's error, and a random legacy root secret. A new node's root is a BIP39 mnemonic
// (src/core/keys/seed.ts); storing and loading it is the runtime's job (a file in Node, IndexedDB in
// a browser, Durable Object storage on the edge), done inside hsmd's own worker or part, which hands
// the bytes to `new Hsmd(secretData)`; nothing else ever sees them.
import { isValidSecretKey } from '../../crypto/primitives.ts';
import { BoltError } from '../../base/errors.ts';

/** A refusal by hsmd: a bad secret, a capability it does not have, a request it will not sign. */
export class HsmError extends BoltError {}

const NODE_SECRET_SIZE = 32;

/**
 * A fresh legacy 32-byte root secret from `random` (a CSPRNG), for tests that need a throwaway
 * node; a real node starts from a mnemonic (src/core/keys/seed.ts). 32 random bytes are a valid key except with probability about 2^-128; a source that keeps
 * giving invalid ones is broken, and we say so rather than loop forever.
 */
export function createNodeSecret(random: (n: number) => Uint8Array): Uint8Array {
  for (let tries = 0; tries < 16; tries++) {
    const r = random(NODE_SECRET_SIZE);
    if (!(r instanceof Uint8Array) || r.length !== NODE_SECRET_SIZE) {
      throw new HsmError('bad_random', `the random source must return ${NODE_SECRET_SIZE} bytes`);
    }
    if (isValidSecretKey(r)) return r.slice();
  }
  throw new HsmError('bad_random', 'the random source gave no valid secret key in 16 tries');
}
