// Shared by the BOLT 4 vector tests.
import { Reader, fromHex } from '../../src/core/base/bytes.ts';
import { readBigSize } from '../../src/core/wire/bigsize.ts';
import { equal } from '../support/assert.ts';

/** The vectors' payloads "already have the variable length encoded": strip the BigSize. */
export function stripLength(hex: string): Uint8Array {
  const r = new Reader(fromHex(hex));
  const n = readBigSize(r);
  const p = r.bytes(Number(n));
  equal(r.remaining, 0, 'payload length prefix covers the payload');
  return p;
}
