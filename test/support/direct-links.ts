// A LinkLayer for tests whose daemon hosts are objects in the test's own realm: a "port" is a slot
// both ends share, where the server's answer is put, and every call across it is a direct call
// (no structured clone). What such a test checks is the table, the hosts and the links themselves.
import type { DaemonEnv, Remote } from '../../src/core/node/daemon.ts';
import { daemonHost, type LinkLayer } from '../../src/core/node/host.ts';
import type { DaemonHosting, HostHandle } from '../../src/core/node/platform.ts';
import { superviseDaemons } from '../../src/core/node/supervisor.ts';
import type { FakeClock } from './fake-clock.ts';

export interface Slot {
  answer?: object;
}

/** A link layer, and every answer it exposed (by port) for the test's assertions. */
export function directLinks(): { links: LinkLayer<Slot>; exposed: Map<Slot, object> } {
  const exposed = new Map<Slot, object>();
  const links: LinkLayer<Slot> = {
    channel() {
      const s: Slot = {};
      return [s, s];
    },
    wrap<T>(port: Slot): Remote<T> {
      const call =
        (name: string) =>
        async (...args: unknown[]) => {
          const f: unknown = port.answer && Reflect.get(port.answer, name);
          if (typeof f !== 'function') throw new Error(`nothing answers ${name} on this link`);
          return Reflect.apply(f, port.answer, args);
        };
      // A test double for a port: any method name is a call across it.
      return new Proxy({}, { get: (_, name) => (name === 'then' || typeof name === 'symbol' ? undefined : call(name)) }) as Remote<T>;
    },
    expose(obj, port) {
      port.answer = obj;
      exposed.set(port, obj);
    },
    transfer: value => value,
    close(port) {
      delete port.answer;
    },
  };
  return { links, exposed };
}

/**
 * A daemon host that is an object here, its kinds given `env`; `ended` gets its kind when it is
 * terminated. What a test platform's spawnHost returns.
 */
export function directHost(
  links: LinkLayer<Slot>,
  kind: string,
  env: (kind: string) => DaemonEnv,
  ended: string[],
): HostHandle<Slot, undefined> {
  const own: Slot = {};
  const control = daemonHost<Slot, undefined>({ links, env, main: api => (own.answer = api) });
  return {
    control,
    main: () => links.wrap(own),
    failed: new Promise<never>(() => undefined),
    terminate: async () => void ended.push(kind),
  };
}

/**
 * The node's supervisor over direct hosts (a per-channel kind's tests): `hosts` gets each kind a
 * host was spawned for, `ended` each kind whose host ended.
 */
export function directSupervisor(clock: FakeClock) {
  const { links } = directLinks();
  const hosts: string[] = [];
  const ended: string[] = [];
  const env = (): DaemonEnv => ({ clock, log: { debug() {}, info() {}, warn() {} }, randomBytes: n => new Uint8Array(n).fill(9) });
  const hosting: DaemonHosting<Slot, undefined> = {
    links,
    ctx: undefined,
    spawnHost(kind) {
      hosts.push(kind);
      return directHost(links, kind, env, ended);
    },
  };
  return { links, hosts, ended, daemons: superviseDaemons(hosting, clock) };
}
