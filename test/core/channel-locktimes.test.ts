// Core Lightning's watchtime-blocks and max-locktime-blocks (lightningd/options.c): the to_self_delay
// we ask of peers for their to-self outputs, and the longest one we let a peer ask of ours. Both are
// node options in every runtime (AssemblyOptions), checked once here: BOLT 2's to_self_delay is a u16.
import { locktimeProblem, localSide, MAX_LOCKTIME_BLOCKS, WATCHTIME_BLOCKS } from '../../src/core/daemons/lightningd/channel-config.ts';
import { equal, ok } from '../support/assert.ts';

const BASEPOINTS = {
  funding_pubkey: new Uint8Array(33),
  revocation_basepoint: new Uint8Array(33),
  payment_basepoint: new Uint8Array(33),
  delayed_payment_basepoint: new Uint8Array(33),
  htlc_basepoint: new Uint8Array(33),
} as never;

describe("lightningd's watchtime-blocks and max-locktime-blocks", () => {
  it("default to Core Lightning's mainnet values, and what we ask of a peer is watchtime-blocks", () => {
    equal(WATCHTIME_BLOCKS, 144);
    equal(MAX_LOCKTIME_BLOCKS, 2016);
    equal(localSide(BASEPOINTS, 1_000_000n).toSelfDelay, 144);
    equal(localSide(BASEPOINTS, 1_000_000n, undefined, 6).toSelfDelay, 6);
  });

  it('take whole numbers of blocks from 1 to 65535, watchtime-blocks at most max-locktime-blocks', () => {
    equal(locktimeProblem({}), undefined);
    equal(locktimeProblem({ watchtimeBlocks: 6, maxLocktimeBlocks: 6 }), undefined);
    equal(locktimeProblem({ maxLocktimeBlocks: 65535 }), undefined);
    for (const bad of [0, -1, 1.5, 65536, Number.NaN]) {
      ok(locktimeProblem({ watchtimeBlocks: bad })?.startsWith('watchtime-blocks: expected a whole number'), String(bad));
      ok(locktimeProblem({ maxLocktimeBlocks: bad })?.startsWith('max-locktime-blocks: expected a whole number'), String(bad));
    }
    equal(locktimeProblem({ watchtimeBlocks: 2017 }), 'watchtime-blocks 2017 is over max-locktime-blocks 2016');
    equal(locktimeProblem({ maxLocktimeBlocks: 100 }), 'watchtime-blocks 144 is over max-locktime-blocks 100');
  });
});
