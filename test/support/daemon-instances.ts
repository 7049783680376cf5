// The per-instance daemon check, run through each runtime's real platform (Node worker threads,
// Chromium module Workers): two instances of a kind with many instances start in one host, talk
// over a link lightningd made between them, and one stops without the other.
import type { DaemonRef } from '../../src/core/node/daemon.ts';
import type { DaemonHosting } from '../../src/core/node/platform.ts';
import { superviseDaemons } from '../../src/core/node/supervisor.ts';
import { deepEqual, equal, ok } from './assert.ts';
import { FakeClock } from './fake-clock.ts';
import type { EchodSpec } from './echod.ts';

/** `echodModule`: test/support/echod.ts's URL, as the host imports it. */
export async function checkInstances<Port, Ctx>(hosting: DaemonHosting<Port, Ctx>, echodModule: string): Promise<void> {
  const ECHOD: DaemonRef<EchodSpec> = { kind: 'echod', many: true, module: echodModule };
  const daemons = superviseDaemons(hosting, new FakeClock());
  const [toA, atA] = daemons.channel();
  const a = await daemons.start(ECHOD, 'echo-a', { name: 'a' }, { uses: {}, serves: { echo: { port: atA, caps: [] } } });
  const b = await daemons.start(ECHOD, 'echo-b', { name: 'b' }, { uses: { next: { port: toA } }, serves: {} });
  equal(await a.api.echo('hi'), 'a: hi');
  equal(await b.api.echo('hi'), 'b: hi');
  equal(await b.api.viaNext('hi'), 'a: hi', 'b reaches a over their link');
  const realmA = await a.api.realm();
  const realmB = await b.api.realm();
  equal(realmA.name, realmB.name, 'both instances run in one host');
  deepEqual(realmB.running.sort(), ['a', 'b']);
  deepEqual(daemons.running(), ['echo-a', 'echo-b']);

  await a.stop();
  const after = await b.api.realm();
  equal(after.name, realmA.name, 'b still runs in the same host');
  deepEqual(after.running, ['b'], 'a stopped, b did not');
  deepEqual(after.stopped, ['a']);
  equal(await b.api.echo('still'), 'b: still');
  deepEqual(daemons.running(), ['echo-b']);

  // The last instance gone, the host goes too: the next instance starts in a new one.
  await b.stop();
  deepEqual(daemons.running(), []);
  const c = await daemons.start(ECHOD, 'echo-c', { name: 'c' });
  const realmC = await c.api.realm();
  ok(realmC.name !== realmA.name, 'a new host for the next instance');
  deepEqual(realmC.running, ['c']);
  await c.stop();
}
