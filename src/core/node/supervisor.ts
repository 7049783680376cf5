// Starts and stops daemon instances through a runtime's hosting (platform.ts): a kind with one
// instance gets a host (Worker, thread) of its own and answers on that host's own port; a kind
// with many (one per channel) shares one host per kind, each instance answering on a port of its
// own, and the host ends with its last instance. lightningd starts every daemon this way: the
// node assembly its fixed ones, and later the channel daemons.
import type { Clock, DaemonRef, DaemonSpec, Remote } from './daemon.ts';
import type { AttachRequest, StartRequest } from './host.ts';
import type { DaemonHosting, HostHandle } from './platform.ts';

/** The ends of a new instance's links (host.ts StartRequest). */
export type LinkEnds<Port> = Pick<StartRequest<Port, unknown>, 'uses' | 'serves'>;

export interface RunningDaemon<S extends DaemonSpec> {
  readonly instance: string;
  readonly api: Remote<S['api']>;
  /** `p`, unless the daemon's host fails first. */
  guard<R>(p: Promise<R>): Promise<R>;
  /** Stops it (its own stop, within `graceMs` when given), then frees its host if nothing else runs there. */
  stop(graceMs?: number): Promise<void>;
  /** Hands it a link after start (host.ts AttachRequest: a channel's, to connectd or hsmd); its ports move to the daemon's realm. */
  attach(req: AttachRequest<unknown>): Promise<void>;
  /** Ends that link. */
  detach(key: string): Promise<void>;
}

export interface DaemonSupervisor<Port = unknown> {
  /** A fresh channel for a link between two instances. */
  channel(): [Port, Port];
  /** lightningd answers `obj` on a fresh channel: the other end, for a daemon to call, and how to close ours. */
  serve(obj: object): { port: Port; close(): void };
  start<S extends DaemonSpec>(ref: DaemonRef<S>, instance: string, init: S['init'], links?: LinkEnds<Port>): Promise<RunningDaemon<S>>;
  /** Every instance still running, in the order they started. */
  running(): string[];
}

/** `p`, or (given `ms`) at most `ms` of waiting for it, its failure ignored. */
async function within(clock: Clock, p: Promise<unknown>, ms: number | undefined): Promise<void> {
  if (ms === undefined) {
    await p;
    return;
  }
  let t: unknown;
  await Promise.race([p.catch(() => undefined), new Promise<void>(r => (t = clock.setTimeout(r, ms)))]);
  clock.clearTimeout(t);
}

export function superviseDaemons<Port, Ctx>(h: DaemonHosting<Port, Ctx>, clock: Clock): DaemonSupervisor<Port> {
  const shared = new Map<string, { host: HostHandle<Port, Ctx>; count: number }>();
  const instances: string[] = [];
  return {
    channel: () => h.links.channel(),
    serve(obj: object) {
      const [mine, theirs] = h.links.channel();
      h.links.expose(obj, mine);
      return {
        port: theirs,
        close() {
          try {
            h.links.close(mine);
          } catch {
            // Already closed.
          }
        },
      };
    },
    running: () => [...instances],
    async start<S extends DaemonSpec>(ref: DaemonRef<S>, instance: string, init: S['init'], links?: LinkEnds<Port>) {
      if (instances.includes(instance)) throw new Error(`a daemon '${instance}' already runs`);
      const ends: LinkEnds<Port> = links ?? { uses: {}, serves: {} };
      const ports = [...Object.values(ends.uses).map(u => u.port), ...Object.values(ends.serves).map(s => s.port)];
      let host: HostHandle<Port, Ctx>;
      let apiPort: Port | undefined;
      let api: Remote<S['api']>;
      if (ref.many) {
        const slot = shared.get(ref.kind) ?? { host: h.spawnHost(ref.kind), count: 0 };
        shared.set(ref.kind, slot);
        slot.count++;
        host = slot.host;
        const [mine, theirs] = h.links.channel();
        apiPort = theirs;
        ports.push(theirs);
        api = h.links.wrap<S['api']>(mine);
      } else {
        host = h.spawnHost(ref.kind);
        api = host.main<S['api']>();
      }
      const guard = <R>(p: Promise<R>): Promise<R> => Promise.race([p, host.failed]);
      const release = async () => {
        const at = instances.indexOf(instance);
        if (at >= 0) instances.splice(at, 1);
        const slot = shared.get(ref.kind);
        if (!ref.many || !slot) return host.terminate();
        if (--slot.count === 0) {
          shared.delete(ref.kind);
          await host.terminate();
        }
      };
      const req: StartRequest<Port, Ctx> = {
        kind: ref.kind,
        ...(ref.module !== undefined ? { module: ref.module } : {}),
        instance,
        init,
        uses: ends.uses,
        serves: ends.serves,
        ...(apiPort !== undefined ? { api: apiPort } : {}),
        ctx: h.ctx,
      };
      instances.push(instance);
      try {
        await guard(host.control.startDaemon(h.links.transfer(req, ports)));
      } catch (e) {
        await release();
        throw e;
      }
      let stopping: Promise<void> | undefined;
      return {
        instance,
        api,
        guard,
        attach(r: AttachRequest<unknown>) {
          const a = r as AttachRequest<Port>;
          const ports = [...(a.uses ? [a.uses.port] : []), ...(a.serves ? [a.serves.port] : [])];
          return guard(host.control.attach(instance, h.links.transfer(a, ports)));
        },
        detach: (key: string) => guard(host.control.detach(instance, key)),
        stop(graceMs?: number) {
          stopping ??= (async () => {
            try {
              await within(clock, guard(host.control.stopDaemon(instance)), graceMs);
            } finally {
              await release();
            }
          })();
          return stopping;
        },
      };
    },
  };
}
