// The on-chain wallet's bookkeeping in lightningd (design.md: lightningd owns "the on-chain wallet's
// bookkeeping"; hsmd owns its keys). It follows the chain as a ChainListener (src/core/chain/backend.ts):
// outputs paying our P2WPKH and P2TR scripts become ours, unconfirmed until a block holds them,
// spent once a block holds their spend; a block disconnected by a reorganisation sends what it
// confirmed back to unconfirmed. Each block's changes are saved in one atomic write before the
// listener resolves. Withdrawals select coins, reserve them (Core Lightning's `reserved_to_block`),
// have the signer sign a PSBT, and broadcast through the caller.
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../base/bytes.ts';
import type { ChainListener, ConnectedBlock, SendResult } from '../chain/backend.ts';
import { WalletError } from './errors.ts';
import { ADDRESS_GAP, WalletKeys, type DerivedKey } from './keys.ts';
import { addressScript, btcNetwork, scriptAddress, type BtcNetwork } from './network.ts';
import { selectCoins, type Candidate } from './select.ts';
import { childPsbt, fundChild, type ChildRequest, type Prevout } from './child.ts';
import { WALLET_KEY_TYPES, type WalletKeyType, type WalletSigner } from './signer.ts';
import { cloneWalletState, emptyWalletState, isWalletState, type WalletOutput, type WalletState, type WalletStorage } from './state.ts';
import { parseTx, READ_OPTS, type ParsedTx } from './tx.ts';

/** Core Lightning reserves a withdrawal's inputs for 72 blocks (RESERVATION_DEFAULT, about 12 hours). */
export const RESERVATION_BLOCKS = 72;
/** Coinbase outputs are spendable after 100 blocks (Bitcoin Core's COINBASE_MATURITY). */
export const COINBASE_MATURITY = 100;
/** Block hashes kept for finding a fork point after a restart. */
const RECENT_BLOCKS = 100;
/** nSequence of our inputs: final for nLockTime, signalling BIP 125 replacement. */
const SEQUENCE_RBF = 0xfffffffd;

export type OutputStatus = 'unconfirmed' | 'confirmed' | 'spent' | 'immature';

/** One output as Core Lightning's listfunds shows it (doc/schemas/listfunds.json). */
export interface FundsOutput {
  txid: string;
  output: number;
  amount_msat: number;
  scriptpubkey: string;
  address?: string;
  status: OutputStatus;
  blockheight?: number;
  reserved: boolean;
  reserved_to_block?: number;
}

export interface WithdrawRequest {
  destination: string;
  /** Satoshis, or everything available. */
  amount: number | 'all';
  /** Feerate in sat per 1000 weight. */
  perkw: number;
  /** Confirmations each input needs (0: unconfirmed ones too). */
  minconf: number;
  /** `txid:vout` outpoints to spend, all of them (instead of selecting). */
  utxos?: string[];
  /** Satoshis to leave in the wallet (Core Lightning's min-emergency-msat, when anchor channels need it; select.ts). */
  emergency_sat?: number;
}

export interface WithdrawResult {
  /** The signed transaction, hex. */
  tx: string;
  txid: string;
  /** The unsigned PSBT, base64. */
  psbt: string;
}

/** What a spend selects coins for: `amount` (or all) to an output of `destScriptLength` bytes. */
interface SpendRequest {
  destScriptLength: number;
  amount: number | 'all';
  perkw: number;
  minconf: number;
  utxos?: string[];
  emergency_sat?: number;
}

/** Coins reserved for one spend (plain data: lightningd keeps it while a channel opens). */
export interface Reservation {
  /** `txid:vout` of each input. */
  inputs: string[];
  /** What the destination output gets. */
  amount_sat: number;
  change_sat: number;
  changeIndex: number;
  lockTime: number;
}

/** BOLT 3 funding output: P2WSH, `OP_0 <32 bytes>`. */
const P2WSH_SCRIPT_LENGTH = 34;

