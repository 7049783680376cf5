// Two openingd instances, ours as opener (A) and ours as accepter (B), with BOLT 3 Appendix C's
// keys where it gives them (funding keys, payment, delayed and HTLC basepoints: A is the
// appendix's local side, B its remote side) and a wire between them: every message is encoded on
// one side and decoded on the other, as connectd carries it.
import { fromHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { pubkeyOf } from '../../src/core/bolt3/index.ts';
import { keySigner, type ChannelPolicy, type ChannelSigner, type SideParams } from '../../src/core/channel/index.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { Openingd, type OpeningdLinks } from '../../src/core/daemons/openingd/openingd.ts';
import type { Funded, OpeningdDaemonApi, OpeningdInit, OpeningdSpec } from '../../src/core/daemons/openingd/interface.ts';
import type { OpeningContext } from '../../src/core/daemons/openingd/opening.ts';
import type { OpeningPolicy } from '../../src/core/daemons/openingd/rules.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import type { DaemonEnv, Log } from '../../src/core/node/daemon.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { common } from './bolt3/appendix-c.ts';
import { sideParams } from './channel-fixture.ts';

const priv = (s: string) => fromHex(s).subarray(0, 32);
const label = (s: string) => sha256(new TextEncoder().encode(s));

/** A's secrets are Appendix C's local side, B's its remote side; what the appendix leaves out is made up. */
export const SECRETS = {
  a: {
    funding: priv(common.local_funding_privkey),
    revocation: label('a revocation'),
    payment: priv(common.internal_local_payment_basepoint_secret),
    delayed: priv(common.internal_local_delayed_payment_basepoint_secret),
    // Appendix C: local_htlc_basepoint is local_payment_basepoint.
    htlc: priv(common.internal_local_payment_basepoint_secret),
    seed: label('a shachain seed'),
  },
  b: {
    funding: priv(common.internal_remote_funding_privkey),
    revocation: priv(common.internal_remote_revocation_basepoint_secret),
    payment: priv(common.internal_remote_payment_basepoint_secret),
    delayed: label('b delayed'),
    // Appendix C: remote_htlc_basepoint is remote_payment_basepoint.
    htlc: priv(common.internal_remote_payment_basepoint_secret),
    seed: label('b shachain seed'),
  },
};
export type Who = keyof typeof SECRETS;

export function signerOf(who: Who): ChannelSigner {
  const k = SECRETS[who];
  return keySigner({ fundingSecret: k.funding, htlcBasepointSecret: k.htlc, shachainSeed: k.seed });
}

/** What `who` proposes: its keys, Appendix C's dust limit (546) and delay (144), a 1% reserve, up to 483 HTLCs. */
export function localOf(who: Who, o: Partial<SideParams> = {}): SideParams {
  return sideParams(SECRETS[who], {
    dustLimitSatoshis: BigInt(common.local_dust_limit_satoshi),
    toSelfDelay: Number(common.local_delay),
    channelReserveSatoshis: 100_000n,
    maxAcceptedHtlcs: 483,
    ...o,
  });
}

export const POLICY: OpeningPolicy = {
  maxToSelfDelay: 2016,
  minFeeratePerKw: 253,
  maxFeeratePerKw: 100_000,
  maxDustLimitSatoshis: 10_000n,
  maxMinimumDepth: 100,
  minFundingSatoshis: 10_000n,
  trustZeroconf: false,
};

export const CHANNEL_POLICY: ChannelPolicy = { maxDustHtlcExposureMsat: 5_000_000n, minFeeratePerKw: 253, maxFeeratePerKw: 100_000 };

/** Both nodes' init features: static_remotekey required; large channels, anchors, scid_alias, zeroconf optional. */
export const FEATURES = FeatureVector.fromBits([12, 19, 23, 47, 51]).toHex();

/** channel_type values, hex of the big-endian bits. */
export const TYPE = {
  staticRemotekey: FeatureVector.fromBits([12]).toHex(),
  anchors: FeatureVector.fromBits([12, 22]).toHex(),
  scidAlias: FeatureVector.fromBits([12, 46]).toHex(),
  zeroconf: FeatureVector.fromBits([12, 50]).toHex(),
};

/** Appendix C's amounts: 10,000,000 sat funded, 3,000,000,000 msat to the accepter, feerate 15000. */
export const APPENDIX = {
  fundingSatoshis: BigInt(common.funding_amount_satoshi),
  pushMsat: 3_000_000_000n,
  feeratePerKw: 15_000,
};

export function contextOf(
  who: Who,
  o: { local?: Partial<SideParams>; policy?: Partial<OpeningPolicy>; ourFeatures?: string; theirFeatures?: string } = {},
): OpeningContext {
  return {
    chainHash: chainHash('regtest'),
    ourFeatures: fromHex(o.ourFeatures ?? FEATURES),
    theirFeatures: fromHex(o.theirFeatures ?? FEATURES),
    local: localOf(who, o.local),
    policy: { ...POLICY, ...o.policy },
    channelPolicy: CHANNEL_POLICY,
  };
}

const quiet: Log = { debug() {}, info() {}, warn() {} };

/** One side as lightningd sees it: its API, what it sent, and what it told lightningd, in order. */
export interface Side {
  api: OpeningdDaemonApi;
  owner: ChannelOwner;
  sent: Message[];
  /** 'funded' / 'failed:<code>' / 'sent:<message>' in the order they happened. */
  log: string[];
  funded: Funded[];
  failures: { code: string; message: string; sent?: 'error' | 'warning' }[];
  /** Set to hold events.funded (lightningd's persist) until the test resolves it. */
  persist?: Promise<void>;
}

export interface PairOptions {
  type?: string;
  announce?: boolean;
  fundingSatoshis?: bigint;
  pushMsat?: bigint;
  feeratePerKw?: number;
  a?: Partial<OpeningdInit>;
  b?: Partial<OpeningdInit>;
  /** Rewrites (or drops, returning undefined) what A sends B, decoded. */
  tamperAtoB?: (m: Message) => Message | undefined;
  tamperBtoA?: (m: Message) => Message | undefined;
  signerA?: ChannelSigner;
  signerB?: ChannelSigner;
}

export function initOf(who: Who, o: PairOptions): OpeningdInit {
  const base: OpeningdInit = {
    peerId: who === 'a' ? 'bb' : 'aa',
    nodeId: who === 'a' ? 'aa' : 'bb',
    dbid: 1n,
    role: who === 'a' ? 'opener' : 'accepter',
    network: 'regtest',
    ourFeatures: FEATURES,
    theirFeatures: FEATURES,
    local: localOf(who),
    policy: POLICY,
    channelPolicy: CHANNEL_POLICY,
    ...(who === 'a'
      ? {
          open: {
            fundingSatoshis: o.fundingSatoshis ?? APPENDIX.fundingSatoshis,
            pushMsat: o.pushMsat ?? APPENDIX.pushMsat,
            feeratePerKw: o.feeratePerKw ?? APPENDIX.feeratePerKw,
            channelType: o.type ?? TYPE.staticRemotekey,
            announce: o.announce ?? false,
          },
        }
      : { minimumDepth: 3 }),
  };
  return { ...base, ...(who === 'a' ? o.a : o.b) };
}

/** openingd as its host starts it, with a ChannelSigner of the test's own (keySigner) in place of hsmd's link. */
export function startOpeningd(
  init: OpeningdInit,
  uses: OpeningdLinks,
  env: DaemonEnv,
): { api: OpeningdDaemonApi; serve(name: string, caps: string[]): ChannelOwner } {
  const o = new Openingd(init, uses, env);
  return { api: o.api, serve: () => o.owner };
}

export async function pair(o: PairOptions = {}, clock = new FakeClock()): Promise<{ a: Side; b: Side; clock: FakeClock }> {
  const env: DaemonEnv = { clock, log: quiet, randomBytes: n => label(`temporary ${n}`).subarray(0, n) };
  const sides: Partial<Record<Who, Side>> = {};
  const make = async (who: Who): Promise<Side> => {
    const other: Who = who === 'a' ? 'b' : 'a';
    const tamper = who === 'a' ? o.tamperAtoB : o.tamperBtoA;
    const side = { sent: [], log: [], funded: [], failures: [] } as unknown as Side;
    const uses: OpeningdLinks = {
      peer: {
        async send(msg: Uint8Array) {
          const m = decodeMessage(msg) as Message;
          side.sent.push(m);
          side.log.push(`sent:${m.name}`);
          const out = tamper ? tamper(m) : m;
          if (!out) return;
          const bytes = out === m ? msg : encodeMessage(out);
          // Delivered after this send returns, as across a port.
          void Promise.resolve().then(() => sides[other]!.owner.deliver(bytes));
        },
      },
      hsm: (who === 'a' ? o.signerA : o.signerB) ?? signerOf(who),
      events: {
        async funded(f: Funded) {
          side.log.push('funded');
          side.funded.push(f);
          await side.persist;
          side.log.push('persisted');
        },
        failed(e) {
          side.log.push(`failed:${e.code}`);
          side.failures.push(e);
        },
      },
    } as OpeningdLinks;
    const started = startOpeningd(initOf(who, o), uses, env);
    side.api = started.api;
    side.owner = started.serve('peer', []) as ChannelOwner;
    return side;
  };
  sides.a = await make('a');
  sides.b = await make('b');
  return { a: sides.a, b: sides.b, clock };
}
