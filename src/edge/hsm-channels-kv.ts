// hsmd's channel signer state on the edge: one record per channel in a key-value storage under
// `hsm_channel/<peer_id>/<dbid>`, beside `hsm_secret`. In a Durable Object that storage is
// `ctx.storage`: a `put` resolves once the write is durable, and the object's output gate holds
// back any outgoing message until its writes are confirmed, so no answer that depends on a record
// leaves before the record is stored. The records hold public data only.
import type { HsmChannelStore, StoredChannelRecord } from '../core/daemons/hsmd/interface.ts';

export const HSM_CHANNEL_KV_PREFIX = 'hsm_channel/';

/** What this store needs of a key-value storage: Durable Object storage has both (structurally). */
export interface KvStorage {
  list(options: { prefix: string }): Promise<Map<string, unknown>>;
  put(key: string, value: unknown): Promise<void>;
}

export function kvHsmChannelStore(kv: KvStorage): HsmChannelStore {
  return {
    async load() {
      const all = await kv.list({ prefix: HSM_CHANNEL_KV_PREFIX });
      return Object.fromEntries([...all].map(([k, v]) => [k.slice(HSM_CHANNEL_KV_PREFIX.length), v as StoredChannelRecord]));
    },
    save: (key, record) => kv.put(HSM_CHANNEL_KV_PREFIX + key, record),
  };
}
