// A channel A → B for onchaind's tests: B (us) signs through hsmd (hsmd-channel-fixture.ts), A (the
// peer) with its secrets in memory, so a test can broadcast either side's commitment, current or
// revoked. Three HTLCs go through the commitment dance: A → B (B knows its preimage), B → A, and a
// small one A → B after which A's commitment holding the first two is revoked.
import { p2wsh as p2wshOut } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import {
  commitmentSecret,
  derFromCompact,
  fundingScript,
  fundingWitness,
  htlcSighashType,
  htlcSuccessWitness,
  htlcTimeoutWitness,
  perCommitmentPoint,
  pubkeyOf,
  scriptSig,
  setWitness,
  SIGHASH_ALL,
  signInput,
  derivePrivkey,
} from '../../src/core/bolt3/index.ts';
import type { ConnectedBlock } from '../../src/core/chain/backend.ts';
import { buildFor, sendAdd, serializeChannel, type BuiltCommitment, type ChannelState } from '../../src/core/channel/index.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { ONCHAIN_CAPABILITIES } from '../../src/core/daemons/hsmd/interface.ts';
import { dance, deliver, secretsOf, type Node } from './channel-fixture.ts';
import { DBID, hsmdPair, MemoryChannelStore, PEER, SEED, walletOut } from './hsmd-channel-fixture.ts';

export const FUNDING = 10_000_000n;

/** A block at `height` holding `txs`, as the chain follower hands it to lightningd (hashes made up from the height). */
export const block = (height: number, txs: Uint8Array[] = []): ConnectedBlock => ({
  height,
  hash: height.toString(16).padStart(64, '0'),
  prevHash: (height - 1).toString(16).padStart(64, '0'),
  time: 0,
  txs,
});
const tag = (s: string) => sha256(new TextEncoder().encode(s));
export const PREIMAGE = { toB: tag('preimage A to B'), toA: tag('preimage B to A'), small: tag('preimage small') };
export const AMOUNT = { toB: 50_000_000n, toA: 40_000_000n, small: 30_000_000n };

/** The 2-of-2 funding script of the channel (A's funding key and hsmd's), for a test to pay. */
export function fundingOutputScript(hsmd: Hsmd): Uint8Array {
  const ours = hsmd.channelBasepoints(PEER, DBID).funding_pubkey;
  return p2wshOut({ type: 'wsh', script: fundingScript(pubkeyOf(secretsOf('A').funding), ours) } as never).script;
}

export function fundingScriptOf(hsmd: Hsmd): Uint8Array {
  return fundingScript(pubkeyOf(secretsOf('A').funding), hsmd.channelBasepoints(PEER, DBID).funding_pubkey);
}

const onion = new Uint8Array(1366);

/** A's point for its commitment n. */
export const pointA = (n: bigint) => perCommitmentPoint(commitmentSecret(secretsOf('A').seed, n));

export interface Closing {
  hsmd: Hsmd;
  a: Node;
  b: Node;
  /** A's state when its commitment with the first two HTLCs was current (revoked since). */
  revokedA: ChannelState;
  /** B's state then: a backup older than the channel (option_data_loss_protect's case). */
  staleB: ChannelState;
  /** cltv_expiry of each HTLC. */
  cltv: { toB: number; toA: number; small: number };
}

/** The channel with its HTLCs (see the top of this file); `cltvBase`: the first HTLC's cltv_expiry. */
export async function closing(o: { anchors?: boolean; funding?: { txid: string; vout: number }; cltvBase: number }): Promise<Closing> {
  const hsmd = new Hsmd(SEED, new MemoryChannelStore());
  const p = await hsmdPair(hsmd, o.anchors ?? false, o.funding);
  const cltv = { toB: o.cltvBase, toA: o.cltvBase + 10, small: o.cltvBase + 20 };
  const add = async (from: Node, to: Node, amountMsat: bigint, preimage: Uint8Array, cltvExpiry: number) => {
    const r = sendAdd(from.state, { amountMsat, paymentHash: sha256(preimage), cltvExpiry, onion });
    from.state = r.state;
    await deliver(to, r.messages);
    await dance(from, to);
  };
  await add(p.a, p.b, AMOUNT.toB, PREIMAGE.toB, cltv.toB);
  await add(p.b, p.a, AMOUNT.toA, PREIMAGE.toA, cltv.toA);
  const revokedA = p.a.state;
  const staleB = p.b.state;
  await add(p.a, p.b, AMOUNT.small, PREIMAGE.small, cltv.small);
  return { hsmd, a: p.a, b: p.b, revokedA, staleB, cltv };
}

