// LDK's SocketDescriptor over a node:net socket, with the flow control LDK's PeerManager expects
// (lightning/src/ln/peer_handler.rs, `SocketDescriptor::send_data` and `PeerManager::read_event`):
// - send_data returns how many bytes were taken. Node buffers every write, so a chunk is taken
//   whole while the socket is below its high-water mark; once `write` reports a full buffer,
//   further chunks are refused (0) until 'drain', when `write_buffer_space_avail` is called.
// - While a send is incomplete (a refused chunk), no `read_event` may happen for that peer: reads
//   are paused until 'drain'.
// - When `read_event` returns true, reads pause until a `send_data` with `resume_read` set.
// - Every `read_event` is followed by `process_events` (through `hooks.flush`), which writes LDK's
//   answers.
// - On close, `socket_disconnected` (a no-op when LDK itself asked for the disconnect).
import type { Socket } from 'node:net';
import * as ldk from 'lightningdevkit';

export interface BoundSocket {
  descriptor: ldk.SocketDescriptor;
  socket: Socket;
  /** Writes bytes LDK produced outside `send_data` (an outbound connection's act one). */
  writeRaw(data: Uint8Array): void;
}

export interface BindHooks {
  /** Runs `process_events` (and what follows it) after LDK took inbound bytes or write space. */
  flush(): void;
  /** Counts bytes LDK handed to the socket. */
  wrote(n: number): void;
  /** Called once, after the socket closed and LDK was told. */
  closed(): void;
  /** False once the owning peer stopped: no more calls into its PeerManager. */
  live(): boolean;
}

let nextId = 1n;

/** Wires `socket` to `pm`; the caller then announces it with new_inbound/new_outbound_connection. */
export function bindSocket(pm: ldk.PeerManager, socket: Socket, hooks: BindHooks): BoundSocket {
  const id = nextId++;
  let closed = false;
  let writeBlocked = false; // a send_data was refused: wait for 'drain'
  let readPaused = false; // read_event returned true: wait for send_data(resume_read)

  socket.setNoDelay(true);

  const updateReading = () => {
    if (closed) return;
    if (writeBlocked || readPaused) socket.pause();
    else socket.resume();
  };

  const descriptor = ldk.SocketDescriptor.new_impl({
    send_data(data: Uint8Array, resume_read: boolean): number {
      if (resume_read && readPaused) {
        readPaused = false;
        updateReading();
      }
      if (closed || writeBlocked || data.length === 0) return 0;
      // Copy: the bytes may be a view LDK reuses after this call returns.
      hooks.wrote(data.length);
      if (!socket.write(data.slice())) {
        // Taken, but the buffer is now full: refuse the next chunk until 'drain'.
        writeBlocked = true;
      }
      return data.length;
    },
    disconnect_socket(): void {
      // LDK asked for the disconnect: it needs no socket_disconnected afterwards (a no-op anyway).
      socket.destroy();
    },
    eq(other: ldk.SocketDescriptor): boolean {
      return other.hash() === id;
    },
    hash(): bigint {
      return id;
    },
  } as ldk.SocketDescriptorInterface);

  socket.on('data', (chunk: Buffer) => {
    if (closed || !hooks.live()) return;
    const res = pm.read_event(descriptor, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (!res.is_ok()) {
      // LDK already dropped the peer (protocol error); close the socket.
      socket.destroy();
      return;
    }
    if ((res as ldk.Result_boolPeerHandleErrorZ_OK).res) {
      readPaused = true;
      updateReading();
    }
    hooks.flush();
  });

  socket.on('drain', () => {
    if (closed || !hooks.live() || !writeBlocked) return;
    writeBlocked = false;
    updateReading();
    if (!pm.write_buffer_space_avail(descriptor).is_ok()) {
      socket.destroy();
      return;
    }
    hooks.flush();
  });

  socket.on('error', () => {
    // 'close' follows; nothing else to do (tests read failures from the close).
  });

  socket.on('close', () => {
    if (closed) return;
    closed = true;
    if (hooks.live()) pm.socket_disconnected(descriptor);
    hooks.closed();
  });

  return {
    descriptor,
    socket,
    writeRaw(data: Uint8Array) {
      if (!closed) socket.write(data.slice());
    },
  };
}
