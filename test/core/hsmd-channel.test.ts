// hsmd as a channel's validating signer: its signatures verify against the BOLT 3 keys of its own
// basepoints (the commitment dance runs with hsmd as one side), and each refusal of the validating
// signer is tried: revealing a secret of a commitment not replaced, signing a revoked commitment
// (or revoking one signed for broadcast), a close that pays us less than the channel owes us,
// transactions of another channel, stale or skipped commitment numbers, forged peer signatures.
import { Transaction } from '@scure/btc-signer';
import {
  commitmentSecret,
  derFromCompact,
  derivePubkey,
  p2wsh,
  perCommitmentPoint,
  SIGHASH_ALL,
  SIGHASH_SINGLE_ANYONECANPAY,
  TX_OPTS,
  verifyInput,
} from '../../src/core/bolt3/index.ts';
import { buildFor, fundingInput, htlcInputs, keySigner, sendAdd, sendCommit, type ChannelSigner } from '../../src/core/channel/index.ts';
import { nextLocalSpec } from '../../src/core/channel/views.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import { CHANNEL_CAPABILITIES, Hsmd, HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { channelSecrets } from '../../src/core/keys/derive.ts';
import type { Message } from '../../src/core/wire/messages.ts';
import { deepEqual, equal, ok, rejects, throws } from '../support/assert.ts';
import { commit, dance, deliver, secretsOf, type Node } from './channel-fixture.ts';
import {
  DBID,
  otherCommitment,
  FUNDING_SATOSHIS,
  FUNDING_TXID,
  hsmdPair,
  localCommitmentOf,
  MemoryChannelStore,
  PEER,
  SEED,
  setupB,
  spend,
  walletOut,
} from './hsmd-channel-fixture.ts';

const onion = new Uint8Array(1366).fill(7);

function add(n: Node, amountMsat: bigint, p = 1): Message[] {
  const r = sendAdd(n.state, { amountMsat, paymentHash: sha256(new Uint8Array(32).fill(p)), cltvExpiry: 800_144, onion });
  n.state = r.state;
  return r.messages;
}

/** A's per-commitment point n (channel-fixture.ts's secrets). */
const pointA = (n: bigint) => perCommitmentPoint(commitmentSecret(secretsOf('A').seed, n));
const parse = (raw: Uint8Array) => Transaction.fromRaw(raw, TX_OPTS);

const verifies = (tx: Transaction, script: Uint8Array, amount: bigint, pub: Uint8Array, sig: Uint8Array, type = SIGHASH_ALL) =>
  verifyInput(tx, 0, script, amount, pub, derFromCompact(sig), type);

/** A fresh hsmd over a fresh store, and the channel with it as B. */
async function fresh(anchors = false) {
  const store = new MemoryChannelStore();
  const hsmd = new Hsmd(SEED, store);
  return { store, hsmd, ...(await hsmdPair(hsmd, anchors)) };
}

describe('hsmd channel signing: signatures on BOLT 3 keys', () => {
  for (const anchors of [false, true]) {
    it(`the commitment dance with hsmd as one side (${anchors ? 'anchors' : 'static_remotekey'}): HTLCs both ways`, async () => {
      const { a, b, hsmd } = await fresh(anchors);
      const bp = hsmd.channelBasepoints(PEER, DBID);
      const cs = channelSecrets(SEED, PEER, DBID);
      const twin: ChannelSigner = keySigner({
        fundingSecret: cs.funding_privkey,
        htlcBasepointSecret: cs.htlc_basepoint_secret,
        shachainSeed: cs.shachain_seed,
      });
      await deliver(b, add(a, 50_000_000n, 1));
      await dance(a, b); // A signs, B (hsmd) validates and revokes 0, B signs, A revokes
      await deliver(a, add(b, 70_000_000n, 2));
      await dance(b, a);
      equal(b.state.localCommit.index, 2n);
      equal(a.state.localCommit.index, 2n);
      // A checked each of hsmd's signatures (channel/commitment.ts); check the last ones again
      // against the BOLT 3 keys of hsmd's basepoints, and against keySigner over the same secrets.
      const sent = a.received.filter(m => m.name === 'commitment_signed').at(-1) as Message & {
        signature: Uint8Array;
        htlc_signature: Uint8Array[];
      };
      const mine = buildFor(a.state.params, 'local', a.state.localCommit.spec, 2n, pointA(2n));
      const f = fundingInput(a.state.params, mine);
      ok(verifies(f.tx, f.witnessScript, f.amount, bp.funding_pubkey, sent.signature), 'commitment signature by the funding_pubkey');
      const htlcKey = derivePubkey(bp.htlc_basepoint, pointA(2n));
      equal(sent.htlc_signature.length, 2);
      htlcInputs(mine).forEach((h, i) =>
        ok(
          verifies(h.tx, h.witnessScript, h.amount, htlcKey, sent.htlc_signature[i]!, anchors ? SIGHASH_SINGLE_ANYONECANPAY : SIGHASH_ALL),
          `htlc ${i}`,
        ),
      );
      deepEqual(sent.signature, await twin.signRemoteCommitment({ ...f, commitmentNumber: 2n }));
      // Each revealed secret is BOLT 3's for that commitment (A's shachain took them: receiveRevoke).
      const revokes = a.received.filter(m => m.name === 'revoke_and_ack') as (Message & { per_commitment_secret: Uint8Array })[];
      deepEqual(
        revokes.map(r => r.per_commitment_secret),
        [commitmentSecret(cs.shachain_seed, 0n), commitmentSecret(cs.shachain_seed, 1n)],
      );
    });
  }

  it('per-commitment points are those of channelSecrets’ shachain seed (BOLT 3 per-commitment secret generation)', async () => {
    const hsmd = new Hsmd(SEED, new MemoryChannelStore());
    const seed = channelSecrets(SEED, PEER, DBID).shachain_seed;
    for (const n of [0n, 1n, 281474976710655n])
      deepEqual(await hsmd.getPerCommitmentPoint(PEER, DBID, n), perCommitmentPoint(commitmentSecret(seed, n)));
    await rejects(hsmd.getPerCommitmentPoint(PEER, DBID, 1n << 48n), HsmError, 'bad_request');
  });
});

