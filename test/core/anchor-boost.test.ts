// When lightningd spends our anchor to bump our unconfirmed commitment (anchor-boost.ts boostPlan,
// Core Lightning's anchorspend): not while the commitment pays what the chain asks; a child at the
// chain's feerate; a BIP 125 replacement when the chain asks more, or when the child has waited
// REBUMP_BLOCKS blocks with an HTLC's deadline within DEADLINE_BLOCKS; else the same child again.
import { boostPlan, DEADLINE_BLOCKS, REBUMP_BLOCKS } from '../../src/core/daemons/lightningd/anchor-boost.ts';
import { deepEqual } from '../support/assert.ts';

const NO_HTLC = Infinity;

describe('anchor CPFP plan (boostPlan)', () => {
  it('no child while the commitment pays what the chain asks; one at the chain’s feerate when it does not', () => {
    deepEqual(boostPlan({ pays: 2500, needs: 2500, tip: 100, deadline: NO_HTLC }), { kind: 'pays_enough' });
    deepEqual(boostPlan({ pays: 253, needs: 1250, tip: 100, deadline: NO_HTLC }), { kind: 'build', target: 1250 });
  });

  it('the same child again while the chain asks no more and no deadline nears', () => {
    const prior = { feeratePerKw: 1250, height: 100 };
    deepEqual(boostPlan({ pays: 253, needs: 1250, tip: 101, deadline: NO_HTLC, prior }), { kind: 'resend', target: 1250 });
    deepEqual(boostPlan({ pays: 253, needs: 800, tip: 150, deadline: NO_HTLC, prior }), { kind: 'resend', target: 1250 }, 'never lower');
    // Once a child is out, the commitment keeps it even if the chain's feerate falls below what the commitment pays.
    deepEqual(boostPlan({ pays: 2000, needs: 1000, tip: 101, deadline: NO_HTLC, prior }), { kind: 'resend', target: 1250 });
  });

  it('a replacement at the chain’s new feerate when it asks more', () => {
    const prior = { feeratePerKw: 1250, height: 100 };
    deepEqual(boostPlan({ pays: 253, needs: 2500, tip: 101, deadline: NO_HTLC, prior }), { kind: 'build', target: 2500 });
  });

  it('near an HTLC deadline, a replacement a quarter higher after REBUMP_BLOCKS unconfirmed, not before', () => {
    const prior = { feeratePerKw: 1000, height: 100 };
    const deadline = 100 + REBUMP_BLOCKS + DEADLINE_BLOCKS;
    deepEqual(boostPlan({ pays: 253, needs: 1000, tip: 100 + REBUMP_BLOCKS - 1, deadline, prior }), { kind: 'resend', target: 1000 });
    deepEqual(boostPlan({ pays: 253, needs: 1000, tip: 100 + REBUMP_BLOCKS, deadline, prior }), { kind: 'build', target: 1250 });
    // Far from the deadline: no hurry.
    deepEqual(boostPlan({ pays: 253, needs: 1000, tip: 100 + REBUMP_BLOCKS, deadline: deadline + 1, prior }), {
      kind: 'resend',
      target: 1000,
    });
    // The chain asking more than a quarter up wins.
    deepEqual(boostPlan({ pays: 253, needs: 3000, tip: 100 + REBUMP_BLOCKS, deadline, prior }), { kind: 'build', target: 3000 });
  });
});
