// BOLT 4 "Returning Errors", `attribution_data` (option_attribution_data): beside the error
// packet (and in update_fulfill_htlc), each node on the way back puts its HTLC hold time and 20
// truncated HMACs (one per position it could hold in the route) over the packet, the hold times
// and the HMACs of the nodes after it; the origin checks each hop's HMAC at its position, so a
// node that garbles a failure is found, and reads every hop's hold time.
import { concat } from '../base/bytes.ts';
import { hmacSha256 } from '../crypto/primitives.ts';
import { generateCipherStream, generateKey, xor } from './crypto.ts';
import { obfuscateError } from './error-onion.ts';
import { OnionError } from './errors.ts';

/** "the maximum supported number of hops in a route (20)". */
export const ATTRIBUTION_MAX_HOPS = 20;
const HOLD_TIME_LEN = 4;
const HMAC_LEN = 4;
/** 20 + 19 + ... + 1 = 210 HMACs. */
const HMAC_COUNT = (ATTRIBUTION_MAX_HOPS * (ATTRIBUTION_MAX_HOPS + 1)) / 2;
const HOLD_TIMES_LEN = ATTRIBUTION_MAX_HOPS * HOLD_TIME_LEN;
/** [20*u32:htlc_hold_times][210*4*byte:truncated_hmacs] (BOLT 2). */
export const ATTRIBUTION_DATA_LEN = HOLD_TIMES_LEN + HMAC_COUNT * HMAC_LEN;

/**
 * Where `hmac_x_y` sits: node x's block follows those of nodes 0..x-1 (20, 19, ... HMACs each), and
 * inside it the HMACs run from the farthest position down to y = 0 ("hmac_0_2 | hmac_0_1 | hmac_0_0 | hmac_1_1 | ...").
 */
function hmacOffset(x: number, y: number): number {
  const start = x * ATTRIBUTION_MAX_HOPS - (x * (x - 1)) / 2;
  return HOLD_TIMES_LEN + (start + (ATTRIBUTION_MAX_HOPS - 1 - x - y)) * HMAC_LEN;
}

/** hmac_0_y of the node handling the data: over the packet, the first y+1 hold times and the y downstream HMACs it covers. */
function hmacAt(um: Uint8Array, packet: Uint8Array, data: Uint8Array, y: number): Uint8Array {
  const downstream: Uint8Array[] = [];
  for (let k = 1; k <= y; k++) downstream.push(data.subarray(hmacOffset(k, y - k), hmacOffset(k, y - k) + HMAC_LEN));
  return hmacSha256(um, concat(packet, data.subarray(0, (y + 1) * HOLD_TIME_LEN), ...downstream)).subarray(0, HMAC_LEN);
}

/** The `ammagext` stream over the attribution data (each node's last step, the origin's first). */
function obfuscate(sharedSecret: Uint8Array, data: Uint8Array): Uint8Array {
  return xor(data, generateCipherStream(generateKey('ammagext', sharedSecret), ATTRIBUTION_DATA_LEN));
}

/**
 * One node's step, the erring node's (`received` absent: "instantiate an all-zeroes
 * `attribution_data` block") or a node on the way back: shift the hold times right by one and the
 * HMACs back by one position (the left-most of each node pruned), put its own hold time (units of
 * 100 ms) and its 20 HMACs first, then obfuscate with `ammagext`. `packet` is the return packet
 * before this node's `ammag` stream (empty for update_fulfill_htlc).
 */
