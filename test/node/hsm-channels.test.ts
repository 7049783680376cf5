// hsmd's channel signer state in Node: hsm_channels.json beside hsm_secret (owner-only, written with
// fsync and rename, no secret in it) survives an hsmd restart, in process and in Node's daemon host
// (the hsmd worker thread, across its port): a commitment revoked before the restart is refused
// for broadcast after it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { toHex } from '../../src/core/base/bytes.ts';
import { commitmentSecret } from '../../src/core/bolt3/index.ts';
import { CHANNEL_CAPABILITIES, Hsmd, HsmError, type HsmLink } from '../../src/core/daemons/hsmd/hsmd.ts';
import { channelSecrets } from '../../src/core/keys/derive.ts';
import { mnemonicSeed } from '../../src/core/keys/seed.ts';
import { DAEMONS } from '../../src/core/node/daemons.ts';
import { superviseDaemons } from '../../src/core/node/supervisor.ts';
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import { FileHsmChannelStore, HSM_CHANNELS_FILE } from '../../src/node/hsm-channels.ts';
import { loadOrCreateSecret } from '../../src/node/hsm-secret.ts';
import { nodeLinks } from '../../src/node/workers/links.ts';
import { spawnHost } from '../../src/node/workers/spawn.ts';
import { advance, DBID, hsmdPair, localCommitmentOf, PEER, SEED, setupB } from '../core/hsmd-channel-fixture.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { equal, ok, rejects } from '../support/assert.ts';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bw-hsmch-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Node: hsmd channel state in hsm_channels.json', () => {
  it('survives a restart: a revoked commitment stays refused; the file is 0600, atomic, and holds no secret', async () => {
    const d = tmp();
    const p = await hsmdPair(new Hsmd(SEED, new FileHsmChannelStore(d)));
    const c0 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
    await advance(p);
    const c1 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
    // Restart: a new hsmd and a new store over the same directory.
    const again = new Hsmd(SEED, new FileHsmChannelStore(d));
    await rejects(again.signLocalCommitment(PEER, DBID, c0), HsmError, 'revoked');
    await rejects(again.revokeCommitment(PEER, DBID, 1n), HsmError, 'not_replaced');
    equal((await again.signLocalCommitment(PEER, DBID, c1)).length, 64);
    const path = join(d, HSM_CHANNELS_FILE);
    equal(statSync(path).mode & 0o777, 0o600);
    deepNoTemp(d);
    const text = readFileSync(path, 'utf8');
    ok(text.includes('"revealed": "0"') || text.includes('"revealed":"0"'), 'the reveal is in the file');
    const secrets = [SEED.subarray(0, 32), ...Object.values(channelSecrets(SEED, PEER, DBID))];
    for (const s of secrets) ok(!text.includes(toHex(s)), 'no secret in hsm_channels.json');
  });

  it('saves of two channels at once both land', async () => {
    const d = tmp();
    const hsmd = new Hsmd(SEED, new FileHsmChannelStore(d));
    await Promise.all([hsmd.setupChannel(PEER, 1n, setupB()), hsmd.setupChannel(PEER, 2n, setupB(true))]);
    const again = new Hsmd(SEED, new FileHsmChannelStore(d));
    // Both set up: the same setup again is accepted, a different one refused.
    await again.setupChannel(PEER, 1n, setupB());
    await rejects(again.setupChannel(PEER, 2n, setupB(false)), HsmError, 'already_setup');
  });
});

describe("Node: the hsmd worker keeps a channel's signer state across a restart", () => {
  it('validate and revoke across the worker port; after a restart of the worker, the revoked commitment is refused', async () => {
    installErrorTransfer();
    const d = tmp();
    await loadOrCreateSecret(d, ABANDON);
    const daemons = superviseDaemons({ links: nodeLinks, spawnHost, ctx: { networkDir: d } }, new FakeClock());
    type Caps = (typeof CHANNEL_CAPABILITIES)[number];
    const start = async () => {
      const { port1, port2 } = new MessageChannel();
      const hsmd = await daemons.start(
        DAEMONS.hsmd,
        'hsmd',
        {},
        { uses: {}, serves: { channel: { port: port1, caps: CHANNEL_CAPABILITIES } } },
      );
      return { hsmd, link: Comlink.wrap<HsmLink<Caps>>(nodeEndpoint(port2)), port: port2 };
    };
    let w = await start();
    let c0: Uint8Array;
    try {
      const p = await hsmdPair(w.link as unknown as HsmLink<Caps>);
      c0 = (await localCommitmentOf(p.b)).commitment.tx.unsignedTx;
      await advance(p);
      w.port.close();
    } finally {
      await w.hsmd.stop();
    }
    w = await start();
    try {
      const e = await rejects<HsmError>(w.link.signLocalCommitment(PEER, DBID, c0), Error);
      equal(e.code, 'revoked');
      // The revealed secret is the ABANDON seed's for commitment 0, and it is given again.
      const seed = channelSecrets(mnemonicSeed(ABANDON), PEER, DBID).shachain_seed;
      equal(toHex(await w.link.revokeCommitment(PEER, DBID, 0n)), toHex(commitmentSecret(seed, 0n)));
      w.port.close();
    } finally {
      await w.hsmd.stop();
    }
  });
});

function deepNoTemp(d: string): void {
  ok(!readdirSync(d).some(n => n.endsWith('.tmp')), 'no temporary file left');
}
