// lightningd's own database: the peers we have met and the addresses seen for them, config, the
// chain position, channels, invoices and the tables of other parts of lightningd. It is held in
// memory and written as records (db-records.ts), only those that changed, one atomic batch per
// flush; runtimes persist the records (a log of batches in Node and Deno, an IndexedDB object store
// in the browser, Durable Object storage on the edge).
import type { Endpoint } from '../../net/address.ts';
import { LEGACY_STATE_KEY, diffRecords, fromRecords, toRecords } from './db-records.ts';

export interface PeerRecord {
  id: string;
  /** Endpoints that worked, most recent first (at most MAX_ADDRESSES). */
  addresses: Endpoint[];
  /** Keep this peer connected: connectd reconnects it with backoff. */
  important?: boolean;
  last_connected?: number;
}

/** Core Lightning's channel states (listpeerchannels `state`) that a channel in our database can be in. */
export type ChannelStateName =
  | 'CHANNELD_AWAITING_LOCKIN'
  | 'CHANNELD_NORMAL'
  | 'CHANNELD_SHUTTING_DOWN'
  | 'CLOSINGD_SIGEXCHANGE'
  | 'CLOSINGD_COMPLETE'
  | 'AWAITING_UNILATERAL'
  | 'FUNDING_SPEND_SEEN'
  | 'ONCHAIN';

/** A mutual close in progress (close-control.ts), from the first shutdown on. Scripts and txs hex. */
export interface CloseRecord {
  /** Our shutdown scriptpubkey and the wallet key it pays (hsmd signs only a close paying it). */
  local_script?: string;
  destination?: { index: number; type: 'p2wpkh' | 'p2tr' };
  /** The peer's shutdown scriptpubkey, once received. */
  remote_script?: string;
  /** The `close` RPC's feerange (perkw), if it gave one. */
  feerange?: [number, number];
  /** The closing transaction both signed (CLOSINGD_COMPLETE), made durable before our last closing_signed left. */
  tx?: string;
  txid?: string;
  fee_sat?: string;
}

/**
 * A channel's life on chain (onchain-control.ts): our commitment once signed for broadcast, the
 * transaction that spent the funding output, and what onchaind needs again after a restart.
 * Transactions raw hex, txids display order.
 */
export interface OnchainRecord {
  /** Our latest commitment, signed by hsmd and the peer, recorded before its first broadcast. */
  commitment_tx?: string;
  commitment_txid?: string;
  /** The transaction that spent the funding output, and the height of its block. */
  spend?: { tx: string; txid: string; height: number };
  /** A commitment of the peer's that spent it, in a block a reorganisation took: sent again each block until a spend is mined. */
  reorged_spend?: { tx: string; txid: string };
  /** 'mutual': a closing transaction (nothing for onchaind to sweep); else a commitment. */
  close?: 'mutual' | 'commitment';
  /** The wallet key onchaind's sweeps pay (so listfunds shows them), the same across restarts. */
  destination?: { index: number; type: 'p2wpkh' | 'p2tr' };
  /** Transactions seen spending the outputs onchaind watches, in order: replayed to it at a restart. */
  spends?: { tx: string; height: number }[];
  /** The height at which every output was irrevocably resolved. */
  resolved_height?: number;
}

/**
 * An HTLC lightningd knows of in a channel (channeld's HtlcChange, written with the state that
 * carries it): ours from `offered` until `fulfilled`/`failed`, the peer's from `incoming` until
 * `resolved`. Amounts decimal, hashes and onions hex.
 */
export interface HtlcRecord {
  direction: 'in' | 'out';
  id: string;
  amount_msat: string;
  payment_hash: string;
  cltv_expiry: number;
  /** out: 'offered' then 'committed'; in: 'incoming' (lightningd must fulfill or fail it). */
  state: 'offered' | 'committed' | 'incoming';
  onion?: string;
  /** Route blinding: the `path_key` of the incoming update_add_htlc (BOLT 2 `blinded_path` TLV). */
  path_key?: string;
  over_dust_exposure?: boolean;
}

