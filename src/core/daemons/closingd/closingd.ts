// closingd, one per channel being closed by agreement (Core Lightning's closingd/closingd.c): the
// shutdowns are both out and no HTLC is left (channeld saw to that), so all that remains is BOLT
// 2's closing_signed negotiation (channel/closing-fee.ts) over BOLT 3's closing transaction
// (channel/closing-tx.ts). It checks each of the peer's signatures, signs through hsmd (which
// refuses a close that underpays us), has lightningd make an agreed close durable before our
// closing_signed at that fee leaves, and hands lightningd the signed transaction to broadcast.
// The first refusal ends it: the peer gets BOLT 1 `warning` or `error`, lightningd `failed`.
import { fromHex } from '../../base/bytes.ts';
import { ClosingError } from '../../channel/closing-errors.ts';
import { firstOffer, receiveOffer, startNegotiation, type Negotiation } from '../../channel/closing-fee.ts';
import {
  checkClosingSignature,
  checkOutputsNotDust,
  closingSidesOf,
  closingTx,
  closingWeight,
  signedClosing,
  type ClosingSides,
  type ClosingTx,
} from '../../channel/closing-tx.ts';
import { peerMessageFor } from '../../channel/errors.ts';
import { deserializeChannel } from '../../channel/serialize.ts';
import {
  checkShutdownScript,
  isValidShutdownScript,
  quiescentWithoutHtlcs,
  shutdownFeatures,
  type ShutdownFeatures,
} from '../../channel/shutdown.ts';
import { closingComplete, closingSig, receiveClosingComplete, receiveClosingSig } from '../../channel/simple-close.ts';
import { feeFor } from '../../bolt3/index.ts';
import type { ChannelState } from '../../channel/state.ts';
import { FeatureVector } from '../../features/index.ts';
import type { DaemonEnv, Uses } from '../../node/daemon.ts';
import { encodeMessage, type Message, type MessageOf } from '../../wire/messages.ts';
import { PeerInbox } from './inbox.ts';
import type { ChannelOwner, ClosingdDaemonApi, ClosingdInit, ClosingdSpec, ClosingResult, ClosingStatus } from './interface.ts';

/** At most this many of the peer's messages wait (one closing_signed is expected at a time; retransmits may come with it). */
export const MAX_QUEUED = 8;

type NegotiationMessage = 'closing_signed' | 'closing_complete' | 'closing_sig';
/** One of the messages named `N` (distributed, so `name` tells which). */
type OneOf<N extends NegotiationMessage> = N extends NegotiationMessage ? MessageOf<N> : never;

/** Retransmissions after a reconnect that closingd ignores, as Core Lightning's closingd does. */
const IGNORED = new Set(['shutdown', 'channel_ready', 'announcement_signatures']);

export class Closingd {
  readonly #init: ClosingdInit;
  readonly #uses: Uses<ClosingdSpec>;
  readonly #env: DaemonEnv;
  readonly #state: ChannelState;
  readonly #sides: ClosingSides;
  readonly #inbox = new PeerInbox(MAX_QUEUED);
  #status: ClosingStatus = { stage: 'starting' };
  #run: Promise<ClosingResult> | undefined;

  constructor(init: ClosingdInit, uses: Uses<ClosingdSpec>, env: DaemonEnv) {
    this.#init = init;
    this.#uses = uses;
    this.#env = env;
    this.#state = deserializeChannel(init.channel);
    this.#sides = closingSidesOf(this.#state, fromHex(init.localScript), fromHex(init.remoteScript));
    for (const m of init.pending ?? []) this.#inbox.deliver(m);
  }

  readonly owner: ChannelOwner = {
    deliver: msg => this.#inbox.deliver(msg),
    peerGone: reason => this.#inbox.gone(reason),
  };

