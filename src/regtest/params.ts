// Bitcoin Core's regtest parameters (src/kernel/chainparams.cpp, CRegTestParams) and the mempool
// policy defaults the chain applies (src/policy/policy.h), in one place.

/** Bech32 prefix and base58 version bytes of regtest addresses (btc-signer's network shape). */
export const REGTEST_NETWORK = Object.freeze({ bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef });

/** regtest's proof-of-work limit in compact form: any hash below 0x7fffff << 232 (about one in two). */
export const REGTEST_BITS = 0x207fffff;
/** The block subsidy halves every 150 blocks on regtest (nSubsidyHalvingInterval). */
export const HALVING_INTERVAL = 150;
export const COIN = 100_000_000n;
/** A coinbase output is spendable 100 blocks after its own (COINBASE_MATURITY). */
export const COINBASE_MATURITY = 100;
/** Median time past looks at the last 11 blocks (BIP 113). */
export const MTP_SPAN = 11;
/** The block weight limit (BIP 141 MAX_BLOCK_WEIGHT). */
export const MAX_BLOCK_WEIGHT = 4_000_000;

/** Minimum relay fee: 1 sat/vB (DEFAULT_MIN_RELAY_TX_FEE, 1000 sat/kvB). */
export const MIN_RELAY_SAT_PER_KVB = 1000n;
/** Dust is judged at 3 sat/vB (DUST_RELAY_TX_FEE, 3000 sat/kvB). */
export const DUST_RELAY_SAT_PER_KVB = 3000n;
/** A transaction whose non-witness size is below 65 bytes is refused (MIN_STANDARD_TX_NONWITNESS_SIZE). */
export const MIN_STANDARD_TX_NONWITNESS_SIZE = 65;
/** Standard transactions weigh at most 400,000 (MAX_STANDARD_TX_WEIGHT). */
export const MAX_STANDARD_TX_WEIGHT = 400_000;
/** OP_RETURN outputs carry at most 83 bytes of script (MAX_OP_RETURN_RELAY). */
export const MAX_OP_RETURN_RELAY = 83;

/** nLockTime below this is a height, at or above a UNIX time (LOCKTIME_THRESHOLD). */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** BIP 68 sequence bits. */
export const SEQUENCE_FINAL = 0xffffffff;
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 0x00400000;
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
export const SEQUENCE_LOCKTIME_GRANULARITY = 9;

/** The regtest genesis block: its header fields and its one (unspendable) coinbase transaction. */
export const GENESIS = Object.freeze({
  hash: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
  version: 1,
  time: 1296688602,
  bits: REGTEST_BITS,
  nonce: 2,
  coinbaseHex:
    '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000',
});

/** The block subsidy at `height` in satoshis (GetBlockSubsidy). */
export function blockSubsidy(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  return halvings >= 64 ? 0n : (50n * COIN) >> BigInt(halvings);
}
