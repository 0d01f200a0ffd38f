import { Controller, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
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
import { redisUrl, uniquePrefix } from './support/helpers.js';
import { expectConfigError } from './support/modules.js';

describe('ChatMemoryModule options are checked at boot', () => {
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
    ['store', { store: { push: () => 0 } }, /missing range, length, delete, ttl/],
  ];

  it.each(cases)(
    'rejects a bad %s with ChatMemoryConfigError naming it',
    (option, options, message) => expectConfigError(options, option, message),
  );

  it('accepts the defaults and exposes them', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore() })],
    }).compile();
    const memory = moduleRef.get(ChatMemoryService);
    expect(memory.maxMessages).toBe(20);
    expect(memory.ttlSeconds).toBeNull();
    await moduleRef.close();
  });
});

describe('ChatMemoryModule.forRootAsync', () => {
  it('reads its options from @nestjs/config ConfigService', async () => {
    const keyPrefix = uniquePrefix('async');
    const moduleRef = await Test.createTestingModule({
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
    }).compile();
    await moduleRef.init();
    const memory = moduleRef.get(ChatMemoryService);
    await memory.appendTurn('c', 'q1', 'a1');
    await memory.appendTurn('c', 'q2', 'a2');
    await expect(memory.getHistory('c')).resolves.toEqual([
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: 'a2' },
    ]);
    const redis = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await expect(redis.llen(`${keyPrefix}:c`)).resolves.toBe(2);
    await moduleRef.close();
  });

  it('supports useClass', async () => {
    @Injectable()
    class MemoryOptions {
      createChatMemoryOptions(): ChatMemoryModuleOptions {
        return { store: new InMemoryChatMemoryStore(), config: { maxTurns: 3 } };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRootAsync({ useClass: MemoryOptions })],
    }).compile();
    expect(moduleRef.get(ChatMemoryService).maxMessages).toBe(6);
    await moduleRef.close();
  });

  it('stops the app at boot when the factory returns a bad option', async () => {
    const error = await Test.createTestingModule({
      imports: [
        ChatMemoryModule.forRootAsync({ useFactory: () => ({ config: { ttlSeconds: 0.0001 } }) }),
      ],
    })
      .compile()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatMemoryConfigError);
    expect((error as ChatMemoryConfigError).option).toBe('config.ttlSeconds');
  });
});

describe('the Redis client', () => {
  it('is closed on shutdown when the module created it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRoot({ url: redisUrl() })],
    }).compile();
    await moduleRef.init();
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await expect(client.ping()).resolves.toBe('PONG');
    await moduleRef.close();
    expect(client.status).toBe('end');
  });

  it('is left open on shutdown when it was given, and used as given', async () => {
    const client = new Redis(redisUrl());
    const keyPrefix = uniquePrefix();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ChatMemoryModule.forRoot({
          client,
          url: 'redis://ignored.invalid:1',
          config: { keyPrefix },
        }),
      ],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(CHAT_MEMORY_REDIS)).toBe(client);
    await moduleRef.get(ChatMemoryService).append('c', 'user', 'x');
    await moduleRef.close();
    expect(client.status).toBe('ready');
    await expect(client.llen(`${keyPrefix}:c`)).resolves.toBe(1);
    await client.quit();
  });

  it('is closed even when Redis is unreachable at shutdown, without throwing', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRoot({ url: 'redis://127.0.0.1:1' })],
    }).compile();
    await moduleRef.init();
    const client = moduleRef.get<Redis>(CHAT_MEMORY_REDIS);
    await moduleRef.close();
    expect(client.status).toBe('end');
  });

  it('is null with a custom store, and no connection is opened', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore(), url: redisUrl() }),
      ],
    }).compile();
    expect(moduleRef.get(CHAT_MEMORY_REDIS)).toBeNull();
    await moduleRef.close();
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

    const moduleRef = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRoot({ url: redisUrl(), isGlobal: true }), FeatureModule],
    }).compile();
    await moduleRef.init();
    const feature = moduleRef.get(UsesRedis);
    expect(feature.redis).toBe(moduleRef.get(CHAT_MEMORY_REDIS));
    await expect(feature.redis.ping()).resolves.toBe('PONG');
    expect(feature.memory).toBeInstanceOf(ChatMemoryService);
    await moduleRef.close();
  });

  it('is not visible to other modules without isGlobal', async () => {
    @Controller()
    class NeedsMemory {
      constructor(readonly memory: ChatMemoryService) {}
    }
    @Module({ controllers: [NeedsMemory] })
    class FeatureModule {}
    const error = await Test.createTestingModule({
      imports: [ChatMemoryModule.forRoot({ store: new InMemoryChatMemoryStore() }), FeatureModule],
    })
      .compile()
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/can't resolve dependencies of the NeedsMemory/);
  });
});
