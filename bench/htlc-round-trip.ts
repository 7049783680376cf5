// One HTLC round trip on a channel of ours, the same in Node and in Chromium (bench/htlc.node.bench.ts,
// bench/web-tab.ts): channeld offers an HTLC (update_add_htlc, made durable before it leaves), the
// commitment dance until it is irrevocably committed in both commitments, the peer fails it
// (its onion is zeroes: BOLT 4 invalid_onion_key, update_fail_malformed_htlc; our lightningd and
// LDK both do), and the dance again until lightningd's write of the removal is durable
// (HtlcListener.persisted with the change `failed`). No invoice, route or onion: the channel alone.
import type { Lightningd } from '../src/core/daemons/lightningd/lightningd.ts';

/** Round trips on `lightningd`'s only channel; `height` is the chain tip (for the HTLC's cltv_expiry). */
export function htlcRoundTrips(lightningd: Lightningd, height: () => number, amountMsat = 5_000_000n) {
  const channels = lightningd.channels;
  if (!channels) throw new Error('this node has no channels');
  const record = channels.list().find(c => c.record?.state === 'CHANNELD_NORMAL')?.record;
  if (!record) throw new Error('no channel in CHANNELD_NORMAL');
  const dbid = record.dbid;
  /** HTLC ids whose removal is durable, and who waits for which. */
  const removed = new Set<bigint>();
  const waiting = new Map<bigint, () => void>();
  const unlisten = channels.onHtlcs({
    persisted(channel, changes) {
      if (channel.dbid !== dbid) return;
      for (const c of changes) {
        if (c.kind !== 'failed' && c.kind !== 'fulfilled') continue;
        const w = waiting.get(c.id);
        if (w) {
          waiting.delete(c.id);
          w();
        } else removed.add(c.id);
      }
    },
  });
  return {
    /** One round trip: resolves once the HTLC's removal is durable at our side. */
    async once(): Promise<void> {
      const channeld = channels.channeldOf(dbid);
      if (!channeld) throw new Error('no channeld runs for the channel');
      const paymentHash = crypto.getRandomValues(new Uint8Array(32));
      const { id } = await channeld.api.addHtlc({ amountMsat, paymentHash, cltvExpiry: height() + 100, onion: new Uint8Array(1366) });
      if (removed.delete(id)) return;
      await new Promise<void>(resolve => waiting.set(id, resolve));
    },
    stop: unlisten,
  };
}
