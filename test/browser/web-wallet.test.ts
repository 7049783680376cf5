// The on-chain wallet in the browser node (startNode with `esplora` at `boltworker regtest`, started
// by the test runner's regtest plugin on 127.0.0.1): keys from hsmd in its Worker, blocks from
// lightningd's chain in the page, state in IndexedDB. Coins sent to a `newaddr` are in `listfunds`
// once mined; `withdraw` is signed by hsmd and accepted by the chain (which evaluates every input's
// script); a second start of the same data name has the same coins; a reorganisation sends a
// confirmed receive back to unconfirmed; a node restored from the mnemonic with `rescan` finds the coins.
import { startNode, WebNodeError, type WebNode } from '../../src/web/index.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { fundsWhen } from '../support/regtest-client.ts';

type Funds = { outputs: { txid: string; output: number; amount_msat: number; status: string; blockheight?: number }[] };

async function ask<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

const funds = (n: WebNode) => () => n.call('listfunds', {}) as Promise<Funds>;

// A regtest P2WPKH address nobody here holds a key for (hash160 = 20 × 0x07).
const SINK = 'bcrt1qqurswpc8qurswpc8qurswpc8qurswpc8dxm0gk';

describe('browser: the wallet in the node, against boltworker regtest', () => {
  it('receives, withdraws through hsmd, keeps its coins across a restart, and follows a reorganisation', async () => {
    const { url } = await ask<{ url: string }>('/__regtest');
    const dataName = `wallet-${Math.random().toString(36).slice(2)}`;
    let n = await startNode({ network: 'regtest', dataName, esplora: url, verifyWorkers: 1 });
    const mnemonic = n.takeMnemonic()!;
    const id = n.id;
    try {
      const { p2tr } = (await n.call('newaddr', {})) as { p2tr: string };
      const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      ok(p2tr.startsWith('bcrt1p') && bech32.startsWith('bcrt1q'));
      const t1 = (await ask<{ txid: string }>(`/__regtest/send?address=${p2tr}&amount_sat=200000`)).txid;
      const t2 = (await ask<{ txid: string }>(`/__regtest/send?address=${bech32}&amount_sat=150000`)).txid;
      await ask('/__regtest/mine?blocks=1');
      const got = await fundsWhen(
        funds(n),
        f => f.outputs.length === 2 && f.outputs.every(o => o.status === 'confirmed'),
        'both coins confirmed',
      );
      deepEqual(got.outputs.map(o => o.txid).sort(), [t1, t2].sort());

      const w = (await n.call('withdraw', { destination: SINK, satoshi: 300_000, feerate: '2000perkw' })) as { txid: string };
      equal((await ask<{ confirmed: boolean }>(`${url}/tx/${w.txid}/status`)).confirmed, false, 'in the chain’s mempool');
      await ask('/__regtest/mine?blocks=1');
      const after = await fundsWhen(funds(n), f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed', 'the change confirmed');
      equal(after.outputs[0]!.txid, w.txid);
      await n.stop();

      n = await startNode({ network: 'regtest', dataName, esplora: url, verifyWorkers: 1 });
      deepEqual(((await n.call('listfunds', {})) as Funds).outputs, after.outputs, 'the same coins from IndexedDB');
      // The block holding the withdrawal is reorganised out (the chain's replacement blocks are empty;
      // the withdrawal is back in its mempool): its change is unconfirmed again, and the coins it
      // spends are back as confirmed outputs, reserved for it (not spendable by another withdrawal).
      await ask('/__regtest/reorg?depth=1');
      const back = await fundsWhen(
        funds(n),
        f => f.outputs.some(o => o.txid === w.txid && o.status === 'unconfirmed'),
        'the change unconfirmed',
      );
      deepEqual(
        back.outputs
          .filter(o => o.txid !== w.txid)
          .map(o => `${o.txid}:${o.status}:${(o as { reserved?: boolean }).reserved}`)
          .sort(),
        [t1, t2].map(t => `${t}:confirmed:true`).sort(),
      );
      await n.stop();

      // Restored from the mnemonic into another data name, rescanning from the block that paid it:
      // the same node id, and the coins found on the chain (the withdrawal, back in the mempool, is
      // not the restored wallet's to know of: its two inputs are confirmed and unspent to it).
      const paidAt = got.outputs[0]!.blockheight!;
      n = await startNode({
        network: 'regtest',
        dataName: `${dataName}-restored`,
        esplora: url,
        verifyWorkers: 1,
        recover: mnemonic,
        rescan: -paidAt,
      });
      equal(n.id, id);
      const found = await fundsWhen(funds(n), f => f.outputs.length === 2, 'the two coins, found by rescanning');
      deepEqual(found.outputs.map(o => `${o.txid}:${o.status}`).sort(), [t1, t2].map(t => `${t}:confirmed`).sort());
    } finally {
      await n.stop();
    }
  });

  it('refuses an esplora option that is not an http(s) URL', async () => {
    await rejects(startNode({ network: 'regtest', dataName: `wallet-${Math.random()}`, esplora: 'ftp://x' }), WebNodeError, 'bad_option');
  });
});