describe('hsmd channel signing: refusals', () => {
  it('never reveals the secret of the current commitment or a later one; only of a replaced one', async () => {
    const { a, b, link } = await fresh();
    await rejects(link.revokeCommitment(0n), HsmError, 'not_replaced'); // 0 is current
    await rejects(link.revokeCommitment(1n), HsmError, 'not_replaced'); // 1 is the future
    await deliver(b, add(a, 50_000_000n));
    await commit(a, b); // B validated 1, revealed 0
    await rejects(link.revokeCommitment(1n), HsmError, 'not_replaced');
    await rejects(link.revokeCommitment(5n), HsmError, 'not_replaced');
    // A replaced one may be asked again (a retransmitted revoke_and_ack).
    deepEqual(await link.revokeCommitment(0n), commitmentSecret(channelSecrets(SEED, PEER, DBID).shachain_seed, 0n));
  });

  it('a commitment_signed whose signature is forged validates nothing, so nothing is revoked', async () => {
    const { a, b, link } = await fresh();
    await deliver(b, add(a, 50_000_000n));
    const c = await sendCommit(a.state, a.signer);
    const forged = { ...c.messages[0]!, signature: new Uint8Array(64).fill(1) };
    const built = buildFor(b.state.params, 'local', { ...b.state.localCommit.spec }, 1n, await link.getPerCommitmentPoint(1n));
    await rejects(
      link.validateCommitment({
        commitmentNumber: 1n,
        tx: built.commitment.tx.unsignedTx,
        signature: forged.signature,
        htlcs: [],
        htlcSignatures: [],
      }),
      HsmError,
      'bad_signature',
    );
    await rejects(link.revokeCommitment(0n), HsmError, 'not_replaced');
  });

  it('validates our commitments in order: no skipping, no other commitment under a validated number', async () => {
    const { a, b, link } = await fresh();
    const c0 = await localCommitmentOf(b);
    await link.validateCommitment({
      commitmentNumber: 0n,
      tx: c0.commitment.tx.unsignedTx,
      signature: b.state.localCommit.signature,
      htlcs: [],
      htlcSignatures: [],
    }); // the same again: fine
    await deliver(b, add(a, 50_000_000n));
    await commit(a, b);
    const c1 = await localCommitmentOf(b);
    // Commitment 0 again, now that 1 is validated: refused (out of order).
    await rejects(
      link.validateCommitment({
        commitmentNumber: 0n,
        tx: c0.commitment.tx.unsignedTx,
        signature: b.state.localCommit.signature,
        htlcs: [],
        htlcSignatures: [],
      }),
      HsmError,
      'out_of_order',
    );
    // Another transaction claiming number 1 (commitment 0's with 1's number is not available: use 1's built with another feerate).
    const other = await otherCommitment(b, 1n);
    await rejects(
      link.validateCommitment({
        commitmentNumber: 1n,
        tx: other.unsignedTx,
        signature: b.state.localCommit.signature,
        htlcs: htlcInputs(c1).map(h => ({ tx: h.tx.unsignedTx, witnessScript: h.witnessScript, amount: h.amount })),
        htlcSignatures: b.state.localCommit.htlcSignatures,
      }),
      HsmError,
      'conflicting_commitment',
    );
    // A commitment claiming the wrong number.
    await rejects(
      link.validateCommitment({
        commitmentNumber: 2n,
        tx: c1.commitment.tx.unsignedTx,
        signature: b.state.localCommit.signature,
        htlcs: [],
        htlcSignatures: [],
      }),
      HsmError,
      'wrong_number',
    );
  });

  it('refuses a forged HTLC signature and a missing one', async () => {
    const { a, b, link } = await fresh();
    await deliver(b, add(a, 50_000_000n));
    const c = await sendCommit(a.state, a.signer);
    const msg = c.messages[0]!;
    const built = buildFor(b.state.params, 'local', nextLocalSpec(b.state), 1n, await link.getPerCommitmentPoint(1n));
    const htlcs = htlcInputs(built).map(h => ({ tx: h.tx.unsignedTx, witnessScript: h.witnessScript, amount: h.amount }));
    equal(htlcs.length, 1);
    const base = { commitmentNumber: 1n, tx: built.commitment.tx.unsignedTx, signature: msg.signature, htlcs };
    await rejects(link.validateCommitment({ ...base, htlcSignatures: [] }), HsmError, 'htlc_signature_count');
    await rejects(link.validateCommitment({ ...base, htlcSignatures: [msg.signature] }), HsmError, 'bad_htlc_signature');
    await link.validateCommitment({ ...base, htlcSignatures: msg.htlc_signature });
  });

  it('never signs for broadcast a commitment it revoked, and never revokes one it signed for broadcast', async () => {
    const { a, b, link, hsmd } = await fresh();
    const bp = hsmd.channelBasepoints(PEER, DBID);
    const c0 = await localCommitmentOf(b);
    await deliver(b, add(a, 50_000_000n));
    await commit(a, b); // 0 revoked
    await rejects(link.signLocalCommitment(c0.commitment.tx.unsignedTx), HsmError, 'revoked');
    const c1 = await localCommitmentOf(b);
    // A commitment that is not the validated one (another feerate, number 1).
    const other = await otherCommitment(b, 1n);
    await rejects(link.signLocalCommitment(other.unsignedTx), HsmError, 'not_validated');
    const sig = await link.signLocalCommitment(c1.commitment.tx.unsignedTx);
    const f = fundingInput(b.state.params, c1);
    ok(verifies(f.tx, f.witnessScript, f.amount, bp.funding_pubkey, sig), 'signs our latest commitment with our funding key');
    // After the broadcast signature, commitment 1 stays unrevoked even once 2 is validated.
    await commit(b, a); // B signs A's commitment; A revokes
    await deliver(b, add(a, 10_000_000n, 2));
    const c = await sendCommit(a.state, a.signer);
    a.state = c.state;
    await rejects(deliver(b, c.messages), HsmError, 'broadcast');
    await rejects(link.revokeCommitment(1n), HsmError, 'broadcast');
  });

  it('signs a mutual close only if it pays our wallet what the channel owes us (to within the fee)', async () => {
    const { b, link, hsmd } = await fresh();
    const bp = hsmd.channelBasepoints(PEER, DBID);
    // B holds 3,000,000 sat (channel-fixture's push) and does not pay the fee; A's part elsewhere.
    const ours = walletOut(hsmd, 3);
    const theirs = p2wsh(new Uint8Array([0x51]));
    const close = (toUs: bigint, fee: bigint, script = ours) =>
      spend(
        [{ txid: FUNDING_TXID, index: 0 }],
        [
          { script, amount: toUs },
          { script: theirs, amount: FUNDING_SATOSHIS - toUs - fee },
        ],
      ).unsignedTx;
    const destination = { index: 3, type: 'p2wpkh' as const };
    const owed = b.state.localCommit.spec.toLocalMsat;
    equal(owed, 3_000_000_000n);
    await rejects(link.signMutualClose({ tx: close(2_998_999n, 1000n), toUsMsat: owed, destination }), HsmError, 'underpays');
    await rejects(link.signMutualClose({ tx: close(3_000_000n, 1000n, theirs), toUsMsat: owed, destination }), HsmError, 'underpays');
    await rejects(
      link.signMutualClose({ tx: close(3_000_000n, 1000n), toUsMsat: owed, destination: { index: 4, type: 'p2wpkh' } }),
      HsmError,
      'underpays',
    );
    // A channeld that understates our balance still cannot go below our own validated commitment's to_local.
    await rejects(link.signMutualClose({ tx: close(2_000_000n, 1000n), toUsMsat: 1_000_000_000n, destination }), HsmError, 'underpays');
    await rejects(
      link.signMutualClose({ tx: close(3_000_000n, 1000n), toUsMsat: FUNDING_SATOSHIS * 1000n + 1n, destination }),
      HsmError,
      'bad_request',
    );
    // A close that pays us nothing and burns our part as its fee.
    const burn = spend([{ txid: FUNDING_TXID, index: 0 }], [{ script: theirs, amount: FUNDING_SATOSHIS - owed / 1000n }]).unsignedTx;
    await rejects(link.signMutualClose({ tx: burn, toUsMsat: owed, destination }), HsmError, 'fee_too_high');
    // Only our output, less 100,000 sat of ours to the fee (above the cap): refused; the peer's whole
    // part as the fee (option_simple_close's closer_output_only) costs us nothing: signed.
    const onlyOurs = (toUs: bigint) => spend([{ txid: FUNDING_TXID, index: 0 }], [{ script: ours, amount: toUs }]).unsignedTx;
    await rejects(link.signMutualClose({ tx: onlyOurs(2_900_000n), toUsMsat: owed, destination }), HsmError, 'fee_too_high');
    await link.signMutualClose({ tx: onlyOurs(2_999_500n), toUsMsat: owed, destination });
    // Our part less a fee share (the close pays 1000 sat; we give up at most that): signed.
    const tx = close(2_999_000n, 1000n);
    const sig = await link.signMutualClose({ tx, toUsMsat: owed, destination });
    const c0 = await localCommitmentOf(b);
    ok(verifies(parse(tx), c0.commitment.fundingScript, FUNDING_SATOSHIS, bp.funding_pubkey, sig), 'signed with our funding key');
    // Once a close is signed, no new remote commitment is.
    await rejects(link.signRemoteCommitment({ commitmentNumber: 1n, tx: c0.commitment.tx.unsignedTx }), HsmError, 'closing');
  });

  it("signs only this channel's transactions, and remote commitments only forward, one at a time", async () => {
    const { a, link } = await fresh();
    const remote = (n: bigint, feerate = a.state.remoteCommit.spec.feeratePerKw) =>
      buildFor(a.state.params, 'local', { ...a.state.remoteCommit.spec, feeratePerKw: feerate }, n, pointA(n)).commitment.tx;
    await link.signRemoteCommitment({ commitmentNumber: 0n, tx: remote(0n).unsignedTx }); // again: fine
    await rejects(link.signRemoteCommitment({ commitmentNumber: 2n, tx: remote(2n).unsignedTx }), HsmError, 'skipped_commitment');
    await link.signRemoteCommitment({ commitmentNumber: 1n, tx: remote(1n).unsignedTx });
    await rejects(link.signRemoteCommitment({ commitmentNumber: 0n, tx: remote(0n).unsignedTx }), HsmError, 'stale_commitment');
    await rejects(link.signRemoteCommitment({ commitmentNumber: 2n, tx: remote(1n).unsignedTx }), HsmError, 'wrong_number');
    const elsewhere = spend([{ txid: 'aa'.repeat(32), index: 0 }], [{ script: p2wsh(new Uint8Array([0x51])), amount: 1000n }]);
    await rejects(link.signRemoteCommitment({ commitmentNumber: 1n, tx: elsewhere.unsignedTx }), HsmError, 'not_this_channel');
    await rejects(link.signLocalCommitment(elsewhere.unsignedTx), HsmError, 'not_this_channel');
    await rejects(link.signRemoteCommitment({ commitmentNumber: 1n, tx: new Uint8Array([1, 2, 3]) }), HsmError, 'bad_tx');
  });

  it('signs remote HTLC transactions only with their sighash type and only on scripts holding our HTLC key', async () => {
    const { a, b, link, hsmd } = await fresh();
    await deliver(a, add(b, 50_000_000n));
    const c = await sendCommit(b.state, b.signer); // hsmd signs A's commitment 1 and its HTLC transaction
    equal(c.messages[0]!.htlc_signature.length, 1);
    const next = c.state.nextRemoteCommit!;
    const pcp = next.perCommitmentPoint;
    const built = buildFor(b.state.params, 'remote', next.spec, 1n, pcp);
    // The signature hsmd gave verifies with our HTLC key for A's point (A checked it too, on receipt).
    const [h] = htlcInputs(built).map(x => ({ tx: x.tx.unsignedTx, witnessScript: x.witnessScript, amount: x.amount }));
    const htlcKey = derivePubkey(hsmd.channelBasepoints(PEER, DBID).htlc_basepoint, pcp);
    ok(verifies(parse(h!.tx), h!.witnessScript, h!.amount, htlcKey, c.messages[0]!.htlc_signature[0]!));
    await rejects(
      link.signRemoteHtlcs({ perCommitmentPoint: pcp, sighashType: SIGHASH_SINGLE_ANYONECANPAY, htlcs: [h!] }),
      HsmError,
      'bad_sighash',
    );
    await rejects(
      link.signRemoteHtlcs({
        perCommitmentPoint: pcp,
        sighashType: SIGHASH_ALL,
        htlcs: [{ ...h!, witnessScript: new Uint8Array([0x51]) }],
      }),
      HsmError,
      'not_our_htlc',
    );
    // With the wrong point, our HTLC key is not in the script either.
    await rejects(
      link.signRemoteHtlcs({ perCommitmentPoint: await link.getPerCommitmentPoint(9n), sighashType: SIGHASH_ALL, htlcs: [h!] }),
      HsmError,
      'not_our_htlc',
    );
  });

  it('a channel it was not set up for, a different setup, a link for one channel only, and no store at all', async () => {
    const { link, hsmd } = await fresh();
    await rejects(hsmd.signRemoteCommitment(PEER, DBID + 1n, { commitmentNumber: 0n, tx: new Uint8Array(10) }), HsmError, 'no_setup');
    await rejects(hsmd.setupChannel(PEER, DBID, { ...setupB(), holderToSelfDelay: 6 }), HsmError, 'already_setup');
    await hsmd.setupChannel(PEER, DBID, setupB()); // the same: fine
    await rejects(hsmd.setupChannel(PEER, 9n, { ...setupB(), remoteFundingPubkey: new Uint8Array(33) }), HsmError, 'bad_request');
    // The link's methods take no peer or dbid: (PEER, DBID) is bound.
    equal(link.revokeCommitment.length, 1, 'revokeCommitment(n)');
    ok(!('ecdh' in link) && !('signWithdrawal' in link));
    // onchaind's link (ONCHAIN_CAPABILITIES) is a channel link too.
    ok('signSweep' in hsmd.linkForChannel(PEER, DBID, ['signSweep']));
    for (const bad of ['ecdh', 'signWithdrawal', 'nodeId', 'walletXpub', '__proto__']) {
      throws(() => hsmd.linkForChannel(PEER, DBID, [bad as 'revokeCommitment']), HsmError, 'unknown_capability');
    }
    const bare = new Hsmd(SEED);
    await rejects(bare.setupChannel(PEER, DBID, setupB()), HsmError, 'no_channel_store');
    await rejects(bare.getPerCommitmentPoint(PEER, DBID, 0n), HsmError, 'no_channel_store');
  });
});

