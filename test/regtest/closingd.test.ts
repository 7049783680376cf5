// Mutual close end to end on the regtest chain (its mempool refuses what Bitcoin Core refuses): a
// 2-of-2 funding output of both hsmds' funding keys is paid and confirmed, the channel's commitment
// 0 is signed and validated in both hsmds, then two closingds negotiate the close; the closing
// transaction either side hands lightningd passes the chain's script check, is accepted into the
// mempool and confirms, paying each side's wallet what it held (the funder less the fee; with
// option_simple_close, the closer less its fee). With its signatures swapped it is refused.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { FeatureVector } from '../../src/core/features/index.ts';
import { equal, ok } from '../support/assert.ts';
import { closePair, fundingOutputScript, hsmdChannel, hsmds, walletOut } from '../core/closingd-fixture.ts';
import { fund, SINK, spend } from './helpers.ts';

const FUNDING = 1_000_000n;

describe('closingd on the regtest chain', () => {
  let now = 1_700_000_000;
  const chain = new RegtestChain({ now: () => now, verifier: bitcoreVerifier });
  chain.mine(101);

  const SIMPLE = FeatureVector.fromBits([13, 27, 61]).toHex();
  const simple = { ourFeatures: SIMPLE, theirFeatures: SIMPLE, lockTime: 100 };
  for (const [name, pushMsat, anchors, init] of [
    ['both outputs (static_remotekey)', 300_000_000n, false, {}],
    ['both outputs (anchors)', 450_000_000n, true, {}],
    ["the fundee's dust trimmed", 500_000n, false, {}],
    ['option_simple_close, each side its own close', 300_000_000n, false, simple],
  ] as const) {
    it(`${name}: the negotiated close spends the funding output, relays and confirms`, async () => {
      const h = hsmds();
      const coin = fund(chain, 'wpkh', FUNDING + 50_000n);
      const raw = spend(
        [coin],
        [
          { script: fundingOutputScript(h), value: FUNDING },
          { script: SINK.script, value: 49_000n },
        ],
      );
      const funding = chain.accept(raw);
      ok(funding.ok, funding.ok ? '' : funding.message);
      now += 600;
      chain.mine(3);

      const states = await hsmdChannel(h, {
        fundingTxid: funding.txid,
        fundingOutputIndex: 0,
        fundingSatoshis: FUNDING,
        pushMsat,
        anchors,
      });
      const { a, b } = await closePair(h, { states, init: { a: init, b: init } });
      const [ra, rb] = await Promise.all([a.api.negotiate(), b.api.negotiate()]);
      // Legacy: one close both hold. Simple close: each its own (A's, which A pays for, is tried here).
      equal(toHex(ra.tx) === toHex(rb.tx), init !== simple);

      const tx = decodeTx(ra.tx);
      equal(tx.txid, ra.txid);
      const paid = (w: 'a' | 'b') => tx.outputs.find(o => toHex(o.script) === toHex(walletOut(h[w], 5)))?.value;
      equal(paid('a'), (FUNDING * 1000n - pushMsat) / 1000n - ra.feeSatoshis);
      equal(paid('b'), pushMsat >= 546_000n ? pushMsat / 1000n : undefined, "the fundee's output, unless below the dust limit");
      if (init === simple) equal(tx.lockTime, 100);

      // Swapped signatures fail the 2-of-2: the mempool refuses it.
      const swapped = Transaction.fromRaw(ra.tx, TX_OPTS);
      const w = swapped.getInput(0).finalScriptWitness!;
      swapped.updateInput(0, { finalScriptWitness: [w[0]!, w[2]!, w[1]!, w[3]!] }, true);
      const bad = chain.accept(swapped.toBytes(true, true));
      ok(!bad.ok && bad.reason.startsWith('mandatory-script-verify-flag-failed'), 'swapped signatures are refused');

      const sent = chain.accept(ra.tx);
      ok(sent.ok, sent.ok ? '' : sent.message);
      now += 600;
      chain.mine(1);
      equal(chain.txIndex.get(ra.txid)?.entry.height, chain.height, 'the close confirmed');
    });
  }
});
