// `npm start`: a whole local Lightning network on this machine, nothing from outside
// (scripts/demo-network.ts): `boltworker regtest` with every channel of a generated 300-node /
// 800-channel graph funded on it, two of our Node nodes holding the graph's signed gossip and
// following that chain, node C behind B (a private channel B → C), our WebSocket-to-TCP bridge, and
// a page that runs a real boltworker node in Workers, connects to node B through the bridge, syncs the
// graph, opens a channel to B, pays (B, or C across B) and is paid by B. Prints the page's address;
// Ctrl-C stops everything.
//   --static   serve the built page (run `npm run build:demo` first) instead of Vite's dev server
//   --port N   the page's port (default: any free one)
import { dirname } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { startDemo } = await import('./demo-network.ts');
const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const demo = await startDemo({
  serve: args.includes('--static') ? 'static' : 'dev',
  ...(portAt >= 0 ? { port: Number(args[portAt + 1]) } : {}),
  log: s => console.log(s),
});
const cliFor = n => `npx boltworker cli --lightning-dir ${dirname(n.networkDir)} --regtest getinfo`;
console.log(
  `\nchain:  ${demo.chain.url} (Esplora's API; coins: curl -d '{"address":"ADDR","amount_sat":100000}' -H 'content-type: application/json' ${demo.chain.url}/regtest/send)\nbridge: ${demo.bridge}\npeer:   ${demo.peer}\n\nNode A: ${cliFor(demo.a)}\nNode B: ${cliFor(demo.b)}\nNode C: ${cliFor(demo.c)}  (channel B → C: ${demo.bToC})\n\nOpen the demo page:\n\n  ${demo.pageUrl}\n\n(Ctrl-C stops everything)`,
);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await demo.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