/**
 * A channel lightningd holds: written once it is funded (both first commitments signed), before
 * the accepter's funding_signed leaves or the opener broadcasts; then at each change of state.
 */
export interface ChannelRecord {
  /** Decimal: with peer_id, what hsmd derives the channel's keys from (never reused). */
  dbid: string;
  peer_id: string;
  state: ChannelStateName;
  opener: 'local' | 'remote';
  channel_id: string;
  funding_txid: string;
  funding_outnum: number;
  /** The funding output's amount and push_msat, decimal. */
  funding_sat: string;
  push_msat: string;
  /** BOLT 2 channel_type, hex. */
  channel_type: string;
  announce: boolean;
  minimum_depth: number;
  /** The funded channel as openingd gave it (opening.ts Funded), channel/serialize.ts serializeValue. */
  funded: string;
  /** The channel in normal operation (ChannelState, serializeChannel), from channel_ready on. */
  channel?: string;
  /** Where the funding transaction confirmed, and the short_channel_id that gives (`BLOCKxTXxOUT`). */
  funding_height?: number;
  short_channel_id?: string;
  /**
   * BOLT 2 channel_ready's `short_channel_id` `alias` (Core Lightning's listpeerchannels `alias`):
   * `local` the one we chose and sent (recognized for incoming HTLCs to this channel), `remote` the
   * peer's (what our invoices' route hints name for a private channel).
   */
  alias?: { local?: string; remote?: string };
  /** HTLCs not yet resolved, by `${direction}:${id}`. */
  htlcs?: Record<string, HtlcRecord>;
  /**
   * A public channel: the channel_announcement both announcement_signatures made (BOLT 7), hex,
   * once the peer's were received and checked (channel-gossip.ts).
   */
  announcement?: string;
  /** Why the channel failed (channeld's ChannelFailure), once it is AWAITING_UNILATERAL. */
  failure?: { code: string; message: string; action: 'fail_channel' | 'data_loss'; their_current_per_commitment_point?: string };
  /** The mutual close, once either side sent shutdown. */
  closing?: CloseRecord;
  /** Once failed or closed: its life on chain. */
  onchain?: OnchainRecord;
}

/**
 * An invoice we made (invoice-rpc.ts), by label: Core Lightning's invoices table. The preimage is
 * lightningd's, as in Core Lightning's wallet: it leaves only when the invoice is paid.
 */
export interface InvoiceRecord {
  label: string;
  bolt11: string;
  /** hex */
  payment_hash: string;
  payment_secret: string;
  payment_preimage: string;
  /** Decimal; absent for an invoice of "any" amount. */
  amount_msat?: string;
  description: string;
  /** The invoice carries the description's hash (`h`), not the description. */
  deschashonly?: boolean;
  /** Core Lightning's created_index: 1, 2, ... never reused (delinvoice leaves a gap). */
  created_index: number;
  expires_at: number;
  status: 'unpaid' | 'paid';
  /** BOLT 11 `c`: the final hop's least cltv_expiry delta (absent in older records: Core Lightning's 18). */
  min_final_cltv_expiry?: number;
  paid_at?: number;
  /** Core Lightning's pay_index: 1, 2, ... in the order invoices were paid. */
  pay_index?: number;
  /** Core Lightning's updated_index: counts every change of an invoice's status. */
  updated_index?: number;
  amount_received_msat?: string;
  /** The HTLCs that paid it (channel dbid, HTLC id): fulfilled again if still unresolved after a restart. */
  paid_htlcs?: PaidHtlc[];
}

export interface PaidHtlc {
  channel: string;
  id: string;
  amount_msat: string;
}

/** What marks an invoice paid (LightningdDb.markInvoicePaid). */
export interface InvoicePayment {
  paid_at: number;
  amount_received_msat: bigint;
  htlcs: PaidHtlc[];
}

