// Runs a function at the end of the current task, after its promise jobs: where a stream gathers the
// writes of one task into one socket write (stream-base.ts). A promise job would run between the
// awaits of a sender that awaits each write, so nothing would be gathered; a macrotask runs once
// the sender is waiting on something else. Node, Deno: setImmediate; browsers and workerd: one
// MessageChannel message for all the functions deferred meanwhile (setTimeout(0) may be clamped
// to 4 ms); anywhere else setTimeout(0).

interface Port {
  onmessage: ((ev: unknown) => void) | null;
  postMessage(m: unknown): void;
}
declare const MessageChannel: (new () => { port1: Port; port2: Port }) | undefined;
declare const setImmediate: ((fn: () => void) => unknown) | undefined;
declare function setTimeout(fn: () => void, ms: number): unknown;

let queue: (() => void)[] = [];
let port: Port | undefined;

function runQueue(): void {
  const fns = queue;
  queue = [];
  for (const fn of fns) {
    try {
      fn();
    } catch (e) {
      // One failing function does not keep the others from running; its error still surfaces.
      void Promise.reject(e);
    }
  }
}

export function deferTask(fn: () => void): void {
  if (typeof setImmediate === 'function') {
    setImmediate(fn);
    return;
  }
  if (typeof MessageChannel === 'function') {
    if (!port) {
      const c = new MessageChannel();
      c.port1.onmessage = runQueue;
      port = c.port2;
    }
    queue.push(fn);
    if (queue.length === 1) port.postMessage(0);
    return;
  }
  setTimeout(fn, 0);
}
