// `boltworker node | cli | bridge`.
import { resolve } from 'node:path';
import { flag, parseArgs, hostPort } from './args.ts';
import { cliMain, DEFAULT_RPC_ADDR } from './cli.ts';
import { startNode } from './node.ts';

const USAGE = `usage:
  boltworker node --network regtest|testnet|signet|bitcoin --lightning-dir DIR
                  [--bind-addr 127.0.0.1:PORT] [--bind-addr ws:127.0.0.1:PORT]
                  [--rpc-addr 127.0.0.1:PORT] [--alias NAME] [--esplora URL]
  boltworker cli [--rpc-addr 127.0.0.1:PORT] METHOD [key=value ...|JSON]
  boltworker bridge --listen 127.0.0.1:PORT [--allow-port 9735 ...] [--allow-loopback] [--allow-private] [--origin URL ...]
`;

async function nodeMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const network = flag(a, 'network', 'bitcoin')!;
  if (!['bitcoin', 'testnet', 'testnet4', 'signet', 'regtest'].includes(network)) {
    process.stderr.write(`unknown --network ${network}\n`);
    return 2;
  }
  const dir = resolve(flag(a, 'lightning-dir', `${process.env.HOME ?? '.'}/.boltworker/${network}`)!);
  const node = await startNode({
    network,
    lightningDir: dir,
    bindAddr: a.flags.get('bind-addr') ?? [],
    rpcAddr: flag(a, 'rpc-addr', DEFAULT_RPC_ADDR),
    alias: flag(a, 'alias'),
    bridges: a.flags.get('bridge'),
    esplora: flag(a, 'esplora'),
  });
  process.stdout.write(JSON.stringify({ id: node.id, network, binding: node.binding, rpc: `127.0.0.1:${node.rpcPort}` }) + '\n');
  await new Promise<void>((done) => {
    const stop = (sig: string) => {
      process.stderr.write(`boltworker: ${sig}, shutting down\n`);
      node.stop().then(done, done);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

async function bridgeMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv, ['allow-loopback', 'allow-private']);
  const listen = flag(a, 'listen', '127.0.0.1:8080')!;
  hostPort(listen);
  const { startBridge } = await import('../transports/bridge-server.ts');
  const b = await startBridge({
    listen,
    allowLoopback: flag(a, 'allow-loopback') === 'true',
    allowPrivate: flag(a, 'allow-private') === 'true',
    allowedPorts: a.flags.get('allow-port')?.map(Number),
    allowedOrigins: a.flags.get('origin'),
    // Each line: client, target, decision and reason (and what else the bridge says), as JSON.
    logger: {
      info: (m, f) => process.stderr.write(`bridge: ${m} ${JSON.stringify(f ?? {})}\n`),
      warn: (m, f) => process.stderr.write(`bridge: ${m} ${JSON.stringify(f ?? {})}\n`),
    },
  });
  process.stdout.write(JSON.stringify({ bridge: `${b.url}/{host}:{port}` }) + '\n');
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await b.close();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'node':
        return await nodeMain(rest);
      case 'cli':
        return await cliMain(rest);
      case 'bridge':
        return await bridgeMain(rest);
      default:
        process.stderr.write(USAGE);
        return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
    }
  } catch (e) {
    process.stderr.write(`boltworker ${cmd}: ${(e as Error).message}\n`);
    return 1;
  }
}
