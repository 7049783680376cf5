// A GossipStore in memory, for tests and for runtimes without storage of their own (edge). It keeps
// write order (a rewritten key moves to the end) and deletes for real, so it has no dead records.
import {
  GossipStoreError,
  checkKey,
  checkRecord,
  copyRecord,
  keyId,
  type GossipKeyRef,
  type GossipLoadResult,
  type GossipRecord,
  type GossipStore,
  type GossipStoreStats,
} from './store.ts';

export class MemoryGossipStore implements GossipStore {
  /** keyId → record; a Map iterates in insertion order, which is write order here. */
  private readonly records = new Map<string, GossipRecord>();
  private bytes = 0;
  private closed = false;
  private readonly meta = new Map<string, string>();

  async load(onRecord: (record: GossipRecord) => void): Promise<GossipLoadResult> {
    this.check();
    for (const r of this.records.values()) onRecord(copyRecord(r));
    return { ...this.snapshot(), discarded: 0 };
  }

  async writeBatch(records: readonly GossipRecord[], deletes: readonly GossipKeyRef[] = []): Promise<void> {
    this.check();
    // Check everything before changing anything: the batch is all or nothing.
    for (const d of deletes) checkKey(d.type, d.key);
    for (const r of records) checkRecord(r);
    for (const d of deletes) this.remove(keyId(d.type, d.key));
    for (const r of records) {
      const id = keyId(r.type, r.key);
      this.remove(id);
      this.records.set(id, copyRecord(r));
      this.bytes += r.raw.length;
    }
  }

  async read(keys: readonly GossipKeyRef[]): Promise<(Uint8Array | undefined)[]> {
    this.check();
    for (const k of keys) checkKey(k.type, k.key);
    return keys.map(k => this.records.get(keyId(k.type, k.key))?.raw.slice());
  }

  delete(keys: readonly GossipKeyRef[]): Promise<void> {
    return this.writeBatch([], keys);
  }

  async compact(): Promise<void> {
    this.check();
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.check();
    return this.meta.get(key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.check();
    this.meta.set(key, value);
  }

  async clear(): Promise<void> {
    this.check();
    this.records.clear();
    this.bytes = 0;
  }

  async stats(): Promise<GossipStoreStats> {
    this.check();
    return this.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private remove(id: string): void {
    const old = this.records.get(id);
    if (!old) return;
    this.bytes -= old.raw.length;
    this.records.delete(id);
  }

  private snapshot(): GossipStoreStats {
    return { live: this.records.size, dead: 0, bytes: this.bytes };
  }

  private check(): void {
    if (this.closed) throw new GossipStoreError('closed', 'the gossip store is closed');
  }
}
