import { Body, Controller, Get, Module, Param, Post, type INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  CHAT_MEMORY_REDIS,
  ChatMemoryModule,
  ChatMemoryService,
  getChatMemoryRedisToken,
  getChatMemoryToken,
  InjectChatMemory,
  InjectChatMemoryRedis,
  RecordChatTurn,
} from 'nestjs-chat-memory';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, roleContent, ULID_PATTERN, uniquePrefix } from './support/helpers.js';
import { HTTP_ADAPTERS, startHttpApp } from './support/http-apps.js';

/**
 * Role and content (`r` and `c`) of each raw entry of a list, to see where writes went, after
 * checking that each is a native entry with a library-assigned id.
 */
async function rawEntries(redis: Redis, key: string): Promise<{ r: unknown; c: unknown }[]> {
  return (await redis.lrange(key, 0, -1)).map((entry) => {
    const { v, i, r, c } = JSON.parse(entry) as { v: unknown; i: unknown; r: unknown; c: unknown };
    expect({ v, i }).toEqual({ v: 1, i: expect.stringMatching(ULID_PATTERN) });
    return { r, c };
  });
}

/** Two feature modules, each importing its own unnamed, non-global ChatMemoryModule. */
function featureApps(prefixA: string, prefixB: string) {
  @Controller('a')
  class FeatureAController {
    @Post(':conversationId')
    @RecordChatTurn()
    chat(@Body('message') message: string) {
      return { reply: `a heard ${message}` };
    }
  }

  @Controller('b')
  class FeatureBController {
    constructor(private readonly memory: ChatMemoryService) {}

    @Post(':conversationId')
    @RecordChatTurn()
    chat(@Body('message') message: string) {
      return { reply: `b heard ${message}` };
    }

    @Get(':conversationId')
    history(@Param('conversationId') id: string) {
      return this.memory.getHistory(id);
    }
  }

  @Module({
    imports: [ChatMemoryModule.forRoot({ url: redisUrl(), config: { keyPrefix: prefixA } })],
    controllers: [FeatureAController],
  })
  class FeatureA {}

  @Module({
    imports: [ChatMemoryModule.forRoot({ url: redisUrl(), config: { keyPrefix: prefixB } })],
    controllers: [FeatureBController],
  })
  class FeatureB {}

  return [FeatureA, FeatureB];
}

describe.each(HTTP_ADAPTERS)('two unnamed, non-global instances on %s', (_name, adapter) => {
  let redis: Redis;
  let app: INestApplication;
  let url: string;
  const prefixA = uniquePrefix('a');
  const prefixB = uniquePrefix('b');

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    ({ app, url } = await startHttpApp(adapter, { imports: featureApps(prefixA, prefixB) }));
  });
  afterAll(async () => {
    await app.close();
    await redis.quit();
  });

  it('records each turn with the instance of the module that holds the controller', async () => {
    await request(url).post('/a/c1').send({ message: 'to a' }).expect(201);
    await request(url).post('/b/c1').send({ message: 'to b' }).expect(201);
    await expect(rawEntries(redis, `${prefixA}:c1`)).resolves.toEqual([
      { r: 'user', c: 'to a' },
      { r: 'assistant', c: 'a heard to a' },
    ]);
    await expect(rawEntries(redis, `${prefixB}:c1`)).resolves.toEqual([
      { r: 'user', c: 'to b' },
      { r: 'assistant', c: 'b heard to b' },
    ]);
    // The service injected in FeatureB is FeatureB's own.
    const { body } = await request(url).get('/b/c1').expect(200);
    expect(roleContent(body)).toEqual([
      { role: 'user', content: 'to b' },
      { role: 'assistant', content: 'b heard to b' },
    ]);
  });
});

