// `boltworker cli [--rpc-addr HOST:PORT] METHOD [params]`: as lightning-cli, prints the JSON
// result and exits non-zero with the error on failure. Params: key=value words (named), one JSON
// object or array, or plain words (positional).
import { flag, hostPort, parseArgs } from './args.ts';

export const DEFAULT_RPC_ADDR = '127.0.0.1:9835';

function value(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export function cliParams(words: readonly string[]): unknown {
  if (words.length === 1 && /^\s*[[{]/.test(words[0]!)) return JSON.parse(words[0]!);
  if (words.length > 0 && words.every((w) => /^[a-z_][a-z0-9_]*=/.test(w))) {
    return Object.fromEntries(words.map((w) => [w.slice(0, w.indexOf('=')), value(w.slice(w.indexOf('=') + 1))]));
  }
  return words.map(value);
}

export async function rpcCall(addr: string, method: string, params: unknown): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const { host, port } = hostPort(addr);
  const h = host.includes(':') ? `[${host}]` : host;
  const res = await fetch(`http://${h}:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

export async function cliMain(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv);
  const [method, ...rest] = a.positional;
  if (!method) {
    process.stderr.write('usage: boltworker cli [--rpc-addr HOST:PORT] METHOD [key=value ...|JSON]\n');
    return 2;
  }
  const addr = flag(a, 'rpc-addr', process.env.BOLTWORKER_RPC ?? DEFAULT_RPC_ADDR)!;
  let reply;
  try {
    reply = await rpcCall(addr, method, cliParams(rest));
  } catch (e) {
    process.stderr.write(`boltworker cli: cannot reach ${addr}: ${(e as Error).message}\n`);
    return 1;
  }
  if (reply.error) {
    process.stderr.write(JSON.stringify(reply.error, null, 3) + '\n');
    return 1;
  }
  process.stdout.write(JSON.stringify(reply.result, null, 3) + '\n');
  return 0;
}
