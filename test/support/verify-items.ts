// Deterministic signature-check items for the verify engines and pools, valid and deliberately
// broken in every way BOLT 1/7 signatures can be (compact 64-byte, low-S, 33-byte compressed key),
// each labelled with the verdict every engine must give.
import { concat, fromHex, u32be } from '../../src/core/base/bytes.ts';
import { getPublicKey, isValidPublicKey, sha256, signDigest } from '../../src/core/crypto/primitives.ts';
import { highSTwin } from '../../src/core/crypto/verify-engines.ts';
import type { VerifyItem } from '../../src/core/gossip/verify-pool.ts';

export interface LabelledItem extends VerifyItem {
  valid: boolean;
  kind: string;
}

const enc = new TextEncoder();
const N_BYTES = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

const KINDS = [
  'valid',
  'valid',
  'valid',
  'valid',
  'valid',
  'valid',
  'flipped_sig_bit',
  'flipped_digest_bit',
  'wrong_key',
  'high_s',
  'off_curve_pub',
  'bad_prefix_pub',
  'pub_x_ge_p',
  'zero_r',
  'zero_s',
  'overflow_r_or_s',
  'zero_sig',
  'flipped_parity_pub',
] as const;

function tagged(tag: string, i: number): Uint8Array {
  return sha256(concat(enc.encode(tag), u32be(i)));
}

/** `count` items cycling through KINDS; keys are reused (32 of them) to keep generation quick. */
export function mixedItems(count = 2000): LabelledItem[] {
  const secrets = Array.from({ length: 32 }, (_, i) => tagged('verify-items key', i));
  const pubs = secrets.map(s => getPublicKey(s));
  const out: LabelledItem[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const k = i % secrets.length;
    // One valid item in a hundred signs the all-zero digest.
    const digest = i % 100 === 0 ? new Uint8Array(32) : tagged('verify-items digest', i);
    const sig = signDigest(digest, secrets[k]!);
    const pub = pubs[k]!;
    out.push({ ...broken(kind, i, sig, digest, pub, pubs[(k + 1) % pubs.length]!), valid: kind === 'valid', kind });
  }
  return out;
}

function broken(kind: string, i: number, sig: Uint8Array, digest: Uint8Array, pub: Uint8Array, otherPub: Uint8Array): VerifyItem {
  const s = sig.slice();
  const d = digest.slice();
  const p = pub.slice();
  switch (kind) {
    case 'valid':
      return { sig: s, digest: d, pub: p };
    case 'flipped_sig_bit':
      s[(i * 7) % 64]! ^= 1 << (i % 8);
      return { sig: s, digest: d, pub: p };
    case 'flipped_digest_bit':
      d[(i * 5) % 32]! ^= 1 << (i % 8);
      return { sig: s, digest: d, pub: p };
    case 'wrong_key':
      return { sig: s, digest: d, pub: otherPub.slice() };
    case 'high_s':
      return { sig: highSTwin(s), digest: d, pub: p };
    case 'off_curve_pub': {
      // Walk x upwards until it is not on the curve (about half of all x are not).
      for (let j = 0; ; j++) {
        p[32] = (p[32]! + 1) & 0xff;
        if (!isValidPublicKey(p)) return { sig: s, digest: d, pub: p };
        if (j > 255) throw new Error('no off-curve x found');
      }
    }
    case 'bad_prefix_pub':
      p[0] = [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff][i % 7]!;
      return { sig: s, digest: d, pub: p };
    case 'pub_x_ge_p':
      p.fill(0xff, 1);
      p[0] = 0x02 + (i % 2);
      return { sig: s, digest: d, pub: p };
    case 'zero_r':
      s.fill(0, 0, 32);
      return { sig: s, digest: d, pub: p };
    case 'zero_s':
      s.fill(0, 32, 64);
      return { sig: s, digest: d, pub: p };
    case 'overflow_r_or_s':
      // r or s equal to the group order n, or all ones: not below n.
      if (i % 3 === 0) s.set(N_BYTES, 0);
      else if (i % 3 === 1) s.set(N_BYTES, 32);
      else s.fill(0xff, 0, 32);
      return { sig: s, digest: d, pub: p };
    case 'zero_sig':
      return { sig: new Uint8Array(64), digest: d, pub: p };
    case 'flipped_parity_pub':
      p[0] = p[0] === 0x02 ? 0x03 : 0x02;
      return { sig: s, digest: d, pub: p };
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

/** The verdicts every engine must give for `items`. */
export function expectedVerdicts(items: readonly LabelledItem[]): Uint8Array {
  return Uint8Array.from(items, it => (it.valid ? 1 : 0));
}

/** The first index where `got` differs from the labels, with its kind, for a readable failure. */
export function firstMismatch(items: readonly LabelledItem[], got: Uint8Array): string | undefined {
  if (got.length !== items.length) return `length ${got.length}, want ${items.length}`;
  for (let i = 0; i < items.length; i++) {
    if (got[i] !== (items[i]!.valid ? 1 : 0)) return `item ${i} (${items[i]!.kind}): got ${got[i]}`;
  }
  return undefined;
}
