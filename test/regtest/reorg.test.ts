// Reorganisations in the chain itself: the replaced blocks' transactions return to the mempool
// only while still valid, and the UTXO set is exactly restored.
import { describe, it } from 'node:test';
import { equal, ok } from '../support/assert.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { fund, payment, spend, SINK, type Coin } from './helpers.ts';

describe('regtest reorganisation', () => {
  it('returns still-valid transactions to the mempool and drops those spending a replaced coinbase', () => {
    const chain = new RegtestChain({ verifier: bitcoreVerifier });
    chain.mine(101);
    const [cbHash] = chain.mine(1, payment('wpkh').script);
    const cb = chain.index.get(cbHash!)!.block.txs[0]!;
    chain.mine(100);
    const fromCoinbase = spend(
      [{ txid: cb.txid, vout: 0, value: cb.outputs[0]!.value, kind: 'wpkh' } as Coin],
      [
        { script: SINK.script, value: 1_000_000n },
        { script: payment('wpkh').script, value: cb.outputs[0]!.value - 1_010_000n },
      ],
    );
    const a = chain.accept(fromCoinbase);
    ok(a.ok, JSON.stringify(a));
    const coin = fund(chain, 'tr-key', 40_000n, false); // spends an old coinbase of the chain's own
    chain.mine(1);
    const tipBefore = chain.height;
    const hashes = chain.reorg(102); // replaces the coinbase's block and everything above it
    equal(hashes.length, 103);
    equal(chain.height, tipBefore + 1);
    ok(!chain.txIndex.has(cb.txid), 'the replaced coinbase is gone');
    ok(a.ok && !chain.mempool.get(a.txid), 'its spend is not valid any more');
    ok(chain.mempool.get(coin.txid), 'the send from an older coin is back in the mempool');
    ok(!chain.utxos.has(`${cb.txid}:0`));
    const input = chain.mempool.get(coin.txid)!.tx.inputs[0]!;
    ok(chain.utxos.has(`${input.txid}:${input.vout}`), 'the coin the send spent is unspent again (undo data)');
    ok(!chain.spentBy.has(`${input.txid}:${input.vout}`));
    // Mining it again confirms it on the new branch.
    chain.mine(1);
    equal(chain.txIndex.get(coin.txid)?.entry.height, chain.height);
    equal(chain.mempool.size, 0);
  });
});
