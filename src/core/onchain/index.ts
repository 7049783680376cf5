// BOLT 5, pure: what spent the funding output (classify.ts), the outputs to act on and how
// (outputs.ts, plans.ts), the transactions that do it (sweep.ts), when all is resolved (resolve.ts),
// and our anchor's CPFP child (anchor.ts).
export * from './errors.ts';
export * from './classify.ts';
export * from './plans.ts';
export * from './outputs.ts';
export * from './sweep.ts';
export * from './resolve.ts';
export * from './anchor.ts';
