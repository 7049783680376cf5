// BOLT 7 `channel_update_checksums`: "the CRC32C checksum as specified in RFC3720 of this
// channel_update without its signature and timestamp fields", for reply_channel_range's
// checksums_tlv (gossip_queries_ex).
import { DecodeError } from '../errors.ts';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; // Castagnoli, reflected
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (RFC 3720 Appendix B.4), continuing from `crc` (0 to start). */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The checksum of a raw channel_update (2-byte type included): chain_hash and short_channel_id,
 * then everything after timestamp (as Core Lightning's get_cupdate_parts cuts it).
 */
export function channelUpdateChecksum(raw: Uint8Array): number {
  const sigEnd = 2 + 64;
  const tsAt = sigEnd + 32 + 8;
  if (raw.length <= tsAt + 4) throw new DecodeError('short_read', 'channel_update too short for a checksum');
  return crc32c(raw.subarray(tsAt + 4), crc32c(raw.subarray(sigEnd, tsAt)));
}
