// What the tests ask of `boltworker regtest` and of a node's wallet, in Node and in the browser:
// a POST of JSON to one of the chain's URLs (its /regtest/ controls refuse anything but
// application/json), and waiting until a node's `listfunds` shows what a test expects (a regtest
// node polls its chain each second, or every `chainPollMs` in the Node tests).
import { equal } from './assert.ts';

// The runtime's fetch and timers, typed here: this folder is also type-checked without DOM or Node types.
const runtime = globalThis as unknown as {
  fetch(
    url: string,
    init: { method: string; body: string; headers: Record<string, string> },
  ): Promise<{ status: number; text(): Promise<string> }>;
  setTimeout(fn: () => void, ms: number): unknown;
};

/** POSTs `body` as JSON to `url`; anything but 200 fails the test. The answer, parsed. */
export async function postJson(url: string, body: unknown): Promise<any> {
  const r = await runtime.fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await r.text();
  equal(r.status, 200, `POST ${url}: ${text}`);
  return JSON.parse(text);
}

/**
 * Asks `listfunds` every 50 ms (at most 1,200 times: a minute, for a loaded machine) until `pred`
 * holds of its answer; fails the test naming `what` otherwise.
 */
export async function fundsWhen<F>(listfunds: () => Promise<F>, pred: (f: F) => boolean, what: string): Promise<F> {
  let f: F | undefined;
  for (let i = 0; i < 1200; i++) {
    f = await listfunds();
    if (pred(f)) return f;
    await new Promise<void>(r => runtime.setTimeout(r, 50));
  }
  throw new Error(`listfunds never showed ${what}: ${JSON.stringify(f)}`);
}
