// onchaind in a worker thread (the Node platform's host, src/node/workers/host.ts), started by the
// supervisor from the node table: its init (a bigint dbid, raw transactions) crosses the port by
// structured clone, and its links are Comlink across ports: hsmd's channel link with
// ONCHAIN_CAPABILITIES and lightningd's events. On the peer's revoked commitment it asks to
// broadcast a penalty for every output of it, each signed by hsmd.
import { describe, it } from 'node:test';
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import type { OnchaindSpec } from '../../src/core/daemons/onchaind/interface.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import { superviseDaemons } from '../../src/core/node/supervisor.ts';
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import { nodeLinks } from '../../src/node/workers/links.ts';
import { spawnHost } from '../../src/node/workers/spawn.ts';
import { deepEqual, equal } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { closing, initFor, onchainHsm, signedA } from '../core/onchain-fixture.ts';

describe('onchaind in a worker thread', () => {
  it('takes every output of a revoked commitment, signing through hsmd across a port', async () => {
    installErrorTransfer();
    const x = await closing({ cltvBase: 5000 });
    const revoked = signedA(x.revokedA);
    const daemons = superviseDaemons({ links: nodeLinks, spawnHost, ctx: { networkDir: '/nonexistent' } }, new FakeClock());
    const sent: Transaction[] = [];
    const [hsmUse, hsmAnswer] = daemons.channel();
    const [eventsUse, eventsAnswer] = daemons.channel();
    nodeLinks.expose(onchainHsm(x.hsmd), hsmAnswer);
    nodeLinks.expose(
      {
        watch: () => undefined,
        broadcast: (raw: Uint8Array) => void sent.push(Transaction.fromRaw(raw, TX_OPTS)),
        fund: () => Promise.reject(new Error('not needed')),
        preimage: () => undefined,
        htlcFailed: () => undefined,
        resolved: () => undefined,
      },
      eventsAnswer,
    );
    const o = await daemons.start<OnchaindSpec>(DAEMONS.onchaind, 'onchaind-1', initFor(x, revoked.raw, 800), {
      uses: { hsm: { port: hsmUse }, events: { port: eventsUse } },
      serves: {},
    });
    try {
      const s = await o.api.status();
      deepEqual([s.close, s.commitmentNumber], ['revoked', x.revokedA.localCommit.index]);
      const txid = revoked.built.commitment.tx.id;
      const taken = sent.map(t => `${toHex(t.getInput(0).txid!)}:${t.getInput(0).index}`).sort();
      const all = revoked.built.commitment.outputs.map((_, i) => `${txid}:${i}`).sort();
      deepEqual(taken, all, 'a spend of each output');
      equal(s.outputs.filter(w => w.state === 'broadcast').length, all.length);
    } finally {
      await o.stop();
    }
  });
});
