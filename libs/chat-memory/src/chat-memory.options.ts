import type { RedisOptions } from 'ioredis';
import {
  CONVERSATION_ID_PATTERN,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_MAX_CONTENT_BYTES,
  DEFAULT_MAX_METADATA_BYTES,
  DEFAULT_MAX_TURNS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_REDIS_URL,
  WIRE_FORMATS,
  MAX_CONVERSATION_ID_LENGTH,
  REDIS_URL_PROTOCOLS,
} from './chat-memory.constants.js';
import { ChatMemoryConfigError } from './chat-memory.errors.js';
import type {
  ChatMemoryModuleExtras,
  ChatMemoryModuleOptions,
  ChatMemoryWireFormat,
  ChatMemorySource,
  ResolvedChatMemoryConfig,
  ResolvedChatMemoryOptions,
} from './chat-memory.interfaces.js';
import { OptionMessages } from './chat-memory.messages.js';
import type { ChatMessage } from './chat-message.interfaces.js';
import { estimateTokens } from './chat-message.tokens.js';

/** The keys each options object may have; anything else is a typo or a misplaced option. */
const KNOWN_KEYS = {
  '': [
    'url',
    'client',
    'redisOptions',
    'cluster',
    'sentinel',
    'connection',
    'config',
    'store',
    'owner',
    'telemetry',
  ],
  config: [
    'maxTurns',
    'ttlSeconds',
    'keyPrefix',
    'maxContentBytes',
    'maxMetadataBytes',
    'wireFormat',
    'maxMessages',
    'maxTokens',
    'tokenCounter',
    'systemPrompt',
    'onEvict',
    'generateTitle',
  ],
  connection: ['commandTimeoutMs', 'failFast', 'readyTimeoutMs'],
  cluster: ['nodes', 'options'],
  sentinel: ['sentinels', 'name'],
} as const satisfies Record<string, readonly string[]>;

/** Options of `forRoot` / `forRootAsync` themselves, never of the options object. */
const EXTRA_KEYS: readonly string[] = [
  'name',
  'isGlobal',
  'controller',
] satisfies (keyof ChatMemoryModuleExtras)[];

/** The ways to reach Redis, of which at most one may be given (an error names the first given). */
const SOURCES = ['cluster', 'sentinel', 'url', 'client', 'store'] as const;

const STORE_METHODS = ['push', 'pin', 'read', 'range', 'length', 'delete', 'ttl'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isPort = (value: unknown): boolean =>
  Number.isSafeInteger(value) && (value as number) > 0 && (value as number) < 65536;
const isPositiveInteger = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) > 0;
const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== '';

function fail(option: string, message: string): never {
  throw new ChatMemoryConfigError(option, message);
}

/** Throws for the first key of `value` that is not in `KNOWN_KEYS[path]`. */
function checkKeys(value: Record<string, unknown>, path: keyof typeof KNOWN_KEYS): void {
  const known: readonly string[] = KNOWN_KEYS[path];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const option = path === '' ? key : `${path}.${key}`;
    if (path === '' && EXTRA_KEYS.includes(key)) fail(option, OptionMessages.extraInFactory(key));
    fail(option, OptionMessages.unknown(known));
  }
}

/** Checks an optional sub-object and returns it (`{}` when absent). */
function section(
  options: Record<string, unknown>,
  path: 'config' | 'connection' | 'cluster' | 'sentinel',
  expected: string,
): Record<string, unknown> {
  const value = options[path];
  if (value === undefined) return {};
  if (!isObject(value)) fail(path, OptionMessages.expected(expected, value));
  checkKeys(value, path);
  return value;
}

/**
 * Applies defaults to the module options and checks them once, at boot; the result is frozen.
 * Throws `ChatMemoryConfigError` naming the first option at fault.
 */
