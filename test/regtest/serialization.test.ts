// Serialization against known values and an independent implementation (bitcore-lib).
import { describe, it } from 'node:test';
import bitcore from 'bitcore-lib';
import { equal, ok, deepEqual } from '../support/assert.ts';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { checkProofOfWork, decodeBlock, genesisBlock, heightPush, merkleBranch, merkleRoot } from '../../src/regtest/block.ts';
import { RegtestChain } from '../../src/regtest/chain.ts';
import { bitcoreVerifier } from '../../src/regtest/scripts.ts';
import { decodeTx } from '../../src/regtest/tx.ts';
import { scriptAsm } from '../../src/regtest/asm.ts';
import { fund, spend, SINK } from './helpers.ts';
import { sha256d } from '../../src/core/crypto/primitives.ts';

const B = bitcore as unknown as { Transaction: new (b: Uint8Array) => { hash: string; witnessHash?: string; _getHash(): Uint8Array } };

describe('regtest serialization', () => {
  it("rebuilds Bitcoin Core's regtest genesis block", () => {
    const g = genesisBlock();
    equal(g.hash, '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    equal(g.header.merkleRoot, '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
    equal(g.txs[0]!.txid, '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b', 'the genesis coinbase txid');
    equal(g.txs[0]!.wtxid, g.txs[0]!.txid, 'no witness: wtxid = txid');
    ok(checkProofOfWork(g.hash, 0x207fffff));
  });

  it('computes txid and wtxid of a segwit transaction as bitcore-lib does, and they differ', () => {
    const chain = new RegtestChain({ verifier: bitcoreVerifier });
    chain.mine(101);
    const coin = fund(chain, 'wpkh', 50_000n);
    const raw = spend([coin], [{ script: SINK.script, value: 49_000n }]);
    const tx = decodeTx(raw);
    const b = new B.Transaction(Buffer.from(raw));
    equal(tx.txid, b.hash, 'txid');
    // wtxid: double SHA-256 of the full BIP 144 serialization.
    equal(tx.wtxid, toHex(sha256d(raw).reverse()), 'wtxid');
    ok(tx.txid !== tx.wtxid);
    equal(toHex(tx.raw), toHex(raw), 're-encodes byte for byte');
    equal(tx.weight, tx.baseSize * 3 + tx.size);
  });

  it('mines blocks whose merkle root, proof of work, BIP 34 height and witness commitment hold', () => {
    const chain = new RegtestChain({ verifier: bitcoreVerifier });
    chain.mine(101);
    fund(chain, 'tr-key', 20_000n, false);
    fund(chain, 'wpkh', 30_000n, false);
    const [hash] = chain.mine(1);
    const block = decodeBlock(chain.index.get(hash!)!.block.raw);
    equal(block.hash, hash);
    equal(block.txs.length, 3);
    ok(checkProofOfWork(block.hash, block.header.bits));
    equal(block.header.merkleRoot, merkleRoot(block.txs.map(t => t.txid)));
    // bitcore-lib's block parser agrees on the merkle root.
    const bb = (bitcore as unknown as { Block: { fromBuffer(b: Uint8Array): { validMerkleRoot(): boolean } } }).Block.fromBuffer(
      Buffer.from(block.raw),
    );
    ok(bb.validMerkleRoot(), 'bitcore-lib: valid merkle root');
    // BIP 34: the coinbase scriptSig starts with the height (102 = 0x66, one byte).
    deepEqual(block.txs[0]!.inputs[0]!.scriptSig.subarray(0, 2), heightPush(102));
    deepEqual(heightPush(102), Uint8Array.of(1, 0x66));
    deepEqual(heightPush(16), Uint8Array.of(0x60));
    deepEqual(heightPush(300), Uint8Array.of(2, 0x2c, 0x01));
    // BIP 141 commitment: sha256d(witness root with a zero coinbase wtxid || 32 zero bytes).
    const root = fromHex(merkleRoot(['0'.repeat(64), ...block.txs.slice(1).map(t => t.wtxid)])).reverse();
    const commit = block.txs[0]!.outputs.find(o => toHex(o.script).startsWith('6a24aa21a9ed'))!;
    equal(toHex(commit.script.subarray(6)), toHex(sha256d(new Uint8Array([...root, ...new Uint8Array(32)]))));
    // A merkle branch folds back to the root.
    const ids = block.txs.map(t => t.txid);
    for (let pos = 0; pos < ids.length; pos++) {
      let h = fromHex(ids[pos]!).reverse();
      merkleBranch(ids, pos).forEach((sib, level) => {
        const s = fromHex(sib).reverse();
        h = (pos >> level) & 1 ? sha256d(new Uint8Array([...s, ...h])) : sha256d(new Uint8Array([...h, ...s]));
      });
      equal(toHex(h.reverse()), block.header.merkleRoot, `branch of ${pos}`);
    }
  });

  it("prints scripts as Esplora's *_asm fields do", () => {
    const h20 = '751e76e8199196d454941c45d1b3a323f1433bd6';
    equal(scriptAsm(fromHex(`0014${h20}`)), `OP_0 OP_PUSHBYTES_20 ${h20}`);
    equal(scriptAsm(fromHex(`76a914${h20}88ac`)), `OP_DUP OP_HASH160 OP_PUSHBYTES_20 ${h20} OP_EQUALVERIFY OP_CHECKSIG`);
    equal(scriptAsm(fromHex(`5120${'ab'.repeat(32)}`)), `OP_PUSHNUM_1 OP_PUSHBYTES_32 ${'ab'.repeat(32)}`);
    equal(scriptAsm(fromHex('53b275ac')), 'OP_PUSHNUM_3 OP_CSV OP_DROP OP_CHECKSIG');
    equal(scriptAsm(fromHex('4f00b1ba')), 'OP_PUSHNUM_NEG1 OP_0 OP_CLTV OP_CHECKSIGADD');
    equal(scriptAsm(fromHex('6a4c020102')), 'OP_RETURN OP_PUSHDATA1 0102');
    equal(scriptAsm(fromHex('0301')), '<push past end>');
  });
});
