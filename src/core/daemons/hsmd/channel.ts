// hsmd as a channel's validating signer (Core Lightning's hsmd_get_per_commitment_point,
// hsmd_sign_remote_commitment_tx, hsmd_sign_remote_htlc_tx, hsmd_validate_commitment_tx,
// hsmd_revoke_commitment_tx, hsmd_sign_commitment_tx, hsmd_sign_mutual_close_tx, and the
// onchaind sweeps), each keyed by (peer_id, dbid). It checks each transaction against the channel
// it was set up with, keeps the commitment numbers it has validated, revealed and signed, and writes
// them to the runtime's store (durably) before the answer that depends on them leaves hsmd. Refused:
// revealing the secret of a commitment not yet replaced (the peer could then take everything);
// signing for broadcast a commitment already revoked (or revoking one signed for broadcast); signing
// a close that pays us less than the channel owes us (channel-close.ts).
import type { Transaction } from '@scure/btc-signer';
import { toHex } from '../../base/bytes.ts';
import {
  commitmentSecret,
  derFromCompact,
  derivePrivkey,
  derivePubkey,
  htlcSighashType,
  p2wsh,
  pubkeyOf,
  revocationPubkey,
  SIGHASH_ALL,
  signCompact,
  toLocalScript,
  verifyInput,
} from '../../bolt3/index.ts';
import { point } from '../../bolt3/ec.ts';
import { signDigest } from '../../crypto/primitives.ts';
import type { ChannelSecrets } from '../../keys/derive.ts';
import {
  asHsmError,
  bytes,
  checkCommitmentNumber,
  commitmentNumberIn,
  checkSpendsFunding,
  commitmentNumber,
  fundingScriptOf,
  ourPoint,
  paidTo,
  parseTx,
  type RawInput,
} from './channel-checks.ts';
import { checkChannelAnnouncement, type AnnouncementSignatures } from './channel-announce.ts';
import { checkMutualClose, type MutualCloseRequest } from './channel-close.ts';
import { sweepScriptAndKey, type SweepRequest } from './channel-sweep.ts';
import { channelKey, decodeRecord, encodeRecord, type ChannelRecord, type ChannelSetup, type HsmChannelStore } from './channel-state.ts';
import { HsmError } from './secret.ts';

export type { RawInput } from './channel-checks.ts';

/** Our commitment as the peer signed it (BOLT 2 commitment_signed, or funding_signed for number 0). */
export interface HolderCommitment {
  commitmentNumber: bigint;
  /** The unsigned commitment transaction. */
  tx: Uint8Array;
  /** The peer's compact signature on its funding input. */
  signature: Uint8Array;
  /** Our HTLC transactions, in the order of the commitment's HTLC outputs, and the peer's signatures on them. */
  htlcs: RawInput[];
  htlcSignatures: Uint8Array[];
}

/** The remote's HTLC transactions on its commitment with `perCommitmentPoint`. */
export interface RemoteHtlcs {
  perCommitmentPoint: Uint8Array;
  htlcs: RawInput[];
  sighashType: number;
}

type Handler<T> = (rec: ChannelRecord, s: ChannelSecrets, commit: (next: ChannelRecord) => Promise<void>) => T | Promise<T>;

function checkSetup(v: ChannelSetup): ChannelSetup {
  const u16 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
  if (
    !v ||
    typeof v.isOpener !== 'boolean' ||
    typeof v.anchors !== 'boolean' ||
    typeof v.fundingTxid !== 'string' ||
    !/^[0-9a-f]{64}$/i.test(v.fundingTxid) ||
    !Number.isInteger(v.fundingOutputIndex) ||
    v.fundingOutputIndex < 0 ||
    v.fundingOutputIndex > 0xffff ||
    typeof v.fundingSatoshis !== 'bigint' ||
    v.fundingSatoshis <= 0n ||
    v.fundingSatoshis > 21_000_000n * 100_000_000n ||
    !u16(v.holderToSelfDelay) ||
    !u16(v.counterpartyToSelfDelay) ||
    !v.remoteBasepoints
  ) {
    throw new HsmError('bad_request', 'setupChannel: a malformed channel setup');
  }
  const b = v.remoteBasepoints;
  const points = [v.remoteFundingPubkey, b.revocationBasepoint, b.paymentBasepoint, b.delayedPaymentBasepoint, b.htlcBasepoint];
  for (const p of points) asHsmError('setupChannel', () => point(bytes(p, 33, 'setupChannel: a remote key')));
  return {
    isOpener: v.isOpener,
    fundingTxid: v.fundingTxid.toLowerCase(),
    fundingOutputIndex: v.fundingOutputIndex,
    fundingSatoshis: v.fundingSatoshis,
    anchors: v.anchors,
    remoteFundingPubkey: v.remoteFundingPubkey.slice(),
    remoteBasepoints: {
      revocationBasepoint: b.revocationBasepoint.slice(),
      paymentBasepoint: b.paymentBasepoint.slice(),
      delayedPaymentBasepoint: b.delayedPaymentBasepoint.slice(),
      htlcBasepoint: b.htlcBasepoint.slice(),
    },
    holderToSelfDelay: v.holderToSelfDelay,
    counterpartyToSelfDelay: v.counterpartyToSelfDelay,
  };
}

