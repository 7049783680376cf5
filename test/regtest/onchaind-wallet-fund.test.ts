// option_anchors: our HTLC transactions pay no fee (BOLT 3), so lightningd's wallet pays it, as
// lightningd does for onchaind (onchain-control.ts `fund` and `broadcast`): the real Wallet adds a
// coin and change to onchaind's destination (Wallet.fundChild), onchaind's hsmd signs input 0 over
// it, and the Wallet has hsmd sign only its own input (signWithdrawal with `null` for input 0,
// Wallet.signChild). The regtest chain's script interpreter accepts the whole.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { TX_OPTS } from '../../src/core/bolt3/index.ts';
import { daemon } from '../../src/core/daemons/onchaind/host.ts';
import { HsmError } from '../../src/core/daemons/hsmd/hsmd.ts';
import { MemoryWalletStorage } from '../../src/core/wallet/state.ts';
import { Wallet } from '../../src/core/wallet/wallet.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { scriptAddress } from '../../src/regtest/policy.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { deepEqual, equal, ok, throws } from '../support/assert.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryChannelStore, SEED } from '../core/hsmd-channel-fixture.ts';
import { closing, FUNDING, fundingOutputScript, initFor, onchainHsm, PREIMAGE, signedB } from '../core/onchain-fixture.ts';

let now = 1_700_000_000;

describe('the wallet pays the fee of onchaind’s zero-fee HTLC transactions (option_anchors)', () => {
  it('HTLC-success with a wallet coin and change: hsmd signs the wallet input only, the chain accepts it', async () => {
    const chain = new RegtestChain({ now: () => (now += 600), verifier: bitcoreVerifier });
    chain.mine(101);
    const script = fundingOutputScript(new Hsmd(SEED, new MemoryChannelStore()));
    const fundingTxid = chain.wallet.send(scriptAddress(script)!, FUNDING);
    chain.mine(1);
    const vout = chain.findTx(fundingTxid)!.tx.outputs.findIndex(o => o.value === FUNDING && toHex(o.script) === toHex(script));
    const x = await closing({ anchors: true, funding: { txid: fundingTxid, vout }, cltvBase: chain.height + 30 });

    // lightningd's wallet over the same hsmd's keys, with one confirmed coin (P2TR: its BIP 341 sighash needs every input's spent output).
    const wallet = await Wallet.open({
      network: 'regtest',
      storage: new MemoryWalletStorage(),
      signer: { walletXpub: t => x.hsmd.walletXpub(t), signWithdrawal: (p, i) => x.hsmd.signWithdrawal(p, i) },
    });
    const coinTxid = chain.wallet.send(await wallet.newaddr('p2tr'), 50_000n);
    chain.mine(1);
    const b = chain.at(chain.height)!;
    await wallet.blockConnected({
      height: b.height,
      hash: b.block.hash,
      prevHash: b.prev!.block.hash,
      time: 0,
      txs: b.block.txs.map(t => t.raw),
    });
    equal(wallet.listfunds().length, 1);

    const ours = await signedB(x);
    const r = chain.accept(ours.raw);
    ok(r.ok);
    chain.mine(1);
    const init = initFor(x, ours.raw, chain.height);
    const commitment = Transaction.fromRaw(ours.raw, TX_OPTS);
    const sent: Uint8Array[] = [];
    const refused: string[] = [];
    const events = {
      watch: () => undefined,
      fund: (req: { tx: Uint8Array; inputWitnessWeight: number; feeratePerKw: number }) =>
        wallet.fundChild({ ...req, change: init.destination.script }),
      broadcast: async (raw: Uint8Array) => {
        const signed = await wallet.signChild(raw, (txid, n) =>
          txid === commitment.id ? { script: commitment.getOutput(n).script!, amount: commitment.getOutput(n).amount! } : undefined,
        );
        const a = chain.accept(signed);
        if (a.ok) sent.push(signed);
        else if (a.reason !== 'txn-already-in-mempool') refused.push(`${a.reason}: ${a.message}`);
      },
      preimage: () => undefined,
      htlcFailed: () => undefined,
      resolved: () => undefined,
    };
    const env = { clock: new FakeClock(), log: { debug() {}, info() {}, warn() {} }, randomBytes: (n: number) => new Uint8Array(n) };
    await daemon.start(init, { hsm: onchainHsm(x.hsmd), events } as never, env as never);

    // The HTLC A offered us, whose preimage we hold: HTLC-success at once, funded by the wallet coin.
    equal(refused.length, 0, refused.join('; '));
    const success = sent.map(s => decodeTx(s)).find(t => t.inputs.some(i => i.witness.some(w => toHex(w) === toHex(PREIMAGE.toB))));
    ok(success, 'HTLC-success accepted by the chain');
    deepEqual(
      success!.inputs.map(i => `${i.txid}:${i.vout}`).slice(1),
      [`${coinTxid}:${chain.findTx(coinTxid)!.tx.outputs.findIndex(o => o.value === 50_000n)}`],
      'input 1: the wallet coin',
    );
    equal(success!.inputs[0]!.txid, commitment.id);
    deepEqual(success!.outputs[1]!.script, init.destination.script, 'change to the wallet');
    ok(success!.outputs[1]!.value < 50_000n && success!.outputs[1]!.value > 45_000n);

    // hsmd signs no PSBT in which no input is the wallet's.
    const psbt = new Transaction({ version: 2 });
    psbt.addInput({
      txid: commitment.id,
      index: 0,
      witnessUtxo: { script: commitment.getOutput(0).script!, amount: commitment.getOutput(0).amount! },
    });
    psbt.addOutput({ script: init.destination.script, amount: 1000n });
    throws<HsmError>(() => x.hsmd.signWithdrawal(psbt.toPSBT(), [null]), HsmError, 'bad_inputs');
  });
});
