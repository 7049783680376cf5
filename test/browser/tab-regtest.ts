// The browser tests' side of `boltworker regtest` (the test runner's regtest plugin): its control
// paths, and a tab's wallet funded with one confirmed coin.
import { fundsWhen } from '../support/regtest-client.ts';

/** GET a path of the test runner's server, as JSON; anything but 200 throws with the body. */
export async function ask<T>(path: string): Promise<T> {
  const r = await fetch(path);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as T;
}

/** One coin of `sat` to the node's new address, mined and seen confirmed by its wallet. */
export async function fundTab(n: { call(method: string, params?: unknown): Promise<unknown> }, sat = 1_000_000): Promise<void> {
  const { bech32 } = (await n.call('newaddr', { addresstype: 'bech32' })) as { bech32: string };
  await ask(`/__regtest/send?address=${bech32}&amount_sat=${sat}`);
  await ask('/__regtest/mine?blocks=1');
  await fundsWhen(
    () => n.call('listfunds', {}) as Promise<{ outputs: { status: string }[] }>,
    f => f.outputs.length === 1 && f.outputs[0]!.status === 'confirmed',
    'the coin confirmed',
  );
}
