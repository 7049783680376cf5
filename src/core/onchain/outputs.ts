// BOLT 5: the outputs of a closing transaction we must act on or watch, and how each is resolved.
// Our commitment and the peer's current or next one are rebuilt (classify.ts), so their outputs are
// known with their HTLCs; a revoked commitment of the peer's is matched output by output against
// the scripts its keys give (to_local, to_remote, the anchors, and an HTLC script for each HTLC the
// channel ever had: Core Lightning's htlc stubs), since its HTLCs are no longer in the state.
import { toHex } from '../base/bytes.ts';
import {
  anchorScript,
  commitmentKeys,
  offeredHtlcScript,
  p2wpkh,
  p2wsh,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
  type CommitmentOutput,
} from '../bolt3/index.ts';
import type { ChannelState } from '../channel/state.ts';
import type { Close } from './classify.ts';
import { plans, type SpendPlan } from './plans.ts';

/** What an output is to us (Core Lightning's onchaind output types, by BOLT 5's names). */
export type TrackedKind =
  /** Our to_local on our commitment, after to_self_delay. */
  | 'our_to_local'
  /** Our balance on the peer's commitment (its to_remote). */
  | 'to_us'
  /** An HTLC we offered: ours by timeout, theirs by preimage. */
  | 'our_htlc'
  /** An HTLC the peer offered: ours by preimage, theirs by timeout. */
  | 'their_htlc'
  /** The output of our HTLC-timeout or HTLC-success transaction, after to_self_delay. */
  | 'our_htlc_tx_output'
  /** The peer's balance (its to_local on its commitment, its to_remote on ours): not ours. */
  | 'to_them'
  | 'our_anchor'
  | 'their_anchor'
  /** On a revoked commitment of the peer's: every output of its is ours by the revocation key. */
  | 'revoked_to_local'
  | 'revoked_htlc'
  /** The output of the peer's HTLC transaction on its revoked commitment, also ours by the revocation key. */
  | 'revoked_htlc_tx_output'
  /** An output we cannot explain (a future commitment's, or an HTLC we have no stub for). */
  | 'unknown';

/** An HTLC the channel had, as lightningd keeps it (Core Lightning's htlc_stub). */
export interface HtlcStub {
  offeredByUs: boolean;
  paymentHash: Uint8Array;
  cltvExpiry: number;
  id?: bigint;
}

export interface Tracked {
  txid: string;
  vout: number;
  amount: bigint;
  script: Uint8Array;
  kind: TrackedKind;
  htlc?: HtlcStub;
  /** How we spend it; none: not ours, or nothing to gain (anchors). */
  plan?: SpendPlan;
}

/** Every HTLC in the state's commitments and updates: the stubs a revoked commitment is matched against. */
export function stubsOf(state: ChannelState, more: readonly HtlcStub[] = []): HtlcStub[] {
  const out = [...more];
  const specs = [state.localCommit.spec, state.remoteCommit.spec, state.nextRemoteCommit?.spec];
  for (const spec of specs) {
    for (const h of spec?.htlcs ?? []) {
      // A local spec's `offered` is ours; a remote spec's is theirs.
      const offeredByUs = spec === state.localCommit.spec ? h.offered : !h.offered;
      out.push({ offeredByUs, paymentHash: h.add.paymentHash, cltvExpiry: h.add.cltvExpiry, id: h.add.id });
    }
  }
  for (const [changes, byUs] of [
    [state.localChanges, true],
    [state.remoteChanges, false],
  ] as const) {
    for (const u of [...changes.proposed, ...changes.signed, ...changes.acked]) {
      if (u.kind === 'add') out.push({ offeredByUs: byUs, paymentHash: u.paymentHash, cltvExpiry: u.cltvExpiry, id: u.id });
    }
  }
  return out;
}

