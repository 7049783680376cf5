// lightningd's part of BOLT 5 (Core Lightning's peer_control.c drop_to_chain and
// lightningd/onchain_control.c): failing a channel broadcasts our latest commitment, signed by
// hsmd, recorded before it leaves and sent again at each block until one confirms it; every
// channel's funding output is watched, and the transaction that spends it is recorded
// (FUNDING_SPEND_SEEN) and handed to an onchaind of its own (ONCHAIN), with a link to hsmd
// limited to ONCHAIN_CAPABILITIES. lightningd feeds it each block's spends of what it watches
// (recorded first, replayed after a restart), broadcasts what it asks, and forgets the channel
// once onchaind says every output is irrevocably resolved (100 blocks deep). A mutual close
// needs no onchaind: its outputs pay the wallet and the peer directly.
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../base/bytes.ts';
import { commitmentNumberOf, derFromCompact, fundingWitness, scriptSig, setWitness, SIGHASH_ALL, TX_OPTS } from '../../bolt3/index.ts';
import type { ConnectedBlock, SendResult } from '../../chain/backend.ts';
import { buildFor } from '../../channel/commitment.ts';
import { deserializeChannel, deserializeValue, serializeChannel } from '../../channel/serialize.ts';
import { openedChannel, type ChannelState } from '../../channel/state.ts';
import type { Log } from '../../node/daemon.ts';
import { DAEMONS } from '../../node/daemons.ts';
import type { DaemonSupervisor, RunningDaemon } from '../../node/supervisor.ts';
import { stubsOf as stateStubs } from '../../onchain/outputs.ts';
import { IRREVOCABLE_DEPTH } from '../../onchain/resolve.ts';
import { sha256 } from '../../crypto/primitives.ts';
import { parseTx } from '../../wallet/tx.ts';
import type { Wallet } from '../../wallet/wallet.ts';
import { CHANNEL_LINK, ONCHAIN_CAPABILITIES, type ChannelLinkArgs, type HsmdSpec } from '../hsmd/interface.ts';
import type { HtlcStub, OnchainStatus, OnchaindEvents, OnchaindInit, OnchaindSpec } from '../onchaind/interface.ts';
import type { Funded } from '../openingd/interface.ts';
import type { ChannelRecord, LightningdDb, OnchainRecord } from './db.ts';
import { releasedPreimages } from './htlc-resolution.ts';
import { AnchorBoost, boostStatus, type BoostOutcome } from './anchor-boost.ts';

export interface OnchainControlOptions {
  db: LightningdDb;
  daemons: DaemonSupervisor;
  hsmd: RunningDaemon<HsmdSpec>;
  /** Where sweeps go (a fresh key per channel, so listfunds shows them). */
  wallet: Wallet;
  broadcast(tx: Uint8Array): Promise<SendResult>;
  /** A child and its parent together (submitpackage): our commitment and its anchor spend. Without it, each alone. */
  submitPackage?(txs: Uint8Array[]): Promise<SendResult>;
  /** The feerate onchaind's sweeps pay now (sat per 1000 weight). */
  feeratePerKw(): Promise<number>;
  /** The last block lightningd followed (0 before the first). */
  tip(): number;
  /** Ends the channel's channeld, if one runs (the channel is failed, or its funding output spent). */
  endChannel(dbid: string): Promise<void>;
  /** The channel is forgotten: connectd no longer holds its channel_id. */
  forgotten?(c: ChannelRecord): Promise<void>;
  /**
   * An HTLC we offered settled on chain (BOLT 5): with the preimage the peer revealed, or failed
   * (timed out; `htlc` says which): a forward's incoming HTLC is fulfilled or failed upstream
   * (forward.ts), our payment's part is paid or failed (pay-control.ts).
   */
  offeredHtlcOnChain?(dbid: string, paymentHash: string, preimage?: Uint8Array, htlc?: { id?: bigint; cltvExpiry: number }): void;
  log: Log;
}

