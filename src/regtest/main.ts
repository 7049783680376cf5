// `boltworker regtest --listen 127.0.0.1:PORT [--data-dir DIR]`: starts the regtest chain and prints
// one JSON line when it is ready:
//   {"esplora":"http://127.0.0.1:PORT","height":101,"address":"bcrt1q...","data_dir":DIR|null}
// A fresh chain is mined to height 101 so its own coins (`POST /regtest/send`) are spendable.
// Runs until SIGINT/SIGTERM (`runRegtest`). Also runnable directly: node --import tsx src/regtest/main.ts ARGS.
import { pathToFileURL } from 'node:url';
import { parseListenHostPort, type HostPort } from '../core/net/host.ts';
import { RegtestConfigError, startRegtest, type RegtestHandle } from './server-node.ts';

export interface RegtestArgs {
  host: string;
  port: number;
  dataDir?: string;
}

export function parseRegtestArgs(argv: string[]): RegtestArgs {
  let listen = '127.0.0.1:0';
  let dataDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new RegtestConfigError(`${a} needs a value`);
      return v;
    };
    if (a === '--listen') listen = value();
    else if (a.startsWith('--listen=')) listen = a.slice(9);
    else if (a === '--data-dir') dataDir = value();
    else if (a.startsWith('--data-dir=')) dataDir = a.slice(11);
    else throw new RegtestConfigError(`unknown argument: ${a}`);
  }
  let hp: HostPort;
  try {
    hp = parseListenHostPort(listen);
  } catch (e) {
    throw new RegtestConfigError(`--listen wants HOST:PORT, got ${listen} (${(e as Error).message})`);
  }
  return { host: hp.host, port: hp.port, dataDir };
}

/** Starts the chain from command-line arguments and prints the ready line; returns the handle. */
export async function regtestMain(
  argv: string[],
  print: (line: string) => void = l => process.stdout.write(l + '\n'),
): Promise<RegtestHandle> {
  const args = parseRegtestArgs(argv);
  const h = await startRegtest({ host: args.host, port: args.port, dataDir: args.dataDir, premine: 101 });
  print(JSON.stringify({ esplora: h.url, height: h.chain.height, address: h.chain.wallet.address, data_dir: args.dataDir ?? null }));
  return h;
}

/**
 * The whole command: starts, prints the ready line, stops on SIGINT/SIGTERM; a bad argument or a
 * refused address exits 2, any other failure 1. `boltworker regtest ARGS` calls this with ARGS.
 */
export async function runRegtest(argv: string[]): Promise<void> {
  try {
    const h = await regtestMain(argv);
    const stop = () => void h.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (e) {
    process.stderr.write(`boltworker regtest: ${(e as Error).message}\n`);
    process.exit(e instanceof RegtestConfigError ? 2 : 1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void runRegtest(process.argv.slice(2));
