// One entry for every normal-operation message from the peer: the new state, the messages to
// send in answer, and what channeld acts on (HTLCs settled, HTLCs to fail for dust exposure).
import type { Message } from '../wire/messages.ts';
import { receiveCommit, receiveRevoke } from './dance.ts';
import type { ChannelSigner } from './signer.ts';
import type { ChannelState, Update } from './state.ts';
import { receiveAdd, receiveFee, receiveRemoval } from './updates.ts';

export interface Received {
  state: ChannelState;
  messages: Message[];
  /** After revoke_and_ack: the peer's updates now irrevocably committed on both sides. */
  settled?: Update[];
  /** After update_add_htlc over our dust exposure bound: fail it once committed (BOLT 2). */
  failOnceCommitted?: bigint;
}

export type NormalOperationMessage = Extract<
  Message,
  {
    name:
      | 'update_add_htlc'
      | 'update_fulfill_htlc'
      | 'update_fail_htlc'
      | 'update_fail_malformed_htlc'
      | 'update_fee'
      | 'commitment_signed'
      | 'revoke_and_ack';
  }
>;

export async function receiveMessage(s: ChannelState, m: NormalOperationMessage, signer: ChannelSigner): Promise<Received> {
  switch (m.name) {
    case 'update_add_htlc': {
      const r = receiveAdd(s, m);
      return { state: r.state, messages: [], ...(r.overDustExposure ? { failOnceCommitted: m.id } : {}) };
    }
    case 'update_fulfill_htlc':
    case 'update_fail_htlc':
    case 'update_fail_malformed_htlc':
      return { state: receiveRemoval(s, m).state, messages: [] };
    case 'update_fee':
      return { state: receiveFee(s, m), messages: [] };
    case 'commitment_signed':
      return receiveCommit(s, m, signer);
    case 'revoke_and_ack': {
      const r = receiveRevoke(s, m);
      return { state: r.state, messages: [], settled: r.settled };
    }
  }
}
