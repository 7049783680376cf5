// onchaind as the node table has it: a per-channel kind (`many`), loaded by the generic host from the
// table and started by the supervisor as lightningd will start it, with its links (hsmd limited to
// this channel's onchain capabilities, lightningd's events). Started on our own commitment, it
// sends our HTLC-success at once, our to_local sweep only at the block its CSV allows, and asks to
// watch the second stage it creates.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import type { OnchaindEvents, OnchaindSpec } from '../../src/core/daemons/onchaind/interface.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { directSupervisor } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { closing, initFor, onchainHsm, signedB } from './onchain-fixture.ts';

describe('onchaind in the node table', () => {
  it('is a per-channel kind started with its own links; it sends each spend when the next block may hold it', async () => {
    equal(DAEMONS.onchaind.many, true);
    const x = await closing({ cltvBase: 5000 });
    const ours = await signedB(x);
    const clock = new FakeClock();
    const { links, ended, daemons } = directSupervisor(clock);
    const sent: Transaction[] = [];
    const watched: string[] = [];
    const events: OnchaindEvents = {
      watch: ops => void watched.push(...ops.map(o => `${o.txid}:${o.vout}`)),
      broadcast: async raw => void sent.push(Transaction.fromRaw(raw, TX_OPTS)),
      fund: async () => {
        throw new Error('no fee inputs without option_anchors');
      },
      preimage: () => undefined,
      htlcFailed: () => undefined,
      resolved: () => undefined,
    };
    const [hsmUse, hsmAnswer] = daemons.channel();
    const [eventsUse, eventsAnswer] = daemons.channel();
    links.expose(onchainHsm(x.hsmd), hsmAnswer);
    links.expose(events, eventsAnswer);
    const H = 1000;
    const o = await daemons.start<OnchaindSpec>(DAEMONS.onchaind, 'onchaind-1', initFor(x, ours.raw, H), {
      uses: { hsm: { port: hsmUse }, events: { port: eventsUse } },
      serves: {},
    });
    const txid = ours.built.commitment.tx.id;
    equal(watched.length, ours.built.commitment.outputs.length, 'every output of the commitment watched');
    equal(sent.length, 1, 'the HTLC-success (its preimage known) at once');
    const toLocal = ours.built.commitment.outputs.findIndex(c => c.kind === 'to_local');
    const spends = (vout: number) => sent.filter(t => t.getInput(0).index === vout && toHex(t.getInput(0).txid!) === txid);
    await o.api.block({ height: H + 142, spends: [] });
    equal(spends(toLocal).length, 0, 'not before to_self_delay');
    await o.api.block({ height: H + 143, spends: [] });
    equal(spends(toLocal).length, 1, 'in the block CSV 144 allows');
    // The HTLC-success confirms: its output is watched, and swept 144 blocks later.
    const success = sent[0]!;
    const s = await o.api.block({ height: H + 144, spends: [success.toBytes(true, true)] });
    ok(watched.includes(`${success.id}:0`));
    deepEqual(
      s.outputs.filter(w => w.kind === 'our_htlc_tx_output').map(w => w.state),
      ['pending'],
    );
    await o.stop();
    deepEqual(ended, ['onchaind']);
  });
});
