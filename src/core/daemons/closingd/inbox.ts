// A channel daemon's queue of the peer's messages (what connectd delivers on its `peer` link),
// bounded: a peer that sends more than the daemon's step can take gets one `flood` entry in their
// place, so it never grows our memory; the daemon's step takes them one at a time, waiting at most
// the daemon's reply timeout on its clock.
import { DecodeError } from '../../base/errors.ts';
import type { Clock } from '../../node/daemon.ts';
import { decodeMessage, type Message } from '../../wire/messages.ts';

export type Inbound = Message | { name: 'gone' | 'undecodable' | 'flood' | 'timeout'; reason: string };

export class PeerInbox {
  readonly #queue: Inbound[] = [];
  readonly #limit: number;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** connectd's delivery: decoded here; unknown types are BOLT 1's business (connectd's). */
  deliver(bytes: Uint8Array): void {
    if (this.#closed) return;
    try {
      const m = decodeMessage(bytes);
      if (m.name !== 'unknown') this.#push(m);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.#push({ name: 'undecodable', reason: e.message });
    }
  }

  gone(reason: string): void {
    this.#push({ name: 'gone', reason });
  }

  /** Stops taking messages (the daemon is done). */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  #push(m: Inbound): void {
    if (this.#queue.at(-1)?.name === 'flood') return;
    if (this.#queue.length >= this.#limit) m = { name: 'flood', reason: `more than ${this.#limit} messages before we could answer` };
    this.#queue.push(m);
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** The next entry; `timeout` if none came within `ms` (never, if undefined). */
  next(clock: Clock, ms: number | undefined): Promise<Inbound> {
    const first = this.#queue.shift();
    if (first) return Promise.resolve(first);
    return new Promise(resolve => {
      const timer =
        ms === undefined
          ? undefined
          : clock.setTimeout(() => {
              this.#wake = undefined;
              resolve({ name: 'timeout', reason: `nothing within ${ms} ms` });
            }, ms);
      this.#wake = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        resolve(this.#queue.shift()!);
      };
    });
  }
}
