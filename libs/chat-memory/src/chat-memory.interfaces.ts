import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { WIRE_FORMATS } from './chat-memory.constants.js';
import type { ChatMemoryControllerOptions } from './http/chat-memory-controller.interfaces.js';
import type { ChatMemoryService } from './chat-memory.service.js';
import type { ChatMessage } from './chat-message.interfaces.js';
import type { ChatMemoryTelemetry } from './chat-memory.telemetry.js';
import type { ChatMemoryStore, ChatMemoryWindow } from './store/chat-memory-store.interface.js';

export type { ChatMessage, ChatRole } from './chat-message.interfaces.js';

/**
 * How entries are written. `'native'`: the library's versioned JSON, which keeps ids, times, parts,
 * tool calls and metadata. `'ractogateway'`: exactly `{"role":...,"content":...}` as the Python
 * original writes it, so a Python service can keep reading and writing the same conversations;
 * only plain text messages can then be stored.
 */
export type ChatMemoryWireFormat = (typeof WIRE_FORMATS)[number];

/** How conversations are kept. Every field is optional; defaults are those of the original `RedisChatMemory`. */
export interface ChatMemoryConfig {
  /**
   * Turns kept per conversation. A turn starts at a `user` message and holds everything up to the
   * next one (the answer, tool calls and their results); messages before the first user message
   * form a turn of their own. Whole turns are dropped from the front, never the newest one. For
   * text conversations written in whole turns this keeps the last `maxTurns * 2` messages.
   * Default `10`.
   */
  maxTurns?: number;
  /**
   * Largest number of stored messages (the pinned prompt not counted). Whole turns are dropped
   * until the window fits, but the newest turn is always kept, even when it alone is longer.
   * `null`: only `maxTurns` and `maxTokens` bound the window. Default `null`.
   */
  maxMessages?: number | null;
  /**
   * Largest token sum of the stored messages (counted by `tokenCounter`, the pinned prompt not
   * counted); whole turns are dropped until it fits, never the newest turn. Not available with
   * `wireFormat: 'ractogateway'`. `null`: no token bound. Default `null`.
   */
  maxTokens?: number | null;
  /**
   * Counts a message's tokens when it is written (the count is stored with it). Must return an
   * integer >= 0 and be fast: it runs on every write. Default `estimateTokens` (about 4 characters
   * a token); `nestjs-chat-memory/tokenizer` has an exact o200k counter.
   */
  tokenCounter?: (message: ChatMessage) => number;
  /**
   * A system prompt that `getHistory` returns first for every conversation that has no pinned
   * prompt of its own (`setSystemPrompt`). It is not stored. Default `null`.
   */
  systemPrompt?: string | null;
  /**
   * Called after a write with the messages the window dropped, oldest first, and the service that
   * wrote them: to summarize them into the pinned prompt, or archive them. It runs after the write
   * has succeeded and is not awaited; an error it throws or rejects with is logged and never fails
   * the write. Default: unset (the script then does not send dropped messages back at all).
   */
  onEvict?: (
    conversationId: string,
    messages: ChatMessage[],
    memory: ChatMemoryService,
  ) => void | Promise<void>;
  /**
   * Titles for owned conversations (`forOwner`): called after the write that created one (its first
   * turn) with the messages of that write; the string it returns (trimmed, at most 256 characters)
   * becomes the conversation's title. It runs after the write and is not awaited; a failure is
   * logged and never fails the write. Default: unset (no titles but those you set).
   */
  generateTitle?: (
    messages: ChatMessage[],
    conversation: { owner: string; conversationId: string },
  ) => string | undefined | Promise<string | undefined>;
  /**
   * Time to live of a conversation, in seconds, refreshed on every write; fractions keep
   * millisecond precision (`0.5` is 500 ms). `null` or unset: conversations never expire. Default `null`.
   */
  ttlSeconds?: number | null;
  /** Key namespace; a conversation lives at `${keyPrefix}:${conversationId}`. Default `'chat-memory'`. */
  keyPrefix?: string;
  /**
   * Largest accepted message body in UTF-8 bytes: the content string, or the JSON of its parts,
   * plus the JSON of its tool calls. Default `65536` (64 KiB).
   */
  maxContentBytes?: number;
  /** Largest accepted message `metadata`, in UTF-8 bytes of its JSON. Default `16384` (16 KiB). */
  maxMetadataBytes?: number;
  /**
   * How entries are written: `'native'` (versioned JSON, every field kept) or `'ractogateway'`
   * (exactly `{"role","content"}`, readable by the Python original; a message with anything else
   * is refused). Entries of both formats are always read. Default `'native'`.
   */
  wireFormat?: ChatMemoryWireFormat;
}

