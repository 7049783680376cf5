// A channel A → B (channel-fixture.ts) whose B side is hsmd: B's keys are hsmd's channelBasepoints
// for (PEER, DBID), B's signer is hsmdSigner over hsmd's channel link, and hsmd was set up with the
// channel and has validated B's commitment 0 (funding_signed). A memory store keeps hsmd's channel
// state as JSON text, as a file would.
import { HDKey } from '@scure/bip32';
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import { buildFor, hsmdSigner, sendAdd } from '../../src/core/channel/index.ts';
import { CHANNEL_CAPABILITIES, Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import type { ChannelLink, ChannelSetup, HsmApi, HsmChannelStore, StoredChannelRecord } from '../../src/core/daemons/hsmd/interface.ts';
import { walletScript } from '../../src/core/daemons/hsmd/withdrawal.ts';
import { mnemonicSeed } from '../../src/core/keys/seed.ts';
import { keysOf } from '../../src/core/daemons/lightningd/channel-config.ts';
import { commit, deliver, openPair, secretsOf, sideParams, type Node } from './channel-fixture.ts';

export const SEED = mnemonicSeed('legal winner thank year wave sausage worth useful legal winner thank yellow');
/** BOLT 8 Appendix A's responder key, as the peer's node id. */
export const PEER = fromHex('028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7');
export const DBID = 7n;
/** channel-fixture.ts's funding outpoint and amount. */
export const FUNDING_TXID = '8984484a580b825b9972d7adb15050b3ab624ccd731946b3eeddb92f4e7ef6be';
export const FUNDING_SATOSHIS = 10_000_000n;

/** hsmd's channel records as JSON text (what a file holds); `saves` counts the writes. */
export class MemoryChannelStore implements HsmChannelStore {
  readonly data = new Map<string, string>();
  saves = 0;
  async load(): Promise<Record<string, StoredChannelRecord>> {
    return Object.fromEntries([...this.data].map(([k, v]) => [k, JSON.parse(v) as StoredChannelRecord]));
  }
  async save(key: string, record: StoredChannelRecord): Promise<void> {
    this.data.set(key, JSON.stringify(record));
    this.saves++;
  }
}

/** The setup hsmd gets for B's side of channel-fixture.ts's channel (A opened it). */
export function setupB(anchors = false, funding?: { txid: string; vout: number }): ChannelSetup {
  const a = sideParams(secretsOf('A'));
  return {
    isOpener: false,
    fundingTxid: funding?.txid ?? FUNDING_TXID,
    fundingOutputIndex: funding?.vout ?? 0,
    fundingSatoshis: FUNDING_SATOSHIS,
    anchors,
    remoteFundingPubkey: a.fundingPubkey,
    remoteBasepoints: a.basepoints,
    // A's to_self_delay applies to B's to_local, and B's (also 144 in the fixture) to A's.
    holderToSelfDelay: a.toSelfDelay,
    counterpartyToSelfDelay: 144,
  };
}

/** hsmd's channel methods, in process (Hsmd) or over a port (a Comlink link with those capabilities). */
export type ChannelHsm = Pick<HsmApi, (typeof CHANNEL_CAPABILITIES)[number]>;

export interface HsmdPair {
  a: Node;
  b: Node;
  link: ChannelLink<(typeof CHANNEL_CAPABILITIES)[number]>;
}

/** (PEER, DBID) bound, as Hsmd.linkForChannel binds them, for an hsmd reached over a port. */
function bindChannel(h: ChannelHsm): HsmdPair['link'] {
  const out: Record<string, unknown> = {};
  for (const name of CHANNEL_CAPABILITIES) {
    out[name] = (...args: unknown[]) => (h[name] as (...a: unknown[]) => unknown)(PEER, DBID, ...args);
  }
  return out as HsmdPair['link'];
}

/** hsmd's channelBasepoints as a side's keys in open_channel / accept_channel. */
/** The channel with B's signer in hsmd; B's commitment 0 validated. */
export async function hsmdPair(hsmd: Hsmd | ChannelHsm, anchors = false, funding?: { txid: string; vout: number }): Promise<HsmdPair> {
  await hsmd.setupChannel(PEER, DBID, setupB(anchors, funding));
  const link = hsmd instanceof Hsmd ? hsmd.linkForChannel(PEER, DBID, CHANNEL_CAPABILITIES) : bindChannel(hsmd);
  const bp = await hsmd.channelBasepoints(PEER, DBID);
  const { a, b } = await openPair({
    anchors,
    ...(funding ? { funding } : {}),
    b: keysOf(bp),
    signerB: () => hsmdSigner(link),
  });
  const built = buildFor(b.state.params, 'local', b.state.localCommit.spec, 0n, await b.signer.perCommitmentPoint(0n));
  await b.signer.validateCommitment({
    commitmentNumber: 0n,
    tx: built.commitment.tx,
    signature: b.state.localCommit.signature,
    htlcs: [],
    htlcSignatures: [],
  });
  return { a, b, link };
}

/** B's current commitment as channeld would build it. */
export async function localCommitmentOf(b: Node) {
  const s = b.state;
  return buildFor(s.params, 'local', s.localCommit.spec, s.localCommit.index, await b.signer.perCommitmentPoint(s.localCommit.index));
}

/** The script of hsmd's wallet key `index` (p2wpkh), from its xpub. */
export function walletOut(hsmd: Hsmd, index: number): Uint8Array {
  return walletScript(HDKey.fromExtendedKey(hsmd.walletXpub('p2wpkh')).deriveChild(index).publicKey!, 'p2wpkh');
}

/** An unsigned transaction spending `outpoints` to `outputs`. */
export function spend(
  inputs: { txid: string; index: number; sequence?: number }[],
  outputs: { script: Uint8Array; amount: bigint }[],
): Transaction {
  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  for (const i of inputs) tx.addInput({ txid: i.txid, index: i.index, sequence: i.sequence ?? 0xffffffff });
  for (const o of outputs) tx.addOutput(o);
  return tx;
}

/** A offers B an HTLC (its update_add_htlc delivered to B). */
export async function addFromA(p: { a: Node; b: Node }, amountMsat = 50_000_000n): Promise<void> {
  const r = sendAdd(p.a.state, { amountMsat, paymentHash: new Uint8Array(32).fill(1), cltvExpiry: 800_144, onion: new Uint8Array(1366) });
  p.a.state = r.state;
  await deliver(p.b, r.messages);
}

/** addFromA, then A signs: B's signer (hsmd) validates B's next commitment and revokes the one before. */
export async function advance(p: { a: Node; b: Node }): Promise<void> {
  await addFromA(p);
  await commit(p.a, p.b);
}

/** B's commitment `n` at another feerate: a transaction hsmd never validated under that number. */
export async function otherCommitment(b: Node, n: bigint): Promise<Transaction> {
  const spec = { ...b.state.localCommit.spec, feeratePerKw: b.state.localCommit.spec.feeratePerKw + 500 };
  return buildFor(b.state.params, 'local', spec, n, await b.signer.perCommitmentPoint(n)).commitment.tx;
}
