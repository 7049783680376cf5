// Core Lightning's `waitinvoice` and `waitanyinvoice` (doc/schemas/waitinvoice.json,
// waitanyinvoice.json; lightningd/invoice.c): they answer with the invoice as listinvoices shows
// it once it is paid, woken by lightningd's database after each durable change of an invoice
// (db.ts onInvoiceChange), so a paid invoice is only reported once its paid state is durable.
import type { Clock } from '../../node/daemon.ts';
import type { InvoiceRecord, LightningdDb } from './db.ts';
import { InvoiceCode, invoiceEntry } from './invoice-rpc.ts';
import { RpcCode, RpcError, type RpcDispatcher } from './jsonrpc.ts';

/** Core Lightning's codes for the waits (common/jsonrpc_errors.h). */
export const WaitCode = {
  /** waitinvoice: "If the invoice expires before being paid, or is already expired." */
  EXPIRED_DURING_WAIT: 903,
  /** waitanyinvoice: its `timeout` passed. */
  WAIT_TIMED_OUT: 904,
} as const;

export interface InvoiceWaitDeps {
  db: LightningdDb;
  /** Seconds since 1970. */
  now(): number;
  /** For the waits' timers (an invoice expiring, waitanyinvoice's timeout). */
  clock: Clock;
}

const bad = (msg: string) => new RpcError(RpcCode.INVALID_PARAMS, msg);

/**
 * Resolves with `check()`'s first defined answer, asked now, after each invoice change, and after
 * the delay `after()` names (milliseconds, or undefined for none).
 */
function waitFor<T>(d: InvoiceWaitDeps, check: () => T | undefined, after: () => number | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: unknown;
    let stop = () => {};
    const run = () => {
      let v: T | undefined;
      try {
        v = check();
      } catch (e) {
        stop();
        return reject(e);
      }
      if (v !== undefined) {
        stop();
        return resolve(v);
      }
      if (timer !== undefined) d.clock.clearTimeout(timer);
      const ms = after();
      timer = ms === undefined ? undefined : d.clock.setTimeout(run, Math.max(0, ms));
    };
    const off = d.db.onInvoiceChange(run);
    stop = () => {
      off();
      if (timer !== undefined) d.clock.clearTimeout(timer);
    };
    run();
  });
}

export function registerInvoiceWaitCommands(rpc: RpcDispatcher, d: InvoiceWaitDeps): void {
  rpc.register('waitinvoice', {
    category: 'payment',
    params: ['label'],
    description: 'Wait for the invoice of {label} to be paid; an error if it expires or is deleted first.',
    handler: p => {
      if (typeof p.label !== 'string' && !(typeof p.label === 'number' && Number.isFinite(p.label)))
        throw bad('label: should be a string or number');
      const label = typeof p.label === 'string' ? p.label : JSON.stringify(p.label);
      let inv = d.db.invoice(label);
      if (!inv) throw new RpcError(RpcCode.LIGHTNINGD, 'Label not found');
      return waitFor(
        d,
        () => {
          inv = d.db.invoice(label);
          if (!inv) throw new RpcError(RpcCode.LIGHTNINGD, 'Invoice deleted during wait');
          const entry = invoiceEntry(inv, d.now());
          if (entry.status === 'paid') return entry;
          if (entry.status === 'expired') throw new RpcError(WaitCode.EXPIRED_DURING_WAIT, 'invoice expired during wait', entry);
          return undefined;
        },
        () => (inv?.status === 'unpaid' ? (inv.expires_at - d.now()) * 1000 : undefined),
      );
    },
  });

  rpc.register('waitanyinvoice', {
    category: 'payment',
    params: ['lastpay_index?', 'timeout?'],
    description: 'Wait for the next invoice paid after {lastpay_index} (all of them: 0), for at most {timeout} seconds.',
    handler: p => {
      const uint = (v: unknown, name: string) => {
        const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(`${name}: should be an unsigned 64 bit integer`);
        return n;
      };
      const last = p.lastpay_index === undefined ? 0 : uint(p.lastpay_index, 'lastpay_index');
      const deadline = p.timeout === undefined ? undefined : d.clock.now() + uint(p.timeout, 'timeout') * 1000;
      return waitFor(
        d,
        () => {
          const next = d.db
            .invoices()
            .filter((i): i is InvoiceRecord & { pay_index: number } => i.status === 'paid' && (i.pay_index ?? 0) > last)
            .sort((a, b) => a.pay_index - b.pay_index)[0];
          if (next) return invoiceEntry(next, d.now());
          if (deadline !== undefined && d.clock.now() >= deadline)
            throw new RpcError(WaitCode.WAIT_TIMED_OUT, 'Timed out while waiting for invoice to be paid');
          return undefined;
        },
        () => (deadline === undefined ? undefined : deadline - d.clock.now()),
      );
    },
  });
}

export { InvoiceCode };