function setupOf(rec: ChannelRecord, what: string): ChannelSetup {
  if (!rec.setup) throw new HsmError('no_setup', `${what}: the channel was not set up in hsmd`);
  return rec.setup;
}

export class HsmChannels {
  readonly #store: HsmChannelStore;
  readonly #secrets: (peerId: Uint8Array, dbid: bigint) => ChannelSecrets;
  readonly #walletPub: (index: number) => Uint8Array;
  #records: Promise<Map<string, ChannelRecord>> | undefined;
  /** Per channel: the tail of its queue (one request at a time, so check-then-write is atomic). */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Channels whose last write failed: what the store holds is unknown until hsmd restarts. */
  readonly #unsure = new Set<string>();

  constructor(
    store: HsmChannelStore,
    secrets: (peerId: Uint8Array, dbid: bigint) => ChannelSecrets,
    walletPub: (index: number) => Uint8Array,
  ) {
    this.#store = store;
    this.#secrets = secrets;
    this.#walletPub = walletPub;
  }

  #load(): Promise<Map<string, ChannelRecord>> {
    this.#records ??= this.#store.load().then(all => new Map(Object.entries(all ?? {}).map(([k, v]) => [k, decodeRecord(k, v)])));
    // A failed load is not cached: the next request reads the store again.
    this.#records.catch(() => (this.#records = undefined));
    return this.#records;
  }

  /** Runs `fn` on the channel's record, alone; `commit` makes a new record durable, then current. */
  #run<T>(peerId: unknown, dbid: unknown, what: string, fn: Handler<T>): Promise<T> {
    bytes(peerId, 33, `${what}: peer_id`);
    if (typeof dbid !== 'bigint' || dbid < 0n || dbid >= 1n << 64n) throw new HsmError('bad_request', `${what}: dbid must be a u64`);
    const key = channelKey(peerId as Uint8Array, dbid);
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        if (this.#unsure.has(key)) {
          throw new HsmError('store_failed', `${what}: an earlier write of this channel's state failed; restart hsmd`);
        }
        const records = await this.#load();
        const s = this.#secrets(peerId as Uint8Array, dbid);
        try {
          return await fn(records.get(key) ?? {}, s, async rec => {
            try {
              await this.#store.save(key, encodeRecord(rec));
            } catch (e) {
              // The write may or may not have landed: refuse this channel until the store is read again.
              this.#unsure.add(key);
              throw new HsmError('store_failed', `${what}: hsmd could not store the channel's state (${(e as Error).message})`);
            }
            records.set(key, rec);
          });
        } finally {
          for (const k of Object.values(s)) k.fill(0);
        }
      });
    this.#queues.set(key, next);
    void next
      .finally(() => {
        if (this.#queues.get(key) === next) this.#queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  /** Core Lightning's hsmd_setup_channel: the channel's shape, once (the same setup again is fine). */
  setupChannel(peerId: Uint8Array, dbid: bigint, setup: ChannelSetup): Promise<void> {
    return this.#run(peerId, dbid, 'setupChannel', async (rec, _s, commit) => {
      const v = checkSetup(setup);
      if (rec.setup) {
        if (JSON.stringify(encodeRecord({ setup: v })) !== JSON.stringify(encodeRecord({ setup: rec.setup }))) {
          throw new HsmError('already_setup', 'setupChannel: the channel was set up differently');
        }
        return;
      }
      await commit({ ...rec, setup: v });
    });
  }

  /** BOLT 3 per_commitment_point of our commitment `n` (public: any n). */
  getPerCommitmentPoint(peerId: Uint8Array, dbid: bigint, n: bigint): Promise<Uint8Array> {
    return this.#run(peerId, dbid, 'getPerCommitmentPoint', (_rec, s) => ourPoint(s, commitmentNumber(n, 'getPerCommitmentPoint: n')));
  }

  /**
   * Our signature on the funding input of the remote's commitment `commitmentNumber` (BOLT 2
   * funding_created/funding_signed, commitment_signed). hsmd uses its own funding script and
   * amount, not the caller's; the remote commitments it signs only go forward, one at a time.
   */
  signRemoteCommitment(peerId: Uint8Array, dbid: bigint, req: { commitmentNumber: bigint; tx: Uint8Array }): Promise<Uint8Array> {
    const what = 'signRemoteCommitment';
    return this.#run(peerId, dbid, what, async (rec, s, commit) => {
      const setup = setupOf(rec, what);
      if (rec.closing) throw new HsmError('closing', `${what}: a mutual close was signed for this channel`);
      const n = commitmentNumber(req?.commitmentNumber, `${what}: commitmentNumber`);
      const tx = parseTx(req.tx, `${what}: tx`);
      checkSpendsFunding(tx, setup, what);
      checkCommitmentNumber(tx, setup, s, n, what);
      if (rec.remoteSigned !== undefined && n < rec.remoteSigned) {
        throw new HsmError('stale_commitment', `${what}: remote commitment ${rec.remoteSigned} was signed already`);
      }
      if (rec.remoteSigned !== undefined && n > rec.remoteSigned + 1n) {
        throw new HsmError('skipped_commitment', `${what}: commitment ${n} skips ${rec.remoteSigned + 1n}`);
      }
      if (rec.remoteSigned !== n) await commit({ ...rec, remoteSigned: n });
      return signFunding(tx, setup, s);
    });
  }

  /**
   * Our signatures on the remote's HTLC transactions (BOLT 3 "HTLC-timeout and HTLC-success
   * Transactions"), with our HTLC key for the remote's `perCommitmentPoint`: only with the sighash
   * type BOLT 3 gives our signature there, and only on scripts that hold that key.
   */
  signRemoteHtlcs(peerId: Uint8Array, dbid: bigint, req: RemoteHtlcs): Promise<Uint8Array[]> {
    const what = 'signRemoteHtlcs';
    return this.#run(peerId, dbid, what, (rec, s) => {
      const setup = setupOf(rec, what);
      if (req?.sighashType !== htlcSighashType(setup.anchors, true)) {
        throw new HsmError('bad_sighash', `${what}: this channel's HTLC signatures use sighash ${htlcSighashType(setup.anchors, true)}`);
      }
      const pcp = bytes(req.perCommitmentPoint, 33, `${what}: perCommitmentPoint`);
      const key = asHsmError(what, () => derivePrivkey(s.htlc_basepoint_secret, pcp));
      const pub = toHex(pubkeyOf(key));
      if (!Array.isArray(req.htlcs)) throw new HsmError('bad_request', `${what}: htlcs must be an array`);
      const inputs = req.htlcs.map((h, i) => {
        const tx = parseTx(h?.tx, `${what}: htlc ${i}`);
        const script = bytes(h.witnessScript, undefined, `${what}: htlc ${i} witnessScript`);
        if (tx.inputsLength !== 1 || typeof h.amount !== 'bigint') throw new HsmError('bad_request', `${what}: htlc ${i} is malformed`);
        if (!toHex(script).includes(pub)) throw new HsmError('not_our_htlc', `${what}: htlc ${i}'s script does not hold our HTLC key`);
        return { tx, witnessScript: script, amount: h.amount };
      });
      try {
        return inputs.map(t => signCompact(t.tx, 0, t.witnessScript, t.amount, key, req.sighashType));
      } finally {
        key.fill(0);
      }
    });
  }

  /**
   * Our commitment `commitmentNumber` as the peer signed it: hsmd checks the peer's signatures
   * (BOLT 2 commitment_signed "A receiving node") with the keys it derives itself, and remembers
   * it as the commitment it may sign for broadcast. Our commitments go forward one at a time; the
   * same one again is fine (a retry after a crash), another with the same number is refused.
   */
  validateCommitment(peerId: Uint8Array, dbid: bigint, c: HolderCommitment): Promise<void> {
    const what = 'validateCommitment';
    return this.#run(peerId, dbid, what, async (rec, s, commit) => {
      const setup = setupOf(rec, what);
      const n = commitmentNumber(c?.commitmentNumber, `${what}: commitmentNumber`);
      const tx = parseTx(c.tx, `${what}: tx`);
      checkSpendsFunding(tx, setup, what);
      checkCommitmentNumber(tx, setup, s, n, what);
      if (rec.holder && n === rec.holder.number) {
        if (tx.id !== rec.holder.txid) throw new HsmError('conflicting_commitment', `${what}: another commitment ${n} was validated`);
        return;
      }
      if (rec.holder && n !== rec.holder.number + 1n) {
        throw new HsmError('out_of_order', `${what}: commitment ${n} after ${rec.holder.number}`);
      }
      const signature = bytes(c.signature, 64, `${what}: signature`);
      const fund = { script: fundingScriptOf(setup, s), amount: setup.fundingSatoshis };
      if (
        !verifies(() => verifyInput(tx, 0, fund.script, fund.amount, setup.remoteFundingPubkey, derFromCompact(signature), SIGHASH_ALL))
      ) {
        throw new HsmError('bad_signature', `${what}: the peer's signature does not sign commitment ${n}`);
      }
      const pcp = ourPoint(s, n);
      checkHtlcSignatures(c, tx, derivePubkey(setup.remoteBasepoints.htlcBasepoint, pcp), htlcSighashType(setup.anchors, true));
      // BOLT 3 "to_local Output": what this commitment pays us (0 when trimmed).
      const toLocal = toLocalScript(
        revocationPubkey(setup.remoteBasepoints.revocationBasepoint, pcp),
        setup.holderToSelfDelay,
        derivePubkey(pubkeyOf(s.delayed_payment_basepoint_secret), pcp),
      );
      await commit({ ...rec, holder: { number: n, txid: tx.id, toLocalSat: paidTo(tx, p2wsh(toLocal)) } });
    });
  }

  /**
   * Our per_commitment_secret for commitment `n` (BOLT 2 revoke_and_ack), only once commitment
   * n + 1 has been validated: never for the current commitment or a later one, and never for a
   * commitment signed for broadcast. Stored as revealed before it leaves.
   */
  revokeCommitment(peerId: Uint8Array, dbid: bigint, n: bigint): Promise<Uint8Array> {
    const what = 'revokeCommitment';
    return this.#run(peerId, dbid, what, async (rec, s, commit) => {
      commitmentNumber(n, `${what}: n`);
      if (!rec.holder || n >= rec.holder.number) {
        throw new HsmError('not_replaced', `${what}: commitment ${n} has not been replaced by a validated commitment`);
      }
      if (rec.broadcast !== undefined && n >= rec.broadcast) {
        throw new HsmError('broadcast', `${what}: commitment ${rec.broadcast} was signed for broadcast; it cannot be revoked`);
      }
      if (rec.revealed === undefined || n > rec.revealed) await commit({ ...rec, revealed: n });
      return commitmentSecret(s.shachain_seed, n);
    });
  }

  /**
   * Our signature on our own commitment, to broadcast it (a unilateral close): only the latest
   * validated one, never one whose secret was revealed. Remembered, so it is never revoked after.
   */
  signLocalCommitment(peerId: Uint8Array, dbid: bigint, rawTx: Uint8Array): Promise<Uint8Array> {
    const what = 'signLocalCommitment';
    return this.#run(peerId, dbid, what, async (rec, s, commit) => {
      const setup = setupOf(rec, what);
      const tx = parseTx(rawTx, `${what}: tx`);
      checkSpendsFunding(tx, setup, what);
      const n = commitmentNumberIn(tx, setup, s);
      if (n === undefined) throw new HsmError('wrong_number', `${what}: not a commitment transaction of this channel`);
      if (rec.revealed !== undefined && n <= rec.revealed) throw new HsmError('revoked', `${what}: commitment ${n} has been revoked`);
      if (!rec.holder || tx.id !== rec.holder.txid) throw new HsmError('not_validated', `${what}: not the latest validated commitment`);
      if (rec.broadcast !== n) await commit({ ...rec, broadcast: n });
      return signFunding(tx, setup, s);
    });
  }

  /** Core Lightning's hsmd_sign_mutual_close_tx, checked by channel-close.ts checkMutualClose. */
  signMutualClose(peerId: Uint8Array, dbid: bigint, req: MutualCloseRequest): Promise<Uint8Array> {
    const what = 'signMutualClose';
    return this.#run(peerId, dbid, what, async (rec, s, commit) => {
      const setup = setupOf(rec, what);
      const tx = checkMutualClose(req, setup, rec, this.#walletPub);
      if (!rec.closing) await commit({ ...rec, closing: true });
      return signFunding(tx, setup, s);
    });
  }

  /**
   * BOLT 7 announcement_signatures: our node's and our funding key's signatures on this channel's
   * channel_announcement, once channel-announce.ts found it describes this channel. `nodeSign`
   * signs with the node key (Hsmd holds it, not the channel store).
   */
  signChannelAnnouncement(
    peerId: Uint8Array,
    dbid: bigint,
    raw: Uint8Array,
    ourNodeId: Uint8Array,
    nodeSign: (digest: Uint8Array) => Uint8Array,
  ): Promise<AnnouncementSignatures> {
    const what = 'signChannelAnnouncement';
    return this.#run(peerId, dbid, what, (rec, s) => {
      const setup = setupOf(rec, what);
      const h = checkChannelAnnouncement(raw, { ourNodeId, peerId, ourFundingPubkey: pubkeyOf(s.funding_privkey), setup });
      return { nodeSignature: nodeSign(h), bitcoinSignature: signDigest(h, s.funding_privkey) };
    });
  }

  /** onchaind's sweeps to our wallet (channel-close.ts sweepScriptAndKey): our signature and the witness script it signs. */
  signSweep(peerId: Uint8Array, dbid: bigint, req: SweepRequest): Promise<{ signature: Uint8Array; witnessScript: Uint8Array }> {
    const what = 'signSweep';
    return this.#run(peerId, dbid, what, (rec, s) => {
      const { tx, input, witnessScript, key } = sweepScriptAndKey(req, setupOf(rec, what), rec, s, this.#walletPub);
      try {
        return { signature: signCompact(tx, input, witnessScript, req.amount, key, SIGHASH_ALL), witnessScript };
      } finally {
        key.fill(0);
      }
    });
  }
}

