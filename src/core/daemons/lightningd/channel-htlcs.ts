// What lightningd keeps of a channel's HTLCs (Core Lightning's channel_htlcs table): channeld tells
// each change inside the persist that made it durable (HtlcChange), and lightningd writes the
// changes with the state in one transaction, so the two never disagree after a crash.
import { toHex } from '../../base/bytes.ts';
import type { HtlcChange } from '../channeld/interface.ts';
import type { HtlcRecord } from './db.ts';

const keyOf = (direction: 'in' | 'out', id: bigint) => `${direction}:${id}`;

/** The HTLCs after `changes` (a new map; `htlcs` is left as it was). */
export function applyHtlcChanges(
  htlcs: Readonly<Record<string, HtlcRecord>> | undefined,
  changes: readonly HtlcChange[],
): Record<string, HtlcRecord> {
  const out: Record<string, HtlcRecord> = { ...htlcs };
  for (const c of changes) {
    switch (c.kind) {
      case 'offered':
        out[keyOf('out', c.id)] = {
          direction: 'out',
          id: c.id.toString(),
          amount_msat: c.amountMsat.toString(),
          payment_hash: toHex(c.paymentHash),
          cltv_expiry: c.cltvExpiry,
          state: 'offered',
        };
        break;
      case 'committed': {
        const h = out[keyOf('out', c.id)];
        if (h) out[keyOf('out', c.id)] = { ...h, state: 'committed' };
        break;
      }
      case 'incoming':
        out[keyOf('in', c.id)] = {
          direction: 'in',
          id: c.id.toString(),
          amount_msat: c.amountMsat.toString(),
          payment_hash: toHex(c.paymentHash),
          cltv_expiry: c.cltvExpiry,
          state: 'incoming',
          onion: toHex(c.onion),
          ...(c.pathKey ? { path_key: toHex(c.pathKey) } : {}),
          ...(c.overDustExposure ? { over_dust_exposure: true } : {}),
        };
        break;
      case 'fulfilled':
      case 'failed':
        delete out[keyOf('out', c.id)];
        break;
      case 'resolved':
        delete out[keyOf('in', c.id)];
        break;
    }
  }
  return out;
}
