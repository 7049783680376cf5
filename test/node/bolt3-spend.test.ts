// BOLT 3 spending paths run through the regtest chain's script interpreter (bitcore-lib with
// Bitcoin Core's standard flags, src/regtest/scripts.ts): the commitment's funding spend, and every
// output of a commitment (with and without option_anchors) spent by each path BOLT 3 gives, with
// the witness stacks of src/core/bolt3/witness.ts. Each path is also tried broken (wrong key,
// timelock not reached, wrong preimage) and must be refused. Node only: bitcore-lib is not loaded
// in the browser.
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import { sha256 } from '../../src/core/crypto/primitives.ts';
import {
  SIGHASH_ALL,
  TX_OPTS,
  anchorAnyoneWitness,
  anchorOwnerWitness,
  buildCommitment,
  commitmentKeys,
  derivePrivkey,
  fundingWitness,
  htlcRevokedWitness,
  htlcSighashType,
  htlcSuccessWitness,
  htlcTimeoutWitness,
  htlcTxsOf,
  offeredHtlcPreimageWitness,
  p2wpkh,
  p2wpkhScriptCode,
  perCommitmentPoint,
  pubkeyOf,
  receivedHtlcTimeoutWitness,
  revocationPrivkey,
  setWitness,
  signInput,
  toLocalDelayedWitness,
  toLocalRevokedWitness,
  toRemoteAnchorsWitness,
  toRemoteP2wpkhWitness,
  type Commitment,
  type CommitmentOutput,
} from '../../src/core/bolt3/index.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { equal, ok } from '../support/assert.ts';

const secret = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const fundingSecret = { local: secret(1), remote: secret(2) };
const basepointSecret = {
  localPayment: secret(3),
  remotePayment: secret(4),
  localDelayed: secret(5),
  remoteRevocation: secret(6),
  localHtlc: secret(7),
  remoteHtlc: secret(8),
};
const perCommitmentSecret = secret(9);
const pcp = perCommitmentPoint(perCommitmentSecret);
const basepoints = (s: { revocation: Uint8Array; payment: Uint8Array; delayed: Uint8Array; htlc: Uint8Array }) => ({
  revocationBasepoint: pubkeyOf(s.revocation),
  paymentBasepoint: pubkeyOf(s.payment),
  delayedPaymentBasepoint: pubkeyOf(s.delayed),
  htlcBasepoint: pubkeyOf(s.htlc),
});
const keys = commitmentKeys(
  basepoints({
    revocation: secret(10),
    payment: basepointSecret.localPayment,
    delayed: basepointSecret.localDelayed,
    htlc: basepointSecret.localHtlc,
  }),
  basepoints({
    revocation: basepointSecret.remoteRevocation,
    payment: basepointSecret.remotePayment,
    delayed: secret(11),
    htlc: basepointSecret.remoteHtlc,
  }),
  pcp,
);
const priv = {
  revocation: revocationPrivkey(basepointSecret.remoteRevocation, perCommitmentSecret),
  localDelayed: derivePrivkey(basepointSecret.localDelayed, pcp),
  remote: basepointSecret.remotePayment,
  localHtlc: derivePrivkey(basepointSecret.localHtlc, pcp),
  remoteHtlc: derivePrivkey(basepointSecret.remoteHtlc, pcp),
};
const TO_SELF_DELAY = 144;
const preimage = { offered: secret(0x11), received: secret(0x22) };
const CLTV = { offered: 600, received: 700 };
const FUNDING_SAT = 1000000n;
const SINK = p2wpkh(pubkeyOf(secret(0x33)));

