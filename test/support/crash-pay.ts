// What the crash tests of whole nodes paying (test/node/crash-pay.test.ts, test/browser/crash-pay.test.ts)
// share: where a round's kill lands, the wait for a settled channel, and the invariants on the
// payments of the round before.
import { equal, ok } from './assert.ts';

// The runtime's timers, typed here: this folder is also type-checked without DOM or Node types.
const runtime = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown };
export const sleep = (ms: number) => new Promise<void>(r => runtime.setTimeout(r, ms));
/** JSON with bigints as numbers (Node nodes answer amounts in bigints). */
export const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));

/**
 * Where a round's kill lands, in turn: a random moment after the payments start (mostly before the
 * add or mid-dance), just after the payee marked an invoice paid (its fulfill on its way back or in
 * the dance), just after the payer answered a payment complete (after the fulfill).
 */
export const CUTS = ['timer', 'payee-paid', 'payer-answered'] as const;
export type Cut = (typeof CUTS)[number];
/**
 * Rounds in npm test when CRASH_ROUNDS is not set: each cut in CUTS twice (the cuts rotate, so every
 * run plays every kind). The full run is CRASH_ROUNDS=50 (issue 13: at least 50 times each).
 */
export const DEFAULT_ROUNDS = 2 * CUTS.length;

/** Waits until the round's cut point; says where it was. At most ~15 s for an event that never comes (then it kills anyway). */
export async function untilCut(
  cut: Cut,
  o: { maxDelayMs: number; payeePaid: () => Promise<boolean>; answered: () => boolean },
): Promise<string> {
  const t0 = Date.now();
  if (cut === 'timer') {
    const delay = Math.floor(Math.random() * o.maxDelayMs);
    await sleep(delay);
    return `timer ${delay} ms`;
  }
  for (let i = 0; i < 1500; i++) {
    if (cut === 'payee-paid' ? await o.payeePaid() : o.answered()) {
      const extra = Math.floor(Math.random() * 30);
      await sleep(extra);
      return `${cut} at ${Date.now() - t0 - extra} ms, +${extra} ms`;
    }
    await sleep(10);
  }
  return `${cut} never came (${Date.now() - t0} ms)`;
}

/** Polls `get` until `pred` holds (at most 300 polls `everyMs` apart); fails naming `what` with the last snapshot otherwise. */
export async function until<T>(get: () => Promise<T>, pred: (x: T) => boolean, what: string, everyMs = 100): Promise<T> {
  let x: T | undefined;
  for (let i = 0; i < 300; i++) {
    x = await get();
    if (pred(x)) return x;
    await sleep(everyMs);
  }
  throw new Error(`never ${what}: ${show(x)}`);
}

export type PeerChannel = { state: string; status: string[]; peer_connected: boolean; to_us_msat: number | bigint; htlcs: unknown[] };
export type Pay = { payment_hash: string; status: string; preimage?: string };
export type Invoice = { label: string; status: string; amount_received_msat?: number | bigint; payment_preimage?: string };
export type RoundInvoice = { label: string; hash: string; amount: number };
export interface Outcomes {
  answeredBeforeKill: number;
  completeAfterRestart: number;
  failed: number;
  neverStarted: number;
}
export const noOutcomes = (): Outcomes => ({ answeredBeforeKill: 0, completeAfterRestart: 0, failed: 0, neverStarted: 0 });

/** Reestablished, and settled: channeld in normal operation with the peer connected, no HTLC left. */
export const settled = (c: PeerChannel[]) =>
  c.length === 1 && c[0]!.peer_connected && /^CHANNELD_NORMAL:channeld normal/.test(c[0]!.status[0] ?? '') && c[0]!.htlcs.length === 0;
/** What the payee was paid, over its invoices `l` (already those of this test). */
export const paidSum = (l: Invoice[]) => l.filter(x => x.status === 'paid').reduce((s, x) => s + Number(x.amount_received_msat), 0);

/** The settled state after a restart: both channels settled, nothing pending at the payer, the balances moved by exactly what the payee was paid. */
export function settledAfterRestart(
  x: { payer: PeerChannel[]; payee: PeerChannel[]; pays: Pay[]; invoices: Invoice[] },
  start: { payer: number; payee: number },
): boolean {
  const sum = paidSum(x.invoices);
  return (
    settled(x.payer) &&
    settled(x.payee) &&
    x.pays.every(p => p.status !== 'pending') &&
    Number(x.payer[0]!.to_us_msat) === start.payer - sum &&
    Number(x.payee[0]!.to_us_msat) === start.payee + sum
  );
}

/**
 * The round's invoices: paid at the payee at most once and for its amount, then complete at the
 * payer exactly once with the payee's preimage; unpaid: never complete at the payer. Counts where
 * each payment ended in `outcomes`.
 */
export function checkRound(
  round: RoundInvoice[],
  answers: string[],
  pays: Pay[],
  invoices: Invoice[],
  outcomes: Outcomes,
  where: string,
): void {
  for (const [i, inv] of round.entries()) {
    const at = pays.filter(p => p.payment_hash === inv.hash);
    const complete = at.filter(p => p.status === 'complete');
    const payee = invoices.find(x => x.label === inv.label);
    ok(payee, `${inv.label} listed at the payee, ${where}`);
    ok(complete.length <= 1, `${inv.label} completed ${complete.length} times at the payer, ${where}`);
    if (payee!.status === 'paid') {
      equal(Number(payee!.amount_received_msat), inv.amount, `${inv.label} received once, for its amount, ${where}`);
      equal(complete.length, 1, `${inv.label} paid at the payee but not complete at the payer: ${show(at)}, ${where}`);
      equal(complete[0]!.preimage, payee!.payment_preimage, `the payer holds the payee's preimage, ${where}`);
    } else {
      equal(payee!.status, 'unpaid', `${inv.label}, ${where}`);
      equal(complete.length, 0, `${inv.label} complete at the payer but unpaid at the payee, ${where}`);
    }
    if (answers[i] === 'paid') outcomes.answeredBeforeKill++;
    else if (complete.length === 1) outcomes.completeAfterRestart++;
    else if (at.length > 0) outcomes.failed++;
    else outcomes.neverStarted++;
  }
}
