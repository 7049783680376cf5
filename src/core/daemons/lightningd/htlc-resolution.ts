// What lightningd decided for one incoming HTLC (htlcs-in.ts, receive.ts): what it hands the
// channel's channeld until channeld reports the HTLC resolved; and the preimages it has durably
// released for incoming HTLCs, which onchaind claims with once the channel is on chain.
import { fromHex, toHex } from '../../base/bytes.ts';
import { sha256 } from '../../crypto/primitives.ts';
import { createErrorPacket, encodeFailure, type Failure } from '../../onion/index.ts';
import type { LightningdDb } from './db.ts';
import { forwards } from './forward-store.ts';

export type Resolution =
  | { kind: 'fulfill'; preimage: Uint8Array }
  | { kind: 'fail'; reason: Uint8Array }
  | { kind: 'malformed'; sha256OfOnion: Uint8Array; code: number };

/** BOLT 4 "Returning Errors": the failure in an error onion with this hop's shared secret. */
export function failWith(sharedSecret: Uint8Array, f: Failure): Resolution {
  return { kind: 'fail', reason: createErrorPacket(sharedSecret, encodeFailure(f)) };
}

/**
 * The preimages lightningd has released, durably, for incoming HTLCs of channel `dbid` whose
 * payment hash is in `hashes`: our paid invoices (receive.ts marks one paid before any part is
 * fulfilled) and the forwards into this channel settled downstream (forward.ts stages the
 * preimage in the outgoing channel's write, or from the chain before it flushes). An unpaid
 * invoice's preimage is not among them: an HTLC receive never accepted (too small, a part of an
 * incomplete set) is not claimed on chain either (Core Lightning gives onchaind only fulfilled
 * HTLCs' preimages).
 */
export function releasedPreimages(db: LightningdDb, dbid: string, hashes: ReadonlySet<string>): Uint8Array[] {
  const hex = [
    ...db
      .invoices()
      .filter(i => i.status === 'paid' && hashes.has(i.payment_hash))
      .map(i => i.payment_preimage),
    ...forwards(db)
      .filter(f => f.in_channel === dbid && f.preimage !== undefined && hashes.has(f.payment_hash))
      .map(f => f.preimage!),
  ];
  const out = new Map<string, Uint8Array>();
  for (const h of hex) {
    const p = fromHex(h);
    const hash = toHex(sha256(p));
    if (hashes.has(hash)) out.set(hash, p);
  }
  return [...out.values()];
}
