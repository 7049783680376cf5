// The benchmark harness, the same in Node and in Chromium. A bench file (`bench/*.bench.ts`)
// exports `run(report)` (and optionally `title` and `runtimes`); it calls `report.measure(...)`
// for each case. Results travel as events that scripts/bench.mjs collects from either runtime.

export type Runtime = 'node' | 'chromium';

export interface Row {
  /** Stable id within the bench file, e.g. 'transport-64'. */
  id: string;
  /** What a reader sees in the table. */
  label: string;
  /** Median operations per second over the samples. */
  opsPerSec: number;
  /** The unit an operation is, e.g. 'handshake', 'msg'. */
  unit: string;
  /** Payload bytes per operation, when throughput in MB/s means something. */
  bytesPerOp?: number;
  /** Ids of rows this one is compared with (ratio = its time per op / theirs). */
  baselines?: string[];
  /** Per baseline id: median over rounds of (this row's time per op / the baseline's), when measured in one group. */
  ratios?: Record<string, number>;
  samples: number;
  /** Relative spread of the samples: (max - min) / median. */
  spread: number;
}

export interface MeasureOptions {
  unit?: string;
  bytesPerOp?: number;
  baselines?: string[];
}

export interface Reporter {
  readonly runtime: Runtime;
  /** Shorter runs (CI smoke); numbers are noisier. */
  readonly quick: boolean;
  /** Runs fn repeatedly (sync, or async if it returns a promise) and records a row. */
  measure(id: string, label: string, fn: () => unknown, opts?: MeasureOptions): Promise<Row>;
  /**
   * Measures cases interleaved (a sample of each per round), so they share the machine's load;
   * a case's `baselines` in the same group get paired ratios (Row.ratios).
   */
  measureGroup(cases: Case[]): Promise<Row[]>;
  /** A line of context printed under the table. */
  note(text: string): void;
}

export interface BenchModule {
  run(report: Reporter): Promise<void>;
  title?: string;
  /** Where this bench can run (default: both). */
  runtimes?: Runtime[];
}

export type BenchEvent =
  | { type: 'row'; file: string; runtime: Runtime; row: Row }
  | { type: 'note'; file: string; runtime: Runtime; text: string }
  | { type: 'start'; file: string; runtime: Runtime; title: string; env: string }
  | { type: 'skip'; file: string; runtime: Runtime }
  | { type: 'done'; file: string; runtime: Runtime }
  | { type: 'error'; file: string; runtime: Runtime; message: string };

/** Prefix of the console/stdout lines that carry events. */
export const EVENT_PREFIX = 'BENCH_EVENT ';

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const now = (): number => performance.now();

/** Runs `n` iterations and returns the elapsed milliseconds. Sync functions run without awaits. */
async function timeBatch(fn: () => unknown, n: number, async: boolean): Promise<number> {
  const t0 = now();
  if (async) for (let i = 0; i < n; i++) await fn();
  else for (let i = 0; i < n; i++) fn();
  return now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Case {
  id: string;
  label: string;
  fn: () => unknown;
  opts?: MeasureOptions;
}

interface Calibrated extends Case {
  async: boolean;
  n: number;
  rates: number[];
}

export function createReporter(runtime: Runtime, file: string, emit: (e: BenchEvent) => void, quick = false): Reporter {
  const warmupMs = quick ? 60 : 400;
  const sampleMs = quick ? 25 : 100;
  const totalMs = quick ? 250 : 2000;
  const minSamples = quick ? 3 : 7;

  async function calibrate(c: Case): Promise<Calibrated> {
    // The first call tells sync from async; an async one is awaited before any other call starts,
    // so that no two calls of a case ever overlap (cases that share a connection rely on it).
    const first = c.fn();
    const async = isThenable(first);
    if (async) await first;
    // Warm up (JIT) and find a batch size that takes about sampleMs.
    let n = 1;
    let lastN = 1;
    let lastT = 0;
    const w0 = now();
    while (now() - w0 < warmupMs) {
      lastT = await timeBatch(c.fn, n, async);
      lastN = n;
      if (lastT < sampleMs / 4) n *= 2;
    }
    return { ...c, async, n: Math.max(1, Math.round((lastN * sampleMs) / Math.max(lastT, 0.001))), rates: [] };
  }

  async function group(cases: Case[]): Promise<Row[]> {
    const cs: Calibrated[] = [];
    for (const c of cases) cs.push(await calibrate(c));
    // Interleave: one sample of each case per round (starting with a different case each round),
    // so that every case sees the same machine load, and ratios compare samples of one round.
    const s0 = now();
    for (let round = 0; round < minSamples || now() - s0 < totalMs * cs.length; round++) {
      for (let k = 0; k < cs.length; k++) {
        const c = cs[(round + k) % cs.length]!;
        const t = await timeBatch(c.fn, c.n, c.async);
        c.rates.push((c.n * 1000) / Math.max(t, 0.001));
      }
    }
    const byId = new Map(cs.map(c => [c.id, c]));
    const rows = cs.map((c): Row => {
      const opsPerSec = median(c.rates);
      const ratios: Record<string, number> = {};
      for (const b of c.opts?.baselines ?? []) {
        const base = byId.get(b);
        if (base) ratios[b] = median(c.rates.map((r, i) => base.rates[i]! / r));
      }
      return {
        id: c.id,
        label: c.label,
        opsPerSec,
        unit: c.opts?.unit ?? 'op',
        samples: c.rates.length,
        spread: (Math.max(...c.rates) - Math.min(...c.rates)) / opsPerSec,
        ...(c.opts?.bytesPerOp !== undefined ? { bytesPerOp: c.opts.bytesPerOp } : {}),
        ...(c.opts?.baselines ? { baselines: c.opts.baselines } : {}),
        ...(Object.keys(ratios).length ? { ratios } : {}),
      };
    });
    for (const row of rows) emit({ type: 'row', file, runtime, row });
    return rows;
  }

  return {
    runtime,
    quick,
    async measure(id, label, fn, opts) {
      return (await group([{ id, label, fn, ...(opts ? { opts } : {}) }]))[0]!;
    },
    measureGroup: group,
    note(text) {
      emit({ type: 'note', file, runtime, text });
    },
  };
}

/** Runs one bench module, emitting start/rows/notes/done (or error) events. */
export async function runBench(
  mod: BenchModule,
  file: string,
  runtime: Runtime,
  env: string,
  emit: (e: BenchEvent) => void,
  quick: boolean,
): Promise<void> {
  if (mod.runtimes && !mod.runtimes.includes(runtime)) {
    emit({ type: 'skip', file, runtime });
    return;
  }
  emit({ type: 'start', file, runtime, title: mod.title ?? file, env });
  try {
    await mod.run(createReporter(runtime, file, emit, quick));
    emit({ type: 'done', file, runtime });
  } catch (e) {
    emit({ type: 'error', file, runtime, message: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) });
  }
}
