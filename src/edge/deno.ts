// A Deno entry: the edge node (src/edge/node.ts) in one Deno process, JSON-RPC 2.0 on
// `POST /rpc` at 127.0.0.1, peers dialled over TCP with Deno.connect, and with `--bind-addr
// 127.0.0.1:PORT` peers accepted over TCP with Deno.listen. The node secret, lightningd's
// database and the gossip store are files in the data dir: the gossip store is the Node runtime's
// file store (src/node/gossip-store-file.ts, through Deno's `node:fs`), the same store log as
// every runtime, so a restarted node is route-ready from DIR/gossip_store, not from its peers.
// Gossip signatures are checked by libsecp256k1 (src/wasm/secp256k1/verify.wasm, read and
// compiled here), else by @noble/secp256k1. SIGINT/SIGTERM and `stop` stop the node, then exit.
// Type-checked by tsconfig.deno.json (web APIs and Node built-ins, both of which Deno has).
//   deno run --allow-net=127.0.0.1 --allow-read=DIR,src/wasm --allow-write=DIR src/edge/deno.ts \
//     --network regtest --data-dir DIR --rpc-port 9835 [--bind-addr 127.0.0.1:9735] [--recover MNEMONIC] \
//     [--esplora URL]... [--rescan N]     (an Esplora beyond 127.0.0.1 needs its host in --allow-net)
// Prints one JSON line {id, rpc, binding} when ready. Only loopback is served.
import type { AbortSignalLike, ByteStream, DialTarget, Dialer, NetAddress } from '../core/net/transport.ts';
import { TransportError, abortError, errorMessage } from '../transports/errors.ts';
import { WebStreamSocket, type StreamPair } from '../transports/web-stream-socket.ts';
import { answerText } from '../core/daemons/lightningd/rpc-text.ts';
import type { Listening } from '../core/daemons/connectd/interface.ts';
import { FileGossipStore } from '../node/gossip-store-file.ts';
import { FileLightningdStorage, FileWalletStorage } from '../node/lightningd-storage.ts';
import { FileHsmChannelStore } from '../node/hsm-channels.ts';
import { parseListenHostPort, type HostPort } from '../core/net/host.ts';
import { parseRescan } from '../core/chain/follow.ts';
import { buildEdgeNode, type SecretStore } from './node.ts';

/** The part of Deno's API used here (the project type-checks without Deno's own types). */
interface DenoConn extends StreamPair {
  readonly remoteAddr: { hostname: string; port: number };
  close(): void;
}
interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: { hostname: string; port: number };
  close(): void;
}
declare const Deno: {
  args: string[];
  connect(o: { hostname: string; port: number; transport?: 'tcp' }): Promise<DenoConn>;
  listen(o: { hostname: string; port: number; transport?: 'tcp' }): DenoListener;
  serve(
    o: { hostname: string; port: number; onListen?: (a: { hostname: string; port: number }) => void },
    h: (r: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
  exit(code?: number): never;
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  readFile(path: string | URL): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array, o?: { mode?: number }): Promise<void>;
  readTextFile(path: string): Promise<string>;
  writeTextFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, o?: { recursive?: boolean }): Promise<void>;
  errors: { NotFound: new (...a: never[]) => Error };
};

class DenoTcpStream extends WebStreamSocket {
  constructor(
    private readonly conn: DenoConn,
    target: { host: string; port: number },
  ) {
    super(conn, target);
  }

  protected shutdown(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

export class DenoTcpDialer implements Dialer {
  async dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream> {
    if (target.kind !== 'tcp') throw new TransportError('unsupported_target', `DenoTcpDialer cannot dial ${target.kind}`);
    const what = `TCP connect to ${target.host}:${target.port}`;
    if (signal?.aborted) throw abortError(signal, what);
    const connecting = Deno.connect({ hostname: target.host, port: target.port, transport: 'tcp' });
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(abortError(signal, what))));
    try {
      return new DenoTcpStream(await Promise.race([connecting, aborted]), target);
    } catch (e) {
      connecting.then(
        c => c.close(),
        () => {},
      );
      throw e instanceof TransportError ? e : new TransportError('dial_failed', `${what} failed: ${errorMessage(e)}`);
    }
  }
}

async function readOrUndefined<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Accepts TCP connections on `host:port` (main passes 127.0.0.1 only) and hands each to `accept`: connectd's
 * inbound path, where we are the BOLT 8 responder. Runs until the process ends.
 */
export function listenDenoTcp(host: string, port: number, accept: (s: ByteStream) => void): Listening {
  const listener = Deno.listen({ hostname: host, port, transport: 'tcp' });
  void (async () => {
    try {
      for await (const conn of listener) accept(new DenoTcpStream(conn, { host: conn.remoteAddr.hostname, port: conn.remoteAddr.port }));
    } catch {
      // the listener closed
    }
  })();
  return { port: listener.addr.port, close: () => listener.close() };
}

