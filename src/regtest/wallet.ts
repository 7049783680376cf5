// The chain's own coins: one well-known key (this is regtest; anyone may spend them), P2WPKH, that
// new blocks pay by default. `send` spends them to an address through the same mempool rules as
// any other transaction, so what the faucet makes is what Bitcoin Core would relay.
import { p2wpkh, Transaction } from '@scure/btc-signer';
import { pubECDSA } from '@scure/btc-signer/utils.js';
import { equal } from '../core/base/bytes.ts';
import { sha256 } from '../core/crypto/primitives.ts';
import { COINBASE_MATURITY, REGTEST_NETWORK } from './params.ts';
import { addressScript, dustThreshold } from './policy.ts';
import { outpointKey } from './tx.ts';
import type { ChainState } from './chain-state.ts';
import type { AcceptResult, Mempool } from './mempool.ts';

/** What the wallet uses of the chain (chain.ts): its state, its mempool and accepting a transaction. */
interface WalletChain extends ChainState {
  readonly mempool: Mempool;
  accept(raw: Uint8Array): AcceptResult;
}

/** The chain wallet's key: SHA-256 of a fixed label, so a reloaded chain can spend what it mined. */
const WALLET_KEY = sha256(new TextEncoder().encode('boltworker regtest chain wallet'));
/** The fee rate of the chain's own sends (sat/vB). */
const SEND_FEERATE = 2n;

export class WalletError extends Error {
  override name = 'WalletError';
}

interface Spendable {
  txid: string;
  vout: number;
  value: bigint;
}

export class RegtestWallet {
  readonly script: Uint8Array;
  readonly address: string;

  constructor(private readonly chain: WalletChain) {
    const pay = p2wpkh(pubECDSA(WALLET_KEY), REGTEST_NETWORK);
    this.script = pay.script;
    this.address = pay.address!;
  }

  /** Mature confirmed outputs and unconfirmed change, not spent in the mempool; largest first. */
  spendable(): Spendable[] {
    const chain = this.chain;
    const next = chain.height + 1;
    const mine = (s: Uint8Array) => equal(s, this.script);
    const out: Spendable[] = [];
    for (const [k, c] of chain.utxos) {
      if (!mine(c.script) || chain.mempool.spends.has(k)) continue;
      if (c.coinbase && next - c.height < COINBASE_MATURITY) continue;
      const [txid, vout] = k.split(':');
      out.push({ txid: txid!, vout: Number(vout), value: c.value });
    }
    for (const e of chain.mempool.list()) {
      e.tx.outputs.forEach((o, vout) => {
        if (mine(o.script) && !chain.mempool.spends.has(outpointKey(e.tx.txid, vout))) out.push({ txid: e.tx.txid, vout, value: o.value });
      });
    }
    return out.sort((a, b) => (a.value > b.value ? -1 : a.value < b.value ? 1 : 0));
  }

  balance(): bigint {
    return this.spendable().reduce((s, c) => s + c.value, 0n);
  }

  /** Pays `amount` sat to `address` (change back to the wallet); returns the txid once in the mempool. */
  send(address: string, amount: bigint): string {
    return this.sendMany([{ address, amount }]);
  }

  /** Pays each output in one transaction, in the order given (change last, back to the wallet); returns the txid once in the mempool. */
  sendMany(outputs: readonly { address: string; amount: bigint }[]): string {
    if (!outputs.length) throw new WalletError('nothing to send');
    const dests = outputs.map(o => {
      try {
        return { script: addressScript(o.address), amount: o.amount };
      } catch {
        throw new WalletError(`not a regtest address: ${o.address.slice(0, 100)}`);
      }
    });
    if (dests.some(d => d.amount <= 0n)) throw new WalletError('amount must be positive');
    const amount = dests.reduce((s, d) => s + d.amount, 0n);
    const picked: Spendable[] = [];
    let total = 0n;
    let fee = 0n;
    for (const c of this.spendable()) {
      picked.push(c);
      total += c.value;
      // P2WPKH inputs are 68 vB, outputs 31-43 vB, the rest 11 vB.
      // At least the mempool's minimum (Core's wallet never pays below mempoolminfee), rounded up.
      const rate = SEND_FEERATE * 1000n > this.chain.mempool.minFee ? SEND_FEERATE * 1000n : this.chain.mempool.minFee;
      fee = (rate * BigInt(11 + 68 * picked.length + 43 * dests.length + 31) + 999n) / 1000n;
      if (total >= amount + fee) break;
    }
    if (total < amount + fee)
      throw new WalletError(
        `insufficient funds: ${total} sat spendable (coinbase outputs mature after ${COINBASE_MATURITY} blocks; mine some)`,
      );
    const tx = new Transaction({ version: 2, allowUnknownOutputs: true });
    for (const c of picked)
      tx.addInput({ txid: c.txid, index: c.vout, sequence: 0xfffffffd, witnessUtxo: { script: this.script, amount: c.value } });
    for (const d of dests) tx.addOutput(d);
    const change = total - amount - fee;
    if (change >= dustThreshold(this.script)) tx.addOutput({ script: this.script, amount: change });
    tx.sign(WALLET_KEY);
    tx.finalize();
    const r = this.chain.accept(tx.extract());
    if (!r.ok) throw new WalletError(`the chain refused its own send: ${r.message}`);
    return r.txid;
  }
}