  readonly api: ClosingdDaemonApi = {
    negotiate: () => (this.#run ??= this.#negotiate()),
    status: () => ({ ...this.#status }),
  };

  /** Our own dust_limit_satoshis: the outputs we remove from what we sign (BOLT 3). */
  get #dust(): bigint {
    return this.#state.params.local.dustLimitSatoshis;
  }

  async #negotiate(): Promise<ClosingResult> {
    try {
      const result = await this.#exchange();
      this.#status = { ...this.#status, stage: 'closed' };
      this.#inbox.close();
      return result;
    } catch (e) {
      await this.#fail(e);
      throw e;
    }
  }

  async #exchange(): Promise<ClosingResult> {
    // lightningd's mistakes: refused before anything reaches the peer (see #fail).
    if (!quiescentWithoutHtlcs(this.#state)) throw new Error('closingd: the channel still has HTLCs or updates in the dance');
    const f = shutdownFeatures(
      FeatureVector.fromBytes(fromHex(this.#init.ourFeatures)),
      FeatureVector.fromBytes(fromHex(this.#init.theirFeatures)),
    );
    if (!isValidShutdownScript(this.#sides.localScript, f)) throw new Error('closingd: our shutdown scriptpubkey is not a valid one');
    checkShutdownScript(this.#sides.remoteScript, f);
    // BOLT 2: "if `option_simple_close` is negotiated, the section above applies, otherwise this legacy section applies".
    if (f.simpleClose) return this.#simpleExchange(f);
    const s = this.#sides;
    let n = startNegotiation({
      localIsOpener: s.localIsOpener,
      weight: closingWeight(s, this.#dust),
      feerates: this.#init.feerates,
      fundingSatoshis: s.fundingSatoshis,
      funderSatoshis: (s.localIsOpener ? s.toLocalMsat : s.toRemoteMsat) / 1000n,
    });
    this.#status = { stage: 'negotiating' };
    // BOLT 2: "The funding node: after `shutdown` has been received, AND no HTLCs remain in either
    // commitment transaction: SHOULD send a `closing_signed` message." The fundee waits for it.
    if (s.localIsOpener) {
      const first = firstOffer(n);
      n = first.negotiation;
      await this.#offer(n, closingTx(s, first.fee, this.#dust));
    }
    for (;;) {
      const m = await this.#next('closing_signed');
      const fee = m.fee_satoshis;
      // "if the `signature` is not valid for either variant of closing transaction ...: MUST send
      // a `warning` and close the connection"; "if one of the outputs in the closing transaction
      // is below the dust limit for its `scriptpubkey`: MUST fail the channel".
      const theirs = checkClosingSignature(s, fee, this.#dust, m.signature);
      checkOutputsNotDust(theirs);
      const range = m.tlvs?.fee_range;
      const r = receiveOffer(n, fee, range ? { min: range.min_fee_satoshis, max: range.max_fee_satoshis } : undefined);
      n = r.negotiation;
      this.#status = { ...this.#status, received: fee };
      if (r.decision.kind === 'counter') {
        await this.#offer(n, closingTx(s, r.decision.fee, this.#dust));
        continue;
      }
      const ours = await this.#sign(theirs);
      let reply: Message | undefined;
      if (r.decision.kind === 'accept') {
        // Our closing_signed at their fee: over our own variant (the peer checks it as one of its two).
        const standard = closingTx(s, fee, this.#dust);
        reply = await this.#offerMessage(n, standard, standard.tx.id === theirs.tx.id ? ours : undefined);
      }
      // Persist before send: once our closing_signed at this fee is out, the peer can broadcast.
      return this.#complete(theirs, m.signature, fee, ours, reply);
    }
  }

  /**
   * BOLT 2 option_simple_close: we send closing_complete paying our own fee (at lightningd's ideal
   * feerate, unless our balance cannot pay it), and sign back the peer's closing_complete with
   * closing_sig. Each fully signed transaction goes to lightningd (agreed, made durable before our
   * closing_sig leaves; then closed); it answers once both are done, or once ours is and the peer
   * sends no closing_complete within the reply timeout.
   */
  async #simpleExchange(f: ShutdownFeatures): Promise<ClosingResult> {
    const s = this.#sides;
    const channelId = this.#state.params.channelId;
    this.#status = { stage: 'negotiating' };
    const fee = feeFor(this.#init.feerates.ideal, closingWeight(s, 0n));
    let ours: MessageOf<'closing_complete'> | undefined;
    try {
      ours = await closingComplete(
        s,
        channelId,
        { closerScript: s.localScript, closeeScript: s.remoteScript, feeSatoshis: fee, lockTime: this.#init.lockTime ?? 0 },
        t => this.#sign(t),
      );
    } catch (e) {
      // Our balance cannot pay the fee or leaves only dust: we only sign the peer's.
      if (!(e instanceof ClosingError) || (e.code !== 'funder_cannot_afford_fee' && e.code !== 'no_outputs')) throw e;
    }
    if (ours) {
      await this.#send(ours);
      this.#status = { ...this.#status, sent: fee };
    }
    let mine: ClosingResult | undefined;
    let theirs: ClosingResult | undefined;
    while (!(theirs && (mine || !ours))) {
      let m: OneOf<'closing_complete' | 'closing_sig'>;
      try {
        m = await this.#next('closing_complete', 'closing_sig');
      } catch (e) {
        if (mine && e instanceof ClosingError && e.code === 'timeout') return mine;
        throw e;
      }
      if (m.name === 'closing_sig') {
        if (!ours || mine) throw new ClosingError('unexpected_message', 'closing_sig for no closing_complete of ours');
        const got = receiveClosingSig(s, ours, m);
        mine = await this.#complete(got.tx, got.signature, ours.fee_satoshis);
      } else {
        const got = receiveClosingComplete(s, m, s.localScript, f);
        this.#status = { ...this.#status, received: m.fee_satoshis };
        const signature = await this.#sign(got.tx);
        theirs = await this.#complete(got.tx, got.signature, m.fee_satoshis, signature, closingSig(m, got.field, signature));
      }
    }
    return (mine ?? theirs)!;
  }

  /**
   * A close with both signatures: lightningd makes it durable (agreed), then `reply` (our
   * closing_sig) goes to the peer, then lightningd broadcasts it (closed).
   */
  async #complete(
    t: ClosingTx,
    theirSignature: Uint8Array,
    feeSatoshis: bigint,
    ourSignature?: Uint8Array,
    reply?: Message,
  ): Promise<ClosingResult> {
    const sig = ourSignature ?? (await this.#sign(t));
    const result: ClosingResult = { tx: signedClosing(this.#sides, t, sig, theirSignature), txid: t.tx.id, feeSatoshis };
    await this.#uses.events.agreed(result);
    if (reply) await this.#send(reply);
    await this.#uses.events.closed(result);
    return result;
  }

  /** Sends our closing_signed at `t`'s fee. */
  async #offer(n: Negotiation, t: ClosingTx): Promise<void> {
    await this.#send(await this.#offerMessage(n, t));
  }

  /** Our closing_signed at `t`'s fee (n.sent), with our fee_range (unless lightningd turned it off). */
  async #offerMessage(n: Negotiation, t: ClosingTx, signature?: Uint8Array): Promise<MessageOf<'closing_signed'>> {
    const fee = n.sent!;
    const sig = signature ?? (await this.#sign(t));
    const withRange = this.#init.feeRange ?? true;
    this.#status = { ...this.#status, sent: fee };
    return {
      name: 'closing_signed',
      channel_id: this.#state.params.channelId,
      fee_satoshis: fee,
      signature: sig,
      ...(withRange ? { tlvs: { fee_range: { min_fee_satoshis: n.range.min, max_fee_satoshis: n.range.max } } } : {}),
    };
  }

  /** hsmd's signature on `t`, with our balance as the channel states it (hsmd checks the close pays it). */
  #sign(t: ClosingTx): Promise<Uint8Array> {
    return this.#uses.hsm.signMutualClose({
      tx: t.tx.unsignedTx,
      toUsMsat: this.#state.localCommit.spec.toLocalMsat,
      destination: this.#init.destination,
    });
  }

  async #send(m: Message): Promise<void> {
    await this.#uses.peer.send(encodeMessage(m));
  }

  /** The peer's next message of those `names` (retransmissions skipped, warnings logged); `timeout` ends the wait. */
  async #next<N extends NegotiationMessage>(...names: N[]): Promise<OneOf<N>> {
    for (;;) {
      const m = await this.#inbox.next(this.#env.clock, this.#init.replyTimeoutMs);
      if ((names as string[]).includes(m.name)) return m as OneOf<N>;
      switch (m.name) {
        case 'gone':
          throw new ClosingError('peer_gone', `the peer left during the negotiation: ${m.reason}`);
        case 'timeout':
          // "if it doesn't receive a `closing_signed` response after a reasonable amount of time: MUST fail the channel".
          throw new ClosingError('timeout', `no ${names.join(' or ')}: ${m.reason}`, 'error');
        case 'flood':
          throw new ClosingError('unexpected_message', m.reason);
        case 'undecodable':
          throw new ClosingError('bad_message', `a message that does not parse: ${m.reason}`);
        case 'error':
          throw new ClosingError('peer_error', `the peer failed the channel: ${new TextDecoder().decode(m.data)}`);
        case 'warning':
          this.#env.log.warn(`closingd ${this.#init.peerId}: warning from the peer: ${new TextDecoder().decode(m.data)}`);
          continue;
        default:
          if (IGNORED.has(m.name)) continue;
          throw new ClosingError('unexpected_message', `${m.name} during the closing negotiation`);
      }
    }
  }

  async #fail(e: unknown): Promise<void> {
    const err = e instanceof ClosingError ? e : undefined;
    const code = err?.code ?? 'internal';
    const message = e instanceof Error ? e.message : String(e);
    this.#status = { ...this.#status, stage: 'failed', failed: { code, message } };
    this.#inbox.close();
    let sent: 'error' | 'warning' | undefined;
    // The peer's own error and its leaving need no answer. Our side's failure (a link, hsmd's
    // refusal) is not the peer's to read: a bare warning ends the connection, and with it this
    // negotiation, which restarts after the reconnect.
    if (code !== 'peer_error' && code !== 'peer_gone') {
      const out = err ?? { action: 'warning' as const, code: 'internal', message: 'the close failed on our side' };
      try {
        await this.#send(peerMessageFor(out, this.#state.params.channelId));
        sent = out.action;
      } catch (s) {
        this.#env.log.warn(`closingd ${this.#init.peerId}: could not tell the peer: ${String(s)}`);
      }
    }
    try {
      await this.#uses.events.failed({ code, message, ...(sent ? { sent } : {}) });
    } catch (s) {
      this.#env.log.warn(`closingd ${this.#init.peerId}: lightningd did not take the failure: ${String(s)}`);
    }
  }
}
