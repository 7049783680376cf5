// The wallet's whole persistent state: plain JSON (amounts in satoshis as numbers: 21e14 < 2^53),
// replaced whole and atomically once per block or per wallet action, so a crash leaves either the
// state before a block or the state after it (the follower then replays that block: design.md,
// backend.ts ChainListener). Each runtime backs WalletStorage with its own store.
import type { WalletKeyType } from './signer.ts';

export interface WalletOutput {
  txid: string;
  output: number;
  amount_sat: number;
  /** scriptPubKey, hex. */
  script: string;
  type: WalletKeyType;
  /** The key index k (address k of `type`). */
  index: number;
  /** Height of the active-chain block holding the transaction; absent while unconfirmed. */
  blockheight?: number;
  coinbase?: boolean;
  /** The transaction spending it (seen unconfirmed or in a block). */
  spent_by?: string;
  /** Height of the active-chain block holding `spent_by`: the output is `spent`. */
  spent_height?: number;
  /** Core Lightning's reservation: reserved while the tip is below this height. */
  reserved_to_block?: number;
}

export interface WalletTx {
  txid: string;
  /** The serialized transaction, hex (witness included). */
  rawtx: string;
  blockheight?: number;
  txindex?: number;
}

export interface WalletState {
  version: 1;
  /** The signer's extended public keys this state was built from (a store is never read with another seed's keys). */
  xpubs?: Record<WalletKeyType, string>;
  /**
   * The next key index newaddr hands out, one counter for both types (as Core Lightning's keyidx):
   * a signer deriving both from one chain never shows one key in two address types.
   */
  next: number;
  /** The last block applied, and the recent ones (for a follower to find a fork point after a restart). */
  tip?: { height: number; hash: string };
  recent: { height: number; hash: string }[];
  /** By `txid:output`. */
  outputs: Record<string, WalletOutput>;
  /** Every transaction that paid us or spent from us, by txid. */
  txs: Record<string, WalletTx>;
}

export interface WalletStorage {
  load(): Promise<WalletState | undefined>;
  /** Replaces the whole state atomically: after a crash, load() gives this state or the one before. */
  save(state: WalletState): Promise<void>;
}

export function emptyWalletState(): WalletState {
  return { version: 1, next: 0, recent: [], outputs: {}, txs: {} };
}

export function cloneWalletState(s: WalletState): WalletState {
  return JSON.parse(JSON.stringify(s)) as WalletState;
}

/** Checks the shape of a loaded state (a store written by another version, or damaged). */
export function isWalletState(v: unknown): v is WalletState {
  const s = v as WalletState | null;
  return (
    !!s &&
    typeof s === 'object' &&
    s.version === 1 &&
    Number.isSafeInteger(s.next) &&
    Array.isArray(s.recent) &&
    typeof s.outputs === 'object' &&
    typeof s.txs === 'object'
  );
}

/** A key-value store whose `put` replaces one value atomically (a Durable Object's storage, Deno KV). */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** The wallet's state as one value of a key-value store: one atomic put per block. */
export function keyValueWalletStorage(kv: KeyValueStore, key = 'wallet'): WalletStorage {
  return { load: () => kv.get<WalletState>(key), save: s => kv.put(key, s) };
}

export class MemoryWalletStorage implements WalletStorage {
  state: WalletState | undefined;
  saves = 0;
  async load() {
    return this.state && cloneWalletState(this.state);
  }
  async save(s: WalletState) {
    this.state = cloneWalletState(s);
    this.saves++;
  }
}
