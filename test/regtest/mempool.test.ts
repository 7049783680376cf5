// The regtest mempool refuses what Bitcoin Core refuses, with Core's reject reasons, and accepts
// the spends Core accepts (P2WPKH, P2WSH, P2TR key and script path).
import { describe, it, before } from 'node:test';
import { equal, ok } from '../support/assert.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx, makeTx } from '../../src/regtest/tx.ts';
import { fmtBtc } from '../../src/regtest/mempool.ts';
import { fund, key, lockScript, payment, spend, spendLocked, SINK, type Coin, type Kind } from './helpers.ts';
import { p2tr, Transaction } from '@scure/btc-signer';
import { pubSchnorr } from '@scure/btc-signer/utils.js';
import { REGTEST_NETWORK } from '../../src/regtest/params.ts';

function reject(chain: RegtestChain, raw: Uint8Array): string {
  const r = chain.accept(raw);
  if (r.ok) throw new Error(`accepted ${r.txid}, expected a refusal`);
  return r.reason;
}

function accepted(chain: RegtestChain, raw: Uint8Array): string {
  const r = chain.accept(raw);
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  return r.txid;
}

const to = (value: bigint) => [{ script: SINK.script, value }];

describe('regtest mempool acceptance', () => {
  let chain: RegtestChain;
  let now = 1_700_000_000;
  before(() => {
    chain = new RegtestChain({ now: () => now, verifier: bitcoreVerifier });
    chain.mine(101);
  });

  for (const kind of ['wpkh', 'wsh', 'tr-key', 'tr-script'] as Kind[]) {
    it(`accepts a ${kind} spend and refuses it with a bad signature`, () => {
      const coin = fund(chain, kind, 100_000n);
      const reason = reject(chain, spend([coin], to(99_000n), { badSig: true }));
      const want = kind.startsWith('tr')
        ? 'mandatory-script-verify-flag-failed (Invalid Schnorr signature)'
        : 'mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)';
      equal(reason, want);
      const txid = accepted(chain, spend([coin], to(99_000n)));
      ok(chain.mempool.get(txid), 'in the mempool');
      chain.mine(1);
      equal(chain.txIndex.get(txid)?.entry.height, chain.height, 'mined in the next block');
    });
  }

  it('checks that taproot and segwit v0 signatures commit to the spent amount', () => {
    for (const kind of ['tr-key', 'wpkh'] as Kind[]) {
      const coin = fund(chain, kind, 100_000n);
      // Signed as if the output held 1 sat more: a valid signature over the wrong BIP 341/143 digest.
      const reason = reject(chain, spend([{ ...coin, value: 100_001n }], to(99_000n)));
      ok(reason.startsWith('mandatory-script-verify-flag-failed ('), reason);
    }
  });

  it('refuses a spend of a missing or spent output', () => {
    const coin = fund(chain, 'wpkh', 50_000n);
    const fake: Coin = { ...coin, txid: 'ab'.repeat(32) };
    equal(reject(chain, spend([fake], to(49_000n))), 'bad-txns-inputs-missingorspent');
    accepted(chain, spend([coin], to(49_000n)));
    chain.mine(1);
    equal(reject(chain, spend([coin], to(48_000n))), 'bad-txns-inputs-missingorspent', 'spent in a block');
  });

  it('refuses outputs above inputs, fees below 1 sat/vB, non-standard scripts and dust', () => {
    const coin = fund(chain, 'wpkh', 50_000n);
    const valid = decodeTx(spend([coin], to(49_000n)));
    const over = makeTx({ ...valid, outputs: [{ script: SINK.script, value: 50_001n }] });
    equal(reject(chain, over.raw), 'bad-txns-in-belowout');
    const r = chain.accept(over.raw);
    equal(!r.ok && r.message, 'bad-txns-in-belowout, value in (0.0005) < value out (0.00050001)', "Core's message");
    equal(fmtBtc(50n * 100_000_000n), '50.00');
    equal(fmtBtc(123_450_000n), '1.2345');
    equal(reject(chain, spend([coin], to(50_000n))), 'min relay fee not met');
    const vsize = decodeTx(spend([coin], to(50_000n))).vsize;
    equal(reject(chain, spend([coin], to(50_000n - BigInt(vsize) + 1n))), 'min relay fee not met', 'one sat short');
    equal(reject(chain, spend([coin], [{ script: Uint8Array.of(0x51), value: 40_000n }])), 'scriptpubkey');
    equal(
      reject(
        chain,
        spend(
          [coin],
          [
            { script: SINK.script, value: 293n },
            { script: SINK.script, value: 40_000n },
          ],
        ),
      ),
      'dust',
      'P2WPKH dust is below 294',
    );
    accepted(
      chain,
      spend(
        [coin],
        [
          { script: SINK.script, value: 294n },
          { script: SINK.script, value: 40_000n },
        ],
      ),
    );
  });

  it('refuses a coinbase spend before 100 confirmations', () => {
    const pay = payment('wpkh');
    const [hash] = chain.mine(1, pay.script);
    const cb = chain.index.get(hash!)!.block.txs[0]!;
    const coin: Coin = { txid: cb.txid, vout: 0, value: cb.outputs[0]!.value, kind: 'wpkh' };
    chain.mine(98);
    equal(reject(chain, spend([coin], to(coin.value - 1000n))), 'bad-txns-premature-spend-of-coinbase', '99 confirmations');
    chain.mine(1);
    accepted(chain, spend([coin], to(coin.value - 1000n)));
  });

  it('refuses a transaction not final by nLockTime (height and time), then accepts it', () => {
    const coin = fund(chain, 'wpkh', 50_000n);
    const lock = chain.height + 1; // final once the next block's height is above it
    equal(reject(chain, spend([coin], to(49_000n), { lockTime: lock, sequence: 0xfffffffe })), 'non-final');
    chain.mine(1);
    accepted(chain, spend([coin], to(49_000n), { lockTime: lock, sequence: 0xfffffffe }));
    const coin2 = fund(chain, 'wpkh', 50_000n);
    const mtp = chain.medianTimePast(chain.tip);
    equal(
      reject(chain, spend([coin2], to(49_000n), { lockTime: mtp, sequence: 0xfffffffe })),
      'non-final',
      'time lock at the median time past',
    );
    accepted(chain, spend([coin2], to(49_000n), { lockTime: mtp - 1, sequence: 0xfffffffe }));
  });

  it('refuses a BIP 68 relative lock until its blocks or its time have passed', () => {
    const coin = fund(chain, 'wpkh', 50_000n); // one confirmation
    equal(reject(chain, spend([coin], to(49_000n), { sequence: 3 })), 'non-BIP68-final');
    // Version 1 transactions do not enforce BIP 68.
    accepted(chain, spend([coin], to(49_000n), { sequence: 3, version: 1 }));
    const coin2 = fund(chain, 'wpkh', 50_000n);
    chain.mine(1);
    equal(reject(chain, spend([coin2], to(49_000n), { sequence: 3 })), 'non-BIP68-final', 'two confirmations of three');
    chain.mine(1);
    accepted(chain, spend([coin2], to(49_000n), { sequence: 3 }));
    // Time-based: 1 unit = 512 s of median time past after the coin's block.
    const coin3 = fund(chain, 'wpkh', 50_000n);
    const timeLock = (1 << 22) | 1;
    equal(reject(chain, spend([coin3], to(49_000n), { sequence: timeLock })), 'non-BIP68-final');
    now += 2000;
    chain.mine(11); // the median time past moves past the coin's by more than 512 s
    accepted(chain, spend([coin3], to(49_000n), { sequence: timeLock }));
  });

  /** Pays `value` to a lock script's P2WSH address and confirms it. */
  function fundLocked(lock: ReturnType<typeof lockScript>, value: bigint): { txid: string; vout: number; value: bigint } {
    const txid = chain.wallet.send(lock.address, value);
    chain.mine(1);
    const vout = chain.findTx(txid)!.tx.outputs.findIndex(o => o.value === value);
    return { txid, vout, value };
  }

  it('evaluates OP_CHECKLOCKTIMEVERIFY against nLockTime', () => {
    const lock = chain.height + 3;
    const cltv = lockScript('CHECKLOCKTIMEVERIFY', lock);
    const coin = fundLocked(cltv, 60_000n);
    equal(
      reject(chain, spendLocked(coin, cltv.witnessScript, to(59_000n), { lockTime: chain.height, sequence: 0xfffffffe })),
      'mandatory-script-verify-flag-failed (Locktime requirement not satisfied)',
    );
    equal(reject(chain, spendLocked(coin, cltv.witnessScript, to(59_000n), { lockTime: lock, sequence: 0xfffffffe })), 'non-final');
    chain.mine(2);
    accepted(chain, spendLocked(coin, cltv.witnessScript, to(59_000n), { lockTime: lock, sequence: 0xfffffffe }));
  });

  it('evaluates OP_CHECKSEQUENCEVERIFY against the input nSequence', () => {
    const csv = lockScript('CHECKSEQUENCEVERIFY', 3);
    const coin = fundLocked(csv, 60_000n);
    equal(
      reject(chain, spendLocked(coin, csv.witnessScript, to(59_000n), { sequence: 1 })),
      'mandatory-script-verify-flag-failed (Locktime requirement not satisfied)',
    );
    equal(reject(chain, spendLocked(coin, csv.witnessScript, to(59_000n), { sequence: 3 })), 'non-BIP68-final');
    chain.mine(2);
    accepted(chain, spendLocked(coin, csv.witnessScript, to(59_000n), { sequence: 3 }));
  });

  it('replaces by fee any conflicting transaction paying more, signalling or not (full RBF, Bitcoin Core 28)', () => {
    const coin = fund(chain, 'wpkh', 50_000n);
    const first = accepted(chain, spend([coin], to(49_000n), { sequence: 0xffffffff }));
    equal(reject(chain, spend([coin], to(49_000n - 50n))), 'insufficient fee', 'more fee but not 1 sat/vB more');
    // (lockTime 1 only makes it a different transaction paying the same fee)
    equal(reject(chain, spend([coin], to(49_000n), { lockTime: 1 })), 'insufficient fee', 'same fee');
    const second = accepted(chain, spend([coin], to(48_000n)));
    ok(!chain.mempool.get(first), 'the non-signalling one was replaced and left the mempool');
    ok(chain.mempool.get(second));
    chain.mine(1);
    ok(chain.txIndex.has(second));
  });

  it('refuses a replacement that spends what it replaces, adds an unconfirmed input, or evicts more than 100', () => {
    const coin = fund(chain, 'wpkh', 900_000n);
    const other = fund(chain, 'wpkh', 50_000n);
    // A parent with 101 outputs to our key, and a child of it: replacing the parent evicts both.
    const parent = decodeTx(spend([coin], [...Array.from({ length: 101 }, () => ({ script: payment('wpkh').script, value: 8_000n }))]));
    accepted(chain, parent.raw);
    const out = (n: number): Coin => ({ txid: parent.txid, vout: n, value: 8_000n, kind: 'wpkh' });
    const child = accepted(chain, spend([out(0)], to(7_000n)));
    equal(reject(chain, spend([coin, out(1)], to(890_000n))), 'bad-txns-spends-conflicting-tx', 'an output of the transaction it replaces');
    // Rule 2: an unconfirmed input (the child's output) that no replaced transaction spent from.
    const other2 = accepted(chain, spend([other], to(49_000n)));
    equal(
      reject(chain, spend([other, { txid: child, vout: 0, value: 7_000n, kind: 'wpkh' } as Coin], to(40_000n))),
      'replacement-adds-unconfirmed',
    );
    ok(chain.mempool.get(other2));
    // Rule 5: 100 more children make 101 descendants with the parent: one replacement may evict at most 100.
    for (let n = 1; n < 101; n++) accepted(chain, spend([out(n)], to(7_000n)));
    equal(reject(chain, spend([coin], to(100_000n))), 'too many potential replacements');
    chain.mine(1);
    equal(chain.mempool.size, 0);
  });

  it('holds a bounded number of transactions ("mempool full" beyond)', () => {
    const small = new RegtestChain({ verifier: bitcoreVerifier, maxMempoolTxs: 1 });
    small.mine(101);
    small.wallet.send(SINK.address, 10_000n);
    let err: unknown;
    try {
      small.wallet.send(SINK.address, 10_000n);
    } catch (e) {
      err = e;
    }
    ok(err instanceof Error && err.message.endsWith('mempool full'), String(err));
    small.mine(1);
    equal(small.mempool.size, 0);
    small.wallet.send(SINK.address, 10_000n);
  });

  it('refuses what Bitcoin Core checks before anything else', () => {
    const coin = fund(chain, 'wpkh', 50_000n);
    const t = decodeTx(spend([coin], to(49_000n)));
    const dup = makeTx({ ...t, inputs: [t.inputs[0]!, t.inputs[0]!] });
    equal(reject(chain, dup.raw), 'bad-txns-inputs-duplicate');
    equal(reject(chain, makeTx({ ...t, outputs: [] }).raw), 'bad-txns-vout-empty');
    equal(reject(chain, makeTx({ ...t, version: 4 }).raw), 'version');
    const r = chain.accept(Uint8Array.of(1, 2, 3));
    ok(!r.ok && r.reason === 'TX decode failed');
  });
});