describe('hsmd channel signing: sweeps (onchaind)', () => {
  it('signs our to_local after its delay, to the wallet only, with the BOLT 3 delayed key', async () => {
    const { b, hsmd, store } = await fresh();
    const c0 = await localCommitmentOf(b);
    const i = c0.commitment.outputs.findIndex(o => o.kind === 'to_local');
    const out = c0.commitment.outputs[i]!;
    const txid = c0.commitment.tx.id;
    const sweep = (seq: number, script = walletOut(hsmd, 5)) =>
      spend([{ txid, index: i, sequence: seq }], [{ script, amount: out.amount - 500n }]).unsignedTx;
    const req = {
      kind: 'delayed' as const,
      input: 0,
      amount: out.amount,
      commitmentNumber: 0n,
      destination: { index: 5, type: 'p2wpkh' as const },
    };
    await rejects(hsmd.signSweep(PEER, DBID, { ...req, tx: sweep(144, p2wsh(new Uint8Array([0x51]))) }), HsmError, 'not_to_wallet');
    await rejects(hsmd.signSweep(PEER, DBID, { ...req, tx: sweep(143) }), HsmError, 'bad_sequence');
    await rejects(hsmd.signSweep(PEER, DBID, { ...req, tx: sweep(144), commitmentNumber: 1n }), HsmError, 'not_validated');
    const tx = sweep(144);
    const r = await hsmd.signSweep(PEER, DBID, { ...req, tx });
    deepEqual(p2wsh(r.witnessScript), out.script, 'hsmd rebuilt the to_local script of the commitment');
    const pcp = await hsmd.getPerCommitmentPoint(PEER, DBID, 0n);
    const key = derivePubkey(hsmd.channelBasepoints(PEER, DBID).delayed_payment_basepoint, pcp);
    ok(verifies(parse(tx), r.witnessScript, out.amount, key, r.signature));
    ok(store.saves > 0);
  });
});
