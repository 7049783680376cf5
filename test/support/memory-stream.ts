// An in-memory ByteStream pair (src/core/net/transport.ts): what one end writes, the other receives,
// in order and asynchronously (on the microtask queue, as a real transport delivers on a later
// turn). Optionally splits every write into chunks at random points, so readers must reassemble.
import type { ByteStream, NetAddress, StreamHandlers } from '../../src/core/net/transport.ts';
import type { Rng } from './fuzz.ts';

type Event = { data: Uint8Array } | { close: string };

export class MemoryStream implements ByteStream {
  peer!: MemoryStream;
  /** Every byte this end wrote, one entry per write. */
  readonly written: Uint8Array[] = [];
  /** Set when the close handler has run: the reason it was given. */
  closedWith: string | undefined;
  private handlers: StreamHandlers | undefined;
  private backlog: Event[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closing = false;
  /** pause() was called and resume() not yet: data waits, in order (a transport that stopped reading). */
  paused = false;
  private held: Uint8Array[] = [];
  /** How many times the reader paused this end. */
  pauses = 0;

  constructor(
    readonly remote: NetAddress | undefined,
    private readonly rng: Rng | undefined,
  ) {}

  start(handlers: StreamHandlers): void {
    if (this.handlers) throw new Error('start() called twice');
    this.handlers = handlers;
    const early = this.backlog;
    this.backlog = [];
    for (const e of early) this.dispatch(e);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closing) return Promise.reject(new Error('stream is closed'));
    const copy = data.slice();
    this.written.push(copy);
    for (const chunk of this.split(copy)) this.peer.enqueue({ data: chunk });
    return Promise.resolve();
  }

  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.peer.closing = true;
    this.peer.enqueue({ close: `peer closed: ${reason}` });
    this.enqueue({ close: reason });
  }

  pause(): void {
    if (!this.paused) this.pauses++;
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (this.held.length && !this.paused && this.closedWith === undefined) this.handlers!.data(this.held.shift()!);
  }

  /** Data that arrived while paused and waits to be read. */
  get waiting(): number {
    return this.held.length;
  }

  /** Whether either end has closed. */
  get isClosed(): boolean {
    return this.closing;
  }

  private split(b: Uint8Array): Uint8Array[] {
    if (!this.rng || b.length <= 1) return [b];
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < b.length) {
      const n = 1 + this.rng.int(Math.min(b.length - i, this.rng.chance(0.5) ? 7 : 200));
      out.push(b.subarray(i, i + n));
      i += n;
    }
    return out;
  }

  private enqueue(e: Event): void {
    this.chain = this.chain.then(() => {
      if (this.handlers) this.dispatch(e);
      else this.backlog.push(e);
    });
  }

  private dispatch(e: Event): void {
    if (this.closedWith !== undefined) return;
    if ('data' in e) {
      if (this.paused) this.held.push(e.data);
      else this.handlers!.data(e.data);
    } else {
      this.closedWith = e.close;
      this.handlers!.close(e.close);
    }
  }
}

export interface MemoryPairOptions {
  /** What each end reports as `remote` (end A sees B's address, end B sees A's). */
  remoteOfA?: NetAddress;
  remoteOfB?: NetAddress;
  /** Split every write into random chunks. */
  rng?: Rng;
}

/** Two connected ends. */
export function memoryStreamPair(opts: MemoryPairOptions = {}): [MemoryStream, MemoryStream] {
  const a = new MemoryStream(opts.remoteOfA, opts.rng);
  const b = new MemoryStream(opts.remoteOfB, opts.rng);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

const macrotask = (globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown }).setTimeout;

/**
 * Lets every pending microtask chain run to its end (two macrotask turns). Not a timing
 * assertion: nothing under test waits on real time; the fake clock drives every timer.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>(r => macrotask(r, 0));
}
