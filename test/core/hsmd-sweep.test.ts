// hsmd's checks on onchaind's spends (src/core/daemons/hsmd/channel-sweep.ts): each kind signs what
// BOLT 5 lets us take and refuses the rest, signing nothing: outputs that do not all pay the wallet
// key named, a sequence below the script's CSV, a script that does not hold the key asked for, an
// HTLC transaction of ours whose output 0 is not our delayed script, and any spend on a commitment
// of ours that we revoked.
import { Transaction } from '@scure/btc-signer';

import { TX_OPTS, commitmentSecret, p2wsh } from '../../src/core/bolt3/index.ts';
import { buildFor } from '../../src/core/channel/index.ts';
import { HsmError, type SweepRequest } from '../../src/core/daemons/hsmd/hsmd.ts';
import { deepEqual, ok, rejects, throws } from '../support/assert.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { secretsOf } from './channel-fixture.ts';
import { DBID, PEER, walletOut } from './hsmd-channel-fixture.ts';
import { closing, pointA, signedB, type Closing } from './onchain-fixture.ts';

const DEST = { index: 5, type: 'p2wpkh' as const };

function txTo(x: Closing, o: { sequence?: number; outputs?: Uint8Array[] } = {}): Uint8Array {
  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  tx.addInput({ txid: new Uint8Array(32).fill(3), index: 0, sequence: o.sequence ?? 0xfffffffd });
  for (const script of o.outputs ?? [walletOut(x.hsmd, 5)]) tx.addOutput({ script, amount: 10_000n });
  return tx.unsignedTx;
}