describe.each(HTTP_ADAPTERS)('named instances on %s', (_name, adapter) => {
  let redis: Redis;
  let app: INestApplication;
  let url: string;
  const prefixes = {
    default: uniquePrefix('d'),
    alpha: uniquePrefix('al'),
    beta: uniquePrefix('be'),
  };

  @Controller('chat')
  @RecordChatTurn({ memory: 'alpha' })
  class NamedController {
    constructor(
      @InjectChatMemory('alpha') private readonly alpha: ChatMemoryService,
      @InjectChatMemory('beta') private readonly beta: ChatMemoryService,
      private readonly unnamed: ChatMemoryService,
      @InjectChatMemoryRedis('beta') private readonly betaRedis: Redis,
    ) {}

    /** Recorded to alpha, the class default. */
    @Post('alpha/:conversationId')
    toAlpha(@Body('message') message: string) {
      return { reply: `alpha: ${message}` };
    }

    /** The handler's options replace the class's: recorded to beta only. */
    @Post('beta/:conversationId')
    @RecordChatTurn({ memory: 'beta' })
    toBeta(@Body('message') message: string) {
      return { reply: `beta: ${message}` };
    }

    /** The unnamed instance. */
    @Post('default/:conversationId')
    @RecordChatTurn()
    toDefault(@Body('message') message: string) {
      return { reply: `default: ${message}` };
    }

    @Get('counts/:conversationId')
    async counts(@Param('conversationId') id: string) {
      return {
        alpha: await this.alpha.count(id),
        beta: await this.beta.count(id),
        unnamed: await this.unnamed.count(id),
        betaPing: await this.betaRedis.ping(),
      };
    }
  }

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    ({ app, url } = await startHttpApp(adapter, {
      imports: [
        ChatMemoryModule.forRoot({
          name: 'alpha',
          isGlobal: true,
          url: redisUrl(),
          config: { keyPrefix: prefixes.alpha },
          controller: { path: 'alpha-api' },
        }),
        ChatMemoryModule.forRootAsync({
          name: 'beta',
          isGlobal: true,
          useFactory: () => ({ url: redisUrl(), config: { keyPrefix: prefixes.beta } }),
        }),
        ChatMemoryModule.forRoot({
          isGlobal: true,
          url: redisUrl(),
          config: { keyPrefix: prefixes.default },
          controller: { path: 'default-api' },
        }),
      ],
      controllers: [NamedController],
    }));
  });
  afterAll(async () => {
    await app.close();
    await redis.quit();
  });

  it('records every write in the instance it names, and only there', async () => {
    const id = 'n1';
    await request(url).post(`/chat/alpha/${id}`).send({ message: 'one' }).expect(201);
    await request(url).post(`/chat/beta/${id}`).send({ message: 'two' }).expect(201);
    await request(url).post(`/chat/beta/${id}`).send({ message: 'three' }).expect(201);
    await request(url).post(`/chat/default/${id}`).send({ message: 'four' }).expect(201);
    await expect(redis.llen(`${prefixes.alpha}:${id}`)).resolves.toBe(2);
    await expect(redis.llen(`${prefixes.beta}:${id}`)).resolves.toBe(4);
    await expect(redis.llen(`${prefixes.default}:${id}`)).resolves.toBe(2);
    await expect(rawEntries(redis, `${prefixes.beta}:${id}`)).resolves.toEqual([
      { r: 'user', c: 'two' },
      { r: 'assistant', c: 'beta: two' },
      { r: 'user', c: 'three' },
      { r: 'assistant', c: 'beta: three' },
    ]);
    const { body } = await request(url).get(`/chat/counts/${id}`).expect(200);
    expect(body).toEqual({ alpha: 2, beta: 4, unnamed: 2, betaPing: 'PONG' });
  });

  it("serves each instance's controller over its own conversations", async () => {
    await request(url)
      .post('/alpha-api/x1/messages')
      .send({ role: 'user', content: 'via alpha' })
      .expect(201);
    await expect(rawEntries(redis, `${prefixes.alpha}:x1`)).resolves.toEqual([
      { r: 'user', c: 'via alpha' },
    ]);
    await expect(redis.exists(`${prefixes.default}:x1`)).resolves.toBe(0);
    const { body } = await request(url).get('/default-api/x1').expect(200);
    expect(body).toMatchObject({ count: 0 });
  });

  it('provides named tokens, and the unnamed instance keeps ChatMemoryService and CHAT_MEMORY_REDIS', () => {
    const alpha = app.get<ChatMemoryService>(getChatMemoryToken('alpha'));
    const beta = app.get<ChatMemoryService>(getChatMemoryToken('beta'));
    const unnamed = app.get(ChatMemoryService);
    expect(new Set([alpha, beta, unnamed]).size).toBe(3);
    expect(getChatMemoryToken()).toBe(ChatMemoryService);
    expect(getChatMemoryRedisToken()).toBe(CHAT_MEMORY_REDIS);
    const clients = [
      app.get<Redis>(getChatMemoryRedisToken('alpha')),
      app.get<Redis>(getChatMemoryRedisToken('beta')),
      app.get<Redis>(CHAT_MEMORY_REDIS),
    ];
    expect(new Set(clients).size).toBe(3);
  });
});

describe('instance names', () => {
  it('must be non-empty strings, checked when forRoot is called', () => {
    expect(() => ChatMemoryModule.forRoot({ name: '' })).toThrow(
      /Invalid ChatMemoryModule option "name": expected a non-empty string, got ""/,
    );
    expect(() =>
      ChatMemoryModule.forRootAsync({ name: 42 as unknown as string, useFactory: () => ({}) }),
    ).toThrow(/option "name"/);
  });
});
