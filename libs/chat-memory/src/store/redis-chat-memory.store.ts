import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import type { ChatMemoryStore } from './chat-memory-store.interface.js';

/** Name under which the append script is registered on the ioredis client (`defineCommand`). */
const APPEND_COMMAND = 'chatMemoryAppendV1';

/**
 * KEYS[1] list key; ARGV[1] max length; ARGV[2] TTL in ms (0: leave expiry alone); ARGV[3..] entries.
 * RPUSH, LTRIM and PEXPIRE run as one atomic script, in one round trip.
 */
const APPEND_SCRIPT = `
local n = redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
local max = tonumber(ARGV[1])
if n > max then
  redis.call('LTRIM', KEYS[1], -max, -1)
  n = max
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return n
`;

/** SHA1 of the script, as EVALSHA names it. */
const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

function uncork(stream: Socket): void {
  stream.uncork();
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

type AppendCommand = {
  [APPEND_COMMAND](
    key: string,
    maxLength: number,
    ttlMs: number,
    ...entries: string[]
  ): Promise<number>;
};

/**
 * The Redis store: one List per conversation. `push` is a Lua script called by EVALSHA
 * (ioredis `defineCommand`); reads are single commands. Works with `Redis` and `Cluster` clients.
 */
export class RedisChatMemoryStore implements ChatMemoryStore {
  private readonly client: (Redis | Cluster) & AppendCommand;

  constructor(client: Redis | Cluster) {
    if (typeof (client as Partial<AppendCommand>)[APPEND_COMMAND] !== 'function') {
      client.defineCommand(APPEND_COMMAND, { numberOfKeys: 1, lua: APPEND_SCRIPT });
    }
    this.client = client as (Redis | Cluster) & AppendCommand;
  }

  push(
    key: string,
    entries: readonly string[],
    maxLength: number,
    ttlMs: number | null,
  ): Promise<number> {
    const ttl = ttlMs ?? 0;
    this.coalesceWrites();
    // Hot path: a plain EVALSHA with the arguments written out (no spread, no per-call closure).
    // When the server lacks the script (first call after a restart or SCRIPT FLUSH), the defined
    // command sends it with EVAL once and later calls find it again.
    const sent =
      entries.length === 1
        ? this.client.evalsha(APPEND_SHA, 1, key, maxLength, ttl, entries[0])
        : this.client.evalsha(APPEND_SHA, 1, key, maxLength, ttl, ...entries);
    return (sent as Promise<number>).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.client[APPEND_COMMAND](key, maxLength, ttl, ...entries);
    });
  }

  range(key: string): Promise<string[]> {
    this.coalesceWrites();
    return this.client.lrange(key, 0, -1);
  }

  /**
   * ioredis writes every command to the socket at once, one `write` system call each. Under
   * concurrency many calls are made in the same tick (one batch of replies resumes many awaiting
   * callers), so the socket is corked on the first command of a tick and uncorked at the end of
   * the tick (`process.nextTick`): those commands leave in one `writev`. When no command awaits a
   * reply (one call at a time) the command is written at once. Cluster clients have no single
   * socket and are left alone.
   * Order and replies are unchanged: it only merges system calls.
   */
  private coalesceWrites(): void {
    const { stream, commandQueue } = this.client as {
      stream?: Socket;
      commandQueue?: { length: number };
    };
    if (stream === undefined || stream.writableCorked > 0 || !stream.writable) return;
    // Nothing awaiting a reply: no batch of replies is resuming callers, write at once.
    if (commandQueue?.length === 0) return;
    stream.cork();
    process.nextTick(uncork, stream);
  }

  length(key: string): Promise<number> {
    return this.client.llen(key);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.client.del(key)) > 0;
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.client.pttl(key);
    return ms >= 0 ? ms : null;
  }
}
