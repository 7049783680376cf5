// A test-only daemon, declared outside the node table: several instances of it run in one host
// (one Worker, one worker thread), as the channel daemons will. Each answers with its own name;
// the realm it runs in keeps the list of instances started and stopped there, so a test can see
// that two instances shared a host and that stopping one left the other running.
import type { DaemonDefinition } from '../../src/core/node/daemon.ts';

export interface EchoLink {
  echo(text: string): string;
}

export interface EchodApi extends EchoLink {
  /** Asks the instance this one `uses` as `next` (another echod, through a link of their own). */
  viaNext(text: string): Promise<string>;
  /** This realm: a random name, and the instances running and stopped in it. */
  realm(): { name: string; running: string[]; stopped: string[] };
}

export interface EchodSpec {
  init: { name: string };
  api: EchodApi;
  uses: { next?: EchoLink };
  env: object;
}

const realmName = Math.random().toString(36).slice(2);
const running = new Set<string>();
const stopped: string[] = [];

export const daemon: DaemonDefinition<EchodSpec> = {
  kind: 'echod',
  start(init, uses) {
    running.add(init.name);
    const echo = (text: string) => `${init.name}: ${text}`;
    return {
      api: {
        echo,
        async viaNext(text) {
          if (!uses.next) throw new Error(`${init.name} has no next`);
          return uses.next.echo(text);
        },
        realm: () => ({ name: realmName, running: [...running], stopped: [...stopped] }),
      },
      serve(name) {
        if (name !== 'echo') throw new Error(`echod answers no link '${name}'`);
        return { echo };
      },
      stop() {
        running.delete(init.name);
        stopped.push(init.name);
      },
    };
  },
};
