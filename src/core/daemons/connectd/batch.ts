// Gossip crosses the connectd → gossipd link in batches: one buffer (transferred, not copied, to
// gossipd's realm) holding many messages, each preceded by its length as a u16 (BOLT 8: a message
// is at most 65,535 bytes). One call per batch instead of one per message.

/** Packs messages (type included) into one batch buffer of their own. */
export function packGossipBatch(messages: readonly Uint8Array[], bytes?: number): Uint8Array {
  let size = bytes ?? 0;
  if (bytes === undefined) for (const m of messages) size += 2 + m.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const m of messages) {
    out[at] = m.length >> 8;
    out[at + 1] = m.length & 0xff;
    out.set(m, at + 2);
    at += 2 + m.length;
  }
  return out;
}

/**
 * Each message of a batch, as a copy of its own (a view would keep the whole batch alive for as
 * long as one of its messages is held). Stops at a truncated tail (connectd never makes one).
 */
export function unpackGossipBatch(batch: Uint8Array, each: (msg: Uint8Array) => void): void {
  let at = 0;
  while (at + 2 <= batch.length) {
    const n = (batch[at]! << 8) | batch[at + 1]!;
    if (at + 2 + n > batch.length) return;
    each(batch.slice(at + 2, at + 2 + n));
    at += 2 + n;
  }
}