/** An invoice whose label or payment_hash another invoice has (Core Lightning's 900 and 901). */
export class DuplicateInvoiceError extends Error {
  constructor(readonly field: 'label' | 'payment_hash') {
    super(`an invoice with this ${field} exists`);
    this.name = 'DuplicateInvoiceError';
  }
}

export interface LightningdState {
  version: 1;
  peers: Record<string, PeerRecord>;
  config: Record<string, unknown>;
  /** Channels by dbid. */
  channels?: Record<string, ChannelRecord>;
  /** Channels whose outputs are all irrevocably resolved on chain (listclosedchannels), by dbid. */
  closed_channels?: Record<string, ChannelRecord>;
  /** The next channel dbid to hand out (Core Lightning's channel ids count from 1). */
  next_dbid?: number;
  /** Where the block follower stands (chain/follow.ts FollowerState), recorded after each block. */
  chain?: { height: number; hashes: string[] };
  /** Our invoices by label, and the created_index the next one gets. */
  invoices?: Record<string, InvoiceRecord>;
  next_invoice_index?: number;
  /** The pay_index and updated_index the next paid invoice gets. */
  next_pay_index?: number;
  next_invoice_updated_index?: number;
  /** Tables of other parts of lightningd (payments, forwards...), by table name then key (LightningdDb.table). */
  tables?: Record<string, Record<string, unknown>>;
}

/**
 * Where the state lives, as records (db-records.ts: a peer, a channel, an invoice, a table's record
 * each under its own key, the rest under `meta`), each value JSON text. `load` gives every record;
 * `write` puts and deletes records and resolves once the whole batch is durable: all of it or none
 * of it survives a crash. A store written before records may hold the whole state as JSON under
 * LEGACY_STATE_KEY: LightningdDb loads it and its first write rewrites it as records and deletes it.
 */
export interface LightningdStorage {
  load(): Promise<Map<string, string>>;
  write(puts: [key: string, json: string][], deletes: string[]): Promise<void>;
}

const MAX_ADDRESSES = 8;

export function emptyState(): LightningdState {
  return { version: 1, peers: {}, config: {} };
}

export class LightningdDb {
  private state: LightningdState = emptyState();
  private saving: Promise<void> = Promise.resolve();
  private readonly invoiceListeners = new Set<(label: string) => void>();
  /** The records as the last flush left them: what the store holds once the writes queued so far land. */
  private flushed = new Map<string, string>();
  constructor(private readonly storage: LightningdStorage) {}

  async load(): Promise<void> {
    const records = await this.storage.load();
    this.flushed = new Map(records);
    const legacy = records.get(LEGACY_STATE_KEY);
    const s = (fromRecords(records) ?? (legacy === undefined ? undefined : JSON.parse(legacy))) as LightningdState | undefined;
    if (s && s.version === 1 && typeof s.peers === 'object') this.state = s;
  }

  peer(id: string): PeerRecord | undefined {
    return this.state.peers[id];
  }

  peers(): PeerRecord[] {
    return Object.values(this.state.peers);
  }

  config<T>(key: string): T | undefined {
    return this.state.config[key] as T | undefined;
  }

  /** Records that `endpoint` reached `id`, moving it to the front. */
  peerReached(id: string, endpoint: Endpoint | undefined, now: number, important?: boolean): Promise<void> {
    const rec = this.state.peers[id] ?? { id, addresses: [] };
    if (endpoint) {
      const key = JSON.stringify(endpoint);
      rec.addresses = [endpoint, ...rec.addresses.filter(a => JSON.stringify(a) !== key)].slice(0, MAX_ADDRESSES);
    }
    rec.last_connected = now;
    if (important !== undefined) rec.important = important;
    this.state.peers[id] = rec;
    return this.flush();
  }

  /** The block follower's state (chain.ts dbFollowerStore). */
  chainState(): { height: number; hashes: string[] } | undefined {
    const c = this.state.chain;
    return c && { height: c.height, hashes: [...c.hashes] };
  }

  setChainState(c: { height: number; hashes: string[] }): Promise<void> {
    this.state.chain = { height: c.height, hashes: [...c.hashes] };
    return this.flush();
  }

