/** Injection token of the ioredis client used by the chat memory (`null` when a custom `store` is configured). */
export const CHAT_MEMORY_REDIS = Symbol('CHAT_MEMORY_REDIS');

/** @internal Resolved, validated configuration. */
export const CHAT_MEMORY_CONFIG = Symbol('CHAT_MEMORY_CONFIG');
/** @internal The Redis connection and whether the module owns it. */
export const CHAT_MEMORY_CONNECTION = Symbol('CHAT_MEMORY_CONNECTION');
/** @internal The ChatMemoryStore in use. */
export const CHAT_MEMORY_STORE = Symbol('CHAT_MEMORY_STORE');

/** Default Redis URL, as in the original Python `RedisChatMemory`. */
export const DEFAULT_REDIS_URL = 'redis://localhost:6379/0';
/** Default number of turns (user + assistant pairs) kept per conversation. */
export const DEFAULT_MAX_TURNS = 10;
/** Default key prefix: keys are `${keyPrefix}:${conversationId}`. */
export const DEFAULT_KEY_PREFIX = 'chat-memory';
/** Default largest message content, in UTF-8 bytes (64 KiB). */
export const DEFAULT_MAX_CONTENT_BYTES = 64 * 1024;
/** Default ioredis `commandTimeout` for clients the module creates, in milliseconds. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** Default time boot waits for Redis with `connection.failFast`, in milliseconds. */
export const DEFAULT_READY_TIMEOUT_MS = 5000;
/** Longest accepted conversation id. */
export const MAX_CONVERSATION_ID_LENGTH = 128;
/** Characters accepted in a conversation id. */
export const CONVERSATION_ID_PATTERN = /^[A-Za-z0-9_.:@=-]+$/;
