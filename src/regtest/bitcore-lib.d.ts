// The corner of bitcore-lib (CommonJS, no types of its own) the script check uses.
declare module 'bitcore-lib' {
  interface BitcoreScript {
    toBuffer(): Uint8Array;
  }
  interface BitcoreInput {
    script: BitcoreScript;
    witnesses: Uint8Array[];
    output: unknown;
  }
  interface BitcoreTransaction {
    inputs: BitcoreInput[];
  }
  interface InterpreterInstance {
    errstr: string;
    verify(
      scriptSig: BitcoreScript,
      scriptPubKey: BitcoreScript,
      tx: BitcoreTransaction,
      nin: number,
      flags: number,
      witness: Uint8Array[],
      satoshis: number,
    ): boolean;
  }
  interface InterpreterClass {
    new (): InterpreterInstance;
    [flag: string]: number | (new () => InterpreterInstance) | unknown;
  }
  const bitcore: {
    Script: { new (buf: Uint8Array): BitcoreScript; Interpreter: InterpreterClass };
    Transaction: { new (raw: Uint8Array): BitcoreTransaction; Output: new (o: { script: Uint8Array; satoshis: number }) => unknown };
  };
  export default bitcore;
}
