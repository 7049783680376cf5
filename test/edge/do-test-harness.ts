// What the Workers that run tests inside a Durable Object under miniflare share (test/edge/*-worker.ts,
// driven from test/node): `describe`/`it` as the shared suites call them, registered here and run
// one at a time, each in an object of its own (fresh storage), named after the test.
//   GET /list          -> the test names, JSON
//   GET /run?name=N    -> runs test N in the object named N: {} or {error}
import { DurableObject } from 'cloudflare:workers';

export interface TestEnv {
  STORE: DurableObjectNamespace;
}

const tests = new Map<string, () => Promise<void>>();
const path: string[] = [];
Object.assign(globalThis, {
  describe(name: string, fn: () => void) {
    path.push(name);
    fn();
    path.pop();
  },
  it(name: string, fn: () => Promise<void>) {
    tests.set([...path, name].join(' > '), fn);
  },
});

let current: DurableObjectStorage | undefined;
const beforeEach: (() => void)[] = [];

/** The storage of the object running the current test. */
export const storage = (): DurableObjectStorage => current!;

/** Runs `fn` before each test (to reset a worker's own per-test state). */
export function onEachTest(fn: () => void): void {
  beforeEach.push(fn);
}

export class StoreObject extends DurableObject<TestEnv> {
  override async fetch(request: Request): Promise<Response> {
    const name = new URL(request.url).searchParams.get('name') ?? '';
    const test = tests.get(name);
    if (!test) return Response.json({ error: `no test ${name}` });
    current = this.ctx.storage;
    for (const f of beforeEach) f();
    try {
      await test();
      return Response.json({});
    } catch (e) {
      return Response.json({ error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) });
    } finally {
      current = undefined;
    }
  }
}

export const testWorker = {
  async fetch(request: Request, env: TestEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/list') return Response.json([...tests.keys()]);
    const name = url.searchParams.get('name') ?? '';
    return env.STORE.get(env.STORE.idFromName(name)).fetch(request);
  },
} satisfies ExportedHandler<TestEnv>;
