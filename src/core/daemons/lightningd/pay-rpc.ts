// Core Lightning's payment commands (doc/schemas/xpay.json, pay.json, keysend.json, listpays.json,
// listsendpays.json) over PayControl (pay-control.ts): the invoice decoded and checked (network,
// expiry, amount), then paid; results and errors in Core Lightning's shapes and codes.
import { fromHex, toHex } from '../../base/bytes.ts';
import { isBoltError } from '../../base/errors.ts';
import { decodeInvoice, type Invoice } from '../../bolt11/invoice.ts';
import { CURRENCIES } from '../../bolt11/hrp.ts';
import { sha256 } from '../../crypto/primitives.ts';
import type { PayRequest } from '../../pay/index.ts';
import { msat, uint } from './channel-rpc.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';
import { PAY_REPEAT, XPAY_REPEAT, type Paid, type PayControl } from './pay-control.ts';
import { payments, sendpays, summarize, type PaymentRecord, type SendpayRecord } from './pay-store.ts';

/** common/jsonrpc_errors.h */
export const PAY_INVOICE_EXPIRED = 207;

/** Core Lightning's keysend: the final CLTV delta it asks for (no invoice says one). */
export const KEYSEND_FINAL_CLTV = 22;

export interface PayRpcDeps {
  pay: PayControl;
  network: string;
  randomBytes(n: number): Uint8Array;
  /** Seconds since 1970. */
  now(): number;
}

const bad = (message: string) => new RpcError(RpcCode.INVALID_PARAMS, message);

function invoiceParam(v: unknown, name: string, network: string): Invoice {
  if (typeof v !== 'string') throw bad(`${name}: should be a string`);
  let inv: Invoice;
  try {
    inv = decodeInvoice(/^lightning:/i.test(v) ? v.slice('lightning:'.length) : v);
  } catch (e) {
    if (isBoltError(e)) throw bad(`${name}: ${e.message}`);
    throw e;
  }
  const net = network === 'testnet4' ? 'testnet' : network;
  if (CURRENCIES[inv.currency] !== net) throw bad(`${name}: Invoice is for another network ${CURRENCIES[inv.currency]}`);
  return inv;
}

/** The amount to pay: the invoice's, or `amount_msat` for an invoice of any amount (never both). */
function amountOf(inv: Invoice, given: unknown): bigint {
  if (inv.amountMsat !== undefined) {
    if (given !== undefined) throw bad('amount_msat parameter cannot be specified for an invoice with an amount');
    return inv.amountMsat;
  }
  if (given === undefined) throw bad('amount_msat parameter required');
  const a = msat(given, 'amount_msat');
  if (a <= 0n) throw bad('amount_msat: should be positive');
  return a;
}

/** The request an invoice makes (BOLT 11 `p`, `s`, `m`, `c`, `r`), checked against its expiry. */
function invoiceRequest(inv: Invoice, amount: bigint, now: number): PayRequest {
  if (now > inv.timestamp + inv.expiry) throw new RpcError(PAY_INVOICE_EXPIRED, 'Invoice expired');
  return {
    destination: toHex(inv.payee),
    payment_hash: inv.paymentHash,
    amount_msat: amount,
    final_cltv: inv.minFinalCltvExpiry,
    payment_secret: inv.paymentSecret,
    ...(inv.metadata ? { payment_metadata: inv.metadata } : {}),
    // BOLT 11: "if the `basic_mpp` feature is offered in the invoice: MAY pay using Basic multi-part payments".
    mpp: inv.features?.has('basic_mpp') ?? false,
  };
}

/** maxfee, retry_for, maxdelay as PaySession takes them. */
function limits(p: Record<string, unknown>, amount: bigint): Partial<PayRequest> {
  const out: Partial<PayRequest> = {};
  if (p.maxfee !== undefined) out.maxfee_msat = msat(p.maxfee, 'maxfee');
  else if (p.maxfeepercent !== undefined) {
    const pct = Number(p.maxfeepercent);
    if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw bad('maxfeepercent: should be a percentage');
    const fee = (amount * BigInt(Math.round(pct * 1e6))) / 100_000_000n;
    const exempt = p.exemptfee !== undefined ? msat(p.exemptfee, 'exemptfee') : 5000n;
    out.maxfee_msat = fee > exempt ? fee : exempt;
  }
  if (p.retry_for !== undefined) out.retry_for_s = uint(p.retry_for, 'retry_for', 60);
  if (p.maxdelay !== undefined) out.maxdelay = uint(p.maxdelay, 'maxdelay', 2016);
  return out;
}

/** xpay's result (doc/schemas/xpay.json). */
export function xpayResult(r: Paid): Record<string, unknown> {
  return {
    payment_preimage: r.preimage,
    failed_parts: r.failed_parts,
    successful_parts: r.successful_parts,
    amount_msat: r.amount_msat,
    amount_sent_msat: r.amount_sent_msat,
  };
}