export interface WalletOptions {
  /** Core Lightning's network name: bitcoin, testnet, testnet4, signet, regtest. */
  network: string;
  signer: WalletSigner;
  storage: WalletStorage;
  reservationBlocks?: number;
  /** Told of what the wallet skipped (an undecodable transaction in a block). */
  log?: (message: string) => void;
}

const outKey = (txid: string, n: number) => `${txid}:${n}`;

export class Wallet implements ChainListener {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly o: WalletOptions,
    private readonly keys: WalletKeys,
    private readonly net: BtcNetwork,
    private s: WalletState,
  ) {
    for (const t of WALLET_KEY_TYPES) keys.watchBelow(t, s.next + ADDRESS_GAP);
  }

  /** Loads the wallet's state and asks the signer for its extended public keys. */
  static async open(o: WalletOptions): Promise<Wallet> {
    const [p2wpkh, p2tr] = await Promise.all([o.signer.walletXpub('p2wpkh'), o.signer.walletXpub('p2tr')]);
    const loaded = await o.storage.load();
    if (loaded !== undefined && !isWalletState(loaded)) throw new Error('the wallet store holds a state this version cannot read');
    const s = loaded ?? emptyWalletState();
    if (s.xpubs && (s.xpubs.p2wpkh !== p2wpkh || s.xpubs.p2tr !== p2tr))
      throw new Error("the wallet store belongs to another seed (its extended public keys differ from the signer's)");
    s.xpubs = { p2wpkh, p2tr };
    const net = btcNetwork(o.network);
    return new Wallet(o, new WalletKeys({ p2wpkh, p2tr }, net), net, s);
  }

  /** Runs `fn` after every earlier wallet action, one at a time. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Saves `next` whole; only once it is durable does it become the wallet's state. */
  private async commit(next: WalletState): Promise<void> {
    await this.o.storage.save(next);
    this.s = next;
  }

  /** The last block applied, where a follower resumes (undefined: from the wallet's birth). */
  tip(): { height: number; hash: string } | undefined {
    return this.s.tip && { ...this.s.tip };
  }

  /** Recent blocks applied, oldest first (a follower finds a fork point among them after a restart). */
  recentBlocks(): { height: number; hash: string }[] {
    return this.s.recent.map(b => ({ ...b }));
  }

  private get height(): number {
    return this.s.tip?.height ?? 0;
  }

  // ---- following the chain --------------------------------------------------------------------

  blockConnected(block: ConnectedBlock): Promise<void> {
    return this.run(async () => {
      const s = cloneWalletState(this.s);
      if (s.tip && block.height <= s.tip.height) {
        // A replay (the follower crashed before recording it) changes nothing.
        if (s.recent.some(r => r.height === block.height && r.hash === block.hash)) return;
        // Another block at a height we applied: ours from there up are stale.
        for (let h = s.tip.height; h >= block.height; h--) this.disconnectInto(s, h);
      }
      if (s.tip && block.height > s.tip.height + 1)
        throw new Error(`block ${block.height} does not follow the wallet's tip ${s.tip.height}: blocks are missing`);
      const spent = new Set<string>();
      block.txs.forEach((raw, txindex) => {
        const tx = this.read(raw, `block ${block.height} transaction ${txindex}`);
        if (!tx) return;
        for (const i of tx.inputs) spent.add(outKey(i.txid, i.index));
        this.applyTx(s, tx, raw, { height: block.height, txindex });
      });
      this.evictConflicts(s, spent);
      s.tip = { height: block.height, hash: block.hash };
      s.recent = [...s.recent.filter(r => r.height < block.height && r.height > block.height - RECENT_BLOCKS), s.tip];
      await this.commit(s);
    });
  }

  blockDisconnected(block: { height: number; hash: string }): Promise<void> {
    return this.run(async () => {
      if (!this.s.tip || this.s.tip.height !== block.height || this.s.tip.hash !== block.hash) return;
      const s = cloneWalletState(this.s);
      this.disconnectInto(s, block.height);
      await this.commit(s);
    });
  }

  txSeen(raw: Uint8Array): Promise<void> {
    return this.run(async () => {
      const tx = this.read(raw, 'an unconfirmed transaction');
      const s = cloneWalletState(this.s);
      if (tx && this.applyTx(s, tx, raw)) await this.commit(s);
    });
  }

  /** Applies one transaction (in a block when `at` is given); true when it touched the wallet. */
  private applyTx(s: WalletState, tx: ParsedTx, raw: Uint8Array, at?: { height: number; txindex: number }): boolean {
    const known = s.txs[tx.txid];
    // Seen unconfirmed again (the follower polls the mempool), or after a block holds it: nothing new.
    if (!at && known) return false;
    let touched = false;
    for (const inp of tx.inputs) {
      const o = s.outputs[outKey(inp.txid, inp.index)];
      if (!o) continue;
      touched = true;
      // A new spend in the mempool keeps the output from being selected until it confirms or lapses.
      if (!at && o.spent_by !== tx.txid) o.reserved_to_block = Math.max(o.reserved_to_block ?? 0, this.heightOf(s) + this.reservation);
      o.spent_by = tx.txid;
      if (at) o.spent_height = at.height;
    }
    tx.outputs.forEach((out, n) => {
      const k = this.keys.owner(out.script);
      if (!k) return;
      touched = true;
      const key = outKey(tx.txid, n);
      const o: WalletOutput = s.outputs[key] ?? {
        txid: tx.txid,
        output: n,
        amount_sat: out.amount_sat,
        script: toHex(out.script),
        type: k.type,
        index: k.index,
      };
      if (at) o.blockheight = at.height;
      if (tx.coinbase) o.coinbase = true;
      s.outputs[key] = o;
      this.used(s, k);
    });
    if (touched) {
      s.txs[tx.txid] = { txid: tx.txid, rawtx: toHex(raw), ...(at ? { blockheight: at.height, txindex: at.txindex } : {}) };
    }
    return touched;
  }

  /** Decodes a transaction; one that cannot be decoded cannot be followed: skipped, and said so. */
  private read(raw: Uint8Array, where: string): ParsedTx | undefined {
    try {
      return parseTx(raw);
    } catch (e) {
      this.o.log?.(`wallet: skipped ${where}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Unconfirmed transactions of ours that spend an outpoint the block spent (without being in it)
   * can never confirm: their outputs go, and what they spent of ours is free again (its confirmed
   * spend, if the block holds one, stays). Their unconfirmed descendants go with them.
   */
  private evictConflicts(s: WalletState, spentInBlock: Set<string>): void {
    const dead = new Set<string>();
    for (const t of Object.values(s.txs)) {
      if (t.blockheight !== undefined) continue;
      if (parseTx(fromHex(t.rawtx)).inputs.some(i => spentInBlock.has(outKey(i.txid, i.index)))) dead.add(t.txid);
    }
    for (let grew = dead.size > 0; grew;) {
      grew = false;
      for (const t of Object.values(s.txs)) {
        if (t.blockheight !== undefined || dead.has(t.txid)) continue;
        if (parseTx(fromHex(t.rawtx)).inputs.some(i => dead.has(i.txid))) {
          dead.add(t.txid);
          grew = true;
        }
      }
    }
    for (const txid of dead) {
      delete s.txs[txid];
      for (const [key, o] of Object.entries(s.outputs)) {
        if (o.txid === txid && o.blockheight === undefined) delete s.outputs[key];
        else if (o.spent_by === txid && o.spent_height === undefined) {
          delete o.spent_by;
          delete o.reserved_to_block;
        }
      }
    }
  }

  /** Key `k` was paid: newaddr never hands it out again, and the watched window moves past it. */
  private used(s: WalletState, k: DerivedKey): void {
    if (k.index >= s.next) s.next = k.index + 1;
    for (const t of WALLET_KEY_TYPES) this.keys.watchBelow(t, s.next + ADDRESS_GAP);
  }

  private disconnectInto(s: WalletState, height: number): void {
    for (const [key, o] of Object.entries(s.outputs)) {
      if (o.blockheight === height) {
        // A coinbase output dies with its block; any other receive goes back to unconfirmed.
        if (o.coinbase) delete s.outputs[key];
        else delete o.blockheight;
      }
      if (o.spent_height === height) {
        delete o.spent_height;
        o.reserved_to_block = Math.max(o.reserved_to_block ?? 0, height - 1 + this.reservation);
      }
    }
    for (const [txid, t] of Object.entries(s.txs)) {
      if (t.blockheight !== height) continue;
      if (parseTx(fromHex(t.rawtx)).coinbase) delete s.txs[txid];
      else {
        delete t.blockheight;
        delete t.txindex;
      }
    }
    s.recent = s.recent.filter(r => r.height < height);
    const below = s.recent[s.recent.length - 1];
    s.tip = below?.height === height - 1 ? { ...below } : height > 0 ? { height: height - 1, hash: '' } : undefined;
  }

  private get reservation(): number {
    return this.o.reservationBlocks ?? RESERVATION_BLOCKS;
  }

  private heightOf(s: WalletState): number {
    return s.tip?.height ?? 0;
  }

  // ---- what the RPC shows ---------------------------------------------------------------------

  private status(o: WalletOutput): OutputStatus {
    if (o.spent_height !== undefined) return 'spent';
    if (o.blockheight === undefined) return 'unconfirmed';
    if (o.coinbase && this.height - o.blockheight + 1 < COINBASE_MATURITY) return 'immature';
    return 'confirmed';
  }

  private reserved(o: WalletOutput): boolean {
    return o.reserved_to_block !== undefined && this.height < o.reserved_to_block;
  }

  /** Core Lightning's listfunds `outputs` (spent ones only when asked). */
  listfunds(spent = false): FundsOutput[] {
    return Object.values(this.s.outputs)
      .filter(o => spent || o.spent_height === undefined)
      .sort((a, b) => (a.blockheight ?? Infinity) - (b.blockheight ?? Infinity) || cmp(a.txid, b.txid) || a.output - b.output)
      .map(o => {
        const reserved = this.reserved(o);
        const address = scriptAddress(fromHex(o.script), this.net);
        return {
          txid: o.txid,
          output: o.output,
          amount_msat: o.amount_sat * 1000,
          scriptpubkey: o.script,
          ...(address ? { address } : {}),
          status: this.status(o),
          ...(o.blockheight !== undefined ? { blockheight: o.blockheight } : {}),
          reserved,
          ...(reserved ? { reserved_to_block: o.reserved_to_block } : {}),
        };
      });
  }

  /** Core Lightning's listtransactions (doc/schemas/listtransactions.json): every transaction that touched the wallet. */
  listtransactions() {
    return Object.values(this.s.txs)
      .sort(
        (a, b) => (a.blockheight ?? Infinity) - (b.blockheight ?? Infinity) || (a.txindex ?? 0) - (b.txindex ?? 0) || cmp(a.txid, b.txid),
      )
      .map(t => {
        const tx = parseTx(fromHex(t.rawtx));
        return {
          hash: t.txid,
          rawtx: t.rawtx,
          blockheight: t.blockheight ?? 0,
          txindex: t.txindex ?? 0,
          locktime: tx.locktime,
          version: tx.version,
          inputs: tx.inputs.map(i => ({ txid: i.txid, index: i.index, sequence: i.sequence })),
          outputs: tx.outputs.map((out, index) => ({ index, amount_msat: out.amount_sat * 1000, scriptPubKey: toHex(out.script) })),
        };
      });
  }

  /** Fresh addresses of `types`, all of the next unused key index (newaddr `all`), saved before they are handed out. */
  newaddrs<T extends WalletKeyType>(types: T[]): Promise<Record<T, string>> {
    return this.run(async () => {
      const s = cloneWalletState(this.s);
      const out = {} as Record<T, string>;
      const index = s.next;
      for (const t of types) {
        const k = this.keys.key(t, index);
        out[t] = k.address;
        this.used(s, k);
      }
      await this.commit(s);
      return out;
    });
  }

  /** A fresh key of `type` for a payment to ourselves (onchaind's sweeps), saved before it is handed out: the wallet sees what pays it. */
  newKey(type: WalletKeyType): Promise<{ index: number; type: WalletKeyType; script: Uint8Array }> {
    return this.run(async () => {
      const s = cloneWalletState(this.s);
      const k = this.keys.key(type, s.next);
      this.used(s, k);
      await this.commit(s);
      return { index: k.index, type, script: k.script };
    });
  }

  /** The output script of wallet key `index` of `type` (one newKey handed out). */
  keyScript(type: WalletKeyType, index: number): Uint8Array {
    return this.keys.key(type, index).script;
  }

  /** A fresh address of `type`. */
  async newaddr(type: WalletKeyType): Promise<string> {
    return (await this.newaddrs([type]))[type];
  }

  /** The scriptpubkey of `address` on this wallet's network (throws for an address of another network, or none). */
  scriptOf(address: string): Uint8Array {
    return addressScript(address, this.net);
  }

  /** The wallet key that `script` pays, if it is one of ours (a channel close names it to hsmd). */
  keyOf(script: Uint8Array): { index: number; type: WalletKeyType } | undefined {
    const k = this.keys.owner(script);
    return k && { index: k.index, type: k.type };
  }

  // ---- spending -------------------------------------------------------------------------------

  /** Outputs a withdrawal may spend: unspent, unreserved, mature, with `minconf` confirmations. */
  private candidates(minconf: number): Candidate[] {
    return Object.values(this.s.outputs)
      .filter(o => {
        const st = this.status(o);
        if (st === 'spent' || st === 'immature' || this.reserved(o)) return false;
        const conf = o.blockheight === undefined ? 0 : this.height - o.blockheight + 1;
        return conf >= minconf;
      })
      .map(o => ({ key: outKey(o.txid, o.output), amount_sat: o.amount_sat, type: o.type }));
  }

  private named(utxos: string[]): Candidate[] {
    const seen = new Set<string>();
    return utxos.map(u => {
      const m = typeof u === 'string' ? /^([0-9a-fA-F]{64}):(\d+)$/.exec(u) : null;
      if (!m) throw new WalletError('bad_params', `utxos: '${String(u).slice(0, 80)}' should be txid:vout`);
      const key = outKey(m[1]!.toLowerCase(), Number(m[2]));
      if (seen.has(key)) throw new WalletError('bad_params', `utxos: ${key} given twice`);
      seen.add(key);
      const o = this.s.outputs[key];
      if (!o) throw new WalletError('bad_params', `Unknown UTXO ${key}`);
      const st = this.status(o);
      if (st === 'spent') throw new WalletError('bad_params', `Already spent UTXO ${key}`);
      if (st === 'immature') throw new WalletError('bad_params', `Immature UTXO ${key}`);
      if (this.reserved(o)) throw new WalletError('reserved', `UTXO ${key} already reserved`);
      return { key, amount_sat: o.amount_sat, type: o.type };
    });
  }

  /**
   * Selects coins paying `amount` to an output of `destScriptLength` bytes, and reserves them (and
   * a change key) durably before anything is signed: nothing else spends them meanwhile.
   */
  private async reserve(req: SpendRequest): Promise<Reservation> {
    const tip = this.height;
    const change = this.keys.key('p2tr', this.s.next);
    const sel = selectCoins({
      candidates: req.utxos ? this.named(req.utxos) : this.candidates(req.minconf),
      amount: req.amount,
      perkw: req.perkw,
      destScriptLength: req.destScriptLength,
      changeScriptLength: change.script.length,
      useAll: req.utxos !== undefined,
      // Core Lightning's wallet_has_funds: the confirmed, unreserved coins left hold the reserve.
      ...(req.emergency_sat ? { emergency: { sat: req.emergency_sat, others: this.candidates(1) } } : {}),
    });
    const inputs = sel.inputs.map(c => this.s.outputs[c.key]!);
    const reserving = cloneWalletState(this.s);
    for (const o of inputs) reserving.outputs[outKey(o.txid, o.output)]!.reserved_to_block = tip + this.reservation;
    if (sel.change_sat > 0) this.used(reserving, change);
    await this.commit(reserving);
    return {
      inputs: inputs.map(o => outKey(o.txid, o.output)),
      amount_sat: sel.amount_sat,
      change_sat: sel.change_sat,
      changeIndex: change.index,
      // Anti fee sniping: locktime at the tip (as Core Lightning and Bitcoin Core do).
      lockTime: tip,
    };
  }

  /** The transaction a reservation pays `dest` with, signed by the signer (not broadcast). */
  private async signReserved(r: Reservation, dest: Uint8Array): Promise<{ tx: Transaction; raw: Uint8Array; psbt: Uint8Array }> {
    const inputs = r.inputs.map(k => {
      const o = this.s.outputs[k];
      if (!o) throw new WalletError('bad_params', `Unknown UTXO ${k}`);
      return o;
    });
    const tx = new Transaction({ version: 2, lockTime: r.lockTime });
    for (const o of inputs) {
      const k = this.keys.key(o.type, o.index);
      tx.addInput({
        txid: o.txid,
        index: o.output,
        sequence: SEQUENCE_RBF,
        witnessUtxo: { script: fromHex(o.script), amount: BigInt(o.amount_sat) },
        ...(k.internalKey ? { tapInternalKey: k.internalKey } : {}),
      });
    }
    tx.addOutput({ script: dest, amount: BigInt(r.amount_sat) });
    if (r.change_sat > 0) tx.addOutput({ script: this.keys.key('p2tr', r.changeIndex).script, amount: BigInt(r.change_sat) });
    const psbt = tx.toPSBT();
    const raw = await this.sign(
      tx,
      psbt,
      inputs.map(o => ({ index: o.index, type: o.type })),
    );
    return { tx, raw, psbt };
  }

  /** Frees a reservation's coins (what they were reserved for never left). */
  private async release(r: Reservation): Promise<void> {
    const release = cloneWalletState(this.s);
    for (const k of r.inputs) {
      const o = release.outputs[k];
      if (o && o.spent_by === undefined) delete o.reserved_to_block;
    }
    await this.commit(release);
  }

  /**
   * Builds, signs and broadcasts a withdrawal. Its inputs are reserved (and a change key taken)
   * durably before the signer is asked; a refused broadcast releases them again.
   */
  withdraw(req: WithdrawRequest, broadcast: (tx: Uint8Array) => Promise<SendResult>): Promise<WithdrawResult> {
    return this.run(async () => {
      let dest: Uint8Array;
      try {
        dest = addressScript(req.destination, this.net);
      } catch {
        throw new WalletError('bad_params', 'Could not parse destination address, destination should be a valid address');
      }
      const r = await this.reserve({ ...req, destScriptLength: dest.length });
      let signed: Awaited<ReturnType<Wallet['signReserved']>>;
      try {
        signed = await this.signReserved(r, dest);
        const res = await broadcast(signed.raw);
        if (!res.success)
          throw new WalletError(
            'broadcast_failed',
            `Error broadcasting transaction: ${res.errmsg ?? 'refused'}. Unsent tx discarded ${toHex(signed.raw)}`,
          );
      } catch (e) {
        await this.release(r);
        throw e;
      }
      const sent = cloneWalletState(this.s);
      this.applyTx(sent, parseTx(signed.raw), signed.raw);
      await this.commit(sent);
      return { tx: toHex(signed.raw), txid: signed.tx.id, psbt: base64.encode(signed.psbt) };
    });
  }

  /**
   * fundchannel's coins: `amount` (or all) for a P2WSH funding output (BOLT 3: 34 bytes of
   * script), reserved durably. The caller learns the amount `all` gives, then has the transaction
   * signed (signFunding) once the peer accepted, and broadcasts it only after funding_signed; or
   * releases the coins (releaseFunding) when the open fails first.
   */
  reserveFunding(req: Omit<SpendRequest, 'destScriptLength'>): Promise<Reservation> {
    return this.run(() => this.reserve({ ...req, destScriptLength: P2WSH_SCRIPT_LENGTH }));
  }

  /** The funding transaction paying `script` (the 2-of-2 P2WSH) from a reservation, signed, NOT broadcast. */
  signFunding(r: Reservation, script: Uint8Array): Promise<{ tx: Uint8Array; txid: string; outnum: number }> {
    return this.run(async () => {
      if (script.length !== P2WSH_SCRIPT_LENGTH) throw new WalletError('bad_params', 'a funding output is P2WSH');
      const signed = await this.signReserved(r, script);
      return { tx: signed.raw, txid: signed.tx.id, outnum: 0 };
    });
  }

  releaseFunding(r: Reservation): Promise<void> {
    return this.run(() => this.release(r));
  }

  /**
   * Pays the fee of a transaction of onchaind's (child.ts): confirmed coins added after its inputs,
   * change to `req.change` after its outputs, the coins reserved durably before the unsigned
   * transaction is answered (signChild signs them when it is broadcast).
   */
  fundChild(req: ChildRequest): Promise<Uint8Array> {
    return this.run(async () => {
      const again = (req.replacing ?? [])
        .map(k => this.s.outputs[k])
        .filter((o): o is WalletOutput => o !== undefined && this.status(o) !== 'spent' && this.status(o) !== 'immature')
        .map(o => ({ key: outKey(o.txid, o.output), amount_sat: o.amount_sat, type: o.type }));
      const funded = fundChild(req, [...again, ...this.candidates(1).filter(c => !again.some(x => x.key === c.key))]);
      const s = cloneWalletState(this.s);
      for (const c of funded.inputs) s.outputs[c.key]!.reserved_to_block = this.height + this.reservation;
      await this.commit(s);
      return funded.tx;
    });
  }

  /**
   * Signs the wallet's inputs of `raw` (a transaction fundChild funded); the others keep their
   * witnesses. `prevouts(i)`: the output input i spends when it is not the wallet's. A transaction
   * with no input of the wallet's comes back as it was.
   */
  signChild(raw: Uint8Array, prevouts: (txid: string, vout: number) => Prevout | undefined): Promise<Uint8Array> {
    return this.run(async () => {
      const tx = parseTx(raw);
      const ours = tx.inputs.map(i => this.s.outputs[outKey(i.txid, i.index)]);
      if (ours.every(o => o === undefined)) return raw;
      const spent = tx.inputs.map((i, n) => {
        const o = ours[n];
        const p = o ? { script: fromHex(o.script), amount: BigInt(o.amount_sat) } : prevouts(i.txid, i.index);
        if (!p) throw new WalletError('bad_params', `the output input ${n} spends (${outKey(i.txid, i.index)}) is unknown`);
        return p;
      });
      const c = childPsbt(raw, spent);
      const keys = ours.map(o => (o ? { index: o.index, type: o.type } : null));
      return this.sign(c.unsigned, c.psbt, keys, c.witnesses);
    });
  }

  /**
   * Has the signer sign `psbt`, checks it signed that very transaction, finalizes and extracts it;
   * inputs that are not the wallet's (`null` keys) get their witness from `theirs`.
   */
  private async sign(
    unsigned: Transaction,
    psbt: Uint8Array,
    keys: ({ index: number; type: WalletKeyType } | null)[],
    theirs: (Uint8Array[] | undefined)[] = [],
  ): Promise<Uint8Array> {
    let signed: Transaction;
    try {
      signed = Transaction.fromPSBT(await this.o.signer.signWithdrawal(psbt, keys), READ_OPTS);
    } catch (e) {
      throw new WalletError('signer', `the signer did not sign the withdrawal: ${(e as Error).message}`);
    }
    if (signed.id !== unsigned.id) throw new WalletError('signer', 'the signer returned a different transaction');
    try {
      for (let i = 0; i < signed.inputsLength; i++) {
        const w = theirs[i];
        if (w) signed.updateInput(i, { finalScriptWitness: w }, true);
        else if (!signed.getInput(i).finalScriptWitness) signed.finalizeIdx(i);
      }
      return signed.extract();
    } catch (e) {
      throw new WalletError('signer', `the signed withdrawal is incomplete: ${(e as Error).message}`);
    }
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
