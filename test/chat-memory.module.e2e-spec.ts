import { Controller, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import {
  CHAT_MEMORY_REDIS,
  ChatMemoryConfigError,
  ChatMemoryModule,
  ChatMemoryService,
  InMemoryChatMemoryStore,
  InjectChatMemoryRedis,
  type ChatMemoryModuleOptions,
} from 'nestjs-chat-memory';
import { describe, expect, it } from 'vitest';
import { redisUrl, roleContent, uniquePrefix } from './support/helpers.js';
import {
  bootModuleError,
  expectConfigError,
  useChatMemoryModules,
  useTestingModules,
} from './support/modules.js';

describe('ChatMemoryModule options are checked at boot', () => {
  const boot = useChatMemoryModules();
  const cases: [string, unknown, RegExp][] = [
    ['config.maxTurns', { config: { maxTurns: 0 } }, /positive integer, got 0/],
    ['config.maxTurns', { config: { maxTurns: 2.5 } }, /positive integer, got 2.5/],
    ['config.maxTurns', { config: { maxTurns: '10' } }, /positive integer, got "10"/],
    [
      'config.ttlSeconds',
      { config: { ttlSeconds: 0 } },
      /null \(no expiry\) or a number of seconds >= 0.001, got 0/,
    ],
    ['config.ttlSeconds', { config: { ttlSeconds: -5 } }, /got -5/],
    ['config.ttlSeconds', { config: { ttlSeconds: Number.POSITIVE_INFINITY } }, /got Infinity/],
    ['config.ttlSeconds', { config: { ttlSeconds: '60' } }, /got "60"/],
    ['config.keyPrefix', { config: { keyPrefix: '' } }, /1-128 characters/],
    ['config.keyPrefix', { config: { keyPrefix: '{tag}' } }, /got "\{tag\}"/],
    ['config.keyPrefix', { config: { keyPrefix: 'a b' } }, /got "a b"/],
    ['config.maxContentBytes', { config: { maxContentBytes: 0 } }, /positive integer/],
    ['url', { url: '' }, /non-empty string/],
    ['store', { store: { push: () => 0 } }, /missing pin, read, range, length, delete, ttl/],
  ];

  it.each(cases)(
    'rejects a bad %s with ChatMemoryConfigError naming it',
    (option, options, message) => expectConfigError(options, option, message),
  );

  it('accepts the defaults and exposes them', async () => {
    const memory = (await boot({ store: new InMemoryChatMemoryStore() })).get(ChatMemoryService);
    expect(memory.maxTurns).toBe(10);
    expect(memory.maxMessages).toBeNull();
    expect(memory.maxTokens).toBeNull();
    expect(memory.ttlSeconds).toBeNull();
  });
});

describe('ChatMemoryModule.forRootAsync', () => {
  const boot = useTestingModules();
  it('reads its options from @nestjs/config ConfigService', async () => {
    const keyPrefix = uniquePrefix('async');
    const moduleRef = await boot({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ REDIS_URL: redisUrl(), CHAT_MAX_TURNS: '1', CHAT_PREFIX: keyPrefix })],
        }),
        ChatMemoryModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            url: config.getOrThrow<string>('REDIS_URL'),
            config: {
              maxTurns: Number(config.get('CHAT_MAX_TURNS')),
              keyPrefix: config.getOrThrow<string>('CHAT_PREFIX'),
            },
          }),
        }),
      ],
    });
    const memory = moduleRef.get(ChatMemoryService);
    await memory.appendTurn('c', 'q1', 'a1');
    await memory.appendTurn('c', 'q2', 'a2');
    expect(roleContent(await memory.getHistory('c'))).toEqual([
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: 'a2' },
    ]);
    const redis = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await expect(redis.llen(`${keyPrefix}:c`)).resolves.toBe(2);
  });

  it('supports useClass', async () => {
    @Injectable()
    class MemoryOptions {
      createChatMemoryOptions(): ChatMemoryModuleOptions {
        return { store: new InMemoryChatMemoryStore(), config: { maxTurns: 3 } };
      }
    }
    const moduleRef = await boot({
      imports: [ChatMemoryModule.forRootAsync({ useClass: MemoryOptions })],
    });
    expect(moduleRef.get(ChatMemoryService).maxTurns).toBe(3);
  });

  it('stops the app at boot when the factory returns a bad option', async () => {
    const error = await bootModuleError({
      imports: [
        ChatMemoryModule.forRootAsync({ useFactory: () => ({ config: { ttlSeconds: 0.0001 } }) }),
      ],
    });
    expect(error).toBeInstanceOf(ChatMemoryConfigError);
    expect((error as ChatMemoryConfigError).option).toBe('config.ttlSeconds');
  });
});

describe('the Redis client', () => {
  const boot = useChatMemoryModules();
  const bootModule = useTestingModules();
  it('is closed on shutdown when the module created it', async () => {
    const moduleRef = await boot({ url: redisUrl() });
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await expect(client.ping()).resolves.toBe('PONG');
    await moduleRef.close();
    expect(client.status).toBe('end');
  });

  it('is left open on shutdown when it was given, and used as given', async () => {
    const client = new Redis(redisUrl());
    const keyPrefix = uniquePrefix();
    const moduleRef = await boot({ client, config: { keyPrefix } });
    expect(moduleRef.get(CHAT_MEMORY_REDIS)).toBe(client);
    await moduleRef.get(ChatMemoryService).append('c', 'user', 'x');
    await moduleRef.close();
    expect(client.status).toBe('ready');
    await expect(client.llen(`${keyPrefix}:c`)).resolves.toBe(1);
    await client.quit();
  });

  it('is closed even when Redis is unreachable at shutdown, without throwing', async () => {
    const moduleRef = await boot({ url: 'redis://127.0.0.1:1' });
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await moduleRef.close();
    expect(client.status).toBe('end');
  });

  it('is null with a custom store, and no connection is opened', async () => {
    const moduleRef = await boot({ store: new InMemoryChatMemoryStore() });
    expect(moduleRef.get(CHAT_MEMORY_REDIS)).toBeNull();
  });

  it('is injectable with @InjectChatMemoryRedis(), and isGlobal reaches feature modules', async () => {
    @Controller()
    class UsesRedis {
      constructor(
        @InjectChatMemoryRedis() readonly redis: Redis,
        readonly memory: ChatMemoryService,
      ) {}
    }
    @Module({ controllers: [UsesRedis] })
    class FeatureModule {}

    const moduleRef = await bootModule({
      imports: [ChatMemoryModule.forRoot({ url: redisUrl(), isGlobal: true }), FeatureModule],
    });
    const feature = moduleRef.get(UsesRedis);
    expect(feature.redis).toBe(moduleRef.get(CHAT_MEMORY_REDIS));
    await expect(feature.redis.ping()).resolves.toBe('PONG');
    expect(feature.memory).toBeInstanceOf(ChatMemoryService);
  });

  it('is not visible to other modules without isGlobal', async () => {
    @Controller()
    class NeedsMemory {
      constructor(readonly memory: ChatMemoryService) {}
    }
    @Module({ controllers: [NeedsMemory] })
    class FeatureModule {}
    const error = await bootModuleError({
      imports: [ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore() }), FeatureModule],
    });
    expect(String(error)).toMatch(/can't resolve dependencies of the NeedsMemory/);
  });
});
