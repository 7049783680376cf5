// BOLT 7 short_channel_id: 3 bytes block height, 3 bytes transaction index, 2 bytes output index,
// carried as a u64; printed as Core Lightning does, `BLOCKxTXxOUT`.
import { DecodeError, EncodeError } from '../base/errors.ts';

export interface ScidParts {
  block: number;
  txindex: number;
  outnum: number;
}

export function scidFromParts({ block, txindex, outnum }: ScidParts): bigint {
  if (block < 0 || block > 0xffffff || txindex < 0 || txindex > 0xffffff || outnum < 0 || outnum > 0xffff) {
    throw new EncodeError('scid_range', `short_channel_id part out of range: ${block}x${txindex}x${outnum}`);
  }
  return (BigInt(block) << 40n) | (BigInt(txindex) << 16n) | BigInt(outnum);
}

export function scidParts(scid: bigint): ScidParts {
  return {
    block: Number((scid >> 40n) & 0xffffffn),
    txindex: Number((scid >> 16n) & 0xffffffn),
    outnum: Number(scid & 0xffffn),
  };
}

export function formatScid(scid: bigint): string {
  const p = scidParts(scid);
  return `${p.block}x${p.txindex}x${p.outnum}`;
}

/** Parses `BLOCKxTXxOUT` (also LND's u64 decimal form). */
export function parseScid(s: string): bigint {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  if (m) return scidFromParts({ block: Number(m[1]), txindex: Number(m[2]), outnum: Number(m[3]) });
  if (/^\d+$/.test(s)) {
    const v = BigInt(s);
    if (v < 1n << 64n) return v;
  }
  throw new DecodeError('bad_scid', `not a short_channel_id: ${s.slice(0, 40)}`);
}
