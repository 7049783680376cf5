// One generic host for daemons, the same in every runtime: it runs in the daemon's realm (a module
// Worker, a worker thread, or the calling isolate on the edge), starts instances of any kind from
// a request (the kind's definition, its init, the ends of its links) and stops them one by one. A
// runtime gives it only how ports are wrapped (links) and what each kind gets in this realm (env).
import type { DaemonDefinition, DaemonEnv, DaemonSpec, Remote, Started } from './daemon.ts';
import { DAEMONS, type DaemonEntry, type DaemonKind } from './daemons.ts';

/** How a runtime joins realms: Comlink over its MessagePorts. */
export interface LinkLayer<Port> {
  /** A fresh MessageChannel's two ends. */
  channel(): [Port, Port];
  /**
   * Calls what is answered on `port`. With `transfer`, a byte argument that owns its whole buffer
   * moves to the other realm (the caller gives it up); any other is copied first.
   */
  wrap<T>(port: Port, transfer?: boolean): Remote<T>;
  /** Answers calls on `port` with `obj`'s methods. */
  expose(obj: object, port: Port): void;
  /** `value`, marked so that `ports` move with it in the call that carries it (where they can). */
  transfer<T>(value: T, ports: Port[]): T;
  close(port: Port): void;
}

/** Starts one daemon instance in a host. `Ctx`: what this runtime tells its hosts (where data lives, log level). */
export interface StartRequest<Port, Ctx> {
  kind: string;
  /** For a kind outside the table (tests): a module exporting `daemon`, its DaemonDefinition. */
  module?: string;
  /** Unique in the node: 'connectd', or one per channel. */
  instance: string;
  init: unknown;
  /** The links it calls, by name. */
  uses: Record<string, { port: Port; transfer?: boolean }>;
  /** The links it answers, by name, with the capabilities each is limited to. */
  serves: Record<string, { port: Port; caps: readonly string[] }>;
  /** Where its API is answered; absent: on the host's own port (the host's main instance). */
  api?: Port;
  ctx: Ctx;
}

/**
 * One more link for a running instance (Core Lightning passes a channel's fd to connectd and a
 * per-channel hsmd client this way): a channel end it calls (`uses`) and/or one it answers
 * (`serves`), named `key` until `detach`. `args`: plain data saying what the link is for.
 */
export interface AttachRequest<Port> {
  key: string;
  name: string;
  args: unknown;
  uses?: { port: Port; transfer?: boolean };
  serves?: { port: Port; caps: readonly string[] };
}

/** What a host answers on its own port, beside its main instance's API. */
export interface HostControl<Port, Ctx> {
  startDaemon(req: StartRequest<Port, Ctx>): Promise<void>;
  /** Stops one instance; answers how many this host still runs. */
  stopDaemon(instance: string): Promise<number>;
  /** Hands a running instance a link (AttachRequest); refused by an instance that takes none by that name. */
  attach(instance: string, req: AttachRequest<Port>): Promise<void>;
  /** Ends a link `attach` gave: the instance forgets it and its ports close. Unknown keys are ignored. */
  detach(instance: string, key: string): Promise<void>;
}

export interface HostOptions<Port, Ctx> {
  links: LinkLayer<Port>;
  /** What `kind` gets in this realm: the common env and the kind's own (its interface.ts `env`). */
  env(kind: string, ctx: Ctx): DaemonEnv | Promise<DaemonEnv>;
  /** Answers (or, with undefined, stops answering) the main instance's API on the host's own port. */
  main(api: object | undefined): void;
}

/** A table daemon's env: the common one and its own (its interface.ts `env`). */
export type EnvOf<K extends DaemonKind> = (typeof DAEMONS)[K] extends DaemonEntry<infer S> ? S['env'] & DaemonEnv : never;

/**
 * What a runtime gives the table's daemons in its realm, by kind, each made from the common env and
 * typed by its interface.ts. A kind it does not name (one needing nothing of the runtime) gets the
 * common env alone.
 */
export type RuntimeEnvs<Ctx> = { [K in DaemonKind]?: (base: DaemonEnv, ctx: Ctx) => EnvOf<K> | Promise<EnvOf<K>> };

function isTableKind(kind: string): kind is DaemonKind {
  return Object.prototype.hasOwnProperty.call(DAEMONS, kind);
}

/** HostOptions' `env` from the runtime's common env (`base`) and its envs by kind. */
export function envByKind<Ctx>(base: (kind: string, ctx: Ctx) => DaemonEnv, envs: RuntimeEnvs<Ctx>): HostOptions<unknown, Ctx>['env'] {
  return (kind, ctx) => {
    const common = base(kind, ctx);
    const make = isTableKind(kind) ? envs[kind] : undefined;
    return make ? make(common, ctx) : common;
  };
}

