// A CSPRNG for the daemons in Workers: crypto.getRandomValues fills at most 65 536 bytes a call.
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}
