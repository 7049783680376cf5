// openingd end to end on the regtest chain (its mempool refuses what Bitcoin Core refuses): ours as
// opener and ours as accepter open a channel through their daemons; the opener's caller pays the
// funding output openingd gave it from a regtest coin, broadcasts only after funding_signed, and
// the funding transaction confirms; at minimum_depth both send channel_ready. Then each side's commitment 0, signed by both with the
// witness BOLT 3 gives (`0 <sig1> <sig2> <funding witness script>`), passes the chain's script
// check, and the opener's is accepted into the mempool and mined; with one signature it is refused.
import { derFromCompact, fundingWitness, scriptSig, setWitness, SIGHASH_ALL, signInput } from '../../src/core/bolt3/index.ts';
import type { Funded } from '../../src/core/daemons/openingd/opening.ts';
import { localFirstCommitment } from '../../src/core/daemons/openingd/ready.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { deepEqual, equal, ok } from '../support/assert.ts';
import { pair, SECRETS, TYPE, type Who } from '../core/openingd-fixture.ts';
import { fund, SINK, spend } from './helpers.ts';

const FUNDING = 1_000_000n;

/** `who`'s commitment 0 with both signatures, as `who` would broadcast it. */
function signedCommitment(f: Funded, who: Who, oneSignatureOnly = false): Uint8Array {
  const { commitment } = localFirstCommitment(f);
  const tx = commitment.tx;
  const ours = signInput(tx, 0, commitment.fundingScript, f.params.fundingSatoshis, SECRETS[who].funding, SIGHASH_ALL);
  const theirs = scriptSig(derFromCompact(f.localCommitSignature), SIGHASH_ALL);
  const witness = fundingWitness(
    commitment.fundingScript,
    { pubkey: f.params.local.fundingPubkey, sig: ours },
    { pubkey: f.params.remote.fundingPubkey, sig: oneSignatureOnly ? ours : theirs },
  );
  setWitness(tx, 0, witness);
  return tx.extract();
}

describe('openingd on the regtest chain', () => {
  let now = 1_700_000_000;
  const chain = new RegtestChain({ now: () => now, verifier: bitcoreVerifier });
  chain.mine(101);

  for (const [name, type] of [
    ['option_static_remotekey', TYPE.staticRemotekey],
    ['option_anchors', TYPE.anchors],
  ] as const) {
    it(`${name}: funding after funding_signed, then both commitments signed by both pass; the opener's confirms`, async () => {
      const coin = fund(chain, 'wpkh', FUNDING + 50_000n);
      const { a, b } = await pair({ type, fundingSatoshis: FUNDING, pushMsat: 100_000_000n, feeratePerKw: 2_500 });
      const accepting = b.api.accept();
      const out = await a.api.open();
      equal(out.amount, FUNDING);
      // The caller builds the funding transaction; openingd only names its output.
      const raw = spend(
        [coin],
        [
          { script: out.script, value: FUNDING },
          { script: SINK.script, value: 49_000n },
        ],
      );
      const txid = decodeTx(raw).txid;
      ok(!chain.mempool.get(txid), 'not broadcast before funding_signed');
      const fa = await a.api.fund(txid, 0);
      const fb = await accepting;
      // Only now: BOLT 2 funding_signed, "on receipt of a valid `funding_signed`: SHOULD broadcast".
      const sent = chain.accept(raw);
      ok(sent.ok, sent.ok ? '' : sent.message);
      now += 600;
      chain.mine(1);
      equal(chain.txIndex.get(txid)?.entry.height, chain.height, 'the funding transaction confirmed');

      // What lightningd checks before ready() (BOLT 2 channel_ready: the outpoint "pays exactly
      // `funding_satoshis` to the scriptpubkey"), at the accepter's minimum_depth.
      const paid = chain.output(txid, fa.params.fundingOutputIndex);
      ok(paid && paid.value === FUNDING && toHex(paid.script) === toHex(out.script), 'the funding output pays the 2-of-2');
      now += 600;
      chain.mine(fb.minimumDepth - 1);
      equal(chain.height - chain.txIndex.get(txid)!.entry.height + 1, fb.minimumDepth);
      const [sa, sb] = await Promise.all([a.api.ready(), b.api.ready()]);
      deepEqual(sa.params.channelId, sb.params.channelId);
      equal(sa.localCommit.spec.toLocalMsat, FUNDING * 1000n - 100_000_000n);

      const prevout = [{ value: FUNDING, script: out.script }];
      for (const [f, who] of [
        [fa, 'a'],
        [fb, 'b'],
      ] as const) {
        const c = decodeTx(signedCommitment(f, who));
        equal(c.inputs[0]!.txid, txid);
        equal(bitcoreVerifier(c, prevout), undefined, `${who}'s commitment 0 passes the script check`);
        ok(bitcoreVerifier(decodeTx(signedCommitment(f, who, true)), prevout) !== undefined, 'one signature twice does not');
      }
      const lone = chain.accept(signedCommitment(fa, 'a', true));
      ok(!lone.ok && lone.reason.startsWith('mandatory-script-verify-flag-failed'), 'the mempool refuses it with one signature');
      const commit = chain.accept(signedCommitment(fa, 'a'));
      ok(commit.ok, commit.ok ? '' : commit.message);
      now += 600;
      chain.mine(1);
      equal(chain.txIndex.get(commit.txid)?.entry.height, chain.height, "the opener's commitment 0 confirmed");
    });
  }
});