function tableEntry(kind: string): DaemonEntry<DaemonSpec> | undefined {
  for (const entry of Object.values(DAEMONS)) if (entry.kind === kind) return entry;
  return undefined;
}

async function definition(kind: string, module: string | undefined): Promise<DaemonDefinition<DaemonSpec>> {
  const entry = tableEntry(kind);
  if (entry) return entry.load();
  if (module === undefined) throw new Error(`no daemon '${kind}' in the node table`);
  const m: { daemon?: DaemonDefinition<DaemonSpec> } = await import(/* @vite-ignore */ module);
  if (!m.daemon || m.daemon.kind !== kind) throw new Error(`${module} does not define the daemon '${kind}'`);
  return m.daemon;
}

export function daemonHost<Port, Ctx>(o: HostOptions<Port, Ctx>): HostControl<Port, Ctx> {
  const running = new Map<string, { started: Started<DaemonSpec>; ports: Port[]; main: boolean; attached: Map<string, Port[]> }>();
  const closeAll = (ports: Port[]) => {
    for (const p of ports) o.links.close(p);
  };
  let mainTaken = false;
  return {
    async startDaemon(req) {
      if (running.has(req.instance)) throw new Error(`a daemon '${req.instance}' already runs here`);
      if (req.api === undefined && mainTaken) throw new Error('this host already runs its main daemon');
      const def = await definition(req.kind, req.module);
      const uses: Record<string, Remote<object>> = {};
      for (const [name, end] of Object.entries(req.uses)) uses[name] = o.links.wrap<object>(end.port, end.transfer);
      const started = await def.start(req.init, uses, await o.env(req.kind, req.ctx));
      for (const [name, end] of Object.entries(req.serves)) o.links.expose(started.serve(name, end.caps), end.port);
      const ports = [...Object.values(req.uses).map(u => u.port), ...Object.values(req.serves).map(s => s.port)];
      if (req.api === undefined) {
        mainTaken = true;
        o.main(started.api);
      } else {
        o.links.expose(started.api, req.api);
        ports.push(req.api);
      }
      running.set(req.instance, { started, ports, main: req.api === undefined, attached: new Map() });
    },
    async attach(instance, req) {
      const r = running.get(instance);
      const ports = [...(req.uses ? [req.uses.port] : []), ...(req.serves ? [req.serves.port] : [])];
      try {
        if (!r) throw new Error(`no daemon '${instance}' runs here`);
        if (r.attached.has(req.key)) throw new Error(`${instance} already holds a link '${req.key}'`);
        if (!r.started.attach) throw new Error(`${instance} takes no links after start`);
        const link = req.uses ? o.links.wrap<object>(req.uses.port, req.uses.transfer) : undefined;
        const answer = await r.started.attach(req.name, req.key, req.args, link);
        if (req.serves) {
          if (!answer) throw new Error(`${instance} answers nothing on its '${req.name}' link`);
          o.links.expose(answer, req.serves.port);
        }
        r.attached.set(req.key, ports);
      } catch (e) {
        closeAll(ports);
        throw e;
      }
    },
    async detach(instance, key) {
      const r = running.get(instance);
      const ports = r?.attached.get(key);
      if (!r || !ports) return;
      r.attached.delete(key);
      try {
        await r.started.detach?.(key);
      } finally {
        closeAll(ports);
      }
    },
    async stopDaemon(instance) {
      const r = running.get(instance);
      if (r) {
        running.delete(instance);
        try {
          await r.started.stop();
        } finally {
          closeAll(r.ports);
          for (const a of r.attached.values()) closeAll(a);
          if (r.main) {
            o.main(undefined);
            mainTaken = false;
          }
        }
      }
      return running.size;
    },
  };
}

const CONTROL_NAMES: readonly (keyof HostControl<unknown, unknown>)[] = ['startDaemon', 'stopDaemon', 'attach', 'detach'];

/**
 * What a Worker (or thread) answers on its own port: the host's control and, once it runs its main
 * instance, that instance's API beside it (design.md: lightningd ↔ each daemon over the Worker's
 * own port). A daemon's API may not use the control's two names.
 */
export function ownPortAnswers<Port, Ctx>(o: Omit<HostOptions<Port, Ctx>, 'main'>): object {
  const answers: Record<string, unknown> = {};
  let mainKeys: string[] = [];
  const control = daemonHost<Port, Ctx>({
    ...o,
    main(api) {
      for (const k of mainKeys) delete answers[k];
      mainKeys = [];
      if (!api) return;
      const keys = Object.keys(api);
      if (keys.some(k => (CONTROL_NAMES as readonly string[]).includes(k)))
        throw new Error(`a daemon API may not name ${CONTROL_NAMES.join(', ')}`);
      Object.assign(answers, api);
      mainKeys = keys;
    },
  });
  for (const k of CONTROL_NAMES) answers[k] = control[k];
  return answers;
}
