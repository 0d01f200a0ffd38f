import { connect, type Socket } from 'node:net';

/** A reply as the driver parses it (RESP2): errors are `Error` objects. */
export type RespValue = string | number | null | Error | RespValue[];

/** `*<n>\r\n$<len>\r\n<arg>\r\n...`: one command as Redis reads it. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

const CR = 13;

/** Parses one reply from `buf` at `pos`; `undefined` when it is not complete yet. */
function parse(buf: Buffer, pos: number): [RespValue, number] | undefined {
  const end = buf.indexOf(CR, pos);
  if (end < 0 || end + 1 >= buf.length) return undefined;
  const type = buf[pos];
  const line = buf.toString('latin1', pos + 1, end);
  const next = end + 2;
  switch (type) {
    case 0x2b: // +
      return [line, next];
    case 0x2d: // -
      return [new Error(line), next];
    case 0x3a: // :
      return [Number(line), next];
    case 0x24: {
      // $
      const length = Number(line);
      if (length < 0) return [null, next];
      if (next + length + 2 > buf.length) return undefined;
      return [buf.toString('utf8', next, next + length), next + length + 2];
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let k = 0; k < count; k++) {
        const item = parse(buf, at);
        if (!item) return undefined;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`unexpected RESP type byte ${type} at ${pos}`);
  }
}

/**
 * One raw connection to Redis that writes ready-made RESP commands and parses the replies, with
 * as little client work as possible: the commands sent during one turn of the event loop go out
 * in one write (what a pipelining client does). It stands in for `redis-benchmark` where that
 * cannot send what is measured: `redis-benchmark` replaces every `__rand_int__` of a command with
 * its own random number, so a list key and its window hash key, or an id and the same id inside
 * the entry, cannot be made to match.
 */
export class RespConnection {
  private readonly waiting: {
    resolve: (value: RespValue) => void;
    reject: (error: Error) => void;
  }[] = [];
  private head = 0;
  private corked = false;
  private pendingData: Buffer | null = null;
  private closed: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(port: number, host = '127.0.0.1'): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespConnection(socket));
      });
    });
  }

  /** Commands sent and not answered yet. */
  get inFlight(): number {
    return this.waiting.length - this.head;
  }

  /** Sends one encoded command (`encodeCommand`); resolves to its reply, rejects on an error reply. */
  send(command: string): Promise<RespValue> {
    if (this.closed) return Promise.reject(this.closed);
    // With one command in flight, it goes out at once; more sent in the same tick go out in one write.
    if (this.inFlight > 0 && !this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(command);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private readonly uncork = () => {
    this.corked = false;
    this.socket.uncork();
  };

  private receive(chunk: Buffer): void {
    let buf = this.pendingData ? Buffer.concat([this.pendingData, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const reply = pos < buf.length ? parse(buf, pos) : undefined;
      if (!reply) break;
      pos = reply[1];
      const waiter = this.waiting[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (!waiter) throw new Error('reply without a command');
      if (reply[0] instanceof Error) waiter.reject(reply[0]);
      else waiter.resolve(reply[0]);
    }
    buf = buf.subarray(pos);
    this.pendingData = buf.length > 0 ? Buffer.from(buf) : null;
  }

  private fail(error: Error): void {
    this.closed ??= error;
    while (this.head < this.waiting.length) this.waiting[this.head++].reject(error);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closed ??= new Error('connection closed');
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }
}

/** `count` raw connections to the Redis on `port`. */
export function openRespConnections(port: number, count: number): Promise<RespConnection[]> {
  return Promise.all(Array.from({ length: count }, () => RespConnection.open(port)));
}

/**
 * Sends on the connection with the fewest commands in flight: run by `runClosedLoop` with as many
 * calls in flight as there are connections, each connection has one command at a time, as with
 * `redis-benchmark -c <connections>`.
 */
export function sendOnIdle(connections: RespConnection[], command: string): Promise<RespValue> {
  let best = connections[0];
  for (let k = 1; k < connections.length && best.inFlight > 0; k++) {
    if (connections[k].inFlight < best.inFlight) best = connections[k];
  }
  return best.send(command);
}
