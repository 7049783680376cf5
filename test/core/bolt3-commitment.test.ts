// BOLT 3 commitment and HTLC transactions: every vector of Appendix C (option_static_remotekey) and
// Appendix F (option_anchors), rebuilt from the parameters, signed by both sides with the secrets
// the spec gives, and compared byte for byte with the spec's transactions and signatures.
import { toHex } from '../../src/core/base/bytes.ts';
import {
  Bolt3Error,
  buildCommitment,
  compactFromDer,
  derFromCompact,
  commitmentNumberOf,
  derivePrivkey,
  obscuringFactor,
  pubkeyOf,
  revocationPubkey,
  SIGHASH_ALL,
  verifyInput,
  type Commitment,
  type CommitmentSpec,
  type Htlc,
} from '../../src/core/bolt3/index.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { common, tests as appendixC } from './bolt3/appendix-c.ts';
import { tests as appendixF } from './bolt3/appendix-f.ts';
import {
  appendixCSpec,
  appendixFSpec,
  checkSigned,
  der,
  hex,
  keys,
  localFundingPrivkey,
  localHtlcPrivkey,
  localPaymentBasepointSecret,
  pcp,
  priv,
  remoteFundingPrivkey,
  remotePaymentBasepointSecret,
  spec,
} from './bolt3/sign-vectors.ts';

describe('BOLT 3 Appendix C: the keys and the obscured commitment number', () => {
  it('derives the keys Appendix C lists from the secrets in its comment block', () => {
    equal(toHex(pcp), toHex(hex(common.internal_local_per_commitment_point)));
    equal(toHex(keys.localHtlcPubkey), toHex(hex(common.local_htlcpubkey)));
    equal(toHex(keys.remoteHtlcPubkey), toHex(hex(common.remote_htlcpubkey)));
    equal(toHex(keys.localDelayedPubkey), toHex(hex(common.local_delayedpubkey)));
    equal(toHex(keys.revocationPubkey), toHex(hex(common.local_revocation_pubkey)));
    equal(toHex(pubkeyOf(localFundingPrivkey)), toHex(hex(common.local_funding_pubkey)));
    equal(toHex(pubkeyOf(remoteFundingPrivkey)), toHex(hex(common.remote_funding_pubkey)));
    equal(toHex(pubkeyOf(localPaymentBasepointSecret)), toHex(hex(common.local_payment_basepoint)));
    equal(toHex(pubkeyOf(remotePaymentBasepointSecret)), toHex(hex(common.remote_payment_basepoint)));
    equal(
      toHex(pubkeyOf(priv(common.internal_remote_revocation_basepoint_secret))),
      toHex(hex(common.internal_remote_revocation_basepoint)),
    );
    equal(
      toHex(pubkeyOf(priv(common.internal_local_delayed_payment_basepoint_secret))),
      toHex(hex(common.internal_local_delayed_payment_basepoint)),
    );
    equal(toHex(keys.remotePubkey), toHex(hex(common.remote_payment_basepoint)));
    equal(toHex(localHtlcPrivkey), toHex(priv(common.local_privkey)));
    equal(toHex(derivePrivkey(remotePaymentBasepointSecret, pcp)), toHex(priv(common.internal_remote_privkey)));
    equal(
      toHex(derivePrivkey(priv(common.internal_local_delayed_payment_basepoint_secret), pcp)),
      toHex(priv(common.internal_local_delayed_privkey)),
    );
  });

  it('obscures commitment number 42 with 0x2bb038521914 and reads it back', () => {
    const factor = obscuringFactor(hex(common.local_payment_basepoint), hex(common.remote_payment_basepoint));
    equal(common.obscured_commitment_number, '0x2bb038521914 ^ 42');
    equal(factor, 0x2bb038521914n);
    const c = buildCommitment(spec('simple commitment tx with no HTLCs', 7000000000n, 3000000000n, 15000, 546n, false));
    equal(c.lockTime, (0x20000000 | Number((0x2bb038521914n ^ 42n) & 0xffffffn)) >>> 0);
    equal(commitmentNumberOf(c.lockTime, c.sequence, factor), 42n);
    equal(commitmentNumberOf(0, c.sequence, factor), undefined);
  });
});

