// Chromium side of `npm run bench`: bench/index.html loads this module with ?file=bench/x.bench.ts;
// it runs that file and prints each result as one console line for scripts/bench.mjs.
import { EVENT_PREFIX, runBench, type BenchEvent, type BenchModule } from './harness.ts';

declare const location: { search: string };
declare const navigator: { userAgent: string };

const params = new URLSearchParams(location.search);
const file = params.get('file') ?? '';
const quick = params.get('quick') === '1';
const emit = (e: BenchEvent): void => console.log(`${EVENT_PREFIX}${JSON.stringify(e)}`);
const chrome = /Chrome\/([\d.]+)/.exec(navigator.userAgent)?.[1] ?? navigator.userAgent;

try {
  const mod = (await import(/* @vite-ignore */ `/${file}`)) as BenchModule;
  await runBench(mod, file, 'chromium', `Chromium ${chrome}`, emit, quick);
} catch (e) {
  emit({ type: 'error', file, runtime: 'chromium', message: `import failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
}
