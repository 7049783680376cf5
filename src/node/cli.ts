// `boltworker cli [OPTIONS] METHOD [PARAMS...]`, as Core Lightning's lightning-cli (cli/lightning-cli.c):
// it finds the node's socket at `<lightning-dir>/<network>/<rpc-file>`, sends one JSON-RPC request,
// reads one JSON object back (no length prefix) and prints its result; params by position, or
// `key=value` (autodetected from the first, or forced with -k / -o). Exit codes as lightning-cli's:
// 0 result, 1 error from the node (printed on stdout), 2 cannot talk to the node, 3 usage.
// This file and what it imports are bundled into dist/cli.mjs (bin/build-cli.mjs), so keep it
// free of the daemon's modules.
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import {
  COMMON_OPTIONS,
  lastValue,
  parseCommandLine,
  parseConfigFile,
  usage,
  UsageError,
  type OptionSpec,
  type OptionValues,
} from './options.ts';
import { LOCATION_OPTIONS, inNetworkDir, lightningDirOf, networkOf } from './network-dir.ts';
import { formatHostPort, parseHostPort, type HostPort } from '../core/net/host.ts';
import { JsonSplitter } from './json-stream.ts';
import { basicAuth } from './rpc-cookie.ts';
import { VERSION } from './version.ts';

export const EXIT = { OK: 0, FROM_NODE: 1, TALKING: 2, USAGE: 3 } as const;

export const CLI_OPTIONS: OptionSpec[] = [
  ...LOCATION_OPTIONS,
  {
    name: 'rpc-addr',
    arg: 'HOST:PORT',
    help: "Use the node's HTTP JSON-RPC (its --rpc-addr) instead of the socket; sends the cookie <rpc-file>.cookie",
  },
  { name: 'keywords', short: 'k', flag: true, help: 'Use format key=value for <params>' },
  { name: 'order', short: 'o', flag: true, help: 'Use params in order for <params>' },
  { name: 'json', short: 'J', flag: true, help: "JSON output (default unless 'help')" },
  { name: 'human-readable', short: 'H', flag: true, help: "Human-readable output (default for 'help')" },
  ...COMMON_OPTIONS,
];

export const CLI_USAGE = usage(
  "usage: boltworker cli [OPTIONS] METHOD [PARAMS...]\n\nCalls a running node's JSON-RPC, as lightning-cli does.",
  CLI_OPTIONS,
);

/** Talking to the node failed (not an error the node returned). */
export class TalkError extends Error {}

/** Writes to stdout; a reader that went away (`| head`) ends the command quietly, not with EPIPE. */
export function writeOut(text: string, code: number): number {
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? code);
      throw e;
    });
  }
  process.stdout.write(text);
  return code;
}

/** As lightning-cli's is_literal: digits, true/false/null, and {..} [..] ".." go as JSON; anything else as a string. */
function paramValue(word: string, where: string): unknown {
  const literal =
    /^[0-9]+$/.test(word) ||
    word === 'true' ||
    word === 'false' ||
    word === 'null' ||
    (word.length > 1 &&
      ((word.startsWith('{') && word.endsWith('}')) ||
        (word.startsWith('[') && word.endsWith(']')) ||
        (word.startsWith('"') && word.endsWith('"'))));
  if (!literal) return word;
  try {
    return JSON.parse(word);
  } catch (e) {
    throw new UsageError(`${where} looks like JSON but is not: ${(e as Error).message}: ${word}`);
  }
}

/** The request's params from the words after the method. */
export function cliParams(words: readonly string[], mode?: 'keywords' | 'order'): unknown {
  const keywords = mode === 'keywords' || (mode === undefined && words.length > 0 && words[0]!.includes('='));
  if (!keywords) return words.map((w, i) => paramValue(w, `parameter ${i + 1}`));
  const out: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`Expected key=value in '${w}'`);
    out[w.slice(0, eq)] = paramValue(w.slice(eq + 1), `parameter ${w.slice(0, eq)}`);
  }
  return out;
}

interface Reply {
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

/** One request over the Unix socket, Core Lightning's framing: the first whole JSON object back is the answer. */
export function socketCall(path: string, request: object): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const split = new JsonSplitter({ maxBytes: 256 << 20, maxDepth: 10_000 });
    let done = false;
    const fail = (m: string) => {
      if (done) return;
      done = true;
      sock.destroy();
      reject(new TalkError(m));
    };
    sock.on('connect', () => sock.write(JSON.stringify(request)));
    sock.on('data', (chunk: Buffer) => {
      let texts: string[];
      try {
        texts = split.push(chunk);
      } catch (e) {
        return fail(`malformed response: ${(e as Error).message}`);
      }
      if (texts.length === 0 || done) return;
      done = true;
      sock.end();
      try {
        resolve(JSON.parse(texts[0]!) as Reply);
      } catch (e) {
        reject(new TalkError(`malformed response: ${(e as Error).message}`));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const hint =
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? ' (is `boltworker node` running with this --lightning-dir and --network?)' : '';
      fail(`connecting to '${path}': ${e.message}${hint}`);
    });
    sock.on('close', () => fail(`reading response: the node closed the connection`));
  });
}

