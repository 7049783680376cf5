// `boltworker node | cli | bridge | regtest`, with options as Core Lightning spells them (lightningd/options.c):
// strict parsing, config files `<lightning-dir>/config` then `<lightning-dir>/<network>/config`,
// the command line last.
import { parseRescan } from '../core/chain/follow.ts';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  allValues,
  configsOf,
  lastValue,
  mergeOptions,
  parseCommandLine,
  parseConfigFile,
  usage,
  UsageError,
  COMMON_OPTIONS,
  type OptionSpec,
  type OptionValues,
} from './options.ts';
import { cliMain, writeOut } from './cli.ts';
import { LOCATION_OPTIONS, inNetworkDir, lightningDirOf, networkOf } from './network-dir.ts';
import { LOG_LEVELS, setLogConfig, type LogLevel } from './log.ts';
import { VERSION } from './version.ts';
import { HSM_OPTIONS } from './hsm-secret.ts';
import { parseHostPort as parseBridgeListen } from '../core/bridge/policy.ts';
import { parsePort } from '../core/net/host.ts';
import { locktimeProblem, MAX_LOCKTIME_BLOCKS, WATCHTIME_BLOCKS } from '../core/daemons/lightningd/channel-config.ts';
import { MIN_EMERGENCY_SAT, parseMinEmergency } from '../core/daemons/lightningd/emergency.ts';

export const NODE_OPTIONS: OptionSpec[] = [
  ...LOCATION_OPTIONS.slice(0, 1),
  {
    name: 'conf',
    arg: 'FILE',
    cmdlineOnly: true,
    help: 'Read this configuration file instead of <lightning-dir>/config and <lightning-dir>/<network>/config',
  },
  ...LOCATION_OPTIONS.slice(1),
  { name: 'addr', arg: '[ws:]HOST[:PORT]', multi: true, help: 'Listen on this address and announce it' },
  { name: 'bind-addr', arg: '[ws:]HOST[:PORT]', multi: true, help: 'Listen on this address, without announcing it' },
  { name: 'announce-addr', arg: 'HOST[:PORT]', multi: true, help: 'Announce this address, without listening on it' },
  { name: 'alias', arg: 'NAME', help: 'Up to 32-byte alias for the node (default: boltworker-<id prefix>)' },
  { name: 'rgb', arg: 'RRGGBB', help: 'RGB color of the node, six hex digits (default: from the node id)' },
  { name: 'rpc-file-mode', arg: 'MODE', default: '0600', help: 'File mode (octal) of the JSON-RPC socket' },
  { name: 'rpc-addr', arg: 'HOST:PORT', help: 'Also serve JSON-RPC over HTTP here (off by default; needs the cookie <rpc-file>.cookie)' },
  { name: 'rpc-allow-origin', arg: 'ORIGIN', multi: true, help: 'Web page origin allowed to call the HTTP JSON-RPC (none by default)' },
  { name: 'log-level', arg: 'LEVEL', default: 'info', help: `Log level: ${LOG_LEVELS.join(', ')}` },
  { name: 'log-file', arg: 'PATH', help: 'Log to this file (relative to <lightning-dir>/<network>) instead of stderr' },
  { name: 'bridge', arg: 'URL', multi: true, help: 'WebSocket-to-TCP bridge for WebSocket-only targets (ws://host/{host}:{port})' },
  {
    name: 'esplora',
    arg: 'URL',
    multi: true,
    help: "lightningd's chain backend: an Esplora API, the next one used when one fails (default: none; gossipd trusts announcements)",
  },
  {
    name: 'rescan',
    arg: 'BLOCKS',
    help: 'at start, follow the chain again from BLOCKS blocks back, or from block -BLOCKS if negative (Core Lightning; default: none)',
  },
  {
    name: 'watchtime-blocks',
    arg: 'BLOCKS',
    default: String(WATCHTIME_BLOCKS),
    help: "Blocks before peer can unilaterally spend funds: the to_self_delay we ask of peers (Core Lightning's)",
  },
  {
    name: 'max-locktime-blocks',
    arg: 'BLOCKS',
    default: String(MAX_LOCKTIME_BLOCKS),
    help: 'Maximum blocks funds may be locked for: the longest to_self_delay a peer may ask of us',
  },
  {
    name: 'min-emergency-msat',
    arg: 'MSAT',
    msat: true,
    default: String(MIN_EMERGENCY_SAT * 1000),
    help: 'Amount to leave in wallet for spending anchor closes (msat, or Nsat; a whole number of sats over dust)',
  },
  ...HSM_OPTIONS,
  ...COMMON_OPTIONS,
];

