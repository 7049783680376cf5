// An LDK node's application loop for payment interop tests: forwards the HTLCs LDK holds, sends
// what it queued, and handles its events outside LDK's callback (no re-entry): a payment it can
// claim is claimed (or failed, or held, as the test says), a funding transaction it asks for is
// built by the test's `fund`. Every event is kept, oldest first, for the test to look at.
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../../../src/core/base/bytes.ts';
import { sha256 } from '../../../src/core/crypto/primitives.ts';
import type { LdkPeer } from './peer.ts';

export interface LdkClaimable {
  hash: string;
  amount: bigint;
  preimage?: Uint8Array;
}

/** Builds (and puts on the chain) a transaction paying `value` sat to `script`; resolves with it, serialized. */
export type LdkFunder = (script: Uint8Array, value: bigint) => Promise<Uint8Array>;

export class LdkDriver {
  readonly events: ldk.Event[] = [];
  readonly claimable: LdkClaimable[] = [];
  /** Fail (instead of claim) the payments of these hashes. */
  readonly refuse = new Set<string>();
  /** Neither claim nor fail these (the test does, later). */
  readonly hold = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private funding: Promise<unknown>[] = [];

  constructor(
    readonly peer: LdkPeer,
    private readonly fund?: LdkFunder,
  ) {}

  get cm(): ldk.ChannelManager {
    return this.peer.channelManager!;
  }

  get nodeId(): string {
    return this.peer.nodeId;
  }

  /** Runs the loop every 20 ms until `stop`. */
  start(): void {
    this.timer ??= setInterval(() => this.pump(), 20);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass of the loop. */
  pump(): void {
    for (const e of this.peer.takeEvents()) {
      this.events.push(e);
      if (e instanceof ldk.Event_PaymentClaimable) this.onClaimable(e);
      else if (e instanceof ldk.Event_FundingGenerationReady) this.onFunding(e);
      // UserConfig.manually_accept_inbound_channels (LDK requires it for anchor channels): accepted.
      else if (e instanceof ldk.Event_OpenChannelRequest) {
        const r = this.cm.accept_inbound_channel(e.temporary_channel_id, e.counterparty_node_id, 7n);
        if (!r.is_ok()) throw new Error('LDK refused to accept the inbound channel');
      }
    }
    this.peer.processEvents();
  }

  private onClaimable(e: ldk.Event_PaymentClaimable): void {
    const hash = toHex(e.payment_hash);
    const p = e.purpose;
    let preimage: Uint8Array | undefined;
    if (p instanceof ldk.PaymentPurpose_Bolt11InvoicePayment && p.payment_preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)
      preimage = p.payment_preimage.some;
    if (p instanceof ldk.PaymentPurpose_SpontaneousPayment) preimage = p.spontaneous_payment;
    this.claimable.push({ hash, amount: e.amount_msat, ...(preimage ? { preimage } : {}) });
    if (this.hold.has(hash)) return;
    if (this.refuse.has(hash) || !preimage) this.cm.fail_htlc_backwards(e.payment_hash);
    else this.cm.claim_funds(preimage);
  }

  private onFunding(e: ldk.Event_FundingGenerationReady): void {
    const fund = this.fund;
    if (!fund) throw new Error('LDK asked for a funding transaction and the test gave no funder');
    const { temporary_channel_id: temp, counterparty_node_id: them, output_script, channel_value_satoshis } = e;
    this.funding.push(
      fund(output_script, channel_value_satoshis).then(tx => {
        const r = this.cm.funding_transaction_generated(temp, them, tx);
        if (!r.is_ok()) throw new Error('LDK refused the funding transaction');
        this.pump();
      }),
    );
  }

  /** Resolves once every funding transaction asked for so far is built and given to LDK. */
  async fundingDone(): Promise<void> {
    while (this.funding.length) {
      const all = this.funding;
      this.funding = [];
      await Promise.all(all);
    }
  }

  /** Polls (at most 1500 times, 20 ms apart) until `pred` finds an event; `from` skips older ones. */
  async event<E extends ldk.Event>(pred: (e: ldk.Event) => e is E, what: string, from = 0): Promise<E> {
    for (let i = 0; i < 1500; i++) {
      this.pump();
      const e = this.events.slice(from).find(pred);
      if (e) return e;
      await new Promise(r => setTimeout(r, 20));
    }
    throw new Error(`LDK ${this.peer.nodeId.slice(0, 8)} never reported ${what}`);
  }

  /** Polls until `pred` holds (same bounds as `event`). */
  async until(pred: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 1500; i++) {
      this.pump();
      if (pred()) return;
      await new Promise(r => setTimeout(r, 20));
    }
    throw new Error(`LDK ${this.peer.nodeId.slice(0, 8)}: never ${what}`);
  }

