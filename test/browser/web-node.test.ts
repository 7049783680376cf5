// The browser node in real Chromium: startNode from 'boltworker/web' with hsmd and connectd in module
// Workers, reaching a Node node (test/support/wtr-lightning-plugin.mjs starts it and a
// WebSocket-to-TCP bridge in the test runner's process, on 127.0.0.1) through the bridge.
import { openDB } from 'idb';
import {
  BOLTWORKER_VERSION,
  startNode,
  WebNodeError,
  type WebNode,
  type WebNodeEventName,
  type WebNodeEvents,
} from '../../src/web/index.ts';
import { HSM_SECRET_DB } from '../../src/web/hsm-secret-idb.ts';
import { LIGHTNINGD_DB } from '../../src/web/lightningd-storage-idb.ts';
import { gossipDbName } from '../../src/web/worker-api.ts';
import { ourFeatures } from '../../src/core/features/index.ts';
import { toHex } from '../../src/core/base/bytes.ts';
import { getPublicKey } from '../../src/core/crypto/primitives.ts';
import { decodeHsmSecret } from '../../src/core/keys/seed.ts';
import { nodeSecretKey } from '../../src/core/keys/derive.ts';
import { deepEqual, equal, ok, rejects } from '../support/assert.ts';

interface Lightning {
  id: string;
  host: string;
  port: number;
  bridge: string;
}
interface PeerRow {
  id: string;
  connected: boolean;
  features: string;
  netaddr: string[];
}
interface NodeEvent {
  event: string;
  id: string;
  direction?: string;
}

const getJson = async <T>(path: string): Promise<T> => (await fetch(path)).json() as Promise<T>;
const names: string[] = [];
const freshName = (): string => {
  const n = `test-${crypto.randomUUID()}`;
  names.push(n);
  return n;
};

/** The next `event` whose payload passes `pred`. */
function next<K extends WebNodeEventName>(node: WebNode, event: K, pred: (p: WebNodeEvents[K]) => boolean): Promise<WebNodeEvents[K]> {
  return new Promise(resolve => {
    const fn = (p: WebNodeEvents[K]): void => {
      if (!pred(p)) return;
      node.off(event, fn);
      resolve(p);
    };
    node.on(event, fn);
  });
}

/** The stored hsm_secret (Core Lightning's format: 32 zero bytes, then the mnemonic). */
async function readSecret(dataName: string): Promise<Uint8Array> {
  const db = await openDB(HSM_SECRET_DB.name(dataName), HSM_SECRET_DB.version);
  try {
    return (await db.get(HSM_SECRET_DB.store, HSM_SECRET_DB.key)) as Uint8Array;
  } finally {
    db.close();
  }
}

/** What hsmd holds for `dataName`: the mnemonic, the seed and the node key derived from it. */
async function readSeed(dataName: string): Promise<{ mnemonic: string; seed: Uint8Array; nodeKey: Uint8Array }> {
  const file = await readSecret(dataName);
  const seed = decodeHsmSecret(file).secretData;
  return { mnemonic: new TextDecoder().decode(file.subarray(32)), seed, nodeKey: nodeSecretKey(seed) };
}