/** Why forceClose refused. */
export class ForceCloseRefused extends Error {
  constructor(
    readonly reason: 'data_loss' | 'closed' | 'not_funded',
    message: string,
  ) {
    super(message);
    this.name = 'ForceCloseRefused';
  }
}

/** An onchaind lightningd runs for a channel, and the outpoints it asked to watch. */
interface Tracking {
  dbid: string;
  key: string;
  daemon?: RunningDaemon<OnchaindSpec>;
  events?: { close(): void };
  watched: Set<string>;
  status?: OnchainStatus;
  resolved?: boolean;
  ended?: boolean;
  /** Preimages released while onchaind was starting (after its init was read): given once it runs. */
  learnt: Uint8Array[];
  /** The payment hashes whose preimage onchaind has (its init's, and each given since). */
  given: Set<string>;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const outpoint = (txid: string, vout: number) => `${txid}:${vout}`;

/** A channel's state as onchaind takes it: channeld's last, or (before channel_ready) commitment 0 from the funded channel. */
function channelStateOf(c: ChannelRecord): string {
  if (c.channel) return c.channel;
  const f = deserializeValue<Funded>(c.funded);
  // The peer's second point comes with its channel_ready; before it no commitment of its uses it.
  return serializeChannel(openedChannel({ ...f, remoteSecondPerCommitmentPoint: f.remoteFirstPerCommitmentPoint }));
}

/** Every HTLC lightningd recorded for the channel (onchaind adds the state's own). */
function stubsOf(c: ChannelRecord): HtlcStub[] {
  return Object.values(c.htlcs ?? {}).map(h => ({
    offeredByUs: h.direction === 'out',
    paymentHash: fromHex(h.payment_hash),
    cltvExpiry: h.cltv_expiry,
    id: BigInt(h.id),
  }));
}

export class OnchainControl {
  private readonly tracking = new Map<string, Tracking>();
  private instances = 0;
  private stopped = false;
  /** option_anchors: our unconfirmed commitment's anchor spend, and what it last did per channel. */
  private readonly anchors: AnchorBoost;
  private readonly boosts = new Map<string, BoostOutcome>();

  constructor(private readonly o: OnchainControlOptions) {
    const submitPackage =
      o.submitPackage ??
      (async (txs: Uint8Array[]) => {
        for (const tx of txs) {
          const r = await o.broadcast(tx);
          if (!r.success) return r;
        }
        return { success: true };
      });
    this.anchors = new AnchorBoost({ hsmd: o.hsmd, wallet: o.wallet, submitPackage, log: o.log });
  }

  private record(dbid: string): ChannelRecord | undefined {
    return this.o.db.channels().find(c => c.dbid === dbid);
  }

  /** Writes the channel's latest record with `change` applied (read again: others write it too). */
  private async update(dbid: string, change: (c: ChannelRecord) => Partial<ChannelRecord>): Promise<ChannelRecord | undefined> {
    const c = this.record(dbid);
    if (!c) return undefined;
    const next = { ...c, ...change(c) };
    await this.o.db.saveChannel(next);
    return next;
  }

  private async onchainOf(dbid: string, change: (o: OnchainRecord) => OnchainRecord): Promise<ChannelRecord | undefined> {
    return this.update(dbid, c => ({ onchain: change(c.onchain ?? {}) }));
  }

  // ---- our commitment ----

