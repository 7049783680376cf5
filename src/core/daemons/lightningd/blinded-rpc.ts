// Paying and being paid over a blinded path (BOLT 4 "Route Blinding") without BOLT 12: Core
// Lightning uses blinded paths only inside BOLT 12 invoices, and has no RPC for them alone. Ours,
// named as Core Lightning names its commands and fields:
//  - `blindedinvoice` (invoice's parameters, no route hints): an invoice record as `invoice` makes
//    one (listinvoices, waitinvoice see it), answered with `invoice_paths` (the field of a BOLT 12
//    invoice in Core Lightning's `decode`): one blinded path per channel in normal operation, its
//    introduction node our peer, its `payinfo` what that peer charges (its channel_update towards
//    us). The path's `path_id` (pay/blinded.ts pathIdFor) stands for the payment_secret, which is
//    not given out: the invoice is paid over one of these paths only.
//  - `xpayblinded` (xpay's parameters, `payment_hash`, `amount_msat` and `invoice_paths` in place of
//    `invstring`): xpay's answer, the route ending in the first path whose introduction node is reachable.
import { fromHex, toHex } from '../../base/bytes.ts';
import { isValidPublicKey } from '../../crypto/primitives.ts';
import type { BlindedPath } from '../../onion/index.ts';
import { pathIdFor, receivePath, type BlindedPayInfo, type PayRequest } from '../../pay/index.ts';
import { parseScid } from '../../wire/scid.ts';
import { msat, uint } from './channel-rpc.ts';
import type { ChannelRecord } from './db.ts';
import { DEFAULT_PEER_POLICY, hintScid, type PeerPolicy } from './invoice-hints.ts';
import { createInvoice, DEFAULT_CLTV_FINAL, invoiceParams, type InvoiceDeps } from './invoice-rpc.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';
import { XPAY_REPEAT, type PayControl } from './pay-control.ts';
import { xpayResult } from './pay-rpc.ts';

export interface BlindedDeps {
  invoices: InvoiceDeps;
  /** Our node id, hex. */
  nodeId: string;
  blockheight(): number | Promise<number>;
  pay?: PayControl;
}

/** At most this many paths (as invoice-hints.ts MAX_HINTS). */
const MAX_PATHS = 5;
/** Blocks a path stays usable past the invoice's expiry (10 min a block, a day more). */
const PATH_SLACK_BLOCKS = 144;

const bad = (msg: string) => new RpcError(RpcCode.INVALID_PARAMS, msg);

/** Core Lightning's `invoice_paths` entry. */
function pathJson(path: BlindedPath, payinfo: BlindedPayInfo): Record<string, unknown> {
  return {
    first_node_id: toHex(path.firstNodeId),
    first_path_key: toHex(path.firstPathKey),
    path: path.hops.map(h => ({ blinded_node_id: toHex(h.blindedNodeId), encrypted_recipient_data: toHex(h.encryptedData) })),
    payinfo: {
      fee_base_msat: payinfo.fee_base_msat,
      fee_proportional_millionths: payinfo.fee_proportional_millionths,
      cltv_expiry_delta: payinfo.cltv_expiry_delta,
      htlc_minimum_msat: payinfo.htlc_minimum_msat,
      htlc_maximum_msat: payinfo.htlc_maximum_msat,
      features: '',
    },
  };
}

const hexOf = (v: unknown, what: string, len?: number): Uint8Array => {
  if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v) || (len !== undefined && v.length !== 2 * len))
    throw bad(`invoice_paths: ${what} should be hex`);
  return fromHex(v);
};
const pointOf = (v: unknown, what: string): Uint8Array => {
  const p = hexOf(v, what, 33);
  if (!isValidPublicKey(p)) throw bad(`invoice_paths: ${what} is not a point`);
  return p;
};

/** An amount as blindedinvoice answers it (a bigint in the same process, a number or string through JSON). */
const amountOf = (v: unknown, name: string, dflt: bigint): bigint => (v === undefined ? dflt : typeof v === 'bigint' ? v : msat(v, name));

/** One `invoice_paths` entry, read back. */
function pathParam(v: unknown): { path: BlindedPath; payinfo: BlindedPayInfo } {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw bad('invoice_paths: should be an array of paths');
  const hops = o.path;
  if (!Array.isArray(hops) || hops.length === 0 || hops.length > 20) throw bad('invoice_paths: path should have 1 to 20 hops');
  const pi = (o.payinfo ?? {}) as Record<string, unknown>;
  return {
    path: {
      firstNodeId: pointOf(o.first_node_id, 'first_node_id'),
      firstPathKey: pointOf(o.first_path_key, 'first_path_key'),
      hops: hops.map((h: Record<string, unknown>) => ({
        blindedNodeId: pointOf(h?.blinded_node_id, 'blinded_node_id'),
        encryptedData: hexOf(h?.encrypted_recipient_data, 'encrypted_recipient_data'),
      })),
    },
    payinfo: {
      fee_base_msat: uint(pi.fee_base_msat ?? 0, 'fee_base_msat', 0),
      fee_proportional_millionths: uint(pi.fee_proportional_millionths ?? 0, 'fee_proportional_millionths', 0),
      cltv_expiry_delta: uint(pi.cltv_expiry_delta ?? 0, 'cltv_expiry_delta', 0),
      htlc_minimum_msat: amountOf(pi.htlc_minimum_msat, 'htlc_minimum_msat', 0n),
      htlc_maximum_msat: amountOf(pi.htlc_maximum_msat, 'htlc_maximum_msat', (1n << 64n) - 1n),
    },
  };
}

