// openingd, one per channel being opened: it runs the pure establishment flow (opening.ts) against
// the peer's messages (delivered by connectd on its `peer` link), the channel's signer (hsmd) and
// lightningd, one step per API call. The first refusal ends it: the peer gets BOLT 1 `error` (or
// `warning`) naming the channel, lightningd gets `failed`, and nothing is left half-open.
import { fromHex } from '../../base/bytes.ts';
import { DecodeError } from '../../base/errors.ts';
import { chainHash } from '../../chain/chains.ts';
import type { ChannelState } from '../../channel/state.ts';
import type { DaemonEnv, Remote } from '../../node/daemon.ts';
import type { ChannelSigner } from '../../channel/signer.ts';
import { decodeMessage, encodeMessage, type Message, type MessageName, type MessageOf } from '../../wire/messages.ts';
import { peerMessageFor } from '../../channel/errors.ts';
import { OpeningError } from './errors.ts';
import { channelReady, needsAlias, receiveChannelReady, validateFirstCommitment } from './ready.ts';
import { fundedReestablish, receiveFundedReestablish } from './resume.ts';
import { deserializeValue } from '../../channel/serialize.ts';
import type { ChannelOwner, OpeningdDaemonApi, OpeningdEvents, OpeningdInit, OpeningStatus, PeerSend } from './interface.ts';

/** openingd's links as the class takes them: the peer and lightningd across ports, the signer as a ChannelSigner. */
export interface OpeningdLinks {
  peer: Remote<PeerSend>;
  hsm: ChannelSigner;
  events: Remote<OpeningdEvents>;
}
import {
  createFunding,
  openChannel,
  receiveAcceptChannel,
  receiveFundingCreated,
  receiveFundingSigned,
  receiveOpenChannel,
  type Funded,
  type Opening,
  type OpeningContext,
} from './opening.ts';

type Inbound = Message | { name: 'gone' | 'undecodable' | 'flood'; reason: string };

/**
 * At most this many of the peer's messages wait for a step (an establishment step expects one;
 * warnings and an early channel_ready may come with it): a peer that sends more fails its own
 * open, and what it sends beyond is dropped, so it never grows our memory.
 */
export const MAX_QUEUED = 8;

/** A message the peer sent (not our marker of a gone peer, a flood or bytes that did not parse, nor a type we do not know). */
function isPeerMessage(m: Inbound | { name: 'unknown' }): m is Message {
  return !['gone', 'undecodable', 'flood', 'unknown'].includes(m.name);
}

/** Failures that come from the peer itself: nothing is sent back. */
const FROM_PEER = new Set(['peer_error', 'peer_gone']);

export class Openingd {
  readonly #init: OpeningdInit;
  readonly #uses: OpeningdLinks;
  readonly #signer: ChannelSigner;
  readonly #env: DaemonEnv;
  readonly #ctx: OpeningContext;
  #state: Opening | undefined;
  #funded: Funded | undefined;
  #stage = 'starting';
  /** The alias of the peer's channel_ready. */
  #peerAlias: bigint | undefined;
  #failed: OpeningStatus['failed'];
  /** The error that ended the open: every later step answers it. */
  #failure: unknown;
  /** Whether the peer knows of this channel (we sent or received open_channel): then a failure is sent to it. */
  #peerKnows = false;
  #temporaryChannelId: Uint8Array = new Uint8Array(32);
  readonly #inbox: Inbound[] = [];
  #wake: (() => void) | undefined;
  #busy = false;

