// hsmd's wallet signing: signWithdrawal signs PSBT inputs of the wallet's own keys (P2WPKH and BIP86
// P2TR), and the result, finalized, passes the regtest chain's script check (bitcore-lib's
// interpreter, the check `boltworker regtest` applies before accepting a transaction). It refuses,
// signing nothing, an input that is not the wallet's key at that index and type, a PSBT without
// witnessUtxo, and an input list that does not match the PSBT.
import { HDKey } from '@scure/bip32';
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { toHex } from '../../src/core/base/bytes.ts';
import { mnemonicSeed } from '../../src/core/keys/seed.ts';
import { Hsmd, HsmError, type WalletAddressType } from '../../src/core/daemons/hsmd/hsmd.ts';
import { walletScript } from '../../src/core/daemons/hsmd/withdrawal.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { equal, ok, throws } from '../support/assert.ts';

const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const hsmd = new Hsmd(mnemonicSeed(MNEMONIC));
const chain = HDKey.fromExtendedKey(hsmd.walletXpub('p2tr'));
const scriptOf = (index: number, type: WalletAddressType) => walletScript(chain.deriveChild(index).publicKey!, type);
const DEST = p2wpkh(HDKey.fromMasterSeed(new Uint8Array(32).fill(9)).publicKey!).script;

interface Spend {
  index: number;
  type: WalletAddressType;
  amount: bigint;
  script?: Uint8Array;
}

/** A PSBT spending one made-up output per entry of `spends` to DEST. */
function psbtFor(spends: Spend[], withUtxo = true): Uint8Array {
  const tx = new Transaction();
  spends.forEach((s, i) => {
    tx.addInput({
      txid: new Uint8Array(32).fill(i + 1),
      index: i,
      ...(withUtxo ? { witnessUtxo: { script: s.script ?? scriptOf(s.index, s.type), amount: s.amount } } : {}),
    });
  });
  tx.addOutput({ script: DEST, amount: spends.reduce((a, s) => a + s.amount, 0n) - 1000n });
  return tx.toPSBT();
}

function finalizeAndVerify(signed: Uint8Array, spends: Spend[]): void {
  const tx = Transaction.fromPSBT(signed);
  tx.finalize();
  const raw = decodeTx(tx.extract());
  const prevouts = spends.map(s => ({ value: s.amount, script: s.script ?? scriptOf(s.index, s.type) }));
  equal(bitcoreVerifier(raw, prevouts), undefined, 'the script check accepts every input');
}

