// lightningd's record of a channel's HTLCs, from channeld's changes (each told once, with the state).
import { applyHtlcChanges } from '../../src/core/daemons/lightningd/channel-htlcs.ts';
import { deepEqual } from '../support/assert.ts';

const hash = new Uint8Array(32).fill(1);

describe('lightningd: HTLC changes from channeld', () => {
  it('keeps ours from offered to fulfilled or failed, and the peer’s from incoming to resolved; the input is left as it was', () => {
    const offered = applyHtlcChanges(undefined, [
      { kind: 'offered', id: 0n, amountMsat: 5000n, paymentHash: hash, cltvExpiry: 200 },
      { kind: 'offered', id: 1n, amountMsat: 6000n, paymentHash: hash, cltvExpiry: 201 },
      {
        kind: 'incoming',
        id: 0n,
        amountMsat: 7000n,
        paymentHash: hash,
        cltvExpiry: 202,
        onion: new Uint8Array([9]),
        overDustExposure: true,
      },
    ]);
    deepEqual(Object.keys(offered).sort(), ['in:0', 'out:0', 'out:1']);
    deepEqual(offered['in:0'], {
      direction: 'in',
      id: '0',
      amount_msat: '7000',
      payment_hash: '01'.repeat(32),
      cltv_expiry: 202,
      state: 'incoming',
      onion: '09',
      over_dust_exposure: true,
    });
    const committed = applyHtlcChanges(offered, [{ kind: 'committed', id: 0n }]);
    deepEqual([committed['out:0']!.state, committed['out:1']!.state, offered['out:0']!.state], ['committed', 'offered', 'offered']);
    const done = applyHtlcChanges(committed, [
      { kind: 'fulfilled', id: 0n, preimage: new Uint8Array(32) },
      { kind: 'failed', id: 1n, reason: new Uint8Array(4) },
      { kind: 'resolved', id: 0n },
    ]);
    deepEqual(done, {});
    // Our HTLC 0 and the peer's HTLC 0 are different HTLCs: resolving one leaves the other.
    deepEqual(Object.keys(applyHtlcChanges(offered, [{ kind: 'resolved', id: 0n }])).sort(), ['out:0', 'out:1']);
  });
});
