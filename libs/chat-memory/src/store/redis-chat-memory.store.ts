import type { Cluster, Redis } from 'ioredis';
import {
  WindowRuleError,
  type ChatMemoryListCursor,
  type ChatMemoryOwnedConversation,
  type ChatMemoryOwnerKeys,
  type ChatMemoryStoredRecord,
  type ChatMemoryPushResult,
  type ChatMemoryReadQuery,
  type ChatMemoryReadResult,
  type ChatMemoryStore,
  type ChatMemoryStoreMessage,
  type ChatMemoryWindow,
} from './chat-memory-store.interface.js';
import { SCRIPTS, windowKeyOf, type RedisScript } from './redis-chat-memory.scripts.js';

type Arg = string | number;

const ROLE_LETTER = { system: 's', user: 'u', assistant: 'a', tool: 't' } as const;
const RULE_REPLY = /^CHATMEMORY (orphan|open) (\d+)/;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** A script's error reply for a broken tool-call rule, as a `WindowRuleError`; other errors as they are. */
function ruleError(error: unknown): unknown {
  const match = error instanceof Error ? RULE_REPLY.exec(error.message) : null;
  return match ? new WindowRuleError(match[1] as 'orphan' | 'open', Number(match[2])) : error;
}

/**
 * The reply of an append script: `{ length, skipped count, 2 * trimmed count + created,
 * skipped..., evicted... }`.
 */
function pushResult(reply: unknown[]): ChatMemoryPushResult {
  const skippedCount = reply[1] as number;
  const rest = 3 + skippedCount;
  const trimmedAndCreated = reply[2] as number;
  return {
    length: reply[0] as number,
    skipped: skippedCount === 0 ? [] : (reply.slice(3, rest) as number[]),
    evicted: reply.length > rest ? (reply.slice(rest) as string[]) : [],
    created: trimmedAndCreated % 2 === 1,
    trimmed: Math.floor(trimmedAndCreated / 2),
  };
}

/**
 * @internal The Redis store: one List per conversation, plus a small window hash beside it in the
 * same Cluster slot (see `redis-chat-memory.scripts.ts`). Writes and windowed reads are scripts run
 * by EVALSHA; when the server does not know a script (first call after a restart, a failover or
 * SCRIPT FLUSH), it is sent once by EVAL, which also caches it there. Works with `Redis` and
 * `Cluster` clients, and leaves the client as it was given (no `defineCommand`).
 */
export class RedisChatMemoryStore implements ChatMemoryStore {
  constructor(private readonly client: Redis | Cluster) {}

  push(
    key: string,
    messages: readonly ChatMemoryStoreMessage[],
    window: ChatMemoryWindow,
    ttlMs: number | null,
    returnEvicted: boolean,
    owned?: ChatMemoryOwnedConversation,
  ): Promise<ChatMemoryPushResult> {
    const ttl = ttlMs ?? 0;
    const evicted = returnEvicted ? 1 : 0;
    let sent: Promise<unknown>;
    if (window.format === 'ractogateway') {
      const max = Math.min(window.maxTurns * 2, window.maxMessages ?? Infinity);
      const args: Arg[] = [max, evicted, ttl];
      for (const message of messages) args.push(message.entry);
      sent = this.run(SCRIPTS.compatAppend, [key], args);
    } else {
      const args: Arg[] = [
        window.maxTurns,
        window.maxMessages ?? 0,
        window.maxTokens ?? 0,
        ttl,
        evicted,
        messages.length,
      ];
      for (const { entry, id, role, tokens, toolCallIds } of messages) {
        args.push(entry, id ?? '', ROLE_LETTER[role], tokens, toolCallIds?.length ?? 0);
        if (toolCallIds !== undefined) for (const callId of toolCallIds) args.push(callId);
      }
      const keys = [key, windowKeyOf(key)];
      if (owned) {
        keys.push(owned.indexKey);
        args.push(owned.conversationId);
      }
      sent = this.run(SCRIPTS.windowAppend, keys, args);
    }
    return sent.then(pushResult as (reply: unknown) => ChatMemoryPushResult, (error: unknown) => {
      throw ruleError(error);
    });
  }

