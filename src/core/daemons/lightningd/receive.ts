// The final node (BOLT 4 "Requirements for the final node", Core Lightning's invoice.c and
// htlc_set.c): an incoming HTLC whose onion ends here pays one of our invoices (checkFinalHtlc) or
// is a keysend (checkKeysendHtlc; Core Lightning takes keysend by default and records an
// invoice-like entry for it). Parts of one payment wait in an HTLC set (pay/mpp.ts) until they add
// up to total_msat, or fail with mpp_timeout after 60 s. When a payment is whole, the invoice is
// marked paid and that is made DURABLE before the preimage goes to any part's channeld.
import { fromHex, toHex } from '../../base/bytes.ts';
import type { ChainListener } from '../../chain/backend.ts';
import type { Clock, Log } from '../../node/daemon.ts';
import type { Failure, HopPayload } from '../../onion/index.ts';
import {
  HtlcSets,
  checkFinalHtlc,
  checkKeysendHtlc,
  finalPayload,
  keysendPreimage,
  pathIdFor,
  type FinalPayload,
  type PartFailure,
} from '../../pay/index.ts';
import type { InvoiceRecord, LightningdDb } from './db.ts';
import { failIncoming, type BlindedRole, type Resolution } from './htlc-resolution.ts';
import { DEFAULT_CLTV_FINAL } from './invoice-rpc.ts';

/** An incoming HTLC whose onion ends at this node. */
export interface IncomingPart {
  /** The channel's dbid and the HTLC's id in it. */
  channel: string;
  id: string;
  amount_msat: bigint;
  cltv_expiry: number;
  payment_hash: Uint8Array;
  /** This hop's onion shared secret (for the error onion). */
  sharedSecret: Uint8Array;
  /** In a blinded route: how its failures go back (htlc-resolution.ts failIncoming). */
  blinded?: BlindedRole;
  /** SHA256 of the onion it came with (`sha256_of_onion` of invalid_onion_blinding). */
  onion_sha256?: Uint8Array;
}

export interface ReceiveDeps {
  db: LightningdDb;
  blockheight(): number | Promise<number>;
  /** Unix seconds. */
  now(): number;
  /** The MPP timeout's clock (milliseconds). */
  clock: Clock;
  /** Records a keysend's invoice-like entry (unpaid; invoice-rpc.ts createKeysendInvoice): its label. */
  keysendInvoice(preimage: Uint8Array): Promise<string>;
  log: Log;
  /** The MPP timeout (default pay/mpp.ts MPP_TIMEOUT_MS, BOLT 4's 60 s). */
  mppTimeoutMs?: number;
}

/** What a held part carries: where it is, and how to fail it. */
interface PartKey {
  part: IncomingPart;
  /** A keysend's preimage (the payer's), or undefined for an invoice. */
  keysend?: Uint8Array;
}

/**
 * Held parts whose expiry is this close (blocks) fail with the rest of their set: an incoming
 * HTLC we cannot fulfil must be failed before its cltv_expiry, or the peer goes on chain for it.
 */
export const HELD_EXPIRY_MARGIN = 3;

export class FinalReceiver implements ChainListener {
  private readonly sets: HtlcSets<PartKey>;
  private timer: unknown;
  private timerAt: number | undefined;
  private done: (part: IncomingPart, r: Resolution) => void = () => {};

  constructor(private readonly d: ReceiveDeps) {
    this.sets = new HtlcSets<PartKey>({ now: () => d.clock.now(), ...(d.mppTimeoutMs !== undefined ? { timeoutMs: d.mppTimeoutMs } : {}) });
  }

  /** Where decisions go (htlcs-in.ts IncomingHtlcs). */
  bind(done: (part: IncomingPart, r: Resolution) => void): void {
    this.done = done;
  }

  /**
   * One HTLC at the final node, with its payload (checked as final by onion/payload.ts); over a
   * blinded path, the `path_id` its `encrypted_recipient_data` carried (pay/blinded.ts blindedFinal).
   */
  async receive(part: IncomingPart, payload: HopPayload, path_id?: Uint8Array): Promise<void> {
    const hash = toHex(part.payment_hash);
    const p: FinalPayload = { ...finalPayload(payload), ...(path_id ? { path_id } : {}) };
    const ctx = { blockheight: await this.d.blockheight(), now: this.d.now() };
    const htlc = { amount_msat: part.amount_msat, cltv_expiry: part.cltv_expiry, payment_hash: part.payment_hash };
    const inv = this.d.db.invoiceByHash(hash);
    // A paid invoice's part, undecided at a restart: fulfilled again (its paid state is durable).
    if (inv?.status === 'paid' && inv.paid_htlcs?.some(h => h.channel === part.channel && h.id === part.id))
      return this.done(part, { kind: 'fulfill', preimage: fromHex(inv.payment_preimage) });
    let keysend: Uint8Array | undefined;
    if (!inv && payload.keysend_preimage) {
      const v = checkKeysendHtlc(htlc, p, keysendPreimage(payload, part.payment_hash), DEFAULT_CLTV_FINAL, ctx);
      if (!v.ok) return this.fail(part, v.failure);
      keysend = v.preimage;
    } else {
      const v = checkFinalHtlc(htlc, p, inv && terms(inv), ctx);
      if (!v.ok) return this.fail(part, v.failure);
    }
    this.add({ part, ...(keysend ? { keysend } : {}) }, p, ctx.blockheight);
  }