export function resolveChatMemoryOptions(input: unknown): ResolvedChatMemoryOptions {
  if (!isObject(input)) fail('options', OptionMessages.expected('an object', input));
  checkKeys(input, '');
  const options = input as ChatMemoryModuleOptions & Record<string, unknown>;
  const config = section(options, 'config', 'an object');
  const connection = section(options, 'connection', 'an object');

  const commandTimeoutMs = optionalPositiveInteger(connection, 'commandTimeoutMs');
  const readyTimeoutMs =
    optionalPositiveInteger(connection, 'readyTimeoutMs') ?? DEFAULT_READY_TIMEOUT_MS;
  const failFast = connection.failFast ?? false;
  if (typeof failFast !== 'boolean') {
    fail('connection.failFast', OptionMessages.expected('a boolean', failFast));
  }

  const source = resolveSource(options, commandTimeoutMs);
  if (failFast && source.kind === 'store') {
    fail('connection.failFast', OptionMessages.failFastWithStore());
  }

  const owner = options.owner ?? null;
  if (owner !== null && typeof owner !== 'function') {
    fail('owner', OptionMessages.expected('a function (request) => string | undefined', owner));
  }
  const resolved = resolveConfig(config);
  if (owner !== null && resolved.wireFormat === 'ractogateway') {
    fail('owner', OptionMessages.ownerWithRactogateway());
  }
  const telemetry = options.telemetry ?? null;
  if (
    telemetry !== null &&
    typeof (telemetry as { startOperation?: unknown }).startOperation !== 'function'
  ) {
    fail(
      'telemetry',
      OptionMessages.expected(
        'a telemetry integration, such as openTelemetry() from nestjs-chat-memory/opentelemetry',
        telemetry,
      ),
    );
  }

  return Object.freeze({
    source: Object.freeze(source),
    target: describeTarget(source),
    failFast,
    readyTimeoutMs,
    config: resolved,
    owner: owner as ResolvedChatMemoryOptions['owner'],
    telemetry,
  });
}

function optionalPositiveInteger(
  connection: Record<string, unknown>,
  name: 'commandTimeoutMs' | 'readyTimeoutMs',
): number | undefined {
  const value = connection[name];
  if (value === undefined) return undefined;
  if (!isPositiveInteger(value)) {
    fail(
      `connection.${name}`,
      OptionMessages.expected('a positive integer of milliseconds', value),
    );
  }
  return value;
}

/** Which way to reach Redis, checked; with the command timeout applied to clients we create. */
function resolveSource(
  options: ChatMemoryModuleOptions & Record<string, unknown>,
  commandTimeoutMs: number | undefined,
): ChatMemorySource {
  const given = SOURCES.filter((name) => options[name] !== undefined);
  if (given.length > 1) fail(given[0], OptionMessages.notCombinable(given.slice(1)));
  const kind = given[0] ?? 'url';
  if (options.redisOptions !== undefined) {
    if (kind !== 'url' && kind !== 'sentinel') {
      fail('redisOptions', OptionMessages.redisOptionsUnused(kind));
    }
    if (!isObject(options.redisOptions)) {
      fail('redisOptions', OptionMessages.expected('an object', options.redisOptions));
    }
  }
  const userRedisOptions: RedisOptions = options.redisOptions ?? {};
  const redisOptions: RedisOptions = {
    ...userRedisOptions,
    commandTimeout:
      commandTimeoutMs ?? userRedisOptions.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
  };

  switch (kind) {
    case 'store': {
      const store = options.store as unknown as Record<string, unknown> | null;
      const missing = STORE_METHODS.filter((method) => typeof store?.[method] !== 'function');
      if (missing.length > 0) fail('store', OptionMessages.notAStore(missing));
      return { kind, store: options.store! };
    }
    case 'client': {
      const client = options.client as unknown as Record<string, unknown> | null;
      if (!isObject(client) || typeof client.evalsha !== 'function') {
        fail('client', OptionMessages.expected('an ioredis Redis or Cluster client', client));
      }
      return { kind, client: options.client! };
    }
    case 'cluster':
      return resolveCluster(options, commandTimeoutMs);
    case 'sentinel':
      return resolveSentinel(options, redisOptions);
    case 'url': {
      const url = options.url ?? DEFAULT_REDIS_URL;
      if (!isNonEmptyString(url)) fail('url', OptionMessages.expected('a non-empty string', url));
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        fail('url', OptionMessages.badUrl(url));
      }
      if (!REDIS_URL_PROTOCOLS.includes(protocol))
        fail('url', OptionMessages.badUrlScheme(protocol));
      return { kind, url, redisOptions };
    }
  }
}