describe('hsmd: signWithdrawal', () => {
  it('signs P2WPKH and P2TR wallet inputs; the finalized transaction passes the chain script check', () => {
    const spends: Spend[] = [
      { index: 0, type: 'p2wpkh', amount: 50_000n },
      { index: 7, type: 'p2tr', amount: 70_000n },
      { index: 7, type: 'p2wpkh', amount: 10_000n },
      { index: 1234, type: 'p2tr', amount: 20_000n },
    ];
    const signed = hsmd.signWithdrawal(
      psbtFor(spends),
      spends.map(({ index, type }) => ({ index, type })),
    );
    finalizeAndVerify(signed, spends);
  });

  it('a signature made for one amount fails the script check when the amount differs (the check can fail)', () => {
    const spends: Spend[] = [{ index: 3, type: 'p2tr', amount: 40_000n }];
    const signed = hsmd.signWithdrawal(psbtFor(spends), [{ index: 3, type: 'p2tr' }]);
    const tx = Transaction.fromPSBT(signed);
    tx.finalize();
    const failure = bitcoreVerifier(decodeTx(tx.extract()), [{ value: 40_001n, script: scriptOf(3, 'p2tr') }]);
    ok(failure !== undefined, 'a wrong amount must fail');
  });

  it("refuses an input whose script is not the wallet's key at that index and type, signing nothing", () => {
    const cases: [Spend, string][] = [
      // [input, what is wrong with it]
      [{ index: 1, type: 'p2wpkh', amount: 1000n, script: scriptOf(2, 'p2wpkh') }, 'another index'],
      [{ index: 1, type: 'p2wpkh', amount: 1000n, script: scriptOf(1, 'p2tr') }, 'another type'],
      [{ index: 1, type: 'p2tr', amount: 1000n, script: DEST }, 'a foreign script'],
    ];
    for (const [bad] of cases) {
      const spends: Spend[] = [{ index: 0, type: 'p2tr', amount: 5000n }, bad];
      throws(
        () =>
          hsmd.signWithdrawal(
            psbtFor(spends),
            spends.map(({ index, type }) => ({ index, type })),
          ),
        HsmError,
        'not_ours',
      );
    }
  });

  it('refuses a taproot input with another internal key or a script tree', () => {
    const spend: Spend = { index: 4, type: 'p2tr', amount: 9000n };
    // btc-signer's own check refuses to build these; a hostile lightningd could still send them.
    const opts = { disableScriptCheck: true };
    const tx = Transaction.fromPSBT(psbtFor([spend]), opts);
    tx.updateInput(0, { tapInternalKey: chain.deriveChild(5).publicKey!.subarray(1) }, true);
    // btc-signer's PSBT parser already refuses an internal key that does not commit to the output.
    throws(() => hsmd.signWithdrawal(tx.toPSBT(), [{ index: 4, type: 'p2tr' }]), HsmError, 'bad_psbt');
    const tx2 = Transaction.fromPSBT(psbtFor([spend]), opts);
    tx2.updateInput(0, { tapMerkleRoot: new Uint8Array(32).fill(1) }, true);
    throws(() => hsmd.signWithdrawal(tx2.toPSBT(), [{ index: 4, type: 'p2tr' }]), HsmError, 'not_ours');
  });

  it('refuses a PSBT without witnessUtxo, a bad PSBT, and an input list that does not match', () => {
    const spends: Spend[] = [
      { index: 0, type: 'p2wpkh', amount: 5000n },
      { index: 1, type: 'p2tr', amount: 5000n },
    ];
    const named = spends.map(({ index, type }) => ({ index, type }));
    throws(() => hsmd.signWithdrawal(psbtFor(spends, false), named), HsmError, 'no_witness_utxo');
    throws(() => hsmd.signWithdrawal(new Uint8Array([1, 2, 3]), named), HsmError, 'bad_psbt');
    throws(() => hsmd.signWithdrawal('70736274ff' as unknown as Uint8Array, named), HsmError, 'bad_psbt');
    const psbt = psbtFor(spends);
    throws(() => hsmd.signWithdrawal(psbt, named.slice(0, 1)), HsmError, 'bad_inputs');
    throws(() => hsmd.signWithdrawal(psbt, [...named, { index: 2, type: 'p2tr' }]), HsmError, 'bad_inputs');
    throws(() => hsmd.signWithdrawal(psbt, [named[0]!, { index: -1, type: 'p2tr' }]), HsmError, 'bad_inputs');
    throws(() => hsmd.signWithdrawal(psbt, [named[0]!, { index: 2 ** 31, type: 'p2tr' }]), HsmError, 'bad_inputs');
    throws(() => hsmd.signWithdrawal(psbt, [named[0]!, { index: 1.5, type: 'p2tr' }]), HsmError, 'bad_inputs');
    throws(() => hsmd.signWithdrawal(psbt, [named[0]!, { index: 1, type: 'p2pkh' as 'p2tr' }]), HsmError, 'bad_inputs');
    throws(() => hsmd.signWithdrawal(psbt, null as never), HsmError, 'bad_inputs');
    // Nothing was signed by the refusals: the PSBT we hold is unchanged, and still signable.
    equal(toHex(psbt), toHex(psbtFor(spends)));
    finalizeAndVerify(hsmd.signWithdrawal(psbt, named), spends);
  });

  it('refuses a non-default sighash', () => {
    const spend: Spend = { index: 0, type: 'p2wpkh', amount: 5000n };
    const tx = Transaction.fromPSBT(psbtFor([spend]));
    tx.updateInput(0, { sighashType: 0x02 /* NONE */ }, true);
    throws(() => hsmd.signWithdrawal(tx.toPSBT(), [{ index: 0, type: 'p2wpkh' }]), HsmError, 'cannot_sign');
  });
});
