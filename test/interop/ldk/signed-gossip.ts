// Small hand-built, correctly signed BOLT 7 messages for tests of the harness (an LDK graph to fill
// without our own gossip codec). Layouts and signature rules: BOLT 7 `channel_announcement`,
// `node_announcement`, `channel_update`.
import { compare, concat, fromHex, u16be, u32be, u64be } from '../../../src/core/base/bytes.ts';
import { getPublicKey, sha256d, signDigest } from '../../../src/core/crypto/primitives.ts';

/** The regtest genesis hash as it appears in `chain_hash` fields. */
export const REGTEST_CHAIN_HASH = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');

export function makeScid(block: number, tx: number, output: number): bigint {
  return (BigInt(block) << 40n) | (BigInt(tx) << 16n) | BigInt(output);
}

export interface ChannelKeys {
  /** node secret keys of the two ends (any order: sorted by public key here). */
  nodeSecrets: [Uint8Array, Uint8Array];
  bitcoinSecrets: [Uint8Array, Uint8Array];
}

/**
 * BOLT 7 channel_announcement (type 256): four signatures over sha256d of everything after them;
 * node_id_1 is the lesser key; features empty.
 */
export function signedChannelAnnouncement(keys: ChannelKeys, scid: bigint, chainHash = REGTEST_CHAIN_HASH): Uint8Array {
  let [n1, n2] = keys.nodeSecrets;
  let [b1, b2] = keys.bitcoinSecrets;
  if (compare(getPublicKey(n1), getPublicKey(n2)) > 0) {
    [n1, n2] = [n2, n1];
    [b1, b2] = [b2, b1];
  }
  const body = concat(
    u16be(0), // len, features
    chainHash,
    u64be(scid),
    getPublicKey(n1),
    getPublicKey(n2),
    getPublicKey(b1),
    getPublicKey(b2),
  );
  const digest = sha256d(body);
  return concat(u16be(256), signDigest(digest, n1), signDigest(digest, n2), signDigest(digest, b1), signDigest(digest, b2), body);
}

export interface UpdateFields {
  scid: bigint;
  timestamp: number;
  /** 0: from node_id_1, 1: from node_id_2 (channel_flags bit 0). */
  direction: 0 | 1;
  disabled?: boolean;
  cltvExpiryDelta?: number;
  htlcMinimumMsat?: bigint;
  feeBaseMsat?: number;
  feeProportionalMillionths?: number;
  htlcMaximumMsat?: bigint;
  chainHash?: Uint8Array;
}

/** BOLT 7 channel_update (type 258), signed by `nodeSecret`; message_flags bit 0 (htlc_maximum_msat) set. */
export function signedChannelUpdate(nodeSecret: Uint8Array, f: UpdateFields): Uint8Array {
  const body = concat(
    f.chainHash ?? REGTEST_CHAIN_HASH,
    u64be(f.scid),
    u32be(f.timestamp),
    Uint8Array.of(1), // message_flags: must_be_one
    Uint8Array.of(f.direction | (f.disabled ? 2 : 0)), // channel_flags
    u16be(f.cltvExpiryDelta ?? 40),
    u64be(f.htlcMinimumMsat ?? 1000n),
    u32be(f.feeBaseMsat ?? 1000),
    u32be(f.feeProportionalMillionths ?? 10),
    u64be(f.htlcMaximumMsat ?? 100_000_000n),
  );
  return concat(u16be(258), signDigest(sha256d(body), nodeSecret), body);
}

/** BOLT 7 node_announcement (type 257), no features, no addresses. */
export function signedNodeAnnouncement(nodeSecret: Uint8Array, timestamp: number, alias: string, rgb = Uint8Array.of(1, 2, 3)): Uint8Array {
  const aliasBytes = new Uint8Array(32);
  aliasBytes.set(new TextEncoder().encode(alias).subarray(0, 32));
  const body = concat(u16be(0), u32be(timestamp), getPublicKey(nodeSecret), rgb, aliasBytes, u16be(0));
  return concat(u16be(257), signDigest(sha256d(body), nodeSecret), body);
}

/** The node id that ends up as node_id_1 / node_id_2 for these keys. */
export function sortedNodeSecrets(keys: ChannelKeys): [Uint8Array, Uint8Array] {
  const [a, b] = keys.nodeSecrets;
  return compare(getPublicKey(a), getPublicKey(b)) <= 0 ? [a, b] : [b, a];
}
