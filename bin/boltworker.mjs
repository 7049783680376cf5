#!/usr/bin/env node
// The `boltworker` command: node, cli, bridge. Runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/node/main.ts');
process.exitCode = await main(process.argv.slice(2));
