// Kept for files written against it: connectd's interface is connectd/interface.ts.
export * from './interface.ts';
