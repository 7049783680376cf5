// BOLT 2 normal operation, pure: a channel's state as data, each transition returning the new
// state and the messages to send (channeld persists the state, then sends). No channeld yet.
export * from './errors.ts';
export * from './state.ts';
export * from './spec.ts';
export * from './views.ts';
export * from './limits.ts';
export * from './commitment.ts';
export * from './signer.ts';
export * from './updates.ts';
export * from './dance.ts';
export * from './serialize.ts';
export * from './receive.ts';
