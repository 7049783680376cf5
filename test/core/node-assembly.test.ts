// The one node assembly (src/core/node/assemble.ts) with a platform of this test's own: every
// daemon host is an object in this realm and every link a direct call, so what is checked here is
// the table and the assembly themselves: the node comes up, each link carries exactly what the
// table says (connectd's link to hsmd answers ECDH and nothing else), and stopping stops every host.
import { nodeIdOf } from '../../src/core/keys/derive.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import type { ConnectdEnv } from '../../src/core/daemons/connectd/interface.ts';
import type { GossipdEnv } from '../../src/core/daemons/gossipd/interface.ts';
import type { HsmdEnv } from '../../src/core/daemons/hsmd/interface.ts';
import { MemoryGossipStore } from '../../src/core/gossip/store-memory.ts';
import { InlineVerifier } from '../../src/core/gossip/verify-pool.ts';
import { assembleNode } from '../../src/core/node/assemble.ts';
import type { DaemonEnv } from '../../src/core/node/daemon.ts';
import { LINKS } from '../../src/core/node/daemons.ts';
import type { Platform } from '../../src/core/node/platform.ts';
import { deepEqual, equal, rejects } from '../support/assert.ts';
import { directHost, directLinks, type Slot } from '../support/direct-links.ts';
import { FakeClock } from '../support/fake-clock.ts';

const { links, exposed } = directLinks();

const secret = new Uint8Array(32).fill(7);
const silent = { debug() {}, info() {}, warn() {} };

function env(kind: string, storeFails = false): DaemonEnv {
  const base: DaemonEnv = { clock: new FakeClock(), log: silent, randomBytes: n => new Uint8Array(n).fill(1) };
  if (kind === 'hsmd') {
    const e: DaemonEnv & HsmdEnv = { ...base, loadOrCreateSecret: async () => ({ secretData: secret.slice() }) };
    return e;
  }
  if (kind === 'connectd') {
    const e: DaemonEnv & ConnectdEnv = {
      ...base,
      dialer: {
        dial: async () => {
          throw new Error('no network in this test');
        },
      },
    };
    return e;
  }
  if (kind === 'gossipd') {
    const e: DaemonEnv & GossipdEnv = {
      ...base,
      openStore: async () => {
        if (storeFails) throw new Error('the gossip store will not open');
        return new MemoryGossipStore();
      },
      verifier: () => new InlineVerifier(),
    };
    return e;
  }
  return base;
}

/** This test's platform: hosts are objects here; `hosts` and `ended` record what started and ended. */
function testPlatform(storeFails = false) {
  const hosts: string[] = [];
  const ended: string[] = [];
  const platform: Platform<Slot, undefined> = {
    links,
    ctx: undefined,
    spawnHost(kind) {
      hosts.push(kind);
      return directHost(links, kind, k => env(k, storeFails), ended);
    },
    storage: { lightningd: { load: async () => new Map(), write: async () => undefined } },
    caps: { tcp: true, websocket: false },
    clock: new FakeClock(),
    randomBytes: n => new Uint8Array(n),
    log: () => silent,
    version: 'boltworker-test',
  };
  return { platform, hosts, ended };
}

describe('the node assembly', () => {
  it('builds the node from the table, each link limited as the table says, and stops every host', async () => {
    const { platform, hosts, ended } = testPlatform();
    const events: string[] = [];
    const node = await assembleNode(platform, { network: 'regtest', emit: e => void events.push(e) });
    equal(node.id, toHex(nodeIdOf(secret)), 'the id is the key hsmd derives from the secret');
    deepEqual([...hosts].sort(), ['connectd', 'gossipd', 'hsmd'], 'one host per daemon');
    const info = (await node.lightningd.rpc.call('getinfo', {})) as { id: string; version: string; num_peers: number };
    equal(info.id, node.id);
    equal(info.version, 'boltworker-test');
    equal(info.num_peers, 0);
    deepEqual(await node.lightningd.rpc.call('listchannels', {}), { channels: [] });
    // lightningd reaches hsmd's signMessage: what it signs verifies against the node id.
    const signed = (await node.lightningd.rpc.call('signmessage', { message: 'hi' })) as { zbase: string };
    deepEqual(await node.lightningd.rpc.call('checkmessage', { message: 'hi', zbase: signed.zbase, pubkey: node.id }), {
      pubkey: node.id,
      verified: true,
    });
    // ...and its signInvoice: the invoice's payee is our node id.
    const made = (await node.lightningd.rpc.call('invoice', { amount_msat: 1000, label: 'l', description: 'd' })) as { bolt11: string };
    equal(((await node.lightningd.rpc.call('decode', [made.bolt11])) as { payee: string }).payee, node.id);

    // Every link in the table has its channel, answered by its server.
    equal(exposed.size, LINKS.length, "every link is answered (the daemons' APIs are on their hosts' own ports)");
    const hsmAnswers = [...exposed.values()].filter(o => 'ecdh' in o || 'signChannelUpdate' in o);
    equal(hsmAnswers.length, 2, "hsmd answers two links: connectd's and gossipd's");
    const forConnectd = hsmAnswers.find(o => 'ecdh' in o)!;
    deepEqual(
      ['nodeId', 'ecdh', 'signMessage', 'signNodeAnnouncement', 'signChannelUpdate'].filter(m => m in forConnectd),
      ['ecdh'],
      "connectd's link to hsmd answers ECDH and nothing else",
    );
    const forGossipd = hsmAnswers.find(o => 'signChannelUpdate' in o)!;
    deepEqual(
      ['nodeId', 'ecdh', 'signMessage', 'signNodeAnnouncement', 'signChannelUpdate'].filter(m => m in forGossipd),
      ['signNodeAnnouncement', 'signChannelUpdate'],
      "gossipd's link to hsmd signs our gossip and nothing else",
    );

    await node.stop();
    deepEqual([...ended].sort(), ['connectd', 'gossipd', 'hsmd'], 'every host ended');
    deepEqual(node.daemons.running(), []);
  });

  it('a daemon that fails to start fails the assembly, and every host started is ended', async () => {
    const { platform, hosts, ended } = testPlatform(true);
    await rejects(assembleNode(platform, { network: 'regtest' }), Error);
    deepEqual([...hosts].sort(), ['connectd', 'gossipd', 'hsmd']);
    deepEqual([...ended].sort(), ['connectd', 'gossipd', 'hsmd'], 'no host left running');
  });
});
