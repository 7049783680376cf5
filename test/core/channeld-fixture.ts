// Two channelds joined peer to peer (A opened the channel to B: channel-fixture.ts), each with a
// small lightningd of its own: a durable copy of the channel's state (the last persist that
// resolved), a ledger of the HTLC changes it was told, and the decisions lightningd takes on them
// (fulfill incoming HTLCs whose preimage it knows, fail the others). A connection is a generation:
// dropping it (a crash or a disconnect) silences the instances of that generation for good, and
// `restart` starts new ones from the durable states, with channel_reestablish, as lightningd would.
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { serializeChannel, type ChannelSigner, type ChannelState } from '../../src/core/channel/index.ts';
import { daemon } from '../../src/core/daemons/channeld/host.ts';
import type {
  ChannelFailure,
  ChanneldDaemonApi,
  ChanneldInit,
  ChanneldSpec,
  HtlcChange,
  OfferHtlc,
  Persist,
} from '../../src/core/daemons/channeld/interface.ts';
import type { ChannelOwner } from '../../src/core/daemons/connectd/interface.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { decodeMessage, encodeMessage, type Message } from '../../src/core/wire/messages.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { settle } from '../support/memory-stream.ts';
import { openPair, type PairOptions } from './channel-fixture.ts';
import { hsmdPair, MemoryChannelStore, SEED } from './hsmd-channel-fixture.ts';

export const ONION = new Uint8Array(1366).fill(7);
export const preimageOf = (n: number) => sha256(new TextEncoder().encode(`preimage ${n}`));
export const hashOf = (n: number) => sha256(preimageOf(n));

export function offer(n: number, amountMsat = 50_000_000n): OfferHtlc {
  return { amountMsat, paymentHash: hashOf(n), cltvExpiry: 800_144, onion: ONION };
}

/** What a persist does: store it and resolve, never resolve (nothing stored), or store it and crash before anything is sent. */
export type PersistFate = 'ok' | 'hang' | 'crash_after';

export interface Side {
  name: 'A' | 'B';
  signer: ChannelSigner;
  /** lightningd's durable copy of the channel. */
  durable: string;
  /** The running instance (undefined once crashed until restarted). */
  api?: ChanneldDaemonApi;
  owner?: ChannelOwner;
  generation: number;
  /** Every change lightningd was told in a persist that resolved, in order. */
  ledger: HtlcChange[];
  failures: ChannelFailure[];
  /** Messages this side's instances sent, decoded, with the generation they were sent in. */
  sent: { generation: number; m: Message }[];
  /** Payment hashes (hex) lightningd wants offered, and those it was told are offered. */
  wanted: Map<string, OfferHtlc>;
  /** Preimages lightningd knows, by payment hash (hex): incoming HTLCs with one are fulfilled, others failed. */
  preimages: Map<string, Uint8Array>;
  /** Persists asked (resolved or not). */
  persists: number;
  /** What the peer sent on this connection before this side's instance started. */
  early: Uint8Array[];
  /** The shutdown script lightningd answers a peer's shutdown with (events.shutdownReceived). */
  shutdownScript?: Uint8Array;
  /** The peer's shutdowns lightningd was told of, and the state channeld handed over (events.shutdownComplete). */
  shutdownsReceived: Uint8Array[];
  handedOver?: string;
}

export interface Net {
  a: Side;
  b: Side;
  clock: FakeClock;
  /** Decides each persist's fate (by the overall count of persists, from 1). */
  fate: (side: Side, n: number) => PersistFate;
  persistsTotal: number;
  generation: number;
  /** Rewrites or drops (undefined) a message on its way, decoded. */
  tamper?: (from: Side, m: Message) => Message | undefined;
  /** Whether lightningd answers incoming HTLCs by itself. */
  autoResolve: boolean;
}

const hex = (b: Uint8Array) => Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
const quiet = { debug() {}, info() {}, warn() {} };

function sideOf(name: 'A' | 'B', state: ChannelState, signer: ChannelSigner): Side {
  return {
    name,
    signer,
    durable: serializeChannel(state),
    generation: 0,
    ledger: [],
    failures: [],
    sent: [],
    wanted: new Map(),
    preimages: new Map(),
    persists: 0,
    early: [],
    shutdownsReceived: [],
  };
}

export interface NetOptions extends PairOptions {
  /** B's signer is hsmd (the validating signer, with its channel store in memory). */
  hsmd?: boolean;
  autoResolve?: boolean;
}

/** The channel open, both sides' lightningd holding commitment 0; no channeld running yet. */
export async function makeNet(o: NetOptions = {}): Promise<Net & { hsmd?: Hsmd }> {
  let hsmd: Hsmd | undefined;
  let pair;
  if (o.hsmd) {
    hsmd = new Hsmd(SEED, new MemoryChannelStore());
    pair = await hsmdPair(hsmd, o.anchors);
  } else {
    pair = await openPair(o);
  }
  return {
    a: sideOf('A', pair.a.state, pair.a.signer),
    b: sideOf('B', pair.b.state, pair.b.signer),
    clock: new FakeClock(),
    fate: () => 'ok',
    persistsTotal: 0,
    generation: 0,
    autoResolve: o.autoResolve ?? true,
    ...(hsmd ? { hsmd } : {}),
  };
}

const other = (net: Net, s: Side) => (s === net.a ? net.b : net.a);

