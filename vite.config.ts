// Builds the browser runtime (`boltworker/web`) as an ES library; each daemon's module Worker and
// the signature-check workers are emitted as files of their own, and the libsecp256k1 .wasm as an
// asset. Output: dist/web/.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist/web',
    target: 'es2022',
    sourcemap: true,
    lib: {
      entry: 'src/web/index.ts',
      formats: ['es'],
      fileName: 'index',
    },
    rollupOptions: { external: [] },
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
