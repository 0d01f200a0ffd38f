/** Injection token of the ioredis client of the unnamed instance (`null` when a custom `store` is configured). */
export const CHAT_MEMORY_REDIS = Symbol('CHAT_MEMORY_REDIS');

/** @internal The options after defaults and boot-time checks (`ResolvedChatMemoryOptions`). */
export const CHAT_MEMORY_RESOLVED_OPTIONS = Symbol('CHAT_MEMORY_RESOLVED_OPTIONS');
/** @internal The Redis connection and whether the module owns it. */
export const CHAT_MEMORY_CONNECTION = Symbol('CHAT_MEMORY_CONNECTION');
/** @internal The ChatMemoryStore in use. */
export const CHAT_MEMORY_STORE = Symbol('CHAT_MEMORY_STORE');

/** The context of every log line of the library. */
export const LOGGER_CONTEXT = 'ChatMemory';

/** The roles a stored message may have. */
export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

/** Default Redis URL, as in the original Python `RedisChatMemory`. */
export const DEFAULT_REDIS_URL = 'redis://localhost:6379/0';
/** Default number of turns (user + assistant pairs) kept per conversation. */
export const DEFAULT_MAX_TURNS = 10;
/** Default key prefix: keys are `${keyPrefix}:${conversationId}`. */
export const DEFAULT_KEY_PREFIX = 'chat-memory';
/** Default largest message content, in UTF-8 bytes (64 KiB). */
export const DEFAULT_MAX_CONTENT_BYTES = 64 * 1024;
/** Default largest message metadata, in UTF-8 bytes of its JSON (16 KiB). */
export const DEFAULT_MAX_METADATA_BYTES = 16 * 1024;
/** How entries are written: the library's own versioned JSON, or the Python original's `{"role","content"}`. */
export const WIRE_FORMATS = ['native', 'ractogateway'] as const;
/** Longest caller-given message id. */
export const MAX_MESSAGE_ID_LENGTH = 128;
/** A caller-given message id: letters, digits and `_ . : -`, starting with a letter or digit. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** Longest tool call id, tool call name, `toolCallId` and `name`. */
export const MAX_NAME_LENGTH = 256;
/** Most messages one `append` call may store. */
export const MAX_MESSAGES_PER_CALL = 1000;
/** Default ioredis `commandTimeout` for clients the module creates, in milliseconds. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** Default time boot waits for Redis with `connection.failFast`, in milliseconds. */
export const DEFAULT_READY_TIMEOUT_MS = 5000;
/** Longest accepted conversation id. */
export const MAX_CONVERSATION_ID_LENGTH = 128;
/** Characters accepted in a conversation id. */
export const CONVERSATION_ID_PATTERN = /^[A-Za-z0-9_.:@=-]+$/;
/** URL schemes accepted in the `url` option. */
export const REDIS_URL_PROTOCOLS: readonly string[] = ['redis:', 'rediss:'];

/** Default route prefix of the opt-in controller. */
export const DEFAULT_CHAT_MEMORY_CONTROLLER_PATH = 'chat-memory/conversations';

/** @internal Metadata key of the `@RecordChatTurn()` options. */
export const RECORD_CHAT_TURN_METADATA = 'chat-memory:record-chat-turn';
/** @internal Metadata key set on a handler that has a `@ConversationHistory()` parameter. */
export const CONVERSATION_HISTORY_PARAM_METADATA = 'chat-memory:conversation-history-param';
/** Default marker appended to the answer of a stream the client left early. */
export const DEFAULT_INTERRUPTED_MARKER = ' [interrupted]';