  /** An invoice of LDK's for `amountMsat` (its preimage and payment_secret; hints for its private channels it can be paid over). */
  invoice(amountMsat: bigint, description = 'boltworker interop'): string {
    const r = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(
      this.cm,
      ldk.Option_u64Z.constructor_some(amountMsat),
      description,
      3600,
      ldk.Option_u16Z.constructor_none(),
    );
    if (!(r instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK made no invoice');
    return r.res.to_str();
  }

  /**
   * Sends a payment of `amountMsat` to `payee` for `hash` with `secret`, routed by LDK's router over
   * its own channels and the `hints` (BOLT 11 route hints: each a list of hops), in as many parts as
   * its router chooses. Returns the payment id.
   */
  send(p: {
    payee: string;
    hash: Uint8Array;
    secret: Uint8Array;
    amountMsat: bigint;
    finalCltvDelta: number;
    hints?: ldk.RouteHint[];
    features?: ldk.Bolt11InvoiceFeatures;
    label: string;
  }): Uint8Array {
    const pp = ldk.PaymentParameters.constructor_from_node_id(fromHex(p.payee), p.finalCltvDelta);
    if (p.features || p.hints?.length)
      pp.set_payee(
        ldk.Payee.constructor_clear(
          fromHex(p.payee),
          p.hints ?? [],
          p.features ?? ldk.Bolt11InvoiceFeatures.constructor_empty(),
          p.finalCltvDelta,
        ),
      );
    const id = paymentId(p.label);
    const route = ldk.RouteParameters.constructor_from_payment_params_and_value(pp, p.amountMsat);
    const r = this.cm.send_payment(
      p.hash,
      ldk.RecipientOnionFields.constructor_secret_only(p.secret),
      id,
      route,
      ldk.Retry.constructor_attempts(0),
    );
    if (!r.is_ok()) throw new Error(`LDK did not send ${p.label}`);
    this.pump();
    return id;
  }

  /** Pays a BOLT 11 invoice as LDK's router routes it (the invoice's hints, its own channels). Returns the payment id. */
  payInvoice(bolt11: string, label: string): Uint8Array {
    const parsed = ldk.Bolt11Invoice.constructor_from_str(bolt11);
    if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK cannot parse the invoice');
    const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
    if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK))
      throw new Error('LDK has no payment parameters for the invoice');
    const id = paymentId(label);
    const r = this.cm.send_payment(params.res.get_a(), params.res.get_b(), id, params.res.get_c(), ldk.Retry.constructor_attempts(0));
    if (!r.is_ok()) throw new Error(`LDK did not send ${label}`);
    this.pump();
    return id;
  }

  /** Waits for the outcome of payment `id`: PaymentSent, or PaymentFailed. */
  outcome(id: Uint8Array): Promise<ldk.Event_PaymentSent | ldk.Event_PaymentFailed> {
    const hex = toHex(id);
    return this.event(
      (e): e is ldk.Event_PaymentSent | ldk.Event_PaymentFailed =>
        (e instanceof ldk.Event_PaymentSent &&
          e.payment_id instanceof ldk.Option_ThirtyTwoBytesZ_Some &&
          toHex(e.payment_id.some) === hex) ||
        (e instanceof ldk.Event_PaymentFailed && toHex(e.payment_id) === hex),
      `the outcome of payment ${hex.slice(0, 8)}`,
    );
  }

  /** LDK's log lines from index `from` on, as text. */
  logText(from = 0): string[] {
    return this.peer.logs.slice(from).map(l => l.text);
  }
}

/** A payment id LDK keys its payments by, from a test's label. */
export function paymentId(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`payment ${label}`));
}

/** A BOLT 11 invoice's payment hash and secret, as LDK parses them. */
export function invoiceParts(bolt11: string): {
  hash: Uint8Array;
  secret: Uint8Array;
  finalCltvDelta: number;
  features: ldk.Bolt11InvoiceFeatures;
} {
  const parsed = ldk.Bolt11Invoice.constructor_from_str(bolt11);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK cannot parse the invoice');
  const inv = parsed.res;
  return {
    hash: inv.payment_hash(),
    secret: inv.payment_secret(),
    finalCltvDelta: Number(inv.min_final_cltv_expiry_delta()),
    features: inv.features()!,
  };
}

/** A one-hop BOLT 11 route hint: `src` forwards to the payee over `scid` for these fees and delta. */
export function routeHint(src: string, scid: bigint, feeBaseMsat: number, feePpm: number, cltvDelta: number): ldk.RouteHint {
  return ldk.RouteHint.constructor_new([
    ldk.RouteHintHop.constructor_new(
      fromHex(src),
      scid,
      ldk.RoutingFees.constructor_new(feeBaseMsat, feePpm),
      cltvDelta,
      ldk.Option_u64Z.constructor_none(),
      ldk.Option_u64Z.constructor_none(),
    ),
  ]);
}
