// How bad one peer's gossip has been lately, to answer BOLT 7 in proportion: on an invalid message
// (a bad signature, undecodable bytes) the receiver "SHOULD send a warning" and "MAY close the
// connection". A peer relays what others signed, so a few bad messages among many good ones are
// not worth a disconnect (the peer keeps its connection, everything valid it sent is kept); a peer
// whose recent messages are mostly invalid, or that makes us check bad signatures faster than
// `sigsPerSecond` on average, is. What counts as bad is what BOLT 7 answers with "SHOULD send a
// warning": an invalid signature, a node_id that is not a valid point, addresses cut short (and
// bytes that do not decode at all). What it only says to ignore is not: an unknown chain_hash ("MUST
// ignore"), an older or equal timestamp ("SHOULD ignore"), an unknown channel or node ("MUST
// ignore", "SHOULD ignore"), stale updates ("MUST NOT be enforced by forwarding peers, e.g. by
// closing channels when receiving outdated gossip messages"): races between peers make them normal.
// The window is `SLOTS` buckets of windowMs / SLOTS each: counting is O(1), memory fixed per peer.

export interface ScoreLimits {
  windowMs: number;
  /** Disconnect when more than this share of the window's messages were bad... */
  ratio: number;
  /** ...once at least this many were. */
  minBad: number;
  /** Disconnect when the window's bad signature checks average more than this per second. */
  sigsPerSecond: number;
}

export type ScoreVerdict = 'ok' | 'mostly_invalid' | 'bad_signature_rate';

const SLOTS = 12;
const SEEN = 0;
const BAD = 1;
const SIGS = 2;

export class PeerScore {
  private readonly counts = new Float64Array(3 * SLOTS);
  private slot = 0;
  private slotStart: number;
  private readonly slotMs: number;

  constructor(
    private readonly limits: ScoreLimits,
    now: number,
  ) {
    this.slotMs = Math.max(1, limits.windowMs / SLOTS);
    this.slotStart = now;
  }

  /** A message from the peer (valid or not). */
  seen(now: number): void {
    this.advance(now);
    this.counts[3 * this.slot + SEEN]!++;
  }

  /** An invalid message, which cost `signatures` failed signature checks (0 if it never got that far). */
  bad(now: number, signatures: number): ScoreVerdict {
    this.advance(now);
    this.counts[3 * this.slot + BAD]!++;
    this.counts[3 * this.slot + SIGS]! += signatures;
    const seen = this.sum(SEEN);
    const bad = this.sum(BAD);
    if (bad >= this.limits.minBad && bad > this.limits.ratio * Math.max(seen, bad)) return 'mostly_invalid';
    if (this.sum(SIGS) > (this.limits.sigsPerSecond * this.limits.windowMs) / 1000) return 'bad_signature_rate';
    return 'ok';
  }

  /** The window's totals, for logs and tests. */
  totals(now: number): { seen: number; bad: number; badSignatures: number } {
    this.advance(now);
    return { seen: this.sum(SEEN), bad: this.sum(BAD), badSignatures: this.sum(SIGS) };
  }

  private sum(k: number): number {
    let n = 0;
    for (let i = 0; i < SLOTS; i++) n += this.counts[3 * i + k]!;
    return n;
  }

  /** Moves to the slot `now` falls in, emptying the slots that fell out of the window. */
  private advance(now: number): void {
    const steps = Math.floor((now - this.slotStart) / this.slotMs);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, SLOTS); i++) {
      this.slot = (this.slot + 1) % SLOTS;
      this.counts.fill(0, 3 * this.slot, 3 * this.slot + 3);
    }
    this.slotStart += steps * this.slotMs;
  }
}
