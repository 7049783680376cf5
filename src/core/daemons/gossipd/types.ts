// Kept for files written against it: gossipd's interface is gossipd/interface.ts.
export * from './interface.ts';