  /**
   * BOLT 5 "Failing a Channel": "MUST broadcast its latest commitment transaction" (never, BOLT 2
   * option_data_loss_protect, a stale one: a channel that found itself behind is refused). hsmd
   * signs our latest validated commitment (it refuses one it revoked); the channel is recorded
   * AWAITING_UNILATERAL with the transaction before it is broadcast, then sent again each block.
   */
  async forceClose(dbid: string, reason: string): Promise<{ tx: string; txid: string }> {
    const c = this.record(dbid);
    if (!c) throw new ForceCloseRefused('closed', `no channel ${dbid}`);
    if (c.failure?.action === 'data_loss') {
      throw new ForceCloseRefused('data_loss', 'our state is behind the peer (option_data_loss_protect): broadcasting it could lose funds');
    }
    if (c.onchain?.spend) throw new ForceCloseRefused('closed', `the funding output was spent by ${c.onchain.spend.txid}`);
    let tx = c.onchain?.commitment_tx;
    let txid = c.onchain?.commitment_txid;
    if (tx === undefined || txid === undefined) {
      const signed = await this.signCommitment(c);
      tx = toHex(signed.raw);
      txid = signed.txid;
      const at = { commitment_tx: tx, commitment_txid: txid };
      await this.update(dbid, r => ({ state: r.onchain?.spend ? r.state : 'AWAITING_UNILATERAL', onchain: { ...r.onchain, ...at } }));
      this.o.log.warn(`channel ${c.channel_id}: failed (${reason}); broadcasting our commitment ${txid}`);
    }
    // The caller has ended the channel's daemon (ChannelControl.forceClose, or channeld itself failed).
    await this.sendOurs(dbid, 'our commitment', this.o.tip());
    return { tx, txid };
  }

  /**
   * Our commitment to the chain (BOLT 5 "MUST broadcast"): with option_anchors and a feerate below
   * what the chain asks now, together with our anchor's spend (anchor-boost.ts); else alone.
   */
  private async sendOurs(dbid: string, what: string, tip: number): Promise<void> {
    const c = this.record(dbid);
    const tx = c?.onchain?.commitment_tx;
    if (!c || !tx) return;
    const raw = fromHex(tx);
    const st = deserializeChannel(channelStateOf(c));
    if (st.params.anchors) {
      try {
        const needs = await this.o.feeratePerKw();
        const b = await this.anchors.boost(c, st, raw, tip, needs, await this.destinationOf(dbid));
        if (b) this.boosts.set(dbid, b);
        if (b?.kind === 'bumped' && b.accepted) return;
      } catch (e) {
        this.o.log.warn(`channel ${c.channel_id}: bumping our commitment: ${errorText(e)}`);
      }
    }
    await this.send(c, raw, what);
  }

  /** The wallet key a channel's sweeps (and its anchor spend's change) pay, chosen once and recorded. */
  private async destinationOf(dbid: string): Promise<{ index: number; type: 'p2wpkh' | 'p2tr'; script: Uint8Array }> {
    let dest = this.record(dbid)?.onchain?.destination;
    if (!dest) {
      const k = await this.o.wallet.newKey('p2wpkh');
      dest = { index: k.index, type: k.type };
      await this.onchainOf(dbid, r => ({ ...r, destination: r.destination ?? dest }));
      dest = this.record(dbid)?.onchain?.destination ?? dest;
    }
    return { ...dest, script: this.o.wallet.keyScript(dest.type, dest.index) };
  }

  /** Our latest commitment with both signatures: the peer's (in the state) and hsmd's. */
  private async signCommitment(c: ChannelRecord): Promise<{ raw: Uint8Array; txid: string }> {
    const st: ChannelState = deserializeChannel(channelStateOf(c));
    const hsmd = this.o.hsmd;
    const dbid = BigInt(c.dbid);
    const lc = st.localCommit;
    const point = await hsmd.guard(hsmd.api.getPerCommitmentPoint(c.peer_id, dbid, lc.index));
    const built = buildFor(st.params, 'local', lc.spec, lc.index, point);
    const tx = built.commitment.tx;
    const ours = await hsmd.guard(hsmd.api.signLocalCommitment(c.peer_id, dbid, tx.unsignedTx));
    setWitness(
      tx,
      0,
      fundingWitness(
        built.commitment.fundingScript,
        { pubkey: st.params.local.fundingPubkey, sig: scriptSig(derFromCompact(ours), SIGHASH_ALL) },
        { pubkey: st.params.remote.fundingPubkey, sig: scriptSig(derFromCompact(lc.signature), SIGHASH_ALL) },
      ),
    );
    return { raw: tx.toBytes(true, true), txid: tx.id };
  }

