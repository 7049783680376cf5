// What hsmd signs for the chain, run through the regtest chain's script interpreter (bitcore-lib,
// src/regtest/scripts.ts): our commitment signed for broadcast (hsmd's funding signature with the
// peer's), our to_local swept after its delay, and the peer's revoked to_local taken with the
// revocation key (a penalty), each to the wallet. Node only: bitcore-lib is not loaded in browsers.
import { Transaction } from '@scure/btc-signer';
import {
  commitmentSecret,
  derFromCompact,
  fundingWitness,
  p2wsh,
  perCommitmentPoint,
  scriptSig,
  setWitness,
  SIGHASH_ALL,
  TX_OPTS,
  toLocalDelayedWitness,
  toLocalRevokedWitness,
  type Commitment,
} from '../../src/core/bolt3/index.ts';
import { buildFor } from '../../src/core/channel/index.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { equal, ok } from '../support/assert.ts';
import { dance, secretsOf } from '../core/channel-fixture.ts';
import {
  addFromA,
  DBID,
  FUNDING_SATOSHIS,
  hsmdPair,
  localCommitmentOf,
  MemoryChannelStore,
  PEER,
  SEED,
  walletOut,
} from '../core/hsmd-channel-fixture.ts';

const witnessSig = (compact: Uint8Array) => scriptSig(derFromCompact(compact), SIGHASH_ALL);

function verdict(tx: Transaction, prev: { script: Uint8Array; amount: bigint }): string | undefined {
  return bitcoreVerifier(decodeTx(tx.toBytes(true, true)), [{ value: prev.amount, script: prev.script }])?.reason;
}

/** A sweep of output `vout` of `c` to hsmd's wallet key 5, unsigned (raw) and as a Transaction to finish. */
function sweepOf(c: Commitment, vout: number, sequence: number, hsmd: Hsmd) {
  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  tx.addInput({ txid: c.tx.id, index: vout, sequence });
  tx.addOutput({ script: walletOut(hsmd, 5), amount: c.outputs[vout]!.amount - 600n });
  return tx;
}

describe("hsmd's channel signatures on chain (the regtest script interpreter)", () => {
  it('our commitment for broadcast, our delayed to_local, and a penalty on the peer’s revoked to_local', async () => {
    const hsmd = new Hsmd(SEED, new MemoryChannelStore());
    const p = await hsmdPair(hsmd);
    const pointA = (n: bigint) => perCommitmentPoint(commitmentSecret(secretsOf('A').seed, n));
    // A's commitment 0, revoked once the dance below is done.
    const a0 = buildFor(p.a.state.params, 'local', p.a.state.localCommit.spec, 0n, pointA(0n)).commitment;
    await addFromA(p);
    await dance(p.a, p.b);
    const bp = hsmd.channelBasepoints(PEER, DBID);

    // 1. B's commitment 1, with hsmd's signature and A's: a valid spend of the funding output.
    const b1 = (await localCommitmentOf(p.b)).commitment;
    const ours = await hsmd.signLocalCommitment(PEER, DBID, b1.tx.unsignedTx);
    const broadcast = Transaction.fromRaw(b1.tx.unsignedTx, TX_OPTS);
    setWitness(
      broadcast,
      0,
      fundingWitness(
        b1.fundingScript,
        { pubkey: bp.funding_pubkey, sig: witnessSig(ours) },
        { pubkey: p.b.state.params.remote.fundingPubkey, sig: witnessSig(p.b.state.localCommit.signature) },
      ),
    );
    equal(
      verdict(broadcast, { script: p2wsh(b1.fundingScript), amount: FUNDING_SATOSHIS }),
      undefined,
      'the commitment spends the funding output',
    );

    // 2. Our to_local on it, after A's to_self_delay (144).
    const i = b1.outputs.findIndex(o => o.kind === 'to_local');
    const delayed = sweepOf(b1, i, 144, hsmd);
    const d = await hsmd.signSweep(PEER, DBID, {
      kind: 'delayed',
      tx: delayed.unsignedTx,
      input: 0,
      amount: b1.outputs[i]!.amount,
      commitmentNumber: 1n,
      destination: { index: 5, type: 'p2wpkh' },
    });
    setWitness(delayed, 0, toLocalDelayedWitness(d.witnessScript, witnessSig(d.signature)));
    equal(verdict(delayed, b1.outputs[i]!), undefined, 'the delayed sweep');

    // 3. A's revoked commitment 0: its to_local taken with the secret A revealed.
    const j = a0.outputs.findIndex(o => o.kind === 'to_local');
    const penalty = sweepOf(a0, j, 0xffffffff, hsmd);
    const req = {
      kind: 'penalty' as const,
      tx: penalty.unsignedTx,
      input: 0,
      amount: a0.outputs[j]!.amount,
      perCommitmentSecret: commitmentSecret(secretsOf('A').seed, 0n),
      destination: { index: 5, type: 'p2wpkh' as const },
    };
    const pen = await hsmd.signSweep(PEER, DBID, req);
    setWitness(penalty, 0, toLocalRevokedWitness(pen.witnessScript, witnessSig(pen.signature)));
    equal(verdict(penalty, a0.outputs[j]!), undefined, 'the penalty');

    // A secret that is not the revealed one gives a key for another script: no spend.
    const wrong = await hsmd.signSweep(PEER, DBID, { ...req, perCommitmentSecret: commitmentSecret(secretsOf('A').seed, 1n) });
    const bad = sweepOf(a0, j, 0xffffffff, hsmd);
    setWitness(bad, 0, toLocalRevokedWitness(wrong.witnessScript, witnessSig(wrong.signature)));
    ok(verdict(bad, a0.outputs[j]!), 'refused by the interpreter');
  });
});
