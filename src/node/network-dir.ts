// Core Lightning's layout: `<lightning-dir>/<network>/` holds one network's hsm_secret, gossip
// store, database and RPC socket, so a node on another network never reuses them. A pid file in it
// is held for the daemon's life: a second daemon on the same directory and network is refused; a
// pid file left by a process that no longer exists is taken over.
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { lastValue, UsageError, type OptionSpec, type OptionValues } from './options.ts';

export const NETWORKS = ['bitcoin', 'testnet', 'testnet4', 'signet', 'regtest'] as const;

export class LightningDirError extends Error {}

/** Where a node's files and socket are: the same options for the daemon and for `cli`, as in Core Lightning (common/configdir.c). */
export const LOCATION_OPTIONS: OptionSpec[] = [
  {
    name: 'lightning-dir',
    arg: 'DIR',
    default: '~/.boltworker',
    cmdlineOnly: true,
    help: 'Set base directory: network-specific subdirectory is under here',
  },
  { name: 'network', arg: 'NAME', default: 'bitcoin', help: `Select the network: ${NETWORKS.join(', ')}` },
  { name: 'mainnet', flag: true, help: 'Alias for --network=bitcoin' },
  { name: 'testnet', flag: true, help: 'Alias for --network=testnet' },
  { name: 'signet', flag: true, help: 'Alias for --network=signet' },
  { name: 'regtest', flag: true, help: 'Alias for --network=regtest' },
  { name: 'rpc-file', arg: 'PATH', default: 'lightning-rpc', help: 'JSON-RPC Unix socket, relative to <lightning-dir>/<network>' },
];

/** Our default lightning-dir (Core Lightning's is ~/.lightning: we keep out of its way). */
export const DEFAULT_LIGHTNING_DIR = '~/.boltworker';

/** The lightning-dir as given, `~` expanded, made absolute; an empty one is refused. */
export function lightningDirOf(given: string | undefined): string {
  const d = given ?? DEFAULT_LIGHTNING_DIR;
  if (d.trim() === '') throw new UsageError('--lightning-dir is empty: give a directory');
  return resolve(d === '~' || d.startsWith('~/') ? homedir() + d.slice(1) : d);
}

/** The network options name: --network or one of its alias flags (--regtest...), never two different ones. */
export function networkOf(values: OptionValues): string | undefined {
  const named = new Set<string>();
  const n = lastValue(values, 'network');
  if (n !== undefined) named.add(n);
  for (const [flag, net] of [
    ['mainnet', 'bitcoin'],
    ['testnet', 'testnet'],
    ['signet', 'signet'],
    ['regtest', 'regtest'],
  ] as const)
    if (values.has(flag)) named.add(net);
  if (named.size > 1) throw new UsageError(`conflicting networks: ${[...named].join(' and ')}`);
  const net = [...named][0];
  if (net !== undefined && !(NETWORKS as readonly string[]).includes(net))
    throw new UsageError(`unknown network '${net}' (known: ${NETWORKS.join(', ')})`);
  return net;
}

/** Held by this process (two nodes in one process count too). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface NetworkDir {
  /** `<lightning-dir>` as given, made absolute. */
  lightningDir: string;
  /** `<lightning-dir>/<network>`. */
  dir: string;
  release(): Promise<void>;
}

/** Checks the lightning-dir, creates `<lightning-dir>/<network>` (mode 0700) and takes its lock. */
export async function openNetworkDir(lightningDir: string, network: string): Promise<NetworkDir> {
  if (lightningDir.trim() === '') throw new LightningDirError('lightning-dir is empty: give a directory (--lightning-dir DIR)');
  if (!(NETWORKS as readonly string[]).includes(network))
    throw new LightningDirError(`unknown network '${network}' (known: ${NETWORKS.join(', ')})`);
  const base = resolve(lightningDir);
  // Kernel pseudo-filesystems look writable but are not places to keep keys.
  if (/^\/(proc|sys|dev)(\/|$)/.test(base)) throw new LightningDirError(`lightning-dir ${base} is inside a kernel pseudo-filesystem`);
  const dir = join(base, network);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new LightningDirError(`cannot use lightning-dir ${base}: ${(e as Error).message}`);
  }
  const pidFile = join(dir, 'lightningd.pid');
  if (held.has(pidFile)) throw new LightningDirError(`another node in this process already runs on ${dir}`);
  const mine = `${pidFile}.${process.pid}`;
  try {
    await writeFile(mine, `${process.pid}\n`, { mode: 0o600 });
  } catch (e) {
    throw new LightningDirError(`cannot write in ${dir}: ${(e as Error).message}`);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        // link() is atomic and fails if the pid file exists: at most one daemon gets it.
        await link(mine, pidFile);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw e;
      }
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new LightningDirError(
          `another boltworker daemon (pid ${pid}) is running on ${dir}; stop it first (boltworker cli --lightning-dir ${base} --network ${network} stop)`,
        );
      }
      // Left by a process that is gone (or by this one, not through `held`): take it over.
      await unlink(pidFile).catch(() => undefined);
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
  held.add(pidFile);
  let released = false;
  return {
    lightningDir: base,
    dir,
    async release() {
      if (released) return;
      released = true;
      held.delete(pidFile);
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid === process.pid) await unlink(pidFile).catch(() => undefined);
    },
  };
}

/** A path given relative to the network directory (rpc-file, log-file), as Core Lightning resolves it. */
export function inNetworkDir(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}
