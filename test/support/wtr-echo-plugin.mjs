// A @web/test-runner plugin for the browser transport tests: a `ws` server on 127.0.0.1 (random
// port) that the page reaches directly. Paths: anything else echoes binary frames; `/text` sends one
// binary frame then a text frame; `/close` closes at once with 1000 "server says bye". The dev
// server serves `/__echo_port` (the port), `/__closed_port` (a port nothing listens on) and
// `/__echo_closes` (JSON: every close the server saw, {path, code, reason}).
import net from 'node:net';
import { WebSocketServer } from 'ws';

export function wsEchoPlugin() {
  let wss;
  let port = 0;
  let closedPort = 0;
  const closes = [];
  return {
    name: 'ws-echo',
    async serverStart() {
      wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
      await new Promise((resolve, reject) => {
        wss.once('listening', resolve);
        wss.once('error', reject);
      });
      port = wss.address().port;
      const probe = net.createServer();
      await new Promise(r => probe.listen(0, '127.0.0.1', r));
      closedPort = probe.address().port;
      await new Promise(r => probe.close(r));
      wss.on('connection', (ws, req) => {
        const path = req.url ?? '/';
        ws.on('close', (code, reason) => closes.push({ path, code, reason: reason.toString() }));
        if (path.startsWith('/text')) {
          ws.send(new Uint8Array([7, 8, 9]));
          ws.send('this is text');
        } else if (path.startsWith('/close')) {
          ws.close(1000, 'server says bye');
        } else {
          ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        }
      });
    },
    async serverStop() {
      if (!wss) return;
      for (const c of wss.clients) c.terminate();
      await new Promise(r => wss.close(r));
    },
    serve(context) {
      if (context.path === '/__echo_port') return { body: String(port), type: 'text/plain' };
      if (context.path === '/__closed_port') return { body: String(closedPort), type: 'text/plain' };
      if (context.path === '/__echo_closes') return { body: JSON.stringify(closes), type: 'application/json' };
      return undefined;
    },
  };
}
