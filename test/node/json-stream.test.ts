// Core Lightning's socket framing: JSON objects back to back, split at any byte.
import { JsonFrameError, JsonSplitter } from '../../src/node/json-stream.ts';
import { deepEqual, equal, throws } from '../support/assert.ts';

const limits = { maxBytes: 1000, maxDepth: 4 };
const bytes = (s: string) => new TextEncoder().encode(s);

describe('JsonSplitter (objects back to back, no length prefix)', () => {
  it('splits whole objects, with braces and quotes inside strings, whitespace between', () => {
    const s = new JsonSplitter(limits);
    const a = '{"a":"}{\\"","b":[1,{"c":"]"}]}';
    const b = '{"x":"\\\\"}';
    deepEqual(s.push(bytes(`${a}\n\n  ${b}\n\n`)), [a, b]);
    equal(s.partial, false);
  });
  it('a message split at every byte, a multi-byte character across chunks, comes out whole and right', () => {
    const text = '{"alias":"é⚡","n":[1,2]}';
    const raw = bytes(text + text);
    const s = new JsonSplitter(limits);
    const out: string[] = [];
    for (const b of raw) out.push(...s.push(new Uint8Array([b])));
    deepEqual(out, [text, text]);
  });
  it('refuses what is not an object, too deep, or too large', () => {
    throws(() => new JsonSplitter(limits).push(bytes('[1]')), JsonFrameError);
    throws(() => new JsonSplitter(limits).push(bytes('x')), JsonFrameError);
    throws(() => new JsonSplitter(limits).push(bytes('{"a":[[[[1]]]]}')), JsonFrameError);
    throws(() => new JsonSplitter(limits).push(bytes(`{"a":"${'x'.repeat(1000)}`)), JsonFrameError);
  });
});
