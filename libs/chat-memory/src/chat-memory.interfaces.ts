import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { ChatMemoryStore } from './store/chat-memory-store.interface.js';

/** The roles a stored message may have. */
export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

/** A message role: `system`, `user`, `assistant` or `tool`. */
export type ChatRole = (typeof CHAT_ROLES)[number];

const ROLES: ReadonlySet<unknown> = new Set(CHAT_ROLES);

/** @internal Whether `value` is one of `CHAT_ROLES`. */
export const isChatRole = (value: unknown): value is ChatRole => ROLES.has(value);

/** One stored message, as returned by `ChatMemoryService.getHistory()`. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** How conversations are kept. Every field is optional; defaults are those of the original `RedisChatMemory`. */
export interface ChatMemoryConfig {
  /** Turns kept per conversation; the list holds at most `maxTurns * 2` messages. Default `10`. */
  maxTurns?: number;
  /**
   * Time to live of a conversation, in seconds, refreshed on every write; fractions keep
   * millisecond precision (`0.5` is 500 ms). `null` or unset: conversations never expire. Default `null`.
   */
  ttlSeconds?: number | null;
  /** Key namespace; a conversation lives at `${keyPrefix}:${conversationId}`. Default `'chat-memory'`. */
  keyPrefix?: string;
  /** Largest accepted message content in UTF-8 bytes. Default `65536` (64 KiB). */
  maxContentBytes?: number;
}

/** Options of `ChatMemoryModule.forRoot()` (and what a `forRootAsync()` factory returns). */
export interface ChatMemoryModuleOptions {
  /** Redis URL used when no `client` is given. Default `'redis://localhost:6379/0'`. */
  url?: string;
  /**
   * An existing ioredis client (`Redis` or `Cluster`). When given, `url` and `redisOptions` are
   * ignored and the module never closes it.
   */
  client?: Redis | Cluster;
  /**
   * ioredis options for the client the module creates from `url` or `sentinel` (with `cluster`,
   * use `cluster.options.redisOptions`). `commandTimeout` defaults to 2000 ms (see
   * `connection.commandTimeoutMs`), so calls fail within a bounded time when Redis is unreachable.
   */
  redisOptions?: RedisOptions;
  /**
   * Connect to a Redis Cluster instead of a single server: the module creates an ioredis `Cluster`
   * from `nodes` (one or more reachable members) and `options`. Not combinable with `url`,
   * `client` or `sentinel`. Default: unset.
   */
  cluster?: ChatMemoryClusterOptions;
  /**
   * Connect through Redis Sentinel: the module asks the `sentinels` for the current master of the
   * group `name` and follows failovers. `redisOptions` (password, db, `sentinelPassword`, ...)
   * apply. Not combinable with `url`, `client` or `cluster`. Default: unset.
   */
  sentinel?: ChatMemorySentinelOptions;
  /** Command timeout and what to do when Redis is unreachable at startup. */
  connection?: ChatMemoryConnectionOptions;
  /** Window, TTL, key prefix and content limit. */
  config?: ChatMemoryConfig;
  /**
   * A custom store instead of Redis (for example `new InMemoryChatMemoryStore()` for unit tests
   * or running without Redis). When given, no Redis client is created and `CHAT_MEMORY_REDIS` is `null`.
   */
  store?: ChatMemoryStore;
}

/** Redis Cluster connection: `ChatMemoryModuleOptions.cluster`. */
export interface ChatMemoryClusterOptions {
  /** Startup nodes, e.g. `[{ host: '10.0.0.1', port: 6379 }]` or `['redis://10.0.0.1:6379']`. */
  nodes: ClusterNode[];
  /**
   * ioredis `ClusterOptions`; per-node settings (password, TLS) go in `options.redisOptions`, whose
   * `commandTimeout` defaults to 2000 ms (`connection.commandTimeoutMs` takes precedence). Default `{}`.
   */
  options?: ClusterOptions;
}

/** Redis Sentinel connection: `ChatMemoryModuleOptions.sentinel`. */
export interface ChatMemorySentinelOptions {
  /** Sentinel addresses, e.g. `[{ host: '10.0.0.1', port: 26379 }]`. */
  sentinels: { host: string; port: number }[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> ...`). */
  name: string;
}

/** How the module's own Redis client behaves when Redis is slow or unreachable. */
export interface ChatMemoryConnectionOptions {
  /**
   * Milliseconds after which a Redis command fails with `ChatMemoryStoreError`, for clients the
   * module creates (a `client` you pass keeps its own settings). Default `redisOptions.commandTimeout`, else `2000`.
   */
  commandTimeoutMs?: number;
  /**
   * `true`: the application refuses to start (`ChatMemoryConnectionError`) unless Redis is ready
   * within `readyTimeoutMs`. `false`: it starts anyway, logs a warning, and calls fail with
   * `ChatMemoryStoreError` until Redis is reachable. Default `false`.
   */
  failFast?: boolean;
  /** With `failFast`, how long boot waits for Redis, in milliseconds. Default `5000`. */
  readyTimeoutMs?: number;
}

/** @internal Configuration after defaults and validation. */
export interface ResolvedChatMemoryConfig {
  maxTurns: number;
  maxMessages: number;
  ttlMs: number | null;
  keyPrefix: string;
  maxContentBytes: number;
}