  private async send(c: ChannelRecord, raw: Uint8Array, what: string): Promise<boolean> {
    try {
      const r = await this.o.broadcast(raw);
      if (r.success) return true;
      this.o.log.info(`channel ${c.channel_id}: ${what} not accepted: ${r.errmsg ?? 'refused'}`);
    } catch (e) {
      this.o.log.info(`channel ${c.channel_id}: broadcasting ${what}: ${errorText(e)}`);
    }
    return false;
  }

  // ---- starting, and at a restart ----

  /**
   * At start: onchaind again for each channel whose funding output was spent (with the spends it
   * saw, replayed), and our commitment again for each failed channel (signed first if a crash came
   * between hsmd's signature and the record).
   */
  async load(): Promise<void> {
    for (const c of this.o.db.channels()) {
      try {
        if (c.onchain?.spend && c.onchain.close !== 'mutual') await this.startOnchaind(c.dbid);
        else if (c.state === 'AWAITING_UNILATERAL' && c.failure?.action !== 'data_loss') await this.forceClose(c.dbid, 'restart');
      } catch (e) {
        this.o.log.warn(`channel ${c.channel_id}: ${errorText(e)}`);
      }
    }
  }

  async stop(): Promise<void> {
    // An onchaind being started now sees this and ends itself (startOnchaind): none outlives the node.
    this.stopped = true;
    await Promise.all([...this.tracking.values()].map(t => this.endOnchaind(t)));
  }

  // ---- the chain ----

  async blockConnected(b: ConnectedBlock): Promise<void> {
    // Funding outputs not yet spent, by outpoint.
    const funding = new Map<string, ChannelRecord>();
    for (const c of this.o.db.channels()) if (!c.onchain?.spend) funding.set(outpoint(c.funding_txid, c.funding_outnum), c);
    if (funding.size === 0 && this.tracking.size === 0 && !this.o.db.channels().some(c => c.onchain)) return;
    const spendsOf = (i: number) => b.inputs?.[i] ?? parseTx(b.txs[i]!).inputs.map(x => ({ txid: x.txid, vout: x.index }));
    const inputs = b.txs.map((_, i) => spendsOf(i));
    for (let i = 0; i < b.txs.length; i++) {
      for (const inp of inputs[i]!) {
        const c = funding.get(outpoint(inp.txid, inp.vout));
        if (c) await this.fundingSpent(c, b.txs[i]!, b.height);
      }
    }
    // One feerate for every onchaind this block (the backend is asked once); none: each keeps its own.
    const feeratePerKw = this.tracking.size > 0 ? await this.o.feeratePerKw().catch(() => undefined) : undefined;
    for (const t of [...this.tracking.values()]) {
      if (t.ended || !t.daemon) continue;
      const spends = b.txs.filter((_, i) => inputs[i]!.some(x => t.watched.has(outpoint(x.txid, x.vout))));
      await this.feed(t, b.height, spends, feeratePerKw);
    }
    for (const c of this.o.db.channels()) {
      const spend = c.onchain?.spend;
      if (!spend && c.onchain?.commitment_tx) await this.sendOurs(c.dbid, 'our commitment (again)', b.height);
      else if (!spend && c.onchain?.reorged_spend)
        await this.send(c, fromHex(c.onchain.reorged_spend.tx), 'their commitment (reorganised away)');
      // A mutual close is resolved once its transaction is as deep as onchaind would wait.
      if (spend && c.onchain?.close === 'mutual' && b.height - spend.height + 1 >= IRREVOCABLE_DEPTH) await this.forget(c.dbid);
    }
  }

