// Typed errors across a Comlink port (src/links/comlink-errors.ts): a channel daemon's rule error
// (PeerRuleError: ChannelError, OpeningError, ClosingError) keeps its `code` and its BOLT 1
// `action` on the other side, so lightningd can decide on both (disconnect after a warning, fail the
// channel after an error) and a plain Error stays plain.
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { ChannelError } from '../../src/core/channel/errors.ts';
import { OpeningError } from '../../src/core/daemons/openingd/errors.ts';
import { installErrorTransfer } from '../../src/links/comlink-errors.ts';
import { equal, ok } from '../support/assert.ts';

describe('Comlink errors: a channel rule error keeps its code and action across a port', () => {
  it('ChannelError (warning), OpeningError (error default) and a plain Error', async () => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    const api = {
      add(): never {
        throw new ChannelError('max_accepted_htlcs', 'too many HTLCs');
      },
      open(): never {
        throw new OpeningError('funding_too_small', 'below our minimum');
      },
      plain(): never {
        throw new Error('just a bug');
      },
    };
    Comlink.expose(api, nodeEndpoint(port1));
    const remote = Comlink.wrap<typeof api>(nodeEndpoint(port2));
    const caught = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string; action?: string },
      );
    try {
      const a = await caught(remote.add());
      equal(a?.code, 'max_accepted_htlcs');
      equal(a?.action, 'warning');
      equal(a?.message, 'too many HTLCs');
      const o = await caught(remote.open());
      equal(o?.code, 'funding_too_small');
      equal(o?.action, 'error');
      const p = await caught(remote.plain());
      ok(p && p.action === undefined && p.code === undefined, 'a plain Error carries no code or action');
    } finally {
      remote[Comlink.releaseProxy]();
      port1.close();
      port2.close();
    }
  });
});
