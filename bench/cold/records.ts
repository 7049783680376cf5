// A gossip message as gossipd's store() files it in trust mode (no chain source, so no `extra`):
// how the edge cold-start bench fills its stores (bench/cold/edge.ts in workerd, the file store in
// Node) with the same records.
import { toHex } from '../../src/core/base/bytes.ts';
import { decodeMessage } from '../../src/core/wire/messages.ts';
import { channelUpdateKey, type GossipRecord } from '../../src/core/gossip/store.ts';

export function recordOf(raw: Uint8Array): GossipRecord {
  const m = decodeMessage(raw);
  if (m.name === 'channel_announcement') return { type: 256, key: m.short_channel_id, timestamp: 0, raw };
  if (m.name === 'channel_update')
    return { type: 258, key: channelUpdateKey(m.short_channel_id, (m.channel_flags & 1) as 0 | 1), timestamp: m.timestamp, raw };
  if (m.name === 'node_announcement') return { type: 257, key: toHex(m.node_id), timestamp: m.timestamp, raw };
  throw new Error(`not gossip: ${m.name}`);
}
