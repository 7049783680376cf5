// BOLT 3: keys, per-commitment secrets and their storage, scripts, witnesses, fees, commitment and
// HTLC transactions. Pure; nothing in the node uses it yet (channels come with issue 13).
export * from './errors.ts';
export * from './keys.ts';
export * from './per-commitment.ts';
export * from './shachain.ts';
export * from './scripts.ts';
export * from './witness.ts';
export * from './fees.ts';
export * from './order.ts';
export * from './obscure.ts';
export * from './commitment.ts';
export * from './htlc-tx.ts';
export * from './sign.ts';
export * from './der.ts';
export { hash160, signDer, verifyDer } from './ec.ts';
