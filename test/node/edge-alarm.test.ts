// When the edge node's Durable Object sets its alarm (src/edge/alarm.ts): none without a channel,
// the HTLC interval while any channel has an HTLC, the idle interval otherwise; env values parsed.
import { describe, it } from 'node:test';
import { equal } from '../support/assert.ts';
import { DEFAULT_ALARM_POLICY, msVar, nextWake } from '../../src/edge/alarm.ts';

describe('edge alarm plan', () => {
  const policy = { htlcMs: 500, idleMs: 9_000 };
  it('no channel: no alarm', () => {
    equal(nextWake([], policy), undefined);
  });
  it('channels without HTLCs: the idle interval', () => {
    equal(nextWake([{ htlcs: [] }, { htlcs: [] }], policy), 9_000);
  });
  it('an HTLC in any channel: the HTLC interval', () => {
    equal(nextWake([{ htlcs: [] }, { htlcs: [{}] }], policy), 500);
  });
  it("defaults: 30 s with HTLCs (Core Lightning's poll), 10 minutes without", () => {
    equal(nextWake([{ htlcs: [{}] }]), 30_000);
    equal(nextWake([{ htlcs: [] }]), DEFAULT_ALARM_POLICY.idleMs);
    equal(DEFAULT_ALARM_POLICY.idleMs, 600_000);
  });
  it('env values: positive whole milliseconds, else the default', () => {
    equal(msVar('250', 7), 250);
    for (const bad of [undefined, '', '0', '-5', '1.5', 'soon']) equal(msVar(bad, 7), 7, String(bad));
  });
});
