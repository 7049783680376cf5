// BOLT 5, pure: what spent the funding output (classify.ts), the outputs to act on and how
// (outputs.ts, plans.ts), the transactions that do it (sweep.ts), and when all is resolved
// (resolve.ts). Our anchor's spend, while our commitment is unconfirmed, is lightningd's
// (daemons/lightningd/anchor-boost.ts), as in Core Lightning.
export * from './errors.ts';
export * from './classify.ts';
export * from './plans.ts';
export * from './outputs.ts';
export * from './sweep.ts';
export * from './resolve.ts';
