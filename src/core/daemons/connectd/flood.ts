// How many pings (and pongs we never asked for) one peer may send: a token bucket per connection.
//
// BOLT 1 no longer sets a rate: "SHOULD fail the channels if it has received significantly in excess
// of one `ping` per 30 seconds" was dropped in 2021 (lightning/bolts 49e1c1c); what remains is the
// rationale "Limited precautions are recommended against `ping` flooding, however some latitude is
// given because of network delays". A ping costs us a pong of up to 65531 bytes, so we keep a
// limited precaution: `burst` pings at once, one more every `refillMs`, and one more for every
// `creditEvery` other messages the peer sends that are delivered somewhere (dropped ones earn
// nothing), a ping asking for a large pong costing more. The message credit is the latitude for peers that ping
// as flow control: LDK sends an extra ping after every 32 messages it sends while it has no ping
// outstanding (its BUFFER_DRAIN_MSGS_PER_TICK), so busy LDK peers never run short. A peer that
// sends nothing but pings runs out after `burst` of them.
import type { Clock } from './types.ts';

export interface PingAllowanceOptions {
  clock: Clock;
  /** Pings allowed at once (the bucket's size); 0 turns the limit off. */
  burst: number;
  /** One ping more every this many milliseconds. */
  refillMs: number;
  /** One ping more for every this many other messages from the peer. */
  creditEvery: number;
}

export class PingAllowance {
  private tokens: number;
  private last: number;
  private messages = 0;

  constructor(private readonly o: PingAllowanceOptions) {
    this.tokens = o.burst;
    this.last = o.clock.now();
  }

  /** A message other than `ping` arrived from the peer. */
  noteMessage(): void {
    if (this.o.burst <= 0 || this.o.creditEvery <= 0) return;
    if (++this.messages < this.o.creditEvery) return;
    this.messages = 0;
    this.tokens = Math.min(this.o.burst, this.tokens + 1);
  }

  /** Spends `cost` pings' worth (a ping, an unasked pong; more for a large pong); false when the peer has not that many left. */
  take(cost = 1): boolean {
    if (this.o.burst <= 0) return true;
    const now = this.o.clock.now();
    if (now > this.last && this.o.refillMs > 0) {
      this.tokens = Math.min(this.o.burst, this.tokens + (now - this.last) / this.o.refillMs);
    }
    this.last = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