function commitment(anchors: boolean): Commitment {
  const c = buildCommitment({
    fundingTxid: 'ab'.repeat(32),
    fundingOutputIndex: 1,
    fundingSatoshis: FUNDING_SAT,
    localFundingPubkey: pubkeyOf(fundingSecret.local),
    remoteFundingPubkey: pubkeyOf(fundingSecret.remote),
    commitmentNumber: 7n,
    obscuringFactor: 0x123456789abcn,
    anchors,
    localIsOpener: true,
    toLocalMsat: 600000000n,
    toRemoteMsat: 300000000n,
    feeratePerKw: 2000,
    dustLimitSatoshis: 546n,
    toSelfDelay: TO_SELF_DELAY,
    keys,
    htlcs: [
      { offered: true, amountMsat: 50000000n, paymentHash: sha256(preimage.offered), cltvExpiry: CLTV.offered },
      { offered: false, amountMsat: 50000000n, paymentHash: sha256(preimage.received), cltvExpiry: CLTV.received },
    ],
  });
  const lp = pubkeyOf(fundingSecret.local);
  const rp = pubkeyOf(fundingSecret.remote);
  const ls = signInput(c.tx, 0, c.fundingScript, FUNDING_SAT, fundingSecret.local, SIGHASH_ALL);
  const rs = signInput(c.tx, 0, c.fundingScript, FUNDING_SAT, fundingSecret.remote, SIGHASH_ALL);
  setWitness(c.tx, 0, fundingWitness(c.fundingScript, { pubkey: lp, sig: ls }, { pubkey: rp, sig: rs }));
  return c;
}

interface Prev {
  txid: string;
  vout: number;
  script: Uint8Array;
  amount: bigint;
}

/** A transaction spending `prev` to a P2WPKH, with `witness(tx)` as its witness; the interpreter's verdict. */
function trySpend(prev: Prev, o: { sequence: number; lockTime?: number }, witness: (tx: Transaction) => Uint8Array[]): string | undefined {
  const tx = new Transaction({ version: 2, lockTime: o.lockTime ?? 0, ...TX_OPTS });
  tx.addInput({
    txid: fromHex(prev.txid),
    index: prev.vout,
    sequence: o.sequence,
    witnessUtxo: { script: prev.script, amount: prev.amount },
  });
  tx.addOutput({ script: SINK, amount: prev.amount - (prev.amount > 1000n ? 500n : 100n) });
  setWitness(tx, 0, witness(tx));
  return verdict(tx, prev);
}

function verdict(tx: Transaction, prev: Prev): string | undefined {
  return bitcoreVerifier(decodeTx(tx.toBytes(true, true)), [{ value: prev.amount, script: prev.script }])?.reason;
}

type Opts = { sequence: number; lockTime?: number };
type WitnessOf = (tx: Transaction) => Uint8Array[];
/** The interpreter accepts this spend. */
const accepts = (prev: Prev, o: Opts, w: WitnessOf, what?: string): void => equal(trySpend(prev, o, w), undefined, what);
/** The interpreter refuses this spend (any script error). */
const refuses = (prev: Prev, o: Opts, w: WitnessOf, why: string): void => ok(trySpend(prev, o, w), `accepted though ${why}`);

const prevOf = (c: Commitment, o: CommitmentOutput): Prev => ({
  txid: c.tx.id,
  vout: c.outputs.indexOf(o),
  script: o.script,
  amount: o.amount,
});
const sign = (tx: Transaction, o: { witnessScript?: Uint8Array; amount: bigint }, key: Uint8Array, type = SIGHASH_ALL) =>
  signInput(tx, 0, o.witnessScript!, o.amount, key, type);

