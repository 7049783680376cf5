// One Dialer over several: each target goes to the dialer for its kind.
import type { AbortSignalLike, ByteStream, DialTarget, Dialer } from '../core/net/transport.ts';
import { TransportError } from './errors.ts';

export function combineDialers(by: { tcp?: Dialer; websocket?: Dialer }): Dialer {
  return {
    dial(target: DialTarget, signal?: AbortSignalLike): Promise<ByteStream> {
      const d = by[target.kind];
      if (!d) return Promise.reject(new TransportError('unsupported_target', `this runtime has no ${target.kind} dialer`));
      return d.dial(target, signal);
    },
  };
}
