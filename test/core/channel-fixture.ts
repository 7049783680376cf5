// Two channel state machines opened to each other from fixed secrets (A opens, B accepts), and a
// wire between them: every message is encoded and decoded on its way, as connectd would carry it.
import { concat } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { commitmentSecret, obscuringFactor, perCommitmentPoint, pubkeyOf } from '../../src/core/bolt3/index.ts';
import {
  buildFor,
  fundingInput,
  keySigner,
  openedChannel,
  receiveMessage,
  sendCommit,
  type ChannelParams,
  type ChannelPolicy,
  type ChannelSigner,
  type ChannelState,
  type NormalOperationMessage,
  type SideParams,
  type Update,
} from '../../src/core/channel/index.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/wire/messages.ts';

export interface Node {
  name: string;
  state: ChannelState;
  signer: ChannelSigner;
  /** Messages received, in order (for the tests' assertions). */
  received: Message[];
  /** The peer's updates reported irrevocably committed, in order. */
  settled: Update[];
}

const secret = (tag: string) => sha256(new TextEncoder().encode(tag));

export function secretsOf(who: string) {
  return {
    funding: secret(`${who} funding`),
    revocation: secret(`${who} revocation`),
    payment: secret(`${who} payment`),
    delayed: secret(`${who} delayed`),
    htlc: secret(`${who} htlc`),
    seed: secret(`${who} seed`),
  };
}

export type Secrets = ReturnType<typeof secretsOf>;

export function sideParams(k: Secrets, o: Partial<SideParams> = {}): SideParams {
  return {
    fundingPubkey: pubkeyOf(k.funding),
    basepoints: {
      revocationBasepoint: pubkeyOf(k.revocation),
      paymentBasepoint: pubkeyOf(k.payment),
      delayedPaymentBasepoint: pubkeyOf(k.delayed),
      htlcBasepoint: pubkeyOf(k.htlc),
    },
    dustLimitSatoshis: 546n,
    maxHtlcValueInFlightMsat: 5_000_000_000n,
    channelReserveSatoshis: 10_000n,
    htlcMinimumMsat: 1_000n,
    toSelfDelay: 144,
    maxAcceptedHtlcs: 30,
    ...o,
  };
}

export const POLICY: ChannelPolicy = { maxDustHtlcExposureMsat: 5_000_000n, minFeeratePerKw: 253, maxFeeratePerKw: 100_000 };

export interface PairOptions {
  fundingSatoshis?: bigint;
  pushMsat?: bigint;
  feeratePerKw?: number;
  anchors?: boolean;
  /** What A asks of B (A's side params), and what B asks of A. */
  a?: Partial<SideParams>;
  b?: Partial<SideParams>;
  policy?: Partial<ChannelPolicy>;
  signerB?: (k: Secrets) => ChannelSigner;
  /** A real funding outpoint (a chain test); the fixed one below otherwise. */
  funding?: { txid: string; vout: number };
}

export const signerOf = (k: Secrets) => keySigner({ fundingSecret: k.funding, htlcBasepointSecret: k.htlc, shachainSeed: k.seed });

/** A channel A → B whose funding is locked: commitment 0 signed both ways. */
export async function openPair(o: PairOptions = {}): Promise<{ a: Node; b: Node }> {
  const ka = secretsOf('A');
  const kb = secretsOf('B');
  const pa = sideParams(ka, o.a);
  const pb = sideParams(kb, o.b);
  const fundingSatoshis = o.fundingSatoshis ?? 10_000_000n;
  const push = o.pushMsat ?? 3_000_000_000n;
  const feeratePerKw = o.feeratePerKw ?? 2_500;
  const common = {
    channelId: sha256(concat(secret('channel'))),
    fundingTxid: o.funding?.txid ?? '8984484a580b825b9972d7adb15050b3ab624ccd731946b3eeddb92f4e7ef6be',
    fundingOutputIndex: o.funding?.vout ?? 0,
    fundingSatoshis,
    anchors: o.anchors ?? false,
    obscuringFactor: obscuringFactor(pa.basepoints.paymentBasepoint, pb.basepoints.paymentBasepoint),
    policy: { ...POLICY, ...o.policy },
  };
  const paramsA: ChannelParams = { ...common, localIsOpener: true, local: pa, remote: pb };
  const paramsB: ChannelParams = { ...common, localIsOpener: false, local: pb, remote: pa };
  const signerA = signerOf(ka);
  const signerB = o.signerB?.(kb) ?? signerOf(kb);
  const point = (k: Secrets, n: bigint) => perCommitmentPoint(commitmentSecret(k.seed, n));
  const pointB = (n: bigint) => signerB.perCommitmentPoint(n);
  const toA = fundingSatoshis * 1000n - push;
  // funding_created / funding_signed: each side signs the other's commitment 0.
  const initial = (params: ChannelParams, toLocalMsat: bigint, sig: Uint8Array, first: Uint8Array, second: Uint8Array) =>
    openedChannel({
      params,
      toLocalMsat,
      feeratePerKw,
      localCommitSignature: sig,
      remoteFirstPerCommitmentPoint: first,
      remoteSecondPerCommitmentPoint: second,
    });
  const draftA = initial(paramsA, toA, new Uint8Array(64), await pointB(0n), await pointB(1n));
  const draftB = initial(paramsB, push, new Uint8Array(64), point(ka, 0n), point(ka, 1n));
  const sigForA = await signerB.signRemoteCommitment({
    ...fundingInput(paramsB, buildFor(paramsB, 'remote', draftB.remoteCommit.spec, 0n, point(ka, 0n))),
    commitmentNumber: 0n,
  });
  const sigForB = await signerA.signRemoteCommitment({
    ...fundingInput(paramsA, buildFor(paramsA, 'remote', draftA.remoteCommit.spec, 0n, await pointB(0n))),
    commitmentNumber: 0n,
  });
  return {
    a: {
      name: 'A',
      state: { ...draftA, localCommit: { ...draftA.localCommit, signature: sigForA } },
      signer: signerA,
      received: [],
      settled: [],
    },
    b: {
      name: 'B',
      state: { ...draftB, localCommit: { ...draftB.localCommit, signature: sigForB } },
      signer: signerB,
      received: [],
      settled: [],
    },
  };
}

/** Carries messages to `to` over the wire encoding; returns its answers. */
export async function deliver(to: Node, messages: readonly Message[]): Promise<Message[]> {
  const out: Message[] = [];
  for (const m of messages) {
    const wire = decodeMessage(encodeMessage(m)) as NormalOperationMessage;
    to.received.push(wire);
    const r = await receiveMessage(to.state, wire, to.signer);
    to.state = r.state;
    to.settled.push(...(r.settled ?? []));
    out.push(...r.messages);
  }
  return out;
}

/** `from` signs; `to` revokes; `from` takes the revocation. */
export async function commit(from: Node, to: Node): Promise<void> {
  const c = await sendCommit(from.state, from.signer);
  from.state = c.state;
  await deliver(from, await deliver(to, c.messages));
}

/** The whole dance for `from`'s updates: `from` signs, `to` revokes and signs, `from` revokes. */
export async function dance(from: Node, to: Node): Promise<void> {
  await commit(from, to);
  await commit(to, from);
}
