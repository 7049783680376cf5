// option_anchors: our commitment, broadcast and not confirmed, bumped through our anchor (Core
// Lightning's lightningd/anchorspend.c). BOLT 3 "to_local_anchor and to_remote_anchor Output":
// each side's anchor lets it "spend the commitment transaction's anchor output to bump the fee
// (CPFP)"; BOLT 5 "Failing a Channel": the commitment must reach the chain, and an HTLC deadline
// makes it urgent. When the commitment's own feerate is below what the chain asks now, lightningd
// spends our anchor with wallet coins (hsmd signs the anchor, the wallet its coins) so that the two
// together pay that feerate, and sends them as a package (submitpackage: the parent alone may be
// below the mempool's minimum). At each block still unconfirmed it sends them again; the child is
// replaced (RBF) at a higher feerate when the chain asks more, or when it has waited REBUMP_BLOCKS
// blocks while an HTLC's deadline is within DEADLINE_BLOCKS.
import { Transaction } from '@scure/btc-signer';
import { equal, fromHex, toHex } from '../../base/bytes.ts';
import {
  ANCHOR_SATOSHIS,
  anchorOwnerWitness,
  anchorScript,
  derFromCompact,
  p2wsh,
  scriptSig,
  setWitness,
  SIGHASH_ALL,
  TX_OPTS,
} from '../../bolt3/index.ts';
import type { SendResult } from '../../chain/backend.ts';
import type { ChannelState } from '../../channel/state.ts';
import type { Log } from '../../node/daemon.ts';
import type { RunningDaemon } from '../../node/supervisor.ts';
import { WalletError } from '../../wallet/errors.ts';
import type { Wallet } from '../../wallet/wallet.ts';
import type { HsmdSpec } from '../hsmd/interface.ts';
import type { ChannelRecord } from './db.ts';

/** Our anchor's witness: its count, `<sig>` (73 bytes at most) and the 40-byte anchor script, with their lengths. */
const ANCHOR_WITNESS_WEIGHT = 1 + 1 + 73 + 1 + 40;
/** Blocks a child waits unconfirmed before it is replaced at a higher feerate while a deadline nears. */
export const REBUMP_BLOCKS = 3;
/** An HTLC whose cltv_expiry is this close makes the commitment urgent (Core Lightning aims 12 blocks early, BOLT 2 cltv_expiry_delta's lower bound is 18). */
export const DEADLINE_BLOCKS = 18;
/** Each urgent replacement pays a quarter more (BIP 125: it must pay more and at a higher feerate). */
const URGENT_STEP = 1.25;

export interface AnchorBoostOptions {
  hsmd: RunningDaemon<HsmdSpec>;
  wallet: Wallet;
  /** bitcoind's submitpackage: the commitment and its child together. */
  submitPackage(txs: Uint8Array[]): Promise<SendResult>;
  log: Log;
}

/** The child sent last for a channel. */
interface Child {
  raw: Uint8Array;
  txid: string;
  feeratePerKw: number;
  height: number;
}

export type BoostOutcome =
  | { kind: 'pays_enough'; feeratePerKw: number }
  | { kind: 'bumped'; txid: string; feeratePerKw: number; accepted: boolean; errmsg?: string }
  | { kind: 'no_coins'; needs: number; pays: number; message: string };

/** Our anchor output of `commitment`: BOLT 3 "to_local_anchor": P2WSH of `<local_funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16 OP_CHECKSEQUENCEVERIFY OP_ENDIF`. */
export function ourAnchor(commitment: Transaction, st: ChannelState): { vout: number; witnessScript: Uint8Array } | undefined {
  if (!st.params.anchors) return undefined;
  const witnessScript = anchorScript(st.params.local.fundingPubkey);
  const script = p2wsh(witnessScript);
  for (let i = 0; i < commitment.outputsLength; i++) {
    const o = commitment.getOutput(i);
    if (o.script && equal(o.script, script)) return { vout: i, witnessScript };
  }
  return undefined;
}