/** One request over the HTTP endpoint, with the cookie. */
export async function httpCall(addr: string, cookieFile: string, request: object): Promise<Reply> {
  let hp: HostPort;
  try {
    hp = parseHostPort(addr);
  } catch (e) {
    throw new UsageError(`--rpc-addr: expected HOST:PORT, got ${addr} (${(e as Error).message})`);
  }
  const url = `http://${formatHostPort(hp)}/`;
  let cookie: string;
  try {
    cookie = await readFile(cookieFile, 'utf8');
  } catch (e) {
    throw new TalkError(`reading the cookie: ${(e as Error).message} (the node writes it when started with --rpc-addr)`);
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(cookie) },
      body: JSON.stringify(request),
    });
  } catch (e) {
    const cause = (e as { cause?: Error }).cause;
    throw new TalkError(`connecting to ${url}: ${cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
  try {
    return JSON.parse(text) as Reply;
  } catch {
    throw new TalkError(`HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`);
  }
}

/** lightning-cli -H: strings bare, objects `key=value` lines, single-field objects elided. */
export function humanReadable(v: unknown, term = '\n'): string {
  if (Array.isArray(v)) return v.map(x => humanReadable(x, '\n')).join('');
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 1) return humanReadable(entries[0]![1], '\n');
    return entries.map(([k, x]) => `${k}=${humanReadable(x, '\n')}`).join('');
  }
  return `${typeof v === 'string' ? v : JSON.stringify(v)}${term}`;
}

function humanHelp(result: { help?: { command?: string; description?: string }[] }): string {
  const list = result.help ?? [];
  return (
    list.map(c => `${c.command}\n    ${c.description ?? ''}\n\n`).join('') +
    (list.length > 1 ? '---\nrun `boltworker cli help <command>` for more information on a specific command\n' : '')
  );
}

/** The network to talk to: the command line's, else the one `<lightning-dir>/config` names (as lightning-cli reads it). */
async function cliNetwork(values: OptionValues, lightningDir: string): Promise<string> {
  const given = networkOf(values);
  if (given) return given;
  let text: string;
  try {
    text = await readFile(`${lightningDir}/config`, 'utf8');
  } catch {
    return 'bitcoin';
  }
  // Only the network lines matter here; the node checks the rest of the file.
  const keys = new Set(['network', 'mainnet', 'testnet', 'signet', 'regtest']);
  const lines = text.split(/\r?\n/).map(l => (keys.has(l.split('=')[0]!.trim()) ? l : ''));
  return networkOf(parseConfigFile(LOCATION_OPTIONS, lines.join('\n'), `${lightningDir}/config`)) ?? 'bitcoin';
}

export async function cliMain(argv: readonly string[]): Promise<number> {
  try {
    const { values, positional } = parseCommandLine(CLI_OPTIONS, argv);
    if (values.has('help')) return writeOut(CLI_USAGE, EXIT.OK);
    if (values.has('version')) return writeOut(`${VERSION}\n`, EXIT.OK);
    if (values.has('keywords') && values.has('order')) throw new UsageError('-k and -o cannot go together');
    const [method, ...words] = positional;
    if (!method) throw new UsageError(`no METHOD given\n\n${CLI_USAGE}`);
    const params = cliParams(words, values.has('keywords') ? 'keywords' : values.has('order') ? 'order' : undefined);
    const lightningDir = lightningDirOf(lastValue(values, 'lightning-dir'));
    const network = await cliNetwork(values, lightningDir);
    const socket = inNetworkDir(`${lightningDir}/${network}`, lastValue(values, 'rpc-file') ?? 'lightning-rpc');
    const id = `boltworker-cli-${process.pid}`;
    const request = { jsonrpc: '2.0', method, id, params };
    const addr = lastValue(values, 'rpc-addr');
    const reply = addr ? await httpCall(addr, `${socket}.cookie`, request) : await socketCall(socket, request);
    if (reply.id !== id) throw new TalkError(`Incorrect 'id' in response: ${JSON.stringify(reply.id)}`);
    if (reply.error !== undefined && reply.error !== null) return writeOut(JSON.stringify(reply.error, null, 3) + '\n', EXIT.FROM_NODE);
    if (!('result' in reply)) throw new TalkError("Either 'result' or 'error' must be returned in response");
    const human = values.has('human-readable') || (method === 'help' && !values.has('json'));
    if (!human) return writeOut(JSON.stringify(reply.result, null, 3) + '\n', EXIT.OK);
    const r = reply.result as { help?: unknown[] };
    return writeOut(method === 'help' && Array.isArray(r?.help) ? humanHelp(r as never) : humanReadable(reply.result), EXIT.OK);
  } catch (e) {
    const code = e instanceof UsageError ? EXIT.USAGE : EXIT.TALKING;
    process.stderr.write(`boltworker cli: ${(e as Error).message}\n`);
    return code;
  }
}
