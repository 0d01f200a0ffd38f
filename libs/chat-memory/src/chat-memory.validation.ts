import {
  CONVERSATION_ID_PATTERN,
  DEFAULT_KEY_PREFIX,
  DEFAULT_MAX_CONTENT_BYTES,
  DEFAULT_MAX_TURNS,
  MAX_CONVERSATION_ID_LENGTH,
} from './chat-memory.constants.js';
import {
  ChatMemoryConfigError,
  InvalidContentError,
  InvalidConversationIdError,
  InvalidRoleError,
} from './chat-memory.errors.js';
import {
  CHAT_ROLES,
  isChatRole,
  type ChatMemoryModuleOptions,
  type ChatRole,
  type ResolvedChatMemoryConfig,
} from './chat-memory.interfaces.js';

/** Key prefixes take the conversation-id rules: no glob characters, no hash-tag braces. */
const isValidKeyPrefix = (value: unknown): value is string =>
  typeof value === 'string' &&
  value.length >= 1 &&
  value.length <= MAX_CONVERSATION_ID_LENGTH &&
  CONVERSATION_ID_PATTERN.test(value);

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  return typeof value;
}

/** Applies defaults to the module options and checks them; throws `ChatMemoryConfigError` naming the option. */
export function resolveChatMemoryConfig(
  options: ChatMemoryModuleOptions | undefined,
): ResolvedChatMemoryConfig {
  if (options == null || typeof options !== 'object') {
    throw new ChatMemoryConfigError('options', `expected an object, got ${describe(options)}`);
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || options.url === '')) {
    throw new ChatMemoryConfigError(
      'url',
      `expected a non-empty string, got ${describe(options.url)}`,
    );
  }
  if (options.store !== undefined) {
    const store = options.store as unknown as Record<string, unknown> | null;
    const missing = ['push', 'range', 'length', 'delete', 'ttl'].filter(
      (method) => typeof store?.[method] !== 'function',
    );
    if (missing.length > 0) {
      throw new ChatMemoryConfigError(
        'store',
        `not a ChatMemoryStore (missing ${missing.join(', ')})`,
      );
    }
  }
  validateConnectionOptions(options);
  const config = options.config ?? {};
  if (typeof config !== 'object') {
    throw new ChatMemoryConfigError('config', `expected an object, got ${describe(config)}`);
  }

  const maxTurns = config.maxTurns ?? DEFAULT_MAX_TURNS;
  if (!Number.isSafeInteger(maxTurns) || maxTurns < 1) {
    throw new ChatMemoryConfigError(
      'config.maxTurns',
      `expected a positive integer, got ${describe(maxTurns)}`,
    );
  }

  const ttlSeconds = config.ttlSeconds ?? null;
  let ttlMs: number | null = null;
  if (ttlSeconds !== null) {
    if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds < 0.001) {
      throw new ChatMemoryConfigError(
        'config.ttlSeconds',
        `expected null (no expiry) or a number of seconds >= 0.001, got ${describe(ttlSeconds)}`,
      );
    }
    ttlMs = Math.round(ttlSeconds * 1000);
  }

  const keyPrefix = config.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (!isValidKeyPrefix(keyPrefix)) {
    throw new ChatMemoryConfigError(
      'config.keyPrefix',
      `expected 1-128 characters from [A-Za-z0-9_.:@=-], got ${describe(keyPrefix)}`,
    );
  }

  const maxContentBytes = config.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  if (!Number.isSafeInteger(maxContentBytes) || maxContentBytes < 1) {
    throw new ChatMemoryConfigError(
      'config.maxContentBytes',
      `expected a positive integer, got ${describe(maxContentBytes)}`,
    );
  }

  return { maxTurns, maxMessages: maxTurns * 2, ttlMs, keyPrefix, maxContentBytes };
}

/** Throws `InvalidConversationIdError` unless `id` is 1-128 characters from `[A-Za-z0-9_.:@=-]`. */
export function assertConversationId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new InvalidConversationIdError(`conversationId must be a string, got ${describe(id)}`);
  }
  if (id.length === 0 || id.length > MAX_CONVERSATION_ID_LENGTH) {
    throw new InvalidConversationIdError(
      `conversationId must be 1-${MAX_CONVERSATION_ID_LENGTH} characters long, got ${id.length}`,
    );
  }
  if (!CONVERSATION_ID_PATTERN.test(id)) {
    throw new InvalidConversationIdError(
      `conversationId may only contain letters, digits and _ . : @ = -, got ${describe(id)}`,
    );
  }
}

/** Throws `InvalidRoleError` unless `role` is one of `CHAT_ROLES`. */
export function assertRole(role: unknown): asserts role is ChatRole {
  if (!isChatRole(role)) {
    throw new InvalidRoleError(
      `role must be one of ${CHAT_ROLES.join(', ')}, got ${describe(role)}`,
    );
  }
}