describe('BOLT 3 Appendix C: commitment and HTLC transactions (option_static_remotekey)', () => {
  for (const v of appendixC) {
    it(v.name, () => {
      const s = appendixCSpec(v);
      const c = buildCommitment(s);
      if ('base_fee' in v) equal(c.baseFee, BigInt(v.base_fee as string), 'base fee');
      if ('actual_fee' in v) {
        const out = c.outputs.reduce((n, o) => n + o.amount, 0n);
        equal(s.fundingSatoshis - out, BigInt(v.actual_fee as string), 'actual fee');
      }
      const toLocal = c.outputs.find(o => o.kind === 'to_local');
      if ('to_local' in v) {
        const tl = v.to_local as { amount: string; wscript: string };
        equal(toLocal?.amount, BigInt(tl.amount));
        equal(toHex(toLocal!.witnessScript!), tl.wscript);
      }
      if ('htlc_outputs' in v) {
        const listed = v.htlc_outputs as { htlc: number; direction: string; amount: string; wscript: string }[];
        const ours = c.outputs.filter(o => o.htlc);
        equal(ours.length, listed.length, 'untrimmed HTLCs');
        for (const l of listed) {
          const o = ours.find(x => x.htlc!.id === BigInt(l.htlc))!;
          ok(o, `HTLC #${l.htlc} untrimmed`);
          equal(o.kind, l.direction === 'offered' ? 'offered_htlc' : 'received_htlc');
          equal(o.amount, BigInt(l.amount));
          equal(toHex(o.witnessScript!), l.wscript, `HTLC #${l.htlc} script`);
        }
      }
      equal(c.outputs.filter(o => o.htlc).length, Number(v.num_htlcs), 'num_htlcs');

      const htlcTxs = checkSigned(
        c,
        s,
        { remoteSig: v.remote_signature, localSig: v.local_signature, tx: v.commit_tx },
        v.htlcs.map(h => ({ remoteSig: h.remote_htlc_signature, tx: h.tx })),
      );
      v.htlcs.forEach((want, i) => {
        const got = htlcTxs[i]!;
        equal(got.outputIndex, want.output, `output #${want.output}`);
        equal(got.output.htlc!.id, BigInt(want.htlc));
        equal(got.output.htlc!.offered ? 'htlc-timeout' : 'htlc-success', want.kind);
        equal(der(got.local), want.local_htlc_signature, `local_htlc_signature #${i}`);
      });
    });
  }
});

describe('BOLT 3 Appendix F: commitment and HTLC transactions (option_anchors)', () => {
  for (const v of appendixF) {
    it(v.Name, () => {
      const s = appendixFSpec(v);
      equal(s.htlcs.length > 0, v.UseTestHtlcs);
      const c = buildCommitment(s);
      const htlcTxs = checkSigned(
        c,
        s,
        { remoteSig: v.RemoteSigHex, tx: v.ExpectedCommitmentTxHex },
        v.HtlcDescs.map(h => ({ remoteSig: h.RemoteSigHex, tx: h.ResolutionTxHex })),
      );
      // The remote's HTLC signatures are SIGHASH_SINGLE|SIGHASH_ANYONECANPAY under anchors.
      for (const got of htlcTxs) equal(got.remote[got.remote.length - 1], 0x83);
    });
  }
});