function resolveCluster(
  options: ChatMemoryModuleOptions & Record<string, unknown>,
  commandTimeoutMs: number | undefined,
): ChatMemorySource {
  const cluster = section(options, 'cluster', '{ nodes, options? }');
  const nodes = cluster.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    fail('cluster.nodes', OptionMessages.expected('a non-empty array of nodes', nodes));
  }
  nodes.forEach((node: unknown, i) => {
    const ok =
      isNonEmptyString(node) ||
      isPort(node) ||
      (isObject(node) &&
        (node.host === undefined || isNonEmptyString(node.host)) &&
        (node.port === undefined || isPort(node.port)));
    if (!ok) {
      fail(
        `cluster.nodes[${i}]`,
        OptionMessages.expected('"host:port", a port or { host, port }', node),
      );
    }
  });
  const clusterOptions = cluster.options ?? {};
  if (!isObject(clusterOptions)) {
    fail('cluster.options', OptionMessages.expected('an object', clusterOptions));
  }
  const nodeOptions = (clusterOptions.redisOptions ?? {}) as RedisOptions;
  return {
    kind: 'cluster',
    nodes,
    options: {
      ...clusterOptions,
      redisOptions: {
        ...nodeOptions,
        commandTimeout:
          commandTimeoutMs ?? nodeOptions.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
      },
    },
  };
}

function resolveSentinel(
  options: ChatMemoryModuleOptions & Record<string, unknown>,
  redisOptions: RedisOptions,
): ChatMemorySource {
  const sentinel = section(options, 'sentinel', '{ sentinels, name }');
  const sentinels = sentinel.sentinels;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    fail(
      'sentinel.sentinels',
      OptionMessages.expected('a non-empty array of { host, port }', sentinels),
    );
  }
  sentinels.forEach((address: unknown, i) => {
    if (!isObject(address) || !isNonEmptyString(address.host) || !isPort(address.port)) {
      fail(`sentinel.sentinels[${i}]`, OptionMessages.expected('{ host, port }', address));
    }
  });
  if (!isNonEmptyString(sentinel.name)) {
    fail(
      'sentinel.name',
      OptionMessages.expected('the master group name (a non-empty string)', sentinel.name),
    );
  }
  return { kind: 'sentinel', sentinels, name: sentinel.name, redisOptions };
}

/** Where the client connects, for log lines (no credentials). */
function describeTarget(source: ChatMemorySource): string {
  switch (source.kind) {
    case 'cluster':
      return `Redis Cluster (${source.nodes.length} startup node(s))`;
    case 'sentinel':
      return `Redis Sentinel master "${source.name}"`;
    case 'client':
      return 'the given Redis client';
    case 'store':
      return 'the custom store';
    case 'url':
      return `Redis at ${source.url.replace(/\/\/[^@/]*@/, '//***@')}`;
  }
}

/** Key prefixes take the conversation-id rules: no glob characters, no hash-tag braces. */
const isValidKeyPrefix = (value: unknown): value is string =>
  typeof value === 'string' &&
  value.length >= 1 &&
  value.length <= MAX_CONVERSATION_ID_LENGTH &&
  CONVERSATION_ID_PATTERN.test(value);