/** `pay` and `keysend`'s result (their shape before xpay). */
function payResult(r: Paid): Record<string, unknown> {
  return {
    destination: r.payment.destination,
    payment_hash: r.payment.payment_hash,
    created_at: r.payment.created_at,
    parts: r.parts,
    amount_msat: r.amount_msat,
    amount_sent_msat: r.amount_sent_msat,
    payment_preimage: r.preimage,
    status: 'complete',
  };
}

function label(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return JSON.stringify(v);
  throw bad('label: should be a string');
}

/** keysend's `extratlvs`: {type: hex value}; types our onion does not set itself. */
function extraTlvs(v: unknown): { type: bigint; value: Uint8Array }[] | undefined {
  if (v === undefined) return undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('extratlvs: should be an object of type: hex');
  return Object.entries(v as Record<string, unknown>).map(([k, x]) => {
    if (!/^\d{1,20}$/.test(k) || typeof x !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(x))
      throw bad('extratlvs: should be an object of type: hex');
    const type = BigInt(k);
    // Below 2^16: BOLT 4's own payload records (amount, cltv, payment data...) are ours to write.
    if (type < 65536n || type >= 1n << 64n) throw bad(`extratlvs: type ${k} is not a custom record (65536 or more)`);
    return { type, value: fromHex(x) };
  });
}

export function registerPayCommands(rpc: RpcDispatcher, d: PayRpcDeps): void {
  rpc.register('xpay', {
    category: 'payment',
    params: ['invstring', 'amount_msat?', 'maxfee?', 'layers?', 'retry_for?', 'partial_msat?', 'maxdelay?'],
    description:
      'Pay {invstring} (a BOLT 11 invoice), splitting it into parts as the channels need, within {maxfee}, retrying for {retry_for} seconds.',
    handler: async p => {
      const inv = invoiceParam(p.invstring, 'invstring', d.network);
      const amount = amountOf(inv, p.amount_msat);
      if (p.layers !== undefined) throw bad('layers: not supported yet');
      const req: PayRequest = { ...invoiceRequest(inv, amount, d.now()), ...limits(p, amount) };
      if (p.partial_msat !== undefined) {
        // Pay only this much of the invoice (others pay the rest): the onion still says the total.
        const partial = msat(p.partial_msat, 'partial_msat');
        if (partial <= 0n || partial > amount) throw bad('partial_msat: should be positive and at most the amount');
        req.amount_msat = partial;
        req.total_msat = amount;
      }
      const r = await d.pay.pay(
        {
          req,
          bolt11: inv.bolt11,
          ...(inv.description !== undefined ? { description: inv.description } : {}),
          hints: inv.routes,
        },
        XPAY_REPEAT,
      );
      return xpayResult(r);
    },
  });

  rpc.register('pay', {
    category: 'payment',
    params: [
      'bolt11',
      'amount_msat?',
      'label?',
      'riskfactor?',
      'maxfeepercent?',
      'retry_for?',
      'maxdelay?',
      'exemptfee?',
      'localinvreqid?',
      'exclude?',
      'maxfee?',
      'description?',
      'partial_msat?',
    ],
    description: 'Pay {bolt11} (as xpay does), answering with the fields pay answered before xpay.',
    handler: async p => {
      const inv = invoiceParam(p.bolt11, 'bolt11', d.network);
      const amount = amountOf(inv, p.amount_msat);
      for (const k of ['localinvreqid', 'exclude', 'partial_msat'] as const) if (p[k] !== undefined) throw bad(`${k}: not supported yet`);
      const desc = typeof p.description === 'string' ? p.description : inv.description;
      const lbl = label(p.label);
      const r = await d.pay.pay(
        {
          req: { ...invoiceRequest(inv, amount, d.now()), ...limits(p, amount) },
          bolt11: inv.bolt11,
          ...(desc !== undefined ? { description: desc } : {}),
          ...(lbl !== undefined ? { label: lbl } : {}),
          hints: inv.routes,
        },
        PAY_REPEAT,
      );
      return payResult(r);
    },
  });

  rpc.register('keysend', {
    category: 'payment',
    params: [
      'destination',
      'amount_msat',
      'label?',
      'maxfeepercent?',
      'retry_for?',
      'maxdelay?',
      'exemptfee?',
      'extratlvs?',
      'routehints?',
      'maxfee?',
    ],
    description: 'Pay {amount_msat} to node {destination} with no invoice: we choose the preimage and send it in the onion (bLIP 3).',
    handler: async p => {
      if (typeof p.destination !== 'string' || !/^0[23][0-9a-fA-F]{64}$/.test(p.destination)) throw bad('destination: should be a node id');
      if (p.routehints !== undefined) throw bad('routehints: not supported yet');
      const amount = msat(p.amount_msat, 'amount_msat');
      if (amount <= 0n) throw bad('amount_msat: should be positive');
      const preimage = d.randomBytes(32);
      const extra = extraTlvs(p.extratlvs);
      const lbl = label(p.label);
      const r = await d.pay.pay({
        req: {
          destination: p.destination.toLowerCase(),
          payment_hash: sha256(preimage),
          amount_msat: amount,
          final_cltv: KEYSEND_FINAL_CLTV,
          keysend_preimage: preimage,
          // One part: a keysend has no payment_secret to bind parts together.
          mpp: false,
          ...(extra?.length ? { extra } : {}),
          ...limits(p, amount),
        },
        ...(lbl !== undefined ? { label: lbl } : {}),
      });
      return payResult(r);
    },
  });

  /** listsendpays and listpays filter the same way: by bolt11, payment_hash, status. */
  const filter = (p: Record<string, unknown>) => {
    if (p.bolt11 !== undefined && p.payment_hash !== undefined) throw bad('Can only specify one of {bolt11} or {payment_hash}');
    if (p.status !== undefined && !['pending', 'complete', 'failed'].includes(String(p.status)))
      throw bad('status: should be pending, complete or failed');
    let hash: string | undefined;
    if (p.bolt11 !== undefined) hash = toHex(invoiceParam(p.bolt11, 'bolt11', d.network).paymentHash);
    else if (p.payment_hash !== undefined) {
      if (typeof p.payment_hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(p.payment_hash))
        throw bad('payment_hash: should be a 32 byte hex value');
      hash = p.payment_hash.toLowerCase();
    }
    return (r: { payment_hash: string; status: string }) =>
      (hash === undefined || r.payment_hash === hash) && (p.status === undefined || r.status === p.status);
  };

  rpc.register('listsendpays', {
    category: 'payment',
    params: ['bolt11?', 'payment_hash?', 'status?'],
    description: 'Show each part we sent, or those of {bolt11} or {payment_hash}, or in {status}.',
    handler: p => ({ payments: sendpays(d.pay.db).filter(filter(p)).map(sendpayJson) }),
  });

  rpc.register('listpays', {
    category: 'payment',
    params: ['bolt11?', 'payment_hash?', 'status?'],
    description: 'Show each payment we made (its parts together), or those of {bolt11} or {payment_hash}, or in {status}.',
    handler: p => {
      const parts = sendpays(d.pay.db);
      const pays = payments(d.pay.db)
        .map(x =>
          payJson(
            x,
            parts.filter(s => s.payment_hash === x.payment_hash && s.groupid === x.groupid),
          ),
        )
        .filter(x => x !== undefined)
        .filter(filter(p));
      return { pays };
    },
  });
}

