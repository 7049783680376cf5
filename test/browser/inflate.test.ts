// The web-platform zlib used by the browser and edge runtimes for BOLT 7 encoding-1 arrays.
import { inflateZlib } from '../../src/platform/inflate.ts';
import { deepEqual, ok, rejects } from '../support/assert.ts';

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const cs = new CompressionStream('deflate');
  const out = new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(cs));
  return new Uint8Array(await out.arrayBuffer());
}

describe('inflateZlib (DecompressionStream)', () => {
  it('inflates a zlib stream of 8-byte short_channel_ids', async () => {
    const raw = new Uint8Array(8 * 1000).map((_, i) => (i * 31) & 0xff);
    deepEqual(await inflateZlib(await deflate(raw), 1 << 20), raw);
  });
  it('refuses to produce more than the cap (a zlib bomb)', async () => {
    const bomb = await deflate(new Uint8Array(4 << 20));
    ok(bomb.length < 10_000);
    await rejects(inflateZlib(bomb, 1 << 20), Error);
  });
  it('garbage is an error, not a hang', async () => {
    await rejects(inflateZlib(new Uint8Array([1, 2, 3, 4, 5, 6]), 1 << 20), Error);
  });
});
