// A channel A → B where each side's signer is a real hsmd (two seeds): both hsmds are set up with
// the channel, each signs the other's commitment 0 and validates its own (funding_created /
// funding_signed), as the node does before channeld. Then two closingds, one per side, over a wire
// that encodes and decodes each message as connectd carries it (and lets a test rewrite or drop
// what one side sends), each with its hsmd's channel link and lightningd's events recorded.
import { HDKey } from '@scure/bip32';
import { toHex } from '../../src/core/base/bytes.ts';
import { buildFor, fundingInput, hsmdSigner, openedChannel, serializeChannel } from '../../src/core/channel/index.ts';
import { fundingScript, obscuringFactor, p2wsh } from '../../src/core/bolt3/index.ts';
import type { ChannelParams, ChannelState, SideParams } from '../../src/core/channel/state.ts';
import type { CloseFeerates } from '../../src/core/channel/closing-fee.ts';
import { daemon } from '../../src/core/daemons/closingd/host.ts';
import type { ClosingdDaemonApi, ClosingdInit, ClosingdSpec, ClosingResult } from '../../src/core/daemons/closingd/interface.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import { CHANNEL_CAPABILITIES, Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import type { ChannelBasepoints, ChannelLink } from '../../src/core/daemons/hsmd/interface.ts';
import { walletScript } from '../../src/core/daemons/hsmd/withdrawal.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { mnemonicSeed } from '../../src/core/keys/seed.ts';
import type { DaemonEnv, Log } from '../../src/core/node/daemon.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryChannelStore } from './hsmd-channel-fixture.ts';
import { keysOf } from '../../src/core/daemons/lightningd/channel-config.ts';
import { secretsOf, sideParams } from './channel-fixture.ts';

export type Who = 'a' | 'b';
const other = (w: Who): Who => (w === 'a' ? 'b' : 'a');

export const DBID = 3n;
type Link = ChannelLink<(typeof CHANNEL_CAPABILITIES)[number]>;

export interface HsmSide {
  hsmd: Hsmd;
  store: MemoryChannelStore;
  /** The peer's node id: what this side's hsmd keys the channel by. */
  peerId: Uint8Array;
  link: Link;
  basepoints: ChannelBasepoints;
}

/** Two hsmds, A's and B's, each over its own store. */
export function hsmds(): Record<Who, HsmSide> {
  const make = (words: string) => {
    const store = new MemoryChannelStore();
    return { hsmd: new Hsmd(mnemonicSeed(words), store), store };
  };
  const a = make('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about');
  const b = make('legal winner thank year wave sausage worth useful legal winner thank yellow');
  const side = (me: typeof a, peer: typeof a): HsmSide => {
    const peerId = peer.hsmd.nodeId();
    return {
      ...me,
      peerId,
      link: me.hsmd.linkForChannel(peerId, DBID, CHANNEL_CAPABILITIES),
      basepoints: me.hsmd.channelBasepoints(peerId, DBID),
    };
  };
  return { a: side(a, b), b: side(b, a) };
}

/** The 2-of-2 P2WSH the funding transaction pays (BOLT 3 "Funding Transaction Output"). */
export function fundingOutputScript(h: Record<Who, HsmSide>): Uint8Array {
  return p2wsh(fundingScript(h.a.basepoints.funding_pubkey, h.b.basepoints.funding_pubkey));
}

/** channel-fixture's side (limits) with hsmd's keys. */
function sideOf(bp: ChannelBasepoints, dustLimitSatoshis: bigint): SideParams {
  return sideParams(secretsOf('unused'), { ...keysOf(bp), dustLimitSatoshis });
}

export interface ChannelOptions {
  fundingTxid?: string;
  fundingOutputIndex?: number;
  fundingSatoshis?: bigint;
  /** What A (the opener) gives B at the open. */
  pushMsat?: bigint;
  feeratePerKw?: number;
  anchors?: boolean;
  dust?: Partial<Record<Who, bigint>>;
}

export const FUNDING_TXID = 'ab'.repeat(32);

/** The channel A → B with both hsmds set up and commitment 0 signed and validated on both sides. */
export async function hsmdChannel(h: Record<Who, HsmSide>, o: ChannelOptions = {}): Promise<Record<Who, ChannelState>> {
  const fundingSatoshis = o.fundingSatoshis ?? 1_000_000n;
  const push = o.pushMsat ?? 300_000_000n;
  const feeratePerKw = o.feeratePerKw ?? 2_500;
  const pa = sideOf(h.a.basepoints, o.dust?.a ?? 546n);
  const pb = sideOf(h.b.basepoints, o.dust?.b ?? 546n);
  const common = {
    channelId: sha256(new TextEncoder().encode('closingd channel')),
    fundingTxid: o.fundingTxid ?? FUNDING_TXID,
    fundingOutputIndex: o.fundingOutputIndex ?? 0,
    fundingSatoshis,
    anchors: o.anchors ?? false,
    obscuringFactor: obscuringFactor(pa.basepoints.paymentBasepoint, pb.basepoints.paymentBasepoint),
    policy: { maxDustHtlcExposureMsat: 5_000_000n, minFeeratePerKw: 253, maxFeeratePerKw: 100_000 },
  };
  const params: Record<Who, ChannelParams> = {
    a: { ...common, localIsOpener: true, local: pa, remote: pb },
    b: { ...common, localIsOpener: false, local: pb, remote: pa },
  };
  for (const w of ['a', 'b'] as const) {
    const p = params[w];
    await h[w].hsmd.setupChannel(h[w].peerId, DBID, {
      isOpener: p.localIsOpener,
      fundingTxid: p.fundingTxid,
      fundingOutputIndex: p.fundingOutputIndex,
      fundingSatoshis,
      anchors: p.anchors,
      remoteFundingPubkey: p.remote.fundingPubkey,
      remoteBasepoints: p.remote.basepoints,
      holderToSelfDelay: p.remote.toSelfDelay,
      counterpartyToSelfDelay: p.local.toSelfDelay,
    });
  }
  const signer = { a: hsmdSigner(h.a.link), b: hsmdSigner(h.b.link) };
  const toLocal = { a: fundingSatoshis * 1000n - push, b: push };
  const drafts = {} as Record<Who, ChannelState>;
  for (const w of ['a', 'b'] as const) {
    drafts[w] = openedChannel({
      params: params[w],
      toLocalMsat: toLocal[w],
      feeratePerKw,
      localCommitSignature: new Uint8Array(64),
      remoteFirstPerCommitmentPoint: await signer[other(w)].perCommitmentPoint(0n),
      remoteSecondPerCommitmentPoint: await signer[other(w)].perCommitmentPoint(1n),
    });
  }
  const states = {} as Record<Who, ChannelState>;
  for (const w of ['a', 'b'] as const) {
    // funding_created / funding_signed: the other side signs w's commitment 0; w's hsmd validates it.
    const o = other(w);
    const built = buildFor(params[o], 'remote', drafts[o].remoteCommit.spec, 0n, await signer[w].perCommitmentPoint(0n));
    const signature = await signer[o].signRemoteCommitment({ ...fundingInput(params[o], built), commitmentNumber: 0n });
    await signer[w].validateCommitment!({ commitmentNumber: 0n, tx: built.commitment.tx, signature, htlcs: [], htlcSignatures: [] });
    states[w] = { ...drafts[w], localCommit: { ...drafts[w].localCommit, signature } };
  }
  return states;
}

