// openingd resuming a funded channel before lock-in: the peer's channel_reestablish must say that
// neither side went beyond commitment #0 (BOLT 2 "Message Retransmission").
import { receiveFundedReestablish } from '../../src/core/daemons/openingd/resume.ts';
import type { Funded } from '../../src/core/daemons/openingd/opening.ts';
import { OpeningError } from '../../src/core/daemons/openingd/errors.ts';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { equal, throws } from '../support/assert.ts';

const channelId = new Uint8Array(32).fill(5);
const funded = { params: { channelId } } as unknown as Funded;
const good = {
  name: 'channel_reestablish' as const,
  channel_id: channelId,
  next_commitment_number: 1n,
  next_revocation_number: 0n,
  your_last_per_commitment_secret: new Uint8Array(32),
  my_current_per_commitment_point: secp256k1.getPublicKey(new Uint8Array(32).fill(1), true),
};

describe('openingd: channel_reestablish before lock-in', () => {
  it('takes commitment numbers 1/0 with a zero secret and a valid point', () => {
    equal(receiveFundedReestablish(funded, good), undefined);
  });
  for (const [what, bad] of [
    ['another channel', { channel_id: new Uint8Array(32).fill(6) }],
    ['next_commitment_number 0', { next_commitment_number: 0n }],
    ['next_commitment_number 2 (a commitment_signed we never sent)', { next_commitment_number: 2n }],
    ['next_revocation_number 1', { next_revocation_number: 1n }],
    ['a secret that is not zeroes', { your_last_per_commitment_secret: new Uint8Array(32).fill(9) }],
    ['a point that is not on the curve', { my_current_per_commitment_point: new Uint8Array(33).fill(4) }],
  ] as const) {
    it(`refuses ${what}`, () => {
      throws(() => receiveFundedReestablish(funded, { ...good, ...bad }), OpeningError);
    });
  }
});