describe('hsmd: onchaind’s sweeps', () => {
  let x: Closing;
  let xa: Closing;
  before(async () => {
    x = await closing({ cltvBase: 500 });
    xa = await closing({ cltvBase: 500, anchors: true });
  });
  const sign = (c: Closing, req: SweepRequest) => c.hsmd.signSweep(PEER, DBID, req);
  const base = (tx: Uint8Array) => ({ tx, input: 0, amount: 20_000n, destination: DEST });

  it('to_remote: to the wallet only; with option_anchors not before its 1-block CSV', async () => {
    ok((await sign(x, { ...base(txTo(x)), kind: 'to_remote' })).signature.length === 64);
    const elsewhere = p2wsh(new Uint8Array([0x51]));
    await rejects(
      sign(x, { ...base(txTo(x, { outputs: [walletOut(x.hsmd, 5), elsewhere] })), kind: 'to_remote' }),
      HsmError,
      'not_to_wallet',
    );
    await rejects(sign(x, { ...base(txTo(x, { outputs: [walletOut(x.hsmd, 6)] })), kind: 'to_remote' }), HsmError, 'not_to_wallet');
    await rejects(sign(xa, { ...base(txTo(xa, { sequence: 0 })), kind: 'to_remote' }), HsmError, 'bad_sequence');
    ok(await sign(xa, { ...base(txTo(xa, { sequence: 1 })), kind: 'to_remote' }));
  });

  it('a recovered channel’s to_remote (no state in hsmd): the same key and script as the channel’s, the same refusals', async () => {
    for (const [c, anchors, sequence] of [
      [x, false, 0xfffffffd],
      [xa, true, 1],
    ] as const) {
      const req = { ...base(txTo(c, { sequence })), kind: 'to_remote' as const };
      // hsmd derives the key from (peer, dbid) alone: what it signs is what the channel's own sweep signs.
      const ours = c.hsmd.signRecoveredToRemote(PEER, DBID, { ...req, anchors });
      deepEqual(ours, await sign(c, req));
      // Another dbid is another channel's key.
      ok(toHex(c.hsmd.signRecoveredToRemote(PEER, DBID + 1n, { ...req, anchors }).signature) !== toHex(ours.signature));
      const elsewhere = { ...base(txTo(c, { sequence, outputs: [p2wsh(new Uint8Array([0x51]))] })), kind: 'to_remote' as const };
      throws(() => c.hsmd.signRecoveredToRemote(PEER, DBID, { ...elsewhere, anchors }), HsmError, 'not_to_wallet');
    }
    const early = { ...base(txTo(xa, { sequence: 0 })), kind: 'to_remote' as const, anchors: true };
    throws(() => xa.hsmd.signRecoveredToRemote(PEER, DBID, early), HsmError, 'bad_sequence');
    throws(() => x.hsmd.signRecoveredToRemote(PEER, DBID, { ...early, kind: 'anchor' } as never), HsmError, 'bad_request');
  });

  it('HTLC scripts: only one that holds our HTLC key (remote_htlc) or the revocation key (revoked_htlc)', async () => {
    const s = x.b.state;
    const rc = s.remoteCommit;
    const built = buildFor(s.params, 'remote', rc.spec, rc.index, rc.perCommitmentPoint);
    const htlc = built.commitment.outputs.find(o => o.htlc)!.witnessScript!;
    const req = { ...base(txTo(x)), kind: 'remote_htlc' as const, perCommitmentPoint: rc.perCommitmentPoint, witnessScript: htlc };
    ok(await sign(x, req));
    await rejects(sign(x, { ...req, perCommitmentPoint: pointA(rc.index + 1n) }), HsmError, 'not_our_output');
    const n = x.revokedA.localCommit.index;
    const old = buildFor(x.revokedA.params, 'local', x.revokedA.localCommit.spec, n, pointA(n));
    const revokedHtlc = old.commitment.outputs.find(o => o.htlc)!.witnessScript!;
    const secret = commitmentSecret(secretsOf('A').seed, n);
    const r = { ...base(txTo(x)), kind: 'revoked_htlc' as const, perCommitmentSecret: secret, witnessScript: revokedHtlc };
    ok(await sign(x, r));
    await rejects(sign(x, { ...r, perCommitmentSecret: commitmentSecret(secretsOf('A').seed, n - 1n) }), HsmError, 'not_our_output');
  });

  it('our HTLC transaction: output 0 must be our delayed script; never on a commitment of ours we revoked', async () => {
    const { built } = await signedB(x);
    const n = x.b.state.localCommit.index;
    const h = built.htlcTxs[0]!;
    const req = {
      ...base(h.htlcTx.tx.unsignedTx),
      amount: h.amount,
      kind: 'local_htlc' as const,
      commitmentNumber: n,
      witnessScript: h.witnessScript,
    };
    ok(await sign(x, req));
    // The same HTLC transaction paying its output elsewhere.
    const moved = Transaction.fromRaw(h.htlcTx.tx.unsignedTx, TX_OPTS);
    moved.updateOutput(0, { script: walletOut(x.hsmd, 5) }, true);
    await rejects(sign(x, { ...req, tx: moved.unsignedTx }), HsmError, 'bad_tx');
    // Commitment n - 1 of ours was revoked: neither its HTLC transactions nor its to_local are signed.
    await rejects(sign(x, { ...req, commitmentNumber: n - 1n }), HsmError, 'revoked');
    await rejects(sign(x, { ...base(txTo(x, { sequence: 144 })), kind: 'delayed', commitmentNumber: n - 1n }), HsmError, 'revoked');
    await rejects(sign(x, { ...base(txTo(x, { sequence: 143 })), kind: 'delayed', commitmentNumber: n }), HsmError, 'bad_sequence');
  });

  it('our anchor: to the wallet (the CPFP child’s change)', async () => {
    ok(await sign(xa, { ...base(txTo(xa)), amount: 330n, kind: 'anchor' }));
    await rejects(
      sign(xa, { ...base(txTo(xa, { outputs: [p2wsh(new Uint8Array([0x51]))] })), amount: 330n, kind: 'anchor' }),
      HsmError,
      'not_to_wallet',
    );
  });
});