  /** A reorganisation took the block at `b.height`: what it held is undone (onchaind's own outputs, at its next block). */
  async blockDisconnected(b: { height: number }): Promise<void> {
    for (const c of this.o.db.channels()) {
      const on = c.onchain;
      if (!on?.spend) continue;
      if (on.spend.height >= b.height) {
        // The funding output is unspent again: its next spend starts a new onchaind.
        const t = this.tracking.get(c.dbid);
        if (t) await this.endOnchaind(t);
        const { spend, close, spends: _p, ...rest } = on;
        // Back to where it was: our commitment broadcast, a mutual close signed, or (a commitment of
        // the peer's) failed: no channeld runs for it any more, and the peer's commitment, still
        // valid, is ours to send again each block until a spend of the funding output is mined
        // (BOLT 5: a node MUST watch the funding output until the close is irrevocably resolved).
        const state = rest.commitment_tx ? 'AWAITING_UNILATERAL' : close === 'mutual' ? 'CLOSINGD_COMPLETE' : 'FUNDING_SPEND_SEEN';
        const again = !rest.commitment_tx && close !== 'mutual' ? { reorged_spend: { tx: spend.tx, txid: spend.txid } } : {};
        await this.update(c.dbid, () => ({ state, onchain: { ...rest, ...again } }));
      } else if (on.spends?.some(s => s.height >= b.height)) {
        await this.onchainOf(c.dbid, r => ({ ...r, spends: (r.spends ?? []).filter(s => s.height < b.height) }));
      }
    }
  }

  /**
   * `raw` spent the channel's funding output in the block at `height`: recorded (FUNDING_SPEND_SEEN,
   * or ONCHAIN for a mutual close: BOLT 3 "Closing Transaction" carries no commitment number),
   * channeld ended, and onchaind started for a commitment.
   */
  private async fundingSpent(c: ChannelRecord, raw: Uint8Array, height: number): Promise<void> {
    const tx = Transaction.fromRaw(raw, TX_OPTS);
    const mutual = commitmentNumberOf(tx.lockTime, tx.getInput(0).sequence ?? 0, 0n) === undefined;
    const spend = { tx: toHex(raw), txid: tx.id, height };
    await this.update(c.dbid, r => ({
      state: mutual ? 'ONCHAIN' : 'FUNDING_SPEND_SEEN',
      onchain: { ...r.onchain, spend, close: mutual ? 'mutual' : 'commitment', spends: [] },
    }));
    this.o.log.info(`channel ${c.channel_id}: funding output spent by ${tx.id} at ${height} (${mutual ? 'mutual close' : 'a commitment'})`);
    this.anchors.forget(c.dbid);
    this.boosts.delete(c.dbid);
    await this.o.endChannel(c.dbid);
    if (!mutual) await this.startOnchaind(c.dbid);
  }

  /** Records this block's spends of what `t` watches (replayed after a restart), then hands onchaind the block. */
  private async feed(t: Tracking, height: number, spends: Uint8Array[], feeratePerKw: number | undefined): Promise<void> {
    const d = t.daemon!;
    const prior = this.record(t.dbid)?.onchain?.spends ?? [];
    if (spends.length > 0 || prior.some(s => s.height >= height)) {
      const kept = prior.filter(s => s.height < height);
      await this.onchainOf(t.dbid, r => ({ ...r, spends: [...kept, ...spends.map(tx => ({ tx: toHex(tx), height }))] }));
    }
    try {
      t.status = await d.guard(d.api.block({ height, spends, ...(feeratePerKw !== undefined ? { feeratePerKw } : {}) }));
    } catch (e) {
      this.o.log.warn(`channel ${t.dbid}: onchaind at block ${height}: ${errorText(e)}`);
    }
    if (!t.resolved) await this.giveReleased(t);
    await this.incomingSettled(t);
    if (t.resolved) await this.forget(t.dbid);
  }

  // ---- onchaind ----

