// What the page tells each daemon Worker it starts (the web runtime's host context), and how the
// page and the Workers join ports. Shared by the page and the Worker code, which type-check in
// separate projects (DOM vs WebWorker libs): nothing here names either.
import type { ConsoleLevel } from '../platform/system.ts';
import { comlinkLinks } from '../links/comlink-links.ts';

export type LogLevel = ConsoleLevel;

/** What every daemon host in this browser node is told (core/node/host.ts StartRequest `ctx`). */
export interface WebHostCtx {
  /** Names this node's data in this origin: the hsmd secret's and the gossip store's IndexedDB. */
  dataName: string;
  /** Daemons' console logging. */
  log: LogLevel;
  /** gossipd's signature-check Workers (default: one per core, at most 4). */
  verifyWorkers?: number;
}

/** The IndexedDB database that holds a node's gossip store. */
export const gossipDbName = (dataName: string): string => `boltworker-gossip:${dataName}`;

/** MessagePorts as they are: Comlink endpoints that move with a message. */
export const webLinks = comlinkLinks<MessagePort>({
  channel() {
    const c = new MessageChannel();
    return [c.port1, c.port2];
  },
  endpoint: p => p,
  transferable: p => p,
  close: p => p.close(),
});
