// Core Lightning's `invoice`, `listinvoices` and `delinvoice` (doc/schemas/invoice.json,
// listinvoices.json, delinvoice.json; lightningd/invoice.c): the invoice is built here with
// src/core/bolt11 and signed by hsmd (signInvoice: a BOLT 11 hrp and data part only), the
// preimage and payment_secret come from the platform's random bytes, and the record lives in
// lightningd's database (db.ts), which each runtime persists; route hints for our private
// channels (invoice-hints.ts). Not yet: `fallbacks`, BOLT 12 offers
// (`offer_id` finds nothing). Invoices are paid by htlcs-in.ts; waitinvoice and waitanyinvoice
// are in invoice-wait-rpc.ts.
import { fromHex, toHex } from '../../base/bytes.ts';
import { isBoltError } from '../../base/errors.ts';
import { buildInvoiceFields } from '../../bolt11/build.ts';
import { decodeInvoice, invoiceToSign, signedInvoice } from '../../bolt11/invoice.ts';
import { CURRENCIES, type Currency } from '../../bolt11/hrp.ts';
import { DEFAULT_EXPIRY } from '../../bolt11/fields.ts';
import { sha256 } from '../../crypto/primitives.ts';
import { FeatureVector } from '../../features/index.ts';
import { DuplicateInvoiceError, type ChannelRecord, type InvoiceRecord, type LightningdDb } from './db.ts';
import { hintChannels, routeHints, type PeerPolicy } from './invoice-hints.ts';
import type { RouteHop } from '../../bolt11/fields.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';

/** Core Lightning's invoice error codes (common/jsonrpc_errors.h). */
export const InvoiceCode = {
  LABEL_ALREADY_EXISTS: 900,
  PREIMAGE_ALREADY_EXISTS: 901,
  NOT_FOUND: 905,
  STATUS_UNEXPECTED: 906,
} as const;

/** Core Lightning's defaults: a week (`expiry`), and --cltv-final 18. */
const DEFAULT_INVOICE_EXPIRY = 7 * 24 * 3600;
export const DEFAULT_CLTV_FINAL = 18;
/** BOLT 11: "the maximum length of a Tagged Field's data is ... 639 bytes" (Core Lightning's BOLT11_FIELD_BYTE_LIMIT). */
const FIELD_BYTE_LIMIT = 639;
/**
 * The features our invoices set: BOLT 9 var_onion_optin and payment_secret, both required (BOLT 11:
 * "MUST set `payment_secret` feature as required"), and basic_mpp (optional): we take multi-part
 * payments (htlcs-in.ts, pay/mpp.ts).
 */
const INVOICE_FEATURES = FeatureVector.fromFeatures({ var_onion_optin: 'required', payment_secret: 'required', basic_mpp: 'optional' });

export interface InvoiceDeps {
  db: LightningdDb;
  /** Our network: the invoice's currency prefix (BOLT 11 `lnbc`, `lntb`, `lntbs`, `lnbcrt`). */
  network: string;
  signInvoice(hrp: string, data: readonly number[]): Uint8Array | Promise<Uint8Array>;
  randomBytes(n: number): Uint8Array;
  /** Seconds since 1970. */
  now(): number;
  /** Our channels (route hints for the private ones: invoice-hints.ts). */
  channels?(): ChannelRecord[];
  /** The peer's channel_update towards us on `scid`, when known. */
  peerPolicy?(scid: string, peer: string): Promise<PeerPolicy | undefined>;
}

const bad = (msg: string) => new RpcError(RpcCode.INVALID_PARAMS, msg);

/** Core Lightning's param_positive_msat_or_any: "any", or a positive msat (a number, digits, or digits then `msat`). */
function amountParam(v: unknown): bigint | undefined {
  if (v === 'any') return undefined;
  let n: bigint | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^[0-9]{1,20}(msat)?$/.test(v)) n = BigInt(v.replace(/msat$/, ''));
  if (n === undefined || n <= 0n || n >= 1n << 64n) throw bad("amount_msat: should be positive msat or 'any'");
  return n;
}

/** Core Lightning's param_label: a string, or a number as its JSON text. */
function labelParam(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return JSON.stringify(v);
  throw bad('label: should be a string or number');
}

function uintParam(v: unknown, name: string, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) throw bad(`${name}: should be an unsigned integer`);
  return n;
}

