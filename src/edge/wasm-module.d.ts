// A `.wasm` import in a Worker: wrangler's CompiledWasm module rule (src/edge/wrangler.node.toml)
// makes it a compiled module, which workerd can instantiate (it cannot compile bytes at run time).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