describe('regtest taproot signatures for every key', () => {
  it('accepts a key-path spend whose output key starts with a zero byte (bitcore-lib alone refuses it) and refuses it with a bad signature', () => {
    const chain = new RegtestChain({ now: () => 1_700_000_000, verifier: bitcoreVerifier });
    chain.mine(101);
    // About 1 key in 256 has an x coordinate starting with 0x00: find one, deterministically.
    let sk = key('zero-x 0');
    for (let i = 1; p2tr(pubSchnorr(sk), undefined, REGTEST_NETWORK).script[2] !== 0; i++) sk = key(`zero-x ${i}`);
    const pay = p2tr(pubSchnorr(sk), undefined, REGTEST_NETWORK);
    const txid = chain.wallet.send(pay.address!, 100_000n);
    chain.mine(1);
    const vout = chain.findTx(txid)!.tx.outputs.findIndex(o => o.value === 100_000n);
    const signed = (flip: boolean) => {
      const tx = new Transaction();
      tx.addInput({ txid, index: vout, witnessUtxo: { script: pay.script, amount: 100_000n }, tapInternalKey: pay.tapInternalKey });
      tx.addOutput({ script: SINK.script, amount: 99_000n });
      tx.signIdx(sk, 0);
      tx.finalize();
      if (!flip) return tx.extract();
      const t = decodeTx(tx.extract());
      const sig = t.inputs[0]!.witness[0]!.slice();
      sig[10] = sig[10]! ^ 1;
      t.inputs[0]!.witness[0] = sig;
      return makeTx(t).raw;
    };
    equal(reject(chain, signed(true)), 'mandatory-script-verify-flag-failed (Invalid Schnorr signature)');
    accepted(chain, signed(false));
  });
});
