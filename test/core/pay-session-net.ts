// A small network for payment-session tests: four nodes with real keys (U pays, B and C forward,
// D is paid), gossipd's Graph with their channel_updates, and each node's own view of its outgoing
// channels, which may differ from the graph (a stale fee, a channel with less liquidity). Parts
// are carried hop by hop: onions peeled with each node's key, checked by pay/forward.ts and
// pay/final.ts, failures wrapped in the error onion as each node would.
import { compare, toHex } from '../../src/core/base/bytes.ts';
import { chainHash } from '../../src/core/chain/chains.ts';
import { getPublicKey, sha256 } from '../../src/core/crypto/primitives.ts';
import { Graph } from '../../src/core/gossip/graph.ts';
import { signChannelUpdate } from '../../src/core/gossip/sign.ts';
import {
  checkHopPayload,
  createErrorPacket,
  decodeHopPayload,
  encodeFailure,
  obfuscateError,
  peelOnion,
  type Failure,
} from '../../src/core/onion/index.ts';
import {
  HtlcSets,
  PaySession,
  checkFinalHtlc,
  checkForward,
  finalPayload,
  forwardPayload,
  graphForPayments,
  type InvoiceTerms,
  type OutgoingChannel,
  type OutgoingPart,
  type PayGraph,
  type PayRequest,
  type PayResult,
} from '../../src/core/pay/index.ts';
import { formatScid, parseScid } from '../../src/core/wire/scid.ts';

export const U = 1,
  B = 2,
  C = 3,
  D = 4;
export const secretOf = (n: number) => new Uint8Array(32).fill(n);
export const pub = (n: number) => getPublicKey(secretOf(n));
export const hex = (n: number) => toHex(pub(n));
export const CHAIN = chainHash('regtest');
export const HEIGHT = 800;
export const PREIMAGE = new Uint8Array(32).fill(0x77);
export const HASH = sha256(PREIMAGE);
export const SECRET = new Uint8Array(32).fill(0x55);

export interface Policy {
  base: number;
  ppm: number;
  delta: number;
}

/** Direction of x → y: 0 if x is node_id_1 (the lesser key). */
export const dir = (x: number, y: number): 0 | 1 => (compare(pub(x), pub(y)) < 0 ? 0 : 1);

export function signedUpdate(scid: string, from: number, to: number, p: Policy, timestamp: number, signer = from): Uint8Array {
  return signChannelUpdate({
    secret: secretOf(signer),
    chainHash: CHAIN,
    short_channel_id: parseScid(scid),
    timestamp,
    direction: dir(from, to),
    cltv_expiry_delta: p.delta,
    htlc_minimum_msat: 0n,
    fee_base_msat: p.base,
    fee_proportional_millionths: p.ppm,
    htlc_maximum_msat: 5_000_000_000n,
  });
}

type Outcome =
  | { kind: 'failed'; partid: number; reason: Uint8Array }
  | { kind: 'held' }
  | { kind: 'complete'; ids: number[] }
  | { kind: 'local'; partid: number };

export class Net {
  readonly graph = new Graph();
  t = 0;
  /** What each node really enforces on the channel it sends on, by `node/scid`. */
  readonly real = new Map<string, OutgoingChannel>();
  readonly sets = new HtlcSets<number>({ now: () => this.t });
  invoice: InvoiceTerms = {
    amount_msat: undefined,
    payment_secret: SECRET,
    min_final_cltv_expiry: 18,
    expires_at: 10_000,
    status: 'unpaid',
  };
  /** Called at each forward: a node may answer with a failure of its own. */
  intercept?: (node: number, scid: string, part: OutgoingPart) => Failure | undefined;
  readonly log: string[] = [];

  /** Channel `block`x1x0 between x and y, each side with its policy in the graph and in its own view. */
  link(
    block: number,
    x: number,
    y: number,
    px: Policy,
    py: Policy,
    spendable = { x: 1_000_000_000n, y: 1_000_000_000n },
    isPrivate = false,
  ): string {
    const scid = `${block}x1x0`;
    const [n1, n2] = dir(x, y) === 0 ? [x, y] : [y, x];
    if (!isPrivate)
      this.graph.addChannel(
        { short_channel_id: parseScid(scid), node_id_1: pub(n1), node_id_2: pub(n2), features: new Uint8Array(0) },
        10_000_000,
      );
    for (const [from, to, p, sp] of [
      [x, y, px, spendable.x],
      [y, x, py, spendable.y],
    ] as const) {
      if (!isPrivate)
        this.graph.applyChannelUpdate({
          short_channel_id: parseScid(scid),
          timestamp: 1_000,
          message_flags: 1,
          channel_flags: dir(from, to),
          cltv_expiry_delta: p.delta,
          htlc_minimum_msat: 0n,
          fee_base_msat: p.base,
          fee_proportional_millionths: p.ppm,
          htlc_maximum_msat: 5_000_000_000n,
        });
      this.real.set(`${from}/${scid}`, {
        fee_base_msat: p.base,
        fee_proportional_millionths: p.ppm,
        cltv_expiry_delta: p.delta,
        htlc_minimum_msat: 0n,
        htlc_maximum_msat: 5_000_000_000n,
        enabled: true,
        spendable_msat: sp,
        channel_update: signedUpdate(scid, from, to, p, 1_000),
      });
    }
    return scid;
  }