  channels(): ChannelRecord[] {
    return Object.values(this.state.channels ?? {}).map(c => ({ ...c }));
  }

  /** Writes a channel's record; resolves once it is durable (the runtime's save). */
  saveChannel(c: ChannelRecord): Promise<void> {
    this.state.channels = { ...this.state.channels, [c.dbid]: { ...c } };
    return this.flush();
  }

  /** Moves a channel whose close is irrevocably resolved out of the channels we hold (into closed_channels); resolves once durable. */
  forgetChannel(dbid: string): Promise<void> {
    const c = this.state.channels?.[dbid];
    if (c) {
      const { [dbid]: _gone, ...rest } = this.state.channels!;
      this.state.channels = rest;
      this.state.closed_channels = { ...this.state.closed_channels, [dbid]: c };
    }
    return this.flush();
  }

  closedChannels(): ChannelRecord[] {
    return Object.values(this.state.closed_channels ?? {}).map(c => ({ ...c }));
  }

  /** A fresh channel dbid, durable before it is used: hsmd derives keys from it, and keys shown to a peer are never reused. */
  async newDbid(): Promise<bigint> {
    const id = this.state.next_dbid ?? 1;
    this.state.next_dbid = id + 1;
    await this.flush();
    return BigInt(id);
  }

  /** Our invoices, oldest first. */
  invoices(): InvoiceRecord[] {
    return Object.values(this.state.invoices ?? {})
      .sort((a, b) => a.created_index - b.created_index)
      .map(i => ({ ...i }));
  }

  invoice(label: string): InvoiceRecord | undefined {
    const i = this.state.invoices?.[label];
    return i && Object.hasOwn(this.state.invoices!, label) ? { ...i } : undefined;
  }

  /**
   * Adds an invoice under the next created_index (which it returns), checked against every other
   * invoice's label and payment_hash at once (DuplicateInvoiceError), so two concurrent `invoice`
   * calls cannot both take a label; resolves once it is durable.
   */
  async addInvoice(inv: Omit<InvoiceRecord, 'created_index'>): Promise<number> {
    const all = this.state.invoices ?? {};
    if (Object.hasOwn(all, inv.label)) throw new DuplicateInvoiceError('label');
    if (Object.values(all).some(i => i.payment_hash === inv.payment_hash)) throw new DuplicateInvoiceError('payment_hash');
    const created_index = this.state.next_invoice_index ?? 1;
    this.state.next_invoice_index = created_index + 1;
    this.state.invoices = { ...all, [inv.label]: { ...inv, created_index } };
    await this.flush();
    return created_index;
  }

  /** Removes the invoice of `label` (if any); resolves once durable. */
  async deleteInvoice(label: string): Promise<void> {
    if (this.state.invoices && Object.hasOwn(this.state.invoices, label)) {
      const { [label]: _gone, ...rest } = this.state.invoices;
      this.state.invoices = rest;
    }
    await this.flush();
    this.invoiceChanged(label);
  }

  /** The invoice of `payment_hash` (hex), or undefined. */
  invoiceByHash(payment_hash: string): InvoiceRecord | undefined {
    const i = Object.values(this.state.invoices ?? {}).find(v => v.payment_hash === payment_hash);
    return i && { ...i };
  }

  /**
   * Marks the unpaid invoice of `label` paid (pay_index and updated_index counted as Core
   * Lightning counts them) and resolves once that is DURABLE: only then may its preimage leave
   * (issue 14 "the preimage released only once ... the state durable"). Refused (undefined, nothing
   * written) when the invoice is gone or not unpaid.
   */
  async markInvoicePaid(label: string, p: InvoicePayment): Promise<InvoiceRecord | undefined> {
    const inv = this.state.invoices?.[label];
    if (!inv || !Object.hasOwn(this.state.invoices!, label) || inv.status !== 'unpaid') return undefined;
    const pay_index = this.state.next_pay_index ?? 1;
    const updated_index = this.state.next_invoice_updated_index ?? 1;
    this.state.next_pay_index = pay_index + 1;
    this.state.next_invoice_updated_index = updated_index + 1;
    const paid: InvoiceRecord = {
      ...inv,
      status: 'paid',
      paid_at: p.paid_at,
      pay_index,
      updated_index,
      amount_received_msat: p.amount_received_msat.toString(),
      paid_htlcs: p.htlcs.map(h => ({ ...h })),
    };
    this.state.invoices = { ...this.state.invoices, [label]: paid };
    await this.flush();
    this.invoiceChanged(label);
    return { ...paid };
  }