/** The script of `who`'s hsmd wallet key `index` (P2WPKH), from its xpub. */
export function walletOut(h: HsmSide, index: number): Uint8Array {
  return walletScript(HDKey.fromExtendedKey(h.hsmd.walletXpub('p2wpkh')).deriveChild(index).publicKey!, 'p2wpkh');
}

/** Both nodes' features: static_remotekey, option_shutdown_anysegwit (27), option_simple_close off. */
export const FEATURES = FeatureVector.fromBits([13, 27]).toHex();

export const FEERATES: Record<Who, CloseFeerates> = {
  a: { min: 253, ideal: 2_000, max: 10_000 },
  b: { min: 253, ideal: 1_000, max: 10_000 },
};

const quiet: Log = { debug() {}, info() {}, warn() {} };

export interface CloseSide {
  api: ClosingdDaemonApi;
  owner: ChannelOwner;
  sent: Message[];
  /** 'agreed' / 'closed' / 'failed:<code>' / 'sent:<message>' in the order they happened. */
  log: string[];
  agreed: ClosingResult[];
  closed: ClosingResult[];
  failures: { code: string; message: string; sent?: 'error' | 'warning' }[];
}

export interface CloseOptions {
  states: Record<Who, ChannelState>;
  scripts?: Partial<Record<Who, Uint8Array>>;
  init?: Partial<Record<Who, Partial<ClosingdInit>>>;
  /** Rewrites (or drops, returning undefined) what `who` sends, decoded. */
  tamper?: Partial<Record<Who, (m: Message) => Message | undefined>>;
  /** Replaces `who`'s hsmd link for the close. */
  hsm?: Partial<Record<Who, ClosingdSpec['uses']['hsm']>>;
}

/** Two closingds on the channel, wired to each other. */
export async function closePair(h: Record<Who, HsmSide>, o: CloseOptions, clock = new FakeClock()): Promise<Record<Who, CloseSide>> {
  const env: DaemonEnv = { clock, log: quiet, randomBytes: n => new Uint8Array(n) };
  const sides = {} as Record<Who, CloseSide>;
  const script = (w: Who) => o.scripts?.[w] ?? walletOut(h[w], 5);
  for (const w of ['a', 'b'] as const) {
    const side: CloseSide = { sent: [], log: [], agreed: [], closed: [], failures: [] } as unknown as CloseSide;
    const init: ClosingdInit = {
      peerId: toHex(h[w].peerId),
      dbid: DBID,
      channel: serializeChannel(o.states[w]),
      localScript: toHex(script(w)),
      remoteScript: toHex(script(other(w))),
      destination: { index: 5, type: 'p2wpkh' },
      ourFeatures: FEATURES,
      theirFeatures: FEATURES,
      feerates: FEERATES[w],
      ...o.init?.[w],
    };
    const uses = {
      peer: {
        async send(msg: Uint8Array) {
          const m = decodeMessage(msg) as Message;
          side.sent.push(m);
          side.log.push(`sent:${m.name}`);
          const t = o.tamper?.[w];
          const out = t ? t(m) : m;
          if (!out) return;
          const bytes = out === m ? msg : encodeMessage(out);
          // Delivered after this send returns, as across a port.
          void Promise.resolve().then(() => sides[other(w)].owner.deliver(bytes));
        },
      },
      hsm: o.hsm?.[w] ?? h[w].link,
      events: {
        async agreed(c: ClosingResult) {
          side.log.push('agreed');
          side.agreed.push(c);
        },
        closed(c: ClosingResult) {
          side.log.push('closed');
          side.closed.push(c);
        },
        failed(e: CloseSide['failures'][number]) {
          side.log.push(`failed:${e.code}`);
          side.failures.push(e);
        },
      },
    } as unknown as Parameters<typeof daemon.start>[1];
    const started = await daemon.start(init, uses, env as ClosingdSpec['env'] & DaemonEnv);
    side.api = started.api;
    side.owner = started.serve('peer', []) as ChannelOwner;
    sides[w] = side;
  }
  return sides;
}
