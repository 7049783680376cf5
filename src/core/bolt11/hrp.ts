// BOLT 11 "Human-Readable Part": `ln` + a BIP-0173 currency prefix, then an optional amount in
// bitcoin with an optional multiplier letter.
import type { NetworkName } from '../net/address.ts';
import { Bolt11Error } from './errors.ts';

/** BOLT 11: `lnbc` mainnet, `lntb` testnet, `lntbs` signet, `lnbcrt` regtest. */
export const CURRENCIES = Object.freeze({
  bc: 'bitcoin',
  tb: 'testnet',
  tbs: 'signet',
  bcrt: 'regtest',
} as const satisfies Record<string, NetworkName>);

export type Currency = keyof typeof CURRENCIES;

/** BOLT 11: millisatoshi per unit of `amount` for each `multiplier` (1 BTC = 10^11 msat). */
const MULTIPLIERS = Object.freeze({
  '': 100_000_000_000n,
  m: 100_000_000n, // milli: 0.001
  u: 100_000n, // micro: 0.000001
  n: 100n, // nano: 0.000000001
  // pico (0.000000000001) is a tenth of a millisatoshi: handled apart.
});

const MAX_MSAT = (1n << 64n) - 1n;

export interface Hrp {
  currency: Currency;
  /** Absent when the invoice leaves the amount to the payer. */
  amountMsat?: bigint;
}

// Longest first, so `bcrt` is not read as `bc` + amount `rt`.
const BY_LENGTH = (Object.keys(CURRENCIES) as Currency[]).sort((a, b) => b.length - a.length);

export function parseHrp(hrp: string): Hrp {
  if (!hrp.startsWith('ln')) throw new Bolt11Error('unknown_prefix', `prefix does not start with ln: ${hrp.slice(0, 20)}`);
  const rest = hrp.slice(2);
  // BOLT 11 reader: "if it does NOT understand the `prefix`: MUST fail the payment."
  const currency = BY_LENGTH.find(c => rest.startsWith(c) && /^(\d.*)?$/.test(rest.slice(c.length)));
  if (!currency) throw new Bolt11Error('unknown_prefix', `unknown currency prefix in ${hrp.slice(0, 20)}`);
  const amount = rest.slice(currency.length);
  if (amount === '') return { currency };
  // BOLT 11 reader: "if `amount` contains a non-digit OR is followed by anything except a
  // `multiplier`: MUST fail the payment."
  const m = /^(\d+)([munp]?)$/.exec(amount);
  if (!m) throw new Bolt11Error('bad_amount', `amount is not digits and a multiplier: ${amount.slice(0, 30)}`);
  const digits = BigInt(m[1]!);
  const mult = m[2]!;
  let msat: bigint;
  if (mult === 'p') {
    // BOLT 11: "if multiplier is `p` and the last decimal of `amount` is not 0: MUST fail the payment."
    if (digits % 10n !== 0n) throw new Bolt11Error('sub_msat_amount', `pico amount ${m[1]} is not a whole millisatoshi`);
    msat = digits / 10n;
  } else {
    msat = digits * MULTIPLIERS[mult as keyof typeof MULTIPLIERS];
  }
  if (msat === 0n) throw new Bolt11Error('bad_amount', 'amount is zero');
  // An HTLC amount is a u64 of millisatoshi (BOLT 2 `update_add_htlc`): nothing larger is payable.
  if (msat > MAX_MSAT) throw new Bolt11Error('bad_amount', `amount ${msat} msat does not fit in 64 bits`);
  return { currency, amountMsat: msat };
}

/**
 * BOLT 11 writer: `amount` "as a positive decimal integer with no leading 0s", and "SHOULD use the
 * shortest representation possible, by using the largest multiplier or omitting the multiplier".
 */
export function formatHrp({ currency, amountMsat }: Hrp): string {
  if (!(currency in CURRENCIES)) throw new Bolt11Error('bad_invoice', `unknown currency ${String(currency)}`);
  if (amountMsat === undefined) return `ln${currency}`;
  if (amountMsat <= 0n || amountMsat > MAX_MSAT) throw new Bolt11Error('bad_invoice', `amount out of range: ${amountMsat}`);
  for (const [letter, unit] of Object.entries(MULTIPLIERS)) {
    if (amountMsat % unit === 0n) return `ln${currency}${amountMsat / unit}${letter}`;
  }
  // "If the `p` multiplier is used the last decimal of `amount` MUST be `0`."
  return `ln${currency}${amountMsat * 10n}p`;
}
