// gossipd's peers: what it keeps of each connected peer (its score, warnings, queries, outbox,
// timestamp filter's sequence) and the peers disconnected for bad gossip, not served again until their ban
// ends. gossipd.ts decides what happens to a peer (newPeer, bad); this file holds the state.
import type { Outbox } from './outbox.ts';
import { PeerScore } from './score.ts';
import type { Clock, GossipdConfig } from './types.ts';

/** At most this many bans are remembered; beyond, expired ones and then the oldest go. */
const MAX_BANS = 1_000;

export interface PeerState {
  id: string;
  /** Its recent gossip, good and bad (score.ts). */
  score: PeerScore;
  /** When it was last warned (clock ms), and the warnings left out since (rate limit). */
  lastWarnAt: number;
  suppressed: number;
  /** Disconnected for misbehaving (or back before its ban ended): what it still sends is dropped. */
  banned: boolean;
  /** Its queries are answered one after another (BOLT 7 lets a peer have one of each kind unanswered). */
  answering: Promise<void>;
  /** Queries received and not fully answered yet (the one being answered included). */
  queries: number;
  /** Times it sent a query with `maxQueuedQueries` waiting already: warned once, disconnected the next time. */
  overruns: number;
  /** Answers and backfill to it, paced by its transport. */
  outbox: Outbox;
  /** Bumped by each gossip_timestamp_filter (the filter itself is kept by relay.ts): the backfill of an older one stops. */
  filterSeq: number;
  /** Its backfill is being sent (one at a time, whatever number of filters it sends). */
  backfilling: boolean;
}

/** The connected peers by id, and the bans of those disconnected for bad gossip. */
export class Peers extends Map<string, PeerState> {
  /** Peers disconnected for bad gossip → until when (clock ms) they are not served again. */
  private readonly bans = new Map<string, number>();

  /** gossipd's clock and config, read when needed (gossipd makes this before its constructor runs). */
  constructor(private readonly options: () => { clock: Clock; config: GossipdConfig }) {
    super();
  }

  /** A new connection: its state, banned when its ban has not ended yet (an expired ban is dropped). */
  open(id: string, outbox: Outbox): PeerState {
    const now = this.options().clock.now();
    const until = this.bans.get(id);
    const banned = until !== undefined && until > now;
    if (!banned) this.bans.delete(id);
    const peer: PeerState = {
      id,
      score: this.newScore(now),
      lastWarnAt: -Infinity,
      suppressed: 0,
      banned,
      answering: Promise.resolve(),
      queries: 0,
      overruns: 0,
      outbox,
      filterSeq: 0,
      backfilling: false,
    };
    this.set(id, peer);
    return peer;
  }

  /** The connection ended: its outbox closes and its state goes. */
  close(id: string): void {
    this.get(id)?.outbox.close();
    this.delete(id);
  }

  /** Not served again until `until` (clock ms); at most MAX_BANS remembered. */
  ban(id: string, until: number): void {
    if (this.bans.size >= MAX_BANS) {
      const now = this.options().clock.now();
      for (const [k, t] of this.bans) if (t <= now) this.bans.delete(k);
      // Still full: the oldest ban goes.
      if (this.bans.size >= MAX_BANS) this.bans.delete(this.bans.keys().next().value!);
    }
    this.bans.delete(id);
    this.bans.set(id, until);
  }

  private newScore(now: number): PeerScore {
    const c = this.options().config;
    return new PeerScore({ windowMs: c.badWindowMs, ratio: c.badRatio, minBad: c.badMinMessages, sigsPerSecond: c.badSigsPerSecond }, now);
  }
}
