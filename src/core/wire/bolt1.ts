// BOLT 1 messages, declared as the spec lists them ("Setup Messages", "Control Messages", "Peer storage").
import { message } from './schema.ts';

export const BOLT1 = {
  // BOLT 1 "The init Message"
  init: message(
    16,
    [
      ['globalfeatures', 'bytes', 'u16'],
      ['features', 'bytes', 'u16'],
    ],
    {
      1: ['networks', [['chains', 'chain_hash', '...']]],
      3: ['remote_addr', [['data', 'bytes', '...']]],
    },
  ),
  // BOLT 1 "The error and warning Messages"
  error: message(17, [
    ['channel_id', 'channel_id'],
    ['data', 'bytes', 'u16'],
  ]),
  warning: message(1, [
    ['channel_id', 'channel_id'],
    ['data', 'bytes', 'u16'],
  ]),
  // BOLT 1 "The ping and pong Messages"
  ping: message(18, [
    ['num_pong_bytes', 'u16'],
    ['ignored', 'bytes', 'u16'],
  ]),
  pong: message(19, [['ignored', 'bytes', 'u16']]),
  // BOLT 1 "Peer storage": "The data stored must not exceed 65531 bytes" (option_provide_storage).
  peer_storage: message(7, [['blob', 'bytes', 'u16']]),
  peer_storage_retrieval: message(9, [['blob', 'bytes', 'u16']]),
} as const;
