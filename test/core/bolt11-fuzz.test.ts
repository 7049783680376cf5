// Fuzzing the BOLT 11 reader: spec examples with words changed, inserted or dropped and the
// checksum made valid again (so the field parser, not the checksum, meets them), and mutated
// strings. Each decodes or throws a BoltError; what decodes re-encodes to its own fields.
import { bech32 } from '@scure/base';
import { fromHex } from '../../src/core/base/bytes.ts';
import { decodeInvoice, encodeInvoice } from '../../src/core/bolt11/index.ts';
import { deepEqual, ok } from '../support/assert.ts';
import { attempt, mutate, Rng } from '../support/fuzz.ts';
import { SPEC_PRIV_KEY, VALID_EXAMPLES } from './bolt11-vectors.ts';

const KEY = fromHex(SPEC_PRIV_KEY);
const ascii = (s: string) => new TextEncoder().encode(s);

describe('BOLT 11 reader fuzz', () => {
  it('meets words changed behind a valid checksum with a decode or a Bolt11Error', () => {
    const rng = new Rng('bolt11-words');
    let decoded = 0;
    for (let n = 0; n < 600; n++) {
      const ex = rng.pick(VALID_EXAMPLES);
      const { prefix, words } = bech32.decode(ex.bolt11.toLowerCase() as `${string}1${string}`, false);
      const w = [...words];
      const edits = rng.range(1, 3);
      for (let e = 0; e < edits; e++) {
        const at = rng.int(w.length);
        const kind = rng.int(3);
        if (kind === 0) w[at] = rng.int(32);
        else if (kind === 1) w.splice(at, 0, rng.int(32));
        else w.splice(at, 1);
      }
      const s = bech32.encode(prefix, w, false);
      const inv = attempt('decodeInvoice', ascii(s), () => decodeInvoice(s));
      if (inv instanceof Error) continue;
      decoded++;
      // whatever is accepted re-encodes (signed anew) to the same fields
      const again = decodeInvoice(encodeInvoice(inv, KEY));
      deepEqual(again.fields, inv.fields);
      deepEqual(again.amountMsat, inv.amountMsat);
    }
    ok(decoded > 0, 'some mutants decode');
  });

  it('meets mutated strings with a decode or a Bolt11Error', () => {
    const rng = new Rng('bolt11-strings');
    for (let n = 0; n < 1500; n++) {
      const input = mutate(rng, ascii(rng.pick(VALID_EXAMPLES).bolt11));
      const s = new TextDecoder('latin1').decode(input);
      attempt('decodeInvoice', input, () => decodeInvoice(s));
    }
  });
});