describe('BOLT 3 commitment construction rules', () => {
  const base = (): CommitmentSpec => spec('x', 6988000000n, 3000000000n, 644, 546n, true);

  it('refuses balances that do not add up to the channel', () => {
    const s = base();
    throws(() => buildCommitment({ ...s, toLocalMsat: s.toLocalMsat + 1n }), Bolt3Error, 'bad_balance');
    throws(() => buildCommitment({ ...s, toLocalMsat: -1n, toRemoteMsat: s.toRemoteMsat + s.toLocalMsat + 1n }), Bolt3Error, 'bad_balance');
  });

  it('takes the fee and the anchors from the opener, whichever side that is', () => {
    const asOpener = buildCommitment({ ...base(), htlcs: [], toLocalMsat: 7000000000n, toRemoteMsat: 3000000000n });
    const asAccepter = buildCommitment({ ...base(), htlcs: [], toLocalMsat: 7000000000n, toRemoteMsat: 3000000000n, localIsOpener: false });
    const amount = (c: Commitment, k: string) => c.outputs.find(o => o.kind === k)!.amount;
    const fee = (1124n * 644n) / 1000n;
    equal(amount(asOpener, 'to_local'), 7000000n - fee - 660n);
    equal(amount(asOpener, 'to_remote'), 3000000n);
    equal(amount(asAccepter, 'to_local'), 7000000n);
    equal(amount(asAccepter, 'to_remote'), 3000000n - fee - 660n);
  });

  it('adds no anchor for a side without an output when no HTLC is untrimmed, and both when one is', () => {
    const s = base();
    const none = buildCommitment({ ...s, htlcs: [], toLocalMsat: 10000000000n, toRemoteMsat: 0n });
    deepEqual(none.outputs.map(o => o.kind).sort(), ['to_local', 'to_local_anchor']);
    const withHtlc = buildCommitment({
      ...s,
      toLocalMsat: 9000000000n,
      toRemoteMsat: 0n,
      htlcs: [{ offered: true, amountMsat: 1000000000n, paymentHash: new Uint8Array(32), cltvExpiry: 600 }],
    });
    deepEqual(withHtlc.outputs.map(o => o.kind).sort(), ['offered_htlc', 'to_local', 'to_local_anchor', 'to_remote_anchor']);
    const noLocal = buildCommitment({
      ...s,
      localIsOpener: false,
      toLocalMsat: 0n,
      toRemoteMsat: 9000000000n,
      htlcs: [{ offered: false, amountMsat: 1000000000n, paymentHash: new Uint8Array(32), cltvExpiry: 600 }],
    });
    deepEqual(noLocal.outputs.map(o => o.kind).sort(), ['received_htlc', 'to_local_anchor', 'to_remote', 'to_remote_anchor']);
  });

  it('trims HTLCs against the HTLC transaction fee without anchors, and against the bare amount with them', () => {
    // 5000 sat received at 1000 sat/kw: the HTLC-success fee is 703 sat; dust 4500 trims it only without anchors.
    const h: Htlc = { offered: false, amountMsat: 5000000n, paymentHash: new Uint8Array(32), cltvExpiry: 600 };
    const s = { ...base(), feeratePerKw: 1000, dustLimitSatoshis: 4500n, toLocalMsat: 6995000000n, htlcs: [h] };
    equal(buildCommitment({ ...s, anchors: false }).outputs.filter(o => o.htlc).length, 0);
    equal(buildCommitment({ ...s, anchors: true }).outputs.filter(o => o.htlc).length, 1);
  });

  it('the signatures of the vectors verify, and fail on another transaction', () => {
    const v = appendixC[0]!;
    const s = spec(v.name, BigInt(v.to_local_msat), BigInt(v.to_remote_msat), Number(v.local_feerate_per_kw), 546n, false);
    const c = buildCommitment(s);
    const sig = hex(v.remote_signature);
    ok(verifyInput(c.tx, 0, c.fundingScript, s.fundingSatoshis, hex(common.remote_funding_pubkey), sig, SIGHASH_ALL));
    const other = buildCommitment({ ...s, commitmentNumber: 43n });
    ok(!verifyInput(other.tx, 0, c.fundingScript, s.fundingSatoshis, hex(common.remote_funding_pubkey), sig, SIGHASH_ALL));
    ok(!verifyInput(c.tx, 0, c.fundingScript, s.fundingSatoshis, hex(common.local_funding_pubkey), sig, SIGHASH_ALL));
  });

  it('sorts equal HTLC outputs by cltv_expiry', () => {
    const v = appendixC.find(t => t.name.includes('same amount'))!;
    const c = buildCommitment(spec(v.name, BigInt(v.to_local_msat), BigInt(v.to_remote_msat), 253, 546n, false));
    const offered = c.outputs.filter(o => o.kind === 'offered_htlc');
    deepEqual(
      offered.map(o => o.cltvExpiry),
      [505, 506],
    );
    equal(toHex(offered[0]!.script), toHex(offered[1]!.script));
  });
});

describe('DER signatures (BOLT 2 sends the compact form, scripts take DER)', () => {
  it('converts every signature of Appendices C and F to compact and back', () => {
    const all = [
      ...appendixC.flatMap(v => [
        v.remote_signature,
        v.local_signature,
        ...v.htlcs.flatMap(h => [h.remote_htlc_signature, h.local_htlc_signature]),
      ]),
      ...appendixF.flatMap(v => [v.RemoteSigHex, ...v.HtlcDescs.map(h => h.RemoteSigHex)]),
    ];
    // C: 16 commitments (2 signatures each) and 33 HTLC transactions (2 each); F: 9 commitments and 15 HTLC transactions.
    equal(all.length, 32 + 66 + 9 + 15);
    for (const d of all) {
      const compact = compactFromDer(hex(d));
      equal(compact.length, 64);
      equal(toHex(derFromCompact(compact)), d);
    }
  });

  it('refuses DER that is not strict', () => {
    const good = hex(appendixC[0]!.remote_signature); // 3045022100c3...: r has a 0x00 pad byte
    throws(() => compactFromDer(good.subarray(0, good.length - 1)), Bolt3Error, 'bad_signature');
    const trailing = new Uint8Array([...good, 0x01]);
    throws(() => compactFromDer(trailing), Bolt3Error, 'bad_signature');
    const unpadded = good.slice();
    unpadded[4] = 0x20; // r claims 32 bytes but keeps its pad: lengths no longer add up
    throws(() => compactFromDer(unpadded), Bolt3Error, 'bad_signature');
    // r = 0x00 0x01 ...: a zero byte not needed for the sign is not minimal.
    const nonMinimal = hex('3008020200010202' + '0001');
    throws(() => compactFromDer(nonMinimal), Bolt3Error, 'bad_signature');
    const negative = hex('300602018102017f');
    throws(() => compactFromDer(negative), Bolt3Error, 'bad_signature');
    throws(() => derFromCompact(new Uint8Array(63)), Bolt3Error, 'bad_signature');
  });
});
