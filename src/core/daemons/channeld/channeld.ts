// channeld, one per open channel and connection: it runs BOLT 2 normal operation (src/core/channel)
// against the peer's messages (delivered by connectd on its `peer` link), lightningd's requests and
// the channel's signer (hsmd). One thing at a time, in order: each step computes the new state,
// has lightningd make it durable (events.persist) and only then sends the messages that depend on
// it (issue 13 "Persist before send"). It signs a commitment_signed itself whenever updates wait
// to be committed. A protocol violation is answered with `warning` or `error` as BOLT 2 says and
// ends this instance; nothing the peer sends crashes it.
import { fromHex } from '../../base/bytes.ts';
import { DecodeError, PeerRuleError } from '../../base/errors.ts';
import { canSendCommit, sendCommit } from '../../channel/dance.ts';
import { ChannelError, peerMessageFor } from '../../channel/errors.ts';
import { receiveMessage, type NormalOperationMessage } from '../../channel/receive.ts';
import { deserializeChannel, serializeChannel } from '../../channel/serialize.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import type { ChannelState } from '../../channel/state.ts';
import { sendAdd, sendFee, sendRemoval, updateMessage } from '../../channel/updates.ts';
import type { DaemonEnv, Uses } from '../../node/daemon.ts';
import { decodeMessage, encodeMessage, type Message, type MessageOf } from '../../wire/messages.ts';
import { AnnounceError, checkTheirSignatures, ourAnnouncementSignatures, sameAnnouncement, type AnnounceInit } from './announce.ts';
import { offered, onOurRevocation, onTheirRevocation, removing, reverseUncommitted, withFailOnceCommitted } from './changes.ts';
import { ChanneldError } from './errors.ts';
import type {
  ChannelFailure,
  ChannelOwner,
  ChanneldDaemonApi,
  ChanneldEvents,
  ChanneldInit,
  ChanneldPhase,
  ChanneldSpec,
  ChanneldStatus,
  HtlcChange,
} from './interface.ts';
import { ourReestablish, receiveReestablish } from './reestablish.ts';
import {
  askShutdown,
  checkOurAdd,
  checkTheirAdd,
  handoverDue,
  MAX_HANDOVER_MESSAGES,
  peerShutdown,
  shutdownContext,
  shutdownDue,
  shutdownRetransmit,
} from './shutdown.ts';

/**
 * At most this many of the peer's messages wait while a step runs (a persist or a signature): a
 * peer that sends more is warned and disconnected, so it never grows our memory.
 */
export const MAX_QUEUED = 2_000;

const NORMAL_OPERATION = new Set<string>([
  'update_add_htlc',
  'update_fulfill_htlc',
  'update_fail_htlc',
  'update_fail_malformed_htlc',
  'update_fee',
  'commitment_signed',
  'revoke_and_ack',
]);

interface Violation {
  code: string;
  message: string;
  action: 'warning' | 'error';
}

/** Its links as the host hands them over: the signer already in this realm (host.ts wraps hsmd's link). */
export type ChanneldLinks = Omit<Uses<ChanneldSpec>, 'hsm'> & { hsm: ChannelSigner };

type Task = { fromPeer: boolean; run: () => Promise<void>; reject(e: unknown): void };

export class Channeld {
  readonly #init: ChanneldInit;
  readonly #uses: ChanneldLinks;
  readonly #env: DaemonEnv;
  #state: ChannelState;
  #phase: ChanneldPhase;
  #failure: ChannelFailure | undefined;
  readonly #tasks: Task[] = [];
  #queuedFromPeer = 0;
  #running = false;
  /** addHtlc calls waiting for their HTLC to be committed, by id. */
  readonly #committing = new Map<bigint, { resolve(v: { id: bigint }): void; reject(e: unknown): void }>();
  /** The script lightningd asked our shutdown to carry, until it is out (then it is in the state). */
  #shutdownWanted: Uint8Array | undefined;
  #shutdownSent: { resolve(): void; reject(e: unknown): void }[] = [];
  /** Whether the peer's shutdown came on this connection (a second one is a violation; the first after a reconnect, a retransmission). */
  #shutdownSeen = false;
  /** What the peer sent after the handover to closingd (phase `closing`). */
  #handover: Uint8Array[] = [];
  /** BOLT 7 announcement_signatures: what lightningd gave (six confirmations deep), ours, and the peer's. */
  #announce: AnnounceInit | undefined;
  #ourSignatures: MessageOf<'announcement_signatures'> | undefined;
  /** Ours went out on this connection. */
  #signaturesSent = false;
  /** The peer's valid ones are in lightningd's record (this connection or an earlier one). */
  #signaturesReceived = false;
  /** The peer's, come before lightningd saw six confirmations: handled once it does (BOLT 7 "MAY defer"). */
  #theirSignaturesEarly: MessageOf<'announcement_signatures'> | undefined;
  readonly #ready: Promise<void>;
  #readyResolve!: () => void;
  #readyReject!: (e: unknown) => void;

