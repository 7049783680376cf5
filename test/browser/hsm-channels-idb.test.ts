// hsmd's channel signer state in the browser: records in hsmd's own IndexedDB database beside the
// seed, written with durability 'strict'. A commitment revoked before hsmd restarts (a new store
// over the same database) is refused for broadcast after; the seed beside them is untouched.
import { toHex } from '../../src/core/base/bytes.ts';
import { Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { channelSecrets } from '../../src/core/keys/derive.ts';
import { IdbHsmChannelStore } from '../../src/web/hsm-channels-idb.ts';
import { HSM_SECRET_DB, loadOrCreateSecretIdb } from '../../src/web/hsm-secret-idb.ts';
import { equal, ok, rejects } from '../support/assert.ts';
import { advance, DBID, hsmdPair, localCommitmentOf, PEER, SEED } from '../core/hsmd-channel-fixture.ts';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

function deleteDb(name: string): Promise<void> {
  return new Promise(resolve => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

describe('browser: hsmd channel state in IndexedDB', () => {
  const name = `hsmch-test-${crypto.randomUUID()}`;
  after(() => deleteDb(HSM_SECRET_DB.name(name)));

  it('survives a restart beside the seed; a revoked commitment stays refused; no secret stored', async () => {
    const seed = await loadOrCreateSecretIdb(name, n => crypto.getRandomValues(new Uint8Array(n)), ABANDON);
    const first = new IdbHsmChannelStore(name);
    const p = await hsmdPair(new Hsmd(SEED, first));
    const c0 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
    await advance(p); // hsmd validated 1 and revealed 0
    await first.close();

    const second = new IdbHsmChannelStore(name);
    try {
      const again = new Hsmd(SEED, second);
      await rejects(again.signLocalCommitment(PEER, DBID, c0), HsmError, 'revoked');
      await rejects(again.revokeCommitment(PEER, DBID, 1n), HsmError, 'not_replaced');
      const stored = JSON.stringify(await second.load());
      ok(stored.includes('"revealed":"0"'));
      for (const s of Object.values(channelSecrets(SEED, PEER, DBID))) ok(!stored.includes(toHex(s)), 'no secret stored');
    } finally {
      await second.close();
    }
    // The seed is still there, unchanged.
    const loaded = await loadOrCreateSecretIdb(name, () => new Uint8Array(32));
    equal(toHex(loaded.secretData), toHex(seed.secretData));
  });
});