/** Throws `InvalidContentError` unless `content` is a string of at most `maxBytes` UTF-8 bytes. */
export function assertContent(
  content: unknown,
  maxBytes: number,
  label = 'content',
): asserts content is string {
  if (typeof content !== 'string') {
    throw new InvalidContentError(`${label} must be a string, got ${describe(content)}`);
  }
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes: skip the byte count for short strings.
  if (content.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > maxBytes) {
      throw new InvalidContentError(
        `${label} is ${bytes} bytes, more than the limit of ${maxBytes} bytes (config.maxContentBytes)`,
      );
    }
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isPort = (value: unknown): boolean =>
  Number.isSafeInteger(value) && (value as number) > 0 && (value as number) < 65536;
const isPositiveInteger = (value: unknown): boolean =>
  Number.isSafeInteger(value) && (value as number) > 0;

/** Checks `cluster`, `sentinel` and `connection`, and that at most one way to reach Redis is given. */
function validateConnectionOptions(options: ChatMemoryModuleOptions): void {
  const { cluster, sentinel, connection } = options;
  const given = (['store', 'client', 'cluster', 'sentinel', 'url'] as const).filter(
    (name) => options[name] !== undefined,
  );
  // `url` alongside `client` or `store` is ignored (documented); the newer options are strict.
  for (const name of ['cluster', 'sentinel'] as const) {
    const others = given.filter((other) => other !== name);
    if (options[name] !== undefined && others.length > 0) {
      throw new ChatMemoryConfigError(
        name,
        `cannot be combined with ${others.map((o) => `"${o}"`).join(', ')}; give one way to reach Redis`,
      );
    }
  }

  if (cluster !== undefined) {
    if (!isObject(cluster)) {
      throw new ChatMemoryConfigError(
        'cluster',
        `expected { nodes, options? }, got ${describe(cluster)}`,
      );
    }
    const nodes = cluster.nodes as unknown;
    if (!Array.isArray(nodes) || nodes.length === 0) {
      throw new ChatMemoryConfigError(
        'cluster.nodes',
        `expected a non-empty array of nodes, got ${describe(nodes)}`,
      );
    }
    nodes.forEach((node: unknown, i) => {
      const ok =
        (typeof node === 'string' && node !== '') ||
        isPort(node) ||
        (isObject(node) &&
          (node.host === undefined || (typeof node.host === 'string' && node.host !== '')) &&
          (node.port === undefined || isPort(node.port)));
      if (!ok) {
        throw new ChatMemoryConfigError(
          `cluster.nodes[${i}]`,
          `expected "host:port", a port or { host, port }, got ${describe(node)}`,
        );
      }
    });
    if (options.redisOptions !== undefined) {
      throw new ChatMemoryConfigError(
        'redisOptions',
        'is not used with "cluster": pass node options as cluster.options.redisOptions',
      );
    }
    if (cluster.options !== undefined && !isObject(cluster.options)) {
      throw new ChatMemoryConfigError(
        'cluster.options',
        `expected an object, got ${describe(cluster.options)}`,
      );
    }
  }

  if (sentinel !== undefined) {
    if (!isObject(sentinel)) {
      throw new ChatMemoryConfigError(
        'sentinel',
        `expected { sentinels, name }, got ${describe(sentinel)}`,
      );
    }
    const sentinels = sentinel.sentinels as unknown;
    if (!Array.isArray(sentinels) || sentinels.length === 0) {
      throw new ChatMemoryConfigError(
        'sentinel.sentinels',
        `expected a non-empty array of { host, port }, got ${describe(sentinels)}`,
      );
    }
    sentinels.forEach((address: unknown, i) => {
      if (
        !isObject(address) ||
        typeof address.host !== 'string' ||
        address.host === '' ||
        !isPort(address.port)
      ) {
        throw new ChatMemoryConfigError(
          `sentinel.sentinels[${i}]`,
          `expected { host, port }, got ${describe(address)}`,
        );
      }
    });
    if (typeof sentinel.name !== 'string' || sentinel.name === '') {
      throw new ChatMemoryConfigError(
        'sentinel.name',
        `expected the master group name (a non-empty string), got ${describe(sentinel.name)}`,
      );
    }
  }

  if (connection !== undefined) {
    if (!isObject(connection)) {
      throw new ChatMemoryConfigError(
        'connection',
        `expected an object, got ${describe(connection)}`,
      );
    }
    for (const name of ['commandTimeoutMs', 'readyTimeoutMs'] as const) {
      if (connection[name] !== undefined && !isPositiveInteger(connection[name])) {
        throw new ChatMemoryConfigError(
          `connection.${name}`,
          `expected a positive integer of milliseconds, got ${describe(connection[name])}`,
        );
      }
    }
    if (connection.failFast !== undefined && typeof connection.failFast !== 'boolean') {
      throw new ChatMemoryConfigError(
        'connection.failFast',
        `expected a boolean, got ${describe(connection.failFast)}`,
      );
    }
    if (connection.failFast && options.store !== undefined) {
      // Meaningless without Redis: say so rather than silently ignoring it.
      throw new ChatMemoryConfigError('connection.failFast', 'does not apply with "store"');
    }
  }
}