  /** Calls `l(label)` after each durable change of an invoice's status (paid, deleted): waitinvoice, waitanyinvoice. */
  onInvoiceChange(l: (label: string) => void): () => void {
    this.invoiceListeners.add(l);
    return () => this.invoiceListeners.delete(l);
  }

  private invoiceChanged(label: string): void {
    for (const l of [...this.invoiceListeners]) l(label);
  }

  /** A copy of every record of table `name` (a part of lightningd's own: payments, forwards...), by key. */
  table<T>(name: string): Record<string, T> {
    return JSON.parse(JSON.stringify(this.state.tables?.[name] ?? {})) as Record<string, T>;
  }

  /** One record of table `name`, or undefined. */
  record<T>(name: string, key: string): T | undefined {
    const t = this.state.tables?.[name];
    return t && Object.hasOwn(t, key) ? (JSON.parse(JSON.stringify(t[key])) as T) : undefined;
  }

  /**
   * Sets (or with undefined, removes) one record of table `name`, in memory only: it is durable
   * with the next write (flush, or any save), which lets a record ride in the same atomic write as
   * a channel's state (HtlcListener.staging). Call flush() to make it durable on its own.
   */
  stage<T>(name: string, key: string, value: T | undefined): void {
    // Own properties defined, never assigned: a key such as `__proto__` (a label is the caller's
    // choice) is a record like any other, not the object's prototype.
    const own = (o: Record<string, unknown>, k: string, v: unknown) =>
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    const tables = { ...this.state.tables };
    const t = { ...tables[name] };
    if (value === undefined) delete t[key];
    else own(t, key, JSON.parse(JSON.stringify(value)) as unknown);
    own(tables, name, t);
    this.state.tables = tables;
  }

  /**
   * Writes what changed since the last flush (the records whose JSON differs, db-records.ts) in one
   * atomic batch, after the batches before it, so a slow write never lands after a newer one; a
   * record staged before it rides in the same batch. Resolves once the batch is durable.
   */
  flush(): Promise<void> {
    const next = toRecords(this.state);
    const { puts, deletes } = diffRecords(this.flushed, next);
    this.flushed = next;
    this.saving = this.saving.then(() => (puts.length > 0 || deletes.length > 0 ? this.storage.write(puts, deletes) : undefined));
    return this.saving;
  }
}

/** Records in memory, for tests: `writes` lists the keys each write touched. */
export class MemoryLightningdStorage implements LightningdStorage {
  records = new Map<string, string>();
  writes: { puts: string[]; deletes: string[] }[] = [];
  /** The state the records hold, or undefined before the first write. */
  get state(): LightningdState | undefined {
    const legacy = this.records.get(LEGACY_STATE_KEY);
    return (fromRecords(this.records) ?? (legacy === undefined ? undefined : JSON.parse(legacy))) as LightningdState | undefined;
  }
  /** Holds `s` as a store written before records did: one whole-state value. */
  set state(s: LightningdState | undefined) {
    this.records = new Map(s ? [[LEGACY_STATE_KEY, JSON.stringify(s)]] : []);
  }
  async load() {
    return new Map(this.records);
  }
  async write(puts: [string, string][], deletes: string[]) {
    for (const k of deletes) this.records.delete(k);
    for (const [k, v] of puts) this.records.set(k, v);
    this.writes.push({ puts: puts.map(([k]) => k), deletes: [...deletes] });
  }
}