function deleteDb(name: string): Promise<void> {
  return new Promise(resolve => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

describe('browser node: startNode with daemons in module Workers', () => {
  let ln: Lightning;
  let node: WebNode;
  let dataName: string;
  const workersMade: { url: string; type?: string; name?: string }[] = [];

  before(async () => {
    ln = await getJson<Lightning>('/__lightning');
    dataName = freshName();
    // Record what Workers startNode creates.
    const RealWorker = globalThis.Worker;
    globalThis.Worker = class extends RealWorker {
      constructor(url: string | URL, opts?: WorkerOptions) {
        super(url, opts);
        workersMade.push({ url: String(url), type: opts?.type, name: opts?.name });
      }
    };
    try {
      node = await startNode({ network: 'regtest', bridge: ln.bridge, dataName });
    } finally {
      globalThis.Worker = RealWorker;
    }
  });
  after(async () => {
    await node?.stop();
    for (const n of names) {
      await deleteDb(HSM_SECRET_DB.name(n));
      await deleteDb(LIGHTNINGD_DB.name(n));
      await deleteDb(gossipDbName(n));
    }
  });

  it('runs hsmd, connectd and gossipd each in a module Worker of its own, from the one host entry', () => {
    equal(workersMade.length, 3);
    const paths = workersMade.map(w => new URL(w.url).pathname);
    deepEqual(paths, ['/src/web/workers/host.worker.ts', '/src/web/workers/host.worker.ts', '/src/web/workers/host.worker.ts']);
    deepEqual(workersMade.map(w => w.name).sort(), ['boltworker-connectd', 'boltworker-gossipd', 'boltworker-hsmd']);
    ok(workersMade.every(w => w.type === 'module'));
    ok(/^0[23][0-9a-f]{64}$/.test(node.id), node.id);
  });

  it('getinfo before any peer: our id, regtest, no binding (a browser cannot listen)', async () => {
    const info = (await node.call('getinfo')) as Record<string, unknown>;
    equal(info.id, node.id);
    equal(info.network, 'regtest');
    equal(info.num_peers, 0);
    deepEqual(info.binding, []);
    equal(info.version, `boltworker-${BOLTWORKER_VERSION}`);
    const pkg = await getJson<{ version: string }>('/package.json');
    equal(BOLTWORKER_VERSION, pkg.version, 'src/web/node.ts BOLTWORKER_VERSION must follow package.json');
  });

  it('connect id@127.0.0.1:port goes through the bridge to the Node node: direction out, its features', async () => {
    const connected = next(node, 'peer_connected', e => e.id === ln.id);
    const r = (await node.call('connect', { id: `${ln.id}@${ln.host}:${ln.port}` })) as { id: string; direction: string; features: string };
    equal(r.id, ln.id);
    equal(r.direction, 'out');
    equal(r.features, ourFeatures('I').toHex(), 'the Node node sends our own init features');
    const ev = await connected;
    equal(ev.direction, 'out');
    equal(ev.features, r.features);
  });

  it('listpeers shows the peer, getinfo counts it', async () => {
    const lp = (await node.call('listpeers')) as { peers: PeerRow[] };
    equal(lp.peers.length, 1);
    equal(lp.peers[0]!.id, ln.id);
    equal(lp.peers[0]!.connected, true);
    equal(lp.peers[0]!.features, ourFeatures('I').toHex());
    equal(((await node.call('getinfo')) as { num_peers: number }).num_peers, 1);
  });

  it('ping returns the pong length', async () => {
    deepEqual(await node.call('ping', { id: ln.id, len: 1000, pongbytes: 500 }), { totlen: 504 });
    deepEqual(await node.call('ping', [ln.id]), { totlen: 132 });
  });

  it('the Node node sees the browser node connected, incoming', async () => {
    const theirs = await getJson<{ peers: PeerRow[] }>('/__lightning/peers');
    const me = theirs.peers.find(p => p.id === node.id);
    ok(me, 'the Node node lists the browser node');
    equal(me.connected, true);
    const events = await getJson<NodeEvent[]>('/__lightning/events');
    ok(events.some(e => e.event === 'peer_connected' && e.id === node.id && e.direction === 'in'));
  });

  it('disconnect: peer_disconnected, then connect again by id alone (the address was saved)', async () => {
    const gone = next(node, 'peer_disconnected', e => e.id === ln.id);
    deepEqual(await node.call('disconnect', { id: ln.id }), {});
    await gone;
    equal(((await node.call('listpeers')) as { peers: unknown[] }).peers.length, 0);
    const r = (await node.call('connect', { id: ln.id })) as { id: string };
    equal(r.id, ln.id);
  });

  it('a second startNode on the same data name is refused (node_locked), without starting Workers; the first keeps working', async () => {
    let made = 0;
    const e = await rejects<WebNodeError>(
      startNode({
        network: 'regtest',
        bridge: ln.bridge,
        dataName,
        createWorker: () => {
          made++;
          throw new Error('no Worker should be created');
        },
      }),
      WebNodeError,
      'node_locked',
    );
    ok(e.message.includes(dataName), e.message);
    equal(made, 0);
    deepEqual(await node.call('ping', { id: ln.id, len: 10, pongbytes: 10 }), { totlen: 14 });
  });

  it('another data name runs alongside, with another node id', async () => {
    const other = await startNode({ network: 'regtest', dataName: freshName() });
    try {
      ok(other.id !== node.id);
      equal(((await other.call('getinfo')) as { id: string }).id, other.id);
    } finally {
      await other.stop();
    }
  });

  it('bad options are typed errors', async () => {
    await rejects(startNode({ network: 'nonet', dataName: freshName() }), WebNodeError, 'bad_option');
    await rejects(startNode({ network: 'regtest', dataName: freshName(), bridge: 'http://x/{host}:{port}' }), WebNodeError, 'bad_option');
    await rejects(startNode({ network: 'regtest', dataName: freshName(), peers: ['nonsense'] }), WebNodeError, 'bad_option');
  });

  it('a daemon Worker that fails to start rejects startNode (worker_failed) and frees the data name', async () => {
    const name = freshName();
    const e = await rejects<WebNodeError>(
      startNode({
        network: 'regtest',
        dataName: name,
        createWorker: daemon => new Worker(blobUrl(`throw new Error('${daemon} will not start');`), { type: 'module' }),
      }),
      WebNodeError,
      'worker_failed',
    );
    ok(/hsmd|connectd/.test(e.message), e.message);
    const again = await startNode({ network: 'regtest', dataName: name });
    await again.stop();
  });

  it('after stop(), the data name starts again with the same node id (the secret persisted in IndexedDB)', async () => {
    const id = node.id;
    await node.stop();
    await rejects(node.call('getinfo'), WebNodeError, 'stopped');
    node = await startNode({ network: 'regtest', bridge: ln.bridge, dataName });
    equal(node.id, id);
    const { mnemonic, nodeKey } = await readSeed(dataName);
    equal(mnemonic.split(' ').length, 12, 'a 12-word mnemonic is stored');
    equal(toHex(getPublicKey(nodeKey)), id, "the stored seed gives this node's key");
    // lightningd's database persisted too: the peer's address is remembered.
    const r = (await node.call('connect', { id: ln.id })) as { id: string; direction: string };
    equal(r.id, ln.id);
    equal(r.direction, 'out');
  });

  it('peers: connected at start, announced by peer_connected', async () => {
    const n = await startNode({ network: 'regtest', bridge: ln.bridge, dataName: freshName(), peers: [`${ln.id}@${ln.host}:${ln.port}`] });
    try {
      const connected = next(n, 'peer_connected', e => e.id === ln.id);
      const lp = (await n.call('listpeers')) as { peers: PeerRow[] };
      if (lp.peers.length === 0) await connected;
      const now = (await n.call('listpeers')) as { peers: PeerRow[] };
      equal(now.peers[0]?.id, ln.id);
    } finally {
      await n.stop();
    }
  });
});

// ---- The node secret never crosses a port ----

/**
 * Installed in every realm (the page, and each daemon Worker before its entry module loads): records
 * every message posted on a MessagePort, a Worker, or a Worker's global scope, walking the data
 * for bytes and strings (copied before a transfer detaches them), and sends the records to the page
 * on a BroadcastChannel (whose own postMessage is not spied on). Self-contained: its source is
 * injected into the Workers.
 */
function spyRealm(realm: string, channelName: string): () => void {
  const g = globalThis as unknown as Record<string, { prototype: { postMessage: (...a: unknown[]) => void } } | undefined>;
  const bc = new BroadcastChannel(channelName);
  const walk = (v: unknown, bytes: Uint8Array[], strings: string[], seen: Set<unknown>): void => {
    if (typeof v === 'string') strings.push(v);
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      bytes.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
      return;
    }
    if (v instanceof ArrayBuffer) {
      bytes.push(new Uint8Array(v).slice());
      return;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k, bytes, strings, seen);
        walk(x, bytes, strings, seen);
      }
      return;
    }
    if (v instanceof Set) {
      for (const x of v) walk(x, bytes, strings, seen);
      return;
    }
    for (const k of Object.keys(v)) {
      strings.push(k);
      walk((v as Record<string, unknown>)[k], bytes, strings, seen);
    }
  };
  const restores: (() => void)[] = [];
  // WebIDL puts a [Global] interface's operations on the global object itself, not on its
  // prototype: a Worker's `self.postMessage` (Comlink's replies to the page) is patched there.
  const workerGlobal = g.DedicatedWorkerGlobalScope
    ? { prototype: globalThis as unknown as { postMessage: (...a: unknown[]) => void } }
    : undefined;
  const targets: [string, { prototype: { postMessage: (...a: unknown[]) => void } } | undefined][] = [
    ['MessagePort', g.MessagePort],
    ['Worker', g.Worker],
    ['DedicatedWorkerGlobalScope', workerGlobal],
  ];
  for (const [cls, target] of targets) {
    const proto = target?.prototype;
    if (!proto) continue;
    const original = proto.postMessage;
    proto.postMessage = function (this: unknown, ...args: unknown[]) {
      const bytes: Uint8Array[] = [];
      const strings: string[] = [];
      walk(args[0], bytes, strings, new Set());
      bc.postMessage({ realm, via: cls, bytes, strings });
      return original.apply(this, args);
    };
    restores.push(() => (proto.postMessage = original));
  }
  bc.onmessage = (ev: MessageEvent) => {
    const d = ev.data as { flush?: number };
    if (d.flush !== undefined) bc.postMessage({ flushed: d.flush, realm });
  };
  return () => {
    for (const r of restores) r();
    bc.close();
  };
}