  /** `uses.hsm`: the channel's signer (host.ts wraps hsmd's channel link in hsmdSigner; tests give keySigner). */
  constructor(init: OpeningdInit, uses: OpeningdLinks, env: DaemonEnv) {
    this.#init = init;
    this.#uses = uses;
    this.#signer = uses.hsm;
    this.#env = env;
    this.#ctx = {
      chainHash: chainHash(init.network),
      ourFeatures: fromHex(init.ourFeatures),
      theirFeatures: fromHex(init.theirFeatures),
      local: init.local,
      policy: init.policy,
      channelPolicy: init.channelPolicy,
    };
  }

  /** What connectd delivers to: this channel's messages from the peer. */
  readonly owner: ChannelOwner = {
    deliver: msg => {
      if (this.#failed) return;
      let m: Message;
      try {
        const d = decodeMessage(msg);
        if (d.name === 'unknown') return; // not an establishment message: BOLT 1 handles it in connectd
        m = d;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        this.#push({ name: 'undecodable', reason: e.message });
        return;
      }
      this.#push(m);
    },
    peerGone: reason => this.#push({ name: 'gone', reason }),
  };

  readonly api: OpeningdDaemonApi = {
    open: () =>
      this.#step('opener', 'starting', async () => {
        const c = this.#init.open;
        if (!c) throw new Error('openingd: an opener needs its choices (init.open)');
        this.#temporaryChannelId = c.temporaryChannelId ?? this.#env.randomBytes(32);
        const first = await this.#signer.perCommitmentPoint(0n);
        const { state, message } = openChannel(
          this.#ctx,
          {
            temporaryChannelId: this.#temporaryChannelId,
            fundingSatoshis: c.fundingSatoshis,
            pushMsat: c.pushMsat,
            feeratePerKw: c.feeratePerKw,
            channelType: fromHex(c.channelType),
            announce: c.announce,
          },
          first,
        );
        await this.#send(message);
        this.#peerKnows = true;
        this.#set(state);
        const next = receiveAcceptChannel(state, await this.#next('accept_channel'));
        this.#set(next.state);
        return { ...next.funding, temporaryChannelId: this.#temporaryChannelId };
      }),
    fund: (txid, outputIndex) =>
      this.#step('opener', 'awaiting_funding_outpoint', async () => {
        const created = await createFunding(this.#current(), { txid, outputIndex }, this.#signer);
        this.#set(created.state);
        await this.#send(created.message);
        const funded = receiveFundingSigned(created.state, await this.#next('funding_signed'));
        await validateFirstCommitment(funded, this.#signer);
        // lightningd persists the channel, then broadcasts the funding transaction.
        await this.#uses.events.funded(funded);
        this.#setFunded(funded);
        return funded;
      }),
    accept: () =>
      this.#step('accepter', 'starting', async () => {
        const open = this.#init.openChannel ? this.#decodeOpen(this.#init.openChannel) : await this.#next('open_channel');
        this.#temporaryChannelId = open.temporary_channel_id;
        this.#peerKnows = true;
        const first = await this.#signer.perCommitmentPoint(0n);
        const accepted = receiveOpenChannel(this.#ctx, open, first, this.#init.minimumDepth ?? 3);
        this.#set(accepted.state);
        await this.#send(accepted.message);
        const { funded, message } = await receiveFundingCreated(accepted.state, await this.#next('funding_created'), this.#signer);
        await validateFirstCommitment(funded, this.#signer);
        // Persist before send: funding_signed leaves only once lightningd holds the channel.
        await this.#uses.events.funded(funded);
        this.#setFunded(funded);
        await this.#send(message);
        return funded;
      }),
    resume: () =>
      this.#step('resume', 'starting', async () => {
        if (!this.#init.funded) throw new Error('openingd: resuming needs the funded channel (init.funded)');
        const f = deserializeValue<Funded>(this.#init.funded);
        this.#funded = f;
        this.#peerKnows = true;
        await this.#send(await fundedReestablish(f, this.#signer));
        receiveFundedReestablish(f, await this.#next('channel_reestablish'));
        this.#setFunded(f);
      }),
    ready: alias => {
      // lightningd's mistake, not the peer's: refused before anything is sent, the channel untouched.
      if (this.#funded && needsAlias(this.#funded) && alias === undefined) {
        return Promise.reject(new Error('openingd: option_scid_alias needs an alias for channel_ready'));
      }
      return this.#step(undefined, 'funded', async (): Promise<ChannelState> => {
        const f = this.#funded;
        if (!f) throw new Error(`openingd: channel_ready before the channel is funded (${this.#stage})`);
        await this.#send(await channelReady(f, this.#signer, alias));
        this.#stage = 'awaiting_channel_ready';
        const theirs = await this.#next('channel_ready');
        const state = receiveChannelReady(f, theirs);
        this.#peerAlias = theirs.tlvs?.short_channel_id?.alias;
        this.#stage = 'ready';
        return state;
      });
    },
    handoverMessages: () => {
      if (this.#stage !== 'ready') return [];
      // Only the peer's messages (not our own markers of a gone peer or a flood), as they came.
      return this.#inbox.splice(0).flatMap(m => (isPeerMessage(m) ? [encodeMessage(m)] : []));
    },
    peerAlias: () => this.#peerAlias,
    status: () => ({ stage: this.#stage, ...(this.#failed ? { failed: this.#failed } : {}) }),
  };

  #set(s: Opening): void {
    this.#state = s;
    this.#stage = s.stage;
  }

  #setFunded(f: Funded): void {
    this.#funded = f;
    this.#state = undefined;
    this.#stage = 'funded';
  }

  #current(): Opening {
    if (!this.#state) throw new Error(`openingd: nothing to fund (${this.#stage})`);
    return this.#state;
  }

  #decodeOpen(bytes: Uint8Array): MessageOf<'open_channel'> {
    const m = decodeMessage(bytes);
    if (m.name !== 'open_channel') throw new Error(`openingd: init.openChannel is ${m.name}, not open_channel`);
    return m;
  }

  /** The channel's name for the peer: its channel_id once funding_created is out, else the temporary one. */
  #channelId(): Uint8Array {
    if (this.#funded) return this.#funded.params.channelId;
    if (this.#state?.stage === 'awaiting_funding_signed') return this.#state.params.channelId;
    return this.#temporaryChannelId;
  }

  async #send(m: Message): Promise<void> {
    await this.#uses.peer.send(encodeMessage(m));
  }

  #push(m: Inbound): void {
    const last = this.#inbox.at(-1);
    if (last?.name === 'flood') return;
    if (this.#inbox.length >= MAX_QUEUED) m = { name: 'flood', reason: `more than ${MAX_QUEUED} messages before we could answer` };
    this.#inbox.push(m);
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** The peer's next message, which must be `name` (warnings are logged and skipped). */
  async #next<N extends MessageName>(name: N): Promise<MessageOf<N>> {
    for (;;) {
      const m = this.#inbox.shift() ?? (await this.#wait(name));
      if (m.name === 'gone') throw new OpeningError('peer_gone', `the peer left while we awaited ${name}: ${m.reason}`);
      // BOLT 1: a message that does not parse is answered with `warning` (and connectd closes the connection).
      if (m.name === 'flood') throw new OpeningError('unexpected_message', m.reason);
      if (m.name === 'undecodable') throw new OpeningError('bad_message', `a message that does not parse: ${m.reason}`, 'warning');
      if (m.name === 'error') throw new OpeningError('peer_error', `the peer failed the open: ${new TextDecoder().decode(m.data)}`);
      if (m.name === 'warning') {
        this.#env.log.warn(`openingd ${this.#init.peerId}: warning from the peer: ${new TextDecoder().decode(m.data)}`);
        continue;
      }
      if (m.name !== name) throw new OpeningError('unexpected_message', `${m.name} while awaiting ${name}`);
      return m as unknown as MessageOf<N>;
    }
  }

  /** Waits for a message, at most replyTimeoutMs (BOLT 2: "MAY send an `error` and fail the channel if it does not receive a required response from the other node after a reasonable timeout"). */
  #wait(name: string): Promise<Inbound> {
    return new Promise((resolve, reject) => {
      const ms = this.#init.replyTimeoutMs;
      const timer =
        ms === undefined
          ? undefined
          : this.#env.clock.setTimeout(() => {
              this.#wake = undefined;
              reject(new OpeningError('timeout', `no ${name} within ${ms} ms`));
            }, ms);
      this.#wake = () => {
        if (timer !== undefined) this.#env.clock.clearTimeout(timer);
        resolve(this.#inbox.shift()!);
      };
    });
  }

  /** One API step: one at a time, in its role and stage; the first failure in it ends the open. */
  async #step<R>(role: OpeningdInit['role'] | undefined, stage: string, run: () => Promise<R>): Promise<R> {
    if (this.#failure !== undefined) throw this.#failure;
    // lightningd calling out of turn is lightningd's mistake: refused, the channel untouched.
    if (role && role !== this.#init.role) throw new Error(`openingd: this instance is the ${this.#init.role}, not the ${role}`);
    if (this.#busy) throw new Error('openingd: a step is already running');
    if (this.#stage !== stage) throw new Error(`openingd: this step needs the open ${stage}, it is ${this.#stage}`);
    this.#busy = true;
    try {
      return await run();
    } catch (e) {
      await this.#fail(e);
      throw e;
    } finally {
      this.#busy = false;
    }
  }

  async #fail(e: unknown): Promise<void> {
    const err = e instanceof OpeningError ? e : undefined;
    const code = err?.code ?? 'internal';
    const message = e instanceof Error ? e.message : String(e);
    this.#failed = { code, message };
    this.#failure = e;
    this.#stage = 'failed';
    let sent: 'error' | 'warning' | undefined;
    if (this.#peerKnows && !FROM_PEER.has(code)) {
      // Our own failure (a link, the signer) is not the peer's: it learns only that the open ended.
      const out = err ?? { action: 'error' as const, code: 'internal', message: 'the open failed on our side' };
      try {
        // BOLT 1: the temporary_channel_id before funding_created, then the channel_id.
        await this.#send(peerMessageFor(out, this.#channelId()));
        sent = out.action;
      } catch (s) {
        this.#env.log.warn(`openingd ${this.#init.peerId}: could not tell the peer: ${String(s)}`);
      }
    }
    this.#state = undefined;
    this.#inbox.length = 0;
    try {
      await this.#uses.events.failed({ code, message, ...(sent ? { sent } : {}) });
    } catch (s) {
      this.#env.log.warn(`openingd ${this.#init.peerId}: lightningd did not take the failure: ${String(s)}`);
    }
  }
}