  constructor(init: ChanneldInit, uses: ChanneldLinks, env: DaemonEnv) {
    this.#init = init;
    this.#uses = uses;
    this.#env = env;
    this.#state = reverseUncommitted(deserializeChannel(init.state));
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.#ready.catch(() => undefined);
    this.#announce = init.announce;
    this.#signaturesReceived = init.announce?.received === true;
    if (init.reestablish) {
      this.#phase = 'reestablishing';
      // BOLT 2: "upon reconnection: MUST transmit `channel_reestablish` for each channel".
      void this.#enqueue(false, async () => {
        if (this.#live()) await this.#send([await ourReestablish(this.#state, this.#uses.hsm)]);
      }).catch(() => undefined);
    } else {
      this.#phase = 'normal';
      this.#readyResolve();
      if (init.announce) void this.#enqueue(false, () => this.#announceStep()).catch(() => undefined);
    }
    // The peer's messages openingd received after channel_ready, before anything from connectd.
    for (const m of init.early ?? []) this.owner.deliver(m);
  }

  /** What connectd delivers to: this channel's messages from the peer (warning and error naming it too). */
  readonly owner: ChannelOwner = {
    deliver: msg => {
      if (this.#phase === 'closing') return this.#keepForClosingd(msg);
      if (!this.#live()) return;
      if (this.#queuedFromPeer >= MAX_QUEUED) {
        if (this.#queuedFromPeer === MAX_QUEUED) {
          this.#queuedFromPeer++;
          void this.#violation({ code: 'flood', message: `more than ${MAX_QUEUED} messages waiting`, action: 'warning' });
        }
        return;
      }
      void this.#enqueue(true, () => this.#fromPeer(msg)).catch(() => undefined);
    },
    peerGone: reason => void this.#end({ code: 'peer_gone', message: `the peer left: ${reason}`, action: 'disconnect' }),
  };

  readonly api: ChanneldDaemonApi = {
    addHtlc: async h => {
      // The queue moves on once the add is sent; the answer waits for the commitment dance.
      const { committed } = await this.#request(async () => {
        checkOurAdd(this.#state, this.#shutdownWanted);
        const r = sendAdd(this.#state, h);
        const committed = new Promise<{ id: bigint }>((resolve, reject) => this.#committing.set(r.add.id, { resolve, reject }));
        committed.catch(() => undefined);
        await this.#step(r.state, r.messages, [offered(r.add)]);
        return { committed };
      });
      return committed;
    },
    fulfillHtlc: (id, preimage, attribution) => this.#remove({ kind: 'fulfill', id, preimage, ...(attribution ? { attribution } : {}) }),
    failHtlc: (id, reason, attribution) => this.#remove({ kind: 'fail', id, reason, ...(attribution ? { attribution } : {}) }),
    failMalformedHtlc: (id, sha256OfOnion, failureCode) => this.#remove({ kind: 'fail_malformed', id, sha256OfOnion, failureCode }),
    updateFee: feeratePerKw =>
      this.#request(async () => {
        const r = sendFee(this.#state, feeratePerKw);
        await this.#step(r.state, r.messages, []);
      }),
    shutdown: async scriptpubkey => {
      // The queue moves on at once; the answer waits for the shutdown to be out.
      const out = await this.#request(async () => {
        if (askShutdown(this.#state, scriptpubkey, this.#shutdownCtx, this.#shutdownWanted) === 'sent') return undefined;
        this.#shutdownWanted = scriptpubkey;
        // Sent by the pump once nothing of ours is pending on the peer's commitment.
        const sent = new Promise<void>((resolve, reject) => this.#shutdownSent.push({ resolve, reject }));
        sent.catch(() => undefined);
        return { sent };
      });
      await out?.sent;
    },
    announce: a =>
      this.#request(async () => {
        if (this.#announce && sameAnnouncement(this.#announce, a)) return;
        this.#announce = { ...a, received: this.#signaturesReceived };
        this.#ourSignatures = undefined;
        await this.#announceStep();
      }),
    handoverMessages: () => this.#handover.splice(0),
    status: () => this.#status(),
  };

  get #shutdownCtx() {
    return shutdownContext(this.#init.ourFeatures, this.#init.theirFeatures, this.#init.upfront);
  }

  // ---- lightningd's requests ----

  /** Runs a request once the channel is in normal operation, in turn with everything else. */
  async #request<T>(run: () => Promise<T>): Promise<T> {
    if (this.#phase === 'reestablishing') await this.#ready;
    this.#checkLive();
    return this.#enqueue(false, async () => {
      this.#checkLive();
      return run();
    });
  }

  #remove(r: Parameters<typeof sendRemoval>[1]): Promise<void> {
    return this.#request(async () => {
      const already = removing(this.#state, r.id);
      // lightningd repeating a removal it already gave (after a restart): nothing new to do.
      if (already && already.kind === r.kind) return;
      const step = sendRemoval(this.#state, r);
      await this.#step(step.state, step.messages, []);
    });
  }

  // ---- the peer's messages ----

  /** After the handover: what the peer sends is closingd's (lightningd takes it with handoverMessages). */
  #keepForClosingd(msg: Uint8Array): void {
    if (this.#handover.length < MAX_HANDOVER_MESSAGES) this.#handover.push(msg);
  }

  async #fromPeer(bytes: Uint8Array): Promise<void> {
    // A message queued while channeld handed over is closingd's; so is one that came behind the
    // message completing the shutdown, before the pump reached the handover (#closingStep): once
    // both shutdowns are out with no HTLC left, BOLT 2's funder "SHOULD send a `closing_signed`"
    // at once (Core Lightning's channeld checks shutdown_complete after each peer message).
    if (this.#phase === 'closing' || (this.#phase === 'normal' && handoverDue(this.#state))) return this.#keepForClosingd(bytes);
    if (!this.#live()) return;
    let d: ReturnType<typeof decodeMessage>;
    try {
      d = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      // BOLT 1: a message that does not parse is answered with `warning` and the connection closed.
      return this.#violation({ code: 'bad_message', message: e.message, action: 'warning' });
    }
    if (d.name === 'unknown') return;
    const m = d;
    if (m.name === 'error') {
      // BOLT 1 "upon receiving `error`": "MUST fail the channel referred to by `channel_id`".
      const text = new TextDecoder().decode(m.data);
      return this.#end({ code: 'peer_error', message: `the peer failed the channel: ${text}`, action: 'fail_channel' });
    }
    if (m.name === 'warning') {
      this.#env.log.warn(`channeld ${this.#init.peerId}: warning from the peer: ${new TextDecoder().decode(m.data)}`);
      return;
    }
    if (this.#phase === 'reestablishing') {
      // BOLT 2: a node "MUST wait to receive the other node's `channel_reestablish` message before sending any other messages".
      if (m.name !== 'channel_reestablish') {
        return this.#violation({ code: 'unexpected_message', message: `${m.name} before channel_reestablish`, action: 'warning' });
      }
      return this.#reestablish(m);
    }
    if (NORMAL_OPERATION.has(m.name)) return this.#receive(m as NormalOperationMessage);
    if (m.name === 'shutdown') return this.#receiveShutdown(m);
    if (m.name === 'announcement_signatures') return this.#receiveAnnouncementSignatures(m);
    // BOLT 2: "upon reconnection: MUST ignore any redundant `channel_ready` it receives".
    if (m.name === 'channel_ready') return;
    if (m.name === 'channel_reestablish') {
      return this.#violation({ code: 'unexpected_message', message: 'a second channel_reestablish', action: 'warning' });
    }
    this.#env.log.info(`channeld ${this.#init.peerId}: ${m.name} is not handled by channeld (ignored)`);
  }

  async #receive(m: NormalOperationMessage): Promise<void> {
    const before = this.#state;
    const late = m.name === 'update_add_htlc' ? checkTheirAdd(before) : undefined;
    if (late) return this.#violation(late);
    let r: Awaited<ReturnType<typeof receiveMessage>>;
    try {
      r = await receiveMessage(before, m, this.#uses.hsm);
    } catch (e) {
      if (e instanceof ChannelError) return this.#violation(e);
      throw e;
    }
    let next = r.state;
    const marked = before.failOnceCommitted ?? [];
    if (r.failOnceCommitted !== undefined) next = withFailOnceCommitted(next, [...marked, r.failOnceCommitted]);
    let changes: HtlcChange[] = [];
    if (m.name === 'commitment_signed') changes = onOurRevocation(before);
    if (m.name === 'revoke_and_ack') {
      changes = onTheirRevocation(r.settled ?? [], marked);
      const told = new Set(changes.filter(c => c.kind === 'incoming').map(c => c.id));
      next = withFailOnceCommitted(
        next,
        marked.filter(id => !told.has(id)),
      );
    }
    // An update received changes nothing durable: BOLT 2 lets it be forgotten until its commitment_signed.
    if (r.messages.length === 0 && m.name !== 'revoke_and_ack') {
      this.#state = next;
      return;
    }
    await this.#step(next, r.messages, changes);
  }

  /** BOLT 2 shutdown, the receiver (channeld/shutdown.ts): durable first; then lightningd gives our reply's script. */
  async #receiveShutdown(m: Extract<Message, { name: 'shutdown' }>): Promise<void> {
    let r: ReturnType<typeof peerShutdown>;
    try {
      r = peerShutdown(this.#state, m, this.#shutdownCtx, this.#shutdownSeen);
    } catch (e) {
      if (e instanceof PeerRuleError) return this.#violation(e);
      throw e;
    }
    this.#shutdownSeen = true;
    if (r.kind === 'again') return;
    await this.#step(r.state, [], []);
    if (r.replyDue) this.#shutdownReceived(m.scriptpubkey);
  }

  /** lightningd is told, unless it already gave our script; not awaited (it answers with api.shutdown, queued behind this). */
  #shutdownReceived(script: Uint8Array): void {
    if (this.#shutdownWanted) return;
    void (async () => this.#uses.events.shutdownReceived(script))().catch(e =>
      this.#env.log.warn(`channeld ${this.#init.peerId}: lightningd did not take the peer's shutdown: ${String(e)}`),
    );
  }

  async #reestablish(m: Extract<Message, { name: 'channel_reestablish' }>): Promise<void> {
    let out: Awaited<ReturnType<typeof receiveReestablish>>;
    try {
      out = await receiveReestablish(this.#state, m, this.#uses.hsm, () => this.#channelReady());
    } catch (e) {
      if (e instanceof ChannelError) return this.#violation(e);
      throw e;
    }
    if (out.kind === 'behind') {
      // option_data_loss_protect: "MUST NOT broadcast its commitment transaction. SHOULD send an
      // `error` to request the peer to fail the channel." Nothing of ours is signed from here on.
      const message = 'the peer proved our channel state is old: please close the channel';
      await this.#sendQuietly(peerMessageFor({ code: 'we_are_behind', message, action: 'error' }, this.#state.params.channelId));
      return this.#end({
        code: 'we_are_behind',
        message,
        action: 'data_loss',
        sent: 'error',
        theirCurrentPerCommitmentPoint: out.theirCurrentPerCommitmentPoint,
      });
    }
    // Then our updates the peer reversed at the disconnection, proposed again as they were.
    const again = this.#state.localChanges.proposed.map(u => updateMessage(this.#state.params.channelId, u));
    // BOLT 2: "upon reconnection: if it has sent a previous `shutdown`: MUST retransmit `shutdown`".
    await this.#send([...out.retransmit, ...again, ...shutdownRetransmit(this.#state)]);
    this.#phase = 'normal';
    this.#readyResolve();
    // The peer's shutdown is durable but ours never left (lightningd may not have answered before a restart): ask again.
    const sd = this.#state.shutdown;
    if (sd?.received && !sd.sent) this.#shutdownReceived(sd.received);
    await this.#announceStep();
  }

  // ---- BOLT 7 announcement_signatures (announce.ts) ----

  /**
   * BOLT 7: "if the `open_channel` message has the `announce_channel` bit set AND a `shutdown`
   * message has not been sent: MUST send the `announcement_signatures` message" (lightningd gives
   * `announce` only for such a channel, six confirmations deep); "upon reconnection ...: if it has
   * NOT received an `announcement_signatures` message: SHOULD retransmit" it. Once the peer's are
   * in the record, ours go only in answer to theirs.
   */
  async #announceStep(): Promise<void> {
    if (!this.#announce || this.#phase !== 'normal') return;
    const early = this.#theirSignaturesEarly;
    this.#theirSignaturesEarly = undefined;
    if (early) return this.#receiveAnnouncementSignatures(early);
    if (!this.#signaturesReceived) await this.#sendAnnouncementSignatures();
  }

  async #sendAnnouncementSignatures(): Promise<void> {
    if (this.#signaturesSent || this.#state.shutdown?.sent || !this.#announce) return;
    this.#ourSignatures ??= await ourAnnouncementSignatures(this.#state, this.#announce, this.#peerId, this.#uses.hsm);
    this.#signaturesSent = true;
    await this.#send([this.#ourSignatures]);
  }

  /**
   * The peer's announcement_signatures: checked (a wrong scid or signature: `warning`, the
   * connection closes); "MUST respond to the first `announcement_signatures` message with its own";
   * the full channel_announcement goes to lightningd once (into the channel record, then gossipd).
   */
  async #receiveAnnouncementSignatures(m: MessageOf<'announcement_signatures'>): Promise<void> {
    const a = this.#announce;
    if (!a) {
      this.#theirSignaturesEarly = m;
      return;
    }
    this.#ourSignatures ??= await ourAnnouncementSignatures(this.#state, a, this.#peerId, this.#uses.hsm);
    let announcement: Uint8Array;
    try {
      announcement = checkTheirSignatures(this.#state, a, this.#peerId, m, this.#ourSignatures);
    } catch (e) {
      if (e instanceof AnnounceError) return this.#violation(e);
      throw e;
    }
    await this.#sendAnnouncementSignatures();
    if (this.#signaturesReceived) return;
    // Optional for callers that never make a channel public (tests); a port's proxy always has it.
    await (this.#uses.events as unknown as ChanneldEvents).announced?.(announcement);
    this.#signaturesReceived = true;
  }

  get #peerId(): Uint8Array {
    return fromHex(this.#init.peerId);
  }

  async #channelReady(): Promise<Message> {
    const alias = this.#init.alias;
    return {
      name: 'channel_ready',
      channel_id: this.#state.params.channelId,
      second_per_commitment_point: await this.#uses.hsm.perCommitmentPoint(1n),
      ...(alias !== undefined ? { tlvs: { short_channel_id: { alias } } } : {}),
    };
  }

  // ---- steps, persist before send ----

  /**
   * The new state made durable (with what it does to HTLCs), then current, then its messages sent:
   * issue 13 "Persist before send".
   */
  async #step(next: ChannelState, messages: Message[], changes: HtlcChange[]): Promise<void> {
    await this.#uses.events.persist({ state: serializeChannel(next), changes });
    this.#state = next;
    if (!this.#live()) return;
    await this.#send(messages);
    for (const c of changes) {
      if (c.kind !== 'committed') continue;
      this.#committing.get(c.id)?.resolve({ id: c.id });
      this.#committing.delete(c.id);
    }
  }

  /** BOLT 2 commitment_signed, whenever updates wait to be committed and the peer has revoked its last. */
  async #commitIfDue(): Promise<boolean> {
    if (this.#phase !== 'normal' || !canSendCommit(this.#state) || !this.#state.remoteNextPerCommitmentPoint) return false;
    const c = await sendCommit(this.#state, this.#uses.hsm);
    await this.#step(c.state, c.messages, []);
    return true;
  }

  /**
   * After the dance: our shutdown once it may leave (durable first), then, with both out and no
   * HTLC left, the handover to closingd. True if it sent something.
   */
  async #closingStep(): Promise<boolean> {
    if (this.#phase !== 'normal') return false;
    const due = shutdownDue(this.#state, this.#shutdownWanted, this.#shutdownCtx);
    if (due) {
      await this.#step(due.state, [due.message], []);
      this.#shutdownWanted = undefined;
      for (const w of this.#shutdownSent.splice(0)) w.resolve();
      return true;
    }
    if (!handoverDue(this.#state)) return false;
    this.#phase = 'closing';
    try {
      await this.#uses.events.shutdownComplete(serializeChannel(this.#state));
    } catch (e) {
      this.#env.log.warn(`channeld ${this.#init.peerId}: lightningd did not take the handover: ${String(e)}`);
    }
    return false;
  }

  async #send(messages: readonly Message[]): Promise<void> {
    for (const m of messages) await this.#uses.peer.send(encodeMessage(m));
  }

  async #sendQuietly(m: Message): Promise<void> {
    try {
      await this.#send([m]);
    } catch (e) {
      this.#env.log.warn(`channeld ${this.#init.peerId}: could not tell the peer: ${String(e)}`);
    }
  }

  // ---- one thing at a time ----

  #enqueue<T>(fromPeer: boolean, run: () => Promise<T>): Promise<T> {
    if (fromPeer) this.#queuedFromPeer++;
    return new Promise<T>((resolve, reject) => {
      this.#tasks.push({
        fromPeer,
        reject,
        run: () =>
          run().then(resolve, e => {
            reject(e);
            // Our requests' refusals are the caller's; anything else is our own trouble.
            if (!(e instanceof PeerRuleError) && !(e instanceof ChanneldError)) return this.#internal(e);
          }),
      });
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const t = this.#tasks.shift();
        if (t) {
          if (t.fromPeer) this.#queuedFromPeer--;
          await t.run();
          continue;
        }
        let committed = false;
        try {
          committed = this.#live() && ((await this.#commitIfDue()) || (await this.#closingStep()));
        } catch (e) {
          await this.#internal(e);
        }
        // A task that came while we were committing (its own pump call saw us running) runs now.
        if (!committed && this.#tasks.length === 0) break;
      }
    } finally {
      this.#running = false;
    }
  }

  // ---- endings ----

  #live(): boolean {
    return this.#phase === 'normal' || this.#phase === 'reestablishing';
  }

  #checkLive(): void {
    if (this.#live()) return;
    const failed = this.#phase === 'failed';
    throw new ChanneldError(
      failed ? 'channel_failed' : 'disconnected',
      `channeld ${this.#init.peerId}: ${this.#failure?.message ?? this.#phase}`,
    );
  }

  /** The peer broke a rule: BOLT 2's `warning` (and the connection closes) or `error` (and the channel fails). */
  async #violation(v: Violation): Promise<void> {
    if (!this.#live()) return;
    await this.#sendQuietly(peerMessageFor(v, this.#state.params.channelId));
    await this.#end({
      code: v.code,
      message: v.message,
      action: v.action === 'error' ? 'fail_channel' : 'disconnect',
      sent: v.action,
    });
  }

  /** Our own trouble (a persist or the signer failed): the peer learns nothing, the connection ends, the durable state stands. */
  async #internal(e: unknown): Promise<void> {
    if (!this.#live()) return;
    this.#env.log.warn(`channeld ${this.#init.peerId}: ${String(e)}`);
    await this.#end({ code: 'internal', message: e instanceof Error ? e.message : String(e), action: 'disconnect' });
  }

  async #end(f: ChannelFailure): Promise<void> {
    if (!this.#live()) return;
    this.#phase = f.action === 'disconnect' ? 'stopped' : 'failed';
    this.#failure = f;
    const err = new ChanneldError(this.#phase === 'failed' ? 'channel_failed' : 'disconnected', f.message);
    this.#readyReject(err);
    for (const w of this.#committing.values()) w.reject(err);
    for (const w of this.#shutdownSent.splice(0)) w.reject(err);
    this.#committing.clear();
    for (const t of this.#tasks.splice(0)) t.reject(err);
    this.#queuedFromPeer = 0;
    try {
      await this.#uses.events.failed(f);
    } catch (e) {
      this.#env.log.warn(`channeld ${this.#init.peerId}: lightningd did not take the failure: ${String(e)}`);
    }
  }

  #status(): ChanneldStatus {
    const s = this.#state;
    const spec = s.localCommit.spec;
    const pending = [s.localChanges, s.remoteChanges].reduce((n, c) => n + c.proposed.length + c.signed.length + c.acked.length, 0);
    return {
      phase: this.#phase,
      localCommitmentNumber: s.localCommit.index,
      remoteCommitmentNumber: s.remoteCommit.index,
      toUsMsat: spec.toLocalMsat,
      toThemMsat: spec.toRemoteMsat,
      feeratePerKw: spec.feeratePerKw,
      htlcs: spec.htlcs.map(h => ({
        direction: h.offered ? 'out' : 'in',
        id: h.add.id,
        amountMsat: h.add.amountMsat,
        paymentHash: h.add.paymentHash,
        cltvExpiry: h.add.cltvExpiry,
      })),
      pendingUpdates: pending,
      ...(this.#failure ? { failed: this.#failure } : {}),
      state: serializeChannel(s),
    };
  }
}
