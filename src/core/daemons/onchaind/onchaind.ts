// onchaind: one channel whose funding output is spent (Core Lightning's onchaind/onchaind.c). It
// classifies the spending transaction, tracks every output of it (src/core/onchain), and at each
// block signs (through hsmd) and asks lightningd to broadcast every spend of ours that has become
// valid: our delayed outputs after to_self_delay, to_remote, HTLCs by preimage or after their
// timeout, our HTLC transactions, and penalties on a revoked commitment. It tells lightningd the
// preimages the peer reveals, and when every output is irrevocably resolved.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../base/bytes.ts';
import { TX_OPTS } from '../../bolt3/index.ts';
import { deserializeChannel } from '../../channel/serialize.ts';
import type { ChannelState } from '../../channel/state.ts';
import { sha256 } from '../../crypto/primitives.ts';
import type { DaemonEnv, Remote } from '../../node/daemon.ts';
import {
  buildSpend,
  checkFunded,
  classifyClose,
  IRREVOCABLE_DEPTH,
  OnchainError,
  Resolution,
  stubsOf,
  trackClose,
  type Close,
  type Destination,
  type HtlcStub,
  type Learned,
  type Watched,
  worthReplacing,
} from '../../onchain/index.ts';
import type { OnchainOutputStatus, OnchainStatus, OnchaindDaemonApi, OnchaindInit, OnchaindUses } from './interface.ts';

function parseRaw(raw: unknown, what: string): Transaction {
  if (!(raw instanceof Uint8Array)) throw new OnchainError('bad_init', `${what} must be a Uint8Array`);
  try {
    return Transaction.fromRaw(raw, TX_OPTS);
  } catch (e) {
    throw new OnchainError('bad_tx', `${what} does not parse (${(e as Error).message})`);
  }
}

function checkInit(init: OnchaindInit): void {
  const height = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!init || typeof init.channel !== 'string' || !height(init.height) || !height(init.tip) || init.tip < init.height) {
    throw new OnchainError('bad_init', 'onchaind: channel, height and tip (>= height) are required');
  }
  if (!Number.isSafeInteger(init.feeratePerKw) || init.feeratePerKw < 253) {
    throw new OnchainError('bad_init', 'onchaind: feeratePerKw must be an integer of at least 253');
  }
  if (!init.destination || !(init.destination.script instanceof Uint8Array)) {
    throw new OnchainError('bad_init', 'onchaind: destination must name a wallet key and its script');
  }
  if (init.irrevocableDepth !== undefined && (!Number.isSafeInteger(init.irrevocableDepth) || init.irrevocableDepth < 1)) {
    throw new OnchainError('bad_init', 'onchaind: irrevocableDepth must be a positive integer');
  }
  if (init.reasonableDepth !== undefined && (!Number.isSafeInteger(init.reasonableDepth) || init.reasonableDepth < 1)) {
    throw new OnchainError('bad_init', 'onchaind: reasonableDepth must be a positive integer');
  }
}

/** Its links as it receives them: each far end across a port. */
type Links = { hsm: Remote<OnchaindUses['hsm']>; events: Remote<OnchaindUses['events']> };

/** Core Lightning fails an HTLC we offered upstream once its timeout is 3 blocks deep. */
const REASONABLE_DEPTH = 3;