export function addAttribution(sharedSecret: Uint8Array, packet: Uint8Array, holdTime: number, received?: Uint8Array): Uint8Array {
  if (received && received.length !== ATTRIBUTION_DATA_LEN)
    throw new OnionError('bad_attribution_data', `attribution_data of ${received.length} bytes`);
  const data = new Uint8Array(ATTRIBUTION_DATA_LEN);
  if (received) {
    data.set(received.subarray(0, HOLD_TIMES_LEN - HOLD_TIME_LEN), HOLD_TIME_LEN);
    for (let x = 0; x < ATTRIBUTION_MAX_HOPS - 1; x++)
      for (let y = 0; y <= ATTRIBUTION_MAX_HOPS - 2 - x; y++)
        data.set(received.subarray(hmacOffset(x, y), hmacOffset(x, y) + HMAC_LEN), hmacOffset(x + 1, y));
  }
  new DataView(data.buffer).setUint32(0, holdTime >>> 0);
  const um = generateKey('um', sharedSecret);
  for (let y = 0; y < ATTRIBUTION_MAX_HOPS; y++) data.set(hmacAt(um, packet, data, y), hmacOffset(0, y));
  return obfuscate(sharedSecret, data);
}

export interface Attribution {
  /** Each hop's hold time (units of 100 ms), from the first, as far as the HMACs checked out. */
  holdTimes: number[];
  /** The hop whose HMAC did not match (absent: every hop's matched): it or the hop before garbled the failure. */
  badHop?: number;
}

/**
 * At the origin: layer by layer, each hop's `ammagext` removed and its HMAC at its position (the
 * number of hops after it, counted to the last of `sharedSecrets`, the erring or final node) checked.
 * `packets[i]`: the return packet as hop i made its HMACs (before its `ammag`); empty for a fulfil.
 */
export function checkAttribution(
  sharedSecrets: readonly Uint8Array[],
  packets: readonly Uint8Array[],
  attribution: Uint8Array,
): Attribution {
  if (attribution.length !== ATTRIBUTION_DATA_LEN)
    throw new OnionError('bad_attribution_data', `attribution_data of ${attribution.length} bytes`);
  const n = Math.min(sharedSecrets.length, ATTRIBUTION_MAX_HOPS);
  const holdTimes: number[] = [];
  let data = attribution;
  for (let i = 0; i < n; i++) {
    data = obfuscate(sharedSecrets[i]!, data);
    const y = n - 1 - i;
    const want = hmacAt(generateKey('um', sharedSecrets[i]!), packets[i] ?? new Uint8Array(0), data, y);
    const got = data.subarray(hmacOffset(0, y), hmacOffset(0, y) + HMAC_LEN);
    let d = 0;
    for (let k = 0; k < HMAC_LEN; k++) d |= want[k]! ^ got[k]!;
    if (d !== 0) return { holdTimes, badHop: i };
    holdTimes.push(new DataView(data.buffer, data.byteOffset).getUint32(0));
    // What hop i received from hop i+1: its own hold time and HMACs out, the rest shifted forward.
    const next = new Uint8Array(ATTRIBUTION_DATA_LEN);
    next.set(data.subarray(HOLD_TIME_LEN, HOLD_TIMES_LEN), 0);
    for (let x = 1; x < ATTRIBUTION_MAX_HOPS; x++)
      for (let yy = 0; yy <= ATTRIBUTION_MAX_HOPS - 1 - x; yy++)
        next.set(data.subarray(hmacOffset(x, yy), hmacOffset(x, yy) + HMAC_LEN), hmacOffset(x - 1, yy));
    data = next;
  }
  return { holdTimes };
}

/**
 * At the origin, for `update_fail_htlc`: the return packet each hop made its HMACs over is what it
 * received (the erring node's, its plaintext), so it is the `reason` with the `ammag` streams of
 * that hop and the hops before it taken off; then checkAttribution. A bad HMAC at hop i puts the
 * blame on the pair of hop i-1 and hop i ("it is impossible to know whether sender or receiver
 * modified the message"), or hop i has no `option_attribution_data`.
 */
export function checkFailureAttribution(sharedSecrets: readonly Uint8Array[], reason: Uint8Array, attribution: Uint8Array): Attribution {
  const packets: Uint8Array[] = [];
  let p = reason;
  for (const ss of sharedSecrets.slice(0, ATTRIBUTION_MAX_HOPS)) {
    p = obfuscateError(ss, p);
    packets.push(p);
  }
  return checkAttribution(sharedSecrets, packets, attribution);
}
