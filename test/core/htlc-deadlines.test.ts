// listpeerchannels' deadlines (lightningd/htlc-deadlines.ts): an offered HTLC's is its
// cltv_expiry, a received one's its cltv_expiry less Core Lightning's margin (34 + 1) / 2 = 17;
// a channel's is its earliest HTLC's; blocks left only with a known tip.
import { deepEqual, equal } from '../support/assert.ts';
import {
  channelDeadlineJson,
  htlcDeadline,
  htlcDeadlineJson,
  RECEIVED_HTLC_MARGIN,
} from '../../src/core/daemons/lightningd/htlc-deadlines.ts';

describe('HTLC deadlines (listpeerchannels)', () => {
  it("an offered HTLC's deadline is its expiry, a received one's 17 blocks before it", () => {
    equal(RECEIVED_HTLC_MARGIN, 17);
    equal(htlcDeadline({ direction: 'out', expiry: 500 }), 500);
    equal(htlcDeadline({ direction: 'in', expiry: 500 }), 483);
  });

  it('gives blocks left from the tip (negative once past), none without a tip', () => {
    deepEqual(htlcDeadlineJson({ direction: 'in', expiry: 500 }, 450), { deadline_blockheight: 483, blocks_until_deadline: 33 });
    deepEqual(htlcDeadlineJson({ direction: 'out', expiry: 500 }, 503), { deadline_blockheight: 500, blocks_until_deadline: -3 });
    deepEqual(htlcDeadlineJson({ direction: 'out', expiry: 500 }, 0), { deadline_blockheight: 500 });
  });

  it("a channel's deadline is its earliest HTLC's, and absent without HTLCs", () => {
    const htlcs = [
      { direction: 'out' as const, expiry: 490 }, // 490
      { direction: 'in' as const, expiry: 505 }, // 488: earlier though its expiry is later
      { direction: 'in' as const, expiry: 600 },
    ];
    deepEqual(channelDeadlineJson(htlcs, 480), { htlc_deadline_blockheight: 488, blocks_until_htlc_deadline: 8 });
    deepEqual(channelDeadlineJson([], 480), {});
  });
});