/** A's commitment in `state` signed by both (A's key, and B's signature A holds), ready to broadcast. */
export function signedA(state: ChannelState): { raw: Uint8Array; built: BuiltCommitment } {
  const c = state.localCommit;
  const built = buildFor(state.params, 'local', c.spec, c.index, pointA(c.index));
  const tx = built.commitment.tx;
  const sig = signInput(tx, 0, built.commitment.fundingScript, state.params.fundingSatoshis, secretsOf('A').funding, SIGHASH_ALL);
  setWitness(
    tx,
    0,
    fundingWitness(
      built.commitment.fundingScript,
      { pubkey: state.params.local.fundingPubkey, sig },
      { pubkey: state.params.remote.fundingPubkey, sig: scriptSig(derFromCompact(c.signature), SIGHASH_ALL) },
    ),
  );
  return { raw: tx.toBytes(true, true), built };
}

/** B's (our) current commitment, signed by hsmd for broadcast and by A. */
export async function signedB(x: Closing): Promise<{ raw: Uint8Array; built: BuiltCommitment }> {
  const s = x.b.state;
  const built = buildFor(
    s.params,
    'local',
    s.localCommit.spec,
    s.localCommit.index,
    await x.hsmd.getPerCommitmentPoint(PEER, DBID, s.localCommit.index),
  );
  const tx = built.commitment.tx;
  const ours = await x.hsmd.signLocalCommitment(PEER, DBID, tx.unsignedTx);
  setWitness(
    tx,
    0,
    fundingWitness(
      built.commitment.fundingScript,
      { pubkey: s.params.local.fundingPubkey, sig: scriptSig(derFromCompact(ours), SIGHASH_ALL) },
      { pubkey: s.params.remote.fundingPubkey, sig: scriptSig(derFromCompact(s.localCommit.signature), SIGHASH_ALL) },
    ),
  );
  return { raw: tx.toBytes(true, true), built };
}

/**
 * A's HTLC transaction on its commitment in `state` for the HTLC with `preimage`: HTLC-success (A
 * received it, with the preimage) or HTLC-timeout (A offered it), signed by A and by B (A holds B's
 * signature). What the peer broadcasts to race our penalty.
 */
export function htlcTxOfA(state: ChannelState, paymentHash: Uint8Array, preimage?: Uint8Array): Uint8Array {
  const c = state.localCommit;
  const built = buildFor(state.params, 'local', c.spec, c.index, pointA(c.index));
  const j = built.htlcTxs.findIndex(h => {
    const out = built.commitment.outputs[h.htlcTx.tx.getInput(0).index!]!;
    return out.htlc!.paymentHash.every((b, i) => b === paymentHash[i]);
  });
  const h = built.htlcTxs[j]!;
  const tx = h.htlcTx.tx;
  const anchors = state.params.anchors;
  const key = derivePrivkey(secretsOf('A').htlc, pointA(c.index));
  const local = signInput(tx, 0, h.witnessScript, h.amount, key, SIGHASH_ALL);
  const remote = scriptSig(derFromCompact(c.htlcSignatures[j]!), htlcSighashType(anchors, true));
  setWitness(
    tx,
    0,
    preimage ? htlcSuccessWitness(h.witnessScript, remote, local, preimage) : htlcTimeoutWitness(h.witnessScript, remote, local),
  );
  return tx.toBytes(true, true);
}

/** What lightningd gives onchaind: B's state, hsmd's wallet key 5 as destination. */
export function initFor(x: Closing, spendingTx: Uint8Array, height: number, tip = height, extra: Record<string, unknown> = {}) {
  return {
    peerId: '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7',
    dbid: DBID,
    channel: serializeChannel(x.b.state),
    spendingTx,
    height,
    tip,
    preimages: [PREIMAGE.toB],
    destination: { index: 5, type: 'p2wpkh' as const, script: walletOut(x.hsmd, 5) },
    feeratePerKw: 1000,
    ...extra,
  };
}

/** hsmd's link for onchaind: this channel, ONCHAIN_CAPABILITIES. */
export function onchainHsm(hsmd: Hsmd) {
  return hsmd.linkForChannel(PEER, DBID, ONCHAIN_CAPABILITIES);
}

export { fromHex };