/** Our signature on the funding input (input 0, BOLT 3 funding witness): hsmd's own script and amount. */
function signFunding(tx: Transaction, setup: ChannelSetup, s: ChannelSecrets): Uint8Array {
  return signCompact(tx, 0, fundingScriptOf(setup, s), setup.fundingSatoshis, s.funding_privkey, SIGHASH_ALL);
}

function verifies(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/** BOLT 2: one htlc_signature per HTLC transaction, each spending an output of this commitment. */
function checkHtlcSignatures(c: HolderCommitment, commitment: Transaction, remoteHtlcPubkey: Uint8Array, type: number): void {
  const what = 'validateCommitment';
  if (!Array.isArray(c.htlcs) || !Array.isArray(c.htlcSignatures) || c.htlcs.length !== c.htlcSignatures.length) {
    throw new HsmError('htlc_signature_count', `${what}: one signature per HTLC transaction`);
  }
  c.htlcs.forEach((h, i) => {
    const tx = parseTx(h?.tx, `${what}: htlc ${i}`);
    const script = bytes(h.witnessScript, undefined, `${what}: htlc ${i} witnessScript`);
    const input = tx.inputsLength === 1 ? tx.getInput(0) : undefined;
    const spent =
      input?.txid && toHex(input.txid) === commitment.id && input.index !== undefined ? commitment.getOutput(input.index) : undefined;
    if (!spent?.script || toHex(spent.script) !== toHex(p2wsh(script)) || spent.amount !== h.amount) {
      throw new HsmError('not_our_htlc', `${what}: htlc ${i} does not spend an HTLC output of this commitment`);
    }
    const sig = bytes(c.htlcSignatures[i], 64, `${what}: htlc signature ${i}`);
    if (!verifies(() => verifyInput(tx, 0, script, h.amount, remoteHtlcPubkey, derFromCompact(sig), type))) {
      throw new HsmError('bad_htlc_signature', `${what}: htlc signature ${i} does not sign its HTLC transaction`);
    }
  });
}
