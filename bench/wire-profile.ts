// Where the Chromium half of the wire bench spends its time: one run (clean, or adversarial with
// `--adversarial`; `--quick` for 2,000 channels) of bench/wire-browser.ts with the V8 CPU profiler
// on the page and on every Worker (connectd, gossipd, hsmd and the verify workers, nested ones
// too), attached over CDP. Prints, per target, its busy and idle time and the functions with the
// most self time. Not a bench: profiling slows the run down.
//   node --import tsx bench/wire-profile.ts [--quick] [--adversarial]
import { startPeer, viteAndChromium, wireNow } from './wire.node.bench.ts';
import { loadSignedGossip } from './fixtures/signed-gossip-cache.ts';
import { EVENT_PREFIX } from './harness.ts';

const quick = process.argv.includes('--quick');
const adversarial = process.argv.includes('--adversarial');
const channels = quick ? 2000 : undefined;
const now = wireNow();
await loadSignedGossip({ now, file: 'wire-signed-gossip.bin' });

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { server, browser, port } = await viteAndChromium();
const { info, child } = await startPeer({ ...(channels ? { channels } : {}), adversarial, now });
const page = await browser.newPage();
const cdp = await page.context().newCDPSession(page);

// Workers (and their nested workers) through the non-flat Target protocol: one profiler each.
type Send = (method: string, params?: object) => Promise<any>;
const targets = new Map<string, { title: string; send: Send }>();
const pending = new Map<number, (r: any) => void>();
let nextId = 1;
const sendTo =
  (path: string[]): Send =>
  (method, params = {}) => {
    const id = nextId++;
    let message = JSON.stringify({ id, method, params });
    for (let i = path.length - 1; i > 0; i--)
      message = JSON.stringify({ id: nextId++, method: 'Target.sendMessageToTarget', params: { sessionId: path[i], message } });
    const p = new Promise(resolve => pending.set(id, resolve));
    cdp.send('Target.sendMessageToTarget', { sessionId: path[0]!, message }).catch(() => {
      pending.delete(id);
      // A target gone by now (the page's own verify workers, closed after its bare checks).
    });
    return p;
  };
const onInner = (path: string[], raw: string): void => {
  const m = JSON.parse(raw) as { id?: number; result?: unknown; error?: unknown; method?: string; params?: any };
  if (m.id !== undefined && pending.has(m.id)) {
    pending.get(m.id)!(m.result ?? m.error);
    pending.delete(m.id);
  } else if (m.method === 'Target.attachedToTarget') attach(path, m.params);
  else if (m.method === 'Target.receivedMessageFromTarget') onInner([...path, m.params.sessionId], m.params.message);
};
function attach(parent: string[], p: { sessionId: string; targetInfo: { title: string; url: string; type: string } }): void {
  const path = [...parent, p.sessionId];
  const send = sendTo(path);
  targets.set(p.sessionId, { title: `${p.targetInfo.type} ${p.targetInfo.title || p.targetInfo.url}`, send });
  void (async () => {
    await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 500 });
    await send('Profiler.start');
    await send('Runtime.runIfWaitingForDebugger');
  })();
}
cdp.on('Target.attachedToTarget', (p: any) => attach([], p));
cdp.on('Target.receivedMessageFromTarget', (p: any) => onInner([p.sessionId], p.message));
await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
await cdp.send('Profiler.start');

let stopProfiles!: () => void;
const profilesStop = new Promise<void>(r => (stopProfiles = r));
const done = new Promise<void>(resolve => {
  page.on('console', msg => {
    const text = msg.text();
    if (text === 'wire-profile: stop') stopProfiles();
    if (!text.startsWith(EVENT_PREFIX)) return;
    const e = JSON.parse(text.slice(EVENT_PREFIX.length)) as { type: string; text?: string; message?: string };
    if (e.type === 'note') console.log(e.text);
    if (e.type === 'error') console.log('failed', e.message);
    if (e.type === 'done' || e.type === 'error' || e.type === 'skip') resolve();
  });
});
const peer = encodeURIComponent(JSON.stringify({ ...info, adversarial, ...(channels ? { channels } : {}) }));
await page.goto(
  `http://127.0.0.1:${port}/bench/index.html?file=bench/wire-browser.ts${quick ? '&quick=1' : ''}&set=wire-signed-gossip.bin&peer=${peer}&profile=1`,
);
// The page says when the run is over and waits (its node's Workers still running) until the profiles are in.
await profilesStop;

function summarize(title: string, prof: Profile | undefined): void {
  if (!prof?.nodes) return console.log(`${title}: no profile`);
  const self = new Map<string, number>();
  const byId = new Map(prof.nodes.map(n => [n.id, n]));
  let idle = 0;
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === '(idle)') idle += dt;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/').replace(/\?.*$/, '')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 14);
  console.log(
    `\n== ${title}: ${(total / 1e6).toFixed(1)} s sampled, idle ${(idle / 1e6).toFixed(1)} s, busy ${((total - idle) / 1e6).toFixed(1)} s`,
  );
  for (const [k, us] of top) console.log(`  ${(us / 1e6).toFixed(2).padStart(7)} s  ${k}`);
}
summarize('page', ((await cdp.send('Profiler.stop')) as { profile: Profile }).profile);
for (const t of targets.values()) {
  const r = await Promise.race([t.send('Profiler.stop'), new Promise(r => setTimeout(() => r(undefined), 5000))]);
  summarize(t.title, (r as { profile?: Profile } | undefined)?.profile);
}
await page.evaluate(() => (globalThis as unknown as { wireProfileResume(): void }).wireProfileResume());
await done;
await page.close();
child.stdin!.end();
await browser.close();
await server.close();
process.exit(0);
