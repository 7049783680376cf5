// lightningd's database in Node (and Deno, through node:fs): its records (db-records.ts) in the
// lightning dir as a snapshot and a log of the batches written since.
// - lightningd.log: one JSON line per batch, `{"seq":N,"puts":[[key,json],...],"deletes":[...]}`,
//   appended and fsynced before the write resolves, so a batch is durable whole when acknowledged.
//   At load a last line cut short (a crash or a power cut during the append) is dropped and cut off
//   the file: that batch was never acknowledged. The other lines replay in order.
// - lightningd.snapshot.json: `{"seq":N,"records":[[key,json],...]}`, every record as of batch N.
//   Once the log is larger than the snapshot (and than a floor), the snapshot is rewritten: to a
//   temporary file, fsynced, renamed over the old one, the directory fsynced (the rename itself is
//   then durable); then the log is emptied. Lines a crash left in the log with seq <= N are skipped.
// - lightningd.json: where the whole state lived before records; loaded as LEGACY_STATE_KEY and
//   removed once the first batch (which rewrites it as records) is durable.
// wallet.json (the on-chain wallet, written once per block) stays one JSON file replaced whole.
import { open, readFile, rename, mkdir, rm, type FileHandle } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { dirname, join } from 'node:path';
import type { LightningdStorage } from '../core/daemons/lightningd/db.ts';
import { LEGACY_STATE_KEY } from '../core/daemons/lightningd/db-records.ts';
import type { WalletState, WalletStorage } from '../core/wallet/state.ts';
import { syncDir } from './fs-sync.ts';

/** One JSON file, replaced atomically: a temporary file, fsync, rename, fsync of the directory. */
export class AtomicJsonFile<T> {
  private readonly path: string;
  constructor(
    private readonly dir: string,
    name: string,
  ) {
    this.path = join(dir, name);
  }
  async load(): Promise<T | undefined> {
    const text = await readIfExists(this.path);
    try {
      return text === undefined ? undefined : (JSON.parse(text) as T);
    } catch (e) {
      throw new Error(`cannot read ${this.path}: ${(e as Error).message}`);
    }
  }
  async save(state: T): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await replaceFile(this.path, JSON.stringify(state, null, 1));
  }
}

export const LIGHTNINGD_FILES = Object.freeze({
  log: 'lightningd.log',
  snapshot: 'lightningd.snapshot.json',
  legacy: 'lightningd.json',
});

export interface FileLightningdStorageOptions {
  /** The log is compacted into the snapshot once larger than it and than this (bytes, default 256 KiB). */
  minCompactBytes?: number;
}

interface Batch {
  seq: number;
  puts: [string, string][];
  deletes: string[];
}

export class FileLightningdStorage implements LightningdStorage {
  readonly #dir: string;
  readonly #minCompact: number;
  /** The records as the files hold them (what a compaction writes). */
  #records = new Map<string, string>();
  /** The seq of the last batch written, and the sizes that decide a compaction. */
  #seq = 0;
  #logBytes = 0;
  #snapshotBytes = 0;
  /** The whole-state file of before records, until the first batch rewrites it. */
  #legacy: string | undefined;
  #opened: Promise<void> | undefined;
  /** Writes run one after another. */
  #tail: Promise<void> = Promise.resolve();
  /** Set when a write failed part way: what the log holds is unknown until the next load. */
  #broken: Error | undefined;

  constructor(dir: string, o: FileLightningdStorageOptions = {}) {
    this.#dir = dir;
    this.#minCompact = o.minCompactBytes ?? 256 * 1024;
  }

  #path(name: keyof typeof LIGHTNINGD_FILES): string {
    return join(this.#dir, LIGHTNINGD_FILES[name]);
  }