const NODE_SYNOPSIS =
  'usage: boltworker node [OPTIONS]\n\nRuns a node: its files and its JSON-RPC socket are in <lightning-dir>/<network>/.';

export const BRIDGE_OPTIONS: OptionSpec[] = [
  { name: 'listen', arg: 'HOST:PORT', default: '127.0.0.1:8080', help: 'Where the bridge listens' },
  { name: 'allow-port', arg: 'PORT', multi: true, help: 'Target port allowed (default: the Lightning ports)' },
  { name: 'allow-loopback', flag: true, help: 'Allow loopback targets (127.0.0.0/8, ::1, localhost)' },
  {
    name: 'allow-private',
    flag: true,
    help: 'Allow private-range targets (RFC 1918, 100.64/10, fc00::/7); link-local and cloud metadata stay refused',
  },
  { name: 'origin', arg: 'URL', multi: true, help: 'Web page origin allowed to connect (default: any)' },
  ...COMMON_OPTIONS,
];

const BRIDGE_SYNOPSIS = 'usage: boltworker bridge [OPTIONS]\n\nA WebSocket-to-TCP bridge for browser nodes.';

export const REGTEST_OPTIONS: OptionSpec[] = [
  {
    name: 'listen',
    arg: 'HOST:PORT',
    default: '127.0.0.1:0',
    help: "Where the chain serves Esplora's API (loopback only; port 0: any free port)",
  },
  { name: 'data-dir', arg: 'DIR', help: 'Keep the blocks in DIR/blocks.dat across restarts (default: in memory only)' },
  ...COMMON_OPTIONS,
];

const REGTEST_SYNOPSIS =
  "usage: boltworker regtest [OPTIONS]\n\nA local regtest chain served over Esplora's API, for tests, the demo and development.";

const TOP_USAGE = `usage: boltworker node [OPTIONS]            run a node (boltworker node --help)
       boltworker cli [OPTIONS] METHOD [PARAMS...]   call its JSON-RPC, as lightning-cli (boltworker cli --help)
       boltworker bridge [OPTIONS]          WebSocket-to-TCP bridge (boltworker bridge --help)
       boltworker regtest [OPTIONS]         a local regtest chain with Esplora's API (boltworker regtest --help)
       boltworker --version
`;

async function readConfig(path: string, must: boolean): Promise<OptionValues> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !must) return new Map();
    throw new UsageError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  return parseConfigFile(NODE_OPTIONS, text, path);
}

/** Command line, then config files, merged as lightningd does. */
export async function nodeOptions(argv: readonly string[]): Promise<{ values: OptionValues; lightningDir: string; network: string }> {
  const cmd = parseCommandLine(NODE_OPTIONS, argv);
  if (cmd.positional.length)
    throw new UsageError(`unexpected argument '${cmd.positional[0]}' (options start with --; see boltworker node --help)`);
  const lightningDir = lightningDirOf(lastValue(cmd.values, 'lightning-dir'));
  const conf = lastValue(cmd.values, 'conf');
  let layers: OptionValues[];
  if (conf !== undefined) layers = [await readConfig(resolve(conf), true)];
  else {
    const base = await readConfig(`${lightningDir}/config`, false);
    const net = networkOf(cmd.values) ?? networkOf(base) ?? 'bitcoin';
    layers = [base, await readConfig(`${lightningDir}/${net}/config`, false)];
  }
  // The command line's network wins over a config file's, as in lightningd.
  const values = mergeOptions(NODE_OPTIONS, ...layers, cmd.values);
  const network = networkOf(cmd.values) ?? networkOf(mergeOptions(NODE_OPTIONS, ...layers)) ?? 'bitcoin';
  values.set('lightning-dir', [{ value: lightningDir, source: cmd.values.has('lightning-dir') ? 'cmdline' : 'default' }]);
  // listconfigs' network: where it was named, by --network or by an alias flag (--regtest...).
  const named = ['network', 'mainnet', 'testnet', 'signet', 'regtest'].flatMap(n => values.get(n) ?? []);
  const from = [...named].reverse().find(v => v.source === 'cmdline') ?? named[named.length - 1];
  values.set('network', [{ value: network, source: from?.source ?? 'default' }]);
  return { values, lightningDir, network };
}

