// Core Lightning's JSON-RPC framing on its Unix socket (lightningd/jsonrpc.c, cli/lightning-cli.c):
// JSON objects back to back on the stream, no length prefix; whitespace between them is skipped
// (lightningd ends each response with "\n\n"). This splits a byte stream into whole JSON texts by
// tracking nesting and strings, bounded in size and depth so a client cannot make us buffer or
// recurse without limit.

export class JsonFrameError extends Error {}

export interface JsonStreamLimits {
  /** Largest single JSON text, in bytes. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

export class JsonSplitter {
  private buf = Buffer.alloc(0);
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly limits: JsonStreamLimits) {}

  /** True while part of a JSON text is buffered (a stream ending now ends mid-message). */
  get partial(): boolean {
    return this.buf.length > 0;
  }

  /** Adds bytes; returns every JSON text now complete, in order. Throws JsonFrameError on bad framing. */
  push(chunk: Uint8Array): string[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    let i = this.scanned;
    while (i < this.buf.length) {
      const c = this.buf[i]!;
      if (this.depth === 0 && !this.inString) {
        if (WS.has(c)) {
          // Whitespace between messages: drop it.
          this.buf = this.buf.subarray(i + 1);
          i = 0;
          continue;
        }
        if (c !== 0x7b) throw new JsonFrameError('expected a JSON object');
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++this.depth > this.limits.maxDepth) throw new JsonFrameError(`JSON nested deeper than ${this.limits.maxDepth}`);
      } else if (c === 0x7d || c === 0x5d) {
        if (--this.depth === 0) {
          out.push(this.buf.subarray(0, i + 1).toString('utf8'));
          this.buf = this.buf.subarray(i + 1);
          i = 0;
          continue;
        }
      }
      i++;
    }
    this.scanned = i;
    if (this.buf.length > this.limits.maxBytes) throw new JsonFrameError(`JSON message larger than ${this.limits.maxBytes} bytes`);
    return out;
  }
}