/**
 * What to do at a block for our unconfirmed commitment paying `pays` (perkw) when the chain asks
 * `needs`, with the child sent last (`prior`) and the earliest HTLC `deadline` (its cltv_expiry):
 * nothing while it pays enough and has no child; a new child (first, or BIP 125 replacement) at
 * `target` when the chain asks more than the last one paid, or when the last has waited
 * REBUMP_BLOCKS blocks within DEADLINE_BLOCKS of the deadline (a quarter more each time); else the
 * same child again.
 */
export function boostPlan(o: {
  pays: number;
  needs: number;
  tip: number;
  deadline: number;
  prior?: { feeratePerKw: number; height: number };
}): { kind: 'pays_enough' } | { kind: 'build' | 'resend'; target: number } {
  const { prior } = o;
  // BOLT 3's anchors let the commitment pay little: no child while it pays what the chain asks.
  if (!prior) return o.pays >= o.needs ? { kind: 'pays_enough' } : { kind: 'build', target: o.needs };
  const urgent = o.tip - prior.height >= REBUMP_BLOCKS && o.deadline - o.tip <= DEADLINE_BLOCKS;
  const target = Math.max(o.needs, prior.feeratePerKw, urgent ? Math.ceil(prior.feeratePerKw * URGENT_STEP) : 0);
  return { kind: target > prior.feeratePerKw ? 'build' : 'resend', target };
}

export class AnchorBoost {
  private readonly children = new Map<string, Child>();

  constructor(private readonly o: AnchorBoostOptions) {}

  /**
   * Our commitment `raw` of channel `c` (state `st`), unconfirmed at `tip`, when the chain asks
   * `needsPerKw`: sent alone when it pays that, else with a child of our anchor paying for both.
   * `destination`: the wallet key the child's change pays (the one onchaind's sweeps pay).
   */
  async boost(
    c: ChannelRecord,
    st: ChannelState,
    raw: Uint8Array,
    tip: number,
    needsPerKw: number,
    destination: { index: number; type: 'p2wpkh' | 'p2tr'; script: Uint8Array },
  ): Promise<BoostOutcome | undefined> {
    const parent = Transaction.fromRaw(raw, TX_OPTS);
    const anchor = ourAnchor(parent, st);
    if (!anchor) return undefined;
    const outputs = Array.from({ length: parent.outputsLength }, (_, i) => parent.getOutput(i).amount!).reduce((a, b) => a + b, 0n);
    const fee = Number(st.params.fundingSatoshis - outputs);
    const weight = parent.weight;
    const pays = Math.floor((fee * 1000) / weight);
    const prior = this.children.get(c.dbid);
    const deadline = Math.min(...st.localCommit.spec.htlcs.map(h => h.add.cltvExpiry));
    const plan = boostPlan({ pays, needs: needsPerKw, tip, deadline, ...(prior ? { prior } : {}) });
    if (plan.kind === 'pays_enough') return { kind: 'pays_enough', feeratePerKw: pays };
    const target = plan.target;
    let child = prior;
    if (plan.kind === 'build') {
      try {
        child = { ...(await this.build(c, anchor, parent, fee, target, destination, prior)), feeratePerKw: target, height: tip };
      } catch (e) {
        if (!(e instanceof WalletError)) throw e;
        const message = `no wallet coin to bump our commitment ${parent.id} (it pays ${pays} perkw, the chain asks ${target}): ${e.message}`;
        this.o.log.warn(`channel ${c.channel_id}: ${message}`);
        // The commitment still goes out alone: a later block, or fewer rivals, may take it.
        if (!prior) return { kind: 'no_coins', needs: target, pays, message };
        child = prior;
      }
      this.children.set(c.dbid, child);
      if (prior && child !== prior)
        this.o.log.info(`channel ${c.channel_id}: anchor spend ${prior.txid} replaced by ${child.txid} at ${target} perkw`);
    }
    const r = await this.o.submitPackage([raw, child!.raw]);
    if (!r.success) this.o.log.info(`channel ${c.channel_id}: our commitment and anchor spend ${child!.txid}: ${r.errmsg ?? 'refused'}`);
    return {
      kind: 'bumped',
      txid: child!.txid,
      feeratePerKw: child!.feeratePerKw,
      accepted: r.success,
      ...(r.errmsg ? { errmsg: r.errmsg } : {}),
    };
  }

