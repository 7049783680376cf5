// The edge's hsmd channel store (src/edge/hsm-channels-kv.ts) over a key-value storage with
// Durable Object storage's list/put shape (values kept as structured clones, as Durable Object
// storage keeps them): records under their prefix beside other keys, read back by a restarted hsmd.
import { Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { HSM_CHANNEL_KV_PREFIX, kvHsmChannelStore, type KvStorage } from '../../src/edge/hsm-channels-kv.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { advance, DBID, hsmdPair, localCommitmentOf, PEER, SEED } from '../core/hsmd-channel-fixture.ts';

class MapKv implements KvStorage {
  readonly map = new Map<string, unknown>([
    ['hsm_secret', new Uint8Array(32)],
    ['lightningd', { peers: [] }],
  ]);
  async list(o: { prefix: string }): Promise<Map<string, unknown>> {
    return new Map([...this.map].filter(([k]) => k.startsWith(o.prefix)).map(([k, v]) => [k, structuredClone(v)]));
  }
  async put(key: string, value: unknown): Promise<void> {
    this.map.set(key, structuredClone(value));
  }
}

describe('edge: hsmd channel state in key-value storage', () => {
  it('records under hsm_channel/, the other keys untouched; a restarted hsmd refuses the revoked commitment', async () => {
    const kv = new MapKv();
    const p = await hsmdPair(new Hsmd(SEED, kvHsmChannelStore(kv)));
    const c0 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
    await advance(p);
    deepEqual(
      [...kv.map.keys()].filter(k => !k.startsWith(HSM_CHANNEL_KV_PREFIX)),
      ['hsm_secret', 'lightningd'],
    );
    equal([...kv.map.keys()].filter(k => k.startsWith(HSM_CHANNEL_KV_PREFIX)).length, 1);
    const again = new Hsmd(SEED, kvHsmChannelStore(kv));
    await rejects(again.signLocalCommitment(PEER, DBID, c0), HsmError, 'revoked');
    ok((await again.revokeCommitment(PEER, DBID, 0n)).length === 32);
  });
});