  /** Starts onchaind for a channel whose funding output was spent (recorded), and records it ONCHAIN. */
  private async startOnchaind(dbid: string): Promise<void> {
    if (this.tracking.has(dbid) || this.stopped) return;
    let c = this.record(dbid);
    const spend = c?.onchain?.spend;
    if (!c || !spend) return;
    const destination = await this.destinationOf(dbid);
    c = this.record(dbid)!;
    if (this.stopped || this.tracking.has(dbid)) return;
    const t: Tracking = { dbid, key: `onchaind-${dbid}`, watched: new Set(), learnt: [], given: new Set() };
    this.tracking.set(dbid, t);
    const events: OnchaindEvents = {
      watch: ops => {
        for (const x of ops) t.watched.add(outpoint(x.txid, x.vout));
      },
      broadcast: async tx => {
        // A transaction `fund` paid the fee of: the wallet signs its own inputs (hsmd signs only those).
        const signed = await this.o.wallet.signChild(tx, (txid, vout) => this.prevout(dbid, txid, vout));
        const r = await this.o.broadcast(signed);
        if (!r.success) throw new Error(r.errmsg ?? 'refused');
      },
      // option_anchors: our zero-fee HTLC transactions get wallet coins and change to onchaind's destination.
      fund: req => this.o.wallet.fundChild({ ...req, change: destination.script }),
      preimage: p => {
        this.o.offeredHtlcOnChain?.(dbid, toHex(p.paymentHash), p.preimage);
        return this.htlcGone(dbid, 'out', toHex(p.paymentHash), 'the peer revealed its preimage on chain');
      },
      htlcFailed: h => {
        this.o.offeredHtlcOnChain?.(dbid, toHex(h.paymentHash), undefined, {
          cltvExpiry: h.cltvExpiry,
          ...(h.id !== undefined ? { id: h.id } : {}),
        });
        return this.htlcGone(dbid, 'out', toHex(h.paymentHash), 'failed on chain');
      },
      resolved: s => {
        t.status = s;
        t.resolved = true;
      },
    };
    const init: OnchaindInit = {
      peerId: c.peer_id,
      dbid: BigInt(dbid),
      channel: channelStateOf(c),
      spendingTx: fromHex(spend.tx),
      height: spend.height,
      tip: Math.max(spend.height, this.o.tip()),
      preimages: this.preimagesFor(c, t),
      htlcs: stubsOf(c),
      destination,
      feeratePerKw: await this.o.feeratePerKw(),
      spends: (c.onchain!.spends ?? []).map(s => ({ tx: fromHex(s.tx), height: s.height })),
    };
    const { daemons, hsmd } = this.o;
    const answers = daemons.serve(events);
    const [hsmUse, hsmServe] = daemons.channel();
    const args: ChannelLinkArgs = { peerId: c.peer_id, dbid: BigInt(dbid), caps: [...ONCHAIN_CAPABILITIES] };
    t.events = answers;
    try {
      await hsmd.attach({ key: t.key, name: CHANNEL_LINK, args, serves: { port: hsmServe, caps: [] } });
      t.daemon = await daemons.start(DAEMONS.onchaind, `onchaind-${dbid}-${++this.instances}`, init, {
        uses: { hsm: { port: hsmUse }, events: { port: answers.port } },
        serves: {},
      });
      if (t.ended) {
        // The node stopped (or the channel was forgotten) while this one started: it ends here.
        await t.daemon.stop().catch(() => undefined);
        await hsmd.detach(t.key).catch(() => undefined);
        answers.close();
        return;
      }
      t.status = await t.daemon.guard(t.daemon.api.status());
      for (const p of t.learnt.splice(0)) await this.givePreimage(t, p);
    } catch (e) {
      this.o.log.warn(`channel ${c.channel_id}: onchaind did not start: ${errorText(e)}`);
      await this.endOnchaind(t);
      return;
    }
    if (c.state !== 'ONCHAIN') await this.update(dbid, () => ({ state: 'ONCHAIN' }));
    if (t.resolved) await this.forget(dbid);
  }

