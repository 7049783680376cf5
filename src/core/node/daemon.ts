// What a daemon is to the node assembly, in every runtime: a definition that starts it from plain
// data (its init), the links it calls (each the other daemon's answering side, seen across a port)
// and what the runtime gives it in its own realm (its env). Each daemon's interface.ts declares its
// spec; its host.ts defines how it starts. Nothing here knows Workers, threads or ports.

/**
 * Time and timers, injected: src/core has no timers of its own (tests drive a fake clock). Called
 * as methods of this object: a runtime wrapping the global timers must bind them (a browser's
 * `setTimeout` called on another `this` throws "Illegal invocation").
 */
export interface Clock {
  /** Milliseconds, monotonic enough for timeouts and backoff. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Log {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

/** What every runtime gives every daemon, in the daemon's realm. */
export interface DaemonEnv {
  clock: Clock;
  log: Log;
  /** A CSPRNG. */
  randomBytes(n: number): Uint8Array;
}

/** The far end of a link as a daemon sees it across a port: every method answers with a promise. */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
};

/** A daemon's whole contract, as its interface.ts declares it. */
export interface DaemonSpec {
  /** Plain data lightningd gives it when it starts (crosses a port: no functions, no classes). */
  init: unknown;
  /** What it answers to lightningd. */
  api: object;
  /** The links it calls, by name: what the daemon at the other end answers there. */
  uses: object;
  /** What the runtime gives it in its realm, beyond DaemonEnv (stores, transports, verifiers). */
  env: object;
}

/** Its links as it receives them: each far end across a port. */
export type Uses<S extends DaemonSpec> = { [N in keyof S['uses']]: Remote<S['uses'][N]> };

/** A started daemon instance. */
export interface Started<S extends DaemonSpec> {
  api: S['api'];
  /**
   * What it answers on the link it serves as `name` (node/daemons.ts LINKS `serves`), given only `caps`
   * when the link is limited to some (hsmd's per-client permissions).
   */
  serve(name: string, caps: readonly string[]): object;
  /**
   * A link lightningd hands it after start (host.ts AttachRequest): `link` is the far end it may
   * call (when the request has a `uses` end); what it returns is answered on the `serves` end.
   */
  attach?(name: string, key: string, args: unknown, link: Remote<object> | undefined): object | undefined | Promise<object | undefined>;
  /** The link `key` ended: forget it. */
  detach?(key: string): void | Promise<void>;
  /** Stops it and closes what it opened (stores, verifiers, listeners). */
  stop(): Promise<void> | void;
}

export interface DaemonDefinition<S extends DaemonSpec> {
  /** Its name in the table (node/daemons.ts) and in logs. */
  readonly kind: string;
  start(init: S['init'], uses: Uses<S>, env: S['env'] & DaemonEnv): Promise<Started<S>> | Started<S>;
}

/**
 * How lightningd names a daemon kind to a runtime's host: the host finds its definition in the
 * table by `kind`, or (kinds outside the table: tests) loads `module`, which exports `daemon`.
 * `many`: one instance per channel (or per anything); a runtime may host several in one Worker.
 */
export interface DaemonRef<S extends DaemonSpec> {
  readonly kind: string;
  readonly many?: boolean;
  readonly module?: string;
  /** Never set: carries the spec's type from lightningd's side to the definition's. */
  readonly spec?: S;
}