for (const anchors of [false, true]) {
  const label = anchors ? 'option_anchors' : 'option_static_remotekey';
  const c = commitment(anchors);
  const out = (kind: string) => c.outputs.find(o => o.kind === kind)!;
  const htlcSeq = anchors ? 1 : 0;

  describe(`BOLT 3 spending paths under the script interpreter (${label})`, () => {
    it('the commitment spends the funding output with `0 <sig1> <sig2>`', () => {
      const fundingOut = { txid: 'ab'.repeat(32), vout: 1, script: c.tx.getInput(0).witnessUtxo!.script, amount: FUNDING_SAT };
      equal(verdict(c.tx, fundingOut), undefined);
      equal(c.outputs.length, anchors ? 6 : 4);
    });

    it('to_local: `<local_delayedsig> <>` after to_self_delay, `<revocation_sig> 1` at once', () => {
      const o = out('to_local');
      const p = prevOf(c, o);
      accepts(p, { sequence: TO_SELF_DELAY }, tx => toLocalDelayedWitness(o.witnessScript!, sign(tx, o, priv.localDelayed)));
      refuses(
        p,
        { sequence: TO_SELF_DELAY - 1 },
        tx => toLocalDelayedWitness(o.witnessScript!, sign(tx, o, priv.localDelayed)),
        'CSV not reached',
      );
      accepts(p, { sequence: 0 }, tx => toLocalRevokedWitness(o.witnessScript!, sign(tx, o, priv.revocation)));
      refuses(p, { sequence: 0 }, tx => toLocalRevokedWitness(o.witnessScript!, sign(tx, o, priv.localDelayed)), 'wrong key');
    });

    it(anchors ? 'to_remote: `<remote_sig>` with nSequence 1' : 'to_remote: P2WPKH `<remote_sig> <remotepubkey>`', () => {
      const o = out('to_remote');
      const p = prevOf(c, o);
      if (anchors) {
        accepts(p, { sequence: 1 }, tx => toRemoteAnchorsWitness(o.witnessScript!, sign(tx, o, priv.remote)));
        refuses(p, { sequence: 0 }, tx => toRemoteAnchorsWitness(o.witnessScript!, sign(tx, o, priv.remote)), 'CSV 1 not reached');
      } else {
        const code = p2wpkhScriptCode(keys.remotePubkey);
        const w = (k: Uint8Array) => (tx: Transaction) =>
          toRemoteP2wpkhWitness(keys.remotePubkey, signInput(tx, 0, code, o.amount, k, SIGHASH_ALL));
        accepts(p, { sequence: 0 }, w(priv.remote));
        refuses(p, { sequence: 0 }, w(priv.localHtlc), 'wrong key');
      }
    });

    if (anchors) {
      it('anchors: `<sig>` by the funding key, `<>` by anyone after 16 blocks', () => {
        for (const [kind, key] of [
          ['to_local_anchor', fundingSecret.local],
          ['to_remote_anchor', fundingSecret.remote],
        ] as const) {
          const o = out(kind);
          const p = prevOf(c, o);
          equal(o.amount, 330n);
          accepts(p, { sequence: 0 }, tx => anchorOwnerWitness(o.witnessScript!, sign(tx, o, key)));
          accepts(p, { sequence: 16 }, () => anchorAnyoneWitness(o.witnessScript!));
          refuses(p, { sequence: 15 }, () => anchorAnyoneWitness(o.witnessScript!), 'before 16 blocks');
        }
      });
    }

    it('offered HTLC: remote with `<remotehtlcsig> <payment_preimage>` and revocation', () => {
      const o = out('offered_htlc');
      const p = prevOf(c, o);
      accepts(p, { sequence: htlcSeq }, tx => offeredHtlcPreimageWitness(o.witnessScript!, sign(tx, o, priv.remoteHtlc), preimage.offered));
      refuses(
        p,
        { sequence: htlcSeq },
        tx => offeredHtlcPreimageWitness(o.witnessScript!, sign(tx, o, priv.remoteHtlc), preimage.received),
        'wrong preimage',
      );
      if (anchors)
        refuses(
          p,
          { sequence: 0 },
          tx => offeredHtlcPreimageWitness(o.witnessScript!, sign(tx, o, priv.remoteHtlc), preimage.offered),
          'CSV 1',
        );
      accepts(p, { sequence: 0 }, tx => htlcRevokedWitness(o.witnessScript!, sign(tx, o, priv.revocation), keys.revocationPubkey));
      refuses(
        p,
        { sequence: 0 },
        tx => htlcRevokedWitness(o.witnessScript!, sign(tx, o, priv.remoteHtlc), keys.revocationPubkey),
        'wrong key',
      );
    });

    it('received HTLC: remote `<remotehtlcsig> <>` after cltv_expiry, and revocation', () => {
      const o = out('received_htlc');
      const p = prevOf(c, o);
      const seq = anchors ? 1 : 0xfffffffe;
      accepts(p, { sequence: seq, lockTime: CLTV.received }, tx =>
        receivedHtlcTimeoutWitness(o.witnessScript!, sign(tx, o, priv.remoteHtlc)),
      );
      refuses(
        p,
        { sequence: seq, lockTime: CLTV.received - 1 },
        tx => receivedHtlcTimeoutWitness(o.witnessScript!, sign(tx, o, priv.remoteHtlc)),
        'CLTV',
      );
      accepts(p, { sequence: 0 }, tx => htlcRevokedWitness(o.witnessScript!, sign(tx, o, priv.revocation), keys.revocationPubkey));
    });

    it('HTLC-timeout and HTLC-success transactions, then their outputs (delayed and revoked)', () => {
      const second = htlcTxsOf(c, { feeratePerKw: 2000, anchors, toSelfDelay: TO_SELF_DELAY, ...keys });
      equal(second.length, 2);
      for (const { output, outputIndex, htlcTx } of second) {
        const tx = htlcTx.tx;
        const remote = sign(tx, output, priv.remoteHtlc, htlcSighashType(anchors, true));
        const local = sign(tx, output, priv.localHtlc, htlcSighashType(anchors, false));
        const offered = output.htlc!.offered;
        const ws = output.witnessScript!;
        setWitness(tx, 0, offered ? htlcTimeoutWitness(ws, remote, local) : htlcSuccessWitness(ws, remote, local, preimage.received));
        equal(tx.lockTime, offered ? CLTV.offered : 0);
        equal(tx.getInput(0).sequence, anchors ? 1 : 0);
        equal(verdict(tx, prevOf(c, output)), undefined, `${offered ? 'HTLC-timeout' : 'HTLC-success'}`);
        ok(c.outputs[outputIndex] === output);
        // The remote's signature alone does not do: the local one must match too.
        setWitness(tx, 0, offered ? htlcTimeoutWitness(ws, remote, remote) : htlcSuccessWitness(ws, remote, remote, preimage.received));
        ok(verdict(tx, prevOf(c, output)), 'two remote signatures');
        setWitness(tx, 0, offered ? htlcTimeoutWitness(ws, remote, local) : htlcSuccessWitness(ws, remote, local, preimage.received));

        const p: Prev = { txid: tx.id, vout: 0, script: tx.getOutput(0).script!, amount: htlcTx.amount };
        const o2 = { witnessScript: htlcTx.outputWitnessScript, amount: htlcTx.amount };
        accepts(p, { sequence: TO_SELF_DELAY }, t => toLocalDelayedWitness(o2.witnessScript, sign(t, o2, priv.localDelayed)));
        refuses(p, { sequence: 1 }, t => toLocalDelayedWitness(o2.witnessScript, sign(t, o2, priv.localDelayed)), 'CSV');
        accepts(p, { sequence: 0 }, t => toLocalRevokedWitness(o2.witnessScript, sign(t, o2, priv.revocation)));
      }
    });

    if (anchors) {
      it('SIGHASH_SINGLE|ANYONECANPAY lets the owner add a fee input and output to an HTLC transaction', () => {
        const { output, htlcTx } = htlcTxsOf(c, { feeratePerKw: 2000, anchors, toSelfDelay: TO_SELF_DELAY, ...keys }).find(
          x => x.output.htlc!.offered,
        )!;
        const tx = htlcTx.tx;
        const remote = sign(tx, output, priv.remoteHtlc, htlcSighashType(true, true));
        // The owner adds a wallet input and a change output after the remote signed.
        tx.addInput({ txid: fromHex('cd'.repeat(32)), index: 0, sequence: 0, witnessUtxo: { script: SINK, amount: 10000n } }, true);
        tx.addOutput({ script: SINK, amount: 9000n }, true);
        const local = sign(tx, output, priv.localHtlc, SIGHASH_ALL);
        setWitness(tx, 0, htlcTimeoutWitness(output.witnessScript!, remote, local));
        const r = bitcoreVerifier(decodeTx(tx.toBytes(true, true)), [
          { value: output.amount, script: output.script },
          { value: 10000n, script: SINK },
        ]);
        // Input 0 (the HTLC) verifies; input 1 has no witness yet, so the verdict names input 1.
        equal(r?.input, 1);
      });
    }
  });
}
