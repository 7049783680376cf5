// The demo page (demo/): `vite build --config vite.demo.config.ts` (npm run build:demo) writes static
// files to dist/demo/; scripts/demo-network.ts serves demo/ with Vite's dev server, or dist/demo/
// with `vite preview`. The root vite.config.ts builds the library and is not used here.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./demo/', import.meta.url));
const repo = fileURLToPath(new URL('./', import.meta.url));

export default defineConfig({
  root,
  base: './',
  build: { outDir: fileURLToPath(new URL('./dist/demo/', import.meta.url)), emptyOutDir: true, target: 'es2022', sourcemap: true },
  worker: { format: 'es' },
  // The packages the node imports are ES modules already: served as they are, so the dev server
  // never re-optimises and reloads the page in the middle of a run.
  optimizeDeps: { noDiscovery: true, include: [] },
  server: { host: '127.0.0.1', fs: { allow: [repo] } },
  preview: { host: '127.0.0.1' },
});
