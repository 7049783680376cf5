// The node secret: how it is made and what a valid one is. Storing and loading it is the runtime's
// job (a file in Node, IndexedDB in a browser, Durable Object storage on the edge); it hands the
// bytes to `new Hsmd(secret)` and nothing else ever sees them.
import { isValidSecretKey } from '../../crypto/primitives.ts';
import { BoltError } from '../../base/errors.ts';

/** A refusal by hsmd: a bad secret, a capability it does not have, a request it will not sign. */
export class HsmError extends BoltError {}

export const NODE_SECRET_SIZE = 32;

/**
 * Checks that `secret` can be a node secret: 32 bytes, a secp256k1 scalar in [1, n-1]. The error
 * never quotes the bytes.
 */
export function checkNodeSecret(secret: unknown): asserts secret is Uint8Array {
  if (!(secret instanceof Uint8Array)) throw new HsmError('bad_secret', 'the node secret must be a Uint8Array');
  if (secret.length !== NODE_SECRET_SIZE) {
    throw new HsmError('bad_secret', `the node secret must be ${NODE_SECRET_SIZE} bytes, got ${secret.length}`);
  }
  if (!isValidSecretKey(secret)) throw new HsmError('bad_secret', 'the node secret is not a valid secp256k1 secret key');
}

/** The same check as a boolean, for loaders that pass a validity test (src/node/hsm-secret.ts). */
export function isValidNodeSecret(secret: unknown): secret is Uint8Array {
  return secret instanceof Uint8Array && secret.length === NODE_SECRET_SIZE && isValidSecretKey(secret);
}

/**
 * A fresh node secret from `random` (a CSPRNG the runtime injects: `crypto.getRandomValues`).
 * 32 random bytes are a valid key except with probability about 2^-128; a source that keeps
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
