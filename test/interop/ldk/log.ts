// LDK's Logger for the harness: prints nothing unless asked (LDK_DEBUG=1), and turns the peer
// handler's per-message log lines into message events a test can wait for.
import * as ldk from 'lightningdevkit';

/** One Lightning message LDK received from, or queued for, a peer (from LDK's own log lines). */
export interface LdkMessageEvent {
  direction: 'in' | 'out';
  /** Peer node id, 33-byte compressed key as hex. */
  peer: string;
  /** LDK's Rust name of the message: 'Init', 'Ping', 'Pong', 'GossipTimestampFilter', 'ChannelAnnouncement', ... */
  type: string;
  /** LDK's Debug rendering of the message (field names and values). */
  detail: string;
}

export interface LdkLogLine {
  level: string;
  module: string;
  text: string;
}

const levelNames = ['GOSSIP', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

// lightning/src/ln/peer_handler.rs logs "Received message {:?} from {}" (the wire::Message enum, so
// `Ping(Ping { .. })`) and "Enqueueing message {:?} to {}" (the message struct, `Ping { .. }`),
// at Gossip level for gossip types and Trace level otherwise. Init is logged differently: LDK's own
// Init is enqueued like any message, the peer's is "Received peer Init message from {}: {features}".
const received = /^Received message ([A-Za-z0-9]+)(.*) from ([0-9a-f]{66})$/s;
const enqueued = /^Enqueueing message ([A-Za-z0-9]+)(.*) to ([0-9a-f]{66})$/s;
const receivedInit = /^Received peer Init message from ([0-9a-f]{66}): (.*)$/s;

/** Parses one LDK log line into a message event, or undefined when it is not one. */
export function parseMessageLine(text: string): LdkMessageEvent | undefined {
  let m = received.exec(text);
  if (m) {
    // `Ping(Ping { .. })`: keep the struct's fields only, as for enqueued messages.
    const inner = /^\([A-Za-z0-9]+\s*(.*)\)$/s.exec(m[2]!.trim());
    return { direction: 'in', type: m[1]!, detail: (inner ? inner[1]! : m[2]!).trim(), peer: m[3]! };
  }
  m = enqueued.exec(text);
  if (m) return { direction: 'out', type: m[1]!, detail: m[2]!.trim(), peer: m[3]! };
  m = receivedInit.exec(text);
  if (m) return { direction: 'in', type: 'Init', detail: m[2]!, peer: m[1]! };
  return undefined;
}

export interface LogSink {
  /** Called for every LDK log record (all levels). */
  line(l: LdkLogLine): void;
  /** Called for every message event parsed from the log. */
  message(e: LdkMessageEvent): void;
}

/** An ldk.Logger that feeds `sink`, and prints each line with `prefix` when `print` is set. */
export function makeLogger(prefix: string, print: boolean, sink: LogSink): ldk.Logger {
  return ldk.Logger.new_impl({
    log(record: ldk.Record): void {
      const line: LdkLogLine = {
        level: levelNames[record.get_level()] ?? String(record.get_level()),
        module: record.get_module_path(),
        text: record.get_args(),
      };
      if (print) console.error(`[ldk ${prefix}] ${line.level} ${line.module}: ${line.text}`);
      sink.line(line);
      const ev = parseMessageLine(line.text);
      if (ev) sink.message(ev);
    },
  } as ldk.LoggerInterface);
}
