// What gossipd sends one peer in answer to its queries and filter (answer.ts), paced by that peer's
// transport: connectd resolves a send once the socket has drained below its bound
// (src/transports: write() waits for the buffer), and the outbox hands over the next message only
// while fewer than `limit` bytes are in flight. The answers are generators, so they make their next
// message only when the outbox takes one: what a peer's queries cost us is `limit` plus one read
// chunk, however large the answer, and a peer that reads slowly slows only its own answers.

export class Outbox {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    /** Hands one message to the transport; resolves once it has taken it (connectd's sendToPeer). */
    private readonly post: (raw: Uint8Array) => void | Promise<void>,
    /** Bytes handed over and not yet taken, at most (plus the one message that crosses it). */
    private readonly limit: number,
    /** A send failed (the connection is gone): the outbox is closed and this is told why. */
    private readonly failed: (e: unknown) => void = () => {},
  ) {}

  /** Bytes handed over whose send has not resolved yet. */
  get pending(): number {
    return this.inFlight;
  }

  /** Sends `raw` once fewer than `limit` bytes are in flight; false (nothing sent) once closed. */
  async send(raw: Uint8Array): Promise<boolean> {
    while (this.inFlight >= this.limit && !this.closed) await new Promise<void>(r => this.waiters.push(r));
    if (this.closed) return false;
    const n = raw.length;
    this.inFlight += n;
    const done = (): void => {
      this.inFlight -= n;
      this.waiters.shift()?.();
    };
    let sent: void | Promise<void>;
    try {
      sent = this.post(raw);
    } catch (e) {
      done();
      this.fail(e);
      return false;
    }
    Promise.resolve(sent).then(done, (e: unknown) => {
      done();
      this.fail(e);
    });
    return true;
  }

  /** Stops sending: waiting and later sends return false. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
  }

  private fail(e: unknown): void {
    if (this.closed) return;
    this.close();
    this.failed(e);
  }
}