async function nodeMain(argv: string[]): Promise<number> {
  const early = parseCommandLine(NODE_OPTIONS, argv).values;
  if (early.has('help')) return writeOut(usage(NODE_SYNOPSIS, NODE_OPTIONS), 0);
  if (early.has('version')) return writeOut(`${VERSION}\n`, 0);
  const { values, lightningDir, network } = await nodeOptions(argv);
  const v = (name: string) => lastValue(values, name);
  const level = v('log-level') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new UsageError(`--log-level: unknown level '${level}' (known: ${LOG_LEVELS.join(', ')})`);
  const mode = v('rpc-file-mode') ?? '0600';
  if (!/^0?[0-7]{3}$/.test(mode)) throw new UsageError(`--rpc-file-mode: expected an octal mode such as 0600, got '${mode}'`);
  const rgb = v('rgb');
  if (rgb !== undefined && !/^[0-9a-fA-F]{6}$/.test(rgb)) throw new UsageError(`--rgb: expected six hex digits, got '${rgb}'`);
  const logFile = v('log-file');
  const networkDir = `${lightningDir}/${network}`;
  if (logFile !== undefined) {
    const path = inNetworkDir(networkDir, logFile);
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      setLogConfig({ level: level as LogLevel, file: path });
    } catch (e) {
      throw new UsageError(`--log-file ${logFile}: ${(e as Error).message}`);
    }
  } else setLogConfig({ level: level as LogLevel });
  const { startNode, rpcAddrWarning } = await import('./node.ts');
  const node = await startNode({
    network,
    lightningDir,
    addr: allValues(values, 'addr'),
    bindAddr: allValues(values, 'bind-addr'),
    announceAddr: allValues(values, 'announce-addr'),
    rpcFile: v('rpc-file') ?? 'lightning-rpc',
    rpcFileMode: Number.parseInt(mode, 8),
    rpcAddr: v('rpc-addr'),
    rpcAllowOrigin: allValues(values, 'rpc-allow-origin'),
    alias: v('alias'),
    color: rgb?.toLowerCase(),
    bridges: allValues(values, 'bridge'),
    esplora: allValues(values, 'esplora'),
    rescan: rescanOf(v('rescan')),
    ...locktimesOf(v('watchtime-blocks'), v('max-locktime-blocks')),
    ...minEmergencyOf(v('min-emergency-msat')),
    recover: v('recover'),
    // The mnemonic is never shown back: listconfigs leaves --recover out.
    configs: () => configsOf(NODE_OPTIONS, values, ['help', 'version', 'recover']),
  });
  // The log says it too; a log file would hide it from whoever started the node.
  const warning = node.rpcHttp && logFile !== undefined && rpcAddrWarning(node.rpcHttp.host, node.rpcHttp.port);
  if (warning) process.stderr.write(`boltworker node: WARNING: ${warning}\n`);
  const started = {
    id: node.id,
    network,
    'lightning-dir': node.networkDir,
    'rpc-file': node.rpcSocket,
    binding: node.binding,
    ...(node.rpcHttp
      ? {
          rpc: `${node.rpcHttp.host.includes(':') ? `[${node.rpcHttp.host}]` : node.rpcHttp.host}:${node.rpcHttp.port}`,
          'rpc-cookie': node.rpcHttp.cookieFile,
        }
      : {}),
  };
  process.stdout.write(JSON.stringify(started) + '\n');
  const signal = await untilSignal(node.stopped);
  if (signal) process.stderr.write(`boltworker: ${signal}, shutting down\n`);
  await node.stop();
  return 0;
}

/** --rescan: a whole number of blocks (negative: an absolute height). */
function rescanOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = parseRescan(v);
  if (n === undefined) throw new UsageError(`--rescan: expected a number of blocks, got '${v}'`);
  return n;
}

/** --min-emergency-msat (Core Lightning's opt_set_sat_nondust; emergency.ts). */
function minEmergencyOf(v: string | undefined): { minEmergencySat?: number } {
  if (v === undefined) return {};
  try {
    return { minEmergencySat: parseMinEmergency(v) };
  } catch (e) {
    throw new UsageError(`--min-emergency-msat: ${(e as Error).message}`);
  }
}

