// Two LDK nodes (npm lightningdevkit 0.1, WASM, in this Node process) with one channel between
// them, for the payment bench's baseline: each is test/interop/ldk/peer.ts's LdkPeer (PeerManager
// over loopback TCP, ChannelManager), its ChannelMonitors persisted durably as LDK's
// FilesystemStore does (a temporary file, fsync, rename) before LDK is told the update completed.
// No chain: the funding transaction spends a made-up input (funding-tx.ts) and both are shown it
// confirmed in made-up blocks (the Confirm interface checks no proof of work).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { fromHex, toHex } from '../src/core/base/bytes.ts';
import { sha256 } from '../src/core/crypto/primitives.ts';
import { fundingTx } from '../test/interop/ldk/funding-tx.ts';
import { startLdkPeer, type LdkPeer } from '../test/interop/ldk/peer.ts';

const COMPLETED = ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed;

/** ChannelMonitors written whole, durably, on every update (LDK's FilesystemStore under the default Persist). */
export function durable(dir: string): ldk.PersistInterface {
  mkdirSync(dir, { recursive: true });
  const dirFd = openSync(dir, 'r');
  const write = (op: ldk.OutPoint, m: ldk.ChannelMonitor) => {
    const file = join(dir, `${toHex(op.get_txid())}_${op.get_index()}`);
    const bytes = m.write();
    const fd = openSync(`${file}.tmp`, 'w');
    writeSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${file}.tmp`, file);
    fsyncSync(dirFd);
    return COMPLETED;
  };
  return {
    persist_new_channel: (op, m) => write(op, m),
    update_persisted_channel: (op, _u, m) => write(op, m),
    archive_persisted_channel: () => {},
  } as ldk.PersistInterface;
}

/** A made-up block header (80 bytes), distinct per height. */
function header(height: number): Uint8Array {
  const h = new Uint8Array(80);
  h[0] = 2;
  new DataView(h.buffer).setUint32(76, height, true);
  return h;
}

export interface LdkPair {
  payer: LdkPeer;
  payee: LdkPeer;
  /** An invoice of the payee's for `amount_msat`. */
  invoice(amount_msat: bigint): string;
  /** The payer pays `bolt11`; resolves once LDK reports PaymentSent (the preimage is back). */
  pay(bolt11: string): Promise<void>;
  /** How many times send_payment answered RouteNotFound and was asked again. */
  refusals(): number;
  /** The event loops run only while measured (they poll every millisecond). */
  run(on: boolean): void;
  stop(): Promise<void>;
}

export async function ldkPair(dir: string, fundingSat: bigint): Promise<LdkPair> {
  const payer = await startLdkPeer({ name: 'ldk-payer', persist: durable(join(dir, 'payer')) });
  const payee = await startLdkPeer({ name: 'ldk-payee', persist: durable(join(dir, 'payee')) });
  const waiting = new Map<string, { resolve(): void; reject(e: Error): void }>();
  let funding: Uint8Array | undefined;
  let count = 0;
  let refusals = 0;
  /** ChannelPending events: both sides signed the funding. */
  let pending = 0;
  const loop = (peer: LdkPeer) => {
    const cm = peer.channelManager!;
    for (const e of peer.takeEvents()) {
      if (e instanceof ldk.Event_FundingGenerationReady) {
        funding = fundingTx(e.output_script, e.channel_value_satoshis, 'bench ldk funding');
        cm.funding_transaction_generated(e.temporary_channel_id, e.counterparty_node_id, funding);
      } else if (e instanceof ldk.Event_ChannelPending) {
        pending++;
      } else if (e instanceof ldk.Event_PaymentClaimable) {
        const p = e.purpose;
        if (p instanceof ldk.PaymentPurpose_Bolt11InvoicePayment && p.payment_preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)
          cm.claim_funds(p.payment_preimage.some);
        else cm.fail_htlc_backwards(e.payment_hash);
      } else if (e instanceof ldk.Event_PaymentSent) {
        const w = waiting.get(toHex(e.payment_hash));
        waiting.delete(toHex(e.payment_hash));
        w?.resolve();
      } else if (e instanceof ldk.Event_PaymentFailed) {
        const hash = e.payment_hash instanceof ldk.Option_ThirtyTwoBytesZ_Some ? toHex(e.payment_hash.some) : '';
        waiting.get(hash)?.reject(new Error(`LDK payment ${hash} failed`));
        waiting.delete(hash);
      }
    }
    peer.processEvents();
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  const run = (on: boolean) => {
    if (on && !timer)
      timer = setInterval(() => {
        loop(payer);
        loop(payee);
      }, 1);
    if (!on && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const until = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 3000 && !cond(); i++) await new Promise(r => setTimeout(r, 10));
    if (!cond()) throw new Error(`LDK pair: ${what} did not happen`);
  };
  try {
    const port = await payee.listen();
    await payer.connect(payee.nodeId, '127.0.0.1', port);
    run(true);
    const r = payer.channelManager!.create_channel(fromHex(payee.nodeId), fundingSat, 0n, 42n, null, null);
    if (!(r instanceof ldk.Result_ChannelIdAPIErrorZ_OK)) throw new Error('LDK would not open the channel');
    await until(() => pending === 2, 'the funding signed both ways');
    for (const p of [payer, payee]) {
      const confirm = p.channelManager!.as_Confirm();
      confirm.transactions_confirmed(header(1), [ldk.TwoTuple_usizeTransactionZ.constructor_new(1, funding!)], 1);
      confirm.best_block_updated(header(6), 6);
      p.processEvents();
    }
    await until(
      () => payer.channelManager!.list_usable_channels().length === 1 && payee.channelManager!.list_usable_channels().length === 1,
      'channel_ready both ways',
    );
  } catch (e) {
    run(false);
    await payer.stop();
    await payee.stop();
    throw e;
  }
  run(false);
  return {
    payer,
    payee,
    invoice(amount_msat) {
      const r = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(
        payee.channelManager!,
        ldk.Option_u64Z.constructor_some(amount_msat),
        'bench',
        3600,
        ldk.Option_u16Z.constructor_none(),
      );
      if (!(r instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK made no invoice');
      return r.res.to_str();
    },
    async pay(bolt11) {
      const parsed = ldk.Bolt11Invoice.constructor_from_str(bolt11);
      if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK cannot parse its invoice');
      const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
      if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK))
        throw new Error('no payment parameters');
      const hash = params.res.get_a();
      const done = new Promise<void>((resolve, reject) => waiting.set(toHex(hash), { resolve, reject }));
      const id = sha256(new TextEncoder().encode(`bench ${++count}`));
      // Right after a PaymentSent, while the channel still settles the last HTLC, LDK 0.1's router
      // answers RouteNotFound: asked again each millisecond (the time counts; the refusals are counted).
      for (const t0 = Date.now(); ;) {
        const sent = payer.channelManager!.send_payment(
          hash,
          params.res.get_b(),
          id,
          params.res.get_c(),
          ldk.Retry.constructor_attempts(0),
        );
        if (sent instanceof ldk.Result_NoneRetryableSendFailureZ_OK) break;
        const why = sent instanceof ldk.Result_NoneRetryableSendFailureZ_Err ? ldk.RetryableSendFailure[sent.err] : 'unknown';
        if (why !== 'LDKRetryableSendFailure_RouteNotFound' || Date.now() - t0 > 10_000) throw new Error(`LDK would not send: ${why}`);
        refusals++;
        await new Promise(r => setTimeout(r, 1));
      }
      return done;
    },
    refusals: () => refusals,
    run,
    async stop() {
      run(false);
      await payer.stop();
      await payee.stop();
    },
  };
}
