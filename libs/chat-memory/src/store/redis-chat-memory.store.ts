import type { Cluster, Redis } from 'ioredis';
import type { ChatMemoryStore } from './chat-memory-store.interface.js';
import { APPEND_SCRIPT, APPEND_SHA } from './redis-chat-memory.scripts.js';

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * @internal The Redis store: one List per conversation. `push` runs the append script by EVALSHA
 * and, when the server does not know it (first call after a restart, a failover or SCRIPT FLUSH),
 * sends it once by EVAL, which also caches it there. Reads are single commands. Works with `Redis`
 * and `Cluster` clients, and leaves the client as it was given (no `defineCommand`).
 */
export class RedisChatMemoryStore implements ChatMemoryStore {
  constructor(private readonly client: Redis | Cluster) {}

  push(
    key: string,
    entries: readonly string[],
    maxLength: number,
    ttlMs: number | null,
  ): Promise<number> {
    const ttl = ttlMs ?? 0;
    // Hot path: the one-entry case written out (no spread).
    const sent =
      entries.length === 1
        ? this.client.evalsha(APPEND_SHA, 1, key, maxLength, ttl, entries[0])
        : this.client.evalsha(APPEND_SHA, 1, key, maxLength, ttl, ...entries);
    return (sent as Promise<number>).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.client.eval(APPEND_SCRIPT, 1, key, maxLength, ttl, ...entries) as Promise<number>;
    });
  }

  range(key: string): Promise<string[]> {
    return this.client.lrange(key, 0, -1);
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
