// Links between daemons are Comlink over MessagePorts in every runtime. Comlink's default error
// handler keeps only name/message/stack; our typed errors also carry `code` (and connectd's
// `attempts`), which the receiving daemon decides on. This handler keeps them.
import * as Comlink from 'comlink';

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  attempts?: unknown;
}

let installed = false;

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
        const e = w.value as Error & { code?: string; attempts?: unknown };
        const s: SerializedError = { name: e.name, message: e.message, stack: e.stack, code: e.code, attempts: e.attempts };
        return [{ isError: true, value: JSON.parse(JSON.stringify(s)) }, []];
      }
      return base.serialize(v);
    },
    deserialize(s: unknown) {
      const ser = s as { isError: boolean; value: SerializedError };
      if (ser.isError) {
        const e = Object.assign(new Error(ser.value.message), ser.value);
        throw e;
      }
      return base.deserialize(s);
    },
  });
}
