// BOLT 2 `attribution_data` on update_fail_htlc and update_fulfill_htlc, through two real channel
// states: sent as the TLV, kept in the state with the removal (so a retransmission after a restart
// carries the same bytes), and handed to lightningd with the removal once irrevocably committed.
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { deserializeChannel, serializeChannel } from '../../src/core/channel/serialize.ts';
import { sendAdd, sendRemoval, updateMessage } from '../../src/core/channel/updates.ts';
import { onTheirRevocation } from '../../src/core/daemons/channeld/changes.ts';
import { encodeMessage, type MessageOf } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { dance, deliver, openPair, type Node } from './channel-fixture.ts';

const onion = new Uint8Array(1366).fill(7);
const preimage = new Uint8Array(32).fill(1);
const attribution = Uint8Array.from({ length: 920 }, (_, i) => (i * 7) & 0xff);

async function committedFromB(): Promise<{ a: Node; b: Node }> {
  const { a, b } = await openPair();
  const r = sendAdd(b.state, { amountMsat: 20_000_000n, paymentHash: sha256(preimage), cltvExpiry: 800_144, onion });
  b.state = r.state;
  await deliver(a, r.messages);
  await dance(b, a);
  return { a, b };
}

describe('attribution_data in the channel (BOLT 2)', () => {
  for (const kind of ['fail', 'fulfill'] as const) {
    it(`an update_${kind === 'fail' ? 'fail' : 'fulfill'}_htlc carries it, a restart retransmits it identically, the peer hands it on`, async () => {
      const { a, b } = await committedFromB();
      const removal =
        kind === 'fail' ? { kind, id: 0n, reason: new Uint8Array(292).fill(3), attribution } : { kind, id: 0n, preimage, attribution };
      const r = sendRemoval(a.state, removal);
      a.state = r.state;
      const sent = r.messages[0]! as MessageOf<'update_fail_htlc'> | MessageOf<'update_fulfill_htlc'>;
      deepEqual(sent.tlvs?.attribution_data, { htlc_hold_times: attribution.subarray(0, 80), truncated_hmacs: attribution.subarray(80) });
      // The state as lightningd stores it: the removal proposed again from it is the same message.
      const restored = deserializeChannel(serializeChannel(a.state));
      deepEqual(encodeMessage(updateMessage(restored.params.channelId, restored.localChanges.proposed[0]!)), encodeMessage(sent));
      await deliver(b, r.messages);
      await dance(a, b);
      const settled = b.settled.find(u => u.kind === kind)!;
      deepEqual(onTheirRevocation([settled]), [
        kind === 'fail'
          ? { kind: 'failed', id: 0n, reason: new Uint8Array(292).fill(3), attribution }
          : { kind: 'fulfilled', id: 0n, preimage, attribution },
      ]);
    });
  }

  it('a removal without it sends no TLV, and the peer hands on none', async () => {
    const { a, b } = await committedFromB();
    const r = sendRemoval(a.state, { kind: 'fail', id: 0n, reason: new Uint8Array([1, 2, 3]) });
    a.state = r.state;
    equal((r.messages[0] as MessageOf<'update_fail_htlc'>).tlvs, undefined);
    await deliver(b, r.messages);
    await dance(a, b);
    const changes = onTheirRevocation(b.settled);
    equal(changes.length, 1);
    ok(!('attribution' in changes[0]!));
  });
});