/** listsendpays' entry (doc/schemas/listsendpays.json). */
function sendpayJson(s: SendpayRecord): Record<string, unknown> {
  return {
    created_index: s.created_index,
    id: s.created_index,
    groupid: s.groupid,
    partid: s.partid,
    payment_hash: s.payment_hash,
    status: s.status,
    amount_msat: BigInt(s.amount_msat),
    destination: s.destination,
    created_at: s.created_at,
    ...(s.completed_at !== undefined ? { completed_at: s.completed_at } : {}),
    amount_sent_msat: BigInt(s.amount_sent_msat),
    ...(s.label !== undefined ? { label: s.label } : {}),
    ...(s.bolt11 !== undefined ? { bolt11: s.bolt11 } : {}),
    ...(s.description !== undefined ? { description: s.description } : {}),
    ...(s.payment_preimage !== undefined ? { payment_preimage: s.payment_preimage } : {}),
    ...(s.erroronion !== undefined ? { erroronion: s.erroronion } : {}),
  };
}

/** listpays' entry: an attempt that sent parts, as Core Lightning groups listsendpays (doc/schemas/listpays.json). */
function payJson(
  x: PaymentRecord,
  parts: SendpayRecord[],
): (Record<string, unknown> & { payment_hash: string; status: string }) | undefined {
  if (parts.length === 0) return undefined;
  const s = summarize(parts);
  const failedOnion = parts.find(q => q.erroronion !== undefined)?.erroronion;
  return {
    payment_hash: x.payment_hash,
    status: x.status,
    destination: x.destination,
    created_at: x.created_at,
    ...(x.completed_at !== undefined ? { completed_at: x.completed_at } : {}),
    ...(x.label !== undefined ? { label: x.label } : {}),
    ...(x.bolt11 !== undefined ? { bolt11: x.bolt11 } : {}),
    ...(x.description !== undefined ? { description: x.description } : {}),
    amount_msat: x.status === 'complete' ? s.amount_msat : BigInt(x.amount_msat),
    amount_sent_msat: s.amount_sent_msat,
    ...(x.status === 'complete' ? { preimage: s.preimage ?? x.payment_preimage, number_of_parts: s.successful_parts } : {}),
    ...(x.status === 'failed' && failedOnion ? { erroronion: failedOnion } : {}),
  };
}
