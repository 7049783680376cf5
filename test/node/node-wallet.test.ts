// The on-chain wallet inside a whole Node node (`startNode` with --esplora at `boltworker regtest`):
// lightningd's wallet takes its keys from hsmd (in its worker thread) and its blocks from lightningd's
// chain; coins the chain sends to a `newaddr` are in `listfunds` once mined; `withdraw` is signed by
// hsmd and accepted by the chain (which evaluates every input's script); the wallet's file keeps it
// across a restart; a node restored from its mnemonic with --rescan finds the same coins; a node without a chain has no wallet commands; Core Lightning's error codes.
import { after, before, describe, it } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from '@scure/btc-signer';
import { fromHex } from '../../src/core/base/bytes.ts';
import { startNode } from '../../src/node/node.ts';
import { startRegtest, type RegtestHandle } from '../../src/regtest/server-node.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';
import { SINK_ADDRESS } from '../support/wallet-blocks.ts';
import { fundsWhen, postJson } from '../support/regtest-client.ts';
import { CHAIN_POLL_MS } from './regtest-nodes.ts';

type Funds = { outputs: { txid: string; output: number; amount_msat: number; status: string; address?: string; blockheight?: number }[] };

describe('Node: the wallet in a whole node, against boltworker regtest', () => {
  let h: RegtestHandle;
  const dirs: string[] = [];
  before(async () => {
    h = await startRegtest({ port: 0, premine: 101 });
  });
  after(async () => {
    await h?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bw-node-wallet-'));
    dirs.push(d);
    return d;
  };
  const control = (path: string, body: unknown) => postJson(`${h.url}${path}`, body);
  const funds = (n: Awaited<ReturnType<typeof startNode>>) => () => n.call('listfunds', {}) as Promise<Funds>;

  it('receives, withdraws through hsmd, keeps its coins across a restart, and answers with Core Lightning’s codes', async () => {
    const dir = tmp();
    const n = await startNode({ network: 'regtest', lightningDir: dir, esplora: h.url, verifyWorkers: 1, chainPollMs: CHAIN_POLL_MS });
    let stopped = false;
    try {
      const { p2tr } = (await n.call('newaddr', {})) as { p2tr: string };
      ok(p2tr.startsWith('bcrt1p'), `p2tr by default, as Core Lightning: ${p2tr}`);
      const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
      ok(bech32.startsWith('bcrt1q'), bech32);
      const t1 = (await control('/regtest/send', { address: p2tr, amount_sat: 200_000 })).txid as string;
      const t2 = (await control('/regtest/send', { address: bech32, amount_sat: 150_000 })).txid as string;
      await control('/regtest/mine', { blocks: 1 });
      const height = h.chain.height;
      const got = await fundsWhen(
        funds(n),
        f => f.outputs.length === 2 && f.outputs.every(o => o.status === 'confirmed'),
        'both coins confirmed',
      );
      deepEqual(got.outputs.map(o => o.txid).sort(), [t1, t2].sort());
      deepEqual(got.outputs.map(o => o.amount_msat).sort(), [150_000_000, 200_000_000]);
      ok(got.outputs.every(o => o.blockheight === height));

      // More than the wallet holds: 301 FUND_CANNOT_AFFORD; a bad address: -32602.
      equal(
        (await rejects<Error & { code: number }>(n.call('withdraw', { destination: SINK_ADDRESS, satoshi: 400_000 }), Error)).code,
        301,
      );
      equal(
        (await rejects<Error & { code: number }>(n.call('withdraw', { destination: 'bcrt1qnotanaddress', satoshi: 1000 }), Error)).code,
        -32602,
      );

      // Both coins are needed: a P2TR and a P2WPKH input, signed by hsmd, evaluated by the chain.
      const w = (await n.call('withdraw', { destination: SINK_ADDRESS, satoshi: 300_000, feerate: '2000perkw' })) as {
        txid: string;
        tx: string;
      };
      equal(Transaction.fromRaw(fromHex(w.tx)).inputsLength, 2);
      const status = (await (await fetch(`${h.url}/tx/${w.txid}/status`)).json()) as { confirmed: boolean };
      equal(status.confirmed, false, 'in the chain’s mempool');
      await control('/regtest/mine', { blocks: 1 });
      const after = await fundsWhen(funds(n), f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed', 'the change confirmed');
      equal(after.outputs[0]!.txid, w.txid);
      await n.stop();
      stopped = true;

      // The wallet's file is in the network dir, and holds no private key (hsmd holds those).
      const file = join(n.networkDir, 'wallet.json');
      ok(existsSync(file));
      const text = readFileSync(file, 'utf8');
      ok(!/[xt]prv/.test(text), 'no extended private key in the wallet file');

      const again = await startNode({
        network: 'regtest',
        lightningDir: dir,
        esplora: h.url,
        verifyWorkers: 1,
        chainPollMs: CHAIN_POLL_MS,
      });
      try {
        const kept = (await again.call('listfunds', {})) as Funds;
        deepEqual(kept.outputs, after.outputs, 'the same coins after a restart');
      } finally {
        await again.stop();
      }

      // Restored from the mnemonic into a new directory (--recover) and rescanning from the block
      // that paid it (--rescan=-HEIGHT): the same node id, and the same coins found on the chain.
      const mnemonic = readFileSync(join(n.networkDir, 'hsm_secret')).subarray(32).toString('utf8');
      const restored = await startNode({
        network: 'regtest',
        lightningDir: tmp(),
        esplora: h.url,
        verifyWorkers: 1,
        chainPollMs: CHAIN_POLL_MS,
        recover: mnemonic,
        rescan: -height,
      });
      try {
        equal(restored.id, n.id);
        const found = await fundsWhen(
          funds(restored),
          f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
          'the change, found by rescanning',
        );
        deepEqual(found.outputs, after.outputs);
      } finally {
        await restored.stop();
      }
    } finally {
      if (!stopped) await n.stop();
    }
  });

  it('a node without a chain has no wallet: newaddr is an unknown method', async () => {
    const n = await startNode({ network: 'regtest', lightningDir: tmp(), verifyWorkers: 1 });
    try {
      equal((await rejects<Error & { code: number }>(n.call('newaddr', {}), Error)).code, -32601);
    } finally {
      await n.stop();
    }
  });
});
