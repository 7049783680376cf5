// lightningd's incoming HTLCs (Core Lightning's peer_htlcs.c, the incoming side): each HTLC the
// peer irrevocably committed (channeld's `incoming` change) is decided here: its onion peeled with
// hsmd's ECDH (the node key never leaves hsmd), then failed (update_fail_malformed_htlc for a
// BADONION, else an error onion), handed to the final node (receive.ts), or to the forwarding
// point (forward.ts; without one, every next peer is unknown). A decision is kept until channeld
// reports the HTLC `resolved`, and applied again to each new channeld instance (`started`); after
// a restart the HTLCs still `incoming` in the database are decided again, with the same result.
import { fromHex, toHex } from '../../base/bytes.ts';
import { isValidPublicKey, sha256 } from '../../crypto/primitives.ts';
import type { Log } from '../../node/daemon.ts';
import {
  BADONION,
  OnionError,
  blindedOnionPoint,
  checkHopPayload,
  checkOnionVersion,
  decodeHopPayload,
  failureCode,
  parseOnion,
  peelWithSharedSecret,
  unblindWithSharedSecret,
  type Failure,
  type FailureName,
  type HopPayload,
  type OnionPacket,
} from '../../onion/index.ts';
import type { ChanneldDaemonApi, HtlcChange } from '../channeld/interface.ts';
import type { HtlcListener } from './channels.ts';
import type { ChannelRecord, HtlcRecord } from './db.ts';
import { blindedFinal, blindedRelay } from '../../pay/index.ts';
import { failIncoming, failWith, withAttribution, type Resolution } from './htlc-resolution.ts';
import type { BlindedHop, ForwardPoint } from './forward.ts';
import type { FinalReceiver, IncomingPart } from './receive.ts';

/** What lightningd asks of a channel's current channeld (its RunningDaemon's api, guarded). */
export type ChanneldHtlcs = Pick<ChanneldDaemonApi, 'fulfillHtlc' | 'failHtlc' | 'failMalformedHtlc'>;

export interface IncomingDeps {
  /** The channel's running channeld, or undefined while none runs (the decision waits for `started`). */
  channeld(dbid: string): ChanneldHtlcs | undefined;
  /** hsmd's ECDH with the node key: SHA256 of the compressed point (BOLT 4 "Shared Secret"). */
  ecdh(pub: Uint8Array): Promise<Uint8Array>;
  /** The final node's part (receive.ts). */
  receiver: FinalReceiver;
  /** The forwarding point (forward.ts); absent: a payload for a next hop fails with unknown_next_peer. */
  forwarder?: ForwardPoint;
  /**
   * A fulfil decided (its preimage already durable: an invoice paid, a forward settled): given to
   * the channel's onchaind if the channel is on chain (channels.ts preimageReleased).
   */
  onchain?(dbid: string, preimage: Uint8Array): Promise<void>;
  /** Milliseconds: how long we held an HTLC, for its `attribution_data` hold time (absent: Date.now). */
  nowMs?(): number;
  log: Log;
}

const keyOf = (dbid: string, id: string) => `${dbid}/${id}`;

export class IncomingHtlcs implements HtlcListener {
  /** Decided, not yet reported resolved. */
  private readonly resolutions = new Map<string, Resolution>();
  /** Being decided, or held in an HTLC set by the receiver. */
  private readonly busy = new Set<string>();
  /** Onions peeled, not yet reported resolved: the shared secret and since when we hold it (attribution data). */
  private readonly held = new Map<string, { sharedSecret: Uint8Array; since: number; inside: boolean }>();

  constructor(private readonly d: IncomingDeps) {
    d.receiver.bind((part, r) => this.resolve(part.channel, part.id, r));
    d.forwarder?.bind((channel, id, r) => this.resolve(channel, id, r));
  }

  /** HtlcListener: once channeld's write is durable, each new incoming HTLC is decided. */
  persisted(channel: Readonly<ChannelRecord>, changes: readonly HtlcChange[]): void {
    for (const c of changes) {
      const key = keyOf(channel.dbid, c.id.toString());
      if (c.kind === 'resolved') {
        this.resolutions.delete(key);
        this.busy.delete(key);
        this.held.delete(key);
      } else if (c.kind === 'incoming') {
        const h = channel.htlcs?.[`in:${c.id}`];
        if (h) void this.decide(channel.dbid, h);
      }
    }
  }

  /** HtlcListener: a new channeld instance: every HTLC the database holds `incoming` is decided (again). */
  started(channel: Readonly<ChannelRecord>): void {
    for (const h of Object.values(channel.htlcs ?? {})) {
      if (h.direction === 'in' && h.state === 'incoming') void this.decide(channel.dbid, h);
    }
  }

