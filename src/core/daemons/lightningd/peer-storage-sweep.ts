// A node restored from its seed gets its funds back from the channels a peer's copy of its backup
// named (peer-storage.ts, table PEER_BACKUP_RECOVERED): it has no channel state, so it cannot
// close, but the peer closes (its reestablish met our BOLT 1 `error`) and its commitment pays our
// to_remote to a key hsmd derives from (peer id, dbid) alone: BOLT 3 "to_remote Output",
// option_static_remotekey's P2WPKH to our payment_basepoint, or option_anchors'
// `<payment_basepoint> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`. This watches each recovered
// channel's funding output; once a transaction spending it is mined, the output paying that script
// is swept to a wallet key (hsmd signs, signRecoveredToRemote), recorded before it is broadcast and
// sent again each block until mined; listfunds then shows the coin. BOLT 5 "Unilateral Close
// Handling: Remote Commitment": to_remote "is resolved by the commitment transaction itself" for
// the peer, and ours to spend.
import { equal, fromHex, toHex } from '../../base/bytes.ts';
import { p2wpkh, p2wsh } from '../../bolt3/index.ts';
import type { ChainListener, ConnectedBlock, SendResult } from '../../chain/backend.ts';
import { FeatureVector } from '../../features/index.ts';
import type { Log } from '../../node/daemon.ts';
import { buildSpend, toUsPlan } from '../../onchain/index.ts';
import { parseTx } from '../../wallet/tx.ts';
import type { WalletKeyType } from '../../wallet/signer.ts';
import type { ChannelBasepoints, RecoveredToRemoteRequest } from '../hsmd/interface.ts';
import type { LightningdDb } from './db.ts';
import { PEER_BACKUP_RECOVERED, type RecoveredChannel } from './peer-storage.ts';

export interface RecoveredSweepsOptions {
  db: LightningdDb;
  hsm: {
    channelBasepoints(peerId: string, dbid: bigint): Promise<ChannelBasepoints>;
    signRecoveredToRemote(peerId: string, dbid: bigint, req: RecoveredToRemoteRequest): Promise<{ signature: Uint8Array }>;
  };
  wallet: {
    newKey(type: WalletKeyType): Promise<{ index: number; type: WalletKeyType; script: Uint8Array }>;
    keyScript(type: WalletKeyType, index: number): Uint8Array;
  };
  broadcast(tx: Uint8Array): Promise<SendResult>;
  feeratePerKw(): Promise<number>;
  log: Log;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const outpoint = (txid: string, vout: number) => `${txid}:${vout}`;

function isAnchors(channelType: string): boolean {
  try {
    return FeatureVector.fromBytes(fromHex(channelType)).has('option_anchors');
  } catch {
    return false;
  }
}

export class RecoveredSweeps implements ChainListener {
  constructor(private readonly o: RecoveredSweepsOptions) {}

  private recovered(): RecoveredChannel[] {
    return Object.values(this.o.db.table<RecoveredChannel>(PEER_BACKUP_RECOVERED));
  }

  private save(c: RecoveredChannel): void {
    this.o.db.stage<RecoveredChannel>(PEER_BACKUP_RECOVERED, c.channel_id, c);
  }

  async blockConnected(b: ConnectedBlock): Promise<void> {
    const all = this.recovered();
    if (all.length === 0) return;
    const funding = new Map(all.filter(c => !c.closed).map(c => [outpoint(c.funding_txid, c.funding_outnum), c]));
    const sweeping = new Map(
      all.filter(c => c.sweep?.outpoint && !c.sweep.mined).map(c => [c.sweep!.outpoint!, c] as [string, RecoveredChannel]),
    );
    let changed = false;
    for (let i = 0; i < b.txs.length; i++) {
      const tx = parseTx(b.txs[i]!);
      for (const inp of tx.inputs) {
        const key = outpoint(inp.txid, inp.index);
        const f = funding.get(key);
        if (f) {
          this.save({ ...f, closed: { txid: tx.txid, height: b.height, tx: toHex(b.txs[i]!) } });
          this.o.log.info(`recovered channel ${f.channel_id}: funding output spent by ${tx.txid} at ${b.height}`);
          changed = true;
        }
        const s = sweeping.get(key);
        if (s) {
          this.save({ ...s, sweep: { ...s.sweep, mined: { txid: tx.txid, height: b.height } } });
          this.o.log.info(`recovered channel ${s.channel_id}: our to_remote swept by ${tx.txid} at ${b.height}`);
          changed = true;
        }
      }
    }
    if (changed) await this.o.db.flush();
    for (const c of this.recovered()) {
      try {
        if (c.closed && !c.sweep?.tx && !c.sweep?.none) await this.sweep(c);
        else if (c.sweep?.tx && !c.sweep.mined) await this.send(c, fromHex(c.sweep.tx));
      } catch (e) {
        this.o.log.warn(`recovered channel ${c.channel_id}: ${errorText(e)}`);
      }
    }
  }

