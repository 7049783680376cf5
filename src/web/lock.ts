// One node per origin and data name: a Web Lock named `boltworker:<dataName>` is held for the
// node's whole life. Two tabs (or one page twice) would otherwise share one node secret and one
// database with two connectds, each dropping the other's connections to the same peers.
import { WebNodeError } from './errors.ts';

export interface HeldLock {
  readonly name: string;
  /** Lets the lock go; resolves once the browser has released it (a new node of the same name may start then). */
  release(): Promise<void>;
}

export function lockName(dataName: string): string {
  return `boltworker:${dataName}`;
}

/** The lock, or null when someone holds it already (we never wait for it). */
export async function tryLock(name: string): Promise<HeldLock | null> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) {
    throw new WebNodeError(
      'no_web_locks',
      'this browser context has no Web Locks (navigator.locks needs a secure context: https or localhost)',
    );
  }
  let letGo!: () => void;
  const held = new Promise<void>(r => (letGo = r));
  let released: Promise<unknown> = Promise.resolve();
  const got = await new Promise<boolean>((resolve, reject) => {
    released = locks
      .request(name, { ifAvailable: true }, async lock => {
        if (!lock) {
          resolve(false);
          return;
        }
        resolve(true);
        await held; // the lock is ours until release()
      })
      .catch(reject);
  });
  // request() settles once the callback's promise has and the lock is released.
  const release = async () => {
    letGo();
    await released.catch(() => undefined);
  };
  return got ? { name, release } : null;
}