/** --watchtime-blocks and --max-locktime-blocks: whole numbers of blocks (channel-config.ts locktimeProblem). */
function locktimesOf(watch: string | undefined, max: string | undefined): { watchtimeBlocks?: number; maxLocktimeBlocks?: number } {
  const blocks = (name: string, v: string) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name}: expected a number of blocks, got '${v}'`);
    return Number(v);
  };
  const o = {
    ...(watch !== undefined ? { watchtimeBlocks: blocks('watchtime-blocks', watch) } : {}),
    ...(max !== undefined ? { maxLocktimeBlocks: blocks('max-locktime-blocks', max) } : {}),
  };
  const problem = locktimeProblem(o);
  if (problem) throw new UsageError(`--${problem}`);
  return o;
}

/** The name of the first SIGINT or SIGTERM, or undefined when `stopped` comes first. */
function untilSignal(stopped?: Promise<unknown>): Promise<string | undefined> {
  return new Promise(done => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
    void stopped?.then(() => done(undefined));
  });
}

/** A subcommand's options (no positional arguments); `--help` and `--version` answered here: their exit code. */
function subcommandOptions(specs: OptionSpec[], synopsis: string, argv: string[]): OptionValues | number {
  const { values, positional } = parseCommandLine(specs, argv);
  if (values.has('help')) return writeOut(usage(synopsis, specs), 0);
  if (values.has('version')) return writeOut(`${VERSION}\n`, 0);
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  return values;
}

async function bridgeMain(argv: string[]): Promise<number> {
  const values = subcommandOptions(BRIDGE_OPTIONS, BRIDGE_SYNOPSIS, argv);
  if (typeof values === 'number') return values;
  const listen = lastValue(values, 'listen') ?? '127.0.0.1:8080';
  try {
    parseBridgeListen(listen, true); // as the bridge will parse it
  } catch (e) {
    throw new UsageError(`--listen: expected HOST:PORT, got ${listen} (${(e as Error).message})`);
  }
  const ports = allValues(values, 'allow-port').map(p => {
    try {
      return parsePort(p);
    } catch (e) {
      throw new UsageError(`--allow-port: bad port '${p}' (${(e as Error).message})`);
    }
  });
  const { startBridge } = await import('../transports/bridge-server.ts');
  const b = await startBridge({
    listen,
    allowLoopback: values.has('allow-loopback'),
    allowPrivate: values.has('allow-private'),
    allowedPorts: ports.length ? ports : undefined,
    allowedOrigins: values.has('origin') ? allValues(values, 'origin') : undefined,
    // Each line: client, target, decision and reason (and what else the bridge says), as JSON.
    logger: {
      info: (m, f) => process.stderr.write(`bridge: ${m} ${JSON.stringify(f ?? {})}\n`),
      warn: (m, f) => process.stderr.write(`bridge: ${m} ${JSON.stringify(f ?? {})}\n`),
    },
  });
  process.stdout.write(JSON.stringify({ bridge: `${b.url}/{host}:{port}` }) + '\n');
  await untilSignal();
  await b.close();
  return 0;
}

async function regtestCmd(argv: string[]): Promise<number> {
  const values = subcommandOptions(REGTEST_OPTIONS, REGTEST_SYNOPSIS, argv);
  if (typeof values === 'number') return values;
  const dataDir = lastValue(values, 'data-dir');
  const { regtestMain } = await import('../regtest/main.ts');
  const h = await regtestMain([
    '--listen',
    lastValue(values, 'listen') ?? '127.0.0.1:0',
    ...(dataDir !== undefined ? ['--data-dir', dataDir] : []),
  ]);
  await untilSignal();
  await h.close();
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
      case 'regtest':
        return await regtestCmd(rest);
      case '--version':
      case '-V':
        return writeOut(`${VERSION}\n`, 0);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return writeOut(TOP_USAGE, 0);
      default:
        process.stderr.write(`boltworker: unknown command '${cmd}'\n${TOP_USAGE}`);
        return 1;
    }
  } catch (e) {
    process.stderr.write(`boltworker ${cmd}: ${(e as Error).message}\n`);
    return 1;
  }
}
