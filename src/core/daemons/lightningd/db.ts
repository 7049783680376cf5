// lightningd's own database: the peers we have met and the addresses seen for them, and config.
// Runtimes persist it (a JSON file in Node, IndexedDB in the browser, Durable Object storage on the
// edge); this in-memory shape and its (de)serialisation are shared.
import type { Endpoint } from '../../net/address.ts';

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
  | 'AWAITING_UNILATERAL';

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
  /** HTLCs not yet resolved, by `${direction}:${id}`. */
  htlcs?: Record<string, HtlcRecord>;
  /** Why the channel failed (channeld's ChannelFailure), once it is AWAITING_UNILATERAL. */
  failure?: { code: string; message: string; action: 'fail_channel' | 'data_loss'; their_current_per_commitment_point?: string };
  /** The mutual close, once either side sent shutdown. */
  closing?: CloseRecord;
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
  paid_at?: number;
  pay_index?: number;
  amount_received_msat?: string;
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
  /** The next channel dbid to hand out (Core Lightning's channel ids count from 1). */
  next_dbid?: number;
  /** Where the block follower stands (chain/follow.ts FollowerState), recorded after each block. */
  chain?: { height: number; hashes: string[] };
  /** Our invoices by label, and the created_index the next one gets. */
  invoices?: Record<string, InvoiceRecord>;
  next_invoice_index?: number;
}

/** Where the state lives; `save` replaces it whole, atomically (the state is small). */
export interface LightningdStorage {
  load(): Promise<LightningdState | undefined>;
  save(state: LightningdState): Promise<void>;
}

const MAX_ADDRESSES = 8;

export function emptyState(): LightningdState {
  return { version: 1, peers: {}, config: {} };
}

export class LightningdDb {
  private state: LightningdState = emptyState();
  private saving: Promise<void> = Promise.resolve();
  constructor(private readonly storage: LightningdStorage) {}

  async load(): Promise<void> {
    const s = await this.storage.load();
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
  deleteInvoice(label: string): Promise<void> {
    if (this.state.invoices && Object.hasOwn(this.state.invoices, label)) {
      const { [label]: _gone, ...rest } = this.state.invoices;
      this.state.invoices = rest;
    }
    return this.flush();
  }

  /** Saves are serialised so a slow write never lands after a newer one. */
  flush(): Promise<void> {
    const snapshot = structuredCloneState(this.state);
    this.saving = this.saving.then(() => this.storage.save(snapshot));
    return this.saving;
  }
}

function structuredCloneState(s: LightningdState): LightningdState {
  return JSON.parse(JSON.stringify(s)) as LightningdState;
}

export class MemoryLightningdStorage implements LightningdStorage {
  state: LightningdState | undefined;
  async load() {
    return this.state && structuredCloneState(this.state);
  }
  async save(s: LightningdState) {
    this.state = structuredCloneState(s);
  }
}
