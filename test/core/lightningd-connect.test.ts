// lightningd's `connect` with no address given: the addresses come from the node's announcement
// (gossipd), and one of them that we cannot dial must not hide the others (issue 9 finding 10).
import { MemoryLightningdStorage, LightningdDb } from '../../src/core/daemons/lightningd/db.ts';
import { Lightningd } from '../../src/core/daemons/lightningd/lightningd.ts';
import type { ConnectdApi } from '../../src/core/daemons/connectd/interface.ts';
import type { GossipdApi } from '../../src/core/daemons/gossipd/interface.ts';
import type { DialTarget, NetAddress } from '../../src/core/net/transport.ts';
import { deepEqual } from '../support/assert.ts';

// BOLT 8 appendix: the responder's static public key rs.pub.
const ID = '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7';

function node(announced: NetAddress[]): { ld: Lightningd; dialed: DialTarget[][] } {
  const dialed: DialTarget[][] = [];
  const connectd: ConnectdApi = {
    connectToPeer: (id, targets) => {
      dialed.push([...targets]);
      return { id, features: '', direction: 'out', address: { type: 'ipv4', address: targets[0]!.host, port: targets[0]!.port } };
    },
    listPeers: () => [],
    ping: () => ({ totlen: 0 }),
    disconnect: () => {},
  };
  const gossipd: GossipdApi = { nodeAddresses: () => announced, rpc: async () => ({}) };
  const ld = new Lightningd({
    network: 'bitcoin',
    version: 'test',
    nodeId: ID,
    alias: 'test',
    color: '000000',
    ourFeatures: { init: '', node: '', channel: '', invoice: '' },
    connectd,
    gossipd,
    db: new LightningdDb(new MemoryLightningdStorage()),
    caps: { tcp: true, websocket: false },
  });
  return { ld, dialed };
}

describe('lightningd: connect by node id alone', () => {
  it('dials every usable announced address when one hostname is not an RFC 1123 name', async () => {
    const { ld, dialed } = node([
      { type: 'ipv4', address: '203.0.113.7', port: 9735 },
      { type: 'ipv6', address: '2001:db8::7', port: 9735 },
      { type: 'dns', address: 'ln_node.example.com', port: 9735 },
    ]);
    const res = (await ld.rpc.call('connect', { id: ID })) as { id: string };
    deepEqual(res.id, ID);
    deepEqual(dialed, [
      [
        { kind: 'tcp', host: '203.0.113.7', port: 9735 },
        { kind: 'tcp', host: '2001:db8::7', port: 9735 },
      ],
    ]);
  });
});