function boolParam(v: unknown, name: string): boolean {
  if (v === undefined || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw bad(`${name}: should be 'true' or 'false'`);
}

function hashParam(v: unknown, name: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw bad(`${name}: should be a 32 byte hex value`);
  return v.toLowerCase();
}

function currencyOf(network: string): Currency {
  // testnet4 shares testnet's `lntb` (BOLT 11 names one prefix for testnets).
  const net = network === 'testnet4' ? 'testnet' : network;
  const c = (Object.keys(CURRENCIES) as Currency[]).find(k => CURRENCIES[k] === net);
  if (!c) throw new RpcError(RpcCode.LIGHTNINGD, `no BOLT 11 currency for network ${network}`);
  return c;
}

/** An invoice as listinvoices (and delinvoice) show it; `status` expired once past expires_at. */
export function invoiceEntry(i: InvoiceRecord, now: number): Record<string, unknown> {
  const status = i.status === 'unpaid' && now >= i.expires_at ? 'expired' : i.status;
  return {
    label: i.label,
    bolt11: i.bolt11,
    payment_hash: i.payment_hash,
    status,
    description: i.description,
    expires_at: i.expires_at,
    ...(i.amount_msat !== undefined ? { amount_msat: BigInt(i.amount_msat) } : {}),
    created_index: i.created_index,
    ...(i.updated_index !== undefined ? { updated_index: i.updated_index } : {}),
    ...(i.status === 'paid'
      ? {
          pay_index: i.pay_index,
          amount_received_msat: BigInt(i.amount_received_msat ?? '0'),
          paid_at: i.paid_at,
          payment_preimage: i.payment_preimage,
        }
      : {}),
  };
}

/** What `invoice` (and a keysend's invoice-like entry) asks, parsed. */
export interface InvoiceRequest {
  amountMsat?: bigint;
  label: string;
  description: string;
  expiry: number;
  preimage: Uint8Array;
  cltv: number;
  hashOnly: boolean;
  /** BOLT 11 `r` route hints. */
  routes?: RouteHop[][];
}

/** Builds, signs (hsmd) and records an invoice: `invoice`'s result, or Core Lightning's 900/901. */
export async function createInvoice(d: InvoiceDeps, q: InvoiceRequest): Promise<Record<string, unknown>> {
  const { amountMsat, label, description, expiry, preimage, cltv, hashOnly } = q;
  const descBytes = new TextEncoder().encode(description);
  if (descBytes.length > FIELD_BYTE_LIMIT && !hashOnly)
    throw bad(`Description greater than ${FIELD_BYTE_LIMIT} bytes invalid (description length ${descBytes.length})`);

  const paymentHash = sha256(preimage);
  const payment_hash = toHex(paymentHash);
  // Core Lightning checks the preimage before the label.
  const existing = d.db.invoices();
  if (existing.some(i => i.payment_hash === payment_hash)) throw new RpcError(InvoiceCode.PREIMAGE_ALREADY_EXISTS, 'preimage already used');
  if (existing.some(i => i.label === label)) throw new RpcError(InvoiceCode.LABEL_ALREADY_EXISTS, `Duplicate label '${label}'`);

  const paymentSecret = d.randomBytes(32);
  const timestamp = d.now();
  const fields = buildInvoiceFields({
    paymentHash,
    paymentSecret,
    ...(hashOnly ? { descriptionHash: sha256(descBytes) } : { description }),
    // BOLT 11: `x` "default is 3600 (1 hour) if not specified": written only when it differs.
    ...(expiry !== DEFAULT_EXPIRY ? { expiry } : {}),
    minFinalCltvExpiry: cltv,
    features: INVOICE_FEATURES,
    ...(q.routes?.length ? { routes: q.routes } : {}),
  });
  let hrp: string;
  let data: number[];
  try {
    ({ hrp, data } = invoiceToSign({
      currency: currencyOf(d.network),
      ...(amountMsat !== undefined ? { amountMsat } : {}),
      timestamp,
      fields,
    }));
  } catch (e) {
    if (isBoltError(e)) throw bad(e.message);
    throw e;
  }
  const bolt11 = signedInvoice(hrp, data, await d.signInvoice(hrp, data));
  const expires_at = timestamp + expiry;
  let created_index: number;
  try {
    created_index = await d.db.addInvoice({
      label,
      bolt11,
      payment_hash,
      payment_secret: toHex(paymentSecret),
      payment_preimage: toHex(preimage),
      ...(amountMsat !== undefined ? { amount_msat: amountMsat.toString() } : {}),
      description,
      ...(hashOnly ? { deschashonly: true } : {}),
      expires_at,
      status: 'unpaid',
      min_final_cltv_expiry: cltv,
    });
  } catch (e) {
    // A concurrent `invoice` took the label or preimage while hsmd signed.
    if (e instanceof DuplicateInvoiceError)
      throw e.field === 'label'
        ? new RpcError(InvoiceCode.LABEL_ALREADY_EXISTS, `Duplicate label '${label}'`)
        : new RpcError(InvoiceCode.PREIMAGE_ALREADY_EXISTS, 'preimage already used');
    throw e;
  }
  return { payment_hash, expires_at, bolt11, payment_secret: toHex(paymentSecret), created_index };
}

/** Keeps keysend labels apart within one millisecond (our clocks give no nanoseconds). */
let keysendSeq = 0;

/**
 * A keysend's invoice-like entry, as Core Lightning's keysend plugin makes one: label
 * `keysend-SECONDS.NANOSECONDS`, amount "any", description "keysend", the payer's preimage;
 * unpaid until the caller marks it paid. Returns its label.
 */
export async function createKeysendInvoice(d: InvoiceDeps, preimage: Uint8Array, nowMs: number): Promise<string> {
  keysendSeq = (keysendSeq + 1) % 1_000_000;
  const nanos = (nowMs % 1000) * 1_000_000 + keysendSeq;
  const label = `keysend-${Math.floor(nowMs / 1000)}.${String(nanos).padStart(9, '0')}`;
  await createInvoice(d, {
    label,
    description: 'keysend',
    expiry: DEFAULT_INVOICE_EXPIRY,
    preimage,
    cltv: DEFAULT_CLTV_FINAL,
    hashOnly: false,
  });
  return label;
}

/** `invoice`'s parameters (all but exposeprivatechannels), checked as Core Lightning checks them. */
export function invoiceParams(p: Record<string, unknown>, d: Pick<InvoiceDeps, 'randomBytes'>): InvoiceRequest {
  const amountMsat = amountParam(p.amount_msat);
  const label = labelParam(p.label);
  if (typeof p.description !== 'string') throw bad('description: should be a string');
  const expiry = uintParam(p.expiry, 'expiry', DEFAULT_INVOICE_EXPIRY, 2 ** 35 - 1);
  if (p.fallbacks !== undefined) throw bad('fallbacks: not supported yet');
  const preimage = p.preimage === undefined ? d.randomBytes(32) : fromHex(hashParam(p.preimage, 'preimage'));
  const cltv = uintParam(p.cltv, 'cltv', DEFAULT_CLTV_FINAL, 2 ** 32 - 1);
  const hashOnly = boolParam(p.deschashonly, 'deschashonly');
  return { ...(amountMsat !== undefined ? { amountMsat } : {}), label, description: p.description, expiry, preimage, cltv, hashOnly };
}

export function registerInvoiceCommands(rpc: RpcDispatcher, d: InvoiceDeps): void {
  rpc.register('invoice', {
    category: 'payment',
    params: [
      'amount_msat',
      'label',
      'description',
      'expiry?',
      'fallbacks?',
      'preimage?',
      'exposeprivatechannels?',
      'cltv?',
      'deschashonly?',
    ],
    description:
      'Create an invoice for {amount_msat} (or "any") with {label} and {description}, valid for {expiry} seconds (a week), with route hints for private channels ({exposeprivatechannels}).',
    handler: async p => {
      const q = invoiceParams(p, d);
      const hinted = hintChannels(d.channels?.() ?? [], p.exposeprivatechannels);
      const routes = routeHints(hinted, await Promise.all(hinted.map(c => d.peerPolicy?.(c.short_channel_id!, c.peer_id))));
      return createInvoice(d, { routes, ...q });
    },
  });

  rpc.register('listinvoices', {
    category: 'payment',
    params: ['label?', 'invstring?', 'payment_hash?', 'offer_id?'],
    description: 'Show our invoices, or only the one of {label}, {invstring}, {payment_hash} or {offer_id}.',
    handler: p => {
      const given = ['label', 'invstring', 'payment_hash', 'offer_id'].filter(k => p[k] !== undefined);
      if (given.length > 1) throw bad('Can only specify one of {label}, {invstring}, {payment_hash} or {offer_id}');
      let keep: (i: InvoiceRecord) => boolean = () => true;
      if (p.label !== undefined) {
        const label = labelParam(p.label);
        keep = i => i.label === label;
      } else if (p.invstring !== undefined) {
        if (typeof p.invstring !== 'string') throw bad('invstring: should be a string');
        let hash: string;
        try {
          hash = toHex(decodeInvoice(p.invstring).paymentHash);
        } catch (e) {
          if (isBoltError(e)) throw bad(`invstring: ${e.message}`);
          throw e;
        }
        keep = i => i.payment_hash === hash;
      } else if (p.payment_hash !== undefined) {
        const hash = hashParam(p.payment_hash, 'payment_hash');
        keep = i => i.payment_hash === hash;
      } else if (p.offer_id !== undefined) {
        hashParam(p.offer_id, 'offer_id');
        keep = () => false; // no BOLT 12 offers yet
      }
      const now = d.now();
      return {
        invoices: d.db
          .invoices()
          .filter(keep)
          .map(i => invoiceEntry(i, now)),
      };
    },
  });

  rpc.register('delinvoice', {
    category: 'payment',
    params: ['label', 'status', 'desconly?'],
    description: 'Delete the invoice of {label}, if its status is {status} (unpaid, paid or expired).',
    handler: async p => {
      const label = labelParam(p.label);
      if (typeof p.status !== 'string') throw bad('status: should be a string');
      if (boolParam(p.desconly, 'desconly')) throw bad('desconly: not supported yet');
      const inv = d.db.invoice(label);
      if (!inv) throw new RpcError(InvoiceCode.NOT_FOUND, 'Unknown invoice');
      // The status is read once: the error must name what was compared (Core Lightning's comment).
      const entry = invoiceEntry(inv, d.now());
      if (entry.status !== p.status)
        throw new RpcError(InvoiceCode.STATUS_UNEXPECTED, `Invoice status is ${String(entry.status)} not ${p.status}`, {
          current_status: entry.status,
          expected_status: p.status,
        });
      await d.db.deleteInvoice(label);
      return entry;
    },
  });
}