export class Onchaind {
  readonly #uses: Links;
  readonly #env: DaemonEnv;
  readonly #state: ChannelState;
  readonly #close: Close;
  readonly #res: Resolution;
  readonly #destination: Destination;
  readonly #preimages = new Map<string, Uint8Array>();
  #feeratePerKw: number;
  #reportedResolved = false;
  /** Our offered HTLCs in the state, and those already reported failed. */
  readonly #offered: HtlcStub[];
  readonly #reasonableDepth: number;
  readonly #failed = new Set<string>();
  /** One event at a time: each block's actions finish before the next block's begin. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(uses: Links, env: DaemonEnv, state: ChannelState, close: Close, res: Resolution, init: OnchaindInit) {
    this.#uses = uses;
    this.#env = env;
    this.#state = state;
    this.#close = close;
    this.#res = res;
    this.#destination = { index: init.destination.index, type: init.destination.type, script: init.destination.script };
    this.#feeratePerKw = init.feeratePerKw;
    this.#reasonableDepth = init.reasonableDepth ?? REASONABLE_DEPTH;
    // A commitment from a state we lost holds HTLC outputs we cannot read: the peer may still claim
    // ours there with the preimage, so none is failed upstream as missing.
    this.#offered = close.kind === 'future' ? [] : stubsOf(state).filter(h => h.offeredByUs);
    for (const p of init.preimages ?? []) this.#preimages.set(toHex(sha256(p)), p);
  }

  /** Classifies the spend, watches its outputs, replays what lightningd saw before a restart, and acts. */
  static async start(init: OnchaindInit, uses: Links, env: DaemonEnv): Promise<Onchaind> {
    checkInit(init);
    let state: ChannelState;
    try {
      state = deserializeChannel(init.channel);
    } catch (e) {
      throw new OnchainError('bad_init', `onchaind: the channel state does not parse (${(e as Error).message})`);
    }
    const tx = parseRaw(init.spendingTx, 'spendingTx');
    const localPoint = await uses.hsm.getPerCommitmentPoint(state.localCommit.index);
    const close = classifyClose(state, tx, localPoint);
    const outputs = Array.from({ length: tx.outputsLength }, (_, i) => {
      const o = tx.getOutput(i);
      return { script: o.script!, amount: o.amount! };
    });
    const tracked = trackClose(state, close, { txid: tx.id, outputs }, stubsOf(state, init.htlcs));
    const res = new Resolution({ txid: tx.id, height: init.height }, tracked, init.irrevocableDepth ?? IRREVOCABLE_DEPTH, init.tip);
    const o = new Onchaind(uses, env, state, close, res, init);
    env.log.info(`onchaind: ${tx.id} is a ${close.kind} close; ${tracked.filter(t => t.plan).length} outputs to spend`);
    await uses.events.watch(res.watching());
    await o.#run(async () => {
      for (const s of init.spends ?? []) await o.#learn(o.#res.spend(parseRaw(s.tx, 'spends[].tx'), s.height));
      await o.#act();
    });
    return o;
  }

  readonly api: OnchaindDaemonApi = {
    block: b =>
      this.#run(async () => {
        if (!b || !Number.isSafeInteger(b.height) || b.height < 0 || !Array.isArray(b.spends)) {
          throw new OnchainError('bad_block', 'block: height and spends are required');
        }
        if (b.feeratePerKw !== undefined && Number.isSafeInteger(b.feeratePerKw) && b.feeratePerKw >= 253) {
          this.#feeratePerKw = b.feeratePerKw;
        }
        this.#res.block(b.height);
        for (const raw of b.spends) await this.#learn(this.#res.spend(parseRaw(raw, 'spends[]'), b.height));
        await this.#act();
        return this.status();
      }),
    preimage: p =>
      this.#run(async () => {
        if (!(p instanceof Uint8Array) || p.length !== 32) throw new OnchainError('bad_preimage', 'a preimage is 32 bytes');
        this.#preimages.set(toHex(sha256(p)), p);
        await this.#act();
        return this.status();
      }),
    status: () => this.status(),
  };

  #run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.catch(() => undefined).then(fn);
    this.#queue = next;
    return next;
  }

  async #learn(l: Learned): Promise<void> {
    for (const p of l.preimages) {
      const key = toHex(p.paymentHash);
      if (this.#preimages.has(key)) continue;
      this.#preimages.set(key, p.preimage);
      this.#env.log.info(`onchaind: the peer revealed the preimage of ${key} on chain`);
      await this.#uses.events.preimage(p);
    }
    if (l.added.length) await this.#uses.events.watch(l.added.map(w => ({ txid: w.txid, vout: w.vout })));
  }

  /** Signs what became valid, broadcasts each spend of ours still unconfirmed, and reports the end. */
  async #act(): Promise<void> {
    const due = this.#res.due(h => this.#preimages.has(toHex(h)));
    for (const w of due) {
      try {
        const stale = w.ours?.feeratePerKw !== undefined && worthReplacing(w.ours.feeratePerKw, this.#feeratePerKw);
        if ((!w.ours || stale) && !(await this.#build(w))) continue;
        await this.#uses.events.broadcast(w.ours!.raw);
      } catch (e) {
        // A refusal (not valid yet, a conflict, hsmd's) costs this output this block only.
        this.#env.log.warn(`onchaind: spending ${w.txid}:${w.vout} (${w.kind}): ${(e as Error).message}`);
      }
    }
    for (const h of this.#res.failedHtlcs(this.#offered, this.#reasonableDepth)) {
      const key = `${toHex(h.paymentHash)}:${h.cltvExpiry}:${h.id ?? ''}`;
      if (this.#failed.has(key)) continue;
      this.#failed.add(key);
      await this.#uses.events.htlcFailed(h);
    }
    if (!this.#reportedResolved && this.#res.done()) {
      this.#reportedResolved = true;
      await this.#uses.events.resolved(this.status());
    }
  }

  /** Builds and signs our spend of `w`; false when it is not worth its fee. */
  async #build(w: Watched): Promise<boolean> {
    const built = buildSpend(w, {
      destination: this.#destination,
      feeratePerKw: this.#feeratePerKw,
      preimage: w.htlc ? this.#preimages.get(toHex(w.htlc.paymentHash)) : undefined,
      paymentBasepoint: this.#state.params.local.basepoints.paymentBasepoint,
    });
    if (!built) {
      // Not worth it at the new feerate: the spend already sent stands.
      if (w.ours) return true;
      w.uneconomical = true;
      this.#env.log.info(`onchaind: ${w.txid}:${w.vout} (${w.amount} sat) is not worth its fee; left`);
      return false;
    }
    if (!built.needsFee) {
      const { signature } = await this.#uses.hsm.signSweep(built.request);
      const replaced = w.ours ? [...w.ours.replaced, w.ours.txid] : [];
      // Our HTLC transactions' fee is the one the peer signed: only sweeps are replaced at a new feerate.
      const feeratePerKw = w.plan!.htlcTx ? undefined : this.#feeratePerKw;
      w.ours = { txid: built.tx.id, raw: built.finish(signature), replaced, ...(feeratePerKw ? { feeratePerKw } : {}) };
      return true;
    }
    // option_anchors: our zero-fee HTLC transaction gets a wallet input and change from lightningd.
    const raw = await this.#uses.events.fund({
      tx: built.tx.unsignedTx,
      inputWitnessWeight: built.witnessWeight,
      feeratePerKw: this.#feeratePerKw,
    });
    const funded = checkFunded(built.tx, raw, this.#destination);
    const { signature } = await this.#uses.hsm.signSweep({ ...built.request, tx: funded.unsignedTx });
    w.ours = { txid: funded.id, raw: built.finish(signature, funded.unsignedTx), replaced: [] };
    return true;
  }

  status(): OnchainStatus {
    const res = this.#res;
    const outputs = res.outputs.map((w): OnchainOutputStatus => {
      const state = res.isResolved(w)
        ? 'resolved'
        : w.spent
          ? 'spent'
          : !w.plan || w.uneconomical
            ? 'theirs'
            : w.ours
              ? 'broadcast'
              : 'pending';
      return {
        txid: w.txid,
        vout: w.vout,
        amount: w.amount,
        kind: w.kind,
        state,
        ...(w.spent ? { spentBy: w.spent.txid } : {}),
        ...(w.htlc ? { paymentHash: toHex(w.htlc.paymentHash) } : {}),
      };
    });
    const c = this.#close;
    return {
      close: c.kind,
      ...(c.kind !== 'mutual' ? { commitmentNumber: c.commitmentNumber } : {}),
      tip: res.tip,
      outputs,
      resolved: res.done(),
    };
  }
}