  private async endOnchaind(t: Tracking): Promise<void> {
    if (this.tracking.get(t.dbid) === t) this.tracking.delete(t.dbid);
    if (t.ended) return;
    t.ended = true;
    await t.daemon?.stop().catch(() => undefined);
    await this.o.hsmd.detach(t.key).catch(() => undefined);
    t.events?.close();
  }

  /** Every output irrevocably resolved (or a mutual close deep enough): the channel moves to closed_channels. */
  private async forget(dbid: string): Promise<void> {
    const t = this.tracking.get(dbid);
    if (t) await this.endOnchaind(t);
    const c = this.record(dbid);
    if (!c) return;
    await this.o.db.saveChannel({ ...c, onchain: { ...c.onchain, resolved_height: this.o.tip() } });
    await this.o.db.forgetChannel(dbid);
    await this.o.forgotten?.(c).catch(() => undefined);
    this.o.log.info(`channel ${c.channel_id}: resolved on chain; forgotten`);
  }

  /** The output `txid:vout` of a transaction of the channel's close (the spend, or one seen spending its outputs). */
  private prevout(dbid: string, txid: string, vout: number): { script: Uint8Array; amount: bigint } | undefined {
    const on = this.record(dbid)?.onchain;
    for (const raw of [on?.spend?.tx, ...(on?.spends ?? []).map(s => s.tx)]) {
      if (!raw) continue;
      const tx = parseTx(fromHex(raw));
      const out = tx.txid === txid ? tx.outputs[vout] : undefined;
      if (out) return { script: out.script, amount: BigInt(out.amount_sat) };
    }
    return undefined;
  }

  /**
   * The preimages lightningd has released (durably) for the channel's incoming HTLCs: our paid
   * invoices and the forwards into it settled downstream (htlc-resolution.ts releasedPreimages).
   * Those learnt once onchaind runs come through preimage().
   */
  private preimagesFor(c: ChannelRecord, t: Tracking): Uint8Array[] {
    const found = releasedPreimages(this.o.db, c.dbid, this.incomingHashes(c));
    for (const p of found) t.given.add(toHex(sha256(p)));
    return found;
  }

  /**
   * At each block, what the database holds that onchaind was not given: a preimage made durable
   * while no one could tell it (a forward settled from the chain at a restart, before the incoming
   * HTLCs were followed again) reaches it before the HTLC can expire.
   */
  private async giveReleased(t: Tracking): Promise<void> {
    const c = this.record(t.dbid);
    if (!c) return;
    for (const p of releasedPreimages(this.o.db, c.dbid, this.incomingHashes(c))) await this.givePreimage(t, p);
  }

  /** The payment hashes of the channel's incoming HTLCs: lightningd's record, and its state's (what onchaind tracks). */
  private incomingHashes(c: ChannelRecord): Set<string> {
    const all = stateStubs(deserializeChannel(channelStateOf(c)), stubsOf(c));
    return new Set(all.filter(h => !h.offeredByUs).map(h => toHex(h.paymentHash)));
  }

  /**
   * A preimage lightningd released for an incoming HTLC of channel `dbid` (htlcs-in.ts: a paid
   * invoice's part, a forward settled downstream), already durable. If the channel is on chain, its
   * onchaind gets it (BOLT 5 "Unilateral Close Handling", an HTLC output received: "if it has the
   * corresponding payment preimage ... MUST resolve the output by spending it"): it claims the
   * output before the HTLC expires. An onchaind still starting gets it once it runs; one not yet
   * started reads it from the database (preimagesFor).
   */
  async preimage(dbid: string, preimage: Uint8Array): Promise<void> {
    const t = this.tracking.get(dbid);
    if (!t || t.ended) return;
    const c = this.record(dbid);
    if (!c?.onchain?.spend || !this.incomingHashes(c).has(toHex(sha256(preimage)))) return;
    if (!t.daemon) {
      t.learnt.push(preimage);
      return;
    }
    await this.givePreimage(t, preimage);
  }

