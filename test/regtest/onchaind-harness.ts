// lightningd's part for onchaind on the regtest chain (its mempool refuses what Bitcoin Core
// refuses, its script interpreter checks every input): watches the outpoints onchaind names, hands
// it each new block with the transactions spending them, and broadcasts what it asks, recording
// every refusal (a spend broadcast too early would show here).
import { Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '../../src/core/base/bytes.ts';
import { p2wpkhScriptCode, pubkeyOf, setWitness, SIGHASH_ALL, signInput, TX_OPTS } from '../../src/core/bolt3/index.ts';
import { daemon } from '../../src/core/daemons/onchaind/host.ts';
import type { OnchainStatus, OnchaindDaemonApi, OnchaindInit } from '../../src/core/daemons/onchaind/interface.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import type { RegtestChain } from '../../src/regtest/chain.ts';
import { decodeTx, type Tx } from '../../src/regtest/tx.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { onchainHsm, type Closing } from '../core/onchain-fixture.ts';
import { KEY_A, type Coin } from './helpers.ts';

/** Signs the inputs of `tx` that spend `coins` (KEY_A's P2WPKH, BIP 143), as lightningd signs its wallet's. */
export function signWalletInputs(tx: Transaction, coins: readonly Coin[]): Transaction {
  const pub = pubkeyOf(KEY_A);
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    const coin = coins.find(c => c.txid === toHex(input.txid!) && c.vout === input.index);
    if (!coin) continue;
    setWitness(tx, i, [signInput(tx, i, p2wpkhScriptCode(pub), coin.value, KEY_A, SIGHASH_ALL), pub]);
  }
  return tx;
}

export class Lightningd {
  readonly watched = new Set<string>();
  /** Accepted broadcasts, each once: the tx and the tip when it was first sent. */
  readonly sent: { tx: Tx; tip: number }[] = [];
  /** Refusals other than "already in the mempool" (a rebroadcast). */
  readonly refused: string[] = [];
  readonly preimages: Uint8Array[] = [];
  /** HTLCs onchaind reported failed (their payment hashes, hex), with the tip then. */
  readonly failed: { hash: string; tip: number }[] = [];
  resolved: OnchainStatus | undefined;
  api!: OnchaindDaemonApi;
  /** Wallet coins (KEY_A's P2WPKH) that `fund` adds to zero-fee HTLC transactions, and those it used. */
  readonly coins: Coin[] = [];
  readonly used: Coin[] = [];

  constructor(readonly chain: RegtestChain) {}

  /** What `fund` adds: one wallet coin (P2WPKH, its witness about 108 weight units) and change to onchaind's destination. */
  #fund(req: { tx: Uint8Array; inputWitnessWeight: number; feeratePerKw: number }, destination: Uint8Array): Uint8Array {
    const coin = this.coins.shift();
    if (!coin) throw new Error('no wallet coin to fund with');
    this.used.push(coin);
    const tx = Transaction.fromRaw(req.tx, TX_OPTS);
    tx.addInput({ txid: fromHex(coin.txid), index: coin.vout, sequence: 0xfffffffd });
    tx.addOutput({ script: destination, amount: coin.value });
    const weight = tx.unsignedTx.length * 4 + 2 + req.inputWitnessWeight + 109;
    tx.updateOutput(1, { amount: coin.value - BigInt(Math.ceil((req.feeratePerKw * weight) / 1000)) - 1n }, true);
    return tx.unsignedTx;
  }

  /** lightningd signs the wallet inputs `fund` added, leaving onchaind's input 0 as signed. */
  #signWallet(raw: Uint8Array): Uint8Array {
    return signWalletInputs(Transaction.fromRaw(raw, TX_OPTS), this.used).toBytes(true, true);
  }

  readonly events = {
    watch: (ops: { txid: string; vout: number }[]) => {
      for (const o of ops) this.watched.add(`${o.txid}:${o.vout}`);
    },
    fund: async (req: { tx: Uint8Array; inputWitnessWeight: number; feeratePerKw: number }) => this.#fund(req, this.destination!),
    broadcast: async (signed: Uint8Array) => {
      const raw = this.#signWallet(signed);
      const r = this.chain.accept(raw);
      // sendrawtransaction answers a transaction already in the mempool with its txid (Bitcoin Core too).
      if (!r.ok) {
        if (r.reason !== 'txn-already-in-mempool') this.refused.push(`${r.reason}: ${r.message}`);
      } else if (!this.sent.some(s => s.tx.txid === r.txid)) this.sent.push({ tx: decodeTx(raw), tip: this.chain.height });
      if (!r.ok) throw new Error(r.message);
    },
    preimage: (p: { paymentHash: Uint8Array; preimage: Uint8Array }) => {
      this.preimages.push(p.preimage);
    },
    htlcFailed: (h: { paymentHash: Uint8Array }) => {
      this.failed.push({ hash: toHex(h.paymentHash), tip: this.chain.height });
    },
    resolved: (s: OnchainStatus) => {
      this.resolved = s;
    },
  };

  destination: Uint8Array | undefined;

  async start(x: Closing, init: OnchaindInit): Promise<OnchaindDaemonApi> {
    this.destination = init.destination.script;
    const env: DaemonEnv = {
      clock: new FakeClock(),
      log: { debug() {}, info() {}, warn() {} },
      randomBytes: n => new Uint8Array(n),
    };
    const started = await daemon.start(init, { hsm: onchainHsm(x.hsmd), events: this.events } as never, env as never);
    this.api = started.api;
    return started.api;
  }

  /** The transactions of the block at `height` that spend an outpoint onchaind watches. */
  spendsAt(height: number): Uint8Array[] {
    const txs = this.chain.at(height)!.block.txs;
    return txs.filter(t => t.inputs.some(i => this.watched.has(`${i.txid}:${i.vout}`))).map(t => t.raw);
  }

  /** Mines `n` blocks, telling onchaind of each. */
  async mine(n = 1): Promise<OnchainStatus> {
    let s: OnchainStatus | undefined;
    for (let k = 0; k < n; k++) {
      this.chain.mine(1);
      s = await this.api.block({ height: this.chain.height, spends: this.spendsAt(this.chain.height) });
    }
    return s ?? this.api.status();
  }

  /** Broadcast sends spending `txid:vout`. */
  spendsOf(txid: string, vout: number): { tx: Tx; tip: number }[] {
    return this.sent.filter(s => s.tx.inputs.some(i => i.txid === txid && i.vout === vout));
  }

  /** What sends paid to `script`. */
  paidTo(script: Uint8Array): bigint {
    const hex = toHex(script);
    return this.sent.reduce((sum, s) => sum + s.tx.outputs.filter(o => toHex(o.script) === hex).reduce((a, o) => a + o.value, 0n), 0n);
  }
}
