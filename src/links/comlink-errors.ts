// Links between daemons are Comlink over MessagePorts in every runtime. Comlink's default error
// handler keeps only name/message/stack; our typed errors also carry `code` (a string for a
// BoltError, Core Lightning's number for an RpcError), connectd's `attempts` and an RpcError's
// `data`, and a channel rule's `action` (PeerRuleError), which the receiving side decides on. This handler keeps them, and an RpcError arrives as
// an RpcError (so `e.code === 205` and `instanceof` hold across a port).
import * as Comlink from 'comlink';
import { RpcError } from '../core/daemons/lightningd/jsonrpc.ts';

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  /** A PeerRuleError's BOLT 1 answer: 'warning' or 'error'. */
  action?: string;
  attempts?: unknown;
  data?: unknown;
}

let installed = false;

/** Only what structured clone and JSON both take (no functions, bigints or cycles). */
function plain(v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(v)) as unknown;
  } catch {
    return undefined;
  }
}

/** Call once in every realm (window, Worker, worker thread) that talks over Comlink. */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const base = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize(v: unknown) {
      const w = v as { value: unknown };
      if (w.value instanceof Error) {
        const e = w.value as Error & { code?: unknown; attempts?: unknown; data?: unknown };
        const s: SerializedError = { name: e.name, message: e.message, stack: e.stack };
        if (typeof e.code === 'string' || typeof e.code === 'number') s.code = e.code;
        const action = (e as { action?: unknown }).action;
        if (action === 'warning' || action === 'error') s.action = action;
        const attempts = plain(e.attempts);
        if (attempts !== undefined) s.attempts = attempts;
        const data = plain(e.data);
        if (data !== undefined) s.data = data;
        return [{ isError: true, value: s }, []];
      }
      return base.serialize(v);
    },
    deserialize(s: unknown) {
      const ser = s as { isError: boolean; value: SerializedError };
      if (ser.isError) {
        const v = ser.value;
        if (v.name === 'RpcError' && typeof v.code === 'number') {
          const e = new RpcError(v.code, v.message, v.data);
          if (v.stack) e.stack = v.stack;
          throw e;
        }
        throw Object.assign(new Error(v.message), v);
      }
      return base.deserialize(s);
    },
  });
}