  private async givePreimage(t: Tracking, preimage: Uint8Array): Promise<void> {
    const d = t.daemon;
    const hash = toHex(sha256(preimage));
    if (!d || t.ended || t.given.has(hash)) return;
    t.given.add(hash);
    try {
      t.status = await d.guard(d.api.preimage(preimage));
      this.o.log.info(`channel ${t.dbid}: onchaind given the preimage of ${hash}`);
    } catch (e) {
      t.given.delete(hash);
      this.o.log.warn(`channel ${t.dbid}: onchaind refused a preimage: ${errorText(e)}`);
    }
    if (t.resolved) await this.forget(t.dbid);
  }

  /**
   * The peer's HTLC outputs a mined transaction spent (our claim with the preimage, or its timeout):
   * those incoming HTLCs leave the record (listpeerchannels' `htlcs`), as `preimage`/`htlcFailed` do
   * ours. onchaind still follows the outputs until they are irrevocably resolved.
   */
  private async incomingSettled(t: Tracking): Promise<void> {
    const spent = new Set(
      (t.status?.outputs ?? [])
        .filter(o => o.kind === 'their_htlc' && (o.state === 'spent' || o.state === 'resolved') && o.paymentHash)
        .map(o => o.paymentHash!),
    );
    const held = Object.values(this.record(t.dbid)?.htlcs ?? {}).filter(h => h.direction === 'in' && spent.has(h.payment_hash));
    for (const hash of new Set(held.map(h => h.payment_hash))) await this.htlcGone(t.dbid, 'in', hash, 'settled on chain');
  }

  /** An HTLC of ours settled on chain (BOLT 5): no longer in flight. */
  private async htlcGone(dbid: string, direction: 'in' | 'out', paymentHash: string, why: string): Promise<void> {
    this.o.log.info(`channel ${dbid}: HTLC ${paymentHash} ${why}`);
    await this.update(dbid, c => ({
      htlcs: Object.fromEntries(
        Object.entries(c.htlcs ?? {}).filter(([, h]) => !(h.direction === direction && h.payment_hash === paymentHash)),
      ),
    }));
  }

  /** listpeerchannels' `status` for a channel on its way to the chain, in Core Lightning's words. */
  status(c: ChannelRecord): string[] {
    const on = c.onchain;
    if (c.state === 'AWAITING_UNILATERAL') {
      if (c.failure?.action === 'data_loss') return [`${c.state}:We are behind the peer: waiting for its commitment transaction`];
      if (!on?.commitment_txid) return [];
      const bumped = boostStatus(c.state, on.commitment_txid, this.boosts.get(c.dbid));
      return [`${c.state}:Attempting to reconnect; our commitment ${on.commitment_txid} broadcast`, ...(bumped ? [bumped] : [])];
    }
    if (!on?.spend && on?.reorged_spend)
      return [`${c.state}:Their commitment ${on.reorged_spend.txid} was in a block a reorganisation took: sent again each block`];
    if (!on?.spend) return [];
    if (on.close === 'mutual') return [`${c.state}:Tracking mutual close transaction`];
    const s = this.tracking.get(c.dbid)?.status;
    if (!s) return [`${c.state}:Funding output spent by ${on.spend.txid}`];
    const what = {
      mutual: 'Tracking mutual close transaction',
      local: 'Tracking our own unilateral close',
      remote: 'Tracking their unilateral close',
      revoked: 'Tracking their illegal close: taking all funds',
      future: 'Tracking their unilateral close from a state we lost',
    }[s.close];
    const open = s.outputs.filter(x => x.state !== 'resolved').length;
    return [`${c.state}:${what}`, `${c.state}:${open === 0 ? 'All outputs resolved' : `${open} outputs unresolved`}`];
  }
}
