// IPv4 and IPv6 addresses as text and as bytes, in one place for everything that reads or writes
// one: peer addresses (address.ts), the bridge's target checks (bridge-policy.ts) and BOLT 7
// address descriptors (address-descriptor.ts). Pure; malformed text is `undefined` here and each
// caller raises its own typed error.

/**
 * The four bytes of a dotted quad: exactly four decimal parts of 0 to 255, strictly. No leading
 * zeros ("010" is octal to some parsers and decimal to others), no shortened ("127.1"), hex or
 * single-number forms.
 */
export function ipv4FromText(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

/** Why IPv6 text is malformed: `ipv4` when the dotted quad ending it is the first fault, else `ipv6`. */
export type Ipv6Fault = 'ipv4' | 'ipv6';

/**
 * The sixteen bytes of IPv6 text (RFC 4291 section 2.2): eight groups of 1 to 4 hex digits, at most
 * one `::` standing for one or more zero groups, and optionally a dotted quad (as ipv4FromText)
 * standing for the last two groups. No brackets, no zone id. Else the fault: the pieces are read in
 * order, so the first bad one decides, and a wrong number of groups comes last.
 */
export function readIpv6(text: string): Uint8Array | Ipv6Fault {
  const halves = text.split('::');
  if (halves.length > 2) return 'ipv6';
  const compressed = halves.length === 2;
  const pieces = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = pieces(halves[0]!);
  const tail = compressed ? pieces(halves[1]!) : [];
  const all = [...head, ...tail];
  const groups: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const p = all[i]!;
    // A dotted quad may only end the address (not stand before a final `::`).
    if (i === all.length - 1 && p.includes('.') && (!compressed || tail.length > 0)) {
      const v4 = ipv4FromText(p);
      if (!v4) return 'ipv4';
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
      groups.push(parseInt(p, 16));
    } else {
      return 'ipv6';
    }
  }
  if (compressed ? groups.length > 7 : groups.length !== 8) return 'ipv6';
  // With `::`, every head piece is one hex group (a dotted quad can only be in the tail).
  const at = compressed ? head.length : 8;
  const zeros = 8 - groups.length;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const k = i < at ? i : i + zeros;
    out[2 * k] = g >> 8;
    out[2 * k + 1] = g & 0xff;
  });
  return out;
}

/** readIpv6's bytes, or undefined for malformed text. */
export function ipv6FromText(text: string): Uint8Array | undefined {
  const r = readIpv6(text);
  return typeof r === 'string' ? undefined : r;
}

/** `a.b.c.d` of four bytes. */
export function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * RFC 5952 text of sixteen bytes: lowercase hex, no leading zeros, the longest run of two or more
 * zero groups (the first of equal runs) as `::` (section 4.2), and no dotted quad.
 */
export function ipv6Text(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]): string => xs.map(x => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