  /** Parts held in HTLC sets now. */
  get held(): number {
    return this.sets.size;
  }

  private add(k: PartKey, p: FinalPayload, blockheight: number): void {
    const r = this.sets.add(
      {
        id: k,
        payment_hash: k.part.payment_hash,
        htlc_msat: k.part.amount_msat,
        amt_to_forward: p.amt_to_forward,
        total_msat: p.total_msat,
        ...(p.payment_secret ? { payment_secret: p.payment_secret } : {}),
        cltv_expiry: k.part.cltv_expiry,
      },
      blockheight,
    );
    if (r.status === 'failed') this.failAll(r.failed);
    else if (r.status === 'complete') void this.settle(r.ids, r.received_msat);
    this.schedule();
  }

  /**
   * The whole payment arrived: the invoice marked paid, durably, THEN each part fulfilled. An
   * invoice deleted, expired or paid meanwhile fails every part (Core Lightning's "Attempt to pay
   * expired/deleted invoice": incorrect_or_unknown_payment_details).
   */
  private async settle(parts: PartKey[], received: bigint): Promise<void> {
    const first = parts[0]!;
    const hash = toHex(first.part.payment_hash);
    const detailsAll = async () => {
      const height = await this.d.blockheight();
      return parts.map(k => ({
        id: k,
        failure: { name: 'incorrect_or_unknown_payment_details', htlc_msat: k.part.amount_msat, height } as Failure,
      }));
    };
    let writing = false;
    try {
      let inv = this.d.db.invoiceByHash(hash);
      if (!inv && first.keysend) {
        await this.d.keysendInvoice(first.keysend);
        inv = this.d.db.invoiceByHash(hash);
      }
      if (!inv || inv.status !== 'unpaid' || this.d.now() >= inv.expires_at) {
        this.d.log.info(`payment ${hash}: attempt to pay an expired, deleted or paid invoice`);
        return this.failAll(await detailsAll());
      }
      writing = true;
      const paid = await this.d.db.markInvoicePaid(inv.label, {
        paid_at: this.d.now(),
        amount_received_msat: received,
        htlcs: parts.map(k => ({ channel: k.part.channel, id: k.part.id, amount_msat: k.part.amount_msat.toString() })),
      });
      if (!paid) return this.failAll(await detailsAll());
      const preimage = fromHex(paid.payment_preimage);
      this.d.log.info(`invoice ${paid.label} paid: ${received} msat in ${parts.length} part(s)`);
      for (const k of parts) this.done(k.part, { kind: 'fulfill', preimage });
    } catch (e) {
      this.d.log.warn(`payment ${hash}: ${e instanceof Error ? e.message : String(e)}`);
      // Before the paid state was written (the keysend entry, hsmd): nothing happened, fail back.
      // A failed write of the paid state may still have landed (and stays in memory): the parts
      // are neither fulfilled nor failed, and a restart decides them again from what is durable.
      if (!writing) this.failAll(parts.map(k => ({ id: k, failure: { name: 'temporary_node_failure' } as Failure })));
    }
  }

  private fail(part: IncomingPart, f: Failure): void {
    this.done(part, failIncoming(part, f, true));
  }

  private failAll(failed: PartFailure<PartKey>[]): void {
    for (const f of failed) this.fail(f.id.part, f.failure);
  }

  /** The MPP timer: at the oldest set's deadline, its parts fail with mpp_timeout. */
  private schedule(): void {
    const at = this.sets.nextDeadline();
    if (at === this.timerAt) return;
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = this.d.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = undefined;
        this.failAll(this.sets.expire());
        this.schedule();
      },
      Math.max(0, at - this.d.clock.now()),
    );
  }

  /** ChainListener: on each block, sets with a part near its expiry fail (mpp_timeout). */
  blockConnected(block: { height: number }): void {
    this.failAll(this.sets.expireByHeight(block.height, HELD_EXPIRY_MARGIN));
    this.schedule();
  }

  blockDisconnected(): void {}

  /** Stops the MPP timer (the node stops). */
  stop(): void {
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }
}

/** The invoice as checkFinalHtlc reads it. */
function terms(i: InvoiceRecord) {
  return {
    ...(i.amount_msat !== undefined ? { amount_msat: BigInt(i.amount_msat) } : {}),
    payment_secret: fromHex(i.payment_secret),
    min_final_cltv_expiry: i.min_final_cltv_expiry ?? DEFAULT_CLTV_FINAL,
    expires_at: i.expires_at,
    status: i.status,
    path_id: pathIdFor(fromHex(i.payment_preimage)),
  };
}
