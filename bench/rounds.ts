// Timed rounds for the channel and payment benches (pay, htlc, web-pay): each side is a Trial whose
// operations are prepared untimed (invoices made, say) and then run one after another (the time of
// each) or all at once (the time from the first start to the last end). Rounds rotate which side
// goes first, so every side sees the same machine load; ratios against the baseline are per round.
import { median, quantile } from './pay-stats.ts';

export interface Trial {
  /** `n` operations, prepared untimed; each resolves once its operation is complete (or `timed`). */
  prepare?(n: number): Promise<(() => Promise<void>)[]>;
  /** Around a timed batch (an LDK pair's event loop runs only then). */
  around?(on: boolean): void;
  /** This side's CPU is this process's (its nodes run here): CPU per operation is measured. */
  cpuHere?: boolean;
  /**
   * Operations timed where they run (a page), instead of prepare: the milliseconds of each of `n`
   * one after another, and of `n` at once.
   */
  timed?: { each(n: number): Promise<number[]>; all(n: number): Promise<number> };
}

/** Operations with nothing to prepare (HTLC round trips). */
export function repeatTrial(once: () => Promise<void>): Trial {
  return { prepare: async n => Array.from({ length: n }, () => once), cpuHere: true };
}

/** Payments: the invoices made untimed, each paid by `pay` (timed). */
export function payTrial(invoice: () => Promise<string> | string, pay: (bolt11: string) => Promise<unknown>): Trial {
  return {
    async prepare(n) {
      const invoices: string[] = [];
      for (let i = 0; i < n; i++) invoices.push(await invoice());
      return invoices.map(inv => async () => void (await pay(inv)));
    },
  };
}

/** CPU milliseconds of this process, every thread (getrusage): what an operation costs whatever the load. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Milliseconds of each of `n` operations one after another, and this process's CPU milliseconds per operation. */
export async function sequential(t: Trial, n: number): Promise<{ ms: number[]; cpu: number }> {
  if (t.timed) return { ms: await t.timed.each(n), cpu: NaN };
  const ops = await t.prepare!(n);
  t.around?.(true);
  const out: number[] = [];
  const c0 = cpuMs();
  try {
    for (const op of ops) {
      const t0 = performance.now();
      await op();
      out.push(performance.now() - t0);
    }
  } finally {
    t.around?.(false);
  }
  return { ms: out, cpu: (cpuMs() - c0) / n };
}

/** Milliseconds from starting `n` operations at once to the last one's end. */
export async function concurrent(t: Trial, n: number): Promise<number> {
  if (t.timed) return t.timed.all(n);
  const ops = await t.prepare!(n);
  t.around?.(true);
  try {
    const t0 = performance.now();
    await Promise.all(ops.map(op => op()));
    return performance.now() - t0;
  } finally {
    t.around?.(false);
  }
}

export interface Compared {
  /** Every sequential operation's milliseconds, per side. */
  ms: Record<string, number[]>;
  /** Per side and round: the median of its sequential operations' milliseconds. */
  med: Record<string, number[]>;
  /** Per side and round: milliseconds for `atOnce` operations at once. */
  wall: Record<string, number[]>;
  /** CPU milliseconds per operation, per side and round (sides with cpuHere). */
  cpu: Record<string, number[]>;
  atOnce: number;
}

/** `rounds` rounds of `perRound` sequential operations, then `atOnce` at once, for every side; warmed up first. */
export async function compare(
  sides: Record<string, Trial>,
  o: { rounds: number; perRound: number; atOnce: number; warmup?: number },
): Promise<Compared> {
  const names = Object.keys(sides);
  const per = () => Object.fromEntries(names.map(n => [n, [] as number[]]));
  const c: Compared = { ms: per(), med: per(), wall: per(), cpu: per(), atOnce: o.atOnce };
  // Untimed: the first operations compile everything.
  for (const n of names) await sequential(sides[n]!, o.warmup ?? 3);
  for (let r = 0; r < o.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const n of order) {
      const { ms, cpu } = await sequential(sides[n]!, o.perRound);
      c.ms[n]!.push(...ms);
      c.med[n]!.push(median(ms));
      if (sides[n]!.cpuHere) c.cpu[n]!.push(cpu);
    }
    for (const n of order) c.wall[n]!.push(await concurrent(sides[n]!, o.atOnce));
  }
  return c;
}

const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** Per round, `xs[r] / base[r]`: their median, and every round's. */
function ratios(xs: number[], base: number[]): string {
  const r = xs.map((x, i) => x / base[i]!);
  return `**${median(r).toFixed(2)}x** (per round: ${r.map(x => x.toFixed(2)).join(', ')})`;
}

/** Whether `n` is a baseline listed before `b` (then already compared with `b`). */
const earlier = (baselines: string[], n: string, b: string) => baselines.includes(n) && baselines.indexOf(n) < baselines.indexOf(b);

/** The notes of a comparison: median time, rate with `atOnce` at once, CPU; every other side against each of `baselines`. */
export function comparisonNotes(c: Compared, baselines: string[], what: string, labels: Record<string, string>): string[] {
  const names = Object.keys(c.ms);
  const L = (n: string) => labels[n] ?? n;
  /** Every other side against each baseline (not against one listed before it), per round. */
  const versus = (bases: string[], among: string[]) =>
    bases.map(b => [b, among.filter(n => n !== b && !earlier(bases, n, b))] as const).filter(([, ns]) => ns.length > 0);
  const against = (of: Record<string, number[]>) =>
    versus(baselines, names)
      .map(([b, ns]) => `against ${L(b)}: ${ns.map(n => `${L(n)} ${ratios(of[n]!, of[b]!)}`).join('; ')}`)
      .join('; ');
  const notes = [
    `median time of one ${what} (${c.ms[names[0]!]!.length} each): ${names.map(n => `${L(n)} **${f(median(c.ms[n]!))} ms**`).join(', ')}; ${against(c.med)}`,
    `${what}s per second, ${c.atOnce} at once: ${names
      .map(n => `${L(n)} **${f(median(c.wall[n]!.map(w => (c.atOnce * 1000) / w)))}/s**`)
      .join(', ')}; time per ${what} ${against(c.wall)}`,
    `one ${what} after another: ${names
      .map(n => `${L(n)} ${f(1000 / median(c.ms[n]!))}/s (p90 ${f(quantile(c.ms[n]!, 0.9))} ms)`)
      .join(', ')}`,
  ];
  const withCpu = names.filter(n => c.cpu[n]!.length > 0);
  const cpuBase = baselines.filter(b => withCpu.includes(b));
  if (withCpu.length > 0)
    notes.push(
      `CPU per ${what} (this process, every thread; median over rounds; not slowed by the machine's load, unlike the times): ${withCpu
        .map(n => `${L(n)} **${f(median(c.cpu[n]!))} ms**`)
        .join(', ')}${versus(cpuBase, withCpu)
        .map(
          ([b, ns]) => `; against ${L(b)}: ${ns.map(n => `${L(n)} **${(median(c.cpu[n]!) / median(c.cpu[b]!)).toFixed(2)}x**`).join(', ')}`,
        )
        .join('')}`,
    );
  return notes;
}
