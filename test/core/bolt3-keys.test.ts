// BOLT 3 keys: Appendix D (per-commitment secret generation and compact storage) and Appendix E
// (key derivation), read from test/core/bolt3/appendix-*.ts, transcribed from the spec.
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import {
  Bolt3Error,
  FIRST_SECRET_INDEX,
  Shachain,
  commitmentSecret,
  derivePrivkey,
  derivePubkey,
  generateFromSeed,
  perCommitmentPoint,
  revocationPrivkey,
  revocationPubkey,
  whereToPutSecret,
} from '../../src/core/bolt3/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { generation, storage } from './bolt3/appendix-d.ts';
import { appendixE as E } from './bolt3/appendix-e.ts';

const hex = (s: string): Uint8Array => fromHex(s.replace(/^0x/, '').toLowerCase());

describe('BOLT 3 Appendix D: per-commitment secret generation', () => {
  for (const v of generation) {
    it(v.name, () => {
      equal(toHex(generateFromSeed(hex(v.seed), BigInt(v.I))), toHex(hex(v.output)));
    });
  }

  it('the first secret used is index 2^48 - 1, then the index decrements', () => {
    const seed = hex(generation[1]!.seed);
    equal(toHex(commitmentSecret(seed, 0n)), toHex(hex(generation[1]!.output)));
    equal(toHex(commitmentSecret(seed, 1n)), toHex(generateFromSeed(seed, FIRST_SECRET_INDEX - 1n)));
  });

  it('refuses an index beyond 48 bits and a seed of the wrong length', () => {
    throws(() => generateFromSeed(new Uint8Array(32), 1n << 48n), Bolt3Error, 'bad_index');
    throws(() => generateFromSeed(new Uint8Array(32), -1n), Bolt3Error, 'bad_index');
    throws(() => generateFromSeed(new Uint8Array(31), 0n), Bolt3Error, 'bad_secret');
  });
});

describe('BOLT 3 Appendix D: per-commitment secret storage', () => {
  for (const v of storage) {
    it(v.name, () => {
      const chain = new Shachain();
      const inserted: { index: bigint; secret: string }[] = [];
      for (const step of v.steps) {
        const index = BigInt(step.I);
        if (step.output === 'OK') {
          chain.insert(index, hex(step.secret));
          inserted.push({ index, secret: toHex(hex(step.secret)) });
        } else {
          equal(step.output, 'ERROR');
          throws(() => chain.insert(index, hex(step.secret)), Bolt3Error, 'bad_secret');
          // A refused secret changes nothing: the same index is still the one expected.
          equal(chain.nextIndex, index);
        }
      }
      // Every secret accepted is still derivable from the compact store.
      for (const s of inserted) equal(toHex(chain.derive(s.index)), s.secret, `derive ${s.index}`);
    });
  }

  it('derives every received secret of a long run from at most 49 entries, and refuses ones not yet received', () => {
    const seed = hex(generation[1]!.seed);
    const chain = new Shachain();
    const n = 300n;
    for (let i = 0n; i < n; i++) chain.insert(FIRST_SECRET_INDEX - i, commitmentSecret(seed, i));
    ok(chain.entries().length <= 49);
    for (let i = 0n; i < n; i++) equal(toHex(chain.derive(FIRST_SECRET_INDEX - i)), toHex(commitmentSecret(seed, i)));
    throws(() => chain.derive(FIRST_SECRET_INDEX - n), Bolt3Error, 'unknown_secret');
    throws(() => chain.derive(0n), Bolt3Error, 'unknown_secret');
    // Rebuilt from its entries, the store derives the same and expects the same next index.
    const again = Shachain.from(chain.entries());
    equal(again.nextIndex, FIRST_SECRET_INDEX - n);
    equal(toHex(again.derive(FIRST_SECRET_INDEX - 77n)), toHex(commitmentSecret(seed, 77n)));
    again.insert(FIRST_SECRET_INDEX - n, commitmentSecret(seed, n));
  });

  it('refuses secrets out of order', () => {
    const seed = hex(generation[1]!.seed);
    const chain = new Shachain();
    throws(() => chain.insert(FIRST_SECRET_INDEX - 1n, commitmentSecret(seed, 1n)), Bolt3Error, 'bad_index');
    chain.insert(FIRST_SECRET_INDEX, commitmentSecret(seed, 0n));
    throws(() => chain.insert(FIRST_SECRET_INDEX, commitmentSecret(seed, 0n)), Bolt3Error, 'bad_index');
    throws(() => chain.insert(FIRST_SECRET_INDEX - 2n, commitmentSecret(seed, 2n)), Bolt3Error, 'bad_index');
  });

  it('where_to_put_secret counts trailing zeros (48 for the seed)', () => {
    deepEqual([1n, 2n, 8n, 0xfffffffffff0n, 1n << 47n, 0n].map(whereToPutSecret), [0, 1, 3, 4, 47, 48]);
  });
});

describe('BOLT 3 Appendix E: key derivation', () => {
  const baseSecret = hex(E.base_secret);
  const pcSecret = hex(E.per_commitment_secret);

  it('the base point and per_commitment_point from their secrets', () => {
    equal(toHex(perCommitmentPoint(baseSecret)), toHex(hex(E.base_point)));
    equal(toHex(perCommitmentPoint(pcSecret)), toHex(hex(E.per_commitment_point)));
  });

  it('derivation of pubkey from basepoint and per_commitment_point', () => {
    equal(toHex(derivePubkey(hex(E.base_point), hex(E.per_commitment_point))), toHex(hex(E.localpubkey)));
  });

  it('derivation of private key from basepoint secret and per_commitment_secret', () => {
    const priv = derivePrivkey(baseSecret, hex(E.per_commitment_point));
    equal(toHex(priv), toHex(hex(E.localprivkey)));
    equal(toHex(perCommitmentPoint(priv)), toHex(hex(E.localpubkey)));
  });

  it('derivation of revocation pubkey from basepoint and per_commitment_point', () => {
    equal(toHex(revocationPubkey(hex(E.base_point), hex(E.per_commitment_point))), toHex(hex(E.revocationpubkey)));
  });

  it('derivation of revocation secret from basepoint_secret and per_commitment_secret', () => {
    const priv = revocationPrivkey(baseSecret, pcSecret);
    equal(toHex(priv), toHex(hex(E.revocationprivkey)));
    equal(toHex(perCommitmentPoint(priv)), toHex(hex(E.revocationpubkey)));
  });

  it('refuses keys that are not points and secrets out of range', () => {
    const bad = hex(E.base_point);
    bad[0] = 0x04;
    throws(() => derivePubkey(bad, hex(E.per_commitment_point)), Bolt3Error, 'bad_point');
    throws(() => revocationPubkey(hex(E.base_point), bad.subarray(0, 32)), Bolt3Error, 'bad_point');
    throws(() => revocationPrivkey(new Uint8Array(32), pcSecret), Bolt3Error, 'bad_scalar');
    throws(() => perCommitmentPoint(new Uint8Array(32).fill(0xff)), Bolt3Error, 'bad_scalar');
  });
});