/** lightningd's answer to an incoming HTLC: fulfill it if it knows the preimage, else fail it. */
function resolveIncoming(side: Side, c: Extract<HtlcChange, { kind: 'incoming' }>): void {
  const api = side.api;
  if (!api) return;
  const preimage = side.preimages.get(hex(c.paymentHash));
  const done = preimage ? api.fulfillHtlc(c.id, preimage) : api.failHtlc(c.id, new TextEncoder().encode(`no preimage for ${c.id}`));
  // An instance that ends first: the next one is asked again (restart).
  done.catch(() => undefined);
}

/** lightningd's side of a persist: the fate decides; once durable, the ledger takes the changes and lightningd acts. */
function persistFor(net: Net, side: Side, generation: number) {
  return async (p: Persist): Promise<void> => {
    side.persists++;
    const n = ++net.persistsTotal;
    const fate = generation === side.generation ? net.fate(side, n) : 'hang';
    if (fate === 'hang') {
      // Never durable: the instance waits forever (and is dropped by the test's crash).
      return new Promise<void>(() => undefined);
    }
    side.durable = p.state;
    side.ledger.push(...p.changes);
    if (fate === 'crash_after') crash(net);
    for (const c of p.changes) {
      if (c.kind === 'offered') side.wanted.delete(hex(c.paymentHash));
      if (c.kind === 'incoming' && net.autoResolve) void Promise.resolve().then(() => resolveIncoming(side, c));
    }
  };
}

/** Starts (or restarts) `side`'s channeld on the current connection. */
export async function start(net: Net, side: Side, reestablish: boolean, init: Partial<ChanneldInit> = {}): Promise<void> {
  const generation = net.generation;
  side.generation = generation;
  const env: DaemonEnv = { clock: net.clock, log: quiet, randomBytes: n => new Uint8Array(n).fill(1) };
  const uses = {
    peer: {
      async send(msg: Uint8Array) {
        if (generation !== net.generation) return; // this connection is gone
        const m = decodeMessage(msg) as Message;
        side.sent.push({ generation, m });
        const out = net.tamper ? net.tamper(side, m) : m;
        if (!out) return;
        const to = other(net, side);
        const bytes = out === m ? msg : encodeMessage(out);
        // Delivered after this send returns, as across a port; never to an instance of another connection.
        void Promise.resolve().then(() => {
          if (generation !== net.generation) return;
          // The other side's instance on this connection may not be started yet: it reads this once it is.
          if (to.generation === generation && to.owner) void to.owner.deliver(bytes);
          else to.early.push(bytes);
        });
      },
    },
    hsm: side.signer,
    events: {
      persist: persistFor(net, side, generation),
      failed(f: ChannelFailure) {
        side.failures.push(f);
      },
      shutdownReceived(script: Uint8Array) {
        side.shutdownsReceived.push(script);
        if (side.shutdownScript) side.api?.shutdown(side.shutdownScript).catch(() => undefined);
      },
      shutdownComplete(state: string) {
        side.handedOver = state;
      },
    },
  };
  const started = await daemon.start(
    {
      peerId: side.name === 'A' ? '02'.padEnd(66, 'b') : '02'.padEnd(66, 'a'),
      dbid: 7n,
      state: side.durable,
      ourFeatures: '',
      theirFeatures: '',
      reestablish,
      ...init,
    },
    uses as unknown as Parameters<typeof daemon.start>[1],
    env as ChanneldSpec['env'] & DaemonEnv,
  );
  side.api = started.api;
  side.owner = started.serve('peer', []) as ChannelOwner;
  for (const bytes of side.early.splice(0)) void side.owner.deliver(bytes);
}

/** Both sides on a fresh connection. */
export async function connect(net: Net, reestablish = true): Promise<void> {
  net.generation++;
  await start(net, net.a, reestablish);
  await start(net, net.b, reestablish);
}

/** Both instances are gone (one crashed, so the connection dropped): nothing of theirs moves again. */
export function crash(net: Net): void {
  net.generation++;
  net.a.early = [];
  net.b.early = [];
  net.a.api = net.b.api = undefined;
  net.a.owner = net.b.owner = undefined;
}

/** New instances from the durable states; lightningd asks again what it had asked and not seen done. */
export async function restart(net: Net): Promise<void> {
  crash(net);
  await settle();
  await connect(net, true);
  for (const side of [net.a, net.b]) {
    for (const h of side.wanted.values()) side.api!.addHtlc(h).catch(() => undefined);
    if (!net.autoResolve) continue;
    const resolved = new Set(side.ledger.filter(c => c.kind === 'resolved').map(c => c.id));
    for (const c of side.ledger) if (c.kind === 'incoming' && !resolved.has(c.id)) resolveIncoming(side, c);
  }
}

/** lightningd wants `h` offered by `side` (and asks the running instance now). */
export function want(side: Side, h: OfferHtlc): Promise<{ id: bigint }> | undefined {
  side.wanted.set(hex(h.paymentHash), h);
  const p = side.api?.addHtlc(h);
  p?.catch(() => undefined);
  return p;
}

/** Lets every message and step run until nothing moves. */
export async function idle(): Promise<void> {
  for (let i = 0; i < 4; i++) await settle();
}

export function changes<K extends HtlcChange['kind']>(side: Side, kind: K): Extract<HtlcChange, { kind: K }>[] {
  return side.ledger.filter((c): c is Extract<HtlcChange, { kind: K }> => c.kind === kind);
}

export { hex };