/** `127.0.0.1:PORT` of --bind-addr (only loopback is served); port 0: any free port. */
function parseBindAddr(v: string): { host: string; port: number } {
  let hp: HostPort | undefined;
  try {
    hp = parseListenHostPort(v);
  } catch {
    // the message below says what is expected
  }
  if (hp?.host !== '127.0.0.1') throw new Error(`--bind-addr ${v}: expected 127.0.0.1:PORT`);
  return { host: hp.host, port: hp.port };
}

// The ES2022 lib and the Workers types declare no WebAssembly.compile (Deno has it).
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<unknown> } }).WebAssembly;

/** Our secp256k1.wasm, compiled; undefined when it cannot be read or compiled (noble is used). */
async function verifyWasm(): Promise<unknown> {
  try {
    return await wasmApi.compile(await Deno.readFile(new URL('../wasm/secp256k1/verify.wasm', (import.meta as { url: string }).url)));
  } catch {
    return undefined;
  }
}

function option(name: string, fallback?: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  const v = i >= 0 ? Deno.args[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

/** Every value of a repeatable option. */
function options(name: string): string[] {
  const out: string[] = [];
  Deno.args.forEach((a, i) => {
    if (a === `--${name}` && Deno.args[i + 1] !== undefined) out.push(Deno.args[i + 1]!);
  });
  return out;
}

function rescanOf(v: string): number {
  const n = parseRescan(v);
  if (n === undefined) throw new Error(`--rescan: expected a number of blocks, got '${v}'`);
  return n;
}

const MAX_BODY = 1 << 20;

export async function main(): Promise<void> {
  const network = option('network', 'bitcoin');
  const dir = option('data-dir');
  const port = Number(option('rpc-port', '0'));
  const bindAddr = Deno.args.includes('--bind-addr') ? parseBindAddr(option('bind-addr')) : undefined;
  await Deno.mkdir(dir, { recursive: true });
  // Written once, then only read by the hsmd part of the node.
  const secretStore: SecretStore = {
    load: () => readOrUndefined(() => Deno.readFile(`${dir}/hsm_secret`)),
    save: s => Deno.writeFile(`${dir}/hsm_secret`, s, { mode: 0o600 }),
  };
  // lightningd's database, the wallet and hsmd's channel state: the Node runtime's atomic files
  // (temporary file, fsync, rename) through Deno's node:fs, as for the gossip store.
  const storage = new FileLightningdStorage(dir);
  const node = await buildEdgeNode({
    network,
    secretStore,
    storage,
    // Core Lightning's --recover=<mnemonic>: restores the seed into a DIR without one.
    recover: Deno.args.includes('--recover') ? option('recover') : undefined,
    // --esplora URL (repeatable): the chain, and with it the wallet (DIR/wallet.json); --rescan N as Core Lightning's.
    esplora: options('esplora'),
    walletStorage: new FileWalletStorage(dir),
    hsmChannels: new FileHsmChannelStore(dir),
    rescan: Deno.args.includes('--rescan') ? rescanOf(option('rescan')) : undefined,
    dialer: new DenoTcpDialer(),
    caps: { tcp: true, websocket: false },
    // Opened here, loaded and closed by gossipd (its batches are fdatasync'd as in Node).
    gossipStore: await FileGossipStore.open(`${dir}/gossip_store`),
    verifyWasm: verifyWasm(),
    // `stop` over the RPC (or a signal): answer it (shutdown lets requests in flight finish), let
    // the node finish stopping (gossipd writes what it holds and closes its store), then exit.
    onStop: () =>
      void server
        .shutdown()
        .then(() => node.stop())
        .finally(() => Deno.exit(0)),
    ...(bindAddr
      ? {
          bind: [bindAddr],
          listener: async (host: string, port: number, accept: (s: ByteStream) => void) => listenDenoTcp(host, port, accept),
        }
      : {}),
  });
  const server = Deno.serve(
    {
      hostname: '127.0.0.1',
      port,
      onListen: a => console.log(JSON.stringify({ id: node.id, rpc: `http://${a.hostname}:${a.port}/rpc`, binding: node.binding })),
    },
    async req => {
      if (new URL(req.url).pathname !== '/rpc') return new Response('POST /rpc\n', { status: 404 });
      if (req.method !== 'POST') return new Response('POST a JSON-RPC 2.0 request\n', { status: 405, headers: { Allow: 'POST' } });
      const text = await req.text();
      if (text.length > MAX_BODY) return new Response('request too large\n', { status: 413 });
      // Bounded and never throws (src/core/daemons/lightningd/rpc-text.ts).
      return new Response(await answerText(node, text), { headers: { 'content-type': 'application/json' } });
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(signal, () => void node.stop());
}

if ((import.meta as { main?: boolean }).main) await main();