  /** A reorganisation took the block at `b.height`: a spend it held is undone (a sweep of a spend taken is built again). */
  async blockDisconnected(b: { height: number }): Promise<void> {
    let changed = false;
    for (const c of this.recovered()) {
      if (c.closed && c.closed.height >= b.height) {
        const { closed: _c, sweep: _s, ...rest } = c;
        this.save(c.sweep?.destination ? { ...rest, sweep: { destination: c.sweep.destination } } : rest);
        changed = true;
      } else if (c.sweep?.mined && c.sweep.mined.height >= b.height) {
        const { mined: _m, ...sweep } = c.sweep;
        this.save({ ...c, sweep });
        changed = true;
      }
    }
    if (changed) await this.o.db.flush();
  }

  /** The spend of our to_remote on the transaction that spent `c`'s funding output, recorded, then broadcast. */
  private async sweep(c: RecoveredChannel): Promise<void> {
    const closed = c.closed!;
    const dbid = BigInt(c.dbid);
    const anchors = isAnchors(c.channel_type);
    const { payment_basepoint } = await this.o.hsm.channelBasepoints(c.peer_id, dbid);
    const plan = toUsPlan(payment_basepoint, anchors);
    const script = anchors ? p2wsh(plan.witnessScript!) : p2wpkh(payment_basepoint);
    const tx = parseTx(fromHex(closed.tx));
    const vout = tx.outputs.findIndex(x => equal(x.script, script));
    if (vout < 0) return this.none(c, `${closed.txid} pays nothing to our to_remote`);
    // The wallet key first, durable: the same key after a restart, so the coin is never lost to one not watched.
    let destination = c.sweep?.destination;
    if (!destination) {
      const k = await this.o.wallet.newKey('p2wpkh');
      destination = { index: k.index, type: k.type };
      this.save({ ...c, sweep: { destination } });
      await this.o.db.flush();
    }
    const amount = BigInt(tx.outputs[vout]!.amount_sat);
    const built = buildSpend(
      { txid: closed.txid, vout, amount, script, kind: 'to_us', plan },
      {
        destination: { ...destination, script: this.o.wallet.keyScript(destination.type, destination.index) },
        feeratePerKw: await this.o.feeratePerKw(),
        paymentBasepoint: payment_basepoint,
      },
    );
    // BOLT 5: a node MAY ignore outputs that are uneconomical to spend.
    if (!built) return this.none(c, `our to_remote of ${amount} sat would not pay for its own spend`);
    const request = { ...built.request, anchors } as RecoveredToRemoteRequest;
    const { signature } = await this.o.hsm.signRecoveredToRemote(c.peer_id, dbid, request);
    const raw = built.finish(signature);
    const sweepTxid = built.tx.id;
    this.save({ ...c, sweep: { destination, outpoint: outpoint(closed.txid, vout), tx: toHex(raw), txid: sweepTxid } });
    await this.o.db.flush();
    this.o.log.info(`recovered channel ${c.channel_id}: sweeping our to_remote ${closed.txid}:${vout} (${amount} sat) by ${sweepTxid}`);
    await this.send(c, raw);
  }

  private async none(c: RecoveredChannel, why: string): Promise<void> {
    this.save({ ...c, sweep: { ...c.sweep, none: why } });
    await this.o.db.flush();
    this.o.log.warn(`recovered channel ${c.channel_id}: ${why}`);
  }

  private async send(c: RecoveredChannel, raw: Uint8Array): Promise<void> {
    try {
      const r = await this.o.broadcast(raw);
      if (!r.success) this.o.log.info(`recovered channel ${c.channel_id}: sweep not accepted: ${r.errmsg ?? 'refused'}`);
    } catch (e) {
      this.o.log.info(`recovered channel ${c.channel_id}: broadcasting the sweep: ${errorText(e)}`);
    }
  }
}
