// BOLT 7 node_announcement `addresses` to and from Core Lightning's listnodes shape
// `{type: 'ipv4'|'ipv6'|'torv3'|'dns', address, port}`: the rules of the whole list (order, port 0,
// one DNS name, where to stop) over the one-descriptor reader and writer in address-descriptor.ts.
import {
  readAddressDescriptor,
  writeAddressDescriptor,
  DESCRIPTOR_TYPE,
  type AddressType,
  type NodeAddress,
} from '../net/address-descriptor.ts';
import { Writer } from '../base/bytes.ts';
import { EncodeError } from '../base/errors.ts';

export type { AddressType, NodeAddress };

export interface ParsedAddresses {
  addresses: NodeAddress[];
  /** The first descriptor type we don't know: BOLT 7 has us stop there (its length is unknown). */
  unknownType?: number;
  /** Descriptors dropped by BOLT 7's rules: Tor v2, port 0, a second DNS name, a non-ASCII name. */
  ignored: number;
  /** More than one `type 5`: "SHOULD ignore the additional data. MUST not forward". */
  multipleDns: boolean;
}

/**
 * Parses `addresses`. A known descriptor cut short is a DecodeError('bad_addresses'): BOLT 7 "if
 * `addrlen` is insufficient to hold the address descriptors of the known types: SHOULD send a
 * `warning`". An unknown type ends parsing and keeps what came before: "SHOULD ignore the first
 * `address descriptor` that does NOT match the types defined above" (and, being ordered, the rest).
 */
export function parseAddresses(bytes: Uint8Array): ParsedAddresses {
  const out: ParsedAddresses = { addresses: [], ignored: 0, multipleDns: false };
  let dnsSeen = false;
  let i = 0;
  while (i < bytes.length) {
    const d = readAddressDescriptor(bytes, i);
    if (!d) {
      out.unknownType = bytes[i]!;
      return out;
    }
    i = d.end;
    const a = d.address;
    if (!a) {
      if (d.type === DESCRIPTOR_TYPE.torv2) out.ignored++; // "SHOULD ignore Tor v2 onion services."
      continue;
    }
    if (a.type === 'dns') {
      if (dnsSeen) {
        // "if more than one `type 5` address is announced: SHOULD ignore the additional data."
        out.multipleDns = true;
        out.ignored++;
        continue;
      }
      dnsSeen = true;
      // "`hostname` bytes MUST be ASCII characters": anything else is not a name we can dial.
      if (!/^[\x21-\x7e]+$/.test(a.address)) {
        out.ignored++;
        continue;
      }
    }
    // "if `port` is equal to 0: SHOULD ignore `ipv6_addr` OR `ipv4_addr` OR `hostname`."
    if (a.port === 0 && a.type !== 'torv3') out.ignored++;
    else out.addresses.push(a);
  }
  return out;
}

/**
 * Whether a node_announcement with these `addresses` may be passed on: BOLT 7 "if more than one
 * `type 5` address is announced: ... MUST not forward the `node_announcement`"; nor one whose
 * addresses do not parse.
 */
export function addressesForwardable(bytes: Uint8Array): boolean {
  try {
    return !parseAddresses(bytes).multipleDns;
  } catch {
    return false;
  }
}

/**
 * Encodes descriptors as an origin node must: "MUST place address descriptors in ascending order",
 * "MUST NOT create a type 1, type 2 or type 5 address descriptor with port equal to 0", "MUST NOT
 * announce more than one type 5 DNS hostname".
 */
export function encodeAddresses(addrs: readonly NodeAddress[]): Uint8Array {
  const sorted = [...addrs].sort((a, b) => (DESCRIPTOR_TYPE[a.type] ?? 0) - (DESCRIPTOR_TYPE[b.type] ?? 0));
  const w = new Writer();
  let dns = 0;
  for (const a of sorted) {
    if (a.port === 0 && a.type !== 'torv3') throw new EncodeError('bad_address', `${a.type} address with port 0`);
    if (a.type === 'dns' && ++dns > 1) throw new EncodeError('bad_address', 'more than one DNS hostname');
    writeAddressDescriptor(w, a);
  }
  return w.finish();
}
