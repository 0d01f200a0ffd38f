import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ChatMemoryConfigError } from './chat-memory.errors.js';
import { resolveChatMemoryOptions } from './chat-memory.options.js';
import { InMemoryChatMemoryStore } from './store/in-memory-chat-memory.store.js';

/** The `ChatMemoryConfigError` that resolving `options` throws. */
function errorOf(options: unknown): ChatMemoryConfigError {
  try {
    resolveChatMemoryOptions(options);
  } catch (error) {
    if (error instanceof ChatMemoryConfigError) return error;
    throw error;
  }
  throw new Error('resolved without an error');
}

/** The `commandTimeout` of the client the module would create from `options` (a URL). */
function timeoutOf(options: object): number | undefined {
  const { source } = resolveChatMemoryOptions(options);
  return source.kind === 'url' ? source.redisOptions.commandTimeout : undefined;
}

describe('resolveChatMemoryOptions', () => {
  it('applies the documented defaults, once, into a frozen spec', () => {
    const spec = resolveChatMemoryOptions({});
    expect(spec.config).toEqual({
      maxTurns: 10,
      maxMessages: null,
      maxTokens: null,
      ttlMs: null,
      keyPrefix: 'chat-memory',
      maxContentBytes: 65536,
      maxMetadataBytes: 16384,
      wireFormat: 'native',
      countTokens: expect.any(Function),
      systemPrompt: null,
      onEvict: null,
      generateTitle: null,
      window: { format: 'native', maxTurns: 10, maxMessages: null, maxTokens: null },
    });
    expect(spec.config.countTokens({ role: 'user', content: 'x'.repeat(40) })).toBe(14);
    expect(spec.source).toEqual({
      kind: 'url',
      url: 'redis://localhost:6379/0',
      redisOptions: { commandTimeout: 2000 },
    });
    expect(spec).toMatchObject({ failFast: false, readyTimeoutMs: 5000 });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.config)).toBe(true);
    expect(Object.isFrozen(spec.source)).toBe(true);
  });

  it('takes the given wireFormat and maxMetadataBytes', () => {
    const { config } = resolveChatMemoryOptions({
      config: { wireFormat: 'ractogateway', maxMetadataBytes: 100 },
    });
    expect(config).toMatchObject({ wireFormat: 'ractogateway', maxMetadataBytes: 100 });
    expect(resolveChatMemoryOptions({ config: { wireFormat: 'native' } }).config.wireFormat).toBe(
      'native',
    );
  });

  it('keeps millisecond precision of the TTL', () => {
    expect(resolveChatMemoryOptions({ config: { ttlSeconds: 0.5 } }).config.ttlMs).toBe(500);
    expect(resolveChatMemoryOptions({ config: { ttlSeconds: 0.001 } }).config.ttlMs).toBe(1);
    expect(resolveChatMemoryOptions({ config: { ttlSeconds: 1800 } }).config.ttlMs).toBe(1_800_000);
  });

  it('takes the command timeout from connection, then redisOptions, then the default', () => {
    expect(
      timeoutOf({ connection: { commandTimeoutMs: 750 }, redisOptions: { commandTimeout: 100 } }),
    ).toBe(750);
    expect(timeoutOf({ redisOptions: { commandTimeout: 100 } })).toBe(100);
    const cluster = resolveChatMemoryOptions({
      cluster: { nodes: [7000], options: { redisOptions: { commandTimeout: 300 } } },
    }).source;
    expect(cluster.kind === 'cluster' && cluster.options.redisOptions?.commandTimeout).toBe(300);
  });

  it('leaves a given client and a given store as they are', () => {
    const client = new Redis({ lazyConnect: true });
    const store = new InMemoryChatMemoryStore();
    expect(resolveChatMemoryOptions({ client }).source).toEqual({ kind: 'client', client });
    expect(resolveChatMemoryOptions({ store }).source).toEqual({ kind: 'store', store });
    expect(client.options.commandTimeout).toBeUndefined();
    client.disconnect();
  });

  it('accepts redis: and rediss: URLs', () => {
    expect(resolveChatMemoryOptions({ url: 'rediss://user:pw@example.com:6380/2' }).target).toBe(
      'Redis at rediss://***@example.com:6380/2',
    );
  });

  it.each([
    ['null', null, 'options', /expected an object, got null/],
    ['an array', [], 'options', /expected an object, got an array/],
    ['a URL without scheme', { url: 'localhost:6379' }, 'url', /scheme, got "localhost:"/],
    ['an http URL', { url: 'http://localhost:6379' }, 'url', /scheme, got "http:"/],
    ['text that is no URL', { url: '%%%' }, 'url', /is not a URL/],
    [
      'url and client',
      { url: 'redis://x', client: new Redis({ lazyConnect: true }) },
      'url',
      /with "client"/,
    ],
    [
      'url and store',
      { url: 'redis://x', store: new InMemoryChatMemoryStore() },
      'url',
      /with "store"/,
    ],
    ['a client that is none', { client: {} }, 'client', /an ioredis Redis or Cluster client/],
    [
      'redisOptions with a store',
      { store: new InMemoryChatMemoryStore(), redisOptions: {} },
      'redisOptions',
      /"store"/,
    ],
    [
      'a config key at the top',
      { maxTurns: 5 },
      'maxTurns',
      /is not an option of ChatMemoryModule/,
    ],
    [
      'a typo in config',
      { config: { maxTurn: 5 } },
      'config.maxTurn',
      /known here: maxTurns, ttlSeconds, keyPrefix, maxContentBytes, maxMetadataBytes, wireFormat, maxMessages, maxTokens, tokenCounter, systemPrompt, onEvict, generateTitle\)/,
    ],
    [
      'an unknown wireFormat',
      { config: { wireFormat: 'python' } },
      'config.wireFormat',
      /expected 'native' or 'ractogateway', got "python"/,
    ],
    [
      'a wireFormat that is not a string',
      { config: { wireFormat: 1 } },
      'config.wireFormat',
      /expected 'native' or 'ractogateway', got 1/,
    ],
    [
      'a maxMetadataBytes of 0',
      { config: { maxMetadataBytes: 0 } },
      'config.maxMetadataBytes',
      /expected a positive integer, got 0/,
    ],
    [
      'a maxMetadataBytes that is no integer',
      { config: { maxMetadataBytes: 1.5 } },
      'config.maxMetadataBytes',
      /expected a positive integer, got 1.5/,
    ],
    ['a typo in connection', { connection: { timeout: 5 } }, 'connection.timeout', /not an option/],
    ['a typo in cluster', { cluster: { nodes: [7000], node: 1 } }, 'cluster.node', /not an option/],
    ['name from a factory', { name: 'a' }, 'name', /beside useFactory/],
    ['isGlobal from a factory', { isGlobal: true }, 'isGlobal', /beside useFactory/],
  ])('rejects %s, naming the option', (_label, options, option, message) => {
    const error = errorOf(options);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('never shows the credentials of a URL it cannot parse', () => {
    const error = errorOf({ url: 'redis://user:secret@[bad' });
    expect(error.option).toBe('url');
    expect(error.message).not.toContain('secret');
  });
});
