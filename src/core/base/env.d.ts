// The few globals every runtime we target has (browsers, Workers, Node >= 20, Deno, workerd) and
// that src/core may use without pulling in DOM or Node types. Everything else is injected.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