/** Options of `ChatMemoryModule.forRoot()` (and what a `forRootAsync()` factory returns). */
export interface ChatMemoryModuleOptions {
  /**
   * Redis URL (`redis://` or `rediss://`) of the client the module creates. Not combinable with
   * `client`, `cluster`, `sentinel` or `store`. Default `'redis://localhost:6379/0'`.
   */
  url?: string;
  /**
   * An existing ioredis client (`Redis` or `Cluster`). The module uses it as it is: it adds no
   * listener, defines no command and never closes it. Not combinable with `url`, `redisOptions`,
   * `cluster`, `sentinel` or `store`.
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
   * Who owns the conversation of a request: typically `(request) => request.user?.id` after your
   * authentication guard. `@RecordChatTurn()`, `@ConversationHistory()` and the controller then
   * use only that owner's conversations (`ChatMemoryService.forOwner`); a request for which it gives
   * `undefined` is refused (401 from the controller, not recorded by `@RecordChatTurn()`). It is
   * never read from the request body by the library. Default: unset (conversations have no owner).
   */
  owner?(request: unknown): string | undefined;
  /**
   * Observes every `ChatMemoryService` call: `openTelemetry()` from `nestjs-chat-memory/opentelemetry`
   * makes a span per call and records metrics through `@opentelemetry/api`. Default: unset (nothing
   * is observed).
   */
  telemetry?: ChatMemoryTelemetry;
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

/**
 * Extra options of `forRoot` / `forRootAsync` that shape the module itself (they sit beside the
 * options, or beside `useFactory` / `useClass` / `useExisting`, never in what a factory returns).
 */
export interface ChatMemoryModuleExtras {
  /**
   * The instance's name, for apps with more than one. A named instance is injected with
   * `@InjectChatMemory(name)` / `@InjectChatMemoryRedis(name)` (tokens `getChatMemoryToken(name)` /
   * `getChatMemoryRedisToken(name)`) and recorded to with `@RecordChatTurn({ memory: name })`.
   * Default: unnamed (`ChatMemoryService` and `CHAT_MEMORY_REDIS` are its tokens).
   */
  name?: string;
  /** Register the module globally, so feature modules need not import it. Default `false`. */
  isGlobal?: boolean;
  /**
   * Mount the REST controller over the conversations (`true` for its defaults, or its options).
   * Without guards or `canAccess` it exposes every conversation to anyone who can reach it.
   * Default `false`.
   */
  controller?: boolean | ChatMemoryControllerOptions;
}

/** @internal The window and limits after defaults and checks; what the service reads on every call. */
export interface ResolvedChatMemoryConfig {
  readonly maxTurns: number;
  readonly maxMessages: number | null;
  readonly maxTokens: number | null;
  readonly ttlMs: number | null;
  readonly keyPrefix: string;
  readonly maxContentBytes: number;
  readonly maxMetadataBytes: number;
  readonly wireFormat: ChatMemoryWireFormat;
  readonly countTokens: (message: ChatMessage) => number;
  readonly systemPrompt: string | null;
  readonly onEvict:
    | ((conversationId: string, messages: ChatMessage[], memory: ChatMemoryService) => unknown)
    | null;
  readonly generateTitle: NonNullable<ChatMemoryConfig['generateTitle']> | null;
  readonly window: ChatMemoryWindow;
}

/** @internal Where the store lives: exactly one of the ways to reach Redis, or a custom store. */
export type ChatMemorySource =
  | { readonly kind: 'store'; readonly store: ChatMemoryStore }
  | { readonly kind: 'client'; readonly client: Redis | Cluster }
  | { readonly kind: 'url'; readonly url: string; readonly redisOptions: RedisOptions }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: { host: string; port: number }[];
      readonly name: string;
      readonly redisOptions: RedisOptions;
    }
  | { readonly kind: 'cluster'; readonly nodes: ClusterNode[]; readonly options: ClusterOptions };

/**
 * @internal The module options resolved once at boot: defaults applied, everything checked,
 * frozen. The connection, the store and the service read only this.
 */
export interface ResolvedChatMemoryOptions {
  readonly source: ChatMemorySource;
  /** For log lines: where the client connects (no credentials). */
  readonly target: string;
  readonly failFast: boolean;
  readonly readyTimeoutMs: number;
  readonly config: ResolvedChatMemoryConfig;
  readonly owner: ((request: unknown) => string | undefined) | null;
  readonly telemetry: ChatMemoryTelemetry | null;
}
