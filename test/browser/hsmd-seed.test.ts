// The browser node's seed: a new data name gets a BIP39 mnemonic that the API hands out once
// (takeMnemonic), `recover` restores the same node id into a new data name, and is refused over a
// data name that has a seed; a stored legacy 32-byte secret keeps working.
import { startNode, WebNodeError, type WebNode } from '../../src/web/index.ts';
import { HSM_SECRET_DB } from '../../src/web/hsm-secret-idb.ts';
import { LIGHTNINGD_DB } from '../../src/web/lightningd-storage-idb.ts';
import { gossipDbName } from '../../src/web/worker-api.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { openDB } from 'idb';
import { equal, ok, rejects } from '../support/assert.ts';

const names: string[] = [];
const freshName = (): string => {
  const n = `seed-test-${crypto.randomUUID()}`;
  names.push(n);
  return n;
};

function deleteDb(name: string): Promise<void> {
  return new Promise(resolve => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

describe('browser node: one seed, shown once, restorable', () => {
  const running: WebNode[] = [];
  const start = async (o: { dataName: string; recover?: string }): Promise<WebNode> => {
    const n = await startNode({ network: 'regtest', ...o });
    running.push(n);
    return n;
  };
  after(async () => {
    for (const n of running) await n.stop();
    for (const n of names) for (const db of [HSM_SECRET_DB.name(n), LIGHTNINGD_DB.name(n), gossipDbName(n)]) await deleteDb(db);
  });

  it('create → the mnemonic once → restore gives the same node id', async () => {
    const name = freshName();
    const created = await start({ dataName: name });
    const mnemonic = created.takeMnemonic();
    ok(typeof mnemonic === 'string' && mnemonic.split(' ').length === 12, 'a 12-word mnemonic on creation');
    equal(created.takeMnemonic(), undefined, 'only once');
    const id = created.id;
    await created.stop();

    // The same data name again: the same node, and no mnemonic handed out.
    const reopened = await start({ dataName: name });
    equal(reopened.id, id);
    equal(reopened.takeMnemonic(), undefined);
    await reopened.stop();

    // A new data name restored from the mnemonic: the same node id, no mnemonic handed back.
    const restoredName = freshName();
    const restored = await start({ dataName: restoredName, recover: `  ${mnemonic!.toUpperCase()} ` });
    equal(restored.id, id);
    equal(restored.takeMnemonic(), undefined);
    const info = (await restored.call('getinfo')) as { id: string };
    equal(info.id, id);
    await restored.stop();

    // Restoring over a data name that has a seed is refused; the seed there is untouched.
    await rejects(start({ dataName: restoredName, recover: mnemonic! }), WebNodeError, 'seed_exists');
    const again = await start({ dataName: restoredName });
    equal(again.id, id);
    await again.stop();
  });

  it('a bad mnemonic is a bad_option that does not quote it; nothing is stored', async () => {
    const name = freshName();
    const bad = 'legal winner thank year wave sausage worth useful legal winner thank thank';
    const e = await rejects<WebNodeError>(start({ dataName: name, recover: bad }), WebNodeError, 'bad_option');
    ok(!e.message.includes(bad), e.message);
    const fresh = await start({ dataName: name });
    ok(fresh.takeMnemonic() !== undefined, 'the data name was still new');
    await fresh.stop();
  });

  it('a legacy 32-byte secret stored before mnemonics keeps working (Core Lightning legacy derivation)', async () => {
    const name = freshName();
    const legacy = new Uint8Array(32).fill(0x42);
    const db = await openDB(HSM_SECRET_DB.name(name), HSM_SECRET_DB.version, {
      upgrade: d => void d.createObjectStore(HSM_SECRET_DB.store),
    });
    await db.put(HSM_SECRET_DB.store, legacy, HSM_SECRET_DB.key);
    db.close();
    const n = await start({ dataName: name });
    equal(n.id, toHex(new Hsmd(legacy).nodeId()));
    equal(n.takeMnemonic(), undefined);
    await n.stop();
  });
});
