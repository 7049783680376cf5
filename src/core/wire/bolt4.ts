// BOLT 4 messages, declared as lightning/bolts 04-onion-routing.md lists them. Only the wire
// message: we do not offer `option_onion_messages`, so connectd drops these unread (routing.ts).
import { message } from './schema.ts';

export const BOLT4 = {
  // BOLT 4 "The onion_message Message" (option_onion_messages). `onion_message_packet` stays raw:
  // version, public_key, onionmsg_payloads and hmac are read only by a node that handles it.
  onion_message: message(513, [
    ['path_key', 'point'],
    ['onion_message_packet', 'bytes', 'u16'],
  ]),
} as const;
