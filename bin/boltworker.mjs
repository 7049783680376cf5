#!/usr/bin/env node
// The `boltworker` command: node, cli, bridge, regtest. `cli` runs a prebuilt JavaScript bundle (dist/cli.mjs,
// rebuilt here when a source changed) so it starts fast; the rest runs the TypeScript through tsx.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function bundleFresh() {
  try {
    const built = statSync(new URL('dist/cli.mjs', root)).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL('dist/cli.inputs.json', root), 'utf8'));
    return inputs.every(f => statSync(new URL(f, root)).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function cliBundle() {
  if (bundleFresh()) return import('../dist/cli.mjs');
  try {
    await (await import('./build-cli.mjs')).buildCli();
    return await import('../dist/cli.mjs');
  } catch {
    return undefined;
  }
}

const argv = process.argv.slice(2);
const cli = argv[0] === 'cli' ? await cliBundle() : undefined;
if (cli) process.exitCode = await cli.cliMain(argv.slice(1));
else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/node/main.ts');
  process.exitCode = await main(argv);
}