/** The outputs of closing transaction `txid` (with `outputs` its outputs) and how each is resolved. */
export function trackClose(
  state: ChannelState,
  close: Close,
  tx: { txid: string; outputs: { script: Uint8Array; amount: bigint }[] },
  stubs: readonly HtlcStub[],
): Tracked[] {
  const p = state.params;
  const at = (vout: number) => ({ txid: tx.txid, vout, amount: tx.outputs[vout]!.amount, script: tx.outputs[vout]!.script });
  const plan = plans(state);
  switch (close.kind) {
    case 'mutual':
      // BOLT 5 "Mutual Close Handling": our output pays our wallet already; nothing to spend.
      return [];
    case 'local': {
      const htlcOutputs = close.built.commitment.outputs.filter(o => o.htlc);
      return close.built.commitment.outputs.map((o, vout): Tracked => {
        const base = { ...at(vout), ...(o.htlc ? { htlc: stubOf(o, true) } : {}) };
        switch (o.kind) {
          case 'to_local':
            return { ...base, kind: 'our_to_local', plan: plan.ourDelayed(close.commitmentNumber, o.witnessScript!) };
          case 'offered_htlc':
          case 'received_htlc': {
            const j = htlcOutputs.indexOf(o);
            const h = close.built.htlcTxs[j]!;
            return {
              ...base,
              kind: o.kind === 'offered_htlc' ? 'our_htlc' : 'their_htlc',
              plan: plan.ourHtlcTx(close.commitmentNumber, o, h.htlcTx, state.localCommit.htlcSignatures[j]!),
            };
          }
          case 'to_local_anchor':
            return { ...base, kind: 'our_anchor' };
          default:
            return { ...base, kind: o.kind === 'to_remote' ? 'to_them' : 'their_anchor' };
        }
      });
    }
    case 'remote':
      return close.built.commitment.outputs.map((o, vout): Tracked => {
        const base = { ...at(vout), ...(o.htlc ? { htlc: stubOf(o, false) } : {}) };
        switch (o.kind) {
          case 'to_remote':
            return { ...base, kind: 'to_us', plan: plan.toUs() };
          // The peer's offered HTLC is ours with the preimage; its received one (ours) after cltv_expiry.
          case 'offered_htlc':
            return { ...base, kind: 'their_htlc', plan: plan.remoteHtlc(close.perCommitmentPoint, o.witnessScript!, 'preimage', 0) };
          case 'received_htlc':
            return {
              ...base,
              kind: 'our_htlc',
              plan: plan.remoteHtlc(close.perCommitmentPoint, o.witnessScript!, 'timeout', o.htlc!.cltvExpiry),
            };
          case 'to_remote_anchor':
            return { ...base, kind: 'our_anchor' };
          default:
            return { ...base, kind: o.kind === 'to_local' ? 'to_them' : 'their_anchor' };
        }
      });
    case 'revoked':
    case 'future': {
      const scripts = new Map<string, Omit<Tracked, 'txid' | 'vout' | 'amount' | 'script'>>();
      const add = (script: Uint8Array, t: Omit<Tracked, 'txid' | 'vout' | 'amount' | 'script'>) => scripts.set(toHex(script), t);
      add(p.anchors ? p2wsh(toRemoteAnchorsScript(p.local.basepoints.paymentBasepoint)) : p2wpkh(p.local.basepoints.paymentBasepoint), {
        kind: 'to_us',
        plan: plan.toUs(),
      });
      if (p.anchors) {
        add(p2wsh(anchorScript(p.local.fundingPubkey)), { kind: 'our_anchor' });
        add(p2wsh(anchorScript(p.remote.fundingPubkey)), { kind: 'their_anchor' });
      }
      if (close.kind === 'revoked') {
        // BOLT 3 keys of the peer's commitment: the peer owns it, we are its remote.
        const keys = commitmentKeys(p.remote.basepoints, p.local.basepoints, close.perCommitmentPoint);
        const secret = close.perCommitmentSecret;
        const toLocal = toLocalScript(keys.revocationPubkey, p.local.toSelfDelay, keys.localDelayedPubkey);
        add(p2wsh(toLocal), { kind: 'revoked_to_local', plan: plan.penalty(secret, toLocal) });
        for (const h of stubs) {
          const ws = h.offeredByUs
            ? receivedHtlcScript(keys, h.paymentHash, h.cltvExpiry, p.anchors)
            : offeredHtlcScript(keys, h.paymentHash, p.anchors);
          add(p2wsh(ws), { kind: 'revoked_htlc', htlc: h, plan: plan.revokedHtlc(secret, ws, keys.revocationPubkey, toLocal) });
        }
      }
      return tx.outputs.map((_, vout) => ({ ...at(vout), ...(scripts.get(toHex(tx.outputs[vout]!.script)) ?? { kind: 'unknown' }) }));
    }
  }
}

function stubOf(o: CommitmentOutput, localView: boolean): HtlcStub {
  const h = o.htlc!;
  return { offeredByUs: localView ? h.offered : !h.offered, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry, id: h.id };
}