function resolveConfig(config: Record<string, unknown>): ResolvedChatMemoryConfig {
  const maxTurns = config.maxTurns ?? DEFAULT_MAX_TURNS;
  if (!isPositiveInteger(maxTurns)) {
    fail('config.maxTurns', OptionMessages.expected('a positive integer', maxTurns));
  }

  const ttlSeconds = config.ttlSeconds ?? null;
  let ttlMs: number | null = null;
  if (ttlSeconds !== null) {
    if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds < 0.001) {
      fail(
        'config.ttlSeconds',
        OptionMessages.expected('null (no expiry) or a number of seconds >= 0.001', ttlSeconds),
      );
    }
    ttlMs = Math.round(ttlSeconds * 1000);
  }

  const keyPrefix = config.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (!isValidKeyPrefix(keyPrefix)) {
    fail(
      'config.keyPrefix',
      OptionMessages.expected('1-128 characters from [A-Za-z0-9_.:@=-]', keyPrefix),
    );
  }

  const maxContentBytes = config.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  if (!isPositiveInteger(maxContentBytes)) {
    fail('config.maxContentBytes', OptionMessages.expected('a positive integer', maxContentBytes));
  }

  const maxMetadataBytes = config.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  if (!isPositiveInteger(maxMetadataBytes)) {
    fail(
      'config.maxMetadataBytes',
      OptionMessages.expected('a positive integer', maxMetadataBytes),
    );
  }

  const wireFormat = config.wireFormat ?? 'native';
  if (!(WIRE_FORMATS as readonly unknown[]).includes(wireFormat)) {
    fail(
      'config.wireFormat',
      OptionMessages.expected(WIRE_FORMATS.map((f) => `'${f}'`).join(' or '), wireFormat),
    );
  }

  const maxMessages = config.maxMessages ?? null;
  if (maxMessages !== null && !isPositiveInteger(maxMessages)) {
    fail('config.maxMessages', OptionMessages.expected('null or a positive integer', maxMessages));
  }
  const maxTokens = config.maxTokens ?? null;
  if (maxTokens !== null && !isPositiveInteger(maxTokens)) {
    fail('config.maxTokens', OptionMessages.expected('null or a positive integer', maxTokens));
  }
  if (maxTokens !== null && wireFormat === 'ractogateway') {
    fail('config.maxTokens', OptionMessages.notWithRactogateway());
  }
  const tokenCounter = config.tokenCounter ?? estimateTokens;
  if (typeof tokenCounter !== 'function') {
    fail(
      'config.tokenCounter',
      OptionMessages.expected('a function (message) => number', tokenCounter),
    );
  }
  const systemPrompt = config.systemPrompt ?? null;
  if (systemPrompt !== null && !isNonEmptyString(systemPrompt)) {
    fail(
      'config.systemPrompt',
      OptionMessages.expected('null or a non-empty string', systemPrompt),
    );
  }
  const onEvict = config.onEvict ?? null;
  if (onEvict !== null && typeof onEvict !== 'function') {
    fail(
      'config.onEvict',
      OptionMessages.expected('a function (conversationId, messages)', onEvict),
    );
  }

  const generateTitle = config.generateTitle ?? null;
  if (generateTitle !== null && typeof generateTitle !== 'function') {
    fail(
      'config.generateTitle',
      OptionMessages.expected('a function (messages, conversation) => string', generateTitle),
    );
  }

  const count = tokenCounter as (message: ChatMessage) => number;
  const countTokens = (message: ChatMessage): number => {
    const tokens = count(message);
    if (!Number.isSafeInteger(tokens) || tokens < 0) {
      throw new ChatMemoryConfigError(
        'config.tokenCounter',
        OptionMessages.expected('a function that returns an integer >= 0', tokens),
      );
    }
    return tokens;
  };

  return Object.freeze({
    maxTurns,
    maxMessages,
    maxTokens,
    ttlMs,
    keyPrefix,
    maxContentBytes,
    maxMetadataBytes,
    wireFormat: wireFormat as ChatMemoryWireFormat,
    countTokens,
    systemPrompt,
    onEvict: onEvict as ResolvedChatMemoryConfig['onEvict'],
    generateTitle: generateTitle as ResolvedChatMemoryConfig['generateTitle'],
    window: Object.freeze({
      format: wireFormat as ChatMemoryWireFormat,
      maxTurns,
      maxMessages,
      maxTokens,
    }),
  });
}

/** Checks the `name` extra of `forRoot` / `forRootAsync`. */
export function assertInstanceName(name: unknown): asserts name is string | undefined {
  if (name !== undefined && !isNonEmptyString(name)) {
    fail('name', OptionMessages.expected('a non-empty string', name));
  }
}
