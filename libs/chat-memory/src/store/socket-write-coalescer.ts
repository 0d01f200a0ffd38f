import type { Socket } from 'node:net';
import type { Cluster, Redis } from 'ioredis';

/**
 * @internal Merges the socket writes of the commands sent in one tick, for clients the module
 * created (never for a client it was given).
 *
 * ioredis writes each command to its socket at once, one `write` system call each, and at high
 * concurrency those calls are most of the client's CPU: many calls are made in the same tick (one
 * batch of replies resumes many awaiting callers). So the socket is corked on the first command of
 * a tick while replies are awaited, and uncorked at the end of the tick (`process.nextTick`): those
 * commands leave in one `writev`. With nothing awaiting a reply (one call at a time) the command
 * is written at once. Order and replies are unchanged.
 *
 * This reads two fields ioredis does not document: `commandQueue` (commands awaiting a reply),
 * checked once when the store is made (no coalescer without it), and `stream` (the socket, set on
 * every connect, so read per call; no corking while it is missing).
 * `test/socket-write-coalescer.e2e-spec.ts` fails if either field disappears or changes shape, so
 * an ioredis change is seen, not silently slower.
 * Cluster clients have no single socket and are left alone.
 */
export type WriteCoalescer = () => void;

interface SocketFields {
  stream?: Socket;
  commandQueue?: { length: number };
}

/** Whether `client` has the two fields, with the shapes the coalescer relies on. */
export function hasSocketFields(client: Redis | Cluster): boolean {
  if (client.isCluster) return false;
  const { commandQueue } = client as SocketFields;
  return (
    typeof commandQueue === 'object' &&
    commandQueue !== null &&
    typeof commandQueue.length === 'number'
  );
}

function uncork(stream: Socket): void {
  stream.uncork();
}

/** A coalescer for a client the module created, or `undefined` when its fields are not there. */
export function createWriteCoalescer(client: Redis | Cluster): WriteCoalescer | undefined {
  if (!hasSocketFields(client)) return undefined;
  const fields = client as SocketFields;
  return () => {
    const { stream, commandQueue } = fields;
    if (stream === undefined || stream.writableCorked > 0 || !stream.writable) return;
    // Nothing awaiting a reply: no batch of replies is resuming callers, write at once.
    if (commandQueue?.length === 0) return;
    stream.cork();
    process.nextTick(uncork, stream);
  };
}