  async pin(
    key: string,
    message: ChatMemoryStoreMessage | null,
    ttlMs: number | null,
    owned?: ChatMemoryOwnedConversation,
  ): Promise<number> {
    const args: Arg[] = message
      ? [message.entry, message.id ?? '', ttlMs ?? 0, message.tokens]
      : ['', '', ttlMs ?? 0, 0];
    const keys = [key, windowKeyOf(key)];
    if (owned) {
      keys.push(owned.indexKey);
      args.push(owned.conversationId);
    }
    return (await this.run(SCRIPTS.windowPin, keys, args)) as number;
  }

  async read(key: string, query: ChatMemoryReadQuery): Promise<ChatMemoryReadResult> {
    const reply = (await this.run(
      SCRIPTS.windowRead,
      [key, windowKeyOf(key)],
      [query.maxTokens ?? 0, query.limit ?? 0, query.before ?? '', query.defaultPromptTokens ?? 0],
    )) as unknown[];
    const status = reply[0] as number;
    if (status === 0) {
      return { entries: await this.range(key), more: false, found: true, selected: false };
    }
    const entries = reply.slice(3) as string[];
    if (typeof reply[2] === 'string') entries.unshift(reply[2]);
    return { entries, more: reply[1] === 1, found: status === 1, selected: true };
  }

  range(key: string): Promise<string[]> {
    return this.client.lrange(key, 0, -1);
  }

  length(key: string): Promise<number> {
    return this.client.llen(key);
  }

  async delete(key: string, owned?: ChatMemoryOwnedConversation): Promise<boolean> {
    if (owned) {
      const keys = [key, windowKeyOf(key), owned.indexKey];
      return (await this.run(SCRIPTS.ownerDelete, keys, [owned.conversationId])) === 1;
    }
    // Both keys share one slot (hash tag), so one DEL works on a Cluster too.
    return (await this.client.del(key, windowKeyOf(key))) > 0;
  }

  async listOwned(
    owner: ChatMemoryOwnerKeys,
    limit: number,
    cursor: ChatMemoryListCursor | null,
    ttlMs: number | null,
  ): Promise<{ records: ChatMemoryStoredRecord[]; next: ChatMemoryListCursor | null }> {
    const reply = (await this.run(
      SCRIPTS.ownerList,
      [owner.indexKey],
      [
        limit,
        cursor ? cursor.updatedAt : '',
        cursor ? cursor.conversationId : '',
        ttlMs ?? 0,
        owner.base,
      ],
    )) as (string | number | null)[];
    const records: ChatMemoryStoredRecord[] = [];
    for (let i = 2; i < reply.length; i += 6) {
      records.push({
        conversationId: reply[i] as string,
        updatedAt: Number(reply[i + 1]),
        createdAt: Number(reply[i + 2]),
        count: Number(reply[i + 3]),
        title: (reply[i + 4] as string | null) ?? null,
        metadataJson: (reply[i + 5] as string | null) ?? null,
      });
    }
    const next =
      reply[0] === null
        ? null
        : { updatedAt: Number(reply[0]), conversationId: reply[1] as string };
    return { records, next };
  }

  async updateOwned(
    key: string,
    change: { title?: string | null; metadataJson?: string | null },
  ): Promise<boolean> {
    const args: Arg[] = [
      change.title === undefined ? 0 : 1,
      change.title ?? '',
      change.metadataJson === undefined ? 0 : 1,
      change.metadataJson ?? '',
    ];
    return (await this.run(SCRIPTS.ownerUpdate, [key, windowKeyOf(key)], args)) === 1;
  }

  async eraseOwned(
    owner: ChatMemoryOwnerKeys,
    batch: number,
  ): Promise<{ deleted: number; left: number }> {
    const [deleted, left] = (await this.run(
      SCRIPTS.ownerErase,
      [owner.indexKey],
      [batch, owner.base],
    )) as [number, number];
    return { deleted, left };
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.client.pttl(key);
    return ms >= 0 ? ms : null;
  }

  private run(script: RedisScript, keys: string[], args: Arg[]): Promise<unknown> {
    return this.client
      .evalsha(script.sha, keys.length, ...keys, ...args)
      .catch((error: unknown) => {
        if (!isNoScript(error)) throw error;
        return this.client.eval(script.source, keys.length, ...keys, ...args);
      });
  }
}
