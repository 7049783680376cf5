// Bundles the command line (src/node/cli.ts and what it imports) into dist/cli.mjs, so that
// `boltworker cli` starts as plain JavaScript instead of compiling TypeScript at every run.
// bin/boltworker.mjs runs this on first use and whenever a source is newer than the bundle;
// `node bin/build-cli.mjs` builds it by hand. dist/ is not committed.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
export const CLI_BUNDLE = new URL('dist/cli.mjs', root);
export const CLI_INPUTS = new URL('dist/cli.inputs.json', root);

async function esbuild() {
  try {
    return await import('esbuild');
  } catch {
    // Not a dependency of ours, but of tsx (which is): use that copy.
    const require = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
    return require('esbuild');
  }
}

export async function buildCli() {
  const { build } = await esbuild();
  const r = await build({
    entryPoints: [fileURLToPath(new URL('src/node/cli.ts', root))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    absWorkingDir: fileURLToPath(root),
    logLevel: 'silent',
  });
  mkdirSync(new URL('dist/', root), { recursive: true });
  // Written beside and renamed: a cli started meanwhile reads the old bundle or the new, never half.
  const tmp = `.${process.pid}.tmp`;
  writeFileSync(fileURLToPath(CLI_BUNDLE) + tmp, r.outputFiles[0].contents);
  writeFileSync(fileURLToPath(CLI_INPUTS) + tmp, JSON.stringify({ inputs: Object.keys(r.metafile.inputs) }));
  renameSync(fileURLToPath(CLI_BUNDLE) + tmp, CLI_BUNDLE);
  renameSync(fileURLToPath(CLI_INPUTS) + tmp, CLI_INPUTS);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildCli();
