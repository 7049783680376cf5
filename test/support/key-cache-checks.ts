// Checks of a libsecp256k1 engine's key cache (crypto-verify.ts, point-cache.ts) shared by the Node
// and Chromium tests: the 65-byte path gives the 33-byte path's verdicts, a cached key never stands
// for another, and eviction changes nothing but speed.
import { equal } from './assert.ts';
import type { VerifyEngine } from '../../src/core/crypto/verify-engines.ts';
import type { VerifyPool } from '../../src/core/gossip/verify-pool.ts';
import { firstMismatch, type LabelledItem } from './verify-items.ts';

function verdicts(engine: VerifyEngine, list: readonly LabelledItem[], keyReused: boolean): Uint8Array {
  return Uint8Array.from(list, it => (engine.verify(it.sig, it.digest, it.pub, keyReused) ? 1 : 0));
}

/**
 * `make(keyCache)` instantiates the engine under test with that many cache entries. Runs `items`
 * (mixedItems: 32 keys, every broken kind) through a large cache twice (fill, then hit), through a
 * 3-entry cache (constant eviction), and checks a cached key against its parity twin and its
 * neighbours.
 */
export async function checkKeyCache(make: (keyCache: number) => Promise<VerifyEngine>, items: readonly LabelledItem[]): Promise<void> {
  const big = await make(1024);
  equal(firstMismatch(items, verdicts(big, items, true)), undefined, 'key cache, first pass');
  equal(firstMismatch(items, verdicts(big, items, true)), undefined, 'key cache, second pass (hits)');
  equal(firstMismatch(items, verdicts(big, items, false)), undefined, 'no hint: 33-byte path');
  const tiny = await make(3);
  for (let round = 0; round < 2; round++)
    equal(firstMismatch(items, verdicts(tiny, items, true)), undefined, `3-entry cache, round ${round}`);

  // A key whose point is cached must not make its parity twin (the negated point, same x) or any
  // other key verify that key's signature, before or after the twin is cached too.
  // (Not over the all-zero digest: with z = 0 a signature by P is also one by -P, whatever the cache.)
  const valid = items.filter(i => i.kind === 'valid' && i.digest.some(b => b !== 0));
  for (const engine of [big, tiny]) {
    for (const v of valid.slice(0, 8)) {
      equal(engine.verify(v.sig, v.digest, v.pub, true), true, 'valid, cached');
      const twin = v.pub.slice();
      twin[0] = twin[0] === 0x02 ? 0x03 : 0x02;
      for (let i = 0; i < 2; i++) equal(engine.verify(v.sig, v.digest, twin, true), false, 'parity twin of a cached key');
      const other = valid.find(w => w.pub.some((b, j) => b !== v.pub[j]))!;
      equal(engine.verify(v.sig, v.digest, other.pub, true), false, 'another cached key');
      equal(engine.verify(v.sig, v.digest, v.pub, true), true, 'still valid after its twin was seen');
    }
  }
}

/**
 * Runs `items` through a pool twice with field hints: 1 in 3 as bitcoin_signature_1 (no cache), the
 * rest as node_signature_1 (cached), so a small cache both fills and evicts; every verdict must hold.
 */
export async function checkPoolWithHints(pool: VerifyPool, items: readonly LabelledItem[]): Promise<void> {
  equal(await pool.engine(), 'libsecp256k1');
  const tagged = items.map((it, i) => ({ ...it, field: i % 3 === 0 ? 'bitcoin_signature_1' : 'node_signature_1' }));
  for (let round = 0; round < 2; round++) equal(firstMismatch(items, await pool.verifyBatch(tagged)), undefined, `round ${round}`);
}
