// The Node runtime's seed: `hsm_secret` in Core Lightning's format (32 zero bytes, then the
// mnemonic), owner-only, created once; `--recover` restores it into a new lightning-dir and is
// refused over an existing one; a legacy 32-byte file keeps working. `boltworker node` says where the
// mnemonic is and never prints the mnemonic itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { HDKey } from '@scure/bip32';
import { Transaction } from '@scure/btc-signer';
import { spawnHost } from '../../src/node/workers/spawn.ts';
import { nodeLinks } from '../../src/node/workers/links.ts';
import { superviseDaemons } from '../../src/core/node/supervisor.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import { FakeClock } from '../support/fake-clock.ts';
import type { HsmLink } from '../../src/core/daemons/hsmd/hsmd.ts';
import { walletScript } from '../../src/core/daemons/hsmd/withdrawal.ts';
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSecret } from '../../src/node/hsm-secret.ts';
import { Hsmd } from '../../src/core/daemons/hsmd/hsmd.ts';
import { mnemonicSeed, normalizeMnemonic } from '../../src/core/keys/seed.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { HsmError } from '../../src/core/daemons/hsmd/secret.ts';
import { equal, ok, rejects } from '../support/assert.ts';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bw-hsm-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const mnemonicIn = (path: string) => new TextDecoder().decode(readFileSync(path).subarray(32));

describe('Node: hsm_secret', () => {
  it('creates a mnemonic hsm_secret once (0600, 32 zero bytes then 12 words), then loads the same', async () => {
    const d = tmp();
    const first = await loadOrCreateSecret(d);
    equal(first.made, 'created');
    equal(first.format, 'mnemonic');
    const path = join(d, 'hsm_secret');
    equal(first.path, path);
    equal(statSync(path).mode & 0o777, 0o600);
    const file = readFileSync(path);
    ok(file.subarray(0, 32).every(b => b === 0));
    const m = mnemonicIn(path);
    equal(m.split(' ').length, 12);
    equal(normalizeMnemonic(m), m);
    equal(toHex(first.secretData), toHex(mnemonicSeed(m)));
    const again = await loadOrCreateSecret(d);
    equal(again.made, undefined);
    equal(toHex(again.secretData), toHex(first.secretData));
  });

  it('--recover writes the mnemonic into a new dir (the same node id), and is refused over an existing hsm_secret', async () => {
    const d = tmp();
    const r = await loadOrCreateSecret(d, `  ${ABANDON}  `);
    equal(r.made, 'recovered');
    equal(mnemonicIn(join(d, 'hsm_secret')), ABANDON);
    equal(toHex(new Hsmd(r.secretData).nodeId()), '03653e90c1ce4660fd8505dd6d643356e93cfe202af109d382787639dd5890e87d');
    const before = readFileSync(join(d, 'hsm_secret'));
    await rejects(loadOrCreateSecret(d, ABANDON), Error);
    equal(toHex(readFileSync(join(d, 'hsm_secret'))), toHex(before), 'the existing file is untouched');
    await rejects(loadOrCreateSecret(tmp(), ABANDON.replace(/about$/, 'abandon')), HsmError, 'bad_mnemonic');
  });

  it('a legacy 32-byte hsm_secret keeps working (Core Lightning legacy derivation)', async () => {
    const d = tmp();
    writeFileSync(join(d, 'hsm_secret'), new Uint8Array(32).fill(0x11), { mode: 0o600 });
    const r = await loadOrCreateSecret(d);
    equal(r.format, 'legacy');
    equal(toHex(r.secretData), '11'.repeat(32));
  });

  it('refuses a passphrase-protected or truncated file with a clear error', async () => {
    const d = tmp();
    writeFileSync(join(d, 'hsm_secret'), new Uint8Array([...new Uint8Array(32).fill(7), ...new TextEncoder().encode(ABANDON)]));
    await rejects(loadOrCreateSecret(d), HsmError, 'bad_secret');
    const d2 = tmp();
    writeFileSync(join(d2, 'hsm_secret'), new Uint8Array(20));
    await rejects(loadOrCreateSecret(d2), HsmError, 'bad_secret');
  });
});

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['bin/boltworker.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The first stdout line (the node's JSON), and everything printed until the process exits. */
function watch(p: ChildProcess): { first: Promise<string>; all: Promise<{ out: string; err: string; code: number }> } {
  let out = '';
  let err = '';
  p.stderr!.on('data', d => (err += d));
  const first = new Promise<string>((resolve, reject) => {
    p.stdout!.on('data', d => {
      out += d;
      const i = out.indexOf('\n');
      if (i >= 0) resolve(out.slice(0, i));
    });
    p.once('exit', c => reject(new Error(`exited ${c} before printing: ${err}`)));
  });
  first.catch(() => undefined);
  const all = new Promise<{ out: string; err: string; code: number }>(r => p.once('exit', c => r({ out, err, code: c ?? -1 })));
  return { first, all };
}

