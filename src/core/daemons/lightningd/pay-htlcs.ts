// Our parts' HTLCs in lightningd's database (pay-store.ts), from channeld's HtlcChanges: what
// PayControl stages inside the channel's write (HtlcListener staging), so that the part's record
// and the channel's HTLC never disagree after a crash, and what a channel's durable HTLCs say of a
// part whose add went unanswered.
import { fromHex, toHex } from '../../base/bytes.ts';
import { sha256 } from '../../crypto/primitives.ts';
import type { Log } from '../../node/daemon.ts';
import { checkAttribution, checkFailureAttribution } from '../../onion/attribution.ts';
import { decodeErrorPacket } from '../../onion/error-onion.ts';
import type { HtlcChange } from '../channeld/interface.ts';
import type { ChannelRecord, LightningdDb } from './db.ts';
import {
  PAYMENTS,
  paymentKey,
  sendpayKey,
  sendpays,
  stagePayment,
  stageSendpay,
  type PaymentRecord,
  type SendpayRecord,
} from './pay-store.ts';

/**
 * A failed part's reason, read from its error onion with its shared secrets (BOLT 4 "Returning
 * Errors"); with `attribution_data`, the hold times its hops reported, and for an error onion no hop's
 * HMAC matches, the pair of hops its attribution blames.
 */
export function failureText(p: Pick<SendpayRecord, 'erroronion' | 'attribution' | 'failcode' | 'shared_secrets' | 'route'>): string {
  if (p.failcode !== undefined) return `our peer could not read the onion (0x${p.failcode.toString(16)})`;
  const secrets = p.shared_secrets.map(fromHex);
  const reason = fromHex(p.erroronion ?? '');
  let text: string;
  let erring = secrets.length;
  try {
    const d = decodeErrorPacket(secrets, reason);
    erring = d.hop + 1;
    const code = d.failure.name === 'unknown' ? d.failure.code : undefined;
    text = `${d.failure.name}${code !== undefined ? ` (0x${code.toString(16)})` : ''} from ${p.route[d.hop]?.id ?? `hop ${d.hop}`}`;
  } catch {
    text = 'unreadable error onion';
  }
  if (p.attribution === undefined) return text;
  try {
    // The hops up to the erring node's reported (those after it never held the failure).
    const a = checkFailureAttribution(secrets.slice(0, erring), reason, fromHex(p.attribution));
    if (text === 'unreadable error onion' && a.badHop !== undefined)
      text += `, garbled between ${a.badHop === 0 ? 'us' : p.route[a.badHop - 1]!.id} and ${p.route[a.badHop]?.id ?? `hop ${a.badHop}`}`;
    return `${text}${holdTimesText(a.holdTimes)}`;
  } catch {
    return text;
  }
}

/** BOLT 4 hold times (units of 100 ms) as the hops reported them, first hop first. */
export function holdTimesText(holdTimes: readonly number[]): string {
  return holdTimes.length ? ` (hold times ${holdTimes.map(t => `${t * 100} ms`).join(', ')})` : '';
}

/** Our part that is HTLC `id` on channel `dbid`. */
export function partOfHtlc(db: LightningdDb, dbid: string, id: bigint): SendpayRecord | undefined {
  return sendpays(db).find(s => s.channel === dbid && s.htlc_id === id.toString());
}

/**
 * Stages what `changes` on channel `dbid` did to our parts: `offered` ties the part (same hash,
 * amount and expiry, not yet tied) to channeld's HTLC id; `fulfilled` completes it with the
 * preimage, and its payment with it (from this write on the hash is paid); `failed` keeps the
 * error onion and its decoded reason. Returns the keys of the parts offered.
 */
