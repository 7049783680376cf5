// lightningd's incoming HTLCs (Core Lightning's peer_htlcs.c, the incoming side): each HTLC the
// peer irrevocably committed (channeld's `incoming` change) is decided here: its onion peeled with
// hsmd's ECDH (the node key never leaves hsmd), then failed (update_fail_malformed_htlc for a
// BADONION, else an error onion), handed to the final node (receive.ts), or to the forwarding
// point (forward.ts; without one, every next peer is unknown). A decision is kept until channeld
// reports the HTLC `resolved`, and applied again to each new channeld instance (`started`); after
// a restart the HTLCs still `incoming` in the database are decided again, with the same result.
import { fromHex } from '../../base/bytes.ts';
import { isValidPublicKey, sha256 } from '../../crypto/primitives.ts';
import type { Log } from '../../node/daemon.ts';
import {
  BADONION,
  OnionError,
  checkHopPayload,
  checkOnionVersion,
  decodeHopPayload,
  failureCode,
  parseOnion,
  peelWithSharedSecret,
  type Failure,
  type FailureName,
  type HopPayload,
  type OnionPacket,
} from '../../onion/index.ts';
import type { ChanneldDaemonApi, HtlcChange } from '../channeld/interface.ts';
import type { HtlcListener } from './channels.ts';
import type { ChannelRecord, HtlcRecord } from './db.ts';
import { failWith, type Resolution } from './htlc-resolution.ts';
import type { ForwardPoint } from './forward.ts';
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
  log: Log;
}

const keyOf = (dbid: string, id: string) => `${dbid}/${id}`;

export class IncomingHtlcs implements HtlcListener {
  /** Decided, not yet reported resolved. */
  private readonly resolutions = new Map<string, Resolution>();
  /** Being decided, or held in an HTLC set by the receiver. */
  private readonly busy = new Set<string>();

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
      const r = await this.peel(h);
      if ('resolution' in r) return this.resolve(dbid, h.id, r.resolution);
      const fail = (f: Failure) => this.resolve(dbid, h.id, failWith(r.sharedSecret, f));
      // BOLT 2 (dust exposure): the receiver "SHOULD fail this HTLC once it's committed".
      if (h.over_dust_exposure) return fail({ name: 'temporary_node_failure' });
      let payload: HopPayload;
      try {
        payload = decodeHopPayload(r.payload);
        checkHopPayload(payload, { final: !r.next, pathKeyInHtlc: false });
      } catch (e) {
        if (e instanceof OnionError) return fail(payloadFailure(e));
        throw e;
      }
      const part: IncomingPart = {
        channel: dbid,
        id: h.id,
        amount_msat: BigInt(h.amount_msat),
        cltv_expiry: h.cltv_expiry,
        payment_hash: fromHex(h.payment_hash),
        sharedSecret: r.sharedSecret,
      };
      if (r.next) return await this.forward(part, payload, r.next);
      // The receiver resolves it now or later (an HTLC set), through resolve().
      await this.d.receiver.receive(part, payload);
    } catch (e) {
      this.busy.delete(key);
      this.d.log.warn(`incoming HTLC ${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * BOLT 4 "Onion Decryption": the packet's version and key, the shared secret from hsmd, the HMAC
   * (the payment_hash is the associated data). A BADONION failure goes back in
   * update_fail_malformed_htlc with the SHA256 of the onion.
   */
  private async peel(
    h: HtlcRecord,
  ): Promise<{ resolution: Resolution } | { payload: Uint8Array; sharedSecret: Uint8Array; next?: OnionPacket }> {
    const onion = fromHex(h.onion ?? '');
    const malformed = (name: FailureName) => ({
      resolution: { kind: 'malformed', sha256OfOnion: sha256(onion), code: failureCode(name) } as Resolution,
    });
    let packet: OnionPacket;
    try {
      packet = parseOnion(onion);
      checkOnionVersion(packet);
    } catch {
      return malformed('invalid_onion_version');
    }
    if (!isValidPublicKey(packet.publicKey)) return malformed('invalid_onion_key');
    const ss = await this.d.ecdh(packet.publicKey);
    try {
      const p = peelWithSharedSecret(ss, packet, fromHex(h.payment_hash));
      return { payload: p.payload, sharedSecret: ss, ...(p.next ? { next: p.next } : {}) };
    } catch (e) {
      if (!(e instanceof OnionError) || !e.failure) throw e;
      const name = e.failure as FailureName;
      if (failureCode(name) & BADONION) return malformed(name);
      return { resolution: failWith(ss, payloadFailure(e)) };
    }
  }

  /**
   * The forwarding point: a payload for a next hop goes to the forwarder, which resolves it now or
   * once the outgoing channel does. Without one every next peer is unknown (BOLT 4
   * `unknown_next_peer`: "The origin node does not know the next peer").
   */
  private async forward(part: IncomingPart, payload: HopPayload, next: OnionPacket): Promise<void> {
    if (!this.d.forwarder) return this.resolve(part.channel, part.id, failWith(part.sharedSecret, { name: 'unknown_next_peer' }));
    await this.d.forwarder.forward(part, payload, next);
  }

  /** Records the decision and applies it. */
  private resolve(dbid: string, id: string, r: Resolution): void {
    this.resolutions.set(keyOf(dbid, id), r);
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
      if (r.kind === 'fulfill') await ch.fulfillHtlc(BigInt(id), r.preimage);
      else if (r.kind === 'fail') await ch.failHtlc(BigInt(id), r.reason);
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
function payloadFailure(e: OnionError): Failure {
  if (e.failure === 'invalid_onion_blinding') return { name: 'invalid_onion_blinding', sha256_of_onion: new Uint8Array(32) };
  const missing = /amt_to_forward/.test(e.message) ? 2n : /short_channel_id/.test(e.message) ? 6n : 0n;
  return { name: 'invalid_onion_payload', type: missing, offset: 0 };
}
