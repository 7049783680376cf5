// Test globals shared by Node (node:test, set up in node-globals.mjs) and Chromium (mocha, by
// @web/test-runner): one test file runs unchanged in both.
declare function describe(name: string, fn: () => void): void;
declare function it(name: string, fn: () => void | Promise<void>): void;
declare function before(fn: () => void | Promise<void>): void;
declare function after(fn: () => void | Promise<void>): void;