export function stagePartChanges(db: LightningdDb, dbid: string, changes: readonly HtlcChange[], now: number, log: Log): string[] {
  const offered: string[] = [];
  for (const ch of changes) {
    if (ch.kind === 'offered') {
      const hash = toHex(ch.paymentHash);
      const p = sendpays(db).find(
        s =>
          s.status === 'pending' &&
          s.channel === dbid &&
          s.htlc_id === undefined &&
          s.payment_hash === hash &&
          s.amount_sent_msat === ch.amountMsat.toString() &&
          s.cltv_expiry === ch.cltvExpiry,
      );
      if (!p) continue;
      stageSendpay(db, { ...p, htlc_id: ch.id.toString() });
      offered.push(sendpayKey(p.payment_hash, p.groupid, p.partid));
    } else if (ch.kind === 'fulfilled') {
      const p = partOfHtlc(db, dbid, ch.id);
      if (p && stagePartFulfilled(db, p, ch.preimage, now, log) && ch.attribution) {
        // BOLT 4 "Hold times for successful payments": each hop's, as far as its HMAC checks out.
        const a = checkAttribution(p.shared_secrets.map(fromHex), [], ch.attribution);
        log.info(`payment ${p.payment_hash} part ${p.partid} paid${holdTimesText(a.holdTimes)}`);
      }
    } else if (ch.kind === 'failed') {
      const p = partOfHtlc(db, dbid, ch.id);
      if (!p || p.status !== 'pending') continue;
      const failed: SendpayRecord = {
        ...p,
        status: 'failed',
        completed_at: now,
        ...(ch.reason ? { erroronion: toHex(ch.reason) } : {}),
        ...(ch.reason && ch.attribution ? { attribution: toHex(ch.attribution) } : {}),
        ...(ch.failureCode !== undefined && !ch.reason ? { failcode: ch.failureCode } : {}),
      };
      stageSendpay(db, { ...failed, failure: failureText(failed) });
    }
  }
  return offered;
}

/**
 * A pending part paid (its HTLC fulfilled off chain, or claimed on chain by the peer): complete
 * with the preimage, and its payment with it (from this write on the hash is paid). False, and
 * nothing staged, for a part already settled or a preimage that is not the part's.
 */
export function stagePartFulfilled(db: LightningdDb, p: SendpayRecord, preimage: Uint8Array, now: number, log: Log): boolean {
  if (p.status !== 'pending') return false;
  // channeld takes no update_fulfill_htlc whose preimage is wrong (BOLT 2), onchaind no claim; a record never says paid without it.
  if (toHex(sha256(preimage)) !== p.payment_hash) {
    log.warn(`payment ${p.payment_hash} part ${p.partid}: a preimage that does not hash to it`);
    return false;
  }
  const hex = toHex(preimage);
  stageSendpay(db, { ...p, status: 'complete', payment_preimage: hex, completed_at: now });
  const pay = db.record<PaymentRecord>(PAYMENTS, paymentKey(p.payment_hash, p.groupid));
  if (pay && pay.status !== 'complete') stagePayment(db, { ...pay, status: 'complete', payment_preimage: hex });
  return true;
}

/**
 * Pending parts on `c` with no HTLC id whose addHtlc went unanswered (`busy`: still being asked):
 * the channel's durable HTLCs say whether the add was recorded (the part is that HTLC: staged) or
 * not (channeld never sent what it never recorded: returned as `unsent`).
 */
export function matchRecordedAdds(
  db: LightningdDb,
  c: Readonly<ChannelRecord>,
  busy: (key: string) => boolean,
): { assigned: number; unsent: SendpayRecord[] } {
  const all = sendpays(db);
  const claimed = new Set(all.filter(s => s.channel === c.dbid && s.htlc_id !== undefined).map(s => s.htlc_id));
  const unclaimed = Object.values(c.htlcs ?? {}).filter(h => h.direction === 'out' && !claimed.has(h.id));
  let assigned = 0;
  const unsent: SendpayRecord[] = [];
  for (const s of all) {
    if (s.channel !== c.dbid || s.status !== 'pending' || s.htlc_id !== undefined) continue;
    if (busy(sendpayKey(s.payment_hash, s.groupid, s.partid))) continue;
    const i = unclaimed.findIndex(
      h => h.payment_hash === s.payment_hash && h.amount_msat === s.amount_sent_msat && h.cltv_expiry === s.cltv_expiry,
    );
    if (i < 0) {
      unsent.push(s);
      continue;
    }
    stageSendpay(db, { ...s, htlc_id: unclaimed[i]!.id });
    unclaimed.splice(i, 1);
    assigned++;
  }
  return { assigned, unsent };
}
