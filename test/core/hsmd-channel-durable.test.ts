// hsmd's channel state is durable before its answer leaves: a revealed secret is on the store
// before hsmd returns it; a write that fails returns nothing and stops that channel until hsmd
// reads its store again; a crash after the write (with or without the answer) leaves a restarted
// hsmd knowing the commitment was revoked.
import { commitmentSecret } from '../../src/core/bolt3/index.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { buildFor, htlcInputs, sendCommit } from '../../src/core/channel/index.ts';
import { nextLocalSpec } from '../../src/core/channel/views.ts';
import { Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import type { StoredChannelRecord } from '../../src/core/daemons/hsmd/interface.ts';
import { channelSecrets } from '../../src/core/keys/derive.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { addFromA, DBID, hsmdPair, localCommitmentOf, MemoryChannelStore, PEER, SEED, type HsmdPair } from './hsmd-channel-fixture.ts';

const KEY = `${toHex(PEER)}/${DBID}`;
const secret0 = () => commitmentSecret(channelSecrets(SEED, PEER, DBID).shachain_seed, 0n);

/** A store whose writes can fail before writing, or land and then fail (a crash after the write), or wait at a gate. */
class FaultyStore extends MemoryChannelStore {
  mode: 'ok' | 'fail_before' | 'fail_after' = 'ok';
  gate: Promise<void> | undefined;
  onSave: (() => void) | undefined;
  override async save(key: string, record: StoredChannelRecord): Promise<void> {
    this.onSave?.();
    if (this.gate) await this.gate;
    if (this.mode === 'fail_before') throw new Error('disk full');
    await super.save(key, record);
    if (this.mode === 'fail_after') throw new Error('crashed after the write');
  }
}

/** A adds an HTLC and signs B's commitment 1; hsmd validates it (what B's receiveCommit does before revealing 0). */
async function validateOne(p: HsmdPair): Promise<void> {
  await addFromA(p);
  const c = await sendCommit(p.a.state, p.a.signer);
  p.a.state = c.state;
  const m = c.messages[0]!;
  const built = buildFor(p.b.state.params, 'local', nextLocalSpec(p.b.state), 1n, await p.link.getPerCommitmentPoint(1n));
  await p.link.validateCommitment({
    commitmentNumber: 1n,
    tx: built.commitment.tx.unsignedTx,
    signature: m.signature,
    htlcs: htlcInputs(built).map(h => ({ tx: h.tx.unsignedTx, witnessScript: h.witnessScript, amount: h.amount })),
    htlcSignatures: m.htlc_signature,
  });
}

describe('hsmd channel state: durable before the answer', () => {
  it('a secret leaves hsmd only after its reveal is written', async () => {
    const store = new FaultyStore();
    const p = await hsmdPair(new Hsmd(SEED, store));
    await validateOne(p);
    let release!: () => void;
    let saving!: () => void;
    const inFlight = new Promise<void>(r => (saving = r));
    store.gate = new Promise<void>(r => (release = r));
    store.onSave = saving;
    let answered = false;
    const reveal = p.link.revokeCommitment(0n).then(s => ((answered = true), s));
    await inFlight;
    equal(answered, false, 'no answer while the write is in flight');
    ok(!store.data.get(KEY)!.includes('"revealed"'));
    release();
    deepEqual(await reveal, secret0());
    ok(store.data.get(KEY)!.includes('"revealed":"0"'), 'the reveal is in the store');
  });

  it('a failed write returns no secret, and the channel is refused until hsmd reads its store again', async () => {
    const store = new FaultyStore();
    const hsmd = new Hsmd(SEED, store);
    const p = await hsmdPair(hsmd);
    await validateOne(p);
    store.mode = 'fail_before';
    await rejects(p.link.revokeCommitment(0n), HsmError, 'store_failed');
    store.mode = 'ok';
    await rejects(p.link.revokeCommitment(0n), HsmError, 'store_failed');
    await rejects(p.link.getPerCommitmentPoint(2n), HsmError, 'store_failed');
    // Another channel of the same hsmd is not affected.
    await rejects(hsmd.revokeCommitment(PEER, DBID + 1n, 0n), HsmError, 'not_replaced');
    // A restarted hsmd reads the store (the reveal never landed) and goes on.
    const again = new Hsmd(SEED, store);
    deepEqual(await again.revokeCommitment(PEER, DBID, 0n), secret0());
  });

  for (const how of [
    'the write landed, then the process died before answering',
    'the write and the answer both happened, then the process died',
  ]) {
    it(`a reveal is never forgotten: ${how}`, async () => {
      const store = new FaultyStore();
      const p = await hsmdPair(new Hsmd(SEED, store));
      const c0 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
      await validateOne(p);
      if (how.startsWith('the write landed')) {
        store.mode = 'fail_after';
        await rejects(p.link.revokeCommitment(0n), HsmError, 'store_failed');
        store.mode = 'ok';
      } else {
        deepEqual(await p.link.revokeCommitment(0n), secret0());
      }
      // Restart: a new hsmd over what the store holds.
      const restarted = new Hsmd(SEED, store);
      await rejects(restarted.signLocalCommitment(PEER, DBID, c0), HsmError, 'revoked');
      // The reveal may be retransmitted (the peer may not have it): the same secret.
      deepEqual(await restarted.revokeCommitment(PEER, DBID, 0n), secret0());
      await rejects(restarted.revokeCommitment(PEER, DBID, 1n), HsmError, 'not_replaced');
    });
  }

  it('without the reveal written, a restarted hsmd still signs commitment 1 (the latest), never 0', async () => {
    const store = new FaultyStore();
    const p = await hsmdPair(new Hsmd(SEED, store));
    const c0 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
    await validateOne(p);
    const restarted = new Hsmd(SEED, store);
    // 0 is no longer the latest validated commitment: not signed for broadcast even unrevoked.
    await rejects(restarted.signLocalCommitment(PEER, DBID, c0), HsmError, 'not_validated');
  });
});
