// The link layer every runtime uses (core/node/host.ts LinkLayer): Comlink over MessagePorts. A
// runtime says only how to make a channel and how its ports become Comlink endpoints (a browser's
// are already; a Node port through Comlink's node adapter; workerd's without a transfer list).
import * as Comlink from 'comlink';
import type { Remote } from '../core/node/daemon.ts';
import type { LinkLayer } from '../core/node/host.ts';

/** What Comlink lists to move with a message (the DOM's Transferable; Node's ports too). */
type Movable = Parameters<typeof Comlink.transfer>[1][number];

export interface PortKind<Port> {
  channel(): [Port, Port];
  endpoint(port: Port): Comlink.Endpoint;
  /** How a port is listed to be moved with a message; undefined where ports cannot move (workerd). */
  transferable?(port: Port): Movable;
  close(port: Port): void;
}

/** A byte array that owns its whole buffer (else a copy that does), marked to move with the call. */
function moved(v: unknown): unknown {
  if (!(v instanceof Uint8Array)) return v;
  const own = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice();
  return Comlink.transfer(own, [own.buffer]);
}

/**
 * Comlink's Remote is ours (core/node/daemon.ts Remote: each method answers with a promise) for the
 * plain data our links carry; TypeScript cannot see it for a type parameter, hence this one cast.
 */
function asRemote<T>(r: Comlink.Remote<T>): Remote<T> {
  return r as unknown as Remote<T>;
}

/** Calls what is answered on `endpoint` (a Worker, a thread, a port). */
export function wrapEndpoint<T>(endpoint: Comlink.Endpoint): Remote<T> {
  return asRemote(Comlink.wrap<T>(endpoint));
}

export function comlinkLinks<Port>(k: PortKind<Port>): LinkLayer<Port> {
  return {
    channel: () => k.channel(),
    wrap<T>(port: Port, transfer?: boolean): Remote<T> {
      const remote = Comlink.wrap<T>(k.endpoint(port));
      if (!transfer) return asRemote(remote);
      // Each call's byte arguments move to the other realm (gossip batches: connectd packs each
      // into a buffer of its own and gives it up).
      const target: Record<string | symbol, unknown> = {};
      return asRemote(
        new Proxy(remote, {
          get: (r, name) => {
            // Not a thenable (awaiting the link must not call it), and Comlink's own symbols pass.
            if (name === 'then') return undefined;
            if (typeof name === 'symbol') return Reflect.get(r, name);
            return (target[name] ??= (...args: unknown[]) => {
              const method: unknown = Reflect.get(r, name);
              if (typeof method !== 'function') throw new TypeError(`no method ${String(name)} on this link`);
              return Reflect.apply(method, r, args.map(moved));
            });
          },
        }),
      );
    },
    expose(obj: object, port: Port): void {
      Comlink.expose(obj, k.endpoint(port));
    },
    transfer<T>(value: T, ports: Port[]): T {
      const list = k.transferable ? ports.map(p => k.transferable!(p)) : [];
      return list.length ? Comlink.transfer(value, list) : value;
    },
    close: port => k.close(port),
  };
}