export function registerBlindedCommands(rpc: RpcDispatcher, d: BlindedDeps): void {
  rpc.register('blindedinvoice', {
    category: 'payment',
    params: ['amount_msat', 'label', 'description', 'expiry?', 'preimage?', 'cltv?'],
    description:
      'Create an invoice for {amount_msat} (or "any") with {label} and {description}, payable only over the blinded paths it answers in invoice_paths (introduction node: a peer of ours).',
    handler: async p => {
      // invoice's own parameter checks and record (label, preimage, expiry, cltv), without hints.
      const inv = d.invoices;
      const channels = (inv.channels?.() ?? [])
        .filter(c => c.state === 'CHANNELD_NORMAL' && c.short_channel_id !== undefined)
        .slice(0, MAX_PATHS);
      if (channels.length === 0) throw new RpcError(RpcCode.LIGHTNINGD, 'No channel in normal operation: no blinded path to us');
      const made = await createInvoice(inv, invoiceParams(p, inv));
      const record = inv.db.invoiceByHash(String(made.payment_hash))!;
      const height = await d.blockheight();
      const cltv = record.min_final_cltv_expiry ?? DEFAULT_CLTV_FINAL;
      const expiryBlocks = Math.ceil((record.expires_at - inv.now()) / 600);
      const paths = await Promise.all(
        channels.map(async c => {
          const policy = (await inv.peerPolicy?.(c.short_channel_id!, c.peer_id)) ?? DEFAULT_PEER_POLICY;
          const { path, payinfo } = receivePath({
            sessionKey: inv.randomBytes(32),
            relays: [relayOf(c, policy)],
            ourNodeId: fromHex(d.nodeId),
            path_id: pathIdFor(fromHex(record.payment_preimage)),
            max_cltv_expiry: height + expiryBlocks + PATH_SLACK_BLOCKS,
            min_final_cltv_expiry_delta: cltv,
            htlc_maximum_msat: BigInt(c.funding_sat) * 1000n,
          });
          return pathJson(path, payinfo);
        }),
      );
      return {
        payment_hash: made.payment_hash,
        expires_at: made.expires_at,
        created_index: made.created_index,
        ...(record.amount_msat !== undefined ? { amount_msat: BigInt(record.amount_msat) } : {}),
        invoice_paths: paths,
      };
    },
  });

  const pay = d.pay;
  if (!pay) return;
  rpc.register('xpayblinded', {
    category: 'payment',
    params: ['payment_hash', 'amount_msat', 'invoice_paths', 'maxfee?', 'retry_for?', 'maxdelay?'],
    description:
      "Pay {amount_msat} for {payment_hash} over one of {invoice_paths} (blindedinvoice's answer), within {maxfee}, retrying for {retry_for} seconds; answers as xpay.",
    handler: async p => {
      if (typeof p.payment_hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(p.payment_hash))
        throw bad('payment_hash: should be a 32 byte hex value');
      const amount = msat(p.amount_msat, 'amount_msat');
      if (amount <= 0n) throw bad('amount_msat: should be positive');
      if (!Array.isArray(p.invoice_paths) || p.invoice_paths.length === 0) throw bad('invoice_paths: should be a non-empty array');
      const paths = p.invoice_paths.map(pathParam);
      let last: unknown;
      // Core Lightning's xpay tries each path; here one after the other, the first that pays ends it.
      for (const b of paths) {
        const req: PayRequest = {
          destination: toHex(b.path.firstNodeId),
          payment_hash: fromHex(p.payment_hash),
          amount_msat: amount,
          final_cltv: b.payinfo.cltv_expiry_delta,
          blinded: b,
          mpp: true,
          ...(p.maxfee !== undefined ? { maxfee_msat: msat(p.maxfee, 'maxfee') } : {}),
          ...(p.retry_for !== undefined ? { retry_for_s: uint(p.retry_for, 'retry_for', 60) } : {}),
          ...(p.maxdelay !== undefined ? { maxdelay: uint(p.maxdelay, 'maxdelay', 2016) } : {}),
        };
        try {
          return xpayResult(await pay.pay({ req }, XPAY_REPEAT));
        } catch (e) {
          last = e;
        }
      }
      throw last;
    },
  });
}

/** Our peer as the introduction node: it forwards to us over `c` at its channel_update's policy. */
function relayOf(c: ChannelRecord, policy: PeerPolicy & { htlc_minimum_msat?: unknown }) {
  return {
    nodeId: fromHex(c.peer_id),
    short_channel_id: parseScid(hintScid(c)),
    relay: {
      cltv_expiry_delta: policy.delay,
      fee_proportional_millionths: policy.fee_per_millionth,
      fee_base_msat: policy.base_fee_millisatoshi,
    },
    htlc_minimum_msat: BigInt(String(policy.htlc_minimum_msat ?? 0).replace(/msat$/, '')),
  };
}
