// Browser tests in real headless Chromium (the system's /usr/bin/chromium, never a downloaded one):
// the core's tests (the same files Node runs) and the browser-only ones.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { wsEchoPlugin } from './test/support/wtr-echo-plugin.mjs';
import { lightningPlugin } from './test/support/wtr-lightning-plugin.mjs';
import { regtestPlugin } from './test/support/wtr-regtest-plugin.mjs';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default {
  files: ['test/core/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  testsFinishTimeout: 20 * 60 * 1000,
  browserStartTimeout: 120000,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), wsEchoPlugin(), lightningPlugin(), regtestPlugin()],
  testFramework: { config: { timeout: 300000 } },
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: chromiumArgs },
    }),
  ],
};