describe('Node: the hsmd worker serves wallet signing on a link', () => {
  it('walletXpub and signWithdrawal across a worker port; a refusal arrives as HsmError with its code', async () => {
    installErrorTransfer();
    const d = tmp();
    await loadOrCreateSecret(d, ABANDON);
    // hsmd in Node's daemon host (a worker thread), a link to it allowed the wallet's two methods only.
    const daemons = superviseDaemons({ links: nodeLinks, spawnHost, ctx: { networkDir: d } }, new FakeClock());
    const { port1, port2 } = new MessageChannel();
    const hsmd = await daemons.start(
      DAEMONS.hsmd,
      'hsmd',
      {},
      { uses: {}, serves: { wallet: { port: port1, caps: ['walletXpub', 'signWithdrawal'] } } },
    );
    try {
      equal(await hsmd.api.nodeId(), '03653e90c1ce4660fd8505dd6d643356e93cfe202af109d382787639dd5890e87d');
      const wallet = Comlink.wrap<HsmLink<'walletXpub' | 'signWithdrawal'>>(nodeEndpoint(port2));
      const chain = HDKey.fromExtendedKey(await wallet.walletXpub('p2tr'));
      // BIP86's first address key for this mnemonic.
      equal(toHex(chain.deriveChild(0).publicKey!.subarray(1)), 'cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115');
      const tx = new Transaction();
      tx.addInput({
        txid: new Uint8Array(32).fill(1),
        index: 0,
        witnessUtxo: { script: walletScript(chain.deriveChild(2).publicKey!, 'p2tr'), amount: 5000n },
      });
      tx.addOutput({ script: walletScript(chain.deriveChild(3).publicKey!, 'p2wpkh'), amount: 4000n });
      const signed = Transaction.fromPSBT(await wallet.signWithdrawal(tx.toPSBT(), [{ index: 2, type: 'p2tr' }]));
      equal(signed.getInput(0).tapKeySig?.length, 64);
      const e = await rejects<HsmError>(wallet.signWithdrawal(tx.toPSBT(), [{ index: 1, type: 'p2tr' }]), Error);
      equal(e.code, 'not_ours');
      port2.close();
    } finally {
      await hsmd.stop();
    }
  });
});

describe('Node: boltworker node and the seed', () => {
  it('says where to read the mnemonic, never prints it; --recover restores the node id; refused over an existing seed', async () => {
    const d = tmp();
    const common = ['--regtest', '--rpc-file', 'rpc'];
    const p = run(['node', '--lightning-dir', d, ...common]);
    const w = watch(p);
    const { id } = JSON.parse(await w.first) as { id: string };
    p.kill('SIGTERM');
    const printed = await w.all;
    const path = join(d, 'regtest', 'hsm_secret');
    const m = mnemonicIn(path);
    ok(printed.err.includes(path) && printed.err.includes('tail -c +33'), `where to read it: ${printed.err}`);
    for (const text of [printed.out, printed.err]) ok(!text.includes(m), 'the mnemonic was printed');

    const d2 = tmp();
    const q = run(['node', '--lightning-dir', d2, ...common, `--recover=${m}`]);
    const w2 = watch(q);
    const restored = JSON.parse(await w2.first) as { id: string };
    q.kill('SIGTERM');
    const printed2 = await w2.all;
    equal(restored.id, id, 'the same node id from the mnemonic');
    ok(!printed2.out.includes(m) && !printed2.err.includes(m), 'the mnemonic was printed back');

    const again = watch(run(['node', '--lightning-dir', d2, ...common, `--recover=${m}`]));
    const r = await again.all;
    ok(r.code !== 0, 'recover over an existing seed must fail');
    ok(/already holds a seed/.test(r.err), r.err);
    ok(!r.err.includes(m), 'the error quotes the mnemonic');
  });
});
