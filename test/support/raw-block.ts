// Raw Bitcoin blocks for tests of the block parser and the spend follower (src/core/chain/): real
// header hashes (double SHA-256), legacy and BIP 144 segwit transactions spending given outpoints.
import { concat, fromHex, toHex, u32be } from '../../src/core/base/bytes.ts';
import { sha256, sha256d } from '../../src/core/crypto/primitives.ts';

export interface TxIn {
  /** Display order (as Esplora prints it). */
  txid: string;
  vout: number;
}

export const le32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
const le64 = (n: number) => concat(le32(n % 2 ** 32), le32(Math.floor(n / 2 ** 32)));
const reversed = (hex: string) => fromHex(hex).reverse();

/** Bitcoin CompactSize, for the small counts tests use. */
export function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  return Uint8Array.of(0xfd, n & 0xff, n >> 8);
}

/** A transaction spending `inputs`, with two P2WPKH outputs; BIP 144 serialization when `segwit`. */
export function rawTx(inputs: TxIn[], segwit: boolean, coinbaseHeight?: number): Uint8Array {
  const parts: Uint8Array[] = [le32(2)];
  if (segwit) parts.push(Uint8Array.of(0, 1));
  parts.push(varint(inputs.length));
  for (const i of inputs) {
    const scriptSig =
      coinbaseHeight !== undefined
        ? concat(Uint8Array.of(3), le32(coinbaseHeight).subarray(0, 3))
        : segwit
          ? new Uint8Array(0)
          : new Uint8Array(106).fill(0x51);
    parts.push(reversed(i.txid), le32(i.vout), varint(scriptSig.length), scriptSig, le32(0xfffffffd));
  }
  parts.push(varint(2));
  for (let o = 0; o < 2; o++) parts.push(le64(50_000 + o), varint(22), Uint8Array.of(0, 20), new Uint8Array(20).fill(o + 1));
  if (segwit)
    for (const _ of inputs) parts.push(varint(2), varint(71), new Uint8Array(71).fill(0x30), varint(33), new Uint8Array(33).fill(0x02));
  parts.push(le32(0));
  return concat(...parts);
}

const COINBASE_IN: TxIn = { txid: '00'.repeat(32), vout: 0xffffffff };

/** A block after `prevHash` (display order) at `height`: a segwit coinbase, then `txs`. `salt` makes a different block at the same place. */
export function rawBlock(prevHash: string, height: number, txs: Uint8Array[], salt = 0): { hash: string; raw: Uint8Array } {
  const header = concat(
    le32(0x20000000),
    reversed(prevHash),
    sha256(concat(u32be(height), u32be(salt))),
    le32(1_700_000_000 + height),
    le32(0x207fffff),
    le32(height),
  );
  const raw = concat(header, varint(txs.length + 1), rawTx([COINBASE_IN], true, height), ...txs);
  return { hash: toHex(sha256d(header).reverse()), raw };
}
