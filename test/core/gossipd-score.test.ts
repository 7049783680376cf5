// score.ts: a peer's bad gossip judged over a sliding window, in proportion to what else it sent.
import { PeerScore } from '../../src/core/daemons/gossipd/score.ts';
import { deepEqual, equal } from '../support/assert.ts';

const LIMITS = { windowMs: 60_000, ratio: 0.5, minBad: 10, sigsPerSecond: 1 };

describe('gossipd: peer score', () => {
  it('mostly invalid: more than half of the window, from minBad invalid messages on', () => {
    const s = new PeerScore(LIMITS, 0);
    for (let i = 0; i < 9; i++) {
      s.seen(0);
      equal(s.bad(0, 0), 'ok');
    }
    s.seen(0);
    equal(s.bad(0, 0), 'mostly_invalid');
    // Half bad (with as many good) is not "mostly".
    const h = new PeerScore(LIMITS, 0);
    for (let i = 0; i < 40; i++) h.seen(0);
    for (let i = 0; i < 20; i++) equal(h.bad(0, 0), 'ok');
  });

  it('forgets what fell out of the window', () => {
    const s = new PeerScore(LIMITS, 0);
    for (let i = 0; i < 9; i++) {
      s.seen(i * 1000);
      s.bad(i * 1000, 0);
    }
    deepEqual(s.totals(8_000), { seen: 9, bad: 9, badSignatures: 0 });
    // A minute and a slot later, those nine are gone: a tenth alone is not enough.
    s.seen(70_000);
    equal(s.bad(70_000, 0), 'ok');
    deepEqual(s.totals(70_000), { seen: 1, bad: 1, badSignatures: 0 });
    // Long idle: everything is forgotten, however far the clock jumps.
    deepEqual(s.totals(10_000_000), { seen: 0, bad: 0, badSignatures: 0 });
  });

  it('bad signatures faster than sigsPerSecond on average over the window, however much is valid', () => {
    const s = new PeerScore(LIMITS, 0);
    for (let i = 0; i < 10_000; i++) s.seen(0);
    // 60 bad signature checks in a minute is the bound; the 61st is over it.
    for (let i = 0; i < 15; i++) equal(s.bad(i * 3000, 4), 'ok');
    equal(s.bad(45_000, 1), 'bad_signature_rate');
  });
});