  session(
    req: Partial<PayRequest> & { amount_msat: bigint },
    localSpendable?: Record<string, bigint>,
    wrap = (g: PayGraph) => g,
  ): PaySession {
    let k = 100;
    const channels = [...this.real.entries()]
      .filter(([key]) => key.startsWith(`${U}/`))
      .map(([key, ch]) => {
        const scid = key.slice(2);
        return { short_channel_id: scid, spendable_msat: localSpendable?.[scid] ?? ch.spendable_msat };
      });
    return new PaySession(
      { destination: hex(D), payment_hash: HASH, final_cltv: 18, payment_secret: SECRET, ...req },
      {
        now: () => this.t,
        blockheight: () => HEIGHT,
        sessionKey: () => new Uint8Array(32).fill(k++ & 0xff),
        graph: wrap(graphForPayments(this.graph, hex(U))),
        channels,
        chain_hash: CHAIN,
      },
    );
  }

  /** Runs a session to its end; `each` may move the clock between rounds. */
  run(s: PaySession, each?: () => void): PayResult {
    for (let round = 0; round < 100; round++) {
      const r = s.step();
      if ('done' in r) return r.done;
      if (r.send.length === 0) {
        // Parts are held at the destination: let the MPP timeout fire.
        this.t += 60_000;
        for (const f of this.sets.expire()) s.failed(f.id, this.failAtDestination(f.id, f.failure));
        continue;
      }
      for (const part of r.send) {
        const o = this.deliver(part);
        if (o.kind === 'failed') s.failed(o.partid, o.reason);
        else if (o.kind === 'local') s.localFailure(o.partid, 'channel refused');
        else if (o.kind === 'complete') for (const id of o.ids) s.fulfilled(id, PREIMAGE);
      }
      each?.();
    }
    throw new Error('the session did not end');
  }

  private readonly inflight = new Map<number, { part: OutgoingPart; secrets: Uint8Array[] }>();

  private failAtDestination(partid: number, failure: Failure): Uint8Array {
    const ctx = this.inflight.get(partid)!;
    return this.fail(ctx, ctx.part.route.length - 1, failure);
  }

  private fail(ctx: { part: OutgoingPart; secrets: Uint8Array[] }, at: number, failure: Failure): Uint8Array {
    this.log.push(`${ctx.part.partid}: ${failure.name} at hop ${at}`);
    let pkt = createErrorPacket(ctx.secrets[at]!, encodeFailure(failure));
    for (let j = at - 1; j >= 0; j--) pkt = obfuscateError(ctx.secrets[j]!, pkt);
    return pkt;
  }

  deliver(part: OutgoingPart): Outcome {
    const ours = this.real.get(`${U}/${part.route[0]!.channel}`)!;
    if (part.amount_msat > ours.spendable_msat) return { kind: 'local', partid: part.partid };
    ours.spendable_msat -= part.amount_msat;
    const ctx = { part, secrets: [] as Uint8Array[] };
    this.inflight.set(part.partid, ctx);
    let onion = part.onion;
    let htlc = { amount_msat: part.amount_msat, cltv_expiry: part.cltv_expiry };
    for (let i = 0; i < part.route.length; i++) {
      const node = [U, B, C, D].find(n => hex(n) === part.route[i]!.id)!;
      const peeled = peelOnion(secretOf(node), onion, HASH);
      ctx.secrets.push(peeled.sharedSecret);
      const p = decodeHopPayload(peeled.payload);
      if (!peeled.nextBytes) {
        checkHopPayload(p, { final: true, pathKeyInHtlc: false });
        const v = checkFinalHtlc(htlc, finalPayload(p), this.invoice, { blockheight: HEIGHT, now: this.t / 1000 });
        if (!v.ok) return { kind: 'failed', partid: part.partid, reason: this.fail(ctx, i, v.failure) };
        const fp = v.payload;
        const r = this.sets.add(
          {
            id: part.partid,
            payment_hash: HASH,
            htlc_msat: htlc.amount_msat,
            amt_to_forward: fp.amt_to_forward,
            total_msat: fp.total_msat,
            ...(fp.payment_secret ? { payment_secret: fp.payment_secret } : {}),
          },
          HEIGHT,
        );
        if (r.status === 'failed') return { kind: 'failed', partid: part.partid, reason: this.fail(ctx, i, r.failed[0]!.failure) };
        return r.status === 'held' ? { kind: 'held' } : { kind: 'complete', ids: r.ids };
      }
      checkHopPayload(p, { final: false, pathKeyInHtlc: false });
      const fp = forwardPayload(p);
      const scid = formatScid(fp.short_channel_id);
      const out = this.real.get(`${node}/${scid}`);
      const failure = this.intercept?.(node, scid, part);
      if (failure) return { kind: 'failed', partid: part.partid, reason: this.fail(ctx, i, failure) };
      const v = checkForward(htlc, fp, out, { blockheight: HEIGHT });
      if (!v.ok) return { kind: 'failed', partid: part.partid, reason: this.fail(ctx, i, v.failure) };
      out!.spendable_msat -= v.amount_msat;
      htlc = { amount_msat: v.amount_msat, cltv_expiry: v.cltv_expiry };
      onion = peeled.nextBytes;
    }
    throw new Error('unreachable');
  }
}

/** U–B–D and U–C–D; through B is cheaper. */
export function diamond(spend: { bd?: bigint; cd?: bigint; ub?: bigint; uc?: bigint } = {}): Net {
  const net = new Net();
  const zero = { base: 0, ppm: 0, delta: 6 };
  net.link(1, U, B, zero, zero, { x: spend.ub ?? 1_000_000_000n, y: 1_000_000_000n });
  net.link(2, U, C, zero, zero, { x: spend.uc ?? 1_000_000_000n, y: 1_000_000_000n });
  net.link(3, B, D, { base: 1000, ppm: 1000, delta: 40 }, zero, { x: spend.bd ?? 1_000_000_000n, y: 1_000_000_000n });
  net.link(4, C, D, { base: 2000, ppm: 2000, delta: 40 }, zero, { x: spend.cd ?? 1_000_000_000n, y: 1_000_000_000n });
  return net;
}
