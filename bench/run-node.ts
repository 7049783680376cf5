// Node side of `npm run bench`: runs the given bench files (through tsx) and prints each result as
// one event line on stdout for scripts/bench.mjs. Usage: node --import tsx bench/run-node.ts [--quick] FILES
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { EVENT_PREFIX, runBench, type BenchEvent, type BenchModule } from './harness.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const files = args.filter(a => !a.startsWith('--'));
const emit = (e: BenchEvent): void => {
  process.stdout.write(`${EVENT_PREFIX}${JSON.stringify(e)}\n`);
};
const env = `Node ${process.version} (${process.platform} ${process.arch})`;

for (const file of files) {
  let mod: BenchModule;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as BenchModule;
  } catch (e) {
    emit({ type: 'error', file, runtime: 'node', message: `import failed: ${e instanceof Error ? e.stack : String(e)}` });
    continue;
  }
  await runBench(mod, file, 'node', env, emit, quick);
}
