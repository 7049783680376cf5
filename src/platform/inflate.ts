// zlib (RFC 1950) through the web platform's DecompressionStream ('deflate' is the zlib format), for
// the runtimes without node:zlib (browser Workers, workerd, Deno): BOLT 7 encoding-1 arrays from old
// peers. It stops reading, and fails, past `max` bytes: a small message can inflate to gigabytes.
import { concat } from '../core/base/bytes.ts';

export async function inflateZlib(zlib: Uint8Array, max: number): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate');
  const writer = ds.writable.getWriter();
  // A write or close on a stream we cancel rejects: nobody waits for those.
  writer.write(zlib.slice() as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = ds.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`inflated array is over ${max} bytes`);
    }
    parts.push(value);
  }
  return concat(...parts);
}