  async load(): Promise<Map<string, string>> {
    this.#opened = this.#open();
    await this.#opened;
    const out = new Map(this.#records);
    if (this.#legacy !== undefined) out.set(LEGACY_STATE_KEY, this.#legacy);
    return out;
  }

  /** Reads the snapshot and replays the log over it; cuts a torn last line off the log. */
  async #open(): Promise<void> {
    this.#records = new Map();
    this.#seq = 0;
    const snapText = await readIfExists(this.#path('snapshot'));
    if (snapText !== undefined) {
      let snap: { seq: number; records: [string, string][] };
      try {
        snap = JSON.parse(snapText) as typeof snap;
      } catch (e) {
        throw new Error(`cannot read ${this.#path('snapshot')}: ${(e as Error).message}`);
      }
      this.#records = new Map(snap.records);
      this.#seq = snap.seq;
    }
    this.#snapshotBytes = snapText === undefined ? 0 : Buffer.byteLength(snapText);
    const logPath = this.#path('log');
    const log = await readFile(logPath).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    let good = 0;
    if (log) {
      let start = 0;
      for (let nl = log.indexOf(10); nl >= 0; start = nl + 1, nl = log.indexOf(10, start)) {
        let b: Batch;
        try {
          b = JSON.parse(log.subarray(start, nl).toString('utf8')) as Batch;
          if (typeof b?.seq !== 'number' || !Array.isArray(b.puts) || !Array.isArray(b.deletes)) throw new Error('not a batch');
        } catch (e) {
          // Only the last line may be torn (each batch is fsynced before the next is appended).
          if (log.indexOf(10, nl + 1) < 0 && isTail(log, nl + 1)) break;
          throw new Error(`${logPath}: bad batch at byte ${start}: ${(e as Error).message}`);
        }
        good = nl + 1;
        if (b.seq <= this.#seq) continue; // already in the snapshot (a compaction cut short)
        if (b.seq !== this.#seq + 1) throw new Error(`${logPath}: batch ${b.seq} follows ${this.#seq}: batches are missing`);
        for (const k of b.deletes) this.#records.delete(k);
        for (const [k, v] of b.puts) this.#records.set(k, v);
        this.#seq = b.seq;
      }
      if (good < log.length) {
        // A batch cut short: it was never acknowledged. Cut it off so the next batch starts a line.
        const fh = await open(logPath, 'r+');
        try {
          await fh.truncate(good);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
    }
    this.#logBytes = good;
    this.#legacy = await readIfExists(this.#path('legacy'));
    this.#broken = undefined;
  }

  write(puts: [string, string][], deletes: string[]): Promise<void> {
    const run = this.#tail.then(() => this.#write(puts, deletes));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #write(puts: [string, string][], deletes: string[]): Promise<void> {
    await (this.#opened ??= this.#open());
    if (this.#broken) throw this.#broken;
    const seq = this.#seq + 1;
    const dropLegacy = deletes.includes(LEGACY_STATE_KEY);
    const batch: Batch = { seq, puts, deletes: deletes.filter(k => k !== LEGACY_STATE_KEY) };
    const line = Buffer.from(`${JSON.stringify(batch)}\n`);
    const created = this.#logBytes === 0;
    if (created) await mkdir(this.#dir, { recursive: true });
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.#path('log'), 'a', 0o600);
      await writeAll(fh, line);
      await fh.datasync();
    } catch (e) {
      // Part of the line may be in the file: nothing more is appended after it until a load cuts it.
      this.#broken = new Error(`lightningd's database: a write failed, restart to recover: ${(e as Error).message}`);
      throw e;
    } finally {
      await fh?.close();
    }
    if (created) await syncDir(this.#dir); // the log's directory entry, when it was just made
    this.#seq = seq;
    this.#logBytes += line.length;
    for (const k of batch.deletes) this.#records.delete(k);
    for (const [k, v] of puts) this.#records.set(k, v);
    if (dropLegacy && this.#legacy !== undefined) {
      await rm(this.#path('legacy'), { force: true });
      await rm(`${this.#path('legacy')}.tmp`, { force: true });
      await syncDir(this.#dir);
      this.#legacy = undefined;
    }
    if (this.#logBytes > Math.max(this.#snapshotBytes, this.#minCompact)) await this.#compact();
  }

  /** Writes every record into a new snapshot, then empties the log (whose batches it holds). */
  async #compact(): Promise<void> {
    const text = JSON.stringify({ seq: this.#seq, records: [...this.#records] });
    await replaceFile(this.#path('snapshot'), text);
    const fh = await open(this.#path('log'), 'r+');
    try {
      await fh.truncate(0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.#snapshotBytes = Buffer.byteLength(text);
    this.#logBytes = 0;
  }
}

export class FileWalletStorage extends AtomicJsonFile<WalletState> implements WalletStorage {
  constructor(dir: string) {
    super(dir, 'wallet.json');
  }
}

/** Is everything from `at` on whitespace or NUL (what a power cut may leave past the last line)? */
function isTail(buf: Buffer, at: number): boolean {
  for (let i = at; i < buf.length; i++) if (buf[i] !== 0 && buf[i] !== 0x20 && buf[i] !== 0x0a) return false;
  return true;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
}

/** Replaces `path` by `text`: a temporary file, fsync, rename, fsync of the directory. */
async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await writeAll(fh, Buffer.from(text));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}