  /** The channel's commitment confirmed (or the channel is gone): its child is forgotten. */
  forget(dbid: string): void {
    this.children.delete(dbid);
  }

  /** The child: our anchor, then wallet coins and change (wallet.fundChild), signed by hsmd (anchor) and the wallet (coins). */
  private async build(
    c: ChannelRecord,
    anchor: { vout: number; witnessScript: Uint8Array },
    parent: Transaction,
    parentFee: number,
    feeratePerKw: number,
    destination: { index: number; type: 'p2wpkh' | 'p2tr'; script: Uint8Array },
    prior: Child | undefined,
  ): Promise<{ raw: Uint8Array; txid: string }> {
    const unsigned = new Transaction({ ...TX_OPTS, version: 2 });
    unsigned.addInput({ txid: fromHex(parent.id), index: anchor.vout, sequence: 0xfffffffd });
    const funded = await this.o.wallet.fundChild({
      tx: unsigned.unsignedTx,
      inputWitnessWeight: ANCHOR_WITNESS_WEIGHT,
      feeratePerKw,
      change: destination.script,
      parent: { weight: parent.weight, fee: parentFee },
      surplus: Number(ANCHOR_SATOSHIS),
      // A replacement may spend the coins of the child it replaces (it conflicts with it on the anchor anyway).
      ...(prior ? { replacing: walletInputs(prior.raw) } : {}),
    });
    const hsmd = this.o.hsmd;
    const sig = await hsmd.guard(
      hsmd.api.signAnchorSpend(c.peer_id, BigInt(c.dbid), {
        tx: funded,
        input: 0,
        amount: ANCHOR_SATOSHIS,
        destination: { index: destination.index, type: destination.type },
      }),
    );
    const tx = Transaction.fromRaw(funded, TX_OPTS);
    setWitness(tx, 0, anchorOwnerWitness(anchor.witnessScript, scriptSig(derFromCompact(sig), SIGHASH_ALL)));
    const anchorOut = { script: p2wsh(anchor.witnessScript), amount: ANCHOR_SATOSHIS };
    const raw = await this.o.wallet.signChild(tx.toBytes(true, true), (txid, vout) =>
      txid === parent.id && vout === anchor.vout ? anchorOut : undefined,
    );
    const signed = Transaction.fromRaw(raw, TX_OPTS);
    this.o.log.info(`channel ${c.channel_id}: our anchor spend ${signed.id} bumps commitment ${parent.id} to ${feeratePerKw} perkw`);
    return { raw, txid: signed.id };
  }
}

/** The wallet's coins a child spends: every input after our anchor, `txid:vout`. */
function walletInputs(raw: Uint8Array): string[] {
  const tx = Transaction.fromRaw(raw, TX_OPTS);
  return Array.from({ length: tx.inputsLength - 1 }, (_, i) => {
    const x = tx.getInput(i + 1);
    return `${toHex(x.txid!)}:${x.index}`;
  });
}

/** listpeerchannels' status line for the outcome. */
export function boostStatus(state: string, txid: string, b: BoostOutcome | undefined): string | undefined {
  if (!b) return undefined;
  if (b.kind === 'pays_enough') return `${state}:Our commitment ${txid} pays ${b.feeratePerKw} perkw: no anchor spend needed`;
  if (b.kind === 'no_coins') return `${state}:Our commitment ${txid} needs ${b.needs} perkw: ${b.message}`;
  return `${state}:Our commitment ${txid} bumped by anchor spend ${b.txid} at ${b.feeratePerKw} perkw${b.accepted ? '' : ` (refused: ${b.errmsg ?? 'unknown'})`}`;
}