  /** Decides one HTLC (a repeat while it is decided or held is ignored; a decision made is applied again). */
  private async decide(dbid: string, h: HtlcRecord): Promise<void> {
    const key = keyOf(dbid, h.id);
    const known = this.resolutions.get(key);
    if (known) return this.apply(dbid, h.id, known);
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      const since = this.nowMs();
      const r = await this.peel(h);
      if (r.sharedSecret) this.held.set(key, { sharedSecret: r.sharedSecret, since, inside: h.path_key !== undefined });
      if ('resolution' in r) return this.resolve(dbid, h.id, r.resolution);
      const final = !r.next;
      const part: IncomingPart = {
        channel: dbid,
        id: h.id,
        amount_msat: BigInt(h.amount_msat),
        cltv_expiry: h.cltv_expiry,
        payment_hash: fromHex(h.payment_hash),
        sharedSecret: r.sharedSecret,
        onion_sha256: sha256(fromHex(h.onion ?? '')),
        ...(h.path_key ? { blinded: 'inside' as const } : {}),
      };
      const fail = (f: Failure) => this.resolve(dbid, h.id, failIncoming(part, f, final));
      // BOLT 2 (dust exposure): the receiver "SHOULD fail this HTLC once it's committed".
      if (h.over_dust_exposure) return fail({ name: 'temporary_node_failure' });
      let payload: HopPayload;
      let blinded: BlindedHop | undefined;
      try {
        payload = decodeHopPayload(r.payload);
        if (payload.current_path_key && payload.encrypted_recipient_data && !h.path_key) part.blinded = 'intro';
        checkHopPayload(payload, { final, pathKeyInHtlc: h.path_key !== undefined });
        if (payload.encrypted_recipient_data) blinded = await this.unblind(h, payload, part, final);
      } catch (e) {
        if (e instanceof OnionError) return fail(payloadFailure(e, part.onion_sha256));
        throw e;
      }
      if (r.next) return await this.forward(part, blinded ? blinded.forward! : payload, r.next, blinded);
      // The receiver resolves it now or later (an HTLC set), through resolve().
      await this.d.receiver.receive(part, payload, blinded?.path_id);
    } catch (e) {
      this.busy.delete(key);
      this.d.log.warn(`incoming HTLC ${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * BOLT 4 "Route Blinding", the reader of `encrypted_recipient_data`: ss_i = SHA256(k_i * E_i) from
   * hsmd with the `path_key` (the HTLC's, or the payload's `current_path_key` at the introduction
   * node), the data decrypted and checked (pay/blinded.ts): a relaying hop's forward from its
   * `payment_relay`, with the next `path_key`; the final hop's `path_id`.
   */
  private async unblind(h: HtlcRecord, payload: HopPayload, part: IncomingPart, final: boolean): Promise<BlindedHop> {
    const pathKey = h.path_key ? fromHex(h.path_key) : payload.current_path_key!.path_key;
    if (!isValidPublicKey(pathKey)) throw new OnionError('bad_path_key', 'path_key is not a point', 'invalid_onion_blinding');
    const u = unblindWithSharedSecret(await this.d.ecdh(pathKey), pathKey, payload.encrypted_recipient_data!.encrypted_recipient_data);
    const htlc = { amount_msat: part.amount_msat, cltv_expiry: part.cltv_expiry };
    if (final) return { path_id: blindedFinal(u.decoded, htlc).path_id };
    const f = blindedRelay(u.decoded, htlc);
    return {
      next_path_key: u.nextPathKey,
      relay: f.relay,
      ...(f.next_node_id ? { next_node_id: toHex(f.next_node_id) } : {}),
      forward: {
        ...(f.short_channel_id !== undefined ? { short_channel_id: { short_channel_id: f.short_channel_id } } : {}),
        amt_to_forward: { amt_to_forward: f.amt_to_forward },
        outgoing_cltv_value: { outgoing_cltv_value: f.outgoing_cltv_value },
      },
    };
  }

  /**
   * BOLT 4 "Onion Decryption": the packet's version and key, the shared secret from hsmd, the HMAC
   * (the payment_hash is the associated data). A BADONION failure goes back in
   * update_fail_malformed_htlc with the SHA256 of the onion. With a `path_key` in the HTLC the
   * onion is for our blinded key: hsmd's ECDH of the tweaked onion key (onion/blinding.ts
   * blindedOnionPoint), and any failure is invalid_onion_blinding (BOLT 2).
   */
  private async peel(
    h: HtlcRecord,
  ): Promise<
    { resolution: Resolution; sharedSecret?: Uint8Array } | { payload: Uint8Array; sharedSecret: Uint8Array; next?: OnionPacket }
  > {
    const onion = fromHex(h.onion ?? '');
    const malformed = (name: FailureName) => ({
      resolution: {
        kind: 'malformed',
        sha256OfOnion: sha256(onion),
        code: failureCode(h.path_key ? 'invalid_onion_blinding' : name),
      } as Resolution,
    });
    let packet: OnionPacket;
    try {
      packet = parseOnion(onion);
      checkOnionVersion(packet);
    } catch {
      return malformed('invalid_onion_version');
    }
    if (!isValidPublicKey(packet.publicKey)) return malformed('invalid_onion_key');
    let onionKey = packet.publicKey;
    if (h.path_key) {
      const pathKey = fromHex(h.path_key);
      if (!isValidPublicKey(pathKey)) return malformed('invalid_onion_blinding');
      onionKey = blindedOnionPoint(await this.d.ecdh(pathKey), packet.publicKey);
    }
    const ss = await this.d.ecdh(onionKey);
    try {
      const p = peelWithSharedSecret(ss, packet, fromHex(h.payment_hash));
      return { payload: p.payload, sharedSecret: ss, ...(p.next ? { next: p.next } : {}) };
    } catch (e) {
      if (!(e instanceof OnionError) || !e.failure) throw e;
      const name = e.failure as FailureName;
      if (h.path_key || failureCode(name) & BADONION) return malformed(name);
      return { resolution: failWith(ss, payloadFailure(e)), sharedSecret: ss };
    }
  }

  /**
   * The forwarding point: a payload for a next hop goes to the forwarder, which resolves it now or
   * once the outgoing channel does. Without one every next peer is unknown (BOLT 4
   * `unknown_next_peer`: "The origin node does not know the next peer").
   */
  private async forward(part: IncomingPart, payload: HopPayload, next: OnionPacket, blinded?: BlindedHop): Promise<void> {
    if (!this.d.forwarder) return this.resolve(part.channel, part.id, failIncoming(part, { name: 'unknown_next_peer' }, false));
    await this.d.forwarder.forward(part, payload, next, blinded);
  }

  private nowMs(): number {
    return this.d.nowMs?.() ?? Date.now();
  }

  /**
   * Records the decision, with our layer of attribution data (htlc-resolution.ts withAttribution:
   * held since we began to decide it; none for an onion we could not peel or an HTLC with `path_key`), and applies it.
   */
  private resolve(dbid: string, id: string, decided: Resolution): void {
    const key = keyOf(dbid, id);
    const h = this.held.get(key);
    const r = withAttribution(decided, h && !h.inside ? { sharedSecret: h.sharedSecret, heldMs: this.nowMs() - h.since } : undefined);
    this.resolutions.set(key, r);
    void this.apply(dbid, id, r);
  }

  /**
   * Hands a decision to the channel's channeld (none running: the next `started` applies it). Every
   * preimage released for an incoming HTLC passes here (receive.ts, forward.ts, forwards settled on
   * chain downstream): a channel on chain has no channeld, and its onchaind claims the HTLC instead.
   */
  private async apply(dbid: string, id: string, r: Resolution): Promise<void> {
    if (r.kind === 'fulfill' && this.d.onchain) {
      await this.d.onchain(dbid, r.preimage).catch(e => this.d.log.warn(`incoming HTLC ${keyOf(dbid, id)} on chain: ${String(e)}`));
    }
    const ch = this.d.channeld(dbid);
    if (!ch) return;
    try {
      if (r.kind === 'fulfill') await ch.fulfillHtlc(BigInt(id), r.preimage, r.attribution);
      else if (r.kind === 'fail') await ch.failHtlc(BigInt(id), r.reason, r.attribution);
      else await ch.failMalformedHtlc(BigInt(id), r.sha256OfOnion, r.code);
    } catch (e) {
      // channeld ended (a reconnect): the decision stays, for the next instance.
      this.d.log.info(`incoming HTLC ${keyOf(dbid, id)}: ${r.kind} not taken now (${e instanceof Error ? e.message : String(e)})`);
    }
  }
}

/**
 * An unreadable or incomplete payload: BOLT 4 `invalid_onion_payload` carries "the `type` and
 * byte `offset` of the problem" (the missing record's type when one is missing); a blinded
 * payload's problem is `invalid_onion_blinding`, in an error onion here (we are its final node).
 */
function payloadFailure(e: OnionError, onion_sha256: Uint8Array = new Uint8Array(32)): Failure {
  if (e.failure === 'invalid_onion_blinding') return { name: 'invalid_onion_blinding', sha256_of_onion: onion_sha256 };
  const missing = /amt_to_forward/.test(e.message) ? 2n : /short_channel_id/.test(e.message) ? 6n : 0n;
  return { name: 'invalid_onion_payload', type: missing, offset: 0 };
}