interface Seen {
  realm: string;
  via: string;
  bytes: Uint8Array[];
  strings: string[];
}

const blobUrl = (src: string): string => URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('browser node: the node secret never crosses a port', () => {
  it('no message in any realm (page, hsmd, connectd) carries the secret, through start, connect, ping and stop', async () => {
    const ln = await getJson<Lightning>('/__lightning');
    const channel = `bw-spy-${crypto.randomUUID()}`;
    const records: Seen[] = [];
    const flushed = new Map<number, Set<string>>();
    const listen = new BroadcastChannel(channel);
    listen.onmessage = (ev: MessageEvent) => {
      const d = ev.data as Seen & { flushed?: number };
      if (d.flushed !== undefined) flushed.get(d.flushed)?.add(d.realm);
      else records.push(d);
    };
    const flushAll = (n: number, realms: string[]): Promise<void> =>
      new Promise(resolve => {
        flushed.set(n, new Set());
        const check = (ev: MessageEvent): void => {
          if ((ev.data as { flushed?: number }).flushed === n && realms.every(r => flushed.get(n)!.has(r))) {
            listen.removeEventListener('message', check);
            resolve();
          }
        };
        listen.addEventListener('message', check);
        listen.postMessage({ flush: n });
      });

    const entry = new URL('../../src/web/workers/host.worker.ts', import.meta.url).href;
    const restorePage = spyRealm('page', channel);
    const dataName = freshName();
    let node: WebNode | undefined;
    try {
      node = await startNode({
        network: 'regtest',
        bridge: ln.bridge,
        dataName,
        // The spy, then the real entry, as static imports: no top-level await, so the Worker takes
        // its first message only once the entry has run (and Comlink listens).
        createWorker: daemon => {
          const spy = blobUrl(`(${spyRealm.toString()})(${JSON.stringify(daemon)}, ${JSON.stringify(channel)});\n`);
          const main = blobUrl(`import ${JSON.stringify(spy)};\nimport ${JSON.stringify(entry)};\n`);
          return new Worker(main, { type: 'module', name: daemon });
        },
      });
      const r = (await node.call('connect', { id: `${ln.id}@${ln.host}:${ln.port}` })) as { direction: string };
      equal(r.direction, 'out');
      deepEqual(await node.call('ping', { id: ln.id, len: 64, pongbytes: 64 }), { totlen: 68 });
      await node.call('getinfo');
      await flushAll(1, ['page', 'hsmd', 'connectd']);
      await node.stop();
      await flushAll(2, ['page']); // what the page posted while stopping has arrived too
    } finally {
      await node?.stop();
      restorePage();
      listen.close();
    }

    const { mnemonic, seed, nodeKey } = await readSeed(dataName);
    equal(toHex(getPublicKey(nodeKey)), node!.id, "this is the node's seed");
    const secrets: [string, Uint8Array][] = [
      ['the seed', seed],
      ['the node key', nodeKey],
    ];

    // The spies saw real traffic in every realm, including hsmd's ECDH answers (32 bytes each).
    for (const realm of ['page', 'hsmd', 'connectd'])
      ok(
        records.some(x => x.realm === realm),
        `no message recorded from ${realm}`,
      );
    ok(
      records.some(x => x.realm === 'hsmd' && x.via === 'MessagePort' && x.bytes.some(b => b.length === 32)),
      "hsmd's ECDH answers were recorded",
    );
    ok(
      records.some(x => x.realm === 'connectd' && x.strings.includes(ln.id)),
      "connectd's messages were recorded",
    );
    ok(
      records.some(x => x.realm === 'hsmd' && x.via === 'DedicatedWorkerGlobalScope'),
      "hsmd's answers to the page were recorded",
    );

    for (const x of records) {
      for (const [name, secret] of secrets) {
        for (const b of x.bytes) ok(!contains(b, secret), `${name} crossed a port: ${x.realm} via ${x.via}`);
        for (const s of x.strings) ok(!s.toLowerCase().includes(toHex(secret)), `${name} crossed a port as hex: ${x.realm} via ${x.via}`);
      }
    }
    // The new node's mnemonic left hsmd exactly once, in its answer to init (to be shown to the user).
    const carrying = records.filter(
      x => x.strings.some(s => s.includes(mnemonic)) || x.bytes.some(b => contains(b, new TextEncoder().encode(mnemonic))),
    );
    equal(carrying.length, 1, `messages carrying the mnemonic: ${carrying.map(x => `${x.realm} via ${x.via}`).join(', ')}`);
    equal(carrying[0]!.realm, 'hsmd');
    equal(node!.takeMnemonic(), mnemonic);
  });
});
